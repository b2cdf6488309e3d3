/* What the user agent reads from a received INVITE (src/sip/sip_msg.h),
 * on messages parsed by sofia-sip's own parser (msg_make with
 * sip_default_mclass, as nta parses every datagram): the caller is taken
 * from P-Asserted-Identity only when the INVITE came from a trusted hop
 * (RFC 3325), else from From. */
#include <stdio.h>
#include <string.h>

#include <sofia-sip/msg.h>
#include <sofia-sip/sip_header.h>

#include "harness.h"
#include "sip/sip.h"
#include "sip/sip_msg.h"

static msg_t *parse(const char *text)
{
	msg_t *msg = msg_make(sip_default_mclass(), 0, text, (ssize_t)strlen(text));

	if (msg && !sip_object(msg)) {
		msg_destroy(msg);
		return NULL;
	}
	return msg;
}

/* The caller and callee sip_invite_parties() reads from text. */
static void parties(const char *text, bool from_trusted_hop, struct sip_event *ev)
{
	msg_t *msg = parse(text);

	memset(ev, 0, sizeof(*ev));
	if (!msg) {
		harness_fail(__FILE__, __LINE__, "the INVITE does not parse");
		return;
	}
	sip_invite_parties(sip_object(msg), from_trusted_hop, ev);
	msg_destroy(msg);
}

#define HEAD                                                                   \
	"INVITE sip:0311111111@192.0.2.11 SIP/2.0\r\n"                         \
	"Via: SIP/2.0/UDP 192.0.2.1:5060;branch=z9hG4bK-pai\r\n"               \
	"Max-Forwards: 70\r\n"                                                 \
	"From: <sip:0322222222@ngn.example.net>;tag=f1\r\n"                    \
	"To: <sip:0311111111@ngn.example.net>\r\n"                             \
	"Call-ID: pai@192.0.2.1\r\n"                                           \
	"CSeq: 1 INVITE\r\n"

/* The network asserts a caller other than the one From claims. */
static const char invite_pai[] = HEAD
	"P-Asserted-Identity: <sip:0333333333@ngn.example.net;user=phone>\r\n"
	"Content-Length: 0\r\n\r\n";
static const char invite_pai_tel[] = HEAD
	"P-Asserted-Identity: \"Branch\" <sip:0333333333@ngn.example.net>, <tel:+81333333333>\r\n"
	"Content-Length: 0\r\n\r\n";
static const char invite_no_pai[] = HEAD "Content-Length: 0\r\n\r\n";

TEST(caller_from_pai_only_from_trusted_hop)
{
	struct sip_event ev;

	parties(invite_pai, false, &ev);
	CHECK_STR(ev.caller, "0322222222"); /* From: anyone may write a PAI */
	CHECK_STR(ev.callee, "0311111111");
	parties(invite_pai, true, &ev);
	CHECK_STR(ev.caller, "0333333333"); /* the asserted identity */
	CHECK_STR(ev.callee, "0311111111");

	parties(invite_pai_tel, false, &ev);
	CHECK_STR(ev.caller, "0322222222");
	parties(invite_pai_tel, true, &ev);
	CHECK_STR(ev.caller, "0333333333"); /* the first identity asserted */
}

TEST(caller_from_from_without_pai)
{
	struct sip_event ev;

	parties(invite_no_pai, true, &ev);
	CHECK_STR(ev.caller, "0322222222");
	parties(invite_no_pai, false, &ev);
	CHECK_STR(ev.caller, "0322222222");
	CHECK(!ev.has_sdp);
}
