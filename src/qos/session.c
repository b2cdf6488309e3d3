/* The implicit policy follows the VPN-SIP sessions: attached when the
 * offer/answer is done (the negotiated b=AS is known), removed when the
 * call ends.
 *
 * The listener cannot refuse a session: when qos_vpnsip_check() fails (a
 * static service-policy on the tunnel, an unusable child) it logs the
 * reason; the orchestrator should call qos_vpnsip_check() itself before it
 * answers or places a call and fail the session (docs/qos.md).
 *
 * The ESP parameters are those of the default transform (AES-CBC-128 with
 * HMAC-SHA1-96) until the IKE engine reports the SA's with
 * qos_vpnsip_set_esp(). */
#include "qos/qos_int.h"
#include "vpnsip/vpnsip.h"

static struct config *session_cfg;

static void on_negotiated(const struct vpnsip_peer_info *p, void *ctx)
{
	static const struct qos_esp_overhead default_esp = { QOS_ESP_FIXED_UDP_ENCAP, 16, 12, 16 };
	char err[512];

	(void)ctx;
	if (!session_cfg)
		return;
	if (qos_vpnsip_attach(session_cfg, p->tunnel, p->bw_kbps, p->service_policy, &default_esp,
			      err, sizeof(err)) < 0)
		log_msg("QOS", SEV_ERR, "VPNSIP_FAIL", "%s: VPN-SIP session fails: %s", p->tunnel,
			err);
}

static void on_ended(const char *tunnel, void *ctx)
{
	(void)ctx;
	qos_vpnsip_detach(tunnel);
}

static struct vpnsip_listener qos_session_listener = {
	.negotiated = on_negotiated,
	.ended = on_ended,
};

void qos_session_init(struct config *cfg)
{
	static bool registered;

	session_cfg = cfg;
	if (!registered) {
		vpnsip_listener_register(&qos_session_listener);
		registered = true;
	}
}
