/* Static routes: model, commands, running-config, selection, kernel.
 * See route.h. */
#include "route/route.h"

#include <arpa/inet.h>
#include <errno.h>
#include <linux/rtnetlink.h>
#include <netlink/route/route.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config.h"
#include "log/debug.h"
#include "net/ifstate.h"
#include "net/kernel_nl.h"
#include "net/netmon.h"
#include "track/track.h"
#include "util/evloop.h"
#include "util/hashmap.h"
#include "util/xalloc.h"

static struct debug_flag debug_route = {
	.path = "ip routing static",
	.help = "IP information\nRouting table events\nStatic routes",
	.title = "IP static routing events",
};

struct sroute_group;

struct sroute {
	struct route_info info;
	char *ifname, *name;
	unsigned long seq; /* configuration order: ties go to the older line */
	struct sroute_group *grp;
	struct sroute *next; /* in the group, configuration order */
	char *idx_dev;       /* key in by_dev: resolved device, "" unresolved */
	bool eligible;
	bool dhcp;           /* the default route from a DHCP lease (option 3) */
	int ifindex;         /* where it would go */
};

struct sroute_group {
	char key[20];
	struct ipv4_prefix dst;
	struct sroute *routes;
	struct sroute *installed; /* in the kernel */
	struct in_addr inst_gw;
	int inst_ifindex;
	bool inst_has_gw;
	bool dirty; /* queued for evaluation */
	struct sroute_group *next_dirty;
};

/* A list of routes under one key of an index. */
struct rlist {
	struct sroute **v;
	size_t n, cap;
};

/* The static routes of one configuration (its "ip route" part). */
struct route_model {
	struct hashmap groups;   /* "a.b.c.d/len" -> sroute_group */
	struct hashmap by_track; /* "N" -> rlist */
	struct hashmap by_if;    /* interface name as configured in the route -> rlist */
	struct hashmap by_dev;   /* next-hop routes: resolved device ("" none) -> rlist */
	unsigned long seq;
	size_t count;
	struct sroute_group *dirty;
};

/* The daemon's side: only the running configuration's routes reach the
 * kernel, through the shared request socket (kernel_nl.h). */
static struct {
	struct config *cfg; /* set while the daemon runs */
	bool kernel;        /* started, and rtnetlink could be opened */
} R;

static void route_free(struct sroute *r);

static void rlists_free(struct hashmap *m)
{
	for (struct hashmap_entry *e = NULL; (e = hashmap_next(m, e));) {
		struct rlist *l = e->value;
		free(l->v);
		free(l);
	}
	hashmap_clear(m);
}

static void route_model_free(void *ext)
{
	struct route_model *m = ext;

	for (struct hashmap_entry *e = NULL; (e = hashmap_next(&m->groups, e));) {
		struct sroute_group *g = e->value;
		for (struct sroute *r = g->routes, *next; r; r = next) {
			next = r->next;
			route_free(r);
		}
		free(g);
	}
	hashmap_clear(&m->groups);
	rlists_free(&m->by_track);
	rlists_free(&m->by_if);
	rlists_free(&m->by_dev);
	free(m);
}

static void route_model_init(void *ext)
{
	struct route_model *m = ext;

	hashmap_init(&m->groups, false);
	hashmap_init(&m->by_track, false);
	hashmap_init(&m->by_if, true);
	hashmap_init(&m->by_dev, false);
}

const struct config_ext_type route_ext = { "ip route", route_model_free, route_model_init };

/* The configuration's routes, created empty on first use. */
static struct route_model *model_rw(struct config *cfg)
{
	return config_ext_get_or_create(cfg, &route_ext, sizeof(struct route_model));
}

/* NULL while the configuration has no route. */
static struct route_model *model_of(const struct config *cfg)
{
	return config_ext_get(cfg, &route_ext);
}

/* Whether this configuration's routes go into the kernel. */
static bool applied(const struct config *cfg)
{
	return R.kernel && cfg == R.cfg;
}

/* ---- indexes ---------------------------------------------------------------- */

static void idx_add(struct hashmap *m, const char *key, struct sroute *r)
{
	struct rlist *l = hashmap_get(m, key);

	if (!l) {
		l = xcalloc(1, sizeof(*l));
		hashmap_put(m, key, l);
	}
	xgrow(&l->v, &l->cap, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = r;
}

static void idx_del(struct hashmap *m, const char *key, struct sroute *r)
{
	struct rlist *l = hashmap_get(m, key);

	if (!l)
		return;
	for (size_t i = 0; i < l->n; i++) {
		if (l->v[i] == r) {
			l->v[i] = l->v[--l->n];
			break;
		}
	}
	if (!l->n) {
		hashmap_del(m, key);
		free(l->v);
		free(l);
	}
}

static void track_key(unsigned id, char *buf, size_t n)
{
	snprintf(buf, n, "%u", id);
}

/* ---- selection -------------------------------------------------------------- */

static void group_mark(struct route_model *m, struct sroute_group *g)
{
	if (g->dirty)
		return;
	g->dirty = true;
	g->next_dirty = m->dirty;
	m->dirty = g;
}

static void list_mark(struct route_model *m, struct hashmap *idx, const char *key)
{
	struct rlist *l = hashmap_get(idx, key);

	for (size_t i = 0; l && i < l->n; i++)
		group_mark(m, l->v[i]->grp);
}

/* The Linux device an interface named in a route lives on. */
static const char *route_device(const struct config *cfg, const struct sroute *r)
{
	const struct iface_cfg *ifc = iface_find(&cfg->ifaces, r->ifname);

	if (ifc)
		return iface_device(ifc);
	return cli_ifname_is_ios(r->ifname) ? NULL : r->ifname;
}

static bool dev_has_addr(const char *ifname, const struct netmon_dev *d)
{
	const struct ifstate *st = ifstate_get(ifname);

	return (st && st->has_addr) || d->naddrs > 0;
}

static void set_idx_dev(struct route_model *m, struct sroute *r, const char *dev)
{
	if (r->ifname)
		return; /* interface routes are indexed by interface */
	if (r->idx_dev && strcmp(r->idx_dev, dev) == 0)
		return;
	if (r->idx_dev) {
		idx_del(&m->by_dev, r->idx_dev, r);
		free(r->idx_dev);
	}
	r->idx_dev = xstrdup(dev);
	idx_add(&m->by_dev, dev, r);
}

static bool route_eligible(const struct config *cfg, struct route_model *m, struct sroute *r)
{
	const struct netmon_dev *d;

	r->ifindex = 0;
	if (r->info.distance >= 255)
		return false;
	if (r->info.track && !track_is_up(cfg, r->info.track))
		return false;
	if (r->ifname) {
		const char *dev = route_device(cfg, r);
		d = dev ? netmon_dev_by_name(dev) : NULL;
		if (!d || !d->present)
			return false;
		r->ifindex = d->ifindex;
		if (r->info.permanent)
			return true;
		return netmon_dev_up(d) && dev_has_addr(r->ifname, d);
	}
	d = netmon_connected(r->info.gw);
	set_idx_dev(m, r, d ? d->name : "");
	if (!d)
		return false;
	r->ifindex = d->ifindex;
	return true;
}

static struct nl_addr *prefix_addr(const struct ipv4_prefix *p)
{
	struct nl_addr *a = nl_addr_build(AF_INET, &p->addr, 4);

	nl_addr_set_prefixlen(a, (int)p->len);
	return a;
}

static struct rtnl_route *kroute_build(const struct sroute_group *g, int ifindex, bool has_gw,
				       struct in_addr gw)
{
	struct rtnl_route *rt = rtnl_route_alloc();
	struct nl_addr *dst = prefix_addr(&g->dst);
	struct rtnl_nexthop *nh = rtnl_route_nh_alloc();

	rtnl_route_set_family(rt, AF_INET);
	rtnl_route_set_table(rt, RT_TABLE_MAIN);
	rtnl_route_set_protocol(rt, RTPROT_STATIC);
	rtnl_route_set_type(rt, RTN_UNICAST);
	rtnl_route_set_scope(rt, has_gw ? RT_SCOPE_UNIVERSE : RT_SCOPE_LINK);
	rtnl_route_set_dst(rt, dst);
	nl_addr_put(dst);
	rtnl_route_nh_set_ifindex(nh, ifindex);
	if (has_gw) {
		struct nl_addr *a = nl_addr_build(AF_INET, &gw, 4);
		rtnl_route_nh_set_gateway(nh, a);
		nl_addr_put(a);
	}
	rtnl_route_add_nexthop(rt, nh);
	return rt;
}

static void kroute_del(struct sroute_group *g)
{
	if (!g->installed)
		return;
	if (R.kernel) {
		struct rtnl_route *rt = kroute_build(g, g->inst_ifindex, g->inst_has_gw, g->inst_gw);
		int rc = rtnl_route_delete(kernel_nl(), rt, 0);
		if (rc < 0 && rc != -NLE_OBJ_NOTFOUND)
			dbg(&debug_route, "RT: %s: delete: %s", g->key, nl_geterror(rc));
		rtnl_route_put(rt);
	}
	dbg(&debug_route, "RT: %s withdrawn", g->key);
	g->installed->info.installed = false;
	g->installed = NULL;
}

static bool kroute_add(struct sroute_group *g, struct sroute *r)
{
	bool replace = g->installed != NULL;
	struct rtnl_route *rt = kroute_build(g, r->ifindex, r->info.has_gw, r->info.gw);
	int rc = rtnl_route_add(kernel_nl(), rt, NLM_F_CREATE | (replace ? NLM_F_REPLACE : NLM_F_EXCL));

	rtnl_route_put(rt);
	if (rc < 0) {
		if (replace)
			kroute_del(g);
		log_msg("IPRT", SEV_WARNING, "STATIC_FAIL", "Static route %s%s%s could not be installed: %s",
			g->key, r->ifname ? " " : "", r->ifname ? r->ifname : "",
			rc == -NLE_EXIST ? "another route to this prefix is in the kernel" : nl_geterror(rc));
		return false;
	}
	if (g->installed)
		g->installed->info.installed = false;
	g->installed = r;
	g->inst_ifindex = r->ifindex;
	g->inst_has_gw = r->info.has_gw;
	g->inst_gw = r->info.gw;
	r->info.installed = true;
	return true;
}

static void group_evaluate(const struct config *cfg, struct route_model *m, struct sroute_group *g)
{
	struct sroute *best = NULL;

	for (struct sroute *r = g->routes; r; r = r->next) {
		r->eligible = route_eligible(cfg, m, r);
		if (r->eligible && (!best || r->info.distance < best->info.distance))
			best = r;
	}
	if (!applied(cfg))
		return;
	if (best == g->installed && (!best || (best->ifindex == g->inst_ifindex &&
					       best->info.has_gw == g->inst_has_gw &&
					       best->info.gw.s_addr == g->inst_gw.s_addr)))
		return;
	if (!best) {
		kroute_del(g);
		return;
	}
	if (kroute_add(g, best)) {
		char gw[INET_ADDRSTRLEN];
		dbg(&debug_route, "RT: %s installed via %s%s%s, distance %u", g->key,
		    best->ifname ? best->ifname : "",
		    best->ifname && best->info.has_gw ? " " : "",
		    best->info.has_gw ? inet_ntop(AF_INET, &best->info.gw, gw, sizeof(gw)) : "",
		    best->info.distance);
	}
}

/* Evaluate what the events of this round touched: each group once. */
static void flush_dirty(const struct config *cfg, struct route_model *m)
{
	while (m->dirty) {
		struct sroute_group *g = m->dirty;
		m->dirty = g->next_dirty;
		g->dirty = false;
		group_evaluate(cfg, m, g);
	}
}

/* ---- model -------------------------------------------------------------- */

static void group_key(const struct ipv4_prefix *p, char *buf, size_t n)
{
	char a[INET_ADDRSTRLEN];

	snprintf(buf, n, "%s/%u", inet_ntop(AF_INET, &p->addr, a, sizeof(a)), p->len);
}

static bool same_target(const struct sroute *r, const char *ifname, bool has_gw, struct in_addr gw)
{
	if (r->dhcp)
		return false; /* not a configuration line */
	if ((r->ifname == NULL) != (ifname == NULL))
		return false;
	if (ifname && strcasecmp(r->ifname, ifname) != 0)
		return false;
	return r->info.has_gw == has_gw && (!has_gw || r->info.gw.s_addr == gw.s_addr);
}

static void route_unindex(struct route_model *m, struct sroute *r)
{
	char k[16];

	if (r->info.track) {
		track_key(r->info.track, k, sizeof(k));
		idx_del(&m->by_track, k, r);
	}
	if (r->ifname)
		idx_del(&m->by_if, r->ifname, r);
	if (r->idx_dev) {
		idx_del(&m->by_dev, r->idx_dev, r);
		free(r->idx_dev);
		r->idx_dev = NULL;
	}
}

static void route_index(struct route_model *m, struct sroute *r)
{
	char k[16];

	if (r->info.track) {
		track_key(r->info.track, k, sizeof(k));
		idx_add(&m->by_track, k, r);
	}
	if (r->ifname)
		idx_add(&m->by_if, r->ifname, r);
}

static void route_free(struct sroute *r)
{
	free(r->ifname);
	free(r->name);
	free(r->idx_dev);
	free(r);
}

static void group_free_if_empty(struct route_model *m, struct sroute_group *g)
{
	if (g->routes)
		return;
	kroute_del(g);
	hashmap_del(&m->groups, g->key);
	/* a dirty group is unlinked before it is freed */
	for (struct sroute_group **pp = &m->dirty; *pp; pp = &(*pp)->next_dirty)
		if (*pp == g) {
			*pp = g->next_dirty;
			break;
		}
	free(g);
}

static void route_remove(struct route_model *m, struct sroute *r)
{
	struct sroute_group *g = r->grp;

	for (struct sroute **pp = &g->routes; *pp; pp = &(*pp)->next)
		if (*pp == r) {
			*pp = r->next;
			break;
		}
	if (g->installed == r)
		kroute_del(g);
	route_unindex(m, r);
	route_free(r);
	m->count--;
	group_mark(m, g);
	if (!g->routes)
		group_free_if_empty(m, g);
}

/* ---- commands ------------------------------------------------------------ */

static int parse_dst(struct cli_exec *x, struct ipv4_prefix *p)
{
	struct in_addr mask;

	inet_pton(AF_INET, cli_arg(x, "dst"), &p->addr);
	inet_pton(AF_INET, cli_arg(x, "mask"), &mask);
	if (!ipv4_mask_to_len(mask, &p->len))
		return cli_error(x, "Invalid mask %s", cli_arg(x, "mask"));
	if (p->addr.s_addr & ~mask.s_addr)
		return cli_error(x, "Inconsistent address and mask");
	return CLI_OK;
}

static int cmd_ip_route(struct cli_exec *x)
{
	struct ipv4_prefix dst;
	const char *ifname = cli_opt(x, "if"); /* the interface forms */
	const char *gws = cli_arg(x, "gw");
	struct in_addr gw = { 0 };
	char key[20];
	struct sroute_group *g;
	struct config *cfg = cfg_of(x);
	struct route_model *m = model_rw(cfg);

	if (parse_dst(x, &dst) != CLI_OK)
		return CLI_ERR_FAILED;
	if (gws)
		inet_pton(AF_INET, gws, &gw);
	group_key(&dst, key, sizeof(key));
	g = hashmap_get(&m->groups, key);

	if (x->is_no) {
		bool any = false;
		for (struct sroute *r = g ? g->routes : NULL, *next; r; r = next) {
			next = r->next;
			if (r->dhcp || ((ifname || gws) && !same_target(r, ifname, gws != NULL, gw)))
				continue;
			any = true;
			route_remove(m, r);
		}
		if (!any)
			return cli_error(x, "No matching route to delete");
		flush_dirty(cfg, m);
		return CLI_OK;
	}
	if (gws && (gw.s_addr == 0 || gw.s_addr == INADDR_BROADCAST || IN_MULTICAST(ntohl(gw.s_addr))))
		return cli_error(x, "Invalid next hop address");
	if (gws && dst.len == 32 && gw.s_addr == dst.addr.s_addr)
		return cli_error(x, "Invalid next hop address (it's this route's destination)");
	if (ifname && iface_kind_of(ifname) == IFACE_LOOPBACK && gws)
		return cli_error(x, "Invalid next hop address on a loopback interface");

	if (!g) {
		g = xcalloc(1, sizeof(*g));
		memcpy(g->key, key, sizeof(key));
		g->dst = dst;
		hashmap_put(&m->groups, key, g);
	}
	struct sroute *r = NULL, **tail = &g->routes;
	for (; *tail; tail = &(*tail)->next)
		if (same_target(*tail, ifname, gws != NULL, gw))
			r = *tail;
	if (r) {
		route_unindex(m, r);
		free(r->name);
	} else {
		r = xcalloc(1, sizeof(*r));
		r->grp = g;
		r->seq = ++m->seq;
		r->ifname = ifname ? xstrdup(ifname) : NULL;
		r->info.has_gw = gws != NULL;
		r->info.gw = gw;
		r->info.dst = dst;
		*tail = r;
		m->count++;
	}
	r->info.ifname = r->ifname;
	r->info.distance = (unsigned)cli_arg_long(x, "dist", 1);
	r->info.track = (unsigned)cli_arg_long(x, "trackid", 0);
	r->info.permanent = cli_has(x, "permanent");
	r->name = cli_arg(x, "rname") ? xstrdup(cli_arg(x, "rname")) : NULL;
	r->info.name = r->name;
	route_index(m, r);
	if (r->info.track && !track_exists(cfg, r->info.track))
		cli_out(x, "%% Track object %u does not exist yet: the route stays down until it does\n",
			r->info.track);
	group_mark(m, g);
	flush_dirty(cfg, m);
	return CLI_OK;
}

/* ---- running-config ------------------------------------------------------- */

static int route_cmp(const void *a, const void *b)
{
	const struct sroute *x = *(struct sroute *const *)a, *y = *(struct sroute *const *)b;
	uint32_t xa = ntohl(x->info.dst.addr.s_addr), ya = ntohl(y->info.dst.addr.s_addr);

	if (xa != ya)
		return xa < ya ? -1 : 1;
	if (x->info.dst.len != y->info.dst.len)
		return x->info.dst.len < y->info.dst.len ? -1 : 1;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static struct sroute **sorted_routes(const struct route_model *m, const struct ipv4_prefix *only,
				     size_t *n)
{
	struct sroute **v = NULL;
	size_t cap = 0;

	*n = 0;
	if (!m)
		return NULL;
	for (struct hashmap_entry *e = NULL; (e = hashmap_next(&m->groups, e));) {
		struct sroute_group *g = e->value;
		if (only && (g->dst.addr.s_addr != only->addr.s_addr || g->dst.len != only->len))
			continue;
		for (struct sroute *r = g->routes; r; r = r->next) {
			xgrow(&v, &cap, *n + 1, sizeof(*v));
			v[(*n)++] = r;
		}
	}
	if (*n)
		qsort(v, *n, sizeof(*v), route_cmp);
	return v;
}

static void write_routes(const struct config *cfg, struct strbuf *out)
{
	size_t n;
	struct sroute **v = sorted_routes(model_of(cfg), NULL, &n);
	char a[INET_ADDRSTRLEN], m[INET_ADDRSTRLEN], gw[INET_ADDRSTRLEN];

	for (size_t i = 0; i < n; i++) {
		const struct sroute *r = v[i];
		struct in_addr mask = ipv4_len_to_mask(r->info.dst.len);
		if (r->dhcp)
			continue;
		sb_printf(out, "ip route %s %s", inet_ntop(AF_INET, &r->info.dst.addr, a, sizeof(a)),
			  inet_ntop(AF_INET, &mask, m, sizeof(m)));
		if (r->ifname)
			sb_printf(out, " %s", r->ifname);
		if (r->info.has_gw)
			sb_printf(out, " %s", inet_ntop(AF_INET, &r->info.gw, gw, sizeof(gw)));
		if (r->info.distance != 1)
			sb_printf(out, " %u", r->info.distance);
		if (r->name)
			sb_printf(out, " name %s", r->name);
		if (r->info.permanent)
			sb_puts(out, " permanent");
		if (r->info.track)
			sb_printf(out, " track %u", r->info.track);
		sb_putc(out, '\n');
	}
	free(v);
}

void route_foreach(const struct config *cfg, const struct ipv4_prefix *dst,
		   void (*fn)(void *ctx, const struct route_info *r), void *ctx)
{
	size_t n;
	struct sroute **v = sorted_routes(model_of(cfg), dst, &n);

	for (size_t i = 0; i < n; i++)
		fn(ctx, &v[i]->info);
	free(v);
}

bool route_installed_for(const struct config *cfg, const struct ipv4_prefix *dst,
			 struct route_info *out)
{
	const struct route_model *m = model_of(cfg);
	char key[20];
	struct sroute_group *g;

	if (!m)
		return false;
	group_key(dst, key, sizeof(key));
	g = hashmap_get(&m->groups, key);
	if (!g || !g->installed)
		return false;
	*out = g->installed->info;
	return true;
}

/* ---- the default route of a DHCP lease ---------------------------------------- */

/* As IOS: a lease's router (option 3) becomes 0.0.0.0/0 through the
 * interface at distance 254, so any configured default route wins and it
 * floats in when that one is withdrawn.  Not a configuration line. */
#define DHCP_DEFAULT_DISTANCE 254

static struct sroute *dhcp_route_find(struct sroute_group *g, const char *ifname)
{
	for (struct sroute *r = g ? g->routes : NULL; r; r = r->next)
		if (r->dhcp && strcasecmp(r->ifname, ifname) == 0)
			return r;
	return NULL;
}

static void dhcp_default_update(struct route_model *m, const char *ifname,
				const struct in_addr *router)
{
	struct ipv4_prefix dst = { .len = 0 };
	char key[20];
	struct sroute_group *g;
	struct sroute *r;

	group_key(&dst, key, sizeof(key));
	g = hashmap_get(&m->groups, key);
	r = dhcp_route_find(g, ifname);
	if (!router) {
		if (r) {
			dbg(&debug_route, "RT: %s: DHCP default route gone", ifname);
			route_remove(m, r);
		}
		return;
	}
	if (r && r->info.gw.s_addr == router->s_addr)
		return;
	if (!g) {
		g = xcalloc(1, sizeof(*g));
		memcpy(g->key, key, sizeof(key));
		g->dst = dst;
		hashmap_put(&m->groups, key, g);
	}
	if (!r) {
		struct sroute **tail = &g->routes;
		while (*tail)
			tail = &(*tail)->next;
		r = xcalloc(1, sizeof(*r));
		r->grp = g;
		r->seq = ++m->seq;
		r->dhcp = true;
		r->ifname = xstrdup(ifname);
		r->info.ifname = r->ifname;
		r->info.dst = dst;
		r->info.has_gw = true;
		r->info.distance = DHCP_DEFAULT_DISTANCE;
		r->info.name = NULL;
		route_index(m, r);
		*tail = r;
		m->count++;
	}
	r->info.gw = *router;
	dbg(&debug_route, "RT: %s: DHCP default route via %s", ifname, inet_ntoa(*router));
	group_mark(m, g);
}

/* ---- events --------------------------------------------------------------- */

/* Kernel events concern the running configuration only. */
static struct route_model *running_model(void)
{
	return R.cfg ? model_of(R.cfg) : NULL;
}

static void on_track(const struct config *cfg, unsigned id, bool up, void *arg)
{
	struct route_model *m = model_of(cfg);
	char k[16];

	if (!m)
		return;
	track_key(id, k, sizeof(k));
	list_mark(m, &m->by_track, k);
	flush_dirty(cfg, m);
}

static void on_dev(const struct netmon_dev *d, unsigned what, void *arg)
{
	struct route_model *m = running_model();
	const char *ifname = netmon_ifname_of(d->name);

	if (!m)
		return;
	if (ifname)
		list_mark(m, &m->by_if, ifname);
	list_mark(m, &m->by_if, d->name);
	list_mark(m, &m->by_dev, d->name);
	list_mark(m, &m->by_dev, ""); /* next hops that may now resolve */
	flush_dirty(R.cfg, m);
}

static void on_ifstate(const struct ifstate *st, unsigned what, void *arg)
{
	struct route_model *m;

	if (!R.cfg || !(what & (IFSTATE_ADDR | IFSTATE_DHCP | IFSTATE_GONE)))
		return;
	m = model_rw(R.cfg);
	if (what & (IFSTATE_DHCP | IFSTATE_GONE)) {
		bool have = !(what & IFSTATE_GONE) && st->dhcp.bound && st->dhcp.router.s_addr;
		dhcp_default_update(m, st->name, have ? &st->dhcp.router : NULL);
	}
	list_mark(m, &m->by_if, st->name);
	flush_dirty(R.cfg, m);
}

static void on_iface(struct config *cfg, struct iface_cfg *ifc, void *arg)
{
	struct route_model *m = model_of(cfg);

	if (!m)
		return;
	list_mark(m, &m->by_if, ifc->name);
	flush_dirty(cfg, m);
}

static size_t track_users(const struct config *cfg, unsigned id)
{
	struct route_model *m = model_of(cfg);
	char k[16];
	struct rlist *l;

	if (!m)
		return 0;
	track_key(id, k, sizeof(k));
	l = hashmap_get(&m->by_track, k);
	return l ? l->n : 0;
}

static struct track_client track_cl = { "Static IP Routing", track_users, NULL };

int route_start(struct evloop *loop, struct config_env *env)
{
	struct config *cfg = env->cfg;
	struct route_model *m = model_rw(cfg);

	R.cfg = cfg;
	R.kernel = kernel_nl() != NULL;
	if (!R.kernel) {
		log_msg("IPRT", SEV_ERR, "NETLINK", "Could not open rtnetlink: static routes are not applied");
		return -1;
	}
	hook_register(ifstate_changed, on_ifstate, NULL, HOOK_PRIO_DEFAULT);
	/* Routes configured before start (none today) get evaluated. */
	for (struct hashmap_entry *e = NULL; (e = hashmap_next(&m->groups, e));)
		group_mark(m, e->value);
	flush_dirty(cfg, m);
	return 0;
}

/* Take every route we installed out of the kernel; the model stays. */
void route_stop(void)
{
	struct route_model *m = running_model();

	if (!m)
		return;
	for (struct hashmap_entry *e = NULL; (e = hashmap_next(&m->groups, e));)
		kroute_del(e->value);
	hook_unregister(ifstate_changed, on_ifstate, NULL);
	R.kernel = false;
	/* DHCP default routes are runtime state, not configuration (the group
	 * goes with its last route: next is NULL then). */
	struct ipv4_prefix any = { .len = 0 };
	char key[20];
	group_key(&any, key, sizeof(key));
	struct sroute_group *g = hashmap_get(&m->groups, key);
	for (struct sroute *r = g ? g->routes : NULL, *next; r; r = next) {
		next = r->next;
		if (r->dhcp)
			route_remove(m, r);
	}
	flush_dirty(R.cfg, m); /* nothing reaches the kernel without R.kernel */
	R.cfg = NULL;
}

#define NO "Negate a command or set its defaults"
#define ROUTE_HEAD "ip route A.B.C.D$dst A.B.C.D$mask"
#define ROUTE_HELP "Global IP configuration subcommands\nEstablish static routes\n" \
		   "Destination prefix\nDestination prefix mask\n"
#define ROUTE_TAIL "[(1-255)$dist] [name WORD$rname] [<permanent|track (1-65535)$trackid>]"
#define TAIL_HELP "Distance metric for this route\nSpecify name of the next hop\n" \
		  "Name of the next hop\npermanent route\nInstall route depending on tracked item\n" \
		  "tracked object number"

static const struct cli_cmd route_cmds[] = {
	{ "config", ROUTE_HEAD " IFNAME$if [A.B.C.D$gw] " ROUTE_TAIL,
	  ROUTE_HELP "Interface the route goes out of\nForwarding router's address\n" TAIL_HELP,
	  cmd_ip_route, 0 },
	{ "config", ROUTE_HEAD " A.B.C.D$gw " ROUTE_TAIL,
	  ROUTE_HELP "Forwarding router's address\n" TAIL_HELP, cmd_ip_route, 0 },
	{ "config", "no " ROUTE_HEAD " [IFNAME$if] [A.B.C.D$gw] [LINE]", NO "\n\n\n\n\n\n\n"
	  "Ignored: distance, name, permanent, track", cmd_ip_route, 0 },
};

void route_cli_init(void)
{
	debug_register(&debug_route);
	CLI_INSTALL(route_cmds);
	config_section_register(620, "ip route", write_routes);
	hook_register(track_state_changed, on_track, NULL, HOOK_PRIO_DEFAULT);
	track_client_register(&track_cl);
	/* Before track objects: a track change from the same event then meets
	 * routes that already follow the device. */
	hook_register(netmon_dev_changed, on_dev, NULL, HOOK_PRIO_DEFAULT - 10);
	hook_register(iface_changed, on_iface, NULL, HOOK_PRIO_DEFAULT);
	hook_register(iface_deleted, on_iface, NULL, HOOK_PRIO_DEFAULT);
	route_show_cli_init();
}
