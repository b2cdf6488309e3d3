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
#include <time.h>

#include "cli/json.h"
#include "config/config.h"
#include "net/ifstate.h"
#include "net/kernel_nl.h"
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

/* Dumped over the shared request socket: the show handlers run on the
 * main thread. */
struct kview {
	struct nl_sock *sk;
	struct nl_cache *links, *addrs;
};

static bool kview_open(struct kview *kv)
{
	memset(kv, 0, sizeof(*kv));
	kv->sk = kernel_nl();
	if (!kv->sk)
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

/* clear counters: the kernel's link counters cannot be reset, so the
 * daemon keeps what they were at the clearing and shows the difference.
 * Keyed by Linux device; a device created again since (another ifindex)
 * counts from its creation, after the clearing. */
#define NCOUNTERS 15
struct counter_base {
	char dev[IFNAMSIZ];
	int ifindex;
	unsigned long long v[NCOUNTERS];
	uint64_t cleared_ms; /* CLOCK_MONOTONIC */
};
static struct counter_base *bases;
static size_t nbases, capbases;

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static struct counter_base *base_find(const char *dev)
{
	for (size_t i = 0; dev && i < nbases; i++)
		if (strcmp(bases[i].dev, dev) == 0)
			return &bases[i];
	return NULL;
}

__attribute__((destructor)) static void bases_free(void)
{
	free(bases);
	bases = NULL;
	nbases = capbases = 0;
}

/* What show interfaces says about one row: text and JSON are both
 * written from this. */
struct iface_view {
	const char *name, *dev; /* dev: NULL when not bound */
	const char *status;
	bool proto_up, present;
	enum { HW_TUNNEL, HW_LOOPBACK, HW_OTHER } hw;
	const char *hw_type; /* the kernel's link type, or NULL */
	bool has_mac;
	uint8_t mac[6];
	const char *description, *unnumbered;
	bool has_addr;
	struct ipv4_prefix addr; /* primary */
	const char *method;
	struct ipv4_prefix secondary[15];
	size_t nsecondary;
	unsigned mtu;
	int ifindex;
	struct {
		const char *json;
		unsigned long long v;
	} counters[NCOUNTERS];
	bool cleared;        /* clear counters ran for its device */
	uint64_t cleared_ago_ms;
};

enum { C_RX_PKT, C_RX_BYTES, C_RX_NOBUF, C_RX_MCAST, C_RX_ERR, C_RX_CRC, C_RX_FRAME, C_RX_OVERRUN,
       C_RX_IGNORED, C_TX_PKT, C_TX_BYTES, C_TX_UNDERRUN, C_TX_ERR, C_TX_COLL, C_TX_DROP };

static void view_fill(struct iface_view *v, struct kview *kv, const struct row *r)
{
	struct rtnl_link *l = klink(kv, r->dev[0] ? r->dev : NULL);
	static const struct {
		const char *json;
		rtnl_link_stat_id_t id;
	} stats[] = {
		[C_RX_PKT] = { "inputPackets", RTNL_LINK_RX_PACKETS },
		[C_RX_BYTES] = { "inputBytes", RTNL_LINK_RX_BYTES },
		[C_RX_NOBUF] = { "inputNoBuffer", RTNL_LINK_RX_DROPPED },
		[C_RX_MCAST] = { "inputMulticasts", RTNL_LINK_MULTICAST },
		[C_RX_ERR] = { "inputErrors", RTNL_LINK_RX_ERRORS },
		[C_RX_CRC] = { "inputCrc", RTNL_LINK_RX_CRC_ERR },
		[C_RX_FRAME] = { "inputFrame", RTNL_LINK_RX_FRAME_ERR },
		[C_RX_OVERRUN] = { "inputOverrun", RTNL_LINK_RX_OVER_ERR },
		[C_RX_IGNORED] = { "inputIgnored", RTNL_LINK_RX_MISSED_ERR },
		[C_TX_PKT] = { "outputPackets", RTNL_LINK_TX_PACKETS },
		[C_TX_BYTES] = { "outputBytes", RTNL_LINK_TX_BYTES },
		[C_TX_UNDERRUN] = { "outputUnderruns", RTNL_LINK_TX_FIFO_ERR },
		[C_TX_ERR] = { "outputErrors", RTNL_LINK_TX_ERRORS },
		[C_TX_COLL] = { "collisions", RTNL_LINK_COLLISIONS },
		[C_TX_DROP] = { "outputDrops", RTNL_LINK_TX_DROPPED },
	};
	struct ipv4_prefix p[16];

	memset(v, 0, sizeof(*v));
	v->name = r->name;
	v->dev = r->dev[0] ? r->dev : NULL;
	v->status = status_of(r, l);
	v->proto_up = proto_up(r, l);
	v->present = l != NULL;
	v->hw = HW_OTHER;
	if (r->ifc && r->ifc->kind == IFACE_TUNNEL)
		v->hw = HW_TUNNEL;
	else if (r->ifc && r->ifc->kind == IFACE_LOOPBACK)
		v->hw = HW_LOOPBACK;
	if (r->ifc) {
		v->description = r->ifc->description;
		v->unnumbered = r->ifc->unnumbered;
	}
	v->has_addr = row_addr(r, kv, l, &v->addr, &v->method);
	if (!l)
		return;
	v->hw_type = rtnl_link_get_type(l);
	struct nl_addr *mac = rtnl_link_get_addr(l);
	if (mac && nl_addr_get_len(mac) == 6) {
		v->has_mac = true;
		memcpy(v->mac, nl_addr_get_binary_addr(mac), 6);
	}
	size_t na = kaddrs(kv, rtnl_link_get_ifindex(l), p, 16);
	for (size_t i = 1; i < na && i < 16; i++)
		v->secondary[v->nsecondary++] = p[i];
	v->mtu = rtnl_link_get_mtu(l);
	v->ifindex = rtnl_link_get_ifindex(l);
	const struct counter_base *b = base_find(v->dev);
	bool same_device = b && b->ifindex == v->ifindex;
	for (size_t i = 0; i < ARRAY_SIZE(stats); i++) {
		unsigned long long now = (unsigned long long)rtnl_link_get_stat(l, stats[i].id);
		v->counters[i].json = stats[i].json;
		v->counters[i].v = same_device && now >= b->v[i] ? now - b->v[i] : now;
	}
	if (b) {
		v->cleared = true;
		v->cleared_ago_ms = mono_ms() - b->cleared_ms;
	}
	rtnl_link_put(l);
}

static void mac_text(const uint8_t *m, char *buf, size_t n)
{
	snprintf(buf, n, "%02x%02x.%02x%02x.%02x%02x", m[0], m[1], m[2], m[3], m[4], m[5]);
}

static void show_one(struct cli_exec *x, const struct config *cfg, struct kview *kv, const struct row *r)
{
	struct iface_view v;
	char a[INET_ADDRSTRLEN], mac[16];

	view_fill(&v, kv, r);
	cli_out(x, "%s is %s, line protocol is %s\n", v.name, v.status, v.proto_up ? "up" : "down");
	if (!v.present) {
		cli_out(x, "  %s\n", v.dev ? "Linux device not present" :
					     "Not bound to a Linux device (linux-device)");
	} else if (v.hw == HW_TUNNEL) {
		cli_out(x, "  Hardware is Tunnel (Linux TUN %s)\n", v.dev);
	} else if (v.hw == HW_LOOPBACK) {
		cli_out(x, "  Hardware is Loopback (Linux TUN %s)\n", v.dev);
	} else if (v.has_mac) {
		mac_text(v.mac, mac, sizeof(mac));
		cli_out(x, "  Hardware is %s, address is %s (bia %s)\n",
			v.hw_type ? v.hw_type : "Ethernet", mac, mac);
	} else {
		cli_out(x, "  Hardware is %s\n", v.hw_type ? v.hw_type : "Linux device");
	}
	if (v.description)
		cli_out(x, "  Description: %s\n", v.description);
	if (v.unnumbered)
		cli_out(x, "  Interface is unnumbered. Using address of %s (%s)\n", v.unnumbered,
			v.has_addr ? inet_ntop(AF_INET, &v.addr.addr, a, sizeof(a)) : "unassigned");
	else if (v.has_addr)
		cli_out(x, "  Internet address is %s/%u%s\n", inet_ntop(AF_INET, &v.addr.addr, a, sizeof(a)),
			v.addr.len, strcmp(v.method, "DHCP") == 0 ? " (DHCP)" : "");
	if (v.present) {
		for (size_t i = 0; i < v.nsecondary; i++)
			cli_out(x, "  Secondary address %s/%u\n",
				inet_ntop(AF_INET, &v.secondary[i].addr, a, sizeof(a)), v.secondary[i].len);
		cli_out(x, "  MTU %u bytes, Linux device %s, ifindex %d\n", v.mtu, v.dev, v.ifindex);
		char ago[32] = "never";
		if (v.cleared)
			cli_elapsed_text(v.cleared_ago_ms, ago, sizeof(ago));
		cli_out(x, "  Last clearing of \"show interface\" counters %s\n", ago);
#define ST(id) (v.counters[id].v)
		cli_out(x, "     %llu packets input, %llu bytes, %llu no buffer\n", ST(C_RX_PKT),
			ST(C_RX_BYTES), ST(C_RX_NOBUF));
		cli_out(x, "     Received %llu multicasts\n", ST(C_RX_MCAST));
		cli_out(x, "     %llu input errors, %llu CRC, %llu frame, %llu overrun, %llu ignored\n",
			ST(C_RX_ERR), ST(C_RX_CRC), ST(C_RX_FRAME), ST(C_RX_OVERRUN), ST(C_RX_IGNORED));
		cli_out(x, "     %llu packets output, %llu bytes, %llu underruns\n", ST(C_TX_PKT),
			ST(C_TX_BYTES), ST(C_TX_UNDERRUN));
		cli_out(x, "     %llu output errors, %llu collisions, %llu output drops\n",
			ST(C_TX_ERR), ST(C_TX_COLL), ST(C_TX_DROP));
#undef ST
	}
	for (size_t i = 0; i < nhooks; i++)
		hooks[i].fn(cfg, r->ifc, r->dev[0] ? r->dev : NULL, x->out);
}

static struct json_object *prefix_json(const struct ipv4_prefix *p)
{
	char a[INET_ADDRSTRLEN], s[INET_ADDRSTRLEN + 4];

	snprintf(s, sizeof(s), "%s/%u", inet_ntop(AF_INET, &p->addr, a, sizeof(a)), p->len);
	return json_object_new_string(s);
}

/* The fields of show_one() before the other components' lines. */
static struct json_object *iface_json(struct kview *kv, const struct row *r)
{
	struct json_object *o = json_object_new_object();
	struct iface_view v;
	char mac[16];

	view_fill(&v, kv, r);
	json_add_str(o, "interface", v.name);
	json_add_str(o, "linuxDevice", v.dev);
	json_add_bool(o, "devicePresent", v.present);
	json_add_str(o, "status", v.status);
	json_add_str(o, "lineProtocol", v.proto_up ? "up" : "down");
	json_add_str(o, "hardware", !v.present ? NULL : v.hw == HW_TUNNEL ? "Tunnel" :
				    v.hw == HW_LOOPBACK ? "Loopback" : v.hw_type ? v.hw_type :
				    v.has_mac ? "Ethernet" : "Linux device");
	if (v.present && v.hw == HW_OTHER && v.has_mac) {
		mac_text(v.mac, mac, sizeof(mac));
		json_add_str(o, "macAddress", mac);
	} else {
		json_add_str(o, "macAddress", NULL);
	}
	json_add_str(o, "description", v.description);
	json_add_str(o, "unnumbered", v.unnumbered);
	json_object_object_add(o, "address", v.has_addr ? prefix_json(&v.addr) : NULL);
	json_add_str(o, "addressMethod", v.method);
	struct json_object *sec = json_object_new_array();
	for (size_t i = 0; i < v.nsecondary; i++)
		json_object_array_add(sec, prefix_json(&v.secondary[i]));
	json_object_object_add(o, "secondaryAddresses", sec);
	if (!v.present) {
		json_add_str(o, "mtu", NULL);
		json_add_str(o, "ifindex", NULL);
		json_add_str(o, "counters", NULL);
		json_add_str(o, "lastClearingSecondsAgo", NULL);
		return o;
	}
	json_add_int(o, "mtu", v.mtu);
	json_add_int(o, "ifindex", v.ifindex);
	struct json_object *c = json_object_new_object();
	for (size_t i = 0; i < ARRAY_SIZE(v.counters); i++)
		json_add_u64(c, v.counters[i].json, v.counters[i].v);
	json_object_object_add(o, "counters", c);
	if (v.cleared)
		json_add_u64(o, "lastClearingSecondsAgo", v.cleared_ago_ms / 1000);
	else
		json_add_str(o, "lastClearingSecondsAgo", NULL);
	return o;
}

static int cmd_show_interfaces(struct cli_exec *x)
{
	struct config *cfg = cfg_of(x);
	const char *only = cli_arg(x, "ifname");
	struct json_object *doc = NULL, *list = NULL;
	struct kview kv;
	size_t n;
	struct row *rows;
	bool found = false;

	if (!kview_open(&kv)) {
		kview_close(&kv);
		return cli_error(x, "Could not read the kernel's interfaces");
	}
	if (cli_has(x, "json")) {
		doc = json_object_new_object();
		list = json_object_new_array();
		json_object_object_add(doc, "interfaces", list);
	}
	rows = rows_collect(cfg, &kv, &n);
	for (size_t i = 0; i < n; i++) {
		if (only && strcasecmp(rows[i].name, only) != 0 && strcmp(rows[i].dev, only) != 0)
			continue;
		found = true;
		if (doc)
			json_object_array_add(list, iface_json(&kv, &rows[i]));
		else
			show_one(x, cfg, &kv, &rows[i]);
		if (only)
			break;
	}
	free(rows);
	kview_close(&kv);
	if (only && !found) {
		json_object_put(doc);
		return cli_error(x, "Interface %s does not exist", only);
	}
	if (doc)
		cli_out_json(x, doc);
	return CLI_OK;
}

/* The row show interfaces would print for name, or NULL. */
static const struct row *row_find(const struct row *rows, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcasecmp(rows[i].name, name) == 0 || strcmp(rows[i].dev, name) == 0)
			return &rows[i];
	return NULL;
}

/* Take the kernel's counters of every device (only: one interface) as the
 * new zero.  Returns false when the kernel could not be read. */
static bool clear_counters(const struct config *cfg, const char *only)
{
	struct kview kv;
	size_t n;
	struct row *rows;
	uint64_t now = mono_ms();

	if (!kview_open(&kv)) {
		kview_close(&kv);
		return false;
	}
	rows = rows_collect(cfg, &kv, &n);
	for (size_t i = 0; i < n; i++) {
		struct iface_view v;
		struct counter_base *b;
		if (only && &rows[i] != row_find(rows, n, only))
			continue;
		if (!rows[i].dev[0])
			continue;
		/* the raw counters: without the old baseline */
		b = base_find(rows[i].dev);
		if (b)
			b->dev[0] = '\0';
		view_fill(&v, &kv, &rows[i]);
		if (!v.present)
			continue;
		if (!b)
			b = base_find(""); /* a slot a vanished device left */
		if (!b) {
			xgrow(&bases, &capbases, nbases + 1, sizeof(*bases));
			b = &bases[nbases++];
		}
		memset(b, 0, sizeof(*b));
		snprintf(b->dev, sizeof(b->dev), "%s", rows[i].dev);
		b->ifindex = v.ifindex;
		b->cleared_ms = now;
		for (size_t k = 0; k < NCOUNTERS; k++)
			b->v[k] = v.counters[k].v;
	}
	free(rows);
	kview_close(&kv);
	return true;
}

static bool do_clear(struct cli_session *s, const char *only, struct strbuf *out)
{
	struct config_env *env = cli_session_app(s);

	if (!clear_counters(env->cfg, only)) {
		sb_puts(out, "% Could not read the kernel's interfaces\n");
		return false;
	}
	if (only)
		log_msg("CLEAR", SEV_NOTICE, "COUNTERS", "Clear counter on interface %s by %s", only,
			cli_session_who(s));
	else
		log_msg("CLEAR", SEV_NOTICE, "COUNTERS", "Clear counter on all interfaces by %s",
			cli_session_who(s));
	return true;
}

/* IOS's [confirm]: Return or "y" clears, anything else (or a script that
 * ends first) clears nothing.  arg: the interface, or NULL for all. */
static bool clear_confirm(struct cli_session *s, const char *line, void *arg, struct strbuf *out)
{
	char *only = arg;

	if (line && (!*line || strcasecmp(line, "y") == 0 || strcasecmp(line, "yes") == 0))
		do_clear(s, only, out);
	free(only);
	return true;
}

static int cmd_clear_counters(struct cli_exec *x)
{
	const char *only = cli_arg(x, "ifname");

	if (only) {
		struct kview kv;
		size_t n;
		struct row *rows;
		const struct row *r;
		if (!kview_open(&kv)) {
			kview_close(&kv);
			return cli_error(x, "Could not read the kernel's interfaces");
		}
		rows = rows_collect(cfg_of(x), &kv, &n);
		r = row_find(rows, n, only);
		free(rows);
		kview_close(&kv);
		if (!r)
			return cli_error(x, "Interface %s does not exist", only);
	}
	if (cli_has(x, "force"))
		return do_clear(x->s, only, x->out) ? CLI_OK : CLI_ERR_FAILED;
	cli_read_more(x, only ? "Clear \"show interface\" counters on this interface [confirm]"
			      : "Clear \"show interface\" counters on all interfaces [confirm]",
		      clear_confirm, only ? xstrdup(only) : NULL);
	return CLI_OK;
}

static const struct cli_cmd show_cmds[] = {
	{ "exec", "show ip interface brief",
	  "Show running system information\nIP information\nIP interface status and configuration\n"
	  "Brief summary of IP status and configuration",
	  cmd_show_ip_int_brief, 0 },
	{ "exec", "show interfaces [IFNAME$ifname] [json]",
	  "\nInterface status and configuration\nInterface name\n" CLI_JSON_HELP, cmd_show_interfaces, 0 },
	{ "exec", "clear counters [IFNAME$ifname] [force]",
	  "Reset functions\nClear counters on one or all interfaces\nInterface name\n"
	  "Do not ask for confirmation (scripts)",
	  cmd_clear_counters, CLI_PRIV },
};

void iface_show_cli_init(void)
{
	CLI_INSTALL(show_cmds);
}
