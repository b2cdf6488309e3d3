/* The data plane's and the IKE engine's side of the session state
 * machine: traffic that triggers a call (or waits out the retry back-off),
 * the agreed SDPs handed to IKE with its set-up limit, IKE up (the session
 * is up; max-call-duration starts), authentication failure, the SAs'
 * delete or loss, and the idle timeout.  Kept apart from the state
 * machine's core (session.c) and from SIP's events (session_sip.c): these
 * are the events that come from the tunnel, not from the call. */
#include <stdio.h>
#include <string.h>

#include "util/evloop.h"
#include "vpnsip/vpnsip_int.h"

/* ---- data plane and IKE events ------------------------------------------ */

void vpnsip_trigger(const char *tunnel_name)
{
	struct vpnsip_rt *rt = vpnsip_rt();
	struct vpnsip_session *s = rt ? hashmap_get(&rt->by_tunnel, tunnel_name) : NULL;
	const char *why;
	bool logged = false;

	if (!s || s->state != VS_READY_TO_CONNECT)
		return;
	if (s->retry_timer) {
		/* Back-off after a failure: the trigger is re-armed when it ends. */
		rt->calls_backed_off++;
		vs_dbg_event("VPN-SIP %s: traffic, but in retry back-off", tunnel_name);
		vpnsip_trigger_queue_drop(s);
		return;
	}
	vs_dbg_event("VPN-SIP %s: traffic without SA triggers the call", tunnel_name);
	if (vpnsip_call_try(tunnel_name, &why, &logged) < 0) {
		vs_dbg_error("VPN-SIP %s: cannot call: %s", tunnel_name, why);
		vpnsip_trigger_queue_drop(s);
		/* Traffic that wants the backup and gets nothing: always said,
		 * once per reason (the trigger comes back every few seconds). */
		if (!logged && strcmp(s->not_placed, why) != 0)
			log_msg("VPN_SIP", SEV_WARNING, "CALL_FAIL", "%s: no call to %s: %s", s->tunnel,
				s->remote_number, why);
		snprintf(s->not_placed, sizeof(s->not_placed), "%s", why);
		vpnsip_last_failure(s, why);
		/* Not registered yet, or rate limited: try again a bit later. */
		if (!rt->quiescing && !s->retry_timer)
			vpnsip_retry_arm(s, VPNSIP_RETRY_BASE_S);
		return;
	}
	s->not_placed[0] = '\0';
}

static void step_fire(struct ev_timer *t, void *arg)
{
	struct vpnsip_rt *rt = vpnsip_rt();
	struct vpnsip_session *s = arg;

	s->step_timer = NULL; /* fired: the loop frees it */
	if (s->state == VS_NEGOTIATING_IKE || s->state == VS_ANSWERING) {
		vpnsip_log(SEV_ERR, "SESSION_FAIL", "%s: IKE did not come up in %d s", s->tunnel,
			   VPNSIP_IKE_SETUP_MS / 1000);
		vpnsip_session_teardown(s, "IKE did not come up in time", true);
	} else if (s->state == VS_DISCONNECTING && s->sip_handle) {
		/* The peer deleted the SAs but sent no BYE: we do. */
		vs_dbg_event("VPN-SIP %s: no BYE after the peer's delete: sending BYE", s->tunnel);
		sip_call_hangup(rt->ua, s->sip_handle);
	}
}

static void dur_fire(struct ev_timer *t, void *arg)
{
	struct vpnsip_session *s = arg;

	s->dur_timer = NULL;
	vpnsip_session_teardown(s, "maximum call duration reached", false);
}

void vpnsip_ike_event(const char *tunnel_name, enum vpnsip_ike_ev ev, const char *cause)
{
	struct vpnsip_rt *rt = vpnsip_rt();
	struct vpnsip_session *s = rt ? hashmap_get(&rt->by_tunnel, tunnel_name) : NULL;
	char why[192];

	if (!s)
		return;
	switch (ev) {
	case VPNSIP_IKE_UP:
		if (s->state != VS_NEGOTIATING_IKE && s->state != VS_ANSWERING)
			return; /* ANSWERING: IKE was faster than the ACK */
		vpnsip_timer_stop(&s->step_timer);
		vpnsip_timer_stop(&s->ack_timer); /* the peer proved itself: the ACK may come late */
		s->reached_up = true;
		s->fail_count = 0;
		vpnsip_set_state(s, VS_SESSION_UP);
		/* Always logged (not only with "vpn-sip logging"): the backup
		 * path is up. */
		log_msg("VPN_SIP", SEV_NOTICE, "SESSION_UP", "%s: session with %s up", s->tunnel,
			s->remote_number);
		vpnsip_event_session_up(s);
		const struct vpnsip_cfg *c = vpnsip_cfg_get(rt->cfg);
		const char *profile;
		if (!vpnsip_tunnel_idle_time(rt->cfg, iface_find(&rt->cfg->ifaces, s->tunnel),
					     &profile) &&
		    profile)
			log_msg("VPN_SIP", SEV_WARNING, "NO_IDLE_TIMER",
				"%s: IPsec profile %s sets no idle-time: this call lasts until %s", s->tunnel,
				profile, c && c->max_call_s ? "max-call-duration or clear vpn-sip session"
							    : "clear vpn-sip session");
		if (c && c->max_call_s && !s->dur_timer) {
			uint64_t up = evloop_now_ms() - s->since_ms, lim = c->max_call_s * 1000ULL;
			s->dur_timer = ev_timer_add(rt->loop, up < lim ? lim - up : 1, dur_fire, s);
		}
		return;
	case VPNSIP_IKE_AUTH_FAILED:
		snprintf(why, sizeof(why), "IKE authentication failed: %s", cause ? cause : "?");
		vpnsip_log(SEV_ERR, "SESSION_FAIL", "%s: %s", s->tunnel, why);
		vpnsip_session_teardown(s, why, true);
		return;
	case VPNSIP_IKE_DOWN:
		break;
	case VPNSIP_IKE_LOST:
		if (s->state != VS_SESSION_UP)
			break; /* as any other end of the SA */
		/* Nobody will delete or hang up from the other side: the BYE
		 * now (it may still reach the peer's SIP terminal). */
		vpnsip_set_cause(s, cause ? cause : "peer not responding");
		vpnsip_timer_stop(&s->dur_timer);
		vpnsip_set_state(s, VS_DISCONNECTING);
		vpnsip_timer_stop(&s->step_timer);
		if (s->sip_handle)
			sip_call_hangup(rt->ua, s->sip_handle);
		return;
	}
	switch (s->state) {
	case VS_DELETING_SA:
		/* Our delete was answered (or timed out): now the BYE. */
		vpnsip_send_bye(s);
		break;
	case VS_NEGOTIATING_IKE:
	case VS_ANSWERING:
		snprintf(why, sizeof(why), "IKE failed: %s", cause ? cause : "?");
		vpnsip_log(SEV_ERR, "SESSION_FAIL", "%s: %s", s->tunnel, why);
		vpnsip_session_teardown(s, why, true);
		break;
	case VS_SESSION_UP:
		/* The peer deleted the SAs; TS-1017 4.2 has its BYE follow. */
		snprintf(why, sizeof(why), "SAs deleted by the peer (%s)", cause ? cause : "deleted");
		vpnsip_set_cause(s, why);
		vpnsip_timer_stop(&s->dur_timer);
		vpnsip_set_state(s, VS_DISCONNECTING);
		vpnsip_timer_stop(&s->step_timer);
		s->step_timer = ev_timer_add(rt->loop, VPNSIP_PEER_BYE_WAIT_MS, step_fire, s);
		break;
	default:
		break;
	}
}

void vpnsip_ike_state(const char *tunnel_name, bool up)
{
	vpnsip_ike_event(tunnel_name, up ? VPNSIP_IKE_UP : VPNSIP_IKE_DOWN, NULL);
}

void vpnsip_idle(const char *tunnel_name)
{
	struct vpnsip_rt *rt = vpnsip_rt();
	struct vpnsip_session *s = rt ? hashmap_get(&rt->by_tunnel, tunnel_name) : NULL;

	if (s && s->state == VS_SESSION_UP)
		vpnsip_session_teardown(s, "idle timeout", false);
}

static bool ike_active(struct vpnsip_session *s)
{
	return hook_call(vpnsip_ike_active, s->tunnel);
}

/* Give the call to the IKE engine (and QoS): the SDPs are agreed. */
static void start_ike(struct vpnsip_session *s)
{
	struct vpnsip_rt *rt = vpnsip_rt();
	struct vpnsip_peer_info p = {
		.tunnel = s->tunnel,
		.local_number = s->local_number,
		.remote_number = s->remote_number,
		.local_addr = s->local_addr,
		.local_port = s->local_port,
		.peer = s->peer,
		.ike_initiator = s->ike_initiator,
		.call_initiator = s->initiator,
		.auth = s->auth,
		.service_policy = s->service_policy,
	};
	vpnsip_cdr_call_answered(s);
	s->ike_started = true;
	hook_call(vpnsip_negotiated, &p);
	/* Bounded: IKE that never finishes must not hold the call (and its
	 * cost).  Without an IKE engine the call stays (SIP-only tests). */
	if ((s->state == VS_NEGOTIATING_IKE || s->state == VS_ANSWERING) && ike_active(s) &&
	    !s->step_timer)
		s->step_timer = ev_timer_add(rt->loop, VPNSIP_IKE_SETUP_MS, step_fire, s);
}

/* s->peer holds the peer's SDP: IKE's turn. */
void vpnsip_session_negotiated(struct vpnsip_session *s)
{
	char a[VPNSIP_ADDR_TEXT_MAX];

	vpnsip_set_state(s, VS_NEGOTIATING_IKE);
	vpnsip_log(SEV_NOTICE, "NEGOTIATED", "%s: %s at %s:%u, bandwidth %u kbps", s->tunnel,
		   s->remote_number, vpnsip_addr_text(&s->peer.addr, a, sizeof(a)), s->peer.port,
		   s->peer.bw_kbps);
	if (!s->ike_started)
		start_ike(s);
}
