/* The daemon's data plane: which backend, the hooks it raises, and
 * the hand-over of Tunnel TUN devices from net/iface_kernel.c. */
#include <errno.h>
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "config/config.h"
#include "crypto/crypto.h"
#include "dataplane/dataplane.h"
#include "dataplane/tunnel.h"
#include "net/iface_kernel.h"
#include "util/evloop.h"

static struct {
	struct dataplane *dp;
	struct evloop *loop;
} D;

HOOK_DEFINE(dp_trigger);
HOOK_DEFINE(dp_idle);
HOOK_DEFINE(dp_invalid_spi);
HOOK_DEFINE(dp_outer_dscp);

unsigned dataplane_outer_dscp(uint32_t tunnel_id, const uint8_t *inner, size_t len)
{
	int v = hook_call(dp_outer_dscp, tunnel_id, inner, len);

	return v >= 0 && v < 64 ? (unsigned)v : (unsigned)(inner[1] >> 2);
}

struct dataplane *dataplane_get(void)
{
	return D.dp;
}

void dataplane_set(struct dataplane *dp)
{
	D.dp = dp;
}

uint32_t dp_tunnel_id(const char *name)
{
	char *end;
	unsigned long n;

	if (strncasecmp(name, "Tunnel", 6) != 0 || !name[6])
		return 0;
	n = strtoul(name + 6, &end, 10);
	if (*end || n >= 0xffffffffUL)
		return 0;
	return (uint32_t)n + 1;
}

static void run_trigger(void *arg)
{
	char *name = arg;

	log_msg("IPSEC", SEV_INFO, "TRIGGER", "%s: packet without IPsec SA: session requested", name);
	hook_call(dp_trigger, name);
	free(name);
}

static void run_idle(void *arg)
{
	char *name = arg;

	log_msg("IPSEC", SEV_NOTICE, "IDLE", "%s: IPsec SA idle timer expired", name);
	hook_call(dp_idle, name);
	free(name);
}

struct invalid_spi_note {
	struct sockaddr_in peer;
	uint16_t local_port;
	uint32_t spi;
};

static void run_invalid_spi(void *arg)
{
	struct invalid_spi_note *n = arg;

	hook_call(dp_invalid_spi, &n->peer, n->local_port, n->spi);
	free(n);
}

void dataplane_raise_invalid_spi(const struct sockaddr_in *peer, uint16_t local_port, uint32_t spi)
{
	struct invalid_spi_note *n;

	if (!D.loop || hook_empty(dp_invalid_spi))
		return;
	n = xmalloc(sizeof(*n));
	*n = (struct invalid_spi_note){ *peer, local_port, spi };
	evloop_post(D.loop, run_invalid_spi, n);
}

void dataplane_raise_trigger(const char *tunnel)
{
	if (D.loop)
		evloop_post(D.loop, run_trigger, xstrdup(tunnel));
}

void dataplane_raise_idle(const char *tunnel)
{
	if (D.loop)
		evloop_post(D.loop, run_idle, xstrdup(tunnel));
}

static void set_mtu(const char *dev, unsigned mtu)
{
	struct ifreq ifr;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_CLOEXEC, 0);

	if (fd < 0)
		return;
	memset(&ifr, 0, sizeof(ifr));
	snprintf(ifr.ifr_name, sizeof(ifr.ifr_name), "%s", dev);
	ifr.ifr_mtu = (int)mtu;
	if (ioctl(fd, SIOCSIFMTU, &ifr) < 0)
		log_msg("LINK", SEV_WARNING, "MTU", "%s: could not set MTU %u: %s", dev, mtu,
			strerror(errno));
	close(fd);
}

/* "tunnel mode ipsec ipv4" carries IPv4 only: no IPv6 link-local chatter
 * (router solicitations) into the tunnel. */
static void no_ipv6(const char *dev)
{
	char path[96];
	FILE *f;

	snprintf(path, sizeof(path), "/proc/sys/net/ipv6/conf/%s/disable_ipv6", dev);
	f = fopen(path, "w");
	if (f) {
		fputs("1\n", f);
		fclose(f);
	}
}

static void tun_attach(const struct config *cfg, const struct iface_cfg *ifc, int fd)
{
	struct dp_tunnel_cfg c;

	if (!D.dp || !dp_tunnel_id(ifc->name)) {
		close(fd);
		return;
	}
	tunnel_dp_cfg(cfg, ifc, &c);
	set_mtu(iface_device(ifc), tunnel_mtu(ifc));
	no_ipv6(iface_device(ifc));
	D.dp->tunnel_attach(D.dp, &c, fd);
}

static void tun_detach(const char *name)
{
	if (D.dp)
		D.dp->tunnel_detach(D.dp, name);
}

static const struct iface_tun_owner tun_owner = { tun_attach, tun_detach };

/* Settings changed on a tunnel interface: push them to the data plane. */
static void on_iface_changed(struct config *cfg, struct iface_cfg *ifc, void *arg)
{
	struct dp_tunnel_cfg c;

	if (!D.dp || ifc->kind != IFACE_TUNNEL)
		return;
	tunnel_dp_cfg(cfg, ifc, &c);
	D.dp->tunnel_update(D.dp, &c);
	if (if_nametoindex(ifc->name))
		set_mtu(ifc->name, tunnel_mtu(ifc));
}

/* "crypto ipsec df-bit" (global) may have changed: every tunnel follows. */
static void on_crypto_changed(const struct config *cfg, void *arg)
{
	size_t n;
	struct iface_cfg **all = iface_sorted(&cfg->ifaces, &n);

	for (size_t i = 0; i < n && D.dp; i++) {
		struct dp_tunnel_cfg c;
		if (all[i]->kind != IFACE_TUNNEL)
			continue;
		tunnel_dp_cfg(cfg, all[i], &c);
		D.dp->tunnel_update(D.dp, &c);
	}
	free(all);
}

int dataplane_init(struct evloop *loop, const struct dp_ike_hooks *hooks)
{
	D.loop = loop;
	D.dp = dataplane_user_create(loop, hooks);
	if (!D.dp)
		return -1;
	iface_kernel_set_tun_owner(&tun_owner);
	/* First: the features that act on a tunnel (VPN-SIP, routes) find
	 * its new settings in the data plane. */
	hook_register(iface_changed, on_iface_changed, NULL, HOOK_PRIO_DEFAULT - 20);
	hook_register(crypto_config_changed, on_crypto_changed, NULL, HOOK_PRIO_DEFAULT);
	return 0;
}

void dataplane_shutdown(void)
{
	if (D.dp)
		D.dp->destroy(D.dp);
	D.dp = NULL;
	D.loop = NULL;
}

void dataplane_cli_init(void)
{
	dp_debug_register();
	tunnel_cli_init();
}
