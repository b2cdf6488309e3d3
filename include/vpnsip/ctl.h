/* The control socket protocol between vpnsipsh and vpnsipd.
 *
 * Every message is a frame: a fixed header and a payload.  The shell sends
 * one request (a line to run, to help with or to complete) and reads frames
 * until CTL_DONE; CTL_NOTIFY frames (terminal monitor: log and debug lines)
 * may arrive at any time, also between requests. */
#ifndef VPNSIP_CTL_H
#define VPNSIP_CTL_H

#include <stddef.h>
#include <stdint.h>

#define CTL_MAX_PAYLOAD (16u << 20)
#define CTL_DEFAULT_SOCKET "/run/vpnsip/vpnsipd.sock"

enum ctl_type {
	/* shell -> daemon */
	CTL_HELLO = 1,  /* flags: CTL_F_INTERACTIVE; payload: terminal name */
	CTL_EXEC = 2,   /* payload: the line */
	CTL_HELP = 3,   /* payload: the line up to the '?' */
	CTL_COMPLETE = 4,
	/* daemon -> shell */
	CTL_OUTPUT = 16, /* payload: text */
	CTL_DONE = 17,   /* payload: struct ctl_done + prompt */
	CTL_NOTIFY = 18, /* payload: one log/debug line */
};

#define CTL_F_INTERACTIVE 0x1

struct ctl_hdr {
	uint32_t len; /* payload bytes */
	uint8_t type;
	uint8_t pad;
	uint16_t flags;
};

#define CTL_DONE_MORE_INPUT 0x1 /* the next line is raw text for the command */
#define CTL_DONE_HIDE_INPUT 0x2 /* ... a password: do not echo it */
#define CTL_DONE_CLOSING 0x4    /* the session ended ("exit" in exec) */

struct ctl_done {
	int32_t status;    /* enum cli_status */
	int32_t caret;     /* for invalid input: byte offset into the line */
	uint32_t term_length;
	uint32_t flags;    /* CTL_DONE_* */
	/* followed by the prompt to show next, NUL-terminated */
};

#endif
