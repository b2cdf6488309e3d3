/* The user agent's calls: INVITE out (sip_call_place()) and in
 * (SIP_EV_CALL_OFFERED), answer, reject, hangup, re-offers and session
 * refreshes in a call, and how each call ends (SIP_EV_CALL_ENDED).  SIP
 * thread only, like every nua_* call here; see sip_ua_int.h. */
#include "sip/sip_ua_int.h"

#include <stdlib.h>
#include <strings.h>

#include <sofia-sip/msg_header.h>
#include <sofia-sip/nta.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_tag_io.h>

#include "log/log.h"
#include "sip/sip_int.h"
#include "sip/sip_msg.h"
#include "util/evloop.h"
#include "util/xalloc.h"

/* ---- the call table ------------------------------------------------------ */

static struct sip_call *call_find(struct sip_ua *ua, uint32_t id)
{
	char key[16];

	snprintf(key, sizeof(key), "%08x", id);
	return hashmap_get(&ua->calls, key);
}

static struct sip_call *call_new(struct sip_ua *ua, uint32_t id, bool outgoing)
{
	struct sip_call *c = xcalloc(1, sizeof(*c));
	char key[16];

	c->id = id;
	c->outgoing = outgoing;
	c->ua = ua;
	snprintf(key, sizeof(key), "%08x", id);
	hashmap_put(&ua->calls, key, c);
	atomic_fetch_add(&ua->st_active, 1);
	return c;
}

void call_free(struct sip_ua *ua, struct sip_call *c)
{
	char key[16];

	guard_peer_del(ua, c);
	snprintf(key, sizeof(key), "%08x", c->id);
	hashmap_del(&ua->calls, key);
	if (c->nh) {
		nua_handle_bind(c->nh, NULL);
		nua_handle_destroy(c->nh);
	}
	free(c->local_sdp);
	free(c);
	atomic_fetch_sub(&ua->st_active, 1);
}

void call_set_cause(struct sip_call *c, enum sip_end_cause cause, int status, const char *phrase)
{
	if (c->have_cause)
		return;
	c->have_cause = true;
	c->cause = cause;
	c->status = status;
	copy_str(c->phrase, sizeof(c->phrase), phrase);
}

void local_failure_text(char *buf, size_t n, const char *what, int status, const char *phrase)
{
	const char *std = sip_status_phrase(status);

	if (phrase && phrase[0] && !(std && strcasecmp(std, phrase) == 0))
		snprintf(buf, n, "local timeout: %s (%s)", what, phrase);
	else
		snprintf(buf, n, "local timeout: %s", what);
}

void call_set_local_cause(struct sip_call *c, enum sip_end_cause cause, int status,
			  const char *phrase)
{
	if (c->have_cause)
		return;
	call_set_cause(c, cause, status, phrase);
	c->cause_local = true;
}

void call_ended(struct sip_ua *ua, struct sip_call *c)
{
	struct sip_event ev = { .type = SIP_EV_CALL_ENDED, .call = c->id };

	if (c->ended)
		return;
	c->ended = true;
	if (!c->have_cause)
		call_set_cause(c, SIP_END_ERROR, 500, "Terminated");
	ev.cause = c->cause;
	ev.local = c->cause_local;
	ev.status = c->status;
	copy_str(ev.phrase, sizeof(ev.phrase), c->phrase);
	copy_str(ev.call_id, sizeof(ev.call_id), c->call_id);
	sip_dbg_calls("SIP call 0x%08X ended: %s (%d %s)", c->id, sip_end_cause_name(c->cause),
		      c->status, c->phrase);
	ua_post_event(ua, &ev);
}

/* ---- what a message says ---------------------------------------------------- */

/* The IPv4 address of a message's Contact, 0 if none. */
static uint32_t contact_addr(const sip_t *sip)
{
	const sip_contact_t *m = sip ? sip->sip_contact : NULL;
	struct in_addr a;

	if (!m || !m->m_url->url_host || inet_pton(AF_INET, m->m_url->url_host, &a) != 1)
		return 0;
	return a.s_addr;
}

static const char *find_unknown(const sip_t *sip, const char *name)
{
	for (const sip_unknown_t *u = sip ? sip->sip_unknown : NULL; u; u = u->un_next)
		if (u->un_name && strcasecmp(u->un_name, name) == 0)
			return u->un_value;
	return NULL;
}

static void fill_sdp(struct sip_event *ev, const sip_t *sip)
{
	if (sip && sip->sip_payload && sip->sip_payload->pl_len) {
		ev->has_sdp = true;
		ev->sdp_err = sdp_parse(sip->sip_payload->pl_data, sip->sip_payload->pl_len, &ev->sdp);
	} else {
		ev->has_sdp = false;
		ev->sdp_err = SDP_ERR_EMPTY;
	}
}

static bool body_is_sdp(const sip_t *sip)
{
	return sip->sip_content_type && sip->sip_content_type->c_type &&
	       strcasecmp(sip->sip_content_type->c_type, "application/sdp") == 0;
}

static bool has_body(const sip_t *sip)
{
	return sip && sip->sip_payload && sip->sip_payload->pl_len;
}

/* ---- INVITE, re-offers and session refreshes ------------------------------ */

/* The peer's IKE address and port from its SDP at setup: a re-offer may
 * not move them (IKE runs there). */
static void remember_peer(struct sip_call *c, const struct sip_event *ev)
{
	if (!ev->has_sdp || ev->sdp_err != SDP_OK)
		return;
	c->remote_known = true;
	copy_str(c->remote_addr, sizeof(c->remote_addr), ev->sdp.addr);
	c->remote_port = ev->sdp.port;
}

/* The peer allows UPDATE: our session refreshes use it (RFC 4028
 * recommends UPDATE without a body); else re-INVITE. */
static void refresh_method(struct sip_call *c, const sip_t *sip)
{
	if (sip && sip->sip_allow && sip_is_allowed(sip->sip_allow, sip_method_update, "UPDATE"))
		nua_set_hparams(c->nh, NUTAG_UPDATE_REFRESH(1), TAG_END());
}

/* A re-offer mid-call (re-INVITE or UPDATE with SDP) is acceptable when
 * it passes the offer rules for the authentication and IKE role this call
 * already uses and keeps the peer's address and port.  0, else the status
 * to refuse it with. */
int sip_reoffer_status(const char *local_sdp, bool remote_known, const char *remote_addr,
		       uint16_t remote_port, const sip_t *sip, const char **why)
{
	struct sdp_ike me, peer;
	enum sdp_error e;

	if (!has_body(sip))
		return 0;
	if (!body_is_sdp(sip)) {
		*why = "body is not application/sdp";
		return 415;
	}
	e = sdp_parse(sip->sip_payload->pl_data, sip->sip_payload->pl_len, &peer);
	if (e != SDP_OK) {
		*why = sdp_strerror(e);
		return 488;
	}
	if (!local_sdp || sdp_parse(local_sdp, strlen(local_sdp), &me) != SDP_OK) {
		*why = "no session description of ours";
		return 488;
	}
	int rc = sdp_check_offer(&peer, me.fp.kind,
				 me.setup == SDP_SETUP_ACTIVE ? SDP_ROLE_ACTIVE : SDP_ROLE_PASSIVE, why);
	if (rc)
		return rc;
	if (remote_known && (strcmp(peer.addr, remote_addr) != 0 || peer.port != remote_port)) {
		*why = "it moves the peer's IKE address or port";
		return 488;
	}
	return 0;
}

static int reoffer_check(const struct sip_call *c, const sip_t *sip, const char **why)
{
	return sip_reoffer_status(c->local_sdp, c->remote_known, c->remote_addr, c->remote_port, sip,
				  why);
}

/* A re-INVITE or UPDATE in an established call: a session refresh, or a
 * new offer.  Our session does not change, so the answer carries our SDP
 * again (when the request had an offer, or a re-INVITE had none); a
 * re-offer that breaks the rules is refused and the call stays as it is. */
static void on_refresh_request(struct sip_ua *ua, nua_handle_t *nh, struct sip_call *c,
			       const sip_t *sip, const char *method)
{
	const char *why = NULL;
	int rc = reoffer_check(c, sip, &why);
	bool invite = strcmp(method, "INVITE") == 0;

	if (rc) {
		static struct log_ratelimit rl = LOG_RATELIMIT_INIT(10000, 20);
		log_msg_limited(&rl, "SIP", SEV_WARNING, "REOFFER_REJECT",
			"%s in call %s refused %d: %s; the call stays", method, c->call_id, rc, why);
		nua_respond(nh, rc, sip_status_phrase(rc), NUTAG_WITH_THIS(ua->nua),
			    TAG_IF(rc == 415, SIPTAG_ACCEPT_STR("application/sdp")), TAG_END());
		return;
	}
	sip_dbg_calls("SIP call 0x%08X %s answered with the current SDP", c->id, method);
	if (c->local_sdp && (has_body(sip) || invite))
		nua_respond(nh, 200, "OK", NUTAG_WITH_THIS(ua->nua),
			    SIPTAG_CONTENT_TYPE_STR("application/sdp"),
			    SIPTAG_PAYLOAD_STR(c->local_sdp), TAG_END());
	else
		nua_respond(nh, 200, "OK", NUTAG_WITH_THIS(ua->nua), TAG_END());
}

void call_on_update(struct sip_ua *ua, nua_handle_t *nh, struct sip_call *c, const sip_t *sip)
{
	on_refresh_request(ua, nh, c, sip, "UPDATE");
}

bool sip_body_not_sdp(const sip_t *sip)
{
	return has_body(sip) && !body_is_sdp(sip);
}

void sip_invite_parties(const sip_t *sip, bool from_trusted_hop, struct sip_event *ev)
{
	const char *pai, *called;
	char *s;

	/* The caller as the network asserts it (TS-1017 II F3), else From. */
	pai = from_trusted_hop ? find_unknown(sip, "P-Asserted-Identity") : NULL;
	if (!pai || !sip_uri_number(pai, ev->caller, sizeof(ev->caller))) {
		ev->caller[0] = '\0';
		if (sip->sip_from) {
			s = url_as_string(NULL, sip->sip_from->a_url);
			if (s)
				sip_uri_number(s, ev->caller, sizeof(ev->caller));
			su_free(NULL, s);
		}
	}
	called = find_unknown(sip, "P-Called-Party-ID");
	if (!called || !sip_uri_number(called, ev->callee, sizeof(ev->callee))) {
		ev->callee[0] = '\0';
		const url_t *u = sip->sip_to ? sip->sip_to->a_url : NULL;
		if (!u || !u->url_user)
			u = sip->sip_request ? sip->sip_request->rq_url : NULL;
		if (u && (s = url_as_string(NULL, u))) {
			sip_uri_number(s, ev->callee, sizeof(ev->callee));
			su_free(NULL, s);
		}
	}
	fill_sdp(ev, sip);
}

static void on_incoming_invite(struct sip_ua *ua, nua_handle_t *nh, const sip_t *sip)
{
	struct sip_event ev = { .type = SIP_EV_CALL_OFFERED };
	uint32_t id = atomic_fetch_add(&ua->next_call, 1);
	struct sip_call *c;

	if (ua->stopping || ua->nua_shutting) {
		nua_respond(nh, 503, "Service Unavailable", TAG_END());
		nua_handle_destroy(nh);
		return;
	}
	if (sip_body_not_sdp(sip)) {
		/* RFC 3261 21.4.16: only SDP here. */
		static struct log_ratelimit rl = LOG_RATELIMIT_INIT(10000, 20);
		log_msg_limited(&rl, "SIP", SEV_WARNING, "BAD_OFFER",
			"INVITE (call-id %s) refused 415: body is %s, not application/sdp",
			sip->sip_call_id ? sip->sip_call_id->i_id : "-",
			sip->sip_content_type && sip->sip_content_type->c_type
				? sip->sip_content_type->c_type : "without Content-Type");
		atomic_fetch_add(&ua->st_rejected, 1);
		nua_respond(nh, 415, "Unsupported Media Type", SIPTAG_ACCEPT_STR("application/sdp"),
			    TAG_END());
		nua_handle_destroy(nh);
		return;
	}
	c = call_new(ua, id, false);
	c->nh = nh;
	c->offered = true;
	c->offered_ms = evloop_now_ms();
	nua_handle_bind(nh, c);
	c->peer_contact = contact_addr(sip);
	atomic_fetch_add(&ua->st_in, 1);
	if (sip->sip_call_id)
		copy_str(c->call_id, sizeof(c->call_id), sip->sip_call_id->i_id);
	ev.call = id;
	copy_str(ev.call_id, sizeof(ev.call_id), c->call_id);
	/* RFC 3325: only a hop of the trust domain may assert the caller. */
	uint32_t hop;
	uint16_t hop_port;
	sip_invite_parties(sip, guard_event_source(ua, &hop, &hop_port) && guard_trusted(ua, hop), &ev);
	remember_peer(c, &ev);
	refresh_method(c, sip);
	sip_dbg_calls("SIP call 0x%08X offered: caller %s callee %s call-id %s sdp %s", id,
		      ev.caller[0] ? ev.caller : "-", ev.callee[0] ? ev.callee : "-", c->call_id,
		      ev.has_sdp ? sdp_strerror(ev.sdp_err) : "none");
	ua_post_event(ua, &ev);
}

void call_on_invite(struct sip_ua *ua, nua_handle_t *nh, struct sip_call *c, const sip_t *sip)
{
	if (!c) {
		on_incoming_invite(ua, nh, sip);
		return;
	}
	on_refresh_request(ua, nh, c, sip, "INVITE");
}

/* RFC 4028 10: a refresh that timed out or whose dialog the peer lost
 * ends the call with BYE. */
void call_refresh_failed(struct sip_call *c, int status, const char *phrase, const char *method)
{
	if (status != 408 && status != 481)
		return; /* 491, 488 ... : the session goes on as it was */
	log_msg("SIP", SEV_WARNING, "REFRESH_FAIL", "Session refresh (%s) of call %s failed: %d %s; the call ends",
		method, c->call_id, status, phrase);
	call_set_cause(c, SIP_END_TIMEOUT, status, "Session refresh failed");
	if (!c->bye_sent) {
		c->bye_sent = true;
		nua_bye(c->nh, TAG_END());
	}
}

void call_on_invite_response(struct sip_ua *ua, int status, const char *phrase, nua_handle_t *nh,
			     struct sip_call *c, const sip_t *sip)
{
	struct sip_event ev = { .call = c->id };

	if (sip && sip->sip_call_id && !c->call_id[0])
		copy_str(c->call_id, sizeof(c->call_id), sip->sip_call_id->i_id);
	copy_str(ev.call_id, sizeof(ev.call_id), c->call_id);
	ev.status = status;
	copy_str(ev.phrase, sizeof(ev.phrase), phrase);
	if (status < 200) {
		ev.type = SIP_EV_CALL_PROGRESS;
		ua_post_event(ua, &ev);
		return;
	}
	if (status < 300) {
		if (c->answered)
			return; /* a refresh's 2xx */
		c->answered = true;
		atomic_fetch_add(&ua->st_answered, 1);
		guard_peer_add(ua, c, contact_addr(sip));
		ev.type = SIP_EV_CALL_ANSWERED;
		fill_sdp(&ev, sip);
		remember_peer(c, &ev);
		refresh_method(c, sip);
		sip_dbg_calls("SIP call 0x%08X answered %d, sdp %s", c->id, status,
			      ev.has_sdp ? sdp_strerror(ev.sdp_err) : "none");
		ua_post_event(ua, &ev);
		return;
	}
	if ((status == 401 || status == 407) && ua_authenticate(ua, nh, sip, &c->auth_tries))
		return;
	if (c->answered) {
		call_refresh_failed(c, status, phrase, "re-INVITE");
		return;
	}
	char with_warning[96];
	bool internal = nta_sip_is_internal(sip);
	if (!internal && sip->sip_warning && sip->sip_warning->w_text) {
		/* The refusal's reason, when the peer gives one (a 488's SDP rule). */
		snprintf(with_warning, sizeof(with_warning), "%s (%s)", phrase, sip->sip_warning->w_text);
		phrase = with_warning;
	}
	if (internal) {
		/* Made by our own transaction layer (no message, or nta's
		 * internal one): nothing answered (Timer B), or the server
		 * could not be reached (sofia-sip says 503); not the carrier's
		 * refusal. */
		char what[96];
		local_failure_text(what, sizeof(what),
				   status == 408 ? "no response to INVITE" : "SIP server unreachable",
				   status, phrase);
		call_set_local_cause(c, SIP_END_TIMEOUT, status, what);
		return;
	}
	/* The network's answer, a 408 of the carrier included. */
	call_set_cause(c, SIP_END_REJECTED, status, phrase);
}

void call_on_state(struct sip_ua *ua, int status, const char *phrase, struct sip_call *c,
		   tagi_t tags[])
{
	int cs = -1;

	tl_gets(tags, NUTAG_CALLSTATE_REF(cs), TAG_END());
	if (cs < 0)
		return;
	sip_dbg_states("SIP call 0x%08X state %s (%d %s)", c->id,
		       nua_callstate_name((enum nua_callstate)cs), status, phrase);
	if (cs == nua_callstate_ready && !c->outgoing && !c->acked) {
		/* Our 200 OK was acknowledged: the call is up. */
		struct sip_event ev = { .type = SIP_EV_CALL_ANSWERED, .call = c->id, .status = 200 };
		c->answered = c->acked = true;
		copy_str(ev.call_id, sizeof(ev.call_id), c->call_id);
		copy_str(ev.phrase, sizeof(ev.phrase), "ACK");
		ev.sdp_err = SDP_ERR_EMPTY;
		ua_post_event(ua, &ev);
	}
	if ((cs == nua_callstate_terminating || cs == nua_callstate_terminated) && c->answered &&
	    !c->bye_sent && !c->have_cause) {
		/* Neither we nor the peer asked for it: nua's session timer
		 * (RFC 4028 10: the refresher never refreshed) sends BYE. */
		log_msg("SIP", SEV_WARNING, "SESSION_EXPIRED",
			"Session timer of call %s expired without refresh; hanging up", c->call_id);
		call_set_cause(c, SIP_END_TIMEOUT, 408, "Session timer expired");
	}
	if (cs != nua_callstate_terminated)
		return;
	if (status == 408)
		call_set_cause(c, SIP_END_TIMEOUT, status, phrase);
	else
		call_set_cause(c, SIP_END_ERROR, status, phrase);
	call_ended(ua, c);
	call_free(ua, c);
}

/* ---- the end of calls --------------------------------------------------- */

void calls_end_all(struct sip_ua *ua, enum sip_end_cause cause, int status, const char *phrase)
{
	size_t n;
	void **v = hashmap_values(&ua->calls, &n);

	for (size_t i = 0; i < n; i++) {
		struct sip_call *c = v[i];
		call_set_cause(c, cause, status, phrase);
		if (c->offered && !c->answered)
			nua_respond(c->nh, 480, "Temporarily Unavailable", TAG_END());
		else if (c->answered && !c->bye_sent) {
			c->bye_sent = true;
			nua_bye(c->nh, TAG_END());
		} else if (c->outgoing && !c->answered)
			nua_cancel(c->nh, TAG_END());
		call_ended(ua, c);
		call_free(ua, c);
	}
	free(v);
}

/* Once a second: an offer the orchestrator never answered gets 480, an
 * outgoing call nobody answered within the call timeout CANCEL. */
void calls_tick(struct sip_ua *ua, uint64_t now)
{
	size_t n;
	void **v = hashmap_values(&ua->calls, &n);

	for (size_t i = 0; i < n; i++) {
		struct sip_call *c = v[i];
		if (c->offered && !c->answered && now - c->offered_ms > SIP_OFFER_TIMEOUT_MS) {
			call_set_local_cause(c, SIP_END_TIMEOUT, 480,
					     "local timeout: offer not answered by the orchestrator");
			nua_respond(c->nh, 480, "Temporarily Unavailable", TAG_END());
			call_ended(ua, c);
			call_free(ua, c);
		} else if (c->outgoing && !c->answered && !c->cancel_sent && c->placed_ms &&
			   now - c->placed_ms > ua->cur.call_timeout * 1000ULL) {
			/* Nobody answered in time: CANCEL (nta holds it back
			 * until a provisional answer; without one the INVITE
			 * times out by itself). */
			sip_dbg_calls("SIP call 0x%08X unanswered after %u s: CANCEL", c->id,
				      ua->cur.call_timeout);
			char what[64];
			snprintf(what, sizeof(what), "local timeout: not answered within %u s",
				 ua->cur.call_timeout);
			call_set_local_cause(c, SIP_END_TIMEOUT, 408, what);
			c->cancel_sent = true;
			nua_cancel(c->nh, TAG_END());
		}
	}
	free(v);
}

/* ---- commands ------------------------------------------------------------ */

void call_place(struct sip_ua *ua, struct cmd *cmd)
{
	struct sip_call *c = call_new(ua, cmd->call, true);
	const struct settings *s = &ua->cur;
	const char *domain = s->domain ? s->domain : s->server;

	if (!ua->nua || ua->nua_shutting || !ua_settings_usable(s)) {
		call_set_local_cause(c, SIP_END_ERROR, 503, "local: SIP not ready (no transport)");
		call_ended(ua, c);
		call_free(ua, c);
		return;
	}
	char *ruri = s->uri_form == SIP_URI_TEL
			     ? xasprintf("tel:%s;phone-context=%s", cmd->text, domain)
			     : xasprintf("sip:%s@%s", cmd->text, domain);
	const char *me = cmd->from ? cmd->from : s->local_number;
	char *to = xasprintf("<%s>", ruri);
	char *from = reg_aor(s, me);
	char *ppi = xasprintf("P-Preferred-Identity: %s\r\nPrivacy: none", from);

	atomic_fetch_add(&ua->st_out, 1);
	c->local_sdp = cmd->sdp;
	cmd->sdp = NULL;
	c->nh = nua_handle(ua->nua, c, SIPTAG_TO_STR(to), SIPTAG_FROM_STR(from),
			   NUTAG_M_USERNAME(me), TAG_END());
	c->placed_ms = evloop_now_ms();
	sip_dbg_calls("SIP call 0x%08X: INVITE %s from %s", c->id, ruri, me);
	nua_invite(c->nh, NUTAG_URL(ruri), SIPTAG_HEADER_STR(ppi),
		   SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(c->local_sdp),
		   TAG_END());
	free(ruri);
	free(to);
	free(from);
	free(ppi);
}

void call_answer(struct sip_ua *ua, struct cmd *cmd)
{
	struct sip_call *c = call_find(ua, cmd->call);

	if (!c || !c->offered || c->answered)
		return;
	free(c->local_sdp);
	c->local_sdp = cmd->sdp;
	cmd->sdp = NULL;
	c->answered = true;
	atomic_fetch_add(&ua->st_answered, 1);
	guard_peer_add(ua, c, c->peer_contact);
	sip_dbg_calls("SIP call 0x%08X: 200 OK", c->id);
	nua_respond(c->nh, 200, "OK", SIPTAG_CONTENT_TYPE_STR("application/sdp"),
		    SIPTAG_PAYLOAD_STR(c->local_sdp), TAG_END());
}

void call_reject(struct sip_ua *ua, struct cmd *cmd)
{
	struct sip_call *c = call_find(ua, cmd->call);

	if (!c || !c->offered || c->answered)
		return;
	int status = cmd->status >= 300 && cmd->status <= 699 ? cmd->status : 500;
	/* nua_respond() keeps the phrase pointer until the response goes out,
	 * after this command is freed: only static phrases. */
	const char *phrase = sip_status_phrase(status);
	atomic_fetch_add(&ua->st_rejected, 1);
	sip_dbg_calls("SIP call 0x%08X: rejected %d %s", c->id, status, phrase ? phrase : "");
	call_set_cause(c, SIP_END_LOCAL, status, phrase);
	/* A 488 says which SDP rule the offer broke (RFC 3261 20.43,
	 * warn-code 399), so that the caller's operator sees it too. */
	char warning[160];
	if (status == 488 && cmd->text && cmd->text[0] && ua->cur.local_addr) {
		char text[120];
		size_t i;
		for (i = 0; cmd->text[i] && i < sizeof(text) - 1; i++) {
			unsigned char ch = (unsigned char)cmd->text[i];
			text[i] = ch == '"' || ch == '\\' || ch < 0x20 || ch > 0x7e ? '\'' : (char)ch;
		}
		text[i] = '\0';
		snprintf(warning, sizeof(warning), "399 %s \"%s\"", ua->cur.local_addr, text);
		nua_respond(c->nh, status, phrase ? phrase : "Rejected", SIPTAG_WARNING_STR(warning),
			    TAG_END());
	} else {
		nua_respond(c->nh, status, phrase ? phrase : "Rejected", TAG_END());
	}
	/* nua reports the terminated state; end it here in case it does not. */
	call_ended(ua, c);
	call_free(ua, c);
}

void call_hangup(struct sip_ua *ua, struct cmd *cmd)
{
	struct sip_call *c = call_find(ua, cmd->call);

	if (!c)
		return;
	call_set_cause(c, SIP_END_LOCAL, 0, "Local hangup");
	sip_dbg_calls("SIP call 0x%08X: hangup", c->id);
	if (c->offered && !c->answered) {
		nua_respond(c->nh, 480, "Temporarily Unavailable", TAG_END());
	} else if (c->answered) {
		if (c->bye_sent)
			return;
		c->bye_sent = true;
		nua_bye(c->nh, TAG_END());
		return; /* terminated state ends it */
	} else {
		if (!c->cancel_sent) {
			c->cancel_sent = true;
			nua_cancel(c->nh, TAG_END());
		}
		return;
	}
	call_ended(ua, c);
	call_free(ua, c);
}

const char *sip_end_cause_name(enum sip_end_cause c)
{
	switch (c) {
	case SIP_END_LOCAL: return "local hangup";
	case SIP_END_REMOTE_BYE: return "remote BYE";
	case SIP_END_CANCELLED: return "cancelled by caller";
	case SIP_END_REJECTED: return "rejected";
	case SIP_END_TIMEOUT: return "timeout";
	case SIP_END_ERROR: return "error";
	}
	return "?";
}
