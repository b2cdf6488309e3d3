/* Call-detail records: the newest VPNSIP_CDR_KEEP in memory for
 * "show vpn-sip call-history", every one appended as a JSON line to
 * STATE_DIR/call-history.jsonl (rotated by size), read back at start, and
 * the billing totals of "show vpn-sip call-history summary"; and the
 * record of a session's call (start, answer, the tunnel's bytes, end).
 * The fields are documented in docs/session.md. */
#include <errno.h>
#include <fcntl.h>
#include <json-c/json.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

#include "dataplane/dataplane.h"
#include "util/evloop.h"
#include "util/xalloc.h"
#include "vpnsip/vpnsip_int.h"

#define CDR_LINE_MAX 4096 /* longer lines are not ours */
#define CDR_SYNC_MS 1000  /* the file's fdatasync: at most once per this */

static struct {
	struct vpnsip_cdr ring[VPNSIP_CDR_KEEP];
	size_t next, count;
	char *path;               /* STATE_DIR/call-history.jsonl; NULL: memory only */
	int fd;
	off_t size;
	struct evloop *loop;
	struct ev_timer *sync_timer;
	bool write_failed;        /* logged once until a write succeeds */
} C = { .fd = -1 };

/* ---- the line format ------------------------------------------------------ */

int vpnsip_cdr_time_format(int64_t ms, char *buf, size_t n)
{
	time_t t = (time_t)(ms / 1000);
	struct tm tm;
	size_t len;

	if (!gmtime_r(&t, &tm) || !(len = strftime(buf, n, "%Y-%m-%dT%H:%M:%S", &tm)))
		return -1;
	return snprintf(buf + len, n - len, ".%03dZ", (int)(ms % 1000)) < (int)(n - len) ? 0 : -1;
}

int vpnsip_cdr_time_parse(const char *s, int64_t *ms)
{
	struct tm tm = { 0 }, back;
	int y, mo, d, h, mi, sec, frac, end = -1;
	time_t t;

	/* Exactly what vpnsip_cdr_time_format writes: UTC, milliseconds, Z. */
	if (sscanf(s, "%4d-%2d-%2dT%2d:%2d:%2d.%3dZ%n", &y, &mo, &d, &h, &mi, &sec, &frac, &end) != 7 ||
	    end != 24 || s[end] != '\0')
		return -1;
	tm.tm_year = y - 1900;
	tm.tm_mon = mo - 1;
	tm.tm_mday = d;
	tm.tm_hour = h;
	tm.tm_min = mi;
	tm.tm_sec = sec;
	t = timegm(&tm);
	/* timegm normalizes 2026-02-30 to March: refuse what does not round-trip. */
	if (t < 0 || !gmtime_r(&t, &back) || back.tm_year != tm.tm_year || back.tm_mon != tm.tm_mon ||
	    back.tm_mday != d || back.tm_hour != h || back.tm_min != mi || back.tm_sec != sec)
		return -1;
	*ms = (int64_t)t * 1000 + frac;
	return 0;
}

int64_t vpnsip_cdr_duration_s(const struct vpnsip_cdr *r)
{
	/* Answer to end, whole seconds (what the log line and show print). */
	if (!r->answer_ms || r->end_ms < r->answer_ms)
		return 0;
	return (r->end_ms - r->answer_ms) / 1000;
}

static struct json_object *time_value(int64_t ms)
{
	char buf[40];

	if (!ms || vpnsip_cdr_time_format(ms, buf, sizeof(buf)) < 0)
		return NULL; /* JSON null */
	return json_object_new_string(buf);
}

char *vpnsip_cdr_encode(const struct vpnsip_cdr *r)
{
	struct json_object *o = json_object_new_object();
	char *line;

	json_object_object_add(o, "tunnel", json_object_new_string(r->tunnel));
	json_object_object_add(o, "direction", json_object_new_string(r->outgoing ? "outgoing" : "incoming"));
	json_object_object_add(o, "local_number", json_object_new_string(r->local));
	json_object_object_add(o, "remote_number", json_object_new_string(r->remote));
	json_object_object_add(o, "call_id", json_object_new_string(r->call_id));
	json_object_object_add(o, "start", time_value(r->start_ms));
	json_object_object_add(o, "answer", time_value(r->answer_ms));
	json_object_object_add(o, "end", time_value(r->end_ms));
	json_object_object_add(o, "duration", json_object_new_int64(vpnsip_cdr_duration_s(r)));
	json_object_object_add(o, "bytes_in", json_object_new_uint64(r->bytes_in));
	json_object_object_add(o, "bytes_out", json_object_new_uint64(r->bytes_out));
	json_object_object_add(o, "cause", json_object_new_string(r->cause));
	line = xstrdup(json_object_to_json_string_ext(o, JSON_C_TO_STRING_PLAIN |
							  JSON_C_TO_STRING_NOSLASHESCAPE));
	json_object_put(o);
	return line;
}

static bool get_str(struct json_object *o, const char *key, char *dst, size_t n, bool required)
{
	struct json_object *v;
	const char *s;

	if (!json_object_object_get_ex(o, key, &v)) {
		dst[0] = '\0';
		return !required;
	}
	if (!json_object_is_type(v, json_type_string))
		return false;
	s = json_object_get_string(v);
	/* Longer than we ever write, or with a NUL inside: not our record. */
	if ((size_t)json_object_get_string_len(v) >= n || strlen(s) != (size_t)json_object_get_string_len(v))
		return false;
	memcpy(dst, s, strlen(s) + 1);
	return true;
}

static bool get_time(struct json_object *o, const char *key, int64_t *ms, bool nullable)
{
	struct json_object *v;

	*ms = 0;
	if (!json_object_object_get_ex(o, key, &v))
		return false;
	if (!v)
		return nullable;
	return json_object_is_type(v, json_type_string) &&
	       vpnsip_cdr_time_parse(json_object_get_string(v), ms) == 0 && *ms > 0;
}

static bool get_count(struct json_object *o, const char *key, uint64_t *n)
{
	struct json_object *v;

	if (!json_object_object_get_ex(o, key, &v) || !json_object_is_type(v, json_type_int))
		return false;
	/* json-c keeps a negative number signed: no wrap to a huge count. */
	if (json_object_get_int64(v) < 0)
		return false;
	*n = json_object_get_uint64(v);
	return true;
}

int vpnsip_cdr_decode(const char *line, struct vpnsip_cdr *r)
{
	size_t len = strlen(line);
	struct json_tokener *tok;
	struct json_object *o;
	char dir[16];
	bool ok;

	memset(r, 0, sizeof(*r));
	if (len == 0 || len > CDR_LINE_MAX)
		return -1;
	tok = json_tokener_new();
	o = json_tokener_parse_ex(tok, line, (int)len);
	/* One complete object and nothing after it (a cut line never parses). */
	ok = o && json_tokener_get_error(tok) == json_tokener_success &&
	     json_tokener_get_parse_end(tok) == len && json_object_is_type(o, json_type_object);
	json_tokener_free(tok);
	ok = ok && get_str(o, "tunnel", r->tunnel, sizeof(r->tunnel), true) && r->tunnel[0] &&
	     get_str(o, "direction", dir, sizeof(dir), true) &&
	     (strcmp(dir, "outgoing") == 0 || strcmp(dir, "incoming") == 0) &&
	     get_str(o, "local_number", r->local, sizeof(r->local), false) &&
	     get_str(o, "remote_number", r->remote, sizeof(r->remote), true) &&
	     get_str(o, "call_id", r->call_id, sizeof(r->call_id), true) &&
	     get_time(o, "start", &r->start_ms, false) && get_time(o, "answer", &r->answer_ms, true) &&
	     get_time(o, "end", &r->end_ms, false) && get_count(o, "bytes_in", &r->bytes_in) &&
	     get_count(o, "bytes_out", &r->bytes_out) &&
	     get_str(o, "cause", r->cause, sizeof(r->cause), true);
	if (ok)
		r->outgoing = strcmp(dir, "outgoing") == 0;
	json_object_put(o);
	if (!ok)
		memset(r, 0, sizeof(*r));
	return ok ? 0 : -1;
}

/* ---- billing totals --------------------------------------------------------- */

void vpnsip_cdr_summary_init(struct vpnsip_cdr_summary *s)
{
	memset(s, 0, sizeof(*s));
	hashmap_init(&s->days, false);
	hashmap_init(&s->months, false);
}

static void total_add(struct hashmap *m, const struct vpnsip_cdr *r, const char *period)
{
	char key[VPNSIP_NUMBER_MAX + 16];
	struct vpnsip_cdr_total *t;

	snprintf(key, sizeof(key), "%s %s", r->remote, period);
	t = hashmap_get(m, key);
	if (!t) {
		t = xcalloc(1, sizeof(*t));
		snprintf(t->remote, sizeof(t->remote), "%s", r->remote);
		snprintf(t->period, sizeof(t->period), "%s", period);
		hashmap_put(m, key, t);
	}
	t->calls++;
	if (r->answer_ms) {
		t->answered++;
		t->seconds += vpnsip_cdr_duration_s(r);
	}
}

void vpnsip_cdr_summary_add(struct vpnsip_cdr_summary *s, const struct vpnsip_cdr *r)
{
	/* A call counts whole on the UTC day (and month) it was answered, as
	 * a carrier's bill does; an unanswered one on the day it started. */
	time_t t = (time_t)((r->answer_ms ? r->answer_ms : r->start_ms) / 1000);
	struct tm tm;
	char day[16], month[16];

	if (!gmtime_r(&t, &tm))
		return;
	strftime(day, sizeof(day), "%Y-%m-%d", &tm);
	strftime(month, sizeof(month), "%Y-%m", &tm);
	total_add(&s->days, r, day);
	total_add(&s->months, r, month);
}

static int cmp_totals(const void *a, const void *b)
{
	const struct vpnsip_cdr_total *x = *(void *const *)a, *y = *(void *const *)b;
	int c = strcmp(x->remote, y->remote);
	return c ? c : strcmp(x->period, y->period);
}

struct vpnsip_cdr_total **vpnsip_cdr_summary_sorted(const struct vpnsip_cdr_summary *s, bool months,
						     size_t *n)
{
	struct vpnsip_cdr_total **v =
		(struct vpnsip_cdr_total **)hashmap_values(months ? &s->months : &s->days, n);

	if (*n)
		qsort(v, *n, sizeof(*v), cmp_totals);
	return v;
}

static void totals_free(struct hashmap *m)
{
	size_t n;
	void **v = hashmap_values(m, &n);

	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
	hashmap_clear(m);
}

void vpnsip_cdr_summary_free(struct vpnsip_cdr_summary *s)
{
	totals_free(&s->days);
	totals_free(&s->months);
}

/* ---- the file ------------------------------------------------------------- */

/* Every well-formed line of path, oldest first; bad lines are counted (the
 * first one's number kept), never fatal.  Returns -1 if it cannot be read. */
static int file_each(const char *path, void (*fn)(const struct vpnsip_cdr *r, void *arg), void *arg,
		     unsigned *bad, unsigned *first_bad)
{
	FILE *f = fopen(path, "re");
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	unsigned lineno = 0;
	struct vpnsip_cdr r;

	if (!f)
		return -1;
	while ((len = getline(&line, &cap, f)) >= 0) {
		lineno++;
		if (len > 0 && line[len - 1] == '\n')
			line[--len] = '\0';
		if (len == 0)
			continue; /* the newline a restart adds after a cut line */
		if ((size_t)len != strlen(line) || vpnsip_cdr_decode(line, &r) < 0) {
			if (!(*bad)++)
				*first_bad = lineno;
			continue;
		}
		fn(&r, arg);
	}
	free(line);
	fclose(f);
	return 0;
}

static void ring_push(const struct vpnsip_cdr *r, void *arg)
{
	C.ring[C.next] = *r;
	C.next = (C.next + 1) % VPNSIP_CDR_KEEP;
	if (C.count < VPNSIP_CDR_KEEP)
		C.count++;
}

const struct vpnsip_cdr *vpnsip_cdr_get(size_t i)
{
	/* i = 0: the oldest kept. */
	if (i >= C.count)
		return NULL;
	return &C.ring[(C.next + VPNSIP_CDR_KEEP - C.count + i) % VPNSIP_CDR_KEEP];
}

static char *rotated_name(unsigned i)
{
	return i ? xasprintf("%s.%u", C.path, i) : xstrdup(C.path);
}

static void sync_fire(struct ev_timer *t, void *arg)
{
	C.sync_timer = NULL; /* fired: the loop frees it */
	if (C.fd >= 0 && fdatasync(C.fd) < 0)
		log_msg("VPN_SIP", SEV_ERR, "CDR_FILE", "Call history %s: fdatasync: %s", C.path,
			strerror(errno));
}

static void file_close(void)
{
	if (C.sync_timer)
		ev_timer_del(C.sync_timer);
	C.sync_timer = NULL;
	if (C.fd >= 0) {
		fdatasync(C.fd);
		close(C.fd);
	}
	C.fd = -1;
}

static int file_open(void)
{
	struct stat st;
	char last;

	C.fd = open(C.path, O_WRONLY | O_APPEND | O_CREAT | O_CLOEXEC | O_NOFOLLOW, 0600);
	if (C.fd < 0 || fstat(C.fd, &st) < 0) {
		log_msg("VPN_SIP", SEV_ERR, "CDR_FILE", "Call history %s: %s: calls are kept in memory only",
			C.path, strerror(errno));
		file_close();
		return -1;
	}
	C.size = st.st_size;
	/* A crash cut the last line: end it, or the next record would be glued
	 * to it and lost with it. */
	if (C.size > 0) {
		int rfd = open(C.path, O_RDONLY | O_CLOEXEC | O_NOFOLLOW);
		if (rfd >= 0 && pread(rfd, &last, 1, C.size - 1) == 1 && last != '\n' &&
		    write(C.fd, "\n", 1) == 1)
			C.size++;
		if (rfd >= 0)
			close(rfd);
	}
	return 0;
}

static void file_rotate(void)
{
	file_close();
	for (unsigned i = VPNSIP_CDR_ROTATIONS; i > 0; i--) {
		char *from = rotated_name(i - 1), *to = rotated_name(i);
		if (rename(from, to) < 0 && errno != ENOENT)
			log_msg("VPN_SIP", SEV_ERR, "CDR_FILE", "Call history: rename %s: %s", from,
				strerror(errno));
		free(from);
		free(to);
	}
	log_msg("VPN_SIP", SEV_NOTICE, "CDR_FILE", "Call history %s rotated (%u kept)", C.path,
		VPNSIP_CDR_ROTATIONS);
	file_open();
}

static void file_append(const struct vpnsip_cdr *r)
{
	char *json = vpnsip_cdr_encode(r);
	char *line = xasprintf("%s\n", json);
	size_t len = strlen(line);
	ssize_t n;

	free(json);
	if (C.fd >= 0 && C.size > 0 && C.size + (off_t)len > VPNSIP_CDR_ROTATE_BYTES)
		file_rotate();
	if (C.fd < 0 && file_open() < 0) {
		free(line);
		return;
	}
	/* Plain O_APPEND, not the atomic writer (which rewrites a whole file
	 * through a temporary one: a megabyte per call): one write() per
	 * record, so a crash leaves at most a cut last line (skipped at start).
	 * fdatasync follows within CDR_SYNC_MS, once for a burst of calls, so
	 * a thousand teardowns do not stall the event loop on the disk; the
	 * packet path (the data plane's threads) never waits for this. */
	do
		n = write(C.fd, line, len);
	while (n < 0 && errno == EINTR);
	if (n != (ssize_t)len) {
		if (!C.write_failed)
			log_msg("VPN_SIP", SEV_ERR, "CDR_FILE", "Call history %s: write: %s", C.path,
				n < 0 ? strerror(errno) : "short write");
		C.write_failed = true;
		if (n > 0) /* a part: end it, so the next record starts on its own line */
			(void)!write(C.fd, "\n", 1);
	} else {
		C.write_failed = false;
	}
	if (n > 0)
		C.size += n;
	if (!C.sync_timer && C.loop)
		C.sync_timer = ev_timer_add(C.loop, CDR_SYNC_MS, sync_fire, NULL);
	free(line);
}

void vpnsip_cdr_add(const struct vpnsip_cdr *r)
{
	char st[40] = "-", an[40] = "-", en[40] = "-";

	ring_push(r, NULL);
	if (r->start_ms)
		vpnsip_cdr_time_format(r->start_ms, st, sizeof(st));
	if (r->answer_ms)
		vpnsip_cdr_time_format(r->answer_ms, an, sizeof(an));
	if (r->end_ms)
		vpnsip_cdr_time_format(r->end_ms, en, sizeof(en));
	/* Always logged: this is what the carrier bills. */
	log_msg("VPN_SIP", SEV_INFO, "CDR",
		"%s %s %s call-id %s start %s answer %s end %s duration %lld s bytes in %llu out %llu cause %s",
		r->tunnel, r->outgoing ? "to" : "from", r->remote, r->call_id[0] ? r->call_id : "-", st, an,
		en, (long long)vpnsip_cdr_duration_s(r), (unsigned long long)r->bytes_in,
		(unsigned long long)r->bytes_out, r->cause);
	if (C.path)
		file_append(r);
}

/* Load one file into fn (its bad lines logged once for the file). */
static void load_file(unsigned rotation, void (*fn)(const struct vpnsip_cdr *r, void *arg), void *arg,
		      bool log_bad, unsigned *bad_total)
{
	char *path = rotated_name(rotation);
	unsigned bad = 0, first_bad = 0;

	if (file_each(path, fn, arg, &bad, &first_bad) < 0 && errno != ENOENT && log_bad)
		log_msg("VPN_SIP", SEV_ERR, "CDR_FILE", "Call history %s: %s", path, strerror(errno));
	if (bad && log_bad)
		log_msg("VPN_SIP", SEV_WARNING, "CDR_FILE",
			"Call history %s: %u unreadable line(s) skipped (the first is line %u)", path, bad,
			first_bad);
	if (bad_total)
		*bad_total += bad;
	free(path);
}

void vpnsip_cdr_open(struct evloop *loop, const char *state_dir)
{
	if (C.path || !state_dir)
		return;
	C.loop = loop;
	C.path = xasprintf("%s/" VPNSIP_CDR_FILE, state_dir);
	/* The newest VPNSIP_CDR_KEEP: the previous file, then the current one. */
	load_file(1, ring_push, NULL, true, NULL);
	load_file(0, ring_push, NULL, true, NULL);
	file_open();
}

void vpnsip_cdr_close(void)
{
	file_close();
	free(C.path);
	C.path = NULL;
	C.loop = NULL;
	C.next = C.count = 0;
}

static void summary_add_cb(const struct vpnsip_cdr *r, void *arg)
{
	vpnsip_cdr_summary_add(arg, r);
}

unsigned vpnsip_cdr_summary_load(struct vpnsip_cdr_summary *s)
{
	unsigned bad = 0;

	if (!C.path) { /* no file: what memory holds */
		const struct vpnsip_cdr *r;
		for (size_t i = 0; (r = vpnsip_cdr_get(i)); i++)
			vpnsip_cdr_summary_add(s, r);
		return 0;
	}
	for (unsigned i = VPNSIP_CDR_ROTATIONS + 1; i-- > 0;)
		load_file(i, summary_add_cb, s, false, &bad);
	return bad;
}

/* ---- the running daemon ----------------------------------------------------- */

int vpnsip_cdr_start(struct evloop *loop, struct config_env *env)
{
	vpnsip_cdr_open(loop, env->state_dir);
	return 0;
}

/* ---- a session's call ------------------------------------------------------ */

static int64_t wall_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_REALTIME, &ts);
	return (int64_t)ts.tv_sec * 1000 + ts.tv_nsec / 1000000;
}

static void tunnel_bytes(const char *tunnel, uint64_t *in, uint64_t *out)
{
	struct dataplane *dp = dataplane_get();
	struct dp_tunnel_stats st;

	*in = *out = 0;
	if (dp && dp->tunnel_stats && dp->tunnel_stats(dp, tunnel, &st) == 0) {
		*in = st.bytes_in;
		*out = st.bytes_out;
	}
}

void vpnsip_cdr_call_started(struct vpnsip_session *s)
{
	s->cdr_start = wall_ms();
}

void vpnsip_cdr_call_answered(struct vpnsip_session *s)
{
	s->cdr_answer = wall_ms();
	tunnel_bytes(s->tunnel, &s->bytes_in0, &s->bytes_out0);
}

void vpnsip_cdr_call_refused(const char *tunnel, const char *local, const char *remote,
			     const char *call_id, const char *cause)
{
	struct vpnsip_cdr r = { 0 };

	snprintf(r.tunnel, sizeof(r.tunnel), "%s", tunnel);
	snprintf(r.local, sizeof(r.local), "%s", local);
	snprintf(r.remote, sizeof(r.remote), "%s", remote);
	snprintf(r.call_id, sizeof(r.call_id), "%s", call_id);
	snprintf(r.cause, sizeof(r.cause), "%s", cause);
	r.start_ms = r.end_ms = wall_ms();
	vpnsip_cdr_add(&r);
}

void vpnsip_cdr_call_ended(const struct vpnsip_session *s)
{
	struct vpnsip_cdr r = { 0 };

	if (!s->cdr_start)
		return;
	snprintf(r.tunnel, sizeof(r.tunnel), "%s", s->tunnel);
	snprintf(r.local, sizeof(r.local), "%s", s->local_number ? s->local_number : "");
	snprintf(r.remote, sizeof(r.remote), "%s", s->remote_number);
	snprintf(r.call_id, sizeof(r.call_id), "%s", s->call_id);
	snprintf(r.cause, sizeof(r.cause), "%s", s->cause[0] ? s->cause : "normal");
	r.outgoing = s->initiator;
	r.start_ms = s->cdr_start;
	r.answer_ms = s->cdr_answer;
	r.end_ms = wall_ms();
	if (s->cdr_answer) {
		uint64_t in, out;
		tunnel_bytes(s->tunnel, &in, &out);
		r.bytes_in = in - s->bytes_in0;
		r.bytes_out = out - s->bytes_out0;
	}
	vpnsip_cdr_add(&r);
}
