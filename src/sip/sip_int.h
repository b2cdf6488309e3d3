/* Inside the SIP user agent: its debug flags and sofia-sip's logs. */
#ifndef VPNSIP_SIP_SIP_INT_H
#define VPNSIP_SIP_SIP_INT_H

#include "log/debug.h"
#include "log/log.h"

extern struct debug_flag sip_debug_messages, sip_debug_calls, sip_debug_events,
	sip_debug_error, sip_debug_states, sip_debug_transport, sip_debug_all, sip_debug_non_call,
	sip_debug_info, sip_debug_verbose;

#define sip_dbg_(flag, ...)                                                 \
	do {                                                                \
		if (debug_on(&(flag)) || debug_on(&sip_debug_all))          \
			log_debug_line(__VA_ARGS__);                        \
	} while (0)
#define sip_dbg_calls(...) sip_dbg_(sip_debug_calls, __VA_ARGS__)
#define sip_dbg_events(...) sip_dbg_(sip_debug_events, __VA_ARGS__)
#define sip_dbg_error(...) sip_dbg_(sip_debug_error, __VA_ARGS__)
#define sip_dbg_states(...) sip_dbg_(sip_debug_states, __VA_ARGS__)
#define sip_dbg_transport(...) sip_dbg_(sip_debug_transport, __VA_ARGS__)

/* SIP thread: route sofia-sip's logs into ours, and set their levels from
 * the debug flags (called once a second). */
void sip_log_init(void);
void sip_log_fini(void);
void sip_log_levels_update(void);
/* The digest password: never printed, even if sofia-sip logs it. */
void sip_log_set_secret(const char *password);

/* A copy of one line of a SIP message fit for debug output: the digest
 * response of Authorization and Proxy-Authorization headers (what an
 * offline guess of the password is checked against) removed.  Lines come
 * one at a time, so *st carries what a line leaves open to the next: the
 * header being an Authorization one (its folded continuation lines are
 * indented deeper than it) and a response value still to come.  Start
 * with (struct sip_redact){ 0 } for each message.  Returns a newly
 * allocated string.  Pure, for tests and the SIP fuzzer. */
struct sip_redact {
	size_t auth_indent; /* the Authorization header's indent + 1; 0: none */
	int pending;        /* 1: '=' next, 2: the value next, 3: inside its quotes */
};
char *sip_redact_line(const char *line, struct sip_redact *st);

#endif
