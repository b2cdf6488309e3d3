/* libFuzzer target for the SIP request path: what the user agent reads
 * from a received message.
 *
 * Each input is one datagram as it reaches the SIP port.  sofia-sip's own
 * parser (msg_make with sip_default_mclass, the parser nta runs on every
 * datagram) turns it into a sip_t; no socket and no nua are involved.  A
 * request that passes sip_sanity_check (else nta answers 400 itself) then
 * goes where nua's callback (src/sip/sip_ua.c) sends it, in src/sip/sip_call.c:
 *   - an INVITE or UPDATE whose body is not SDP is refused 415;
 *   - sip_invite_parties(): caller (P-Asserted-Identity from a trusted hop, else From),
 *     callee (P-Called-Party-ID, else To, else the Request-URI) and the SDP;
 *   - sip_reoffer_status(): the same message as a re-offer in a call.
 * Every line of the datagram also goes through sip_redact_line(), the
 * filter of "debug vpn-sip sip messages".
 *
 * Invariants (abort() on breach):
 *   - a caller or callee is a number: '+' first at most, then digits, '*',
 *     '#', no longer than the event's field;
 *   - a number read from a caller that looks like a configured one (digits,
 *     optional leading '+'), put into the From of an INVITE the way we send
 *     ours (sip: and tel: forms), reads back as the same number;
 *   - the event's SDP is exactly what sdp_parse() makes of the body, and
 *     has_sdp says whether there is a body;
 *   - an offer the offer rules accept, answered by us as the session code
 *     does, is accepted again unchanged as a re-offer of that call (a
 *     session refresh must not end the call);
 *   - the digest response of an Authorization or Proxy-Authorization header
 *     never survives redaction on any line of that header (folded lines
 *     and LWS around ':' and '=' included). */
#include <ctype.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_util.h>

#include "sip/sdp.h"
#include "sip/sip.h"
#include "sip/sip_int.h"
#include "sip/sip_msg.h"
#include "util/xalloc.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FAIL(...)                                                   \
	do {                                                        \
		fprintf(stderr, "fuzz_sip: " __VA_ARGS__);          \
		fputc('\n', stderr);                                \
		abort();                                            \
	} while (0)

static msg_t *parse(const void *data, size_t size)
{
	msg_t *msg = msg_make(sip_default_mclass(), 0, data, (ssize_t)size);

	if (msg && !sip_object(msg)) {
		msg_destroy(msg);
		return NULL;
	}
	return msg;
}

static void check_number(const char *what, const char *n, size_t cap)
{
	size_t len = strnlen(n, cap);

	if (len == cap)
		FAIL("%s is not terminated within its %zu bytes", what, cap);
	for (size_t i = 0; i < len; i++)
		if (!isdigit((unsigned char)n[i]) && n[i] != '*' && n[i] != '#' &&
		    !(n[i] == '+' && i == 0))
			FAIL("%s '%s' holds '%c'", what, n, n[i]);
}

static bool configurable(const char *n)
{
	size_t i = n[0] == '+';

	if (!n[i])
		return false;
	for (; n[i]; i++)
		if (!isdigit((unsigned char)n[i]))
			return false;
	return true;
}

/* An INVITE from number in our own forms reads back as number. */
static void check_caller_roundtrip(const char *number)
{
	static const char *const forms[] = { "<sip:%s@ngn.example.net>", "<tel:%s>",
					     "<tel:%s;phone-context=ngn.example.net>" };

	for (size_t f = 0; f < sizeof(forms) / sizeof(forms[0]); f++) {
		char from[160], text[512];
		struct sip_event ev = { 0 };

		snprintf(from, sizeof(from), forms[f], number);
		snprintf(text, sizeof(text),
			 "INVITE sip:0311111111@192.0.2.1 SIP/2.0\r\n"
			 "Via: SIP/2.0/UDP 192.0.2.2:5060;branch=z9hG4bK-rt\r\n"
			 "Max-Forwards: 70\r\nFrom: %s;tag=rt\r\n"
			 "To: <sip:0311111111@ngn.example.net>\r\nCall-ID: rt@192.0.2.2\r\n"
			 "CSeq: 1 INVITE\r\nContent-Length: 0\r\n\r\n",
			 from);
		msg_t *msg = parse(text, strlen(text));
		if (!msg)
			FAIL("our own INVITE from %s does not parse", from);
		sip_invite_parties(sip_object(msg), true, &ev);
		if (strcmp(ev.caller, number) != 0)
			FAIL("caller '%s' sent as From: %s reads back as '%s'", number, from,
			     ev.caller);
		msg_destroy(msg);
	}
}

static bool same_sdp(const struct sdp_ike *a, const struct sdp_ike *b)
{
	return a->nmedia == b->nmedia && strcmp(a->media, b->media) == 0 &&
	       strcmp(a->proto, b->proto) == 0 && strcmp(a->fmt, b->fmt) == 0 &&
	       a->port == b->port && a->af == b->af && strcmp(a->addr, b->addr) == 0 &&
	       a->has_bw == b->has_bw && a->bw_kbps == b->bw_kbps && a->setup == b->setup &&
	       a->nfingerprints == b->nfingerprints && a->fp.kind == b->fp.kind &&
	       a->fp.hash == b->fp.hash && a->fp.len == b->fp.len &&
	       memcmp(a->fp.digest, b->fp.digest, a->fp.len) == 0 &&
	       a->sess_id == b->sess_id && a->sess_version == b->sess_version;
}

static void check_sdp(const sip_t *sip, const struct sip_event *ev)
{
	bool body = sip->sip_payload && sip->sip_payload->pl_len;
	struct sdp_ike again;

	if (ev->has_sdp != body)
		FAIL("has_sdp %d for a body of %zu bytes", ev->has_sdp,
		     body ? (size_t)sip->sip_payload->pl_len : (size_t)0);
	if (!body)
		return;
	memset(&again, 0, sizeof(again));
	enum sdp_error e = sdp_parse(sip->sip_payload->pl_data, sip->sip_payload->pl_len, &again);
	if (e != ev->sdp_err || !same_sdp(&again, &ev->sdp))
		FAIL("the event's SDP (%s) is not what the body parses to (%s)",
		     sdp_strerror(ev->sdp_err), sdp_strerror(e));
}

/* Accepted as an offer: accepted again as the same call's re-offer. */
static void check_reoffer(const sip_t *sip, const struct sip_event *ev)
{
	if (!ev->has_sdp || ev->sdp_err != SDP_OK)
		return;
	for (int fp = SDP_FP_CERT; fp <= SDP_FP_PSK; fp++) {
		for (unsigned roles = 1; roles <= 3; roles++) {
			const char *why = NULL;
			if (sdp_check_offer(&ev->sdp, (enum sdp_fp_kind)fp, roles, &why))
				continue;
			struct sdp_fingerprint mine = { .kind = (enum sdp_fp_kind)fp,
							.hash = SDP_HASH_SHA256, .len = 32 };
			memset(mine.digest, 0x5a, 32);
			struct sdp_local l = { .addr = "192.0.2.11", .port = 4500, .bw_kbps = 1000,
					       .setup = sdp_answer_role(ev->sdp.setup, roles),
					       .fp = &mine, .sess_id = 1, .sess_version = 1 };
			char *ours = sdp_write(&l);
			int rc = sip_reoffer_status(ours, true, ev->sdp.addr, ev->sdp.port, sip, &why);
			if (rc)
				FAIL("an accepted offer (fingerprint %d, roles %u) is refused %d as "
				     "the same call's re-offer: %s", fp, roles, rc, why ? why : "?");
			free(ours);
		}
	}
}

/* ---- redaction ------------------------------------------------------------ */

/* v occurs once in the datagram: a copy elsewhere (in another parameter,
 * another header) may rightly be shown. */
static bool once(const uint8_t *data, size_t size, const char *v, size_t len)
{
	const uint8_t *first = memmem(data, size, v, len);

	return first && !memmem(first + 1, size - (size_t)(first + 1 - data), v, len);
}

/* Every parameter is token SWS "=" SWS (token or quoted string): where
 * the quotes do not pair up, sofia-sip's reading and the line filter's may
 * differ on where a value ends, and the header is not one a digest client
 * writes. */
static bool well_formed(const char *const *params)
{
	for (const char *const *p = params; *p; p++) {
		const char *v = *p + strcspn(*p, " \t=");
		v += strspn(v, " \t\r\n");
		if (v == *p || *v != '=')
			return false;
		v += 1 + strspn(v + 1, " \t\r\n");
		if (*v == '"') {
			size_t len = strcspn(v + 1, "\"\\");
			if (v[1 + len] != '"' || v[2 + len])
				return false;
		} else if (strpbrk(v, "\"\\")) {
			return false;
		}
	}
	return true;
}

/* The response= values of the Authorization headers sofia-sip parsed:
 * worth checking when long enough not to turn up by chance. */
static size_t responses(const uint8_t *data, size_t size, const sip_t *sip, char vals[][128],
			size_t max)
{
	const sip_authorization_t *lists[2] = { sip->sip_authorization,
						sip->sip_proxy_authorization };
	size_t n = 0;

	for (int l = 0; l < 2; l++)
		for (const sip_authorization_t *au = lists[l]; au; au = au->au_next)
			for (const char *const *p = au->au_params;
			     p && *p && n < max && well_formed(au->au_params); p++) {
				const char *v = *p;
				if (strncasecmp(v, "response", 8) != 0)
					continue;
				v += 8 + strspn(v + 8, " \t");
				if (*v != '=')
					continue;
				v += 1 + strspn(v + 1, " \t\r\n");
				if (*v == '"')
					v++;
				size_t len = strspn(v, "0123456789abcdefABCDEF");
				if (len >= 8 && len < 128 && once(data, size, v, len)) {
					memcpy(vals[n], v, len);
					vals[n][len] = '\0';
					n++;
				}
			}
	return n;
}

/* The lines of the message head as the debug log gets them: as they are,
 * and as sofia-sip's message dump prints them (three spaces in front).  A
 * line starting with space or tab continues the header before it. */
static void check_redaction(const uint8_t *data, size_t size, const sip_t *sip, bool dump)
{
	char vals[8][128];
	size_t nvals = sip ? responses(data, size, sip, vals, 8) : 0;
	char *text = malloc(size + 1);
	bool in_auth = false;
	struct sip_redact state = { 0 };

	memcpy(text, data, size);
	text[size] = '\0';
	for (char *line = text, *next; line; line = next) {
		next = strpbrk(line, "\r\n");
		if (next) {
			if (next[0] == '\r' && next[1] == '\n')
				*next++ = '\0';
			*next++ = '\0';
		}
		if (!*line)
			break; /* the end of the head */
		if (*line != ' ' && *line != '\t') {
			size_t nl = strcspn(line, " \t:");
			in_auth = (nl == 13 && strncasecmp(line, "Authorization", 13) == 0) ||
				  (nl == 19 && strncasecmp(line, "Proxy-Authorization", 19) == 0);
		}
		char *shown = dump ? xasprintf("   %s", line) : xstrdup(line);
		char *red = sip_redact_line(shown, &state);
		for (size_t i = 0; in_auth && i < nvals; i++)
			if (strstr(red, vals[i]))
				FAIL("digest response %s survives redaction: '%s'", vals[i], red);
		free(red);
		free(shown);
	}
	free(text);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	msg_t *msg = parse(data, size);
	sip_t *sip = msg ? sip_object(msg) : NULL;

	check_redaction(data, size, sip, false);
	check_redaction(data, size, sip, true);
	if (!sip || sip_sanity_check(sip) < 0 || !sip->sip_request) {
		if (msg)
			msg_destroy(msg);
		return 0;
	}
	sip_method_t m = sip->sip_request->rq_method;
	if ((m == sip_method_invite || m == sip_method_update) && !sip_body_not_sdp(sip)) {
		struct sip_event ev = { .type = SIP_EV_CALL_OFFERED };
		sip_invite_parties(sip, size % 2 == 0, &ev); /* a trusted hop or not */
		check_number("caller", ev.caller, sizeof(ev.caller));
		check_number("callee", ev.callee, sizeof(ev.callee));
		if (configurable(ev.caller))
			check_caller_roundtrip(ev.caller);
		check_sdp(sip, &ev);
		check_reoffer(sip, &ev);
	}
	msg_destroy(msg);
	return 0;
}
