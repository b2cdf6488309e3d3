/* The feature table: see feature.h.  A new feature adds its row here. */
#include "daemon/feature.h"

#include <string.h>

#include "acl/acl.h"
#include "config/config.h"
#include "config/runtime.h"
#include "crypto/crypto.h"
#include "daemon/control.h"
#include "dataplane/dataplane.h"
#include "dhcp/dhcp.h"
#include "ike/ike.h"
#include "log/debug.h"
#include "log/log.h"
#include "nat/nat.h"
#include "net/iface.h"
#include "net/iface_kernel.h"
#include "net/netmon.h"
#include "qos/qos.h"
#include "route/route.h"
#include "snmp/snmp.h"
#include "track/track.h"
#include "util/strbuf.h"
#include "vpnsip/vpnsip.h"

static int start_interfaces(struct evloop *loop, struct config_env *env)
{
	return iface_kernel_init(loop);
}

static int start_dataplane(struct evloop *loop, struct config_env *env)
{
	return dataplane_init(loop, ike_dataplane_hooks());
}

static int start_ike(struct evloop *loop, struct config_env *env)
{
	return ike_init(loop, env->cfg);
}

static int start_qos(struct evloop *loop, struct config_env *env)
{
	return qos_kernel_init(loop, env->cfg);
}

static int start_sip(struct evloop *loop, struct config_env *env)
{
	return vpnsip_start(loop, env->cfg);
}

/* Rows in command registration order; order and stop_order place the
 * running parts.  Shutdown (descending stop_order): SIP (unregister, BYE),
 * IKE (deletes while the network stands), the kernel-facing features, QoS,
 * interfaces, the data plane. */
static const struct feature features[] = {
	{ .name = "system", .cli_init = system_cli_init },
	{ .name = "archive", .model = &archive_ext, .cli_init = archive_cli_init },
	{ .name = "configure replace", .cli_init = replace_cli_init },
	{ .name = "logging", .cli_init = log_cli_init },
	{ .name = "interfaces", .cli_init = iface_cli_init,
	  .order = 10, .stop_order = 10, .start = start_interfaces, .stop = iface_kernel_shutdown,
	  .fail_tag = "NETLINK", .fail_text = "Could not open rtnetlink: interfaces are not applied" },
	{ .name = "vpn-sip", .model = &vpnsip_cfg_type, .cli_init = vpnsip_cli_init, .phase = FEATURE_AFTER_LOAD,
	  .order = 200, .stop_order = 200, .start = start_sip, .stop = vpnsip_stop,
	  .fail_tag = "SIP", .fail_text = "The SIP user agent did not start: VPN-SIP calls are off" },
	{ .name = "vpn-sip call history",
	  .order = 40, .stop_order = 40, .start = vpnsip_cdr_start, .stop = vpnsip_cdr_close },
	{ .name = "crypto", .model = &crypto_ext_type, .cli_init = crypto_cli_init },
	/* The data plane takes the Tunnel TUN devices; libcharon runs over it. */
	{ .name = "data plane", .cli_init = dataplane_cli_init,
	  .order = 20, .stop_order = 5, .start = start_dataplane, .stop = dataplane_shutdown,
	  .fail_tag = "DATAPLANE", .fail_text = "Could not start the IPsec data plane" },
	{ .name = "ikev2", .cli_init = ike_cli_init,
	  .order = 30, .stop_order = 110, .start = start_ike, .stop = ike_shutdown,
	  .needs = "data plane",
	  .fail_tag = "IKEV2", .fail_text = "Could not start the IKEv2 engine (libcharon)" },
	{ .name = "kernel links", .cli_init = netmon_cli_init,
	  .order = 50, .stop_order = 50, .start = netmon_start, .stop = netmon_stop },
	{ .name = "ip sla", .model = &sla_ext, .cli_init = sla_cli_init,
	  .order = 60, .stop_order = 60, .start = sla_start, .stop = sla_stop },
	{ .name = "track", .model = &track_ext, .cli_init = track_cli_init,
	  .order = 55, .stop_order = 55, .start = track_start, .stop = track_stop },
	{ .name = "ip route", .model = &route_ext, .cli_init = route_cli_init,
	  .order = 70, .stop_order = 70, .start = route_start, .stop = route_stop },
	{ .name = "interface shows", .cli_init = iface_show_cli_init },
	{ .name = "access-list", .model = &acl_ext, .cli_init = acl_cli_init },
	{ .name = "ip nat", .model = &nat_model_ext, .cli_init = nat_cli_init,
	  .order = 80, .stop_order = 80, .start = nat_start, .stop = nat_stop },
	{ .name = "dhcp client", .cli_init = dhcp_cli_init,
	  .order = 90, .stop_order = 90, .start = dhcp_start, .stop = dhcp_stop },
	{ .name = "ping", .cli_init = ping_cli_init },
	{ .name = "qos", .model = &qos_ext_type, .cli_init = qos_cli_init,
	  .order = 100, .stop_order = 15, .start = start_qos, .stop = qos_kernel_shutdown,
	  .fail_tag = "NETLINK", .fail_text = "Could not open rtnetlink: QoS is not applied" },
	{ .name = "snmp-server", .model = &snmp_ext, .cli_init = snmp_cli_init,
	  .order = 41, .stop_order = 41, .stop = snmp_agent_stop },
	{ .name = "control socket", .cli_init = control_cli_init },
	{ .name = "planned", .cli_init = planned_cli_init },
	{ .name = "ignored", .cli_init = ignored_cli_init },
	{ .name = "debug", .cli_init = debug_cli_init },
};

#define NFEATURES (sizeof(features) / sizeof(features[0]))

static bool started[NFEATURES];
static bool phase_started[FEATURE_AFTER_LOAD + 1];

const struct feature *feature_table(size_t *n)
{
	*n = NFEATURES;
	return features;
}

void feature_cli_init_all(void)
{
	for (size_t i = 0; i < NFEATURES; i++)
		if (features[i].cli_init)
			features[i].cli_init();
}

static bool needs_met(const struct feature *f)
{
	if (!f->needs)
		return true;
	for (size_t i = 0; i < NFEATURES; i++)
		if (strcmp(features[i].name, f->needs) == 0)
			return started[i];
	return false;
}

/* The running features' indexes, by order (stop: by stop_order). */
static size_t by_order(size_t *idx, bool stop)
{
	size_t n = 0;

	for (size_t i = 0; i < NFEATURES; i++) {
		if (stop ? !features[i].stop : !features[i].start)
			continue;
		int key = stop ? features[i].stop_order : features[i].order;
		size_t j = n++;
		for (; j > 0; j--) {
			const struct feature *p = &features[idx[j - 1]];
			if ((stop ? p->stop_order : p->order) <= key)
				break;
			idx[j] = idx[j - 1];
		}
		idx[j] = i;
	}
	return n;
}

void feature_order(bool stop, struct strbuf *out)
{
	size_t idx[NFEATURES], n = by_order(idx, stop);

	for (size_t k = 0; k < n; k++)
		sb_printf(out, "%s\n", features[idx[stop ? n - 1 - k : k]].name);
}

void feature_start(enum feature_phase phase, struct evloop *loop, struct config_env *env)
{
	size_t idx[NFEATURES], n = by_order(idx, false);

	runtime_loop_set(loop);
	phase_started[phase] = true;
	for (size_t k = 0; k < n; k++) {
		const struct feature *f = &features[idx[k]];
		if (f->phase != phase || !needs_met(f))
			continue;
		if (f->start(loop, env) < 0) {
			if (f->fail_tag)
				log_msg("SYS", SEV_ERR, f->fail_tag, "%s", f->fail_text);
			continue;
		}
		started[idx[k]] = true;
	}
}

void feature_stop_all(void)
{
	size_t idx[NFEATURES], n = by_order(idx, true);

	while (n-- > 0) {
		const struct feature *f = &features[idx[n]];
		if (phase_started[f->phase])
			f->stop();
		started[idx[n]] = false;
	}
	memset(phase_started, 0, sizeof(phase_started));
	runtime_loop_set(NULL);
}
