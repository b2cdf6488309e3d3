/* The SIP side of the session state machine: placing a call ("vpn-sip
 * call", or the data plane's trigger through vpnsip_call), and the user
 * agent's call events: an offer (the tunnel of the caller, glare, the
 * checks of its SDP and addresses, the answer), the peer's answer, the end
 * of a call; and the dispatch of every SIP event.  Kept apart from the
 * state machine's core (session.c) because this is where SDP and the
 * caller's input are judged. */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "util/evloop.h"
#include "vpnsip/vpnsip_int.h"

/* Every subscriber may veto a session before a call is placed or answered. */
static bool admitted(struct vpnsip_session *s, char *err, size_t errlen)
{
	return hook_call(vpnsip_admit, s->tunnel, s->service_policy, err, errlen);
}

static void set_call_id(struct vpnsip_session *s, const char *call_id)
{
	struct vpnsip_rt *rt = vpnsip_rt();

	if (!call_id[0] || strcmp(s->call_id, call_id) == 0)
		return;
	if (s->call_id[0] && hashmap_get(&rt->by_callid, s->call_id) == s)
		hashmap_del(&rt->by_callid, s->call_id);
	snprintf(s->call_id, sizeof(s->call_id), "%s", call_id);
	hashmap_put(&rt->by_callid, s->call_id, s);
}

static void bind_handle(struct vpnsip_session *s, uint32_t h)
{
	struct vpnsip_rt *rt = vpnsip_rt();
	char key[16];

	s->sip_handle = h;
	vpnsip_handle_key(h, key);
	hashmap_put(&rt->by_handle, key, s);
}

/* ---- placing calls ----------------------------------------------------- */

static enum sdp_fp_kind local_auth(struct vpnsip_session *s, struct sdp_fingerprint *fp,
				   const char **why)
{
	struct vpnsip_rt *rt = vpnsip_rt();
	static char err[256];
	const struct vpnsip_cfg *c = vpnsip_cfg_get(rt->cfg);

	if (!vpnsip_local_fingerprint(rt->cfg, s->tunnel, s->remote_number,
				      c ? c->hash : SDP_HASH_SHA1, fp, err, sizeof(err))) {
		*why = err;
		return SDP_FP_NONE;
	}
	return fp->kind;
}

static char *local_sdp(struct vpnsip_session *s, enum sdp_setup role,
		       const struct sdp_fingerprint *fp)
{
	struct vpnsip_rt *rt = vpnsip_rt();
	struct sdp_local l = {
		.addr = rt->local_addr,
		.port = s->local_port,
		.bw_kbps = s->bw_conf,
		.setup = role,
		.fp = fp,
		.sess_id = evloop_now_ms(),
		.sess_version = 1,
	};
	return sdp_write(&l);
}

/* Why the local number of s is not registered, for the operator: the
 * registration's own reason when it has one. */
static const char *not_registered(const struct vpnsip_session *s, const struct sip_reg_status *reg)
{
	struct vpnsip_rt *rt = vpnsip_rt();
	const struct vpnsip_cfg *c = vpnsip_cfg_get(rt->cfg);
	static char buf[160];
	char last[112];

	if (!rt->local_addr[0] && c && c->addr_iface)
		snprintf(buf, sizeof(buf), "not registered (no IPv4 address on %s)", c->addr_iface);
	else if (reg && reg->state != SIP_REG_REGISTERED && reg->last_status)
		snprintf(buf, sizeof(buf), "not registered (%s)",
			 vpnsip_reg_last_text(reg, last, sizeof(last)));
	else if (!rt->sip_server[0])
		snprintf(buf, sizeof(buf), "not registered (no SIP server)");
	else
		snprintf(buf, sizeof(buf), "not registered");
	return buf;
}

int vpnsip_call(const char *tunnel_name, const char **why)
{
	bool logged;

	return vpnsip_call_try(tunnel_name, why, &logged);
}

int vpnsip_call_try(const char *tunnel_name, const char **why, bool *logged)
{
	struct vpnsip_rt *rt = vpnsip_rt();
	struct vpnsip_session *s;
	struct sdp_fingerprint fp;
	const struct vpnsip_cfg *c;

	*logged = false;
	if (!rt) {
		*why = "VPN-SIP is not running";
		return -1;
	}
	c = vpnsip_cfg_get(rt->cfg);
	s = hashmap_get(&rt->by_tunnel, tunnel_name);
	if (!s) {
		*why = "not a VPN-SIP tunnel";
		return -1;
	}
	if (s->state != VS_READY_TO_CONNECT) {
		*why = vpnsip_state_name(s->state);
		return -1;
	}
	if (!c || !c->enabled) {
		*why = "VPN-SIP is not enabled";
		return -1;
	}
	if (s->shut) {
		*why = "the tunnel is shut down";
		return -1;
	}
	const struct sip_reg_status *reg = vpnsip_reg_status(s->local_number);
	if (!reg || reg->state != SIP_REG_REGISTERED) {
		*why = not_registered(s, reg);
		return -1;
	}
	if (rt->quiescing) {
		*why = "shutting down";
		return -1;
	}
	/* Billing safety: at most VPNSIP_RATE_CALLS attempts per window. */
	uint64_t now = evloop_now_ms(), oldest = s->attempts[s->attempt_next];
	if (oldest && now - oldest < VPNSIP_RATE_WINDOW_S * 1000ULL) {
		static char msg[96];
		snprintf(msg, sizeof(msg), "call attempt rate limit (%d per %d s): next in %llu s",
			 VPNSIP_RATE_CALLS, VPNSIP_RATE_WINDOW_S,
			 (unsigned long long)((VPNSIP_RATE_WINDOW_S * 1000ULL - (now - oldest)) / 1000 + 1));
		*why = msg;
		rt->calls_rate_limited++;
		*logged = true;
		log_msg("VPN_SIP", SEV_WARNING, "CALL_LIMIT", "%s: not calling %s: %s", s->tunnel,
			s->remote_number, msg);
		return -1;
	}
	if (local_auth(s, &fp, why) == SDP_FP_NONE) {
		*logged = true;
		vpnsip_log(SEV_ERR, "CALL_FAIL", "%s: no local fingerprint: %s", s->tunnel, *why);
		return -1;
	}
	static char refused[256];
	if (!admitted(s, refused, sizeof(refused))) {
		*why = refused;
		*logged = true;
		/* Always logged: the operator must see why nothing is called. */
		log_msg("VPN_SIP", SEV_ERR, "SESSION_FAIL", "%s: VPN-SIP session fails: %s",
			s->tunnel, refused);
		return -1;
	}
	s->attempts[s->attempt_next] = now;
	s->attempt_next = (s->attempt_next + 1) % VPNSIP_RATE_CALLS;
	vpnsip_cdr_call_started(s);
	s->auth = fp.kind;
	s->local_port = vpnsip_local_port(s->tunnel);
	inet_pton(AF_INET, rt->local_addr, &s->local_addr);
	char *sdp = local_sdp(s, SDP_SETUP_ACTIVE, &fp);
	s->initiator = true;
	s->ike_initiator = true;
	s->since_ms = evloop_now_ms();
	bind_handle(s, sip_call_place_from(rt->ua, s->local_number, s->remote_number, sdp));
	free(sdp);
	vpnsip_set_state(s, VS_CALLING);
	/* Always logged: each attempt may cost money. */
	log_msg("VPN_SIP", SEV_INFO, "CALL_OUT", "%s: calling %s (attempt %u)", s->tunnel,
		s->remote_number, s->fail_count + 1);
	return 0;
}

/* ---- SIP events --------------------------------------------------------- */

/* The rule c= address text breaks as one of this router's addresses or
 * the broadcast of one of its subnets (any interface); NULL if neither. */
static const char *addr_local_rule(const char *text)
{
	struct vpnsip_rt *rt = vpnsip_rt();
	struct ifaddrs *ifs;
	const char *rule;

	if (rt->local_addr[0] && strcmp(rt->local_addr, text) == 0)
		return "c= address is one of ours";
	if (getifaddrs(&ifs) < 0)
		return NULL;
	rule = sdp_addr_local_rule(text, ifs);
	freeifaddrs(ifs);
	return rule;
}

/* The rule the c= address of an offer or answer breaks (IKE would go
 * there), into buf; NULL if it may be used. */
static const char *addr_refused(const struct sdp_ike *sdp, char *buf, size_t size)
{
	const char *rule = sdp->af == 4 ? sdp_addr_rule(sdp->addr) : NULL;

	if (!rule && sdp->af == 4)
		rule = addr_local_rule(sdp->addr);
	if (!rule)
		return NULL;
	snprintf(buf, size, "%s: %s", rule, sdp->addr);
	return buf;
}

/* The peer's role in IKE when ours is role. */
static enum sdp_setup peer_role(enum sdp_setup role)
{
	return role == SDP_SETUP_ACTIVE ? SDP_SETUP_PASSIVE : SDP_SETUP_ACTIVE;
}

/* Refused calls get a call record at a bounded rate: callers decide how
 * often they call, and the records go to disk. */
#define REFUSED_RECORDS_PER_WINDOW 20
#define REFUSED_RECORDS_WINDOW_MS 10000

static bool refused_record_allowed(void)
{
	static int64_t window_start;
	static unsigned n;
	int64_t now = (int64_t)evloop_now_ms();

	if (!window_start || now - window_start >= REFUSED_RECORDS_WINDOW_MS) {
		window_start = now;
		n = 0;
	}
	return n++ < REFUSED_RECORDS_PER_WINDOW;
}

/* s: the tunnel the call was for (NULL: none). */
static void record_refused(const struct sip_event *ev, const struct vpnsip_session *s, int code,
			   const char *phrase, const char *why)
{
	char cause[192];

	if (!refused_record_allowed())
		return;
	snprintf(cause, sizeof(cause), "rejected %d %s: %s", code, phrase, why);
	vpnsip_cdr_call_refused(s ? s->tunnel : "-", s ? s->local_number : ev->callee,
				ev->caller[0] ? ev->caller : "unknown", ev->call_id, cause);
}

/* why goes to our log and call record; sdp_rule (488 only) also to the
 * caller, in a Warning header: the rule its offer broke, never our
 * configuration (anyone can call). */
static void reject_call(const struct sip_event *ev, const struct vpnsip_session *s, int code,
			const char *phrase, const char *why, const char *sdp_rule)
{
	struct vpnsip_rt *rt = vpnsip_rt();

	sip_call_reject(rt->ua, ev->call, code, sdp_rule);
	if (code == 488)
		rt->rejected_488++;
	else if (code == VPNSIP_REJECT_UNKNOWN)
		rt->rejected_unknown++;
	/* Always logged: a refused call is what an operator looks for; at a
	 * bounded rate, as callers decide how often this happens. */
	static struct log_ratelimit rl = LOG_RATELIMIT_INIT(10000, 20);
	log_msg_limited(&rl, "VPN_SIP", SEV_WARNING, "CALL_REJECT", "Call from %s (call-id %s) rejected %d %s: %s",
		ev->caller[0] ? ev->caller : "unknown", ev->call_id, code, phrase, why);
	record_refused(ev, s, code, phrase, why);
}

static void reject(const struct sip_event *ev, const struct vpnsip_session *s, int code,
		   const char *phrase, const char *why)
{
	reject_call(ev, s, code, phrase, why, NULL);
}

/* 488 for an offer that breaks an SDP rule (RFC 6193, TS-1017). */
static void reject_offer(const struct sip_event *ev, const struct vpnsip_session *s,
			 const char *rule)
{
	reject_call(ev, s, 488, "Not Acceptable Here", rule, rule);
}

/* Our 200 OK was neither acknowledged nor followed by IKE within the offer
 * timeout: whoever called does not complete the call (a caller that
 * vanished, or one that only wanted our SDP).  The tunnel is free again
 * at once; the dialog ends in the background (BYE once SIP allows it, or
 * the user agent's own timeout). */
static void ack_fire(struct ev_timer *t, void *arg)
{
	struct vpnsip_rt *rt = vpnsip_rt();
	struct vpnsip_session *s = arg;
	uint32_t h = s->sip_handle;

	s->ack_timer = NULL; /* fired: the loop frees it */
	if (s->initiator || !h || (s->state != VS_ANSWERING && s->state != VS_NEGOTIATING_IKE))
		return;
	rt->released_no_ack++;
	log_msg("VPN_SIP", SEV_WARNING, "NO_ACK",
		"%s: the call from %s (call-id %s) was not acknowledged within %d s: "
		"releasing the tunnel", s->tunnel, s->remote_number, s->call_id,
		SIP_OFFER_TIMEOUT_MS / 1000);
	vpnsip_set_cause(s, "answer not acknowledged");
	vpnsip_call_reset(s);
	sip_call_hangup(rt->ua, h);
}

static void on_offered(const struct sip_event *ev)
{
	struct vpnsip_rt *rt = vpnsip_rt();
	const struct vpnsip_cfg *c = vpnsip_cfg_get(rt->cfg);
	struct vpnsip_session *s = NULL;
	struct sdp_fingerprint fp;
	const char *why = NULL;
	char key[VPNSIP_PAIR_KEY_MAX];
	int rc;

	/* The tunnel of (called number, caller): one hash lookup.  With a
	 * single local number the called number is not checked: a carrier
	 * may present it in another form. */
	if (ev->caller[0]) {
		vpnsip_pair_key(ev->callee, ev->caller, key, sizeof(key));
		s = hashmap_get(&rt->by_pair, key);
		if (!s && c && c->n_numbers == 1) {
			vpnsip_pair_key(c->local_number, ev->caller, key, sizeof(key));
			s = hashmap_get(&rt->by_pair, key);
		}
	}

	if (!s) {
		reject(ev, NULL, VPNSIP_REJECT_UNKNOWN, "Decline", "caller is not a configured remote number");
		return;
	}
	if (!c || !c->enabled) {
		reject(ev, s, 480, "Temporarily Unavailable", "VPN-SIP is not enabled");
		return;
	}
	if (rt->quiescing) {
		reject(ev, s, 480, "Temporarily Unavailable", "shutting down");
		return;
	}
	if (s->shut) {
		reject(ev, s, 480, "Temporarily Unavailable", "the tunnel is shut down");
		return;
	}
	if (s->state == VS_CALLING && s->sip_handle &&
	    strcmp(s->local_number, s->remote_number) < 0) {
		/* Glare: both called at once.  The lower number gives up its
		 * own call and answers; the higher one keeps calling (and
		 * answers our INVITE 486). */
		vpnsip_log(SEV_INFO, "GLARE", "%s: call collision with %s: taking the incoming call",
			   s->tunnel, s->remote_number);
		vpnsip_set_cause(s, "call collision: took the peer's call");
		uint32_t h = s->sip_handle;
		vpnsip_call_reset(s);
		sip_call_hangup(rt->ua, h);
	}
	if (s->state != VS_READY_TO_CONNECT) {
		reject(ev, s, 486, "Busy Here", vpnsip_state_name(s->state));
		return;
	}
	if (!ev->has_sdp || ev->sdp_err != SDP_OK) {
		reject_offer(ev, s, ev->has_sdp ? sdp_strerror(ev->sdp_err) : "no SDP offer");
		return;
	}
	char rule[96];
	if (addr_refused(&ev->sdp, rule, sizeof(rule))) {
		rt->rejected_addr++;
		reject_offer(ev, s, rule);
		return;
	}
	if (local_auth(s, &fp, &why) == SDP_FP_NONE) {
		reject(ev, s, 488, "Not Acceptable Here", why);
		return;
	}
	char refused[256];
	if (!admitted(s, refused, sizeof(refused))) {
		log_msg("VPN_SIP", SEV_ERR, "SESSION_FAIL", "%s: VPN-SIP session fails: %s",
			s->tunnel, refused);
		reject(ev, s, 480, "Temporarily Unavailable", refused);
		return;
	}
	rc = sdp_check_offer(&ev->sdp, fp.kind, SDP_ROLE_ACTIVE | SDP_ROLE_PASSIVE, &why);
	if (rc) {
		reject_call(ev, s, rc, "Not Acceptable Here", why, why);
		return;
	}
	enum sdp_setup role = sdp_answer_role(ev->sdp.setup, SDP_ROLE_ACTIVE | SDP_ROLE_PASSIVE);
	struct vpnsip_peer offer_peer;
	if (!vpnsip_peer_from_sdp(&ev->sdp, s->bw_conf, peer_role(role), &offer_peer)) {
		reject_offer(ev, s, "c= address is not an IPv4 address");
		return;
	}
	s->auth = fp.kind;
	s->initiator = false;
	s->ike_initiator = role == SDP_SETUP_ACTIVE;
	s->local_port = vpnsip_port_for_answer(&rt->ports, s, ev->sdp.addr);
	if (!s->local_port) {
		reject(ev, s, 503, "Service Unavailable", "no free IKE port");
		return;
	}
	inet_pton(AF_INET, rt->local_addr, &s->local_addr);
	s->since_ms = evloop_now_ms();
	vpnsip_cdr_call_started(s);
	bind_handle(s, ev->call);
	set_call_id(s, ev->call_id);
	char *sdp = local_sdp(s, role, &fp);
	vpnsip_set_state(s, VS_ANSWERING);
	s->peer = offer_peer;
	vpnsip_log(SEV_INFO, "CALL_IN", "%s: answered the call from %s", s->tunnel, s->remote_number);
	/* As IKE responder we are ready before the 200 OK leaves: the caller
	 * starts IKE once it has the answer, and its IKE_SA_INIT (direct)
	 * overtakes its ACK (through the SIP server), and would overtake our
	 * own IKE set-up if the 200 OK went first.  Without the ACK the call
	 * ends (nua's 408) and the SAs go with it.  As IKE initiator we wait
	 * for the ACK. */
	if (!s->ike_initiator)
		vpnsip_session_negotiated(s);
	if (s->sip_handle == ev->call) { /* IKE could not start: hung up (480) */
		sip_call_answer(rt->ua, ev->call, sdp);
		s->ack_timer = ev_timer_add(rt->loop, SIP_OFFER_TIMEOUT_MS, ack_fire, s);
	}
	free(sdp);
}

static void on_answered(struct vpnsip_session *s, const struct sip_event *ev)
{
	struct vpnsip_rt *rt = vpnsip_rt();
	const char *why = NULL;

	set_call_id(s, ev->call_id);
	if (!s->initiator)
		vpnsip_timer_stop(&s->ack_timer); /* our 200 OK was acknowledged */
	if (s->state == VS_ANSWERING) {
		/* Our 200 OK was acknowledged. */
		vpnsip_session_negotiated(s);
		return;
	}
	if (s->state != VS_CALLING)
		return;
	if (ev->has_sdp && ev->sdp_err == SDP_OK && s->local_port == VPNSIP_IKE_PORT &&
	    !s->port_key[0]) {
		/* Our 4500 serves this peer now: an answered call from the same
		 * address gets a port of its own. */
		vpnsip_port_claim(&rt->ports, s, ev->sdp.addr, VPNSIP_IKE_PORT, false);
	}
	char rule[96];
	int rc = !ev->has_sdp ? 488
		 : ev->sdp_err != SDP_OK ? 488
					 : sdp_check_answer(&ev->sdp, SDP_SETUP_ACTIVE, s->auth, &why);
	if (!rc && (why = addr_refused(&ev->sdp, rule, sizeof(rule)))) {
		rt->rejected_addr++;
		rc = 488;
	}
	struct vpnsip_peer answer_peer;
	if (!rc && !vpnsip_peer_from_sdp(&ev->sdp, s->bw_conf, SDP_SETUP_PASSIVE, &answer_peer)) {
		why = "c= address is not an IPv4 address";
		rc = 488;
	}
	if (rc) {
		why = !ev->has_sdp ? "no SDP answer"
		      : ev->sdp_err != SDP_OK ? sdp_strerror(ev->sdp_err)
					      : why;
		log_msg("VPN_SIP", SEV_WARNING, "ANSWER_REJECT",
			"%s: answer of %s not acceptable (%s): hanging up", s->tunnel, s->remote_number,
			why);
		char c[96];
		snprintf(c, sizeof(c), "answer not acceptable: %s", why);
		vpnsip_set_cause(s, c);
		s->failed = true;
		vpnsip_send_bye(s);
		return;
	}
	s->peer = answer_peer;
	vpnsip_session_negotiated(s);
}

static void on_call_ended(struct vpnsip_session *s, const struct sip_event *ev)
{
	char why[160];
	bool failure;

	set_call_id(s, ev->call_id);
	switch (ev->cause) {
	case SIP_END_REMOTE_BYE:
		snprintf(why, sizeof(why), "BYE from the peer");
		break;
	case SIP_END_CANCELLED:
		snprintf(why, sizeof(why), "cancelled by the caller");
		break;
	case SIP_END_REJECTED:
	case SIP_END_TIMEOUT:
	case SIP_END_ERROR:
		/* Our own stack's end (no response came): what happened, never
		 * sofia-sip's internal 408/503, which would read as the carrier's. */
		if (ev->local)
			snprintf(why, sizeof(why), "%s", ev->phrase);
		else if (ev->cause == SIP_END_ERROR)
			snprintf(why, sizeof(why), "SIP error %d %s", ev->status, ev->phrase);
		else if (ev->cause == SIP_END_TIMEOUT) /* the session timer, a refresh */
			snprintf(why, sizeof(why), "timeout (%d %s)", ev->status, ev->phrase);
		else
			snprintf(why, sizeof(why), "rejected %d %s", ev->status, ev->phrase);
		break;
	default:
		snprintf(why, sizeof(why), "hung up");
		break;
	}
	if (ev->local)
		vpnsip_log(SEV_NOTICE, "CALL_END", "%s: call with %s ended: %s (%s)", s->tunnel,
			   s->remote_number, sip_end_cause_name(ev->cause), ev->phrase);
	else
		vpnsip_log(SEV_NOTICE, "CALL_END", "%s: call with %s ended: %s (%d %s)", s->tunnel,
			   s->remote_number, sip_end_cause_name(ev->cause), ev->status,
			   ev->phrase);
	/* A call that never carried a session failed, unless we ended it for
	 * a reason that is not a failure (then s->cause is set already). */
	failure = !s->reached_up && ev->cause != SIP_END_CANCELLED &&
		  !(ev->cause == SIP_END_LOCAL && s->cause[0]);
	vpnsip_set_cause(s, why);
	s->failed = s->failed || failure;
	if (vpnsip_sas_may_exist(s, s->state)) {
		/* A BYE while SAs exist: they go at once (the answer to the BYE
		 * is already out). */
		vpnsip_set_state(s, VS_DISCONNECTING);
		vpnsip_sa_delete(s, VPNSIP_SA_DROP_MS);
	}
	vpnsip_call_reset(s);
}

void vpnsip_on_sip_event(const struct sip_event *ev, void *arg)
{
	struct vpnsip_rt *rt = vpnsip_rt();
	struct vpnsip_session *s = NULL;
	char key[16];

	if (!rt)
		return;
	if (ev->call) {
		vpnsip_handle_key(ev->call, key);
		s = hashmap_get(&rt->by_handle, key);
	}
	switch (ev->type) {
	case SIP_EV_REGISTRATION:
		vpnsip_on_registration(&ev->reg);
		break;
	case SIP_EV_CALL_OFFERED:
		on_offered(ev);
		break;
	case SIP_EV_CALL_PROGRESS:
		if (s)
			set_call_id(s, ev->call_id);
		break;
	case SIP_EV_CALL_ANSWERED:
		if (s)
			on_answered(s, ev);
		break;
	case SIP_EV_CALL_ENDED:
		if (s)
			on_call_ended(s, ev);
		break;
	}
}
