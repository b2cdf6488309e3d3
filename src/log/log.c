#include "log/log.h"

#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/stat.h>
#include <sys/time.h>
#include <syslog.h>
#include <time.h>

#include "log/remote.h"
#include "util/xalloc.h"

static const char *const severity_names[] = {
	"emergencies", "alerts", "critical", "errors",
	"warnings", "notifications", "informational", "debugging",
};

/* The buffer keeps whole lines; the oldest are dropped to make room. */
struct log_line {
	char *text;
	size_t len;
};

static struct {
	pthread_mutex_t lock;
	struct log_settings set;
	enum log_output out;
	struct log_line *lines; /* ring */
	size_t cap, head, count, bytes;
	unsigned long logged, dropped;
	unsigned long trap_seq; /* lines for the logging hosts */
} L = {
	.lock = PTHREAD_MUTEX_INITIALIZER,
	.set = {
		.buffered = true,
		.buffer_size = LOG_DEFAULT_BUFFER_SIZE,
		.buffer_level = SEV_DEBUG,
		.monitor = true,
		.monitor_level = SEV_DEBUG,
		.console = false,
		.console_level = SEV_DEBUG,
		.trap = true,
		.trap_level = SEV_INFO,
		.facility = LOG_DEFAULT_FACILITY,
		.ts_log = { .on = true, .msec = true, .localtime = true },
		.ts_debug = { .on = true, .msec = true, .localtime = true },
	},
};

/* The numbers syslog(3) gives them, >> 3. */
static const struct {
	const char *name;
	int code;
} facilities[] = {
	{ "kern", 0 }, { "user", 1 }, { "mail", 2 }, { "daemon", 3 }, { "auth", 4 },
	{ "syslog", 5 }, { "lpr", 6 }, { "news", 7 }, { "uucp", 8 }, { "cron", 9 },
	{ "local0", 16 }, { "local1", 17 }, { "local2", 18 }, { "local3", 19 },
	{ "local4", 20 }, { "local5", 21 }, { "local6", 22 }, { "local7", 23 },
};

const char *log_facility_name(int facility)
{
	for (size_t i = 0; i < ARRAY_SIZE(facilities); i++)
		if (facilities[i].code == facility)
			return facilities[i].name;
	return "?";
}

int log_facility_parse(const char *s)
{
	for (size_t i = 0; i < ARRAY_SIZE(facilities); i++)
		if (strcasecmp(s, facilities[i].name) == 0)
			return facilities[i].code;
	return -1;
}

bool log_timestamps_default(const struct log_timestamps *ts)
{
	return ts->on && !ts->uptime && ts->msec && ts->localtime && !ts->show_timezone &&
	       !ts->year;
}

/* Where "uptime" timestamps count from. */
static struct timespec started;
__attribute__((constructor)) static void log_start_clock(void)
{
	clock_gettime(CLOCK_MONOTONIC, &started);
}

const char *log_severity_name(enum log_severity sev)
{
	return (unsigned)sev < 8 ? severity_names[sev] : "?";
}

int log_severity_parse(const char *s)
{
	if (s[0] >= '0' && s[0] <= '7' && s[1] == '\0')
		return s[0] - '0';
	for (int i = 0; i < 8; i++)
		if (strcasecmp(s, severity_names[i]) == 0)
			return i;
	return -1;
}

void log_init(const char *ident, enum log_output out)
{
	L.out = out;
	if (out != LOG_OUT_JOURNAL)
		openlog(ident, LOG_PID | LOG_NDELAY, LOG_DAEMON);
}

bool log_stderr_is_journal(void)
{
	const char *js = getenv("JOURNAL_STREAM");
	unsigned long long dev, ino;
	struct stat st;

	if (!js || sscanf(js, "%llu:%llu", &dev, &ino) != 2 || fstat(2, &st) < 0)
		return false;
	return (unsigned long long)st.st_dev == dev && (unsigned long long)st.st_ino == ino;
}

void log_shutdown(void)
{
	log_remote_shutdown();
	if (L.out != LOG_OUT_JOURNAL)
		closelog();
	pthread_mutex_lock(&L.lock);
	for (size_t i = 0; i < L.count; i++)
		free(L.lines[(L.head + i) % L.cap].text);
	free(L.lines);
	L.lines = NULL;
	L.cap = L.head = L.count = L.bytes = 0;
	pthread_mutex_unlock(&L.lock);
}

HOOK_DEFINE(log_monitor);

/* Caller holds the lock. */
static void buffer_drop_oldest(void)
{
	struct log_line *ln = &L.lines[L.head];

	L.bytes -= ln->len;
	free(ln->text);
	L.head = (L.head + 1) % L.cap;
	L.count--;
}

static void buffer_add(const char *line, size_t len)
{
	if (len > L.set.buffer_size)
		return;
	while (L.count && L.bytes + len > L.set.buffer_size)
		buffer_drop_oldest();
	if (L.count == L.cap) {
		size_t ncap = L.cap ? L.cap * 2 : 64;
		struct log_line *n = xcalloc(ncap, sizeof(*n));
		for (size_t i = 0; i < L.count; i++)
			n[i] = L.lines[(L.head + i) % L.cap];
		free(L.lines);
		L.lines = n;
		L.cap = ncap;
		L.head = 0;
	}
	L.lines[(L.head + L.count) % L.cap] = (struct log_line){ xstrndup(line, len), len };
	L.count++;
	L.bytes += len;
}

/* The line's timestamp as IOS writes it: "Dec  7 2026 08:30:01.123 CET"
 * with every option, "1d02h" (uptime); "" for none. */
static void timestamp(const struct log_timestamps *t, char *buf, size_t n)
{
	struct timeval tv;
	struct tm tm;
	char date[64], zone[16] = "";

	buf[0] = '\0';
	if (!t->on)
		return;
	if (t->uptime) {
		struct timespec now;
		clock_gettime(CLOCK_MONOTONIC, &now);
		long s = (long)(now.tv_sec - started.tv_sec);
		/* IOS: hh:mm:ss for the first day, then 1d02h, then 1w2d */
		if (s < 86400)
			snprintf(buf, n, "%02ld:%02ld:%02ld", s / 3600, s / 60 % 60, s % 60);
		else if (s < 7 * 86400)
			snprintf(buf, n, "%ldd%02ldh", s / 86400, s / 3600 % 24);
		else
			snprintf(buf, n, "%ldw%ldd", s / (7 * 86400), s / 86400 % 7);
		return;
	}
	gettimeofday(&tv, NULL);
	if (t->localtime)
		localtime_r(&tv.tv_sec, &tm);
	else
		gmtime_r(&tv.tv_sec, &tm);
	strftime(date, sizeof(date), t->year ? "%b %e %Y %H:%M:%S" : "%b %e %H:%M:%S", &tm);
	if (t->show_timezone) {
		if (t->localtime)
			strftime(zone, sizeof(zone), " %Z", &tm);
		else
			strcpy(zone, " UTC");
	}
	if (t->msec)
		snprintf(buf, n, "%s.%03d%s", date, (int)(tv.tv_usec / 1000) % 1000, zone);
	else
		snprintf(buf, n, "%s%s", date, zone);
}

static void emit(enum log_severity sev, const char *body, bool debug)
{
	char ts[96];
	char *line, *remote = NULL;
	bool to_monitor;

	pthread_mutex_lock(&L.lock);
	timestamp(debug ? &L.set.ts_debug : &L.set.ts_log, ts, sizeof(ts));
	line = ts[0] ? xasprintf("%s: %s", ts, body) : xstrdup(body);
	L.logged++;
	if (L.set.buffered && sev <= L.set.buffer_level)
		buffer_add(line, strlen(line));
	to_monitor = L.set.monitor && sev <= L.set.monitor_level;
	if (L.set.trap && sev <= L.set.trap_level) {
		/* "<N>": sd-daemon(3)'s level prefix, N as syslog's. */
		if (L.out == LOG_OUT_JOURNAL) {
			fprintf(stderr, "<%d>%s\n", (int)sev, body);
			fflush(stderr);
		} else {
			syslog((int)sev, "%s", body);
		}
		/* The hosts get what IOS sends: "<PRI>SEQ: TIMESTAMP: %FAC-...",
		 * SEQ counting the lines sent to them; queued under this lock,
		 * so in the order of SEQ. */
		if (L.set.n_hosts) {
			remote = xasprintf("<%d>%lu: %s", L.set.facility * 8 + (int)sev, ++L.trap_seq,
					   line);
			log_remote_enqueue(remote);
		}
	}
	if (L.out == LOG_OUT_STDERR_SYSLOG) {
		fprintf(stderr, "%s\n", line);
		fflush(stderr);
	}
	pthread_mutex_unlock(&L.lock);

	if (to_monitor)
		hook_call(log_monitor, line, sev);
	free(line);
	free(remote);
}

void log_vmsg(const char *facility, enum log_severity sev, const char *mnemonic,
	      const char *fmt, va_list ap)
{
	struct strbuf sb = STRBUF_INIT;

	sb_printf(&sb, "%%%s-%d-%s: ", facility, (int)sev, mnemonic);
	sb_vprintf(&sb, fmt, ap);
	emit(sev, sb_str(&sb), false);
	sb_free(&sb);
}

void log_msg(const char *facility, enum log_severity sev, const char *mnemonic,
	     const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	log_vmsg(facility, sev, mnemonic, fmt, ap);
	va_end(ap);
}

void log_debug_line(const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	sb_vprintf(&sb, fmt, ap);
	va_end(ap);
	emit(SEV_DEBUG, sb_str(&sb), true);
	sb_free(&sb);
}

void log_get_settings(struct log_settings *s)
{
	pthread_mutex_lock(&L.lock);
	*s = L.set;
	pthread_mutex_unlock(&L.lock);
}

void log_set_settings(const struct log_settings *s)
{
	pthread_mutex_lock(&L.lock);
	L.set = *s;
	while (L.count && L.bytes > L.set.buffer_size)
		buffer_drop_oldest();
	pthread_mutex_unlock(&L.lock);
	/* Outside the lock: it logs which hosts start and stop. */
	log_remote_configure(s->hosts, s->n_hosts);
}

void log_count_dropped(unsigned long n)
{
	pthread_mutex_lock(&L.lock);
	L.dropped += n;
	pthread_mutex_unlock(&L.lock);
}

void log_buffer_clear(void)
{
	pthread_mutex_lock(&L.lock);
	while (L.count)
		buffer_drop_oldest();
	pthread_mutex_unlock(&L.lock);
}

static void show_dest(struct strbuf *out, const char *name, bool on, enum log_severity lvl)
{
	if (on)
		sb_printf(out, "    %s logging: level %s\n", name, log_severity_name(lvl));
	else
		sb_printf(out, "    %s logging: disabled\n", name);
}

void log_show(struct strbuf *out)
{
	pthread_mutex_lock(&L.lock);
	sb_printf(out, "Syslog logging: enabled (%lu messages logged, %lu dropped)\n\n",
		  L.logged, L.dropped);
	show_dest(out, "Console", L.set.console, L.set.console_level);
	show_dest(out, "Monitor", L.set.monitor, L.set.monitor_level);
	show_dest(out, "Buffer", L.set.buffered, L.set.buffer_level);
	show_dest(out, "Trap", L.set.trap, L.set.trap_level);
	if (L.set.n_hosts) {
		sb_printf(out, "        Facility %s, %lu message lines for the hosts\n",
			  log_facility_name(L.set.facility), L.trap_seq);
		log_remote_show(out);
	}
	if (L.set.buffered) {
		sb_printf(out, "\nLog Buffer (%zu bytes):\n\n", L.set.buffer_size);
		for (size_t i = 0; i < L.count; i++) {
			const struct log_line *ln = &L.lines[(L.head + i) % L.cap];
			sb_add(out, ln->text, ln->len);
			sb_putc(out, '\n');
		}
	}
	pthread_mutex_unlock(&L.lock);
}

/* ---- rate-limited messages ------------------------------------------------ */

static pthread_mutex_t rl_list_lock = PTHREAD_MUTEX_INITIALIZER;
static struct log_ratelimit *rl_list;

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void rl_report(const char *facility, enum log_severity sev, const char *mnemonic,
		      unsigned long n)
{
	log_msg(facility, sev, mnemonic, "%lu message%s suppressed", n, n == 1 ? "" : "s");
}

void log_msg_limited(struct log_ratelimit *rl, const char *facility, enum log_severity sev,
		     const char *mnemonic, const char *fmt, ...)
{
	uint64_t now = mono_ms();
	unsigned long report = 0;
	bool pass;
	va_list ap;

	/* The list lock comes first, as in log_ratelimit_flush(). */
	pthread_mutex_lock(&rl_list_lock);
	if (!rl->listed) {
		snprintf(rl->facility, sizeof(rl->facility), "%s", facility);
		snprintf(rl->mnemonic, sizeof(rl->mnemonic), "%s", mnemonic);
		rl->sev = sev;
		rl->next = rl_list;
		rl_list = rl;
		rl->listed = true;
	}
	pthread_mutex_unlock(&rl_list_lock);
	pthread_mutex_lock(&rl->lock);
	if (!rl->window_start || now - rl->window_start >= rl->interval_ms) {
		rl->window_start = now;
		rl->passed = 0;
		report = rl->suppressed;
		rl->suppressed = 0;
	}
	pass = rl->passed < rl->burst;
	if (pass) {
		rl->passed++;
	} else {
		rl->suppressed++;
		rl->suppressed_total++;
	}
	pthread_mutex_unlock(&rl->lock);
	if (report)
		rl_report(facility, sev, mnemonic, report);
	if (!pass)
		return;
	va_start(ap, fmt);
	log_vmsg(facility, sev, mnemonic, fmt, ap);
	va_end(ap);
}

void log_ratelimit_flush(void)
{
	uint64_t now = mono_ms();

	pthread_mutex_lock(&rl_list_lock);
	for (struct log_ratelimit *rl = rl_list; rl; rl = rl->next) {
		unsigned long report = 0;
		pthread_mutex_lock(&rl->lock);
		if (rl->suppressed && now - rl->window_start >= rl->interval_ms) {
			report = rl->suppressed;
			rl->suppressed = 0;
			/* The next message opens a new window. */
			rl->window_start = 0;
		}
		pthread_mutex_unlock(&rl->lock);
		if (report)
			rl_report(rl->facility, rl->sev, rl->mnemonic, report);
	}
	pthread_mutex_unlock(&rl_list_lock);
}
