/* The IKE engine under the VPN-SIP orchestrator (src/vpnsip/vpnsip.h):
 *   negotiated (SDP offer/answer done)  -> ike_session_start()
 *   delete_sa (teardown, before BYE)    -> ike_session_stop()
 *   ended (the call is over)            -> ike_session_stop() if still there
 *   IKE up / down / auth failed         -> vpnsip_ike_event()
 *   data plane trigger                  -> vpnsip_trigger()
 *   data plane idle timer               -> vpnsip_idle(): the orchestrator
 *                                          deletes the SAs, then sends BYE.
 * Main thread only. */
#include <library.h>

#include "ike/ike_int.h"

#include <stdio.h>
#include <string.h>

#include "config/config.h"
#include "dataplane/tunnel.h"
#include "log/log.h"
#include "sip/sdp.h"
#include "vpnsip/vpnsip.h"

static void on_negotiated(const struct vpnsip_peer_info *p, void *arg)
{
	struct ike_session_params sp = {
		.tunnel = p->tunnel,
		.role = p->ike_initiator ? IKE_ROLE_INITIATOR : IKE_ROLE_RESPONDER,
		.local_port = p->local_port,
		.peer = p->peer, /* with the fingerprint that binds IKE_AUTH to this call */
		.local_id = p->local_number,
		.remote_id = p->remote_number,
		.vpn_sip = true,
	};
	char err[200];

	/* A tunnel without "tunnel protection" is not an IPsec tunnel (yet):
	 * the call stays up without IKE, as before the engine existed. */
	const struct iface_cfg *ifc = ike_cfg_model ? iface_find(&ike_cfg_model->ifaces, p->tunnel) : NULL;
	const struct tunnel_ext *t = ifc ? tunnel_ext_get(ifc) : NULL;
	if (!t || !t->ipsec_profile) {
		log_msg("IKEV2", SEV_WARNING, "SESSION",
			"%s: no tunnel protection configured: IKE not started", p->tunnel);
		return;
	}
	if (ike_session_start(&sp, err, sizeof(err)) < 0) {
		log_msg("IKEV2", SEV_ERR, "SESSION", "%s: cannot start IKE: %s", p->tunnel, err);
		vpnsip_ike_event(p->tunnel, VPNSIP_IKE_DOWN, err);
	}
}

static void on_delete_sa(const char *tunnel, unsigned timeout_ms, bool *deleting, void *arg)
{
	if (!ike_session_exists(tunnel))
		return;
	*deleting = true;
	ike_session_stop(tunnel, timeout_ms);
}

static bool on_ike_active(const char *tunnel, void *arg)
{
	return ike_session_exists(tunnel);
}

static void on_ended(const char *tunnel, void *arg)
{
	if (ike_session_exists(tunnel))
		ike_session_stop(tunnel, 3000);
}

static void on_ike_event(const struct ike_event *ev, void *arg)
{
	switch (ev->type) {
	case IKE_EV_UP:
		vpnsip_ike_event(ev->tunnel, VPNSIP_IKE_UP, NULL);
		break;
	case IKE_EV_DOWN:
		/* The engine's causes for an SA that ended because the peer
		 * went silent (DPD dead, retransmits exhausted) all start so. */
		vpnsip_ike_event(ev->tunnel, ev->cause && !strncmp(ev->cause, "peer not responding", 19) ?
				 VPNSIP_IKE_LOST : VPNSIP_IKE_DOWN, ev->cause);
		break;
	case IKE_EV_AUTH_FAILED:
		vpnsip_ike_event(ev->tunnel, VPNSIP_IKE_AUTH_FAILED, ev->cause);
		break;
	case IKE_EV_REKEYED: /* QoS follows the transforms itself (qos/session.c) */
		break;
	case IKE_EV_IKE_REKEYED:
		break;
	}
}

static void on_trigger(const char *tunnel, void *arg)
{
	vpnsip_trigger(tunnel);
}

static void on_idle(const char *tunnel, void *arg)
{
	vpnsip_idle(tunnel);
}

void ike_vpnsip_wire(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	hook_register(vpnsip_negotiated, on_negotiated, NULL, HOOK_PRIO_DEFAULT);
	hook_register(vpnsip_call_ended, on_ended, NULL, HOOK_PRIO_DEFAULT);
	hook_register(vpnsip_delete_sa, on_delete_sa, NULL, HOOK_PRIO_DEFAULT);
	hook_register(vpnsip_ike_active, on_ike_active, NULL, HOOK_PRIO_DEFAULT);
	hook_register(ike_event, on_ike_event, NULL, HOOK_PRIO_DEFAULT);
	hook_register(dp_trigger, on_trigger, NULL, HOOK_PRIO_DEFAULT);
	hook_register(dp_idle, on_idle, NULL, HOOK_PRIO_DEFAULT);
}
