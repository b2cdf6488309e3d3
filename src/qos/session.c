/* The implicit policy follows the VPN-SIP sessions: attached when the
 * offer/answer is done (the negotiated b=AS is known), removed when the
 * call ends.
 *
 * Before a call is placed or answered the orchestrator asks the vpnsip_admit
 * hook: qos_vpnsip_check() refuses a static service-policy on the
 * tunnel or an unusable child, and the session fails before any call
 * (docs/qos.md).  A check that still fails at attach time (the config
 * changed during the call) is logged.
 *
 * The ESP parameters are those of the default transform (AES-CBC-128 with
 * HMAC-SHA1-96) until the IKE engine reports the SA's (the ike_event hook,
 * taken before the orchestrator hears that the session is up). */
#include "ike/ike.h"
#include "qos/qos_int.h"
#include "vpnsip/vpnsip.h"

static struct config *session_cfg;

static void on_negotiated(const struct vpnsip_peer_info *p, void *arg)
{
	static const struct qos_esp_overhead default_esp = { QOS_ESP_FIXED_UDP_ENCAP, 16, 12, 16 };
	char err[512];

	if (!session_cfg)
		return;
	if (qos_vpnsip_attach(session_cfg, p->tunnel, p->peer.bw_kbps, p->service_policy, &default_esp,
			      err, sizeof(err)) < 0)
		log_msg("QOS", SEV_ERR, "VPNSIP_FAIL", "%s: VPN-SIP session fails: %s", p->tunnel,
			err);
}

static bool on_admit(const char *tunnel, const char *child, char *err, size_t errlen, void *arg)
{
	return !session_cfg || qos_vpnsip_check(session_cfg, tunnel, child, err, errlen) == 0;
}

static void on_ended(const char *tunnel, void *arg)
{
	qos_vpnsip_detach(tunnel);
}

static void on_ike_event(const struct ike_event *ev, void *arg)
{
	if (ev->type == IKE_EV_UP || ev->type == IKE_EV_REKEYED)
		qos_vpnsip_sa_transforms(ev->tunnel, ev->enc_alg, ev->enc_key_bits, ev->int_alg);
}

void qos_session_init(struct config *cfg)
{
	static bool registered;

	session_cfg = cfg;
	if (!registered) {
		/* Before the IKE engine: the shaper is attached before IKE
		 * starts (a start that fails at once ends the call, whose
		 * detach must follow the attach) and detached before the SA
		 * goes. */
		hook_register(vpnsip_negotiated, on_negotiated, NULL, HOOK_PRIO_FIRST);
		hook_register(vpnsip_call_ended, on_ended, NULL, HOOK_PRIO_FIRST);
		hook_register(vpnsip_admit, on_admit, NULL, HOOK_PRIO_DEFAULT);
		hook_register(ike_event, on_ike_event, NULL, HOOK_PRIO_FIRST);
		registered = true;
	}
}
