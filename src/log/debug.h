/* The debug framework: features declare flags ("vpn-sip sip messages"),
 * the CLI turns each into "debug …" / "no debug …" / "undebug …" commands,
 * and "show debugging" lists what is on.  Flags are atomics so any thread
 * may test them cheaply. */
#ifndef VPNSIP_LOG_DEBUG_H
#define VPNSIP_LOG_DEBUG_H

#include <stdatomic.h>
#include <stdbool.h>

#include "util/strbuf.h"

struct debug_flag {
	const char *path;  /* keywords after "debug", e.g. "vpn-sip sip messages" */
	const char *help;  /* help of each keyword, '\n'-separated (may be shorter) */
	const char *title; /* "VPN-SIP SIP messages": for show debugging */
	const char *note;  /* extra note for show debugging, or NULL */
	atomic_bool on;
	struct debug_flag *next;
};

void debug_register(struct debug_flag *f);

/* A debug command of IOS that vpnsipd has nothing behind: "debug PATH"
 * (and its no/undebug forms) answers "% debug PATH: WHY" and turns
 * nothing on, so that no debug command is accepted in silence.
 * Registered with the feature's commands, as flags are. */
struct debug_refused {
	const char *path; /* keywords after "debug" */
	const char *help; /* as debug_flag's */
	const char *why;
	struct debug_refused *next;
};
void debug_refuse_register(struct debug_refused *r);
struct debug_refused *debug_refused_list(void);
struct debug_flag *debug_flags(void);
struct debug_flag *debug_find(const char *path);
void debug_set(struct debug_flag *f, bool on);
void debug_all_off(void);
void debug_show(struct strbuf *out);
/* The debug commands, generated from every flag registered so far
 * (debug_cmds.c): call after all features registered theirs. */
void debug_cli_init(void);
/* Frees what debug_cli_init generated. */
void debug_cli_reset(void);

static inline bool debug_on(struct debug_flag *f)
{
	return atomic_load_explicit(&f->on, memory_order_relaxed);
}

/* dbg(&flag, "fmt", ...): a debug line when the flag is on. */
#define dbg(flag, ...)                                \
	do {                                          \
		if (debug_on(flag))                   \
			log_debug_line(__VA_ARGS__);  \
	} while (0)

#endif
