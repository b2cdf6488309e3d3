/* The filter of "debug vpn-sip sip messages": the digest response of an
 * Authorization or Proxy-Authorization header never reaches the log, on
 * any line of the header, in the forms RFC 3261 25.1 allows (LWS before
 * ':' and around '=', folded lines, escaped quotes), raw and as sofia-sip's
 * message dump indents them. */
#include <stdlib.h>
#include <string.h>

#include <sofia-sip/su_log.h>

#include "harness.h"
#include "log/log.h"
#include "sip/sip.h"
#include "sip/sip_int.h"
#include "util/hook.h"
#include "util/xalloc.h"

#define SECRET "0123456789abcdef0123456789abcdef"

/* The lines of one message head through one redaction state. */
static char *redact_all(const char *const *lines, const char *indent)
{
	struct sip_redact st = { 0 };
	struct strbuf sb = STRBUF_INIT;

	for (size_t i = 0; lines[i]; i++) {
		char *shown = xasprintf("%s%s", indent, lines[i]);
		char *red = sip_redact_line(shown, &st);
		sb_puts(&sb, red);
		sb_putc(&sb, '\n');
		free(red);
		free(shown);
	}
	return sb_steal(&sb);
}

static void check_head(const char *const *lines, const char *must_keep)
{
	static const char *const indents[] = { "", "   " };

	for (size_t i = 0; i < 2; i++) {
		char *out = redact_all(lines, indents[i]);
		if (strstr(out, SECRET))
			harness_fail(__FILE__, __LINE__, "the response survives:\n%s", out);
		if (must_keep && !strstr(out, must_keep))
			harness_fail(__FILE__, __LINE__, "'%s' went too:\n%s", must_keep, out);
		free(out);
	}
}

TEST(response_removed_on_one_line)
{
	const char *const head[] = {
		"REGISTER sip:ngn.example.net SIP/2.0",
		"Authorization: Digest username=\"0311111111\", realm=\"ngn.example.net\", "
		"nonce=\"n1\", uri=\"sip:ngn.example.net\", response=\"" SECRET "\", qop=auth",
		"Content-Length: 0", NULL,
	};
	check_head(head, "username=\"0311111111\"");
	check_head(head, "qop=auth");
}

TEST(response_removed_with_lws)
{
	const char *const colon[] = { "authorization : Digest response=\"" SECRET "\"", NULL };
	const char *const equal[] = { "Proxy-Authorization: Digest RESPONSE = \"" SECRET "\"", NULL };
	const char *const token[] = { "Authorization: Digest response=" SECRET ", nc=1", NULL };
	const char *const escaped[] = { "Authorization: Digest response=\"x\\\"" SECRET "\"", NULL };
	check_head(colon, "Digest");
	check_head(equal, "Digest");
	check_head(token, "nc=1");
	check_head(escaped, NULL);
}

TEST(response_removed_on_folded_lines)
{
	const char *const value_folded[] = {
		"Proxy-Authorization: Digest username=\"0322222222\", realm=\"ngn.example.net\",",
		" nonce=\"abcdef\", uri=\"sip:0311111111@192.0.2.1\",",
		" response=\"" SECRET "\", algorithm=MD5",
		"Content-Type: application/sdp", NULL,
	};
	const char *const split_at_equal[] = {
		"Authorization: Digest username=\"u\", response", "\t=", "  \"" SECRET "\"", NULL,
	};
	const char *const inside_quotes[] = {
		"Authorization: Digest response=\"0123", " " SECRET "\"", "Via: SIP/2.0/UDP x", NULL,
	};
	const char *const colon_folded[] = {
		"Proxy-Authorization", "\t: Digest username=\"u\",", " response=\"" SECRET "\"", NULL,
	};
	check_head(value_folded, "Content-Type: application/sdp");
	check_head(colon_folded, NULL);
	check_head(split_at_equal, NULL);
	check_head(inside_quotes, "Via: SIP/2.0/UDP x");
}

TEST(shown_as_before)
{
	struct sip_redact st = { 0 };
	char *out = sip_redact_line("Authorization: Digest username=\"u\", response=\"" SECRET
				    "\", nc=00000001", &st);

	CHECK_STR(out, "Authorization: Digest username=\"u\", response=<removed>, nc=00000001");
	free(out);
}

TEST(other_headers_untouched)
{
	struct sip_redact st = { 0 };
	char *out = sip_redact_line("Subject: response=\"" SECRET "\"", &st);

	CHECK_STR(out, "Subject: response=\"" SECRET "\"");
	free(out);
	/* a continuation of another header after an Authorization one */
	free(sip_redact_line("Authorization: Digest response=\"1\"", &st));
	out = sip_redact_line("To: <sip:x@example.net>", &st);
	CHECK_STR(out, "To: <sip:x@example.net>");
	free(out);
	out = sip_redact_line(" response=\"" SECRET "\"", &st);
	CHECK_STR(out, " response=\"" SECRET "\"");
	free(out);
}

/* ---- what the debug flags let through (sofia-sip's logs, redirected) ---- */

extern su_log_t nua_log[], nta_log[], tport_log[];

static struct strbuf seen = STRBUF_INIT;

static void capture(const char *line, enum log_severity sev, void *arg)
{
	sb_printf(&seen, "%s\n", line);
}

static void debug_lines_start(void)
{
	struct log_settings s;

	log_get_settings(&s);
	s.monitor = true;
	s.monitor_level = SEV_DEBUG;
	log_set_settings(&s);
	hook_register(log_monitor, capture, NULL, HOOK_PRIO_DEFAULT);
	sb_reset(&seen);
	sip_debug_register(); /* so that debug_all_off() reaches the flags */
	debug_all_off();
	sip_log_init();
}

static void debug_lines_end(void)
{
	sip_log_fini();
	debug_all_off();
	hook_unregister(log_monitor, capture, NULL);
}

#define SEP "   ------------------------------------------------------------------------\n"

/* A message as sofia-sip's transport dumps it (TPTAG_LOG). */
static void dump(const char *what, const char *const *lines)
{
	su_log("%s 300 bytes to udp/[192.0.2.1]:5060 at 00:00:00.000000:\n", what);
	su_log(SEP);
	for (size_t i = 0; lines[i]; i++)
		su_log("   %s\n", lines[i]);
	su_log(SEP);
}

static const char *const register_msg[] = {
	"REGISTER sip:ngn.example.net SIP/2.0",
	"Authorization: Digest username=\"0311111111\", response=\"" SECRET "\"",
	"CSeq: 2 REGISTER", "Content-Length: 0", NULL,
};
static const char *const invite_msg[] = {
	"INVITE sip:0322222222@ngn.example.net SIP/2.0", "CSeq: 7 INVITE", "Content-Length: 0", NULL,
};
static const char *const options_answer[] = {
	"SIP/2.0 200 OK", "CSeq: 5 OPTIONS", "Content-Length: 0", NULL,
};
static const char *const bye_answer[] = {
	"SIP/2.0 200 OK", "CSeq: 8 BYE", "Content-Length: 0", NULL,
};

static void dump_all(void)
{
	dump("send", register_msg);
	dump("send", invite_msg);
	dump("recv", options_answer);
	dump("recv", bye_answer);
}

TEST(non_call_shows_messages_outside_calls_only)
{
	debug_lines_start();
	debug_set(&sip_debug_non_call, true);
	dump_all();
	const char *out = sb_str(&seen);
	CHECK(strstr(out, "SIP msg: send 300 bytes to udp/[192.0.2.1]:5060"));
	CHECK(strstr(out, "SIP msg:    REGISTER sip:ngn.example.net SIP/2.0"));
	CHECK(strstr(out, "SIP msg:    Authorization: Digest username=\"0311111111\", "
			  "response=<removed>"));
	CHECK(strstr(out, "SIP msg:    CSeq: 2 REGISTER\n"));
	CHECK(strstr(out, "SIP msg:    Content-Length: 0"));
	CHECK(strstr(out, "SIP msg:    CSeq: 5 OPTIONS"));
	CHECK(!strstr(out, "INVITE"));
	CHECK(!strstr(out, "BYE"));
	CHECK(!strstr(out, SECRET));
	debug_lines_end();
}

TEST(messages_show_every_message)
{
	debug_lines_start();
	debug_set(&sip_debug_messages, true);
	debug_set(&sip_debug_non_call, true);
	dump_all();
	const char *out = sb_str(&seen);
	CHECK(strstr(out, "SIP msg:    CSeq: 2 REGISTER"));
	CHECK(strstr(out, "SIP msg:    INVITE sip:0322222222@ngn.example.net SIP/2.0"));
	CHECK(strstr(out, "SIP msg:    CSeq: 8 BYE"));
	CHECK(!strstr(out, SECRET));
	debug_lines_end();
}

TEST(no_flag_no_message)
{
	debug_lines_start();
	dump_all();
	CHECK_INT(seen.len, 0);
	debug_lines_end();
}

TEST(info_and_verbose_raise_sofia_levels)
{
	debug_lines_start();
	CHECK_INT(nua_log->log_level, 0);
	CHECK_INT(tport_log->log_level, 0);
	debug_set(&sip_debug_info, true);
	sip_log_levels_update();
	CHECK_INT(nua_log->log_level, 3);
	CHECK_INT(tport_log->log_level, 3);
	CHECK_INT(nta_log->log_level, 5); /* nta never below 5 (malformed requests) */
	debug_set(&sip_debug_verbose, true);
	sip_log_levels_update();
	CHECK_INT(nua_log->log_level, 9);
	CHECK_INT(tport_log->log_level, 9);
	CHECK_INT(nta_log->log_level, 9);
	debug_all_off();
	sip_log_levels_update();
	CHECK_INT(nua_log->log_level, 0);
	CHECK_INT(nta_log->log_level, 5);
	debug_lines_end();
}

TEST(verbose_keeps_the_password_out)
{
	debug_lines_start();
	debug_set(&sip_debug_verbose, true);
	sip_log_levels_update();
	sip_log_set_secret("Pa55word!x");
	su_llog(nua_log, 9, "nua: tags: NUTAG_AUTH(\"Digest:ngn:0311111111:%s\")\n", "Pa55word!x");
	CHECK(strstr(sb_str(&seen), "sofia nua: nua: tags: NUTAG_AUTH(\"Digest:ngn:0311111111:"));
	CHECK(!strstr(sb_str(&seen), "Pa55word!x"));
	debug_lines_end();
}
