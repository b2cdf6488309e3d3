/* Devices and IPv4 addresses as the kernel has them: see netmon.h. */
#include "net/netmon.h"

#include <errno.h>
#include <netlink/msg.h>
#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>

#include "config/config.h"
#include "log/debug.h"
#include "net/ifstate.h"
#include "net/kernel_nl.h"
#include "util/evloop.h"
#include "util/hashmap.h"
#include "util/xalloc.h"

static struct debug_flag debug_netmon = {
	.path = "ip netlink",
	.help = "IP information\nKernel link and address notifications",
	.title = "Kernel link and address notifications",
};

/* Notifications come on a socket of its own (subscribed, non-blocking,
 * read whenever the loop says so); the dumps go over the shared request
 * socket (kernel_nl.h). */
static struct {
	struct nl_sock *ev;      /* subscribed to link/address groups */
	struct ev_io *io;
	struct hashmap by_name;  /* device name -> netmon_dev */
	struct hashmap by_index; /* "%d" -> netmon_dev */
	struct hashmap dev2if;   /* device -> configured interface name */
	struct hashmap if2dev;   /* configured interface name -> device */
	bool running, ready;
} M;

static void maps_init(void)
{
	if (M.ready)
		return;
	hashmap_init(&M.by_name, false);
	hashmap_init(&M.by_index, false);
	hashmap_init(&M.dev2if, false);
	hashmap_init(&M.if2dev, true);
	M.ready = true;
}

bool netmon_dev_up(const struct netmon_dev *d)
{
	return d && d->present && (d->flags & IFF_UP) && (d->flags & IFF_RUNNING);
}

bool netmon_running(void)
{
	return M.running;
}

const struct netmon_dev *netmon_dev_by_name(const char *name)
{
	return M.ready && name ? hashmap_get(&M.by_name, name) : NULL;
}

const struct netmon_dev *netmon_dev_by_index(int ifindex)
{
	char key[16];

	if (!M.ready)
		return NULL;
	snprintf(key, sizeof(key), "%d", ifindex);
	return hashmap_get(&M.by_index, key);
}

const struct netmon_dev *netmon_connected(struct in_addr a)
{
	const struct netmon_dev *best = NULL;
	unsigned best_len = 0;

	if (!M.ready)
		return NULL;
	for (struct hashmap_entry *e = NULL; (e = hashmap_next(&M.by_name, e));) {
		const struct netmon_dev *d = e->value;
		if (!netmon_dev_up(d))
			continue;
		for (size_t i = 0; i < d->naddrs; i++) {
			uint32_t m = ntohl(ipv4_len_to_mask(d->addrs[i].len).s_addr);
			if ((ntohl(a.s_addr) & m) == (ntohl(d->addrs[i].addr.s_addr) & m) &&
			    (!best || d->addrs[i].len > best_len)) {
				best = d;
				best_len = d->addrs[i].len;
			}
		}
	}
	return best;
}

const char *netmon_ifname_of(const char *dev)
{
	return M.ready && dev ? hashmap_get(&M.dev2if, dev) : NULL;
}

HOOK_DEFINE(netmon_dev_changed);

static void notify(const struct netmon_dev *d, unsigned what)
{
	const char *ifname = hashmap_get(&M.dev2if, d->name);

	if (ifname && (what & NETMON_LINK))
		ifstate_set_link(ifname, netmon_dev_up(d));
	hook_call(netmon_dev_changed, d, what);
}

static struct netmon_dev *dev_get(int ifindex, const char *name)
{
	char key[16];
	struct netmon_dev *d;

	snprintf(key, sizeof(key), "%d", ifindex);
	d = hashmap_get(&M.by_index, key);
	if (d && name && strcmp(d->name, name) != 0) {
		/* renamed */
		hashmap_del(&M.by_name, d->name);
		snprintf(d->name, sizeof(d->name), "%s", name);
		hashmap_put(&M.by_name, d->name, d);
	}
	if (d || !name)
		return d;
	/* A stale entry under the same name (device re-created). */
	struct netmon_dev *old = hashmap_get(&M.by_name, name);
	if (old) {
		char okey[16];
		snprintf(okey, sizeof(okey), "%d", old->ifindex);
		hashmap_del(&M.by_index, okey);
		hashmap_del(&M.by_name, name);
		free(old->addrs);
		free(old);
	}
	d = xcalloc(1, sizeof(*d));
	d->ifindex = ifindex;
	snprintf(d->name, sizeof(d->name), "%s", name);
	hashmap_put(&M.by_index, key, d);
	hashmap_put(&M.by_name, d->name, d);
	return d;
}

static void dev_drop(struct netmon_dev *d)
{
	char key[16];

	snprintf(key, sizeof(key), "%d", d->ifindex);
	hashmap_del(&M.by_index, key);
	if (hashmap_get(&M.by_name, d->name) == d)
		hashmap_del(&M.by_name, d->name);
	free(d->addrs);
	free(d);
}

static void on_link(struct rtnl_link *l, int type)
{
	const char *name = rtnl_link_get_name(l);
	int idx = rtnl_link_get_ifindex(l);
	struct netmon_dev *d = dev_get(idx, type == RTM_DELLINK ? NULL : name);

	if (!d)
		return;
	if (type == RTM_DELLINK) {
		dbg(&debug_netmon, "NETMON: %s (%d) removed", d->name, idx);
		d->present = false;
		d->flags = 0;
		d->naddrs = 0;
		notify(d, NETMON_LINK | NETMON_ADDR);
		dev_drop(d);
		return;
	}
	unsigned flags = rtnl_link_get_flags(l);
	unsigned mtu = rtnl_link_get_mtu(l);
	if (d->present && d->flags == flags && d->mtu == mtu)
		return;
	bool was_up = netmon_dev_up(d);
	d->present = true;
	d->flags = flags;
	d->mtu = mtu;
	if (was_up != netmon_dev_up(d))
		dbg(&debug_netmon, "NETMON: %s (%d) line protocol %s", d->name, idx,
		    netmon_dev_up(d) ? "up" : "down");
	notify(d, NETMON_LINK);
}

static void on_addr(struct rtnl_addr *a, int type)
{
	struct nl_addr *local = rtnl_addr_get_local(a);
	struct netmon_dev *d = dev_get(rtnl_addr_get_ifindex(a), NULL);
	struct ipv4_prefix p;

	if (!d || !local || rtnl_addr_get_family(a) != AF_INET ||
	    nl_addr_get_len(local) != 4)
		return;
	memcpy(&p.addr, nl_addr_get_binary_addr(local), 4);
	p.len = (unsigned)rtnl_addr_get_prefixlen(a);
	for (size_t i = 0; i < d->naddrs; i++) {
		if (d->addrs[i].addr.s_addr == p.addr.s_addr && d->addrs[i].len == p.len) {
			if (type == RTM_NEWADDR)
				return;
			d->addrs[i] = d->addrs[--d->naddrs];
			notify(d, NETMON_ADDR);
			return;
		}
	}
	if (type != RTM_NEWADDR)
		return;
	xgrow(&d->addrs, &d->capaddrs, d->naddrs + 1, sizeof(p));
	d->addrs[d->naddrs++] = p;
	notify(d, NETMON_ADDR);
}

static void obj_cb(struct nl_object *obj, void *arg)
{
	int type = nl_object_get_msgtype(obj);

	if (type == RTM_NEWLINK || type == RTM_DELLINK)
		on_link((struct rtnl_link *)obj, type);
	else if (type == RTM_NEWADDR || type == RTM_DELADDR)
		on_addr((struct rtnl_addr *)obj, type);
}

static int msg_cb(struct nl_msg *msg, void *arg)
{
	nl_msg_parse(msg, obj_cb, NULL);
	return NL_OK;
}

static void on_readable(struct ev_io *io, uint32_t events, void *arg)
{
	/* Bounded: the socket is non-blocking, nl_recvmsgs returns when
	 * drained.  An overrun (ENOBUFS) means lost events: resynchronise. */
	int rc = nl_recvmsgs_default(M.ev);
	if (rc == -NLE_NOMEM || rc == -NLE_MSG_OVERFLOW) {
		log_msg("NETLINK", SEV_WARNING, "OVERRUN", "Kernel notifications lost; resynchronising");
		struct nl_sock *s = kernel_nl();
		struct nl_cache *c;
		if (s && rtnl_link_alloc_cache(s, AF_UNSPEC, &c) == 0) {
			for (struct nl_object *o = nl_cache_get_first(c); o; o = nl_cache_get_next(o))
				on_link((struct rtnl_link *)o, RTM_NEWLINK);
			nl_cache_free(c);
		}
	}
}

static void dump_initial(void)
{
	struct nl_sock *s = kernel_nl();
	struct nl_cache *links = NULL, *addrs = NULL;

	if (!s)
		return;
	if (rtnl_link_alloc_cache(s, AF_UNSPEC, &links) == 0)
		for (struct nl_object *o = nl_cache_get_first(links); o; o = nl_cache_get_next(o))
			on_link((struct rtnl_link *)o, RTM_NEWLINK);
	if (rtnl_addr_alloc_cache(s, &addrs) == 0)
		for (struct nl_object *o = nl_cache_get_first(addrs); o; o = nl_cache_get_next(o))
			on_addr((struct rtnl_addr *)o, RTM_NEWADDR);
	if (links)
		nl_cache_free(links);
	if (addrs)
		nl_cache_free(addrs);
}

int netmon_start(struct evloop *loop, struct config_env *env)
{
	maps_init();
	M.ev = nl_socket_alloc();
	if (!M.ev)
		return -1;
	nl_socket_disable_seq_check(M.ev);
	nl_socket_modify_cb(M.ev, NL_CB_VALID, NL_CB_CUSTOM, msg_cb, NULL);
	if (nl_connect(M.ev, NETLINK_ROUTE) < 0 ||
	    nl_socket_add_memberships(M.ev, RTNLGRP_LINK, RTNLGRP_IPV4_IFADDR, 0) < 0) {
		log_msg("NETLINK", SEV_ERR, "SUBSCRIBE", "Could not follow kernel links: %s",
			strerror(errno));
		nl_socket_free(M.ev);
		M.ev = NULL;
		return -1;
	}
	nl_socket_set_nonblocking(M.ev);
	nl_socket_set_buffer_size(M.ev, 4 << 20, 0);
	M.io = ev_io_add(loop, nl_socket_get_fd(M.ev), EPOLLIN, on_readable, NULL);
	M.running = true;
	dump_initial();
	return 0;
}

void netmon_stop(void)
{
	if (M.io)
		ev_io_del(M.io);
	M.io = NULL;
	if (M.ev)
		nl_socket_free(M.ev);
	M.ev = NULL;
	M.running = false;
	size_t n;
	void **v = hashmap_values(&M.by_name, &n);
	for (size_t i = 0; i < n; i++) {
		struct netmon_dev *d = v[i];
		free(d->addrs);
		free(d);
	}
	free(v);
	hashmap_clear(&M.by_name);
	hashmap_clear(&M.by_index);
	for (struct hashmap_entry *e = NULL; (e = hashmap_next(&M.dev2if, e));)
		free(e->value);
	for (struct hashmap_entry *e = NULL; (e = hashmap_next(&M.if2dev, e));)
		free(e->value);
	hashmap_clear(&M.dev2if);
	hashmap_clear(&M.if2dev);
	M.ready = false;
}

/* Follow which device each configured interface lives on. */
static void unbind(const char *ifname)
{
	char *dev = hashmap_del(&M.if2dev, ifname);

	if (!dev)
		return;
	char *n = hashmap_get(&M.dev2if, dev);
	if (n && strcasecmp(n, ifname) == 0) {
		hashmap_del(&M.dev2if, dev);
		free(n);
	}
	free(dev);
}

static void if_changed(struct config *cfg, struct iface_cfg *ifc, void *arg)
{
	if (!M.running)
		return;
	const char *dev = iface_device(ifc);
	const char *cur = hashmap_get(&M.if2dev, ifc->name);

	if (cur && dev && strcmp(cur, dev) == 0)
		return;
	unbind(ifc->name);
	if (!dev)
		return;
	hashmap_put(&M.if2dev, ifc->name, xstrdup(dev));
	free(hashmap_put(&M.dev2if, dev, xstrdup(ifc->name)));
	const struct netmon_dev *d = netmon_dev_by_name(dev);
	if (d)
		notify(d, NETMON_LINK | NETMON_ADDR);
}

static void if_deleted(struct config *cfg, struct iface_cfg *ifc, void *arg)
{
	if (M.running)
		unbind(ifc->name);
}

void netmon_cli_init(void)
{
	debug_register(&debug_netmon);
	/* After static routes and track objects: a new binding announces the
	 * device to them once they have seen the interface. */
	hook_register(iface_changed, if_changed, NULL, HOOK_PRIO_DEFAULT + 10);
	hook_register(iface_deleted, if_deleted, NULL, HOOK_PRIO_DEFAULT + 10);
}
