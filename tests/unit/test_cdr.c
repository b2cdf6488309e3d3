/* The call-history file's line format (one JSON object per call) and the
 * billing totals of "show vpn-sip call-history summary". */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "harness.h"
#include "util/strbuf.h"
#include "util/xalloc.h"
#include "vpnsip/vpnsip_int.h"

/* 2026-12-07T23:59:50.250Z */
#define T0 1796687990250LL

static struct vpnsip_cdr sample(void)
{
	struct vpnsip_cdr r = { 0 };

	strcpy(r.tunnel, "Tunnel1");
	strcpy(r.local, "0311111111");
	strcpy(r.remote, "0322222222");
	strcpy(r.call_id, "9af4c0ffee@192.0.2.10");
	strcpy(r.cause, "idle timeout \"A\"/\\ \x01");
	r.outgoing = true;
	r.start_ms = T0;
	r.answer_ms = T0 + 3;
	r.end_ms = T0 + 61893;
	r.bytes_in = 336;
	r.bytes_out = 18446744073709551615ULL;
	return r;
}

TEST(cdr_time_format_and_parse)
{
	char buf[40];
	int64_t ms = 0;

	CHECK_INT(vpnsip_cdr_time_format(T0, buf, sizeof(buf)), 0);
	CHECK_STR(buf, "2026-12-07T23:59:50.250Z");
	CHECK_INT(vpnsip_cdr_time_parse(buf, &ms), 0);
	CHECK_INT(ms, T0);
	CHECK_INT(vpnsip_cdr_time_parse("2026-12-07T23:59:50.250", &ms), -1);    /* no zone */
	CHECK_INT(vpnsip_cdr_time_parse("2026-12-07T23:59:50.250+09:00", &ms), -1);
	CHECK_INT(vpnsip_cdr_time_parse("2026-02-30T00:00:00.000Z", &ms), -1);   /* no such day */
	CHECK_INT(vpnsip_cdr_time_parse("2026-12-07T23:59:50.250Zx", &ms), -1);
	CHECK_INT(vpnsip_cdr_time_parse("", &ms), -1);
}

TEST(cdr_line_round_trip)
{
	struct vpnsip_cdr r = sample(), back;
	char *line = vpnsip_cdr_encode(&r);

	CHECK(!strchr(line, '\n'));
	CHECK(strstr(line, "\"tunnel\":\"Tunnel1\""));
	CHECK(strstr(line, "\"direction\":\"outgoing\""));
	CHECK(strstr(line, "\"start\":\"2026-12-07T23:59:50.250Z\""));
	CHECK(strstr(line, "\"answer\":\"2026-12-07T23:59:50.253Z\""));
	CHECK(strstr(line, "\"end\":\"2026-12-08T00:00:52.143Z\""));
	CHECK(strstr(line, "\"duration\":61,"));
	CHECK(strstr(line, "\"bytes_out\":18446744073709551615"));
	CHECK_INT(vpnsip_cdr_decode(line, &back), 0);
	CHECK(memcmp(&r, &back, sizeof(r)) == 0);
	free(line);

	/* Never answered: answer is null, duration 0, incoming. */
	r.answer_ms = 0;
	r.outgoing = false;
	r.call_id[0] = '\0';
	line = vpnsip_cdr_encode(&r);
	CHECK(strstr(line, "\"answer\":null"));
	CHECK(strstr(line, "\"duration\":0,"));
	CHECK_INT(vpnsip_cdr_decode(line, &back), 0);
	CHECK(!back.outgoing && back.answer_ms == 0 && back.call_id[0] == '\0');
	CHECK_INT(vpnsip_cdr_duration_s(&back), 0);
	free(line);
}

TEST(cdr_decode_refuses_bad_lines)
{
	struct vpnsip_cdr r = sample(), back;
	char *line = vpnsip_cdr_encode(&r);
	size_t len = strlen(line);
	static const char *const bad[] = {
		"", "{", "null", "[]", "42", "{}", "garbage",
		"{\"tunnel\":\"Tunnel1\"}",
		/* a wrong type, a negative count, an unknown direction, a bad time */
		"{\"tunnel\":1,\"direction\":\"outgoing\",\"remote_number\":\"2\",\"call_id\":\"c\","
		"\"start\":\"2026-12-07T00:00:00.000Z\",\"answer\":null,\"end\":\"2026-12-07T00:00:01.000Z\","
		"\"bytes_in\":0,\"bytes_out\":0,\"cause\":\"x\"}",
		"{\"tunnel\":\"T\",\"direction\":\"outgoing\",\"remote_number\":\"2\",\"call_id\":\"c\","
		"\"start\":\"2026-12-07T00:00:00.000Z\",\"answer\":null,\"end\":\"2026-12-07T00:00:01.000Z\","
		"\"bytes_in\":-5,\"bytes_out\":0,\"cause\":\"x\"}",
		"{\"tunnel\":\"T\",\"direction\":\"sideways\",\"remote_number\":\"2\",\"call_id\":\"c\","
		"\"start\":\"2026-12-07T00:00:00.000Z\",\"answer\":null,\"end\":\"2026-12-07T00:00:01.000Z\","
		"\"bytes_in\":0,\"bytes_out\":0,\"cause\":\"x\"}",
		"{\"tunnel\":\"T\",\"direction\":\"outgoing\",\"remote_number\":\"2\",\"call_id\":\"c\","
		"\"start\":\"yesterday\",\"answer\":null,\"end\":\"2026-12-07T00:00:01.000Z\","
		"\"bytes_in\":0,\"bytes_out\":0,\"cause\":\"x\"}",
		/* a remote number longer than any we keep */
		"{\"tunnel\":\"T\",\"direction\":\"outgoing\",\"remote_number\":"
		"\"0123456789012345678901234567890123456789\",\"call_id\":\"c\","
		"\"start\":\"2026-12-07T00:00:00.000Z\",\"answer\":null,\"end\":\"2026-12-07T00:00:01.000Z\","
		"\"bytes_in\":0,\"bytes_out\":0,\"cause\":\"x\"}",
	};

	for (size_t i = 0; i < sizeof(bad) / sizeof(bad[0]); i++)
		if (vpnsip_cdr_decode(bad[i], &back) != -1)
			harness_fail(__FILE__, __LINE__, "accepted: %s", bad[i]);
	/* Every cut of a good line (a crash mid-write) is refused. */
	for (size_t cut = 0; cut < len; cut++) {
		char *part = xstrdup(line);
		part[cut] = '\0';
		if (vpnsip_cdr_decode(part, &back) != -1)
			harness_fail(__FILE__, __LINE__, "cut at %zu accepted: %s", cut, part);
		free(part);
	}
	/* Trailing garbage after the object. */
	char *glued = xasprintf("%s%s", line, line);
	CHECK_INT(vpnsip_cdr_decode(glued, &back), -1);
	free(glued);
	free(line);
}

static struct vpnsip_cdr call(const char *remote, int64_t answer_ms, int64_t seconds)
{
	struct vpnsip_cdr r = { 0 };

	strcpy(r.tunnel, "Tunnel1");
	snprintf(r.remote, sizeof(r.remote), "%s", remote);
	r.start_ms = answer_ms ? answer_ms - 500 : T0;
	r.answer_ms = answer_ms;
	r.end_ms = (answer_ms ? answer_ms : T0) + seconds * 1000 + 999; /* the 999 ms are not billed */
	return r;
}

static const struct vpnsip_cdr_total *find(struct vpnsip_cdr_total **v, size_t n, const char *remote,
					   const char *period)
{
	for (size_t i = 0; i < n; i++)
		if (!strcmp(v[i]->remote, remote) && !strcmp(v[i]->period, period))
			return v[i];
	return NULL;
}

TEST(cdr_summary_per_day_and_month)
{
	struct vpnsip_cdr_summary s;
	struct vpnsip_cdr_total **days, **months;
	const struct vpnsip_cdr_total *t;
	size_t nd, nm;
	/* T0 is 2026-12-07 23:59:50.250 UTC; the next day starts 9.75 s later. */
	struct vpnsip_cdr calls[] = {
		call("200", T0, 61),                       /* answered on the 7th, ends on the 8th */
		call("200", T0 + 10 * 1000, 30),           /* the 8th */
		call("200", T0 + 10 * 1000 + 3600000, 3600), /* the 8th */
		call("200", 0, 0),                         /* never answered: started on the 7th */
		call("300", T0 - 7LL * 86400 * 1000, 5),   /* 2026-11-30 */
		call("300", T0 + 30LL * 86400 * 1000, 7),  /* 2027-01-06 */
	};

	vpnsip_cdr_summary_init(&s);
	for (size_t i = 0; i < sizeof(calls) / sizeof(calls[0]); i++)
		vpnsip_cdr_summary_add(&s, &calls[i]);
	days = vpnsip_cdr_summary_sorted(&s, false, &nd);
	months = vpnsip_cdr_summary_sorted(&s, true, &nm);
	CHECK_INT(nd, 4);
	CHECK_INT(nm, 3);
	/* Sorted by number, then period. */
	CHECK_STR(days[0]->remote, "200");
	CHECK_STR(days[0]->period, "2026-12-07");
	CHECK_STR(days[1]->period, "2026-12-08");
	CHECK_STR(days[2]->period, "2026-11-30");
	CHECK_STR(days[3]->period, "2027-01-06");
	t = find(days, nd, "200", "2026-12-07");
	CHECK(t && t->calls == 2 && t->answered == 1 && t->seconds == 61);
	t = find(days, nd, "200", "2026-12-08");
	CHECK(t && t->calls == 2 && t->answered == 2 && t->seconds == 3630);
	t = find(months, nm, "200", "2026-12");
	CHECK(t && t->calls == 4 && t->answered == 3 && t->seconds == 3691);
	t = find(months, nm, "300", "2026-11");
	CHECK(t && t->calls == 1 && t->seconds == 5);
	t = find(months, nm, "300", "2027-01");
	CHECK(t && t->calls == 1 && t->seconds == 7);
	free(days);
	free(months);
	vpnsip_cdr_summary_free(&s);
}

TEST(cdr_duration_never_negative)
{
	struct vpnsip_cdr r = call("200", T0, 10);

	r.end_ms = r.answer_ms - 5000; /* the wall clock stepped back */
	CHECK_INT(vpnsip_cdr_duration_s(&r), 0);
}

static char *slurp(const char *path)
{
	FILE *f = fopen(path, "r");
	struct strbuf sb = STRBUF_INIT;
	int c;

	if (!f)
		return NULL;
	while ((c = fgetc(f)) != EOF)
		sb_putc(&sb, (char)c);
	fclose(f);
	return sb_steal(&sb);
}

static void spit(const char *path, const char *text)
{
	FILE *f = fopen(path, "w");

	fputs(text, f);
	fclose(f);
}

static size_t kept(void)
{
	size_t n = 0;

	while (vpnsip_cdr_get(n))
		n++;
	return n;
}

/* The file: read back at open, bad and cut lines skipped (never fatal), a
 * cut last line ended before the next record, rotation past the size. */
TEST(cdr_file_reload_and_rotate)
{
	char dir[] = "/tmp/vpnsip-cdr-XXXXXX";
	struct vpnsip_cdr r = sample(), r2 = sample();
	char *good, *path, *text, *rot, *big;
	size_t len;

	CHECK(mkdtemp(dir) != NULL);
	path = xasprintf("%s/%s", dir, VPNSIP_CDR_FILE);
	rot = xasprintf("%s.1", path);
	good = vpnsip_cdr_encode(&r);
	len = strlen(good);
	/* good, garbage, an unfinished object, good, and a line cut by a crash */
	text = xasprintf("%s\nnot json\n{\"tunnel\":\n%s\n%.*s", good, good, (int)(len / 2), good);
	spit(path, text);
	free(text);

	vpnsip_cdr_open(NULL, dir);
	CHECK_INT(kept(), 2);
	CHECK_STR(vpnsip_cdr_get(0)->call_id, r.call_id);
	strcpy(r2.call_id, "second@192.0.2.20");
	vpnsip_cdr_add(&r2);
	CHECK_INT(kept(), 3);
	vpnsip_cdr_close();
	CHECK_INT(kept(), 0);

	/* The cut line was ended: the new record is a line of its own. */
	text = slurp(path);
	CHECK(text && text[strlen(text) - 1] == '\n');
	CHECK(text && strstr(text, "\n{\"tunnel\":\"Tunnel1\"") != NULL);
	free(text);
	vpnsip_cdr_open(NULL, dir);
	CHECK_INT(kept(), 3);
	CHECK_STR(vpnsip_cdr_get(2)->call_id, "second@192.0.2.20");
	vpnsip_cdr_close();

	/* Past VPNSIP_CDR_ROTATE_BYTES: the file becomes FILE.1, the new
	 * record starts a new file; both are read back (older first). */
	big = xcalloc(1, VPNSIP_CDR_ROTATE_BYTES + len + 2);
	for (size_t off = 0; off + len + 1 <= VPNSIP_CDR_ROTATE_BYTES; off += len + 1)
		sprintf(big + off, "%s\n", good);
	spit(path, big);
	vpnsip_cdr_open(NULL, dir);
	CHECK_INT(kept(), VPNSIP_CDR_KEEP);
	vpnsip_cdr_add(&r2);
	vpnsip_cdr_close();
	text = slurp(path);
	CHECK(text && strchr(text, '\n') == text + strlen(text) - 1); /* one line */
	CHECK(text && strstr(text, "second@192.0.2.20"));
	free(text);
	text = slurp(rot);
	CHECK(text && strlen(text) == strlen(big));
	free(text);
	vpnsip_cdr_open(NULL, dir);
	CHECK_INT(kept(), VPNSIP_CDR_KEEP);
	CHECK_STR(vpnsip_cdr_get(VPNSIP_CDR_KEEP - 1)->call_id, "second@192.0.2.20");
	/* The summary reads the file and its rotation. */
	struct vpnsip_cdr_summary s;
	struct vpnsip_cdr_total **m;
	size_t n, lines = strlen(big) / (len + 1);
	vpnsip_cdr_summary_init(&s);
	CHECK_INT(vpnsip_cdr_summary_load(&s), 0);
	m = vpnsip_cdr_summary_sorted(&s, true, &n);
	CHECK_INT(n, 1);
	CHECK(n == 1 && m[0]->calls == lines + 1 && m[0]->seconds == 61 * (int64_t)(lines + 1));
	free(m);
	vpnsip_cdr_summary_free(&s);
	vpnsip_cdr_close();

	free(big);
	free(good);
	unlink(path);
	unlink(rot);
	rmdir(dir);
	free(path);
	free(rot);
}
