/* Static tunnels ("tunnel destination A.B.C.D" with "tunnel protection"):
 * the engine starts their sessions itself and initiates again after any
 * end of their IKE SA.  Configuration changes: the addresses the IKE ports
 * accept, libcharon's global settings, every snapshot rebuilt when the
 * crypto configuration changes.  Main thread. */
#include <library.h>
#include <daemon.h>

#include "ike/ike_session_int.h"

#include <stdio.h>
#include <stdlib.h>

#include "config/config.h"
#include "dataplane/tunnel.h"
#include "log/log.h"
#include "net/ifstate.h"
#include "util/xalloc.h"

/* The UDP ports accept IKE and ESP-in-UDP only on the addresses of the
 * IPsec tunnels' "tunnel source" interfaces (VPN-SIP adds its SIP
 * address): the router's other addresses (LAN, a primary line) do not
 * answer IKE.  A tunnel without a source, or with a source interface
 * whose address vpnsipd does not manage (no "interface" section: its
 * address may change unseen), leaves every address open.  Recomputed once
 * per loop round after changes (a boot file changes thousands of lines). */
static struct ev_timer *ports_timer;

static void ports_update(void)
{
	struct dataplane *dp = dataplane_get();
	struct iface_cfg **ifs;
	struct in_addr *addrs;
	size_t n, k = 0;
	bool any = false;

	if (!dp || !ike_cfg_model)
		return;
	ifs = iface_sorted(&ike_cfg_model->ifaces, &n);
	addrs = xcalloc(n + 1, sizeof(*addrs));
	for (size_t i = 0; i < n; i++) {
		const struct tunnel_ext *t = tunnel_ext_get(ifs[i]);
		const struct ifstate *st;
		if (!t || !t->mode_ipsec)
			continue;
		if (!t->source) {
			any = true;
			continue;
		}
		if (!iface_find(&ike_cfg_model->ifaces, t->source)) {
			any = true;
			continue;
		}
		st = ifstate_get(t->source);
		if (st && st->has_addr)
			addrs[k++] = st->addr.addr;
	}
	dp->ports_accept(dp, DP_ADDRS_TUNNELS, addrs, k, any);
	free(addrs);
	free(ifs);
}

static void ports_fire(struct ev_timer *t, void *arg)
{
	ports_timer = NULL; /* fired: the loop frees it */
	ports_update();
}

static void ports_changed(void)
{
	if (!ports_timer && ike_loop)
		ports_timer = ev_timer_add(ike_loop, 0, ports_fire, NULL);
}

static void ports_on_ifstate(const struct ifstate *st, unsigned what, void *arg)
{
	if (what & (IFSTATE_ADDR | IFSTATE_GONE))
		ports_changed();
}

#define STATIC_RETRY_MS 5000

static void static_retry(struct ev_timer *t, void *arg)
{
	struct session *se = arg;

	(void)t;
	se->retry_timer = NULL; /* fired: the loop frees it */
	if (se->up || se->stopping)
		return;
	ike_session_initiate(se->tunnel);
}

void ike_static_retry(struct session *se)
{
	if (!se->retry_timer)
		se->retry_timer = ev_timer_add(ike_loop, STATIC_RETRY_MS, static_retry, se);
}

static void static_tunnel_check_session(struct config *cfg, struct iface_cfg *ifc, bool deleted)
{
	const struct tunnel_ext *t = deleted ? NULL : tunnel_ext_get(ifc);
	struct session *se = ike_session_find(ifc->name);
	bool want = t && t->mode_ipsec && t->dest == TUNNEL_DEST_STATIC && t->ipsec_profile &&
		    !ifc->shutdown;
	char err[160];

	if (!ike_running)
		return;
	if (!want) {
		if (se && se->is_static)
			ike_session_stop(ifc->name, 2000);
		return;
	}
	struct vpnsip_addr dest = vpnsip_addr_v4(t->dest_addr);
	if (se && vpnsip_addr_equal(&se->peer.addr, &dest) && !se->stopping)
		return;
	struct ike_session_params p = {
		.tunnel = ifc->name,
		.role = IKE_ROLE_INITIATOR,
		.peer = { .addr = dest },
	};
	if (ike_session_start(&p, err, sizeof(err)) < 0) {
		log_msg("IKEV2", SEV_WARNING, "TUNNEL", "%s: %s", ifc->name, err);
		return;
	}
	se = ike_session_find(ifc->name);
	if (se)
		se->is_static = true;
}

static void static_tunnel_check(struct config *cfg, struct iface_cfg *ifc, bool deleted)
{
	ports_changed();
	static_tunnel_check_session(cfg, ifc, deleted);
}

static void on_tunnel_changed(struct config *cfg, struct iface_cfg *ifc, bool deleted, void *arg)
{
	static_tunnel_check(cfg, ifc, deleted);
}

/* "shutdown" / "no shutdown" on a static tunnel stop and start its IKE
 * SA (as IOS: an SVTI that is shut holds no SA); the tunnel lines above
 * cover the rest. */
static void on_iface_changed(struct config *cfg, struct iface_cfg *ifc, void *arg)
{
	if (tunnel_ext_get(ifc))
		static_tunnel_check(cfg, ifc, false);
}

/* Global IKE settings libcharon reads when it makes an IKE SA.
 * "crypto ikev2 fragmentation mtu N" is global on IOS too: charon's
 * fragment_size is the whole IP datagram of a fragment, as IOS's mtu
 * (libcharon subtracts the IP and UDP headers and the non-ESP marker).
 * Whether to fragment at all is per IKE SA (ike_cfg, ike_snap_build). */
static void apply_globals(const struct config *cfg)
{
	const struct crypto_globals *g = crypto_globals(cfg);
	unsigned mtu = g && g->fragmentation_mtu ? g->fragmentation_mtu :
						     IKEV2_FRAGMENTATION_MTU_DEFAULT;

	lib->settings->set_int(lib->settings, "%s.fragment_size", (int)mtu, lib->ns);
}

/* Rebuild every snapshot: the crypto configuration changed. */
static void crypto_changed(const struct config *cfg, void *arg)
{
	size_t n;
	struct session **v = ike_sessions_all(&n);
	char err[160];

	ike_creds_clear_local();
	/* A cached CRL would still revoke under "revocation-check none" or
	 * outlive its file: the CRLs are read again from the files. */
	lib->credmgr->flush_cache(lib->credmgr, CERT_X509_CRL);
	apply_globals(cfg);
	for (size_t i = 0; i < n; i++) {
		struct session *se = v[i];
		struct snap *s = ike_snap_build(se, err, sizeof(err));
		struct session was = *se;
		ike_liveness_cfg(se);
		if (was.dpd_mode != se->dpd_mode || was.dpd_interval != se->dpd_interval ||
		    was.dpd_retry != se->dpd_retry || was.keepalive != se->keepalive)
			ike_liveness_start(se);
		if (s)
			ike_snap_install(s);
		else
			log_msg("IKEV2", SEV_WARNING, "CONFIG", "%s: %s (keeping the previous settings)",
				se->tunnel, err);
	}
	free(v);
	/* Static tunnels whose profiles appeared now. */
	struct iface_cfg **all = iface_sorted(&ike_cfg_model->ifaces, &n);
	for (size_t i = 0; i < n; i++)
		if (all[i]->kind == IFACE_TUNNEL && !ike_session_find(all[i]->name))
			static_tunnel_check(ike_cfg_model, all[i], false);
	free(all);
}

void ike_static_init(const struct config *cfg)
{
	apply_globals(cfg);
	hook_register(crypto_config_changed, crypto_changed, NULL, HOOK_PRIO_DEFAULT);
	hook_register(tunnel_changed, on_tunnel_changed, NULL, HOOK_PRIO_DEFAULT);
	hook_register(iface_changed, on_iface_changed, NULL, HOOK_PRIO_DEFAULT);
	hook_register(ifstate_changed, ports_on_ifstate, NULL, HOOK_PRIO_DEFAULT);
	ports_update();
}

void ike_static_shutdown(void)
{
	hook_unregister(tunnel_changed, on_tunnel_changed, NULL);
	hook_unregister(ifstate_changed, ports_on_ifstate, NULL);
	if (ports_timer)
		ev_timer_del(ports_timer);
	ports_timer = NULL;
}
