/* IOS-style logging: "%FACILITY-SEVERITY-MNEMONIC: text" with timestamps,
 * delivered to an in-memory ring buffer (show logging), syslog or the
 * systemd journal, stderr (foreground) and the shells that asked for
 * "terminal monitor".  Callable from any thread. */
#ifndef VPNSIP_LOG_LOG_H
#define VPNSIP_LOG_LOG_H

#include <pthread.h>
#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/hook.h"
#include "util/strbuf.h"

enum log_severity {
	SEV_EMERG = 0,
	SEV_ALERT,
	SEV_CRIT,
	SEV_ERR,
	SEV_WARNING,
	SEV_NOTICE,
	SEV_INFO,
	SEV_DEBUG,
};

/* Where lines go besides the buffer and the monitors. */
enum log_output {
	LOG_OUT_SYSLOG,        /* syslog, at the "logging trap" level */
	LOG_OUT_STDERR_SYSLOG, /* the same, and every line to stderr with its timestamp */
	/* stderr is the journal (systemd): the lines syslog would get, each
	 * once, to stderr with a "<N>" severity prefix and no timestamp (the
	 * journal adds its own); nothing to syslog, which would reach the
	 * journal a second time. */
	LOG_OUT_JOURNAL,
};
void log_init(const char *ident, enum log_output out);
/* Is stderr the systemd journal's stream (JOURNAL_STREAM names its
 * device and inode, systemd.exec(5))? */
bool log_stderr_is_journal(void);
void log_shutdown(void);

/* The main entry point: facility "SYS", severity, mnemonic "CONFIG_I". */
void log_msg(const char *facility, enum log_severity sev, const char *mnemonic,
	     const char *fmt, ...) __attribute__((format(printf, 4, 5)));
void log_vmsg(const char *facility, enum log_severity sev, const char *mnemonic,
	      const char *fmt, va_list ap);
/* Rate-limited messages, for lines that outside input can cause at any
 * rate (a refused call, a dropped datagram): at most `burst` messages per
 * `interval_ms` from one limiter; the rest are counted, and the count is
 * logged as "%FAC-SEV-MN: N messages suppressed" (same tag) when the next
 * message gets through, or by log_ratelimit_flush() once the interval is
 * over.  A limiter is usually one call site:
 *
 *     static struct log_ratelimit rl = LOG_RATELIMIT_INIT(10000, 5);
 *     log_msg_limited(&rl, "SIP", SEV_WARNING, "UNTRUSTED", "...", ...);
 *
 * Thread-safe. */
struct log_ratelimit {
	unsigned interval_ms, burst;
	pthread_mutex_t lock;
	uint64_t window_start;        /* ms, monotonic; 0: no window yet */
	unsigned passed;              /* messages let through in this window */
	unsigned long suppressed;     /* since the last report */
	unsigned long suppressed_total;
	char facility[16], mnemonic[32];
	enum log_severity sev;
	bool listed;                  /* on the list log_ratelimit_flush() walks */
	struct log_ratelimit *next;
};
#define LOG_RATELIMIT_INIT(ms, n)                                             \
	{ .interval_ms = (ms), .burst = (n), .lock = PTHREAD_MUTEX_INITIALIZER }
void log_msg_limited(struct log_ratelimit *rl, const char *facility, enum log_severity sev,
		     const char *mnemonic, const char *fmt, ...)
	__attribute__((format(printf, 5, 6)));
/* Report the suppressed counts of limiters whose interval is over (the
 * daemon calls it once a second). */
void log_ratelimit_flush(void);

/* A debug line: no %FAC-SEV-MN tag, as IOS prints debug output. */
void log_debug_line(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* Any thread (whichever logged the message, outside the log's lock):
 * every message at or below the monitor level ("logging monitor").
 * Subscriber: the daemon's control socket, which forwards it to its
 * monitoring shells.  A subscriber must not block. */
HOOK_DECLARE(log_monitor, (const char *line, enum log_severity sev), (line, sev));

/* "service timestamps log|debug ...": what each line starts with. */
struct log_timestamps {
	bool on;            /* no: "no service timestamps log" */
	bool uptime;        /* time since start ("1d02h"), not the date */
	bool msec, localtime, show_timezone, year;
};

/* A remote syslog server ("logging host A transport tcp port 601"). */
enum log_transport { LOG_TRANSPORT_UDP, LOG_TRANSPORT_TCP };
#define LOG_HOSTS_MAX 8
#define LOG_PORT_UDP 514
#define LOG_PORT_TCP 601
struct log_host {
	char addr[46]; /* as typed: IPv4 or IPv6 (INET6_ADDRSTRLEN) */
	bool ipv6;
	enum log_transport transport;
	uint16_t port;
};

/* Settings ("logging buffered 8192 debugging", ...). */
struct log_settings {
	bool buffered;
	size_t buffer_size;
	enum log_severity buffer_level;
	bool monitor;
	enum log_severity monitor_level;
	bool console;
	enum log_severity console_level;
	bool trap;
	enum log_severity trap_level; /* syslog and the hosts */
	int facility;                 /* of the hosts' messages: LOG_LOCAL7 >> 3 = 23 */
	struct log_timestamps ts_log, ts_debug;
	size_t n_hosts;
	struct log_host hosts[LOG_HOSTS_MAX];
};
#define LOG_DEFAULT_FACILITY 23 /* local7, as IOS */
/* Facility names as IOS spells them ("local7", "daemon"); -1 if unknown. */
const char *log_facility_name(int facility);
int log_facility_parse(const char *s);
/* Is ts what a configuration without "service timestamps" has? */
bool log_timestamps_default(const struct log_timestamps *ts);
#define LOG_DEFAULT_BUFFER_SIZE 8192
void log_get_settings(struct log_settings *s);
void log_set_settings(const struct log_settings *s);

void log_buffer_clear(void);
/* Messages a destination could not take (a terminal monitor that did not
 * keep up): counted in "show logging". */
void log_count_dropped(unsigned long n);
/* Appends "show logging" output. */
void log_show(struct strbuf *out);
/* The logging commands (log_cmds.c). */
void log_cli_init(void);

/* Severity names as IOS spells them ("debugging", "informational", ...). */
const char *log_severity_name(enum log_severity sev);
int log_severity_parse(const char *s); /* name or 0-7; -1 if unknown */

#endif
