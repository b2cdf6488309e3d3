/* show ip interface brief, show interfaces [NAME]: the configured
 * interfaces and the kernel's other devices, as the kernel has them now.
 * Other components append their lines to show interfaces through
 * iface_show_register() (see iface.h). */
#include <arpa/inet.h>
#include <net/if.h>
#include <netlink/route/addr.h>
#include <netlink/route/link.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config.h"
#include "net/ifstate.h"
#include "util/xalloc.h"

struct show_hook {
	int order;
	iface_show_fn fn;
};
static struct show_hook *hooks;
static size_t nhooks, caphooks;

void iface_show_register(int order, iface_show_fn fn)
{
	size_t i;

	xgrow(&hooks, &caphooks, nhooks + 1, sizeof(*hooks));
	for (i = nhooks; i > 0 && hooks[i - 1].order > order; i--)
		hooks[i] = hooks[i - 1];
	hooks[i] = (struct show_hook){ order, fn };
	nhooks++;
}

struct kview {
	struct nl_sock *sk;
	struct nl_cache *links, *addrs;
};

static bool kview_open(struct kview *kv)
{
	memset(kv, 0, sizeof(*kv));
	kv->sk = nl_socket_alloc();
	if (!kv->sk || nl_connect(kv->sk, NETLINK_ROUTE) < 0)
		return false;
	if (rtnl_link_alloc_cache(kv->sk, AF_UNSPEC, &kv->links) < 0)
		return false;
	if (rtnl_addr_alloc_cache(kv->sk, &kv->addrs) < 0)
		kv->addrs = NULL;
	return true;
}

static void kview_close(struct kview *kv)
{
	if (kv->links)
		nl_cache_free(kv->links);
	if (kv->addrs)
		nl_cache_free(kv->addrs);
	if (kv->sk)
		nl_socket_free(kv->sk);
}

static struct rtnl_link *klink(struct kview *kv, const char *dev)
{
	return dev ? rtnl_link_get_by_name(kv->links, dev) : NULL;
}

/* The IPv4 addresses of a device: the first one (primary) into p. */
static size_t kaddrs(struct kview *kv, int ifindex, struct ipv4_prefix *p, size_t max)
{
	size_t n = 0;

	if (!kv->addrs)
		return 0;
	for (struct nl_object *o = nl_cache_get_first(kv->addrs); o; o = nl_cache_get_next(o)) {
		struct rtnl_addr *a = (struct rtnl_addr *)o;
		struct nl_addr *l = rtnl_addr_get_local(a);
		if (rtnl_addr_get_ifindex(a) != ifindex || rtnl_addr_get_family(a) != AF_INET || !l ||
		    nl_addr_get_len(l) != 4)
			continue;
		if (n < max) {
			memcpy(&p[n].addr, nl_addr_get_binary_addr(l), 4);
			p[n].len = (unsigned)rtnl_addr_get_prefixlen(a);
		}
		n++;
	}
	return n;
}

/* A row: a configured interface (ifc) and/or a Linux device. */
struct row {
	const struct iface_cfg *ifc;
	char name[64];
	char dev[IFNAMSIZ];
};

static int row_cmp_dev(const void *a, const void *b)
{
	return iface_name_cmp(((const struct row *)a)->name, ((const struct row *)b)->name);
}

static struct row *rows_collect(const struct config *cfg, struct kview *kv, size_t *n)
{
	size_t nifc, cap = 0, first_dev;
	struct iface_cfg **v = iface_sorted(&cfg->ifaces, &nifc);
	struct row *rows = NULL;

	*n = 0;
	for (size_t i = 0; i < nifc; i++) {
		xgrow(&rows, &cap, *n + 1, sizeof(*rows));
		struct row *r = &rows[(*n)++];
		memset(r, 0, sizeof(*r));
		r->ifc = v[i];
		snprintf(r->name, sizeof(r->name), "%s", v[i]->name);
		if (iface_device(v[i]))
			snprintf(r->dev, sizeof(r->dev), "%s", iface_device(v[i]));
	}
	first_dev = *n;
	for (struct nl_object *o = kv->links ? nl_cache_get_first(kv->links) : NULL; o;
	     o = nl_cache_get_next(o)) {
		const char *dev = rtnl_link_get_name((struct rtnl_link *)o);
		bool used = !dev || strcmp(dev, "lo") == 0;
		for (size_t i = 0; !used && i < nifc; i++)
			used = iface_device(v[i]) && strcmp(iface_device(v[i]), dev) == 0;
		if (used)
			continue;
		xgrow(&rows, &cap, *n + 1, sizeof(*rows));
		struct row *r = &rows[(*n)++];
		memset(r, 0, sizeof(*r));
		snprintf(r->name, sizeof(r->name), "%s", dev);
		snprintf(r->dev, sizeof(r->dev), "%s", dev);
	}
	if (*n > first_dev)
		qsort(rows + first_dev, *n - first_dev, sizeof(*rows), row_cmp_dev);
	free(v);
	return rows;
}

static const char *status_of(const struct row *r, struct rtnl_link *l)
{
	if (r->ifc && r->ifc->shutdown)
		return "administratively down";
	if (!l)
		return "down";
	return (rtnl_link_get_flags(l) & IFF_UP) ? "up" : "down";
}

static bool proto_up(const struct row *r, struct rtnl_link *l)
{
	unsigned f = l ? rtnl_link_get_flags(l) : 0;

	return (f & IFF_UP) && (f & IFF_RUNNING) && !(r->ifc && r->ifc->shutdown);
}

static bool row_addr(const struct row *r, struct kview *kv, struct rtnl_link *l,
		     struct ipv4_prefix *p, const char **method)
{
	const struct ifstate *st = r->ifc ? ifstate_get(r->ifc->name) : NULL;

	*method = "unset";
	if (r->ifc && r->ifc->addr_dhcp)
		*method = "DHCP";
	else if (r->ifc && r->ifc->has_addr)
		*method = "manual";
	if (st && st->has_addr) {
		*p = st->addr;
		return true;
	}
	if (l && kaddrs(kv, rtnl_link_get_ifindex(l), p, 1)) {
		if (!r->ifc || (!r->ifc->has_addr && !r->ifc->addr_dhcp))
			*method = "other";
		return true;
	}
	return false;
}

static int cmd_show_ip_int_brief(struct cli_exec *x)
{
	struct config *cfg = cfg_of(x);
	struct kview kv;
	size_t n;
	struct row *rows;
	char a[INET_ADDRSTRLEN];

	if (!kview_open(&kv)) {
		kview_close(&kv);
		return cli_error(x, "Could not read the kernel's interfaces");
	}
	rows = rows_collect(cfg, &kv, &n);
	cli_out(x, "%-26s %-15s %-3s %-6s %-21s %s\n", "Interface", "IP-Address", "OK?", "Method",
		"Status", "Protocol");
	for (size_t i = 0; i < n; i++) {
		struct rtnl_link *l = klink(&kv, rows[i].dev[0] ? rows[i].dev : NULL);
		struct ipv4_prefix p;
		const char *method;
		bool has = row_addr(&rows[i], &kv, l, &p, &method);
		cli_out(x, "%-26s %-15s %-3s %-6s %-21s %s\n", rows[i].name,
			has ? inet_ntop(AF_INET, &p.addr, a, sizeof(a)) : "unassigned", "YES", method,
			status_of(&rows[i], l), proto_up(&rows[i], l) ? "up" : "down");
		if (l)
			rtnl_link_put(l);
	}
	free(rows);
	kview_close(&kv);
	return CLI_OK;
}

static void show_one(struct cli_exec *x, const struct config *cfg, struct kview *kv, const struct row *r)
{
	struct rtnl_link *l = klink(kv, r->dev[0] ? r->dev : NULL);
	char a[INET_ADDRSTRLEN];
	struct ipv4_prefix p[16];
	const char *method;

	cli_out(x, "%s is %s, line protocol is %s\n", r->name, status_of(r, l),
		proto_up(r, l) ? "up" : "down");
	if (!l) {
		cli_out(x, "  %s\n", r->dev[0] ? "Linux device not present" :
					      "Not bound to a Linux device (linux-device)");
	} else {
		const char *type = rtnl_link_get_type(l);
		struct nl_addr *mac = rtnl_link_get_addr(l);
		const uint8_t *m = mac && nl_addr_get_len(mac) == 6 ? nl_addr_get_binary_addr(mac) : NULL;
		if (r->ifc && r->ifc->kind == IFACE_TUNNEL)
			cli_out(x, "  Hardware is Tunnel (Linux TUN %s)\n", r->dev);
		else if (r->ifc && r->ifc->kind == IFACE_LOOPBACK)
			cli_out(x, "  Hardware is Loopback (Linux TUN %s)\n", r->dev);
		else if (m)
			cli_out(x, "  Hardware is %s, address is %02x%02x.%02x%02x.%02x%02x (bia %02x%02x.%02x%02x.%02x%02x)\n",
				type ? type : "Ethernet", m[0], m[1], m[2], m[3], m[4], m[5], m[0], m[1], m[2],
				m[3], m[4], m[5]);
		else
			cli_out(x, "  Hardware is %s\n", type ? type : "Linux device");
	}
	if (r->ifc && r->ifc->description)
		cli_out(x, "  Description: %s\n", r->ifc->description);
	bool has = row_addr(r, kv, l, &p[0], &method);
	if (r->ifc && r->ifc->unnumbered)
		cli_out(x, "  Interface is unnumbered. Using address of %s (%s)\n", r->ifc->unnumbered,
			has ? inet_ntop(AF_INET, &p[0].addr, a, sizeof(a)) : "unassigned");
	else if (has)
		cli_out(x, "  Internet address is %s/%u%s\n", inet_ntop(AF_INET, &p[0].addr, a, sizeof(a)),
			p[0].len, strcmp(method, "DHCP") == 0 ? " (DHCP)" : "");
	if (l) {
		size_t na = kaddrs(kv, rtnl_link_get_ifindex(l), p, 16);
		for (size_t i = 1; i < na && i < 16; i++)
			cli_out(x, "  Secondary address %s/%u\n", inet_ntop(AF_INET, &p[i].addr, a, sizeof(a)),
				p[i].len);
		cli_out(x, "  MTU %u bytes, Linux device %s, ifindex %d\n", rtnl_link_get_mtu(l), r->dev,
			rtnl_link_get_ifindex(l));
#define ST(id) ((unsigned long long)rtnl_link_get_stat(l, id))
		cli_out(x, "     %llu packets input, %llu bytes, %llu no buffer\n", ST(RTNL_LINK_RX_PACKETS),
			ST(RTNL_LINK_RX_BYTES), ST(RTNL_LINK_RX_DROPPED));
		cli_out(x, "     Received %llu multicasts\n", ST(RTNL_LINK_MULTICAST));
		cli_out(x, "     %llu input errors, %llu CRC, %llu frame, %llu overrun, %llu ignored\n",
			ST(RTNL_LINK_RX_ERRORS), ST(RTNL_LINK_RX_CRC_ERR), ST(RTNL_LINK_RX_FRAME_ERR),
			ST(RTNL_LINK_RX_OVER_ERR), ST(RTNL_LINK_RX_MISSED_ERR));
		cli_out(x, "     %llu packets output, %llu bytes, %llu underruns\n", ST(RTNL_LINK_TX_PACKETS),
			ST(RTNL_LINK_TX_BYTES), ST(RTNL_LINK_TX_FIFO_ERR));
		cli_out(x, "     %llu output errors, %llu collisions, %llu output drops\n",
			ST(RTNL_LINK_TX_ERRORS), ST(RTNL_LINK_COLLISIONS), ST(RTNL_LINK_TX_DROPPED));
#undef ST
		rtnl_link_put(l);
	}
	for (size_t i = 0; i < nhooks; i++)
		hooks[i].fn(cfg, r->ifc, r->dev[0] ? r->dev : NULL, x->out);
}

static int cmd_show_interfaces(struct cli_exec *x)
{
	struct config *cfg = cfg_of(x);
	const char *only = cli_arg(x, "ifname");
	struct kview kv;
	size_t n;
	struct row *rows;
	bool found = false;

	if (!kview_open(&kv)) {
		kview_close(&kv);
		return cli_error(x, "Could not read the kernel's interfaces");
	}
	rows = rows_collect(cfg, &kv, &n);
	for (size_t i = 0; i < n; i++) {
		if (only && strcasecmp(rows[i].name, only) != 0 && strcmp(rows[i].dev, only) != 0)
			continue;
		found = true;
		show_one(x, cfg, &kv, &rows[i]);
		if (only)
			break;
	}
	free(rows);
	kview_close(&kv);
	if (only && !found)
		return cli_error(x, "Interface %s does not exist", only);
	return CLI_OK;
}

static const struct cli_cmd show_cmds[] = {
	{ "exec", "show ip interface brief",
	  "Show running system information\nIP information\nIP interface status and configuration\n"
	  "Brief summary of IP status and configuration",
	  cmd_show_ip_int_brief, 0 },
	{ "exec", "show interfaces [IFNAME$ifname]", "\nInterface status and configuration\nInterface name",
	  cmd_show_interfaces, 0 },
};

void iface_show_cli_init(void)
{
	CLI_INSTALL(show_cmds);
}
