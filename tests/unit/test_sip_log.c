/* The filter of "debug vpn-sip sip messages": the digest response of an
 * Authorization or Proxy-Authorization header never reaches the log, on
 * any line of the header, in the forms RFC 3261 25.1 allows (LWS before
 * ':' and around '=', folded lines, escaped quotes), raw and as sofia-sip's
 * message dump indents them. */
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "sip/sip_int.h"
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
