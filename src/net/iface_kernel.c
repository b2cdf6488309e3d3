/* Interfaces in the kernel, over rtnetlink (libnl-route).
 *
 * Loopback and Tunnel interfaces are TUN devices that vpnsipd creates and
 * holds open: the kernel here has no dummy devices, TUN exists on every
 * Linux, and a TUN that is not persistent disappears with its last file
 * descriptor, so even a crashed daemon leaves none behind.  Packets the
 * kernel routes into a Loopback are read and dropped, as IOS's loopback
 * drops traffic to its subnet that is not its own address; Tunnel
 * interfaces get their data plane from the IPsec feature.
 *
 * Everything installed is recorded, so that a removed line, a changed
 * address or the daemon's shutdown takes away exactly what was added. */
#include "net/iface_kernel.h"

#include <net/if.h> /* before linux/if_tun.h, which would pull in linux/if.h */

#include <errno.h>
#include <fcntl.h>
#include <linux/if_tun.h>
#include <netlink/route/link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/ioctl.h>
#include <stdio.h>
#include <sys/epoll.h>
#include <unistd.h>

#include "config/config.h"
#include "log/debug.h"
#include "net/ifstate.h"
#include "net/kernel_nl.h"

static struct debug_flag debug_iface = {
	.path = "interface events",
	.help = "Interface\nInterface changes applied to the kernel",
	.title = "Interface events",
};

struct kif {
	char *name;               /* the configured interface */
	char dev[IFNAMSIZ];       /* the Linux device it was applied to */
	int tun_fd;               /* Loopback/Tunnel: our TUN, else -1 */
	bool owned;               /* tun_fd belongs to the tunnel owner */
	struct ev_io *io;
	unsigned long rx_dropped; /* packets drained from a TUN */
	struct ipv4_prefix *addrs; /* installed by us */
	size_t naddrs, capaddrs;
	unsigned orig_mtu;        /* "ip mtu": the device's own MTU, restored after */
	bool mtu_set;
};

static struct {
	struct evloop *loop;
	const struct iface_tun_owner *tun_owner;
	struct hashmap kifs; /* configured name -> kif */
} K;

static void tun_drain(struct ev_io *io, uint32_t events, void *arg)
{
	struct kif *k = arg;
	char buf[65536];

	/* Bounded: leave the rest for the next round so one busy device
	 * cannot starve the loop. */
	for (int i = 0; i < 64; i++) {
		if (read(k->tun_fd, buf, sizeof(buf)) < 0)
			break;
		k->rx_dropped++;
	}
}

static int tun_create(const char *dev)
{
	struct ifreq ifr;
	int fd = open("/dev/net/tun", O_RDWR | O_CLOEXEC | O_NONBLOCK);

	if (fd < 0)
		return -1;
	memset(&ifr, 0, sizeof(ifr));
	ifr.ifr_flags = IFF_TUN | IFF_NO_PI;
	strncpy(ifr.ifr_name, dev, IFNAMSIZ - 1);
	if (ioctl(fd, TUNSETIFF, &ifr) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

static void link_set(int ifindex, bool up, const char *alias)
{
	struct rtnl_link *orig = NULL, *req = rtnl_link_alloc();

	if (rtnl_link_get_kernel(kernel_nl(), ifindex, NULL, &orig) < 0) {
		rtnl_link_put(req);
		return;
	}
	if (up)
		rtnl_link_set_flags(req, IFF_UP);
	else
		rtnl_link_unset_flags(req, IFF_UP);
	rtnl_link_set_ifalias(req, alias ? alias : "");
	rtnl_link_change(kernel_nl(), orig, req, 0);
	rtnl_link_put(orig);
	rtnl_link_put(req);
}

/* "ip mtu": set the device's MTU, remembering the one it had; 0 puts
 * that back. */
static void mtu_apply(struct kif *k, int ifindex, unsigned mtu)
{
	struct rtnl_link *orig = NULL, *req;

	if (!mtu && !k->mtu_set)
		return;
	if (rtnl_link_get_kernel(kernel_nl(), ifindex, NULL, &orig) < 0)
		return;
	if (!k->mtu_set) {
		k->orig_mtu = rtnl_link_get_mtu(orig);
		k->mtu_set = true;
	}
	unsigned want = mtu ? mtu : k->orig_mtu;
	if (rtnl_link_get_mtu(orig) != want) {
		req = rtnl_link_alloc();
		rtnl_link_set_mtu(req, want);
		int rc = rtnl_link_change(kernel_nl(), orig, req, 0);
		if (rc < 0)
			log_msg("LINK", SEV_ERR, "MTU_FAIL", "%s: could not set MTU %u: %s", k->dev, want,
				nl_geterror(rc));
		rtnl_link_put(req);
	}
	if (!mtu)
		k->mtu_set = false;
	rtnl_link_put(orig);
}

static bool has_prefix(const struct ipv4_prefix *v, size_t n, const struct ipv4_prefix *p)
{
	for (size_t i = 0; i < n; i++)
		if (v[i].addr.s_addr == p->addr.s_addr && v[i].len == p->len)
			return true;
	return false;
}

/* Take everything we installed off the device (and close our TUN). */
static void kif_unapply(struct kif *k)
{
	int idx = (int)if_nametoindex(k->dev);

	for (size_t i = 0; idx && i < k->naddrs; i++)
		kernel_addr_op(idx, &k->addrs[i], KERNEL_ADDR_DELETE);
	k->naddrs = 0;
	if (idx && k->tun_fd < 0)
		mtu_apply(k, idx, 0);
	k->mtu_set = false;
	if (k->io)
		ev_io_del(k->io);
	k->io = NULL;
	if (k->tun_fd >= 0 && k->owned) {
		K.tun_owner->detach(k->name);
		dbg(&debug_iface, "IFACE: %s: TUN device removed", k->dev);
	} else if (k->tun_fd >= 0) {
		close(k->tun_fd);
		dbg(&debug_iface, "IFACE: %s: TUN device removed", k->dev);
	}
	k->tun_fd = -1;
	k->owned = false;
	k->dev[0] = '\0';
}

static void kif_free(struct kif *k)
{
	kif_unapply(k);
	free(k->name);
	free(k->addrs);
	free(k);
}

/* The address in effect, for SIP and routes: the configured one, or the
 * borrowed one of "ip unnumbered".  A DHCP lease is the DHCP client's to
 * publish. */
static void publish_addr(const struct config *cfg, const struct iface_cfg *ifc)
{
	const struct iface_cfg *src = ifc;
	const struct ifstate *st = ifstate_get(ifc->name);

	if (ifc->unnumbered)
		src = iface_find(&cfg->ifaces, ifc->unnumbered);
	if (src && src->has_addr && !src->unnumbered)
		ifstate_set_addr(ifc->name, &src->addr, false);
	else if (!st || !st->addr_from_dhcp)
		ifstate_set_addr(ifc->name, NULL, false);
}

static void apply_changed(const struct config *cfg, const struct iface_cfg *ifc)
{
	struct kif *k = hashmap_get(&K.kifs, ifc->name);
	const char *dev = iface_device(ifc);
	struct ipv4_prefix want[1 + ifc->nsecondary];
	size_t nwant = 0;
	int idx;

	if (!k) {
		k = xcalloc(1, sizeof(*k));
		k->name = xstrdup(ifc->name);
		k->tun_fd = -1;
		hashmap_put(&K.kifs, ifc->name, k);
	}
	/* Rebound to another device (or unbound): start over there. */
	if (k->dev[0] && (!dev || strcmp(dev, k->dev) != 0))
		kif_unapply(k);
	if (!dev)
		return;
	snprintf(k->dev, sizeof(k->dev), "%s", dev);
	if (ifc->kind != IFACE_PHYSICAL && k->tun_fd < 0) {
		k->tun_fd = tun_create(dev);
		if (k->tun_fd < 0) {
			log_msg("LINK", SEV_ERR, "CREATE_FAIL", "Could not create %s: %s", dev,
				strerror(errno));
			return;
		}
		if (ifc->kind == IFACE_TUNNEL && K.tun_owner) {
			k->owned = true;
			K.tun_owner->attach(cfg, ifc, k->tun_fd);
		} else {
			k->io = ev_io_add(K.loop, k->tun_fd, EPOLLIN, tun_drain, k);
		}
		dbg(&debug_iface, "IFACE: %s: TUN device created", dev);
	}
	idx = (int)if_nametoindex(dev);
	if (!idx) {
		log_msg("LINK", SEV_WARNING, "NODEV", "Interface %s: Linux device %s not present",
			ifc->name, dev);
		return;
	}
	if (ifc->has_addr && !ifc->unnumbered) {
		want[nwant++] = ifc->addr;
		for (size_t i = 0; i < ifc->nsecondary; i++)
			want[nwant++] = ifc->secondary[i];
	}
	for (size_t i = 0; i < k->naddrs;) {
		if (!has_prefix(want, nwant, &k->addrs[i])) {
			kernel_addr_op(idx, &k->addrs[i], KERNEL_ADDR_DELETE);
			k->addrs[i] = k->addrs[--k->naddrs];
		} else {
			i++;
		}
	}
	link_set(idx, !ifc->shutdown, ifc->description);
	mtu_apply(k, idx, ifc->mtu);
	for (size_t i = 0; i < nwant; i++) {
		if (has_prefix(k->addrs, k->naddrs, &want[i]))
			continue;
		/* 1: someone else's address, left unrecorded */
		int rc = kernel_addr_op(idx, &want[i], KERNEL_ADDR_ADD);
		if (rc < 0) {
			log_msg("LINK", SEV_ERR, "ADDR_FAIL", "Interface %s: could not add address: %s",
				ifc->name, nl_geterror(rc));
			continue;
		}
		if (rc == 1) {
			dbg(&debug_iface, "IFACE: %s: address already present, not ours to remove",
			    ifc->name);
			continue;
		}
		xgrow(&k->addrs, &k->capaddrs, k->naddrs + 1, sizeof(*k->addrs));
		k->addrs[k->naddrs++] = want[i];
	}
	dbg(&debug_iface, "IFACE: %s (%s): %zu address(es), %s", ifc->name, dev, k->naddrs,
	    ifc->shutdown ? "down" : "up");
	publish_addr(cfg, ifc);
}

static void apply_removed(const struct config *cfg, const char *name, const char *dev)
{
	struct kif *k = hashmap_del(&K.kifs, name);

	if (k)
		kif_free(k);
	ifstate_remove(name);
}

static const struct iface_applier kernel_applier = { apply_changed, apply_removed };

int iface_kernel_init(struct evloop *loop)
{
	K.loop = loop;
	hashmap_init(&K.kifs, true);
	if (!kernel_nl())
		return -1;
	iface_set_applier(&kernel_applier);
	return 0;
}

void iface_kernel_set_tun_owner(const struct iface_tun_owner *o)
{
	K.tun_owner = o;
}

void iface_kernel_shutdown(void)
{
	iface_set_applier(NULL);
	for (struct hashmap_entry *e = NULL; (e = hashmap_next(&K.kifs, e));)
		kif_free(e->value);
	hashmap_clear(&K.kifs);
	/* The last user of the shared request socket: the features that
	 * program routes, tc and DHCP addresses have stopped before. */
	kernel_nl_close();
}

void iface_kernel_debug_register(void)
{
	debug_register(&debug_iface);
}
