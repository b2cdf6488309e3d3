/* The RFC 6193 / TS-1017 SDP unit: parser, the 488 rules, the writer.
 * Inputs are the TS-1017 Appendix II messages (II.1.1 password/certificate,
 * II.1.2 pre-shared key; the PDF's line breaks inside the digests removed)
 * and the RFC 6193 example, plus malformed variants. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "harness.h"
#include "sip/sdp.h"
#include "sip/sip.h"
#include "util/xalloc.h"

/* TS-1017 II.1.2 F1: the VPN client's offer (pre-shared key).  Its IPv6
 * address has seven groups (a typo of the TS, kept: it must still parse). */
static const char ts_psk_offer[] =
	"v=0\r\n"
	"o=- 82664419472 82664419472 IN IP6 2001:db8:1234:5678:48ff:fe01:1\r\n"
	"s=-\r\n"
	"c=IN IP6 2001:db8:1234:5678:48ff:fe01:1\r\n"
	"t=0 0\r\n"
	"m=application 4500 udp ike-esp-udpencap\r\n"
	"b=AS:1000\r\n"
	"a=ike-setup:active\r\n"
	"a=psk-fingerprint:SHA-1 F5:02:66:86:6B:94:DC:37:C9:1E:2F:08:53:9A:00:F9:24:CA:9D:86\r\n";

/* TS-1017 II.1.1 F6: the VPN server's answer (certificate), as relayed
 * by the NGN (port 11111). */
static const char ts_cert_answer[] =
	"v=0\r\n"
	"o=- 82917391739 82917391739 IN IP6 2001:db8::11\r\n"
	"s=-\r\n"
	"c=IN IP6 2001:db8::11\r\n"
	"t=0 0\r\n"
	"m=application 11111 udp ike-esp-udpencap\r\n"
	"b=AS:1000\r\n"
	"a=ike-setup:passive\r\n"
	"a=fingerprint:SHA-1 52:B6:5D:FA:BF:8A:8A:DB:7B:78:49:21:2C:AB:86:71:DC:9D:1C:65\r\n";

/* The same offers with the lab's IPv4 addresses (what vpnsipd takes). */
static const char v4_psk_offer[] =
	"v=0\r\n"
	"o=- 82664419472 82664419472 IN IP4 192.0.2.12\r\n"
	"s=-\r\n"
	"c=IN IP4 192.0.2.12\r\n"
	"t=0 0\r\n"
	"m=application 50002 udp ike-esp-udpencap\r\n"
	"b=AS:512\r\n"
	"a=ike-setup:active\r\n"
	"a=psk-fingerprint:SHA-1 F5:02:66:86:6B:94:DC:37:C9:1E:2F:08:53:9A:00:F9:24:CA:9D:86\r\n";

/* RFC 6193 section 6 style: ike-esp (not UDP-encapsulated), LF endings. */
static const char rfc6193_offer[] =
	"v=0\n"
	"o=alice 2890844526 2890844526 IN IP4 192.0.2.1\n"
	"s=-\n"
	"c=IN IP4 192.0.2.1\n"
	"t=0 0\n"
	"m=application 500 udp ike-esp\n"
	"a=ike-setup:active\n"
	"a=fingerprint:SHA-1 4A:AD:B9:B1:3F:82:18:3B:54:02:12:DF:3E:5D:49:6B:19:E5:7C:AB\n";

static enum sdp_error parse(const char *s, struct sdp_ike *o)
{
	return sdp_parse(s, strlen(s), o);
}

/* Copy of base with the first occurrence of from replaced by to. */
static char *subst(const char *base, const char *from, const char *to)
{
	const char *p = strstr(base, from);
	size_t n = strlen(base) - strlen(from) + strlen(to) + 1;
	char *r = malloc(n);

	if (!p) {
		strcpy(r, base);
		return r;
	}
	memcpy(r, base, (size_t)(p - base));
	strcpy(r + (p - base), to);
	strcat(r, p + strlen(from));
	return r;
}

static int offer_rc(const char *text, enum sdp_fp_kind local, const char **why)
{
	struct sdp_ike o;
	if (parse(text, &o) != SDP_OK) {
		*why = "parse";
		return -1;
	}
	return sdp_check_offer(&o, local, SDP_ROLE_ACTIVE | SDP_ROLE_PASSIVE, why);
}

TEST(appendix2_psk_offer)
{
	struct sdp_ike o;
	char hex[200];

	CHECK_INT(parse(ts_psk_offer, &o), SDP_OK);
	CHECK_INT(o.nmedia, 1);
	CHECK_STR(o.media, "application");
	CHECK_STR(o.proto, "udp");
	CHECK_STR(o.fmt, "ike-esp-udpencap");
	CHECK_INT(o.port, 4500);
	CHECK_INT(o.af, 6);
	CHECK_STR(o.addr, "2001:db8:1234:5678:48ff:fe01:1");
	CHECK(o.has_bw);
	CHECK_INT(o.bw_kbps, 1000);
	CHECK_INT(o.setup, SDP_SETUP_ACTIVE);
	CHECK_INT(o.nfingerprints, 1);
	CHECK_INT(o.fp.kind, SDP_FP_PSK);
	CHECK_INT(o.fp.hash, SDP_HASH_SHA1);
	CHECK_INT(o.fp.len, 20);
	CHECK_STR(sdp_fp_hex(&o.fp, hex, sizeof(hex)),
		  "F5:02:66:86:6B:94:DC:37:C9:1E:2F:08:53:9A:00:F9:24:CA:9D:86");
	CHECK(o.sess_id == 82664419472ULL);
}

TEST(appendix2_cert_answer)
{
	struct sdp_ike o;
	const char *why = NULL;

	CHECK_INT(parse(ts_cert_answer, &o), SDP_OK);
	CHECK_INT(o.port, 11111);
	CHECK_INT(o.setup, SDP_SETUP_PASSIVE);
	CHECK_INT(o.fp.kind, SDP_FP_CERT);
	CHECK_INT(o.fp.digest[0], 0x52);
	CHECK_INT(o.fp.digest[19], 0x65);
	/* IPv6 media parses but VPN-SIP here is IPv4 only (Cisco restriction). */
	CHECK_INT(sdp_check_answer(&o, SDP_SETUP_ACTIVE, SDP_FP_CERT, &why), 488);
}

TEST(v4_offer_accepted_and_roles)
{
	struct sdp_ike o;
	const char *why = NULL;

	CHECK_INT(parse(v4_psk_offer, &o), SDP_OK);
	CHECK_INT(o.port, 50002);
	CHECK_STR(o.addr, "192.0.2.12");
	CHECK_INT(o.bw_kbps, 512);
	CHECK_INT(sdp_check_offer(&o, SDP_FP_PSK, SDP_ROLE_ACTIVE | SDP_ROLE_PASSIVE, &why), 0);
	CHECK_INT(sdp_answer_role(o.setup, 3), SDP_SETUP_PASSIVE);
	/* A responder-less UA cannot take an active offer. */
	CHECK_INT(sdp_check_offer(&o, SDP_FP_PSK, SDP_ROLE_ACTIVE, &why), 488);
	CHECK(strstr(why, "responder") != NULL);
}

TEST(rule_more_than_one_media)
{
	const char *why = NULL;
	char *two = malloc(sizeof(v4_psk_offer) * 2);

	/* The second m= line is an exact copy of the first: still 488. */
	strcpy(two, v4_psk_offer);
	strcat(two, "m=application 50002 udp ike-esp-udpencap\r\nb=AS:512\r\na=ike-setup:active\r\n");
	CHECK_INT(offer_rc(two, SDP_FP_PSK, &why), 488);
	CHECK_STR(why, "more than one media description");
	free(two);
}

TEST(rule_fingerprint_kind)
{
	const char *why = NULL;
	char *cert = subst(v4_psk_offer, "a=psk-fingerprint:", "a=fingerprint:");

	CHECK_INT(offer_rc(cert, SDP_FP_PSK, &why), 488);
	CHECK(strstr(why, "pre-shared") != NULL);
	CHECK_INT(offer_rc(cert, SDP_FP_CERT, &why), 0);
	CHECK_INT(offer_rc(v4_psk_offer, SDP_FP_CERT, &why), 488);
	CHECK(strstr(why, "certificates") != NULL);
	free(cert);
	/* No fingerprint: fine with certificates (II.1.1 F1), not with PSK. */
	char *none = subst(v4_psk_offer,
			   "a=psk-fingerprint:SHA-1 F5:02:66:86:6B:94:DC:37:C9:1E:2F:08:53:9A:00:F9:24:CA:9D:86\r\n",
			   "");
	CHECK_INT(offer_rc(none, SDP_FP_CERT, &why), 0);
	CHECK_INT(offer_rc(none, SDP_FP_PSK, &why), 488);
	free(none);
}

TEST(rule_no_bandwidth)
{
	const char *why = NULL;
	char *nobw = subst(v4_psk_offer, "b=AS:512\r\n", "");

	CHECK_INT(offer_rc(nobw, SDP_FP_PSK, &why), 488);
	CHECK_STR(why, "no b=AS bandwidth");
	free(nobw);
	/* Session-level b=AS counts. */
	char *sess = subst(v4_psk_offer, "b=AS:512\r\n", "");
	char *sess2 = subst(sess, "t=0 0\r\n", "b=AS:256\r\nt=0 0\r\n");
	struct sdp_ike o;
	CHECK_INT(parse(sess2, &o), SDP_OK);
	CHECK(o.has_bw);
	CHECK_INT(o.bw_kbps, 256);
	free(sess);
	free(sess2);
	/* Other bandwidth types are not b=AS. */
	char *ct = subst(v4_psk_offer, "b=AS:512", "b=CT:512");
	CHECK_INT(offer_rc(ct, SDP_FP_PSK, &why), 488);
	free(ct);
}

TEST(rule_setup_roles)
{
	const char *why = NULL;
	char *s;

	s = subst(v4_psk_offer, "ike-setup:active", "ike-setup:holdconn");
	CHECK_INT(offer_rc(s, SDP_FP_PSK, &why), 488);
	free(s);
	s = subst(v4_psk_offer, "a=ike-setup:active\r\n", "");
	CHECK_INT(offer_rc(s, SDP_FP_PSK, &why), 488);
	free(s);
	s = subst(v4_psk_offer, "ike-setup:active", "ike-setup:passive");
	CHECK_INT(offer_rc(s, SDP_FP_PSK, &why), 0);
	struct sdp_ike o;
	parse(s, &o);
	CHECK_INT(sdp_answer_role(o.setup, 3), SDP_SETUP_ACTIVE);
	CHECK_INT(sdp_check_offer(&o, SDP_FP_PSK, SDP_ROLE_PASSIVE, &why), 488);
	free(s);
	s = subst(v4_psk_offer, "ike-setup:active", "ike-setup:actpass");
	CHECK_INT(offer_rc(s, SDP_FP_PSK, &why), 0);
	free(s);
}

TEST(rule_media_type)
{
	const char *why = NULL;

	CHECK_INT(offer_rc(rfc6193_offer, SDP_FP_CERT, &why), 488);
	CHECK(strstr(why, "ike-esp-udpencap") != NULL);
	char *audio = subst(v4_psk_offer, "m=application 50002 udp ike-esp-udpencap",
			    "m=audio 49170 RTP/AVP 0");
	CHECK_INT(offer_rc(audio, SDP_FP_PSK, &why), 488);
	free(audio);
	char *zero = subst(v4_psk_offer, "m=application 50002", "m=application 0");
	CHECK_INT(offer_rc(zero, SDP_FP_PSK, &why), 488);
	free(zero);
}

TEST(rfc6193_example_parses)
{
	struct sdp_ike o;

	CHECK_INT(parse(rfc6193_offer, &o), SDP_OK);
	CHECK_STR(o.fmt, "ike-esp");
	CHECK_INT(o.port, 500);
	CHECK(!o.has_bw);
	CHECK_INT(o.fp.kind, SDP_FP_CERT);
}

TEST(all_hashes_accepted)
{
	static const struct {
		const char *name;
		size_t len;
	} h[] = { { "SHA-1", 20 }, { "SHA-224", 28 }, { "sha-256", 32 }, { "SHA-384", 48 },
		  { "SHA-512", 64 } };
	for (size_t i = 0; i < ARRAY_SIZE(h); i++) {
		char line[400], hex[300] = "";
		for (size_t j = 0; j < h[i].len; j++)
			strcat(hex, j ? ":a5" : "a5");
		snprintf(line, sizeof(line), "a=psk-fingerprint:%s %s\r\n", h[i].name, hex);
		char *s = subst(v4_psk_offer,
				"a=psk-fingerprint:SHA-1 F5:02:66:86:6B:94:DC:37:C9:1E:2F:08:53:9A:00:F9:24:CA:9D:86\r\n",
				line);
		struct sdp_ike o;
		CHECK_INT(parse(s, &o), SDP_OK);
		CHECK_INT(o.fp.len, h[i].len);
		CHECK_INT(o.fp.digest[h[i].len - 1], 0xa5);
		free(s);
	}
	CHECK_INT(sdp_hash_parse("md5", 3), -1);
}

TEST(malformed)
{
	struct sdp_ike o;
	static const struct {
		const char *from, *to;
		enum sdp_error err;
	} cases[] = {
		{ "v=0", "v=1", SDP_ERR_SYNTAX },
		{ "o=- 82664419472 82664419472 IN IP4 192.0.2.12\r\n", "", SDP_ERR_ORIGIN },
		{ "IN IP4 192.0.2.12\r\ns=-", "IN IP4 192.0.2.999\r\ns=-", SDP_ERR_ORIGIN },
		{ "c=IN IP4 192.0.2.12", "c=IN IP4 not-an-address", SDP_ERR_CONNECTION },
		{ "c=IN IP4 192.0.2.12\r\n", "", SDP_ERR_CONNECTION },
		{ "m=application 50002", "m=application 70000", SDP_ERR_MEDIA },
		{ "m=application 50002 udp ike-esp-udpencap", "m=application", SDP_ERR_MEDIA },
		{ "b=AS:512", "b=AS:lots", SDP_ERR_BANDWIDTH },
		{ "SHA-1 F5:02", "MD5 F5:02", SDP_ERR_FINGERPRINT },
		{ ":24:CA:9D:86", ":24:CA:9D", SDP_ERR_FINGERPRINT },
		{ ":24:CA:9D:86", ":24:CA:9D:8G", SDP_ERR_FINGERPRINT },
		{ "s=-", "garbage", SDP_ERR_SYNTAX },
		/* two c= at one level: which address would IKE come from? */
		{ "c=IN IP4 192.0.2.12\r\n", "c=IN IP4 192.0.2.12\r\nc=IN IP4 198.51.100.1\r\n",
		  SDP_ERR_CONNECTION },
		{ "b=AS:512\r\n", "c=IN IP4 198.51.100.1\r\nc=IN IP4 198.51.100.2\r\nb=AS:512\r\n",
		  SDP_ERR_CONNECTION },
	};
	for (size_t i = 0; i < ARRAY_SIZE(cases); i++) {
		char *s = subst(v4_psk_offer, cases[i].from, cases[i].to);
		CHECK(strcmp(s, v4_psk_offer) != 0);
		if (parse(s, &o) != cases[i].err)
			harness_fail(__FILE__, __LINE__, "case %zu: got %d (%s), want %d", i,
				     parse(s, &o), sdp_strerror(parse(s, &o)), cases[i].err);
		free(s);
	}
	/* one session-level and one media-level c=: the media's wins */
	char *both = subst(v4_psk_offer, "b=AS:512", "c=IN IP4 198.51.100.1\r\nb=AS:512");
	CHECK_INT(parse(both, &o), SDP_OK);
	CHECK(strcmp(o.addr, "198.51.100.1") == 0);
	free(both);
	CHECK_INT(sdp_parse("", 0, &o), SDP_ERR_EMPTY);
	CHECK_INT(sdp_parse(NULL, 0, &o), SDP_ERR_EMPTY);
	CHECK_INT(sdp_parse("v=0\0o=", 6, &o), SDP_ERR_SYNTAX);
	char *big = malloc(SDP_MAX_LEN + 2);
	memset(big, 'a', SDP_MAX_LEN + 1);
	big[SDP_MAX_LEN + 1] = 0;
	CHECK_INT(sdp_parse(big, SDP_MAX_LEN + 1, &o), SDP_ERR_TOO_LONG);
	free(big);
}

TEST(writer_matches_appendix2_lines)
{
	struct sdp_fingerprint fp = { .kind = SDP_FP_PSK, .hash = SDP_HASH_SHA1, .len = 20 };
	static const uint8_t d[20] = { 0x78, 0x94, 0x03, 0x35, 0xAD, 0xEC, 0x91, 0x30, 0x51, 0x59,
				       0x0D, 0x13, 0x24, 0xE3, 0xAF, 0x4E, 0xAF, 0x92, 0x1C, 0x6F };
	memcpy(fp.digest, d, sizeof(d));
	struct sdp_local l = { .addr = "192.0.2.11", .port = 4500, .bw_kbps = 1000,
			       .setup = SDP_SETUP_PASSIVE, .fp = &fp,
			       .sess_id = 82917391739ULL, .sess_version = 82917391739ULL };
	char *s = sdp_write(&l);
	CHECK_STR(s, "v=0\r\n"
		     "o=- 82917391739 82917391739 IN IP4 192.0.2.11\r\n"
		     "s=-\r\n"
		     "c=IN IP4 192.0.2.11\r\n"
		     "t=0 0\r\n"
		     "m=application 4500 udp ike-esp-udpencap\r\n"
		     "b=AS:1000\r\n"
		     "a=ike-setup:passive\r\n"
		     "a=psk-fingerprint:SHA-1 78:94:03:35:AD:EC:91:30:51:59:0D:13:24:E3:AF:4E:AF:92:1C:6F\r\n");
	/* Round trip: our answer passes the answer rules of the other side. */
	struct sdp_ike o;
	const char *why = NULL;
	CHECK_INT(parse(s, &o), SDP_OK);
	CHECK_INT(sdp_check_answer(&o, SDP_SETUP_ACTIVE, SDP_FP_PSK, &why), 0);
	CHECK_INT(sdp_check_answer(&o, SDP_SETUP_PASSIVE, SDP_FP_PSK, &why), 488);
	free(s);
}

TEST(uri_number)
{
	char n[SIP_NUMBER_MAX];

	CHECK(sip_uri_number("<sip:0311111111@example.ne.jp>", n, sizeof(n)));
	CHECK_STR(n, "0311111111");
	CHECK(sip_uri_number("\"0311111111\" <tel:0311111111;phone-context=example.ne.jp>", n,
			     sizeof(n)));
	CHECK_STR(n, "0311111111");
	CHECK(sip_uri_number("tel:03-1111-1111", n, sizeof(n)));
	CHECK_STR(n, "0311111111");
	CHECK(sip_uri_number("sip:+81311111111@example.ne.jp;user=phone", n, sizeof(n)));
	CHECK_STR(n, "+81311111111");
	CHECK(!sip_uri_number("sip:example.ne.jp", n, sizeof(n)));
	CHECK(!sip_uri_number("mailto:x@y", n, sizeof(n)));
	CHECK(!sip_uri_number("", n, sizeof(n)));
}
