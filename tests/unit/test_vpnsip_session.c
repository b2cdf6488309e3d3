/* The VPN-SIP session state machine (src/vpnsip/session.c) driven through
 * its interfaces, without threads or a network: SIP events in (as the user
 * agent delivers them on the main thread), the IKE engine's events
 * (vpnsip_ike_event), the data plane's trigger and idle calls.  Below it,
 * recording fakes: the SIP user agent (sip.h's sip_ua_* and sip_call_*),
 * the IKE engine (vpnsip.h's hooks, the interface ike_vpnsip.c implements)
 * and the data plane (struct dataplane).  The event loop's timers and
 * clock are virtual: advance() fires what is due, so 30 s of IKE set-up or
 * a 300 s back-off take no time.  The SIP and timer functions are replaced
 * at link time (-Wl,--wrap, see the Makefile's unit rule); the rest
 * (configuration, crypto fingerprint, SDP, CDRs, port allocator) is real.
 *
 * Every fake call appends one line to a trace; CHECK_TRACE compares the
 * lines since the last check, so the order (SA delete before BYE) is
 * asserted too.  The specified behaviour is docs/session.md's and
 * docs/sip.md's. */
#include <arpa/inet.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "crypto/crypto.h"
#include "daemon/feature.h"
#include "dataplane/dataplane.h"
#include "harness.h"
#include "log/log.h"
#include "net/ifstate.h"
#include "util/evloop.h"
#include "util/strbuf.h"
#include "vpnsip/vpnsip_int.h"

#define LOCAL "0311111111"
#define REMOTE "0322222222" /* Tunnel1's peer: its number is higher than ours */
#define LOWER "0300000000"  /* Tunnel2's peer: its number is lower than ours */
#define PEER_ADDR "198.51.100.2"

static struct strbuf trace = STRBUF_INIT;

static void rec(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
static void rec(const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sb_vprintf(&trace, fmt, ap);
	va_end(ap);
	sb_add(&trace, "\n", 1);
}

/* The trace since the last check is exactly this; then it starts anew. */
#define CHECK_TRACE(expected)                                                                      \
	do {                                                                                       \
		CHECK_STR(sb_str(&trace), expected);                                               \
		sb_reset(&trace);                                                                  \
	} while (0)

/* ---- virtual clock and timers (evloop.h's, wrapped) ----------------------- */

struct ev_timer {
	uint64_t due;
	ev_timer_fn fn;
	void *arg;
	struct ev_timer *next;
};
static struct ev_timer *timers;
static uint64_t now_ms = 1000000; /* not 0: session.c takes 0 for "never" */

uint64_t __wrap_evloop_now_ms(void);
uint64_t __wrap_evloop_now_ms(void)
{
	return now_ms;
}

struct ev_timer *__wrap_ev_timer_add(struct evloop *l, uint64_t after_ms, ev_timer_fn fn,
				     void *arg);
struct ev_timer *__wrap_ev_timer_add(struct evloop *l, uint64_t after_ms, ev_timer_fn fn,
				     void *arg)
{
	struct ev_timer *t = xcalloc(1, sizeof(*t));

	t->due = now_ms + after_ms;
	t->fn = fn;
	t->arg = arg;
	t->next = timers;
	timers = t;
	return t;
}

static void timer_unlink(struct ev_timer *t)
{
	for (struct ev_timer **pp = &timers; *pp; pp = &(*pp)->next)
		if (*pp == t) {
			*pp = t->next;
			return;
		}
	harness_fail(__FILE__, __LINE__, "ev_timer_del of a timer that is not armed");
}

void __wrap_ev_timer_del(struct ev_timer *t);
void __wrap_ev_timer_del(struct ev_timer *t)
{
	timer_unlink(t);
	free(t);
}

/* Time passes: the timers due fire in order (as the loop would run them),
 * each at its own time. */
static void advance(uint64_t ms)
{
	uint64_t end = now_ms + ms;

	for (;;) {
		struct ev_timer *first = NULL;
		for (struct ev_timer *t = timers; t; t = t->next)
			if (t->due <= end && (!first || t->due < first->due))
				first = t;
		if (!first)
			break;
		now_ms = first->due;
		timer_unlink(first);
		first->fn(first, first->arg);
		free(first); /* the loop frees a timer that fired */
	}
	now_ms = end;
}

static size_t timers_armed(void)
{
	size_t n = 0;

	for (struct ev_timer *t = timers; t; t = t->next)
		n++;
	return n;
}

/* ---- the SIP user agent (sip.h, wrapped) --------------------------------- */

static struct {
	sip_event_fn fn;
	void *arg;
	uint32_t next_handle;
	bool enabled;           /* the last sip_ua_configure() */
	char last_offer[1024];  /* our SDP of the last call placed or answered */
} ua;

struct sip_ua *__wrap_sip_ua_start(struct evloop *loop, sip_event_fn fn, void *arg);
struct sip_ua *__wrap_sip_ua_start(struct evloop *loop, sip_event_fn fn, void *arg)
{
	ua.fn = fn;
	ua.arg = arg;
	ua.next_handle = 1;
	return (struct sip_ua *)&ua;
}

void __wrap_sip_ua_stop(struct sip_ua *u);
void __wrap_sip_ua_stop(struct sip_ua *u)
{
	ua.fn = NULL;
}

void __wrap_sip_ua_configure(struct sip_ua *u, const struct sip_settings *s);
void __wrap_sip_ua_configure(struct sip_ua *u, const struct sip_settings *s)
{
	ua.enabled = s->enabled; /* not traced: applied on every change */
}

uint32_t __wrap_sip_call_place_from(struct sip_ua *u, const char *local_number,
				    const char *remote_number, const char *sdp);
uint32_t __wrap_sip_call_place_from(struct sip_ua *u, const char *local_number,
				    const char *remote_number, const char *sdp)
{
	uint32_t h = ua.next_handle++;

	snprintf(ua.last_offer, sizeof(ua.last_offer), "%s", sdp);
	rec("sip place %u %s->%s", h, local_number, remote_number);
	return h;
}

void __wrap_sip_call_answer(struct sip_ua *u, uint32_t call, const char *sdp);
void __wrap_sip_call_answer(struct sip_ua *u, uint32_t call, const char *sdp)
{
	snprintf(ua.last_offer, sizeof(ua.last_offer), "%s", sdp);
	rec("sip answer %u", call);
}

void __wrap_sip_call_reject(struct sip_ua *u, uint32_t call, int status, const char *phrase);
void __wrap_sip_call_reject(struct sip_ua *u, uint32_t call, int status, const char *phrase)
{
	rec("sip reject %u %d", call, status);
}

void __wrap_sip_call_hangup(struct sip_ua *u, uint32_t call);
void __wrap_sip_call_hangup(struct sip_ua *u, uint32_t call)
{
	rec("sip hangup %u", call);
}

/* ---- the IKE engine and QoS (vpnsip.h's hooks) ----------------------------- */

static struct {
	bool ike_session;         /* an IKE session exists (any tunnel) */
	const char *refuse;       /* admit() refuses with this */
	struct vpnsip_peer_info last; /* of the last negotiated() (pointers dead) */
} ike;

static void ike_negotiated(const struct vpnsip_peer_info *p, void *arg)
{
	char a[INET_ADDRSTRLEN];

	ike.last = *p;
	ike.ike_session = true;
	inet_ntop(AF_INET, &p->peer.addr.v4, a, sizeof(a));
	rec("ike start %s %s call-%s %s:%u bw %u", p->tunnel,
	    p->ike_initiator ? "initiator" : "responder", p->call_initiator ? "out" : "in", a,
	    p->peer.port, p->peer.bw_kbps);
}

static void ike_ended(const char *tunnel, void *arg)
{
	ike.ike_session = false;
	rec("ike ended %s", tunnel);
}

static void ike_delete_sa(const char *tunnel, unsigned timeout_ms, bool *deleting, void *arg)
{
	rec("ike delete %s %u ms", tunnel, timeout_ms);
	if (ike.ike_session)
		*deleting = true; /* the test raises DOWN, as the delete's answer */
}

static bool ike_is_active(const char *tunnel, void *arg)
{
	return ike.ike_session;
}

static bool ike_admit(const char *tunnel, const char *policy, char *err, size_t errlen, void *arg)
{
	if (!ike.refuse)
		return true;
	snprintf(err, errlen, "%s", ike.refuse);
	return false;
}

/* ---- the data plane ---------------------------------------------------------- */

static void dp_rearm(struct dataplane *dp, const char *name)
{
	rec("dp rearm %s", name);
}

static void dp_queue_drop(struct dataplane *dp, const char *name)
{
	rec("dp drop queue %s", name);
}

static int dp_port_open(struct dataplane *dp, uint16_t port)
{
	rec("dp open %u", port);
	return 0;
}

static void dp_port_close(struct dataplane *dp, uint16_t port)
{
	rec("dp close %u", port);
}

static struct dataplane fake_dp = {
	.name = "fake",
	.trigger_rearm = dp_rearm,
	.trigger_queue_drop = dp_queue_drop,
	.port_open = dp_port_open,
	.port_close = dp_port_close,
};

/* ---- the configuration and the runtime -------------------------------------- */

static struct config cfg;
static struct config_env env = { .cfg = &cfg, .startup_path = "/nonexistent", .check_only = true };
static struct evloop *loop;

static const char *const base_config[] = {
	"configure terminal",
	"crypto ikev2 keyring keys",
	" peer " REMOTE,
	"  identity key-id " REMOTE,
	"  pre-shared-key unit-test-shared-key-0123456789",
	" peer " LOWER,
	"  identity key-id " LOWER,
	"  pre-shared-key unit-test-other-key-0123456789",
	"crypto ikev2 profile IPROF",
	" match identity remote any",
	" identity local key-id " LOCAL,
	" authentication remote pre-share",
	" authentication local pre-share",
	" keyring local keys",
	"crypto ipsec profile IPROF",
	" set ikev2-profile IPROF",
	"interface bak0",
	" ip address 192.0.2.11 255.255.255.0",
	"interface Tunnel1",
	" ip address 10.255.0.1 255.255.255.252",
	" tunnel source bak0",
	" tunnel mode ipsec ipv4",
	" tunnel destination dynamic",
	" tunnel protection ipsec profile IPROF ikev2-profile IPROF",
	" vpn-sip local-number " LOCAL " remote-number " REMOTE " bandwidth 1000",
	"interface Tunnel2",
	" ip address 10.255.0.5 255.255.255.252",
	" tunnel source bak0",
	" tunnel mode ipsec ipv4",
	" tunnel destination dynamic",
	" tunnel protection ipsec profile IPROF ikev2-profile IPROF",
	" vpn-sip local-number " LOCAL " remote-number " LOWER " bandwidth 512",
	"exit",
	"vpn-sip enable",
	"vpn-sip local-number " LOCAL " address ipv4 bak0",
	"vpn-sip sip-server ipv4:192.0.2.1",
	"vpn-sip sip-domain example.ne.jp",
	NULL,
};

static void apply(struct cli_session *s, const char *const *lines)
{
	struct strbuf out = STRBUF_INIT;
	struct cli_result res;

	for (; *lines; lines++) {
		sb_reset(&out);
		config_exec_line(&env, s, *lines, &out, &res);
		if (res.status != CLI_OK && res.status != CLI_MORE_INPUT)
			harness_fail(__FILE__, __LINE__, "line '%s' failed (%d): %s", *lines,
				     res.status, sb_str(&out));
	}
	sb_free(&out);
}

/* A fresh configuration (base_config, then extra lines), the local
 * address on bak0, the runtime started and the number registered. */
static void start(const char *const *extra)
{
	static bool once;
	struct ipv4_prefix a = { .len = 24 };
	struct cli_session *s;

	if (!once) {
		feature_cli_init_all();
		hook_register(vpnsip_negotiated, ike_negotiated, NULL, HOOK_PRIO_DEFAULT);
		hook_register(vpnsip_call_ended, ike_ended, NULL, HOOK_PRIO_DEFAULT);
		hook_register(vpnsip_delete_sa, ike_delete_sa, NULL, HOOK_PRIO_DEFAULT);
		hook_register(vpnsip_ike_active, ike_is_active, NULL, HOOK_PRIO_DEFAULT);
		hook_register(vpnsip_admit, ike_admit, NULL, HOOK_PRIO_DEFAULT);
		loop = evloop_new();
		once = true;
	}
	config_init(&cfg);
	s = cli_session_new(&env, 15);
	apply(s, base_config);
	if (extra)
		apply(s, extra);
	cli_session_free(s);
	inet_pton(AF_INET, "192.0.2.11", &a.addr);
	ifstate_set_addr("bak0", &a, false);
	dataplane_set(&fake_dp);
	memset(&ike, 0, sizeof(ike));
	CHECK_INT(vpnsip_start(loop, &cfg), 0);
	CHECK(ua.enabled);

	struct sip_event ev = { .type = SIP_EV_REGISTRATION };
	ev.reg.state = SIP_REG_REGISTERED;
	snprintf(ev.reg.number, sizeof(ev.reg.number), LOCAL);
	ua.fn(&ev, ua.arg);
	sb_reset(&trace);
}

static void stop(void)
{
	vpnsip_stop();
	CHECK_INT(timers_armed(), 0); /* the runtime left no timer behind */
	while (timers)
		__wrap_ev_timer_del(timers);
	dataplane_set(NULL);
	ifstate_remove("bak0");
	config_free(&cfg);
	sb_reset(&trace);
}

static struct vpnsip_session *session(const char *tunnel)
{
	return hashmap_get(&vpnsip_rt()->by_tunnel, tunnel);
}

#define CHECK_STATE(tunnel, st) CHECK_STR(vpnsip_state_name(session(tunnel)->state), #st)

/* The newest call-detail record. */
static const struct vpnsip_cdr *last_cdr(void)
{
	const struct vpnsip_cdr *r = NULL;

	for (size_t i = 0; vpnsip_cdr_get(i); i++)
		r = vpnsip_cdr_get(i);
	return r;
}

static size_t n_cdrs(void)
{
	size_t n = 0;

	while (vpnsip_cdr_get(n))
		n++;
	return n;
}

/* ---- SIP events, as the user agent delivers them -------------------------- */

/* The peer's SDP (RFC 6193, with a PSK fingerprint). */
static char *peer_sdp(enum sdp_setup setup, uint16_t port, unsigned bw)
{
	struct sdp_fingerprint fp = { .kind = SDP_FP_PSK, .hash = SDP_HASH_SHA1, .len = 20 };
	struct sdp_local l = {
		.addr = PEER_ADDR,
		.port = port,
		.bw_kbps = bw,
		.setup = setup,
		.fp = &fp,
		.sess_id = 42,
		.sess_version = 1,
	};

	memset(fp.digest, 0xab, fp.len);
	return sdp_write(&l);
}

static void with_sdp(struct sip_event *ev, char *sdp)
{
	if (!sdp)
		return;
	ev->has_sdp = true;
	ev->sdp_err = sdp_parse(sdp, strlen(sdp), &ev->sdp);
	CHECK_INT(ev->sdp_err, SDP_OK);
	free(sdp);
}

/* An INVITE from caller to callee (sdp: owned; NULL: no offer). */
static void sip_offered(uint32_t h, const char *caller, const char *callee, char *sdp)
{
	struct sip_event ev = { .type = SIP_EV_CALL_OFFERED, .call = h };

	snprintf(ev.call_id, sizeof(ev.call_id), "call-%u@test", h);
	snprintf(ev.caller, sizeof(ev.caller), "%s", caller);
	snprintf(ev.callee, sizeof(ev.callee), "%s", callee);
	with_sdp(&ev, sdp);
	ua.fn(&ev, ua.arg);
}

/* Outgoing: 2xx with sdp (owned; NULL: none).  Incoming: our 200 ACKed. */
static void sip_answered(uint32_t h, char *sdp)
{
	struct sip_event ev = { .type = SIP_EV_CALL_ANSWERED, .call = h, .status = 200 };

	snprintf(ev.call_id, sizeof(ev.call_id), "call-%u@test", h);
	snprintf(ev.phrase, sizeof(ev.phrase), "OK");
	with_sdp(&ev, sdp);
	ua.fn(&ev, ua.arg);
}

static void sip_ended(uint32_t h, enum sip_end_cause cause, int status, const char *phrase)
{
	struct sip_event ev = { .type = SIP_EV_CALL_ENDED, .call = h, .cause = cause,
				.status = status };

	snprintf(ev.phrase, sizeof(ev.phrase), "%s", phrase);
	ua.fn(&ev, ua.arg);
}

/* An end of the user agent's own making (no response came). */
static void sip_ended_local(uint32_t h, enum sip_end_cause cause, int status, const char *phrase)
{
	struct sip_event ev = { .type = SIP_EV_CALL_ENDED, .call = h, .cause = cause,
				.status = status, .local = true };

	snprintf(ev.phrase, sizeof(ev.phrase), "%s", phrase);
	ua.fn(&ev, ua.arg);
}

/* How many lines of the log buffer hold text. */
static int log_count(const char *text)
{
	struct strbuf out = STRBUF_INIT;
	int n = 0;

	log_show(&out);
	for (const char *p = sb_str(&out); (p = strstr(p, text)); p += strlen(text))
		n++;
	sb_free(&out);
	return n;
}

/* Traffic into Tunnel1, our INVITE answered (peer passive): IKE starts
 * as initiator.  Returns the call's handle. */
static uint32_t call_out_negotiated(void)
{
	uint32_t h = ua.next_handle;

	vpnsip_trigger("Tunnel1");
	CHECK_STATE("Tunnel1", CALLING);
	sip_answered(h, peer_sdp(SDP_SETUP_PASSIVE, 4500, 800));
	CHECK_STATE("Tunnel1", NEGOTIATING_IKE);
	CHECK_TRACE("sip place 1 " LOCAL "->" REMOTE "\n"
		    "ike start Tunnel1 initiator call-out " PEER_ADDR ":4500 bw 800\n");
	return h;
}

static uint32_t call_out_up(void)
{
	uint32_t h = call_out_negotiated();

	vpnsip_ike_event("Tunnel1", VPNSIP_IKE_UP, NULL);
	CHECK_STATE("Tunnel1", SESSION_UP);
	return h;
}

/* ---- the tests ---------------------------------------------------------------- */

TEST(outgoing_call_up_then_idle_teardown_deletes_sa_before_bye)
{
	struct sdp_ike offer;

	start(NULL);
	CHECK_STATE("Tunnel1", READY_TO_CONNECT);
	uint32_t h = call_out_negotiated();
	/* Our offer: IKE initiator (TS-1017: the caller offers active). */
	CHECK_INT(sdp_parse(ua.last_offer, strlen(ua.last_offer), &offer), SDP_OK);
	CHECK_INT(offer.setup, SDP_SETUP_ACTIVE);
	CHECK_INT(offer.port, VPNSIP_IKE_PORT);
	CHECK_STR(offer.addr, "192.0.2.11");
	CHECK_INT(offer.bw_kbps, 1000);
	CHECK_INT(offer.fp.kind, SDP_FP_PSK);
	CHECK(ike.last.call_initiator && ike.last.ike_initiator);
	/* The peer as IKE gets it: binary, its role, its fingerprint. */
	CHECK_INT(ike.last.peer.addr.af, AF_INET);
	CHECK_INT(ike.last.peer.setup, SDP_SETUP_PASSIVE);
	CHECK_INT(ike.last.peer.fp.hash, CRYPTO_HASH_SHA1);
	CHECK_INT(ike.last.peer.fp.len, 20);
	CHECK_INT(ike.last.peer.fp.md[19], 0xab);
	CHECK_STR(session("Tunnel1")->call_id, "call-1@test");

	vpnsip_ike_event("Tunnel1", VPNSIP_IKE_UP, NULL);
	CHECK_STATE("Tunnel1", SESSION_UP);
	CHECK_INT(session("Tunnel1")->peer.bw_kbps, 800); /* the lower b=AS */
	CHECK_TRACE("");
	advance(3600 * 1000); /* no duration limit configured: the call stays */
	CHECK_STATE("Tunnel1", SESSION_UP);

	/* TS-1017 4.2: the INFORMATIONAL delete first, the BYE once answered. */
	vpnsip_idle("Tunnel1");
	CHECK_STATE("Tunnel1", DELETING_SA);
	CHECK_TRACE("ike delete Tunnel1 2000 ms\n");
	vpnsip_ike_event("Tunnel1", VPNSIP_IKE_DOWN, "deleted");
	CHECK_STATE("Tunnel1", DISCONNECTING);
	CHECK_TRACE("sip hangup 1\n");
	sip_ended(h, SIP_END_LOCAL, 200, "OK");
	CHECK_STATE("Tunnel1", READY_TO_CONNECT);
	CHECK_TRACE("ike ended Tunnel1\n"
		    "dp rearm Tunnel1\n"); /* not a failure: traffic may call at once */
	CHECK_STR(last_cdr()->cause, "idle timeout");
	CHECK(last_cdr()->outgoing);
	CHECK(last_cdr()->answer_ms != 0);
	CHECK_INT(vpnsip_rt()->n_active, 0);
	CHECK_INT(vpnsip_rt()->calls_failed, 0);
	/* A trigger places the next call at once. */
	vpnsip_trigger("Tunnel1");
	CHECK_STATE("Tunnel1", CALLING);
	CHECK_TRACE("sip place 2 " LOCAL "->" REMOTE "\n");
	stop();
}

TEST(incoming_call_as_ike_responder_starts_ike_before_the_ack)
{
	start(NULL);
	/* The caller offers active: we answer passive and start IKE as
	 * responder with the 200 OK (its IKE_SA_INIT may overtake the ACK). */
	sip_offered(100, REMOTE, LOCAL, peer_sdp(SDP_SETUP_ACTIVE, 4500, 5000));
	CHECK_TRACE("ike start Tunnel1 responder call-in " PEER_ADDR ":4500 bw 1000\n"
		    "sip answer 100\n");
	CHECK_INT(ike.last.peer.setup, SDP_SETUP_ACTIVE);
	CHECK_STATE("Tunnel1", NEGOTIATING_IKE);
	struct sdp_ike answer;
	CHECK_INT(sdp_parse(ua.last_offer, strlen(ua.last_offer), &answer), SDP_OK);
	CHECK_INT(answer.setup, SDP_SETUP_PASSIVE);
	/* IKE up before the ACK; the ACK afterwards changes nothing. */
	vpnsip_ike_event("Tunnel1", VPNSIP_IKE_UP, NULL);
	CHECK_STATE("Tunnel1", SESSION_UP);
	sip_answered(100, NULL);
	CHECK_STATE("Tunnel1", SESSION_UP);
	advance(SIP_OFFER_TIMEOUT_MS * 2); /* no NO_ACK release once IKE is up */
	CHECK_STATE("Tunnel1", SESSION_UP);
	CHECK_TRACE("");
	/* The peer's BYE while SAs exist: they go at once (100 ms). */
	sip_ended(100, SIP_END_REMOTE_BYE, 0, "");
	CHECK_STATE("Tunnel1", READY_TO_CONNECT);
	CHECK_TRACE("ike delete Tunnel1 100 ms\n"
		    "ike ended Tunnel1\n"
		    "dp rearm Tunnel1\n");
	CHECK_STR(last_cdr()->cause, "BYE from the peer");
	CHECK(!last_cdr()->outgoing);
	CHECK_STR(last_cdr()->call_id, "call-100@test");
	stop();
}

TEST(incoming_call_as_ike_initiator_waits_for_the_ack)
{
	start(NULL);
	sip_offered(100, REMOTE, LOCAL, peer_sdp(SDP_SETUP_PASSIVE, 4600, 500));
	CHECK_STATE("Tunnel1", ANSWERING);
	CHECK_TRACE("sip answer 100\n");
	sip_answered(100, NULL); /* the ACK */
	CHECK_STATE("Tunnel1", NEGOTIATING_IKE);
	CHECK_TRACE("ike start Tunnel1 initiator call-in " PEER_ADDR ":4600 bw 500\n");
	CHECK_INT(ike.last.peer.setup, SDP_SETUP_PASSIVE);
	CHECK_INT(ike.last.peer.fp.len, 20);
	vpnsip_ike_event("Tunnel1", VPNSIP_IKE_UP, NULL);
	CHECK_STATE("Tunnel1", SESSION_UP);
	stop();
}

TEST(answer_never_acknowledged_releases_the_tunnel)
{
	start(NULL);
	sip_offered(100, REMOTE, LOCAL, peer_sdp(SDP_SETUP_PASSIVE, 4500, 1000));
	CHECK_STATE("Tunnel1", ANSWERING);
	CHECK_TRACE("sip answer 100\n");
	advance(SIP_OFFER_TIMEOUT_MS - 1);
	CHECK_STATE("Tunnel1", ANSWERING);
	advance(1);
	CHECK_STATE("Tunnel1", READY_TO_CONNECT);
	CHECK_TRACE("ike ended Tunnel1\n"
		    "dp rearm Tunnel1\n"
		    "sip hangup 100\n");
	CHECK_STR(last_cdr()->cause, "answer not acknowledged");
	CHECK_INT(vpnsip_rt()->released_no_ack, 1);
	stop();
}

TEST(glare_lower_number_gives_up_its_call_and_answers)
{
	start(NULL);
	/* Tunnel1: we (0311...) are the lower number. */
	vpnsip_trigger("Tunnel1");
	CHECK_TRACE("sip place 1 " LOCAL "->" REMOTE "\n");
	sip_offered(100, REMOTE, LOCAL, peer_sdp(SDP_SETUP_ACTIVE, 4500, 1000));
	CHECK_TRACE("ike ended Tunnel1\n"
		    "dp rearm Tunnel1\n"
		    "sip hangup 1\n"
		    "ike start Tunnel1 responder call-in " PEER_ADDR ":4500 bw 1000\n"
		    "sip answer 100\n");
	CHECK_STATE("Tunnel1", NEGOTIATING_IKE);
	CHECK(!session("Tunnel1")->initiator);
	CHECK_STR(last_cdr()->cause, "call collision: took the peer's call");
	CHECK_INT(vpnsip_rt()->calls_failed, 0); /* not a failure */
	/* The end of our own cancelled call does not touch the new one. */
	sip_ended(1, SIP_END_LOCAL, 487, "Request Terminated");
	CHECK_STATE("Tunnel1", NEGOTIATING_IKE);
	CHECK_TRACE("");
	vpnsip_ike_event("Tunnel1", VPNSIP_IKE_UP, NULL);
	CHECK_STATE("Tunnel1", SESSION_UP);
	stop();
}

TEST(glare_higher_number_keeps_its_call_and_answers_486)
{
	start(NULL);
	/* Tunnel2: the peer (0300...) is the lower number. */
	vpnsip_trigger("Tunnel2");
	CHECK_TRACE("sip place 1 " LOCAL "->" LOWER "\n");
	sip_offered(100, LOWER, LOCAL, peer_sdp(SDP_SETUP_ACTIVE, 4500, 1000));
	CHECK_TRACE("sip reject 100 486\n");
	CHECK_STATE("Tunnel2", CALLING);
	/* The peer gave up its call and answers ours. */
	sip_answered(1, peer_sdp(SDP_SETUP_PASSIVE, 4500, 2000));
	CHECK_STATE("Tunnel2", NEGOTIATING_IKE);
	CHECK_TRACE("ike start Tunnel2 initiator call-out " PEER_ADDR ":4500 bw 512\n");
	CHECK_STATE("Tunnel1", READY_TO_CONNECT); /* the other tunnel untouched */
	stop();
}

TEST(invite_without_offer_is_refused_488)
{
	start(NULL);
	/* No reverse (late) offer: an INVITE without SDP gets 488 and the
	 * tunnel stays free. */
	sip_offered(100, REMOTE, LOCAL, NULL);
	CHECK_TRACE("sip reject 100 488\n");
	CHECK_STATE("Tunnel1", READY_TO_CONNECT);
	CHECK_INT(vpnsip_rt()->rejected_488, 1);
	/* Nor an offer in the 200 of ours: a 2xx without SDP is hung up. */
	vpnsip_trigger("Tunnel1");
	sip_answered(1, NULL);
	CHECK_STATE("Tunnel1", DISCONNECTING);
	CHECK_TRACE("sip place 1 " LOCAL "->" REMOTE "\n"
		    "sip hangup 1\n");
	sip_ended(1, SIP_END_LOCAL, 200, "OK");
	CHECK_STATE("Tunnel1", READY_TO_CONNECT);
	CHECK_STR(last_cdr()->cause, "answer not acceptable: no SDP answer");
	CHECK_INT(vpnsip_rt()->calls_failed, 1);
	stop();
}

TEST(incoming_calls_refused_by_the_rules)
{
	start(NULL);
	sip_offered(100, "0399999999", LOCAL, peer_sdp(SDP_SETUP_ACTIVE, 4500, 1000));
	CHECK_TRACE("sip reject 100 603\n"); /* not a configured remote number */
	/* b=AS:0 (the Cisco guide: no bandwidth, no call). */
	sip_offered(101, REMOTE, LOCAL, peer_sdp(SDP_SETUP_PASSIVE, 4500, 0));
	CHECK_TRACE("sip reject 101 488\n");
	ike.refuse = "service-policy output on the tunnel";
	sip_offered(102, REMOTE, LOCAL, peer_sdp(SDP_SETUP_ACTIVE, 4500, 1000));
	CHECK_TRACE("sip reject 102 480\n");
	ike.refuse = NULL;
	CHECK_STATE("Tunnel1", READY_TO_CONNECT);
	CHECK_INT(vpnsip_rt()->rejected_unknown, 1);
	CHECK_INT(vpnsip_rt()->n_active, 0);
	/* Busy: a second INVITE while the first call is on. */
	sip_offered(103, REMOTE, LOCAL, peer_sdp(SDP_SETUP_ACTIVE, 4500, 1000));
	CHECK_STATE("Tunnel1", NEGOTIATING_IKE);
	sb_reset(&trace);
	sip_offered(104, REMOTE, LOCAL, peer_sdp(SDP_SETUP_ACTIVE, 4500, 1000));
	CHECK_TRACE("sip reject 104 486\n");
	stop();
}

TEST(rejected_call_backs_off_5_then_10_seconds)
{
	start(NULL);
	vpnsip_trigger("Tunnel1");
	sip_ended(1, SIP_END_REJECTED, 404, "Not Found");
	CHECK_STATE("Tunnel1", READY_TO_CONNECT);
	CHECK_TRACE("sip place 1 " LOCAL "->" REMOTE "\n"
		    "ike ended Tunnel1\n" /* no rearm: back-off */
		    "dp drop queue Tunnel1\n"); /* but its packets go */
	CHECK_STR(last_cdr()->cause, "rejected 404 Not Found");
	CHECK_INT(session("Tunnel1")->fail_count, 1);
	/* Traffic during the back-off places no call; it does not wait. */
	vpnsip_trigger("Tunnel1");
	CHECK_TRACE("dp drop queue Tunnel1\n");
	CHECK_INT(vpnsip_rt()->calls_backed_off, 1);
	advance(VPNSIP_RETRY_BASE_S * 1000 - 1);
	CHECK_TRACE("");
	advance(1);
	CHECK_TRACE("dp rearm Tunnel1\n");
	vpnsip_trigger("Tunnel1");
	CHECK_TRACE("sip place 2 " LOCAL "->" REMOTE "\n");
	sip_ended(2, SIP_END_REJECTED, 408, "Request Timeout");
	CHECK_TRACE("ike ended Tunnel1\n"
		    "dp drop queue Tunnel1\n");
	/* The network's 408 is an answer, with its code. */
	CHECK_STR(last_cdr()->cause, "rejected 408 Request Timeout");
	advance(2 * VPNSIP_RETRY_BASE_S * 1000 - 1); /* the second failure: 10 s */
	CHECK_TRACE("");
	advance(1);
	CHECK_TRACE("dp rearm Tunnel1\n");
	CHECK_INT(vpnsip_rt()->calls_failed, 2);
	/* A session that comes up resets the count. */
	vpnsip_trigger("Tunnel1");
	sip_answered(3, peer_sdp(SDP_SETUP_PASSIVE, 4500, 800));
	vpnsip_ike_event("Tunnel1", VPNSIP_IKE_UP, NULL);
	CHECK_INT(session("Tunnel1")->fail_count, 0);
	stop();
}

TEST(unacceptable_answer_is_hung_up)
{
	start(NULL);
	vpnsip_trigger("Tunnel1");
	/* We offered active: an active answer is not complementary. */
	sip_answered(1, peer_sdp(SDP_SETUP_ACTIVE, 4500, 800));
	CHECK_STATE("Tunnel1", DISCONNECTING);
	CHECK_TRACE("sip place 1 " LOCAL "->" REMOTE "\n"
		    "sip hangup 1\n"); /* no IKE */
	sip_ended(1, SIP_END_LOCAL, 200, "OK");
	CHECK_STATE("Tunnel1", READY_TO_CONNECT);
	CHECK_TRACE("ike ended Tunnel1\n" /* no rearm: back-off */
		    "dp drop queue Tunnel1\n");
	CHECK(strncmp(last_cdr()->cause, "answer not acceptable: ", 23) == 0);
	CHECK_INT(session("Tunnel1")->fail_count, 1);
	CHECK_INT(timers_armed(), 1); /* the back-off */
	stop();
}

TEST(ike_auth_failure_deletes_then_byes_and_backs_off)
{
	start(NULL);
	uint32_t h = call_out_negotiated();
	vpnsip_ike_event("Tunnel1", VPNSIP_IKE_AUTH_FAILED, "fingerprint mismatch");
	CHECK_STATE("Tunnel1", DELETING_SA);
	CHECK_TRACE("ike delete Tunnel1 2000 ms\n");
	vpnsip_ike_event("Tunnel1", VPNSIP_IKE_DOWN, NULL);
	CHECK_TRACE("sip hangup 1\n");
	sip_ended(h, SIP_END_LOCAL, 200, "OK");
	CHECK_STATE("Tunnel1", READY_TO_CONNECT);
	CHECK_TRACE("ike ended Tunnel1\n" /* no rearm: back-off */
		    "dp drop queue Tunnel1\n");
	CHECK_STR(last_cdr()->cause, "IKE authentication failed: fingerprint mismatch");
	CHECK_INT(session("Tunnel1")->fail_count, 1);
	stop();
}

TEST(ike_setup_timeout_fails_the_call)
{
	start(NULL);
	uint32_t h = call_out_negotiated();
	advance(VPNSIP_IKE_SETUP_MS - 1);
	CHECK_STATE("Tunnel1", NEGOTIATING_IKE);
	advance(1);
	CHECK_STATE("Tunnel1", DELETING_SA);
	CHECK_TRACE("ike delete Tunnel1 2000 ms\n");
	vpnsip_ike_event("Tunnel1", VPNSIP_IKE_DOWN, "deleted");
	CHECK_TRACE("sip hangup 1\n");
	sip_ended(h, SIP_END_LOCAL, 200, "OK");
	CHECK_STR(last_cdr()->cause, "IKE did not come up in time");
	CHECK_INT(session("Tunnel1")->fail_count, 1);
	stop();
}

TEST(ike_failure_while_negotiating_fails_the_call)
{
	start(NULL);
	uint32_t h = call_out_negotiated();
	ike.ike_session = false; /* the engine gave up: nothing to delete */
	vpnsip_ike_event("Tunnel1", VPNSIP_IKE_DOWN, "NO_PROPOSAL_CHOSEN");
	CHECK_STATE("Tunnel1", DISCONNECTING);
	CHECK_TRACE("ike delete Tunnel1 2000 ms\n"
		    "sip hangup 1\n");
	sip_ended(h, SIP_END_LOCAL, 200, "OK");
	CHECK_STR(last_cdr()->cause, "IKE failed: NO_PROPOSAL_CHOSEN");
	CHECK_INT(vpnsip_rt()->calls_failed, 1);
	stop();
}

TEST(ike_lost_sends_bye_at_once_with_the_cause)
{
	start(NULL);
	uint32_t h = call_out_up();
	ike.ike_session = false;
	vpnsip_ike_event("Tunnel1", VPNSIP_IKE_LOST, "peer not responding (DPD)");
	CHECK_STATE("Tunnel1", DISCONNECTING);
	CHECK_TRACE("sip hangup 1\n"); /* no delete: nobody would answer it */
	sip_ended(h, SIP_END_LOCAL, 200, "OK");
	CHECK_STATE("Tunnel1", READY_TO_CONNECT);
	CHECK_STR(last_cdr()->cause, "peer not responding (DPD)");
	CHECK_INT(vpnsip_rt()->calls_failed, 0); /* it was up: not a failed attempt */
	stop();
}

TEST(peer_deletes_sas_its_bye_awaited_2_seconds)
{
	start(NULL);
	uint32_t h = call_out_up();
	ike.ike_session = false;
	vpnsip_ike_event("Tunnel1", VPNSIP_IKE_DOWN, "deleted by peer");
	CHECK_STATE("Tunnel1", DISCONNECTING);
	CHECK_TRACE("");
	advance(VPNSIP_PEER_BYE_WAIT_MS - 1);
	CHECK_TRACE("");
	advance(1);
	CHECK_TRACE("sip hangup 1\n"); /* no BYE came: ours */
	sip_ended(h, SIP_END_LOCAL, 200, "OK");
	CHECK_STR(last_cdr()->cause, "SAs deleted by the peer (deleted by peer)");
	stop();
}

TEST(max_call_duration_ends_the_call)
{
	static const char *const extra[] = { "vpn-sip max-call-duration 60", NULL };

	start(extra);
	uint32_t h = call_out_negotiated();
	advance(10 * 1000); /* the limit counts from the call's start */
	vpnsip_ike_event("Tunnel1", VPNSIP_IKE_UP, NULL);
	advance(50 * 1000 - 1);
	CHECK_STATE("Tunnel1", SESSION_UP);
	advance(1);
	CHECK_STATE("Tunnel1", DELETING_SA);
	CHECK_TRACE("ike delete Tunnel1 2000 ms\n");
	vpnsip_ike_event("Tunnel1", VPNSIP_IKE_DOWN, NULL);
	CHECK_TRACE("sip hangup 1\n");
	sip_ended(h, SIP_END_LOCAL, 200, "OK");
	CHECK_TRACE("ike ended Tunnel1\n"
		    "dp rearm Tunnel1\n"); /* traffic may call again */
	CHECK_STR(last_cdr()->cause, "maximum call duration reached");
	stop();
}

TEST(call_attempts_are_rate_limited)
{
	start(NULL);
	size_t cdrs = n_cdrs();
	for (unsigned i = 1; i <= VPNSIP_RATE_CALLS; i++) {
		const char *why = NULL;
		CHECK_INT(vpnsip_call("Tunnel1", &why), 0);
		sip_ended(i, SIP_END_CANCELLED, 487, "Request Terminated");
	}
	CHECK_INT(n_cdrs() - cdrs, VPNSIP_RATE_CALLS);
	const char *why = NULL;
	CHECK_INT(vpnsip_call("Tunnel1", &why), -1);
	CHECK(why && strstr(why, "rate limit"));
	CHECK_INT(vpnsip_rt()->calls_rate_limited, 1);
	/* Traffic that cannot call: what waits for the call is dropped. */
	sb_reset(&trace);
	vpnsip_trigger("Tunnel1");
	CHECK_TRACE("dp drop queue Tunnel1\n");
	CHECK_INT(vpnsip_rt()->calls_rate_limited, 2);
	vpnsip_timer_stop(&session("Tunnel1")->retry_timer);
	advance(VPNSIP_RATE_WINDOW_S * 1000ULL);
	sb_reset(&trace);
	CHECK_INT(vpnsip_call("Tunnel1", &why), 0);
	CHECK_TRACE("sip place 11 " LOCAL "->" REMOTE "\n");
	stop();
}

static unsigned quiesced;

static void on_quiesced(void *arg)
{
	quiesced++;
}

TEST(shutdown_tears_every_call_down_and_refuses_new_ones)
{
	start(NULL);
	uint32_t h = call_out_up();
	quiesced = 0;
	CHECK(vpnsip_quiesce(on_quiesced, NULL));
	CHECK_STATE("Tunnel1", DELETING_SA);
	CHECK_TRACE("ike delete Tunnel1 2000 ms\n");
	sip_offered(100, LOWER, LOCAL, peer_sdp(SDP_SETUP_ACTIVE, 4500, 1000));
	CHECK_TRACE("sip reject 100 480\n");
	vpnsip_ike_event("Tunnel1", VPNSIP_IKE_DOWN, NULL);
	CHECK_TRACE("sip hangup 1\n");
	CHECK_INT(quiesced, 0);
	sip_ended(h, SIP_END_LOCAL, 200, "OK");
	CHECK_TRACE("ike ended Tunnel1\n"
		    "dp rearm Tunnel1\n");
	CHECK_INT(quiesced, 1);
	CHECK_STR(last_cdr()->cause, "shutdown");
	stop();
}

/* The SDP fingerprint comes from the tunnel's own IKEv2 profile (tunnel
 * protection), not from the first profile of the configuration: Tunnel1
 * moved to a second profile with its own keyring offers that keyring's
 * key; a tunnel whose profile cannot be resolved places no call and says
 * why in the log. */
TEST(fingerprint_from_the_tunnels_own_profile)
{
	static const char *const second[] = {
		"crypto ikev2 keyring keys2",
		" peer " REMOTE,
		"  identity key-id " REMOTE,
		"  pre-shared-key second-profile-key-0123456789",
		"crypto ikev2 profile P2",
		" match identity remote any",
		" authentication remote pre-share",
		" authentication local pre-share",
		" keyring local keys2",
		"crypto ipsec profile IP2",
		" set ikev2-profile P2",
		"interface Tunnel1",
		" no vpn-sip local-number",
		" tunnel protection ipsec profile IP2",
		" vpn-sip local-number " LOCAL " remote-number " REMOTE " bandwidth 1000",
		"interface Tunnel2",
		" no vpn-sip local-number",
		" tunnel protection ipsec profile NOPE",
		" vpn-sip local-number " LOCAL " remote-number " LOWER " bandwidth 512",
		NULL,
	};
	struct crypto_fingerprint want, first;
	char hex[CRYPTO_FINGERPRINT_TEXT_MAX], line[256];
	struct strbuf out = STRBUF_INIT;
	struct log_settings set;
	const char *why = NULL;

	log_get_settings(&set);
	set.buffered = true;
	set.buffer_size = 65536;
	log_set_settings(&set);
	log_buffer_clear();
	start(second);
	CHECK(crypto_psk_fingerprint(CRYPTO_HASH_SHA1, "second-profile-key-0123456789", &want));
	CHECK(crypto_psk_fingerprint(CRYPTO_HASH_SHA1, "unit-test-shared-key-0123456789", &first));
	CHECK_INT(vpnsip_call("Tunnel1", &why), 0);
	crypto_fingerprint_text(&want, hex, sizeof(hex));
	snprintf(line, sizeof(line), "a=psk-fingerprint:SHA-1 %s", hex);
	CHECK(strstr(ua.last_offer, line) != NULL);
	crypto_fingerprint_text(&first, hex, sizeof(hex));
	CHECK(strstr(ua.last_offer, hex) == NULL);
	sb_reset(&trace);

	/* Tunnel2's IPsec profile does not exist: no call, a reason. */
	CHECK_INT(vpnsip_call("Tunnel2", &why), -1);
	CHECK(why && strstr(why, "IPsec profile NOPE (tunnel protection) is not configured"));
	CHECK_TRACE("");
	log_show(&out);
	CHECK(strstr(sb_str(&out), "%VPN_SIP-3-CALL_FAIL: Tunnel2: no local fingerprint: "
				   "IPsec profile NOPE") != NULL);
	sb_free(&out);
	stop();
	log_buffer_clear();
}

/* Traffic while the number is not registered: no call, the reason logged
 * at warning once (the trigger comes back), kept as the last failure,
 * and the next attempt after the short back-off. */
TEST(traffic_while_unregistered_says_why_once)
{
	start(NULL);
	struct sip_event ev = { .type = SIP_EV_REGISTRATION };
	ev.reg.state = SIP_REG_FAILED;
	ev.reg.last_status = 503;
	ev.reg.last_local = true;
	snprintf(ev.reg.last_phrase, sizeof(ev.reg.last_phrase),
		 "local timeout: registrar unreachable (ICMP port unreachable)");
	snprintf(ev.reg.number, sizeof(ev.reg.number), LOCAL);
	ua.fn(&ev, ua.arg);
	const char *line = "%VPN_SIP-4-CALL_FAIL: Tunnel1: no call to " REMOTE
			   ": not registered (local timeout: registrar unreachable (ICMP port "
			   "unreachable))";
	int before = log_count(line);
	vpnsip_trigger("Tunnel1");
	CHECK_TRACE("dp drop queue Tunnel1\n"); /* no call: its packet goes */
	CHECK_STATE("Tunnel1", READY_TO_CONNECT);
	CHECK_INT(log_count(line), before + 1);
	CHECK_STR(session("Tunnel1")->last_fail,
		  "not registered (local timeout: registrar unreachable (ICMP port unreachable))");
	CHECK(session("Tunnel1")->last_fail_ms > 0);
	CHECK(session("Tunnel1")->retry_timer != NULL);
	CHECK_INT(session("Tunnel1")->retry_at_ms, evloop_now_ms() + VPNSIP_RETRY_BASE_S * 1000);
	advance(VPNSIP_RETRY_BASE_S * 1000);
	CHECK_TRACE("dp rearm Tunnel1\n");
	vpnsip_trigger("Tunnel1");
	CHECK_INT(log_count(line), before + 1); /* the same reason: said once */
	/* Registered again: the call goes out; a later refusal is logged anew. */
	ev.reg.state = SIP_REG_REGISTERED;
	ev.reg.last_local = false;
	ua.fn(&ev, ua.arg);
	advance(VPNSIP_RETRY_BASE_S * 1000);
	sb_reset(&trace);
	vpnsip_trigger("Tunnel1");
	CHECK_TRACE("sip place 1 " LOCAL "->" REMOTE "\n");
	CHECK_STR(session("Tunnel1")->not_placed, "");
	sip_ended(1, SIP_END_CANCELLED, 487, "Request Terminated");
	stop();
}

/* Our own timeout (no response came) is the call's cause as it is, never
 * sofia-sip's internal status; its record is kept and it is the last
 * failure. */
TEST(local_timeout_is_not_a_carrier_status)
{
	start(NULL);
	size_t cdrs = n_cdrs();
	vpnsip_trigger("Tunnel1");
	sip_ended_local(1, SIP_END_TIMEOUT, 503, "local timeout: SIP server unreachable (503 x)");
	CHECK_INT(n_cdrs() - cdrs, 1);
	CHECK_STR(last_cdr()->cause, "local timeout: SIP server unreachable (503 x)");
	CHECK_STR(session("Tunnel1")->last_fail, "local timeout: SIP server unreachable (503 x)");
	CHECK_INT(log_count("%VPN_SIP-4-CALL_FAIL: Tunnel1: call with " REMOTE
			    " failed: local timeout: SIP server unreachable (503 x) (attempt 1; "
			    "next call not before 5 s)"), 1);
	advance(VPNSIP_RETRY_BASE_S * 1000);
	stop();
}
