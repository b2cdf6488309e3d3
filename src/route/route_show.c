/* show ip route [static | A.B.C.D [MASK]]: the kernel's IPv4 main table as
 * IOS shows its RIB.  C: connected (the kernel's link routes), L: local
 * addresses, S: static routes this daemon installed (with their
 * administrative distance), K: routes some other program put there. */
#include <arpa/inet.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/route/route.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/json.h"
#include "config/config.h"
#include "net/kernel_nl.h"
#include "net/netmon.h"
#include "route/route.h"
#include "util/xalloc.h"

struct rib_hop {
	bool has_gw;
	struct in_addr gw;
	char ifname[64];
};

struct rib_entry {
	struct ipv4_prefix dst;
	char code[4];
	unsigned distance;
	struct rib_hop *hops;
	size_t nhops;
};

struct rib {
	struct rib_entry *v;
	size_t n, cap;
	const struct config *cfg; /* whose static routes get their code "S" */
};

static void ifname_of(int ifindex, char *buf, size_t n)
{
	char dev[IF_NAMESIZE] = "";
	const char *cfg;

	if (!ifindex || !if_indextoname((unsigned)ifindex, dev)) {
		snprintf(buf, n, "%s", "");
		return;
	}
	cfg = netmon_ifname_of(dev);
	snprintf(buf, n, "%s", cfg ? cfg : dev);
}

static void add_hop(struct rib_entry *e, struct rtnl_nexthop *nh)
{
	struct nl_addr *gw = rtnl_route_nh_get_gateway(nh);

	e->hops = xrealloc(e->hops, (e->nhops + 1) * sizeof(*e->hops));
	struct rib_hop *h = &e->hops[e->nhops++];
	memset(h, 0, sizeof(*h));
	if (gw && nl_addr_get_len(gw) == 4) {
		h->has_gw = true;
		memcpy(&h->gw, nl_addr_get_binary_addr(gw), 4);
	}
	ifname_of(rtnl_route_nh_get_ifindex(nh), h->ifname, sizeof(h->ifname));
}

static void route_to_entry(struct nl_object *obj, void *arg)
{
	struct rib *rib = arg;
	struct rtnl_route *rt = (struct rtnl_route *)obj;
	struct nl_addr *dst = rtnl_route_get_dst(rt);
	unsigned table = rtnl_route_get_table(rt), type = rtnl_route_get_type(rt);
	struct rib_entry e;

	if (rtnl_route_get_family(rt) != AF_INET || !dst)
		return;
	memset(&e, 0, sizeof(e));
	if (nl_addr_get_len(dst) == 4)
		memcpy(&e.dst.addr, nl_addr_get_binary_addr(dst), 4);
	e.dst.len = (unsigned)nl_addr_get_prefixlen(dst);
	if ((ntohl(e.dst.addr.s_addr) >> 24) == 127)
		return;
	if (table == RT_TABLE_LOCAL) {
		if (type != RTN_LOCAL)
			return;
		strcpy(e.code, "L");
	} else if (table == RT_TABLE_MAIN) {
		if (type != RTN_UNICAST && type != RTN_BLACKHOLE)
			return;
		struct route_info ri;
		if (rtnl_route_get_protocol(rt) == RTPROT_KERNEL &&
		    rtnl_route_get_scope(rt) == RT_SCOPE_LINK) {
			strcpy(e.code, "C");
		} else if (rtnl_route_get_protocol(rt) == RTPROT_STATIC &&
			   route_installed_for(rib->cfg, &e.dst, &ri)) {
			strcpy(e.code, "S");
			e.distance = ri.distance;
		} else {
			strcpy(e.code, "K");
		}
		if (e.dst.len == 0)
			strcat(e.code, "*");
	} else {
		return;
	}
	int n = rtnl_route_get_nnexthops(rt);
	for (int i = 0; i < n; i++)
		add_hop(&e, rtnl_route_nexthop_n(rt, i));
	xgrow(&rib->v, &rib->cap, rib->n + 1, sizeof(*rib->v));
	rib->v[rib->n++] = e;
}

static int entry_cmp(const void *a, const void *b)
{
	const struct rib_entry *x = a, *y = b;
	uint32_t xa = ntohl(x->dst.addr.s_addr), ya = ntohl(y->dst.addr.s_addr);

	if (xa != ya)
		return xa < ya ? -1 : 1;
	if (x->dst.len != y->dst.len)
		return x->dst.len < y->dst.len ? -1 : 1;
	/* C before L for the same /32 */
	return strcmp(x->code, y->code);
}

static int rib_load(struct rib *rib, const struct config *cfg)
{
	struct nl_sock *s = kernel_nl(); /* show handlers run on the main thread */
	struct nl_cache *c = NULL;
	int rc = -1;

	memset(rib, 0, sizeof(*rib));
	rib->cfg = cfg;
	if (s && rtnl_route_alloc_cache(s, AF_INET, 0, &c) == 0) {
		nl_cache_foreach(c, route_to_entry, rib);
		nl_cache_free(c);
		rc = 0;
	}
	if (rib->n)
		qsort(rib->v, rib->n, sizeof(*rib->v), entry_cmp);
	return rc;
}

static void rib_free(struct rib *rib)
{
	for (size_t i = 0; i < rib->n; i++)
		free(rib->v[i].hops);
	free(rib->v);
}

static unsigned classful_len(struct in_addr a)
{
	uint32_t h = ntohl(a.s_addr);

	if (h < 0x80000000u)
		return 8;
	if (h < 0xc0000000u)
		return 16;
	if (h < 0xe0000000u)
		return 24;
	return 32;
}

static bool within(const struct ipv4_prefix *net, const struct ipv4_prefix *p)
{
	uint32_t m = ntohl(ipv4_len_to_mask(net->len).s_addr);

	return p->len >= net->len && (ntohl(p->addr.s_addr) & m) == (ntohl(net->addr.s_addr) & m);
}

static void print_entry(struct strbuf *out, const struct rib_entry *e, int width)
{
	char a[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN];
	char pfx[24];

	snprintf(pfx, sizeof(pfx), "%s/%u", inet_ntop(AF_INET, &e->dst.addr, a, sizeof(a)), e->dst.len);
	for (size_t i = 0; i < e->nhops || i == 0; i++) {
		const struct rib_hop *h = e->nhops ? &e->hops[i] : NULL;
		if (i == 0)
			sb_printf(out, "%-*s%s", width, e->code, pfx);
		else
			sb_printf(out, "%*s", width + (int)strlen(pfx), "");
		if (e->code[0] == 'S' || e->code[0] == 'K') {
			if (h && h->has_gw) {
				sb_printf(out, " [%u/0] via %s", e->code[0] == 'S' ? e->distance : 0,
					  inet_ntop(AF_INET, &h->gw, gw, sizeof(gw)));
				if (e->code[0] == 'K' && h->ifname[0])
					sb_printf(out, ", %s", h->ifname);
				sb_putc(out, '\n');
				continue;
			}
		}
		sb_printf(out, " is directly connected%s%s\n", h && h->ifname[0] ? ", " : "",
			  h ? h->ifname : "");
	}
}

static void print_rib(struct strbuf *out, const struct rib *rib, bool static_only)
{
	char a[INET_ADDRSTRLEN];

	for (size_t i = 0; i < rib->n;) {
		const struct rib_entry *e = &rib->v[i];
		struct ipv4_prefix net = { e->dst.addr, classful_len(e->dst.addr) };
		net.addr = (struct in_addr){ htonl(ntohl(e->dst.addr.s_addr) &
						  ntohl(ipv4_len_to_mask(net.len).s_addr)) };
		size_t j = i, subnets = 0, shown = 0;
		unsigned masks[33] = { 0 }, nmasks = 0;
		bool subnetted = false;
		if (e->dst.len >= net.len) {
			while (j < rib->n && within(&net, &rib->v[j].dst)) {
				if (rib->v[j].dst.len > net.len)
					subnetted = true;
				if (!masks[rib->v[j].dst.len]++)
					nmasks++;
				if (j == i || rib->v[j].dst.addr.s_addr != rib->v[j - 1].dst.addr.s_addr ||
				    rib->v[j].dst.len != rib->v[j - 1].dst.len)
					subnets++;
				if (!static_only || rib->v[j].code[0] == 'S')
					shown++;
				j++;
			}
		} else {
			j = i + 1;
			shown = !static_only || e->code[0] == 'S';
		}
		if (subnetted && shown) {
			sb_printf(out, "      %s/%u is %ssubnetted, %zu subnet%s", inet_ntop(AF_INET, &net.addr, a, sizeof(a)),
				  net.len, nmasks > 1 ? "variably " : "", subnets, subnets == 1 ? "" : "s");
			if (nmasks > 1)
				sb_printf(out, ", %u masks", nmasks);
			sb_putc(out, '\n');
		}
		for (size_t k = i; k < j; k++)
			if (!static_only || rib->v[k].code[0] == 'S')
				print_entry(out, &rib->v[k], subnetted ? 9 : 6);
		i = j;
	}
}

static void print_lookup(struct cli_exec *x, const struct rib *rib, struct in_addr addr,
			 const struct ipv4_prefix *exact)
{
	const struct rib_entry *best = NULL;
	char a[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN];

	for (size_t i = 0; i < rib->n; i++) {
		const struct rib_entry *e = &rib->v[i];
		if (exact) {
			if (e->dst.addr.s_addr == exact->addr.s_addr && e->dst.len == exact->len &&
			    e->code[0] != 'L')
				best = e;
			continue;
		}
		if (within(&e->dst, &(struct ipv4_prefix){ addr, 32 }) &&
		    (!best || e->dst.len > best->dst.len || (e->dst.len == best->dst.len && best->code[0] == 'L')))
			best = e;
	}
	if (!best) {
		cli_out(x, "%% %s not in table\n", exact ? "Subnet" : "Network");
		return;
	}
	const char *via = best->code[0] == 'S' ? "static" : best->code[0] == 'K' ? "kernel" :
			  best->code[0] == 'L' ? "connected" : "connected";
	cli_out(x, "Routing entry for %s/%u\n", inet_ntop(AF_INET, &best->dst.addr, a, sizeof(a)),
		best->dst.len);
	cli_out(x, "  Known via \"%s\", distance %u, metric 0%s\n", via,
		best->code[0] == 'S' ? best->distance : 0,
		best->code[0] == 'C' || best->code[0] == 'L' ? " (connected)" : "");
	cli_out(x, "  Routing Descriptor Blocks:\n");
	for (size_t i = 0; i < best->nhops; i++) {
		const struct rib_hop *h = &best->hops[i];
		if (h->has_gw)
			cli_out(x, "  * %s%s%s\n", inet_ntop(AF_INET, &h->gw, gw, sizeof(gw)),
				h->ifname[0] ? ", via " : "", h->ifname);
		else
			cli_out(x, "  * directly connected, via %s\n", h->ifname);
		cli_out(x, "      Route metric is 0, traffic share count is 1\n");
	}
}

static const char *code_protocol(const char *code)
{
	switch (code[0]) {
	case 'S': return "static";
	case 'K': return "kernel";
	case 'L': return "local";
	default: return "connected";
	}
}

/* The routes print_rib() lists (the subnetting headers are layout only). */
static struct json_object *rib_json(const struct rib *rib, bool static_only,
				    const struct rib_entry *dflt)
{
	struct json_object *doc = json_object_new_object(), *list = json_object_new_array();
	char a[INET_ADDRSTRLEN], pfx[24];

	if (dflt && dflt->nhops && dflt->hops[0].has_gw)
		json_add_str(doc, "gatewayOfLastResort",
			     inet_ntop(AF_INET, &dflt->hops[0].gw, a, sizeof(a)));
	else if (dflt)
		json_add_str(doc, "gatewayOfLastResort", "0.0.0.0");
	else
		json_add_str(doc, "gatewayOfLastResort", NULL);
	json_object_object_add(doc, "routes", list);
	for (size_t i = 0; i < rib->n; i++) {
		const struct rib_entry *e = &rib->v[i];
		if (static_only && e->code[0] != 'S')
			continue;
		struct json_object *o = json_object_new_object(), *hops = json_object_new_array();
		snprintf(pfx, sizeof(pfx), "%s/%u", inet_ntop(AF_INET, &e->dst.addr, a, sizeof(a)),
			 e->dst.len);
		json_add_str(o, "prefix", pfx);
		json_add_str(o, "code", e->code);
		json_add_str(o, "protocol", code_protocol(e->code));
		json_add_int(o, "distance", e->code[0] == 'S' ? e->distance : 0);
		json_add_int(o, "metric", 0);
		json_add_bool(o, "candidateDefault", strchr(e->code, '*') != NULL);
		for (size_t k = 0; k < e->nhops; k++) {
			const struct rib_hop *h = &e->hops[k];
			struct json_object *ho = json_object_new_object();
			json_add_str(ho, "ip", h->has_gw ? inet_ntop(AF_INET, &h->gw, a, sizeof(a)) : NULL);
			json_add_str(ho, "interface", h->ifname[0] ? h->ifname : NULL);
			json_add_bool(ho, "directlyConnected", !h->has_gw);
			json_object_array_add(hops, ho);
		}
		json_object_object_add(o, "nexthops", hops);
		json_object_array_add(list, o);
	}
	return doc;
}

static int cmd_show_ip_route(struct cli_exec *x)
{
	struct rib rib;
	const char *addr = cli_opt(x, "addr"); /* the lookup form */

	if (rib_load(&rib, cfg_of(x)) < 0) {
		rib_free(&rib);
		return cli_error(x, "Could not read the kernel routing table");
	}
	if (addr) {
		struct in_addr a, m;
		struct ipv4_prefix p;
		inet_pton(AF_INET, addr, &a);
		if (cli_arg(x, "mask")) {
			inet_pton(AF_INET, cli_arg(x, "mask"), &m);
			if (!ipv4_mask_to_len(m, &p.len)) {
				rib_free(&rib);
				return cli_error(x, "Invalid mask %s", cli_arg(x, "mask"));
			}
			p.addr.s_addr = a.s_addr & m.s_addr;
			print_lookup(x, &rib, a, &p);
		} else {
			print_lookup(x, &rib, a, NULL);
		}
		rib_free(&rib);
		return CLI_OK;
	}
	bool static_only = cli_has(x, "static");
	const struct rib_entry *dflt = NULL;
	for (size_t i = 0; i < rib.n; i++)
		if (rib.v[i].dst.len == 0 && rib.v[i].code[0] != 'L')
			dflt = &rib.v[i];
	if (cli_has(x, "json")) {
		cli_out_json(x, rib_json(&rib, static_only, dflt));
		rib_free(&rib);
		return CLI_OK;
	}
	cli_out(x, "Codes: L - local, C - connected, S - static, K - kernel (not configured here)\n"
		   "       * - candidate default\n\n");
	if (dflt && dflt->nhops && dflt->hops[0].has_gw) {
		char gw[INET_ADDRSTRLEN];
		cli_out(x, "Gateway of last resort is %s to network 0.0.0.0\n\n",
			inet_ntop(AF_INET, &dflt->hops[0].gw, gw, sizeof(gw)));
	} else if (dflt) {
		cli_out(x, "Gateway of last resort is 0.0.0.0 to network 0.0.0.0\n\n");
	} else {
		cli_out(x, "Gateway of last resort is not set\n\n");
	}
	print_rib(x->out, &rib, static_only);
	rib_free(&rib);
	return CLI_OK;
}

static const struct cli_cmd show_cmds[] = {
	{ "exec", "show ip route [static] [json]",
	  "Show running system information\nIP information\nIP routing table\nStatic routes\n"
	  CLI_JSON_HELP,
	  cmd_show_ip_route, 0 },
	{ "exec", "show ip route A.B.C.D$addr [A.B.C.D$mask]",
	  "\n\n\nNetwork to display information about or host\nNetwork mask", cmd_show_ip_route, 0 },
};

void route_show_cli_init(void)
{
	CLI_INSTALL(show_cmds);
}
