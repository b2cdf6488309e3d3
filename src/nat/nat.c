/* NAT: model, commands, the nftables table, translations.  See nat.h. */
#include "nat/nat.h"

#include <arpa/inet.h>
#include <linux/netfilter/nf_conntrack_common.h>
#include <netlink/netfilter/ct.h>
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config.h"
#include "config/runtime.h"
#include "log/debug.h"
#include "acl/acl.h"
#include "net/ifstate.h"
#include "net/netmon.h"
#include "util/hashmap.h"
#include "util/xalloc.h"

static struct debug_flag debug_nat = {
	.path = "ip nat",
	.help = "IP information\nNAT events",
	.title = "IP NAT",
};

struct nat_if {
	bool inside, outside;
};
static const struct iface_ext_type nat_ext = { "nat", NULL };

struct nat_dyn {
	char *acl;
	char *ifname;
};

struct nat_static {
	uint8_t proto; /* 0: the whole address */
	struct in_addr local, global;
	uint16_t lport, gport;
	char *gif; /* "interface IF": its address is the global one */
	bool extendable;
	unsigned map_id; /* a nat_port_map (not configuration), else 0 */
};

struct sip_port {
	uint8_t proto;
	uint16_t port;
	bool on;
};

/* The NAT lines of one configuration (and, in the running one, the port
 * maps other components hold). */
struct nat_model {
	struct nat_dyn *dyn;
	size_t ndyn, capdyn;
	struct nat_static *st;
	size_t nst, capst;
	struct sip_port *sip;
	size_t nsip, capsip;
};

static struct {
	unsigned next_map_id;
	/* run time */
	struct config *cfg;
	struct nft_ctx *nft;
	struct ev_timer *pending;
	bool table_present;
} N;

static void nat_model_free(void *ext)
{
	struct nat_model *m = ext;

	for (size_t i = 0; i < m->ndyn; i++) {
		free(m->dyn[i].acl);
		free(m->dyn[i].ifname);
	}
	for (size_t i = 0; i < m->nst; i++)
		free(m->st[i].gif);
	free(m->dyn);
	free(m->st);
	free(m->sip);
	free(m);
}

/* IOS: NAT's SIP support is on for port 5060 by default. */
static void nat_model_init(void *ext)
{
	struct nat_model *m = ext;

	xgrow(&m->sip, &m->capsip, 2, sizeof(*m->sip));
	m->sip[0] = (struct sip_port){ IPPROTO_UDP, 5060, true };
	m->sip[1] = (struct sip_port){ IPPROTO_TCP, 5060, true };
	m->nsip = 2;
}

const struct config_ext_type nat_model_ext = { "ip nat", nat_model_free, nat_model_init };

/* The configuration's NAT lines, created with the defaults on first use. */
static struct nat_model *model_rw(struct config *cfg)
{
	return config_ext_get_or_create(cfg, &nat_model_ext, sizeof(struct nat_model));
}

/* ---- the ruleset ------------------------------------------------------------- */

static const char *dev_of(const char *ifname)
{
	const struct iface_cfg *ifc = N.cfg ? iface_find(&N.cfg->ifaces, ifname) : NULL;

	if (ifc)
		return iface_device(ifc);
	return cli_ifname_is_ios(ifname) ? NULL : ifname;
}

/* { "lan0", "wan0" } of the inside or outside interfaces; false if none. */
static bool if_set(bool inside, struct strbuf *out)
{
	size_t n, k = 0;
	struct iface_cfg **v;

	if (!N.cfg)
		return false;
	v = iface_sorted(&N.cfg->ifaces, &n);
	for (size_t i = 0; i < n; i++) {
		const struct nat_if *ni = iface_ext_get(v[i], &nat_ext);
		const char *dev = iface_device(v[i]);
		if (!ni || !dev || !(inside ? ni->inside : ni->outside))
			continue;
		sb_printf(out, "%s\"%s\"", k++ ? ", " : "{ ", dev);
	}
	free(v);
	if (k)
		sb_puts(out, " }");
	return k > 0;
}

/* Addresses of inside loopbacks: the router's own traffic from them (a
 * VPN-SIP tunnel source) is translated like forwarded traffic. */
static bool inside_local_addrs(struct strbuf *out)
{
	size_t n, k = 0;
	struct iface_cfg **v;
	char a[INET_ADDRSTRLEN];

	if (!N.cfg)
		return false;
	v = iface_sorted(&N.cfg->ifaces, &n);
	for (size_t i = 0; i < n; i++) {
		const struct nat_if *ni = iface_ext_get(v[i], &nat_ext);
		const struct ifstate *st = ifstate_get(v[i]->name);
		if (!ni || !ni->inside || v[i]->kind != IFACE_LOOPBACK || !st || !st->has_addr)
			continue;
		sb_printf(out, "%s%s", k++ ? ", " : "{ ", inet_ntop(AF_INET, &st->addr.addr, a, sizeof(a)));
	}
	free(v);
	if (k)
		sb_puts(out, " }");
	return k > 0;
}

static const char *l4name(uint8_t p)
{
	return p == IPPROTO_TCP ? "tcp" : "udp";
}

static void build(struct nat_model *m, struct strbuf *t)
{
	struct strbuf in = STRBUF_INIT, outs = STRBUF_INIT, lo = STRBUF_INIT;
	char l[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN];
	bool have_in = if_set(true, &in), have_out = if_set(false, &outs);
	bool have_lo = inside_local_addrs(&lo);
	bool any_nat = m->ndyn || m->nst;

	sb_printf(t, "table ip %s {}\ndelete table ip %s\n", NAT_TABLE, NAT_TABLE);
	if (!any_nat)
		goto out;
	sb_printf(t, "table ip %s {\n", NAT_TABLE);
	/* SIP ALG: forwarded traffic only ("fib daddr type != local"): the
	 * router's own SIP signalling never gets the helper. */
	bool helpers = false;
	for (size_t i = 0; i < m->nsip; i++) {
		if (!m->sip[i].on)
			continue;
		helpers = true;
		sb_printf(t, "  ct helper sip_%s_%u { type \"sip\" protocol %s; l3proto ip; }\n",
			  l4name(m->sip[i].proto), m->sip[i].port, l4name(m->sip[i].proto));
	}
	if (helpers) {
		sb_puts(t, "  chain sip_alg {\n    type filter hook prerouting priority filter; policy accept;\n");
		for (size_t i = 0; i < m->nsip; i++)
			if (m->sip[i].on)
				sb_printf(t, "    fib daddr type != local %s dport %u ct helper set \"sip_%s_%u\"\n",
					  l4name(m->sip[i].proto), m->sip[i].port, l4name(m->sip[i].proto),
					  m->sip[i].port);
		sb_puts(t, "  }\n");
	}
	/* inbound: static translations */
	sb_puts(t, "  chain dstnat {\n    type nat hook prerouting priority dstnat; policy accept;\n");
	for (size_t i = 0; i < m->nst; i++) {
		const struct nat_static *s = &m->st[i];
		inet_ntop(AF_INET, &s->local, l, sizeof(l));
		if (s->gif) {
			const char *dev = dev_of(s->gif);
			if (dev)
				sb_printf(t, "    iifname \"%s\" %s dport %u dnat to %s:%u\n", dev, l4name(s->proto),
					  s->gport, l, s->lport);
			continue;
		}
		if (!have_out)
			continue;
		inet_ntop(AF_INET, &s->global, g, sizeof(g));
		if (s->proto)
			sb_printf(t, "    iifname %s ip daddr %s %s dport %u dnat to %s:%u\n", sb_str(&outs), g,
				  l4name(s->proto), s->gport, l, s->lport);
		else
			sb_printf(t, "    iifname %s ip daddr %s dnat to %s\n", sb_str(&outs), g, l);
	}
	sb_puts(t, "  }\n");
	/* outbound: statics first, then the access-list rules */
	sb_puts(t, "  chain srcnat {\n    type nat hook postrouting priority srcnat; policy accept;\n");
	for (size_t i = 0; i < m->nst; i++) {
		const struct nat_static *s = &m->st[i];
		inet_ntop(AF_INET, &s->local, l, sizeof(l));
		if (s->gif) {
			const char *dev = dev_of(s->gif);
			if (dev)
				sb_printf(t, "    oifname \"%s\" ip saddr %s %s sport %u masquerade to :%u\n", dev, l,
					  l4name(s->proto), s->lport, s->gport);
			continue;
		}
		if (!have_out)
			continue;
		inet_ntop(AF_INET, &s->global, g, sizeof(g));
		if (s->proto)
			sb_printf(t, "    oifname %s ip saddr %s %s sport %u snat to %s:%u\n", sb_str(&outs), l,
				  l4name(s->proto), s->lport, g, s->gport);
		else
			sb_printf(t, "    oifname %s ip saddr %s snat to %s\n", sb_str(&outs), l, g);
	}
	for (size_t i = 0; i < m->ndyn; i++) {
		const char *dev = dev_of(m->dyn[i].ifname);
		if (!dev || !acl_find(N.cfg, m->dyn[i].acl))
			continue;
		if (have_in)
			sb_printf(t, "    iifname %s oifname \"%s\" jump list_%zu\n", sb_str(&in), dev, i);
		if (have_lo)
			sb_printf(t, "    fib saddr type local ip saddr %s oifname \"%s\" jump list_%zu\n",
				  sb_str(&lo), dev, i);
	}
	sb_puts(t, "  }\n");
	for (size_t i = 0; i < m->ndyn; i++) {
		const struct acl *a = acl_find(N.cfg, m->dyn[i].acl);
		if (!a || !dev_of(m->dyn[i].ifname))
			continue;
		sb_printf(t, "  chain list_%zu {\n", i);
		for (size_t j = 0; j < a->n; j++) {
			if (a->v[j].remark)
				continue;
			sb_puts(t, "   ");
			acl_entry_nft(&a->v[j], t);
			sb_puts(t, a->v[j].permit ? " masquerade\n" : " return\n");
		}
		sb_puts(t, "  }\n");
	}
	sb_puts(t, "}\n");
out:
	sb_free(&in);
	sb_free(&outs);
	sb_free(&lo);
}

static void apply_now(void)
{
	struct strbuf t = STRBUF_INIT;

	struct nat_model *m;

	if (!N.nft)
		return;
	m = model_rw(N.cfg);
	build(m, &t);
	dbg(&debug_nat, "NAT: applying table %s:\n%s", NAT_TABLE, sb_str(&t));
	int rc = nft_run_cmd_from_buffer(N.nft, sb_str(&t));
	const char *err = nft_ctx_get_error_buffer(N.nft);
	if (rc != 0)
		log_msg("NAT", SEV_ERR, "APPLY", "nftables refused the NAT rules: %s", err ? err : "?");
	else
		N.table_present = m->ndyn || m->nst;
	nft_ctx_get_output_buffer(N.nft); /* drain */
	sb_free(&t);
}

static void apply_timer(struct ev_timer *t, void *arg)
{
	N.pending = NULL;
	apply_now();
}

/* Coalesce the changes of one round (a whole configuration file) into
 * one transaction. */
static void schedule_apply(void)
{
	if (!N.nft || N.pending)
		return;
	N.pending = ev_timer_add(runtime_loop(), 0, apply_timer, NULL);
}

/* ---- commands --------------------------------------------------------------------- */

static int cmd_if_nat(struct cli_exec *x)
{
	struct iface_cfg *ifc = iface_current(x);
	bool inside = strcmp(cli_arg(x, "side"), "inside") == 0;

	if (!ifc)
		return CLI_ERR_FAILED;
	struct nat_if *ni = iface_ext_get_or_create(ifc, &nat_ext, sizeof(*ni));
	if (inside)
		ni->inside = !x->is_no;
	else
		ni->outside = !x->is_no;
	if (!x->is_no) {
		if (inside)
			ni->outside = false;
		else
			ni->inside = false;
	}
	if (!ni->inside && !ni->outside)
		iface_ext_drop(ifc, &nat_ext);
	iface_changed(cfg_of(x), ifc);
	schedule_apply();
	return CLI_OK;
}

static int cmd_nat_list(struct cli_exec *x)
{
	const char *acl = cli_arg(x, "acl");
	struct nat_model *m = model_rw(cfg_of(x));
	size_t i;

	for (i = 0; i < m->ndyn; i++)
		if (strcmp(m->dyn[i].acl, acl) == 0)
			break;
	if (x->is_no) {
		if (i == m->ndyn)
			return cli_error(x, "Dynamic mapping not found");
		free(m->dyn[i].acl);
		free(m->dyn[i].ifname);
		memmove(&m->dyn[i], &m->dyn[i + 1], (m->ndyn - i - 1) * sizeof(*m->dyn));
		m->ndyn--;
		schedule_apply();
		return CLI_OK;
	}
	if (i < m->ndyn) {
		free(m->dyn[i].ifname);
	} else {
		xgrow(&m->dyn, &m->capdyn, m->ndyn + 1, sizeof(*m->dyn));
		m->dyn[m->ndyn++].acl = xstrdup(acl);
	}
	m->dyn[i].ifname = xstrdup(cli_arg(x, "if"));
	if (!acl_find(cfg_of(x), acl))
		cli_out(x, "%% Access list %s is not defined yet: nothing is translated until it is\n", acl);
	schedule_apply();
	return CLI_OK;
}

static bool same_static(const struct nat_static *a, const struct nat_static *b)
{
	return a->proto == b->proto && a->local.s_addr == b->local.s_addr && a->lport == b->lport &&
	       !a->map_id && !b->map_id;
}

static int cmd_nat_static(struct cli_exec *x)
{
	struct nat_static s = { 0 };
	/* One handler for the address, port and interface forms. */
	const char *proto = cli_opt(x, "proto");
	struct nat_model *m = model_rw(cfg_of(x));

	s.proto = !proto ? 0 : strcmp(proto, "tcp") == 0 ? IPPROTO_TCP : IPPROTO_UDP;
	inet_pton(AF_INET, cli_arg(x, "local"), &s.local);
	if (cli_opt(x, "global"))
		inet_pton(AF_INET, cli_arg(x, "global"), &s.global);
	s.lport = (uint16_t)cli_arg_long(x, "lport", 0);
	s.gport = (uint16_t)cli_arg_long(x, "gport", 0);
	s.extendable = cli_has(x, "extendable");
	size_t i;
	for (i = 0; i < m->nst; i++)
		if (same_static(&m->st[i], &s))
			break;
	if (x->is_no) {
		if (i == m->nst)
			return cli_error(x, "Translation not found");
		free(m->st[i].gif);
		memmove(&m->st[i], &m->st[i + 1], (m->nst - i - 1) * sizeof(*m->st));
		m->nst--;
		schedule_apply();
		return CLI_OK;
	}
	for (size_t j = 0; j < m->nst; j++)
		if (j != i && !m->st[j].gif && !cli_opt(x, "gif") && m->st[j].proto == s.proto &&
		    m->st[j].global.s_addr == s.global.s_addr && m->st[j].gport == s.gport && !s.extendable)
			return cli_error(x, "%s already mapped (%s -> %s)", cli_arg(x, "global"),
					 cli_arg(x, "global"), inet_ntoa(m->st[j].local));
	s.gif = cli_opt(x, "gif") ? xstrdup(cli_arg(x, "gif")) : NULL;
	if (i < m->nst) {
		free(m->st[i].gif);
		m->st[i] = s;
	} else {
		xgrow(&m->st, &m->capst, m->nst + 1, sizeof(*m->st));
		m->st[m->nst++] = s;
	}
	schedule_apply();
	return CLI_OK;
}

static int cmd_nat_sip(struct cli_exec *x)
{
	uint8_t proto = strcmp(cli_arg(x, "proto"), "tcp") == 0 ? IPPROTO_TCP : IPPROTO_UDP;
	uint16_t port = (uint16_t)cli_arg_long(x, "portnum", 5060);
	struct nat_model *m = model_rw(cfg_of(x));
	size_t i;

	for (i = 0; i < m->nsip; i++)
		if (m->sip[i].proto == proto && m->sip[i].port == port)
			break;
	if (i == m->nsip) {
		xgrow(&m->sip, &m->capsip, m->nsip + 1, sizeof(*m->sip));
		m->sip[m->nsip++] = (struct sip_port){ proto, port, false };
	}
	bool on = !x->is_no;
	if (x->is_default)
		on = port == 5060;
	if (on && !m->sip[i].on && port == 5060) {
		cli_out(x, "%% Warning: the SIP ALG on %s port 5060 rewrites forwarded SIP only; "
			   "VPN-SIP needs it off on its path, and vpnsipd's own SIP signalling is never "
			   "given the helper\n", l4name(proto));
		log_msg("NAT", SEV_WARNING, "SIP_ALG", "SIP ALG enabled on %s port %u (forwarded traffic only; "
			"never applied to VPN-SIP signalling)", l4name(proto), port);
	}
	m->sip[i].on = on;
	schedule_apply();
	return CLI_OK;
}

/* ---- port maps for other components ------------------------------------------------- */

unsigned nat_port_map_add(const struct nat_port_map *pm)
{
	struct nat_static s = { 0 };
	struct nat_model *m;

	if (!N.cfg || !pm->outside_if || (pm->proto != IPPROTO_UDP && pm->proto != IPPROTO_TCP))
		return 0;
	m = model_rw(N.cfg);
	s.proto = pm->proto;
	s.local = pm->local;
	s.lport = pm->local_port;
	s.gport = pm->global_port;
	s.gif = xstrdup(pm->outside_if);
	s.map_id = ++N.next_map_id;
	xgrow(&m->st, &m->capst, m->nst + 1, sizeof(*m->st));
	m->st[m->nst++] = s;
	schedule_apply();
	return s.map_id;
}

void nat_port_map_del(unsigned id)
{
	struct nat_model *m = N.cfg ? model_rw(N.cfg) : NULL;

	for (size_t i = 0; m && i < m->nst; i++) {
		if (m->st[i].map_id == id) {
			free(m->st[i].gif);
			memmove(&m->st[i], &m->st[i + 1], (m->nst - i - 1) * sizeof(*m->st));
			m->nst--;
			schedule_apply();
			return;
		}
	}
}

/* ---- running-config ---------------------------------------------------------------- */

static void write_if(const struct config *cfg, const struct iface_cfg *ifc, struct strbuf *out)
{
	const struct nat_if *ni = iface_ext_get(ifc, &nat_ext);

	if (ni && ni->inside)
		sb_puts(out, " ip nat inside\n");
	if (ni && ni->outside)
		sb_puts(out, " ip nat outside\n");
}

static void write_nat(const struct config *cfg, struct strbuf *out)
{
	const struct nat_model *m = config_ext_get(cfg, &nat_model_ext);
	char l[INET_ADDRSTRLEN], g[INET_ADDRSTRLEN];

	if (!m)
		return; /* the defaults */
	for (size_t i = 0; i < m->nsip; i++) {
		bool dflt = m->sip[i].port == 5060;
		if (m->sip[i].on != dflt)
			sb_printf(out, "%sip nat service sip %s port %u\n", m->sip[i].on ? "" : "no ",
				  l4name(m->sip[i].proto), m->sip[i].port);
	}
	for (size_t i = 0; i < m->ndyn; i++)
		sb_printf(out, "ip nat inside source list %s interface %s overload\n", m->dyn[i].acl,
			  m->dyn[i].ifname);
	for (size_t i = 0; i < m->nst; i++) {
		const struct nat_static *s = &m->st[i];
		if (s->map_id)
			continue;
		inet_ntop(AF_INET, &s->local, l, sizeof(l));
		inet_ntop(AF_INET, &s->global, g, sizeof(g));
		if (s->gif)
			sb_printf(out, "ip nat inside source static %s %s %u interface %s %u\n", l4name(s->proto),
				  l, s->lport, s->gif, s->gport);
		else if (s->proto)
			sb_printf(out, "ip nat inside source static %s %s %u %s %u%s\n", l4name(s->proto), l,
				  s->lport, g, s->gport, s->extendable ? " extendable" : "");
		else
			sb_printf(out, "ip nat inside source static %s %s%s\n", l, g,
				  s->extendable ? " extendable" : "");
	}
}

/* ---- runtime ------------------------------------------------------------------------- */

static void on_acl(const char *name, void *arg)
{
	schedule_apply();
}

static void on_iface(struct config *cfg, struct iface_cfg *ifc, void *arg)
{
	const struct nat_model *m = config_ext_get(cfg, &nat_model_ext);

	if (iface_ext_get(ifc, &nat_ext))
		schedule_apply();
	else
		for (size_t i = 0; m && (i < m->nst || i < m->ndyn); i++)
			if ((i < m->nst && m->st[i].gif && !strcasecmp(m->st[i].gif, ifc->name)) ||
			    (i < m->ndyn && !strcasecmp(m->dyn[i].ifname, ifc->name))) {
				schedule_apply();
				break;
			}
}

static void on_ifstate(const struct ifstate *st, unsigned what, void *arg)
{
	const struct iface_cfg *ifc = N.cfg ? iface_find(&N.cfg->ifaces, st->name) : NULL;
	const struct nat_if *ni = ifc ? iface_ext_get(ifc, &nat_ext) : NULL;

	/* inside loopback addresses appear in the rules */
	if ((what & IFSTATE_ADDR) && ni && ni->inside && ifc->kind == IFACE_LOOPBACK)
		schedule_apply();
}

int nat_start(struct evloop *loop, struct config_env *env)
{
	struct config *cfg = env->cfg;

	N.cfg = cfg;
	N.nft = nft_ctx_new(NFT_CTX_DEFAULT);
	if (!N.nft) {
		log_msg("NAT", SEV_ERR, "NFT", "Could not open nftables: NAT is not applied");
		return -1;
	}
	nft_ctx_buffer_output(N.nft);
	nft_ctx_buffer_error(N.nft);
	hook_register(ifstate_changed, on_ifstate, NULL, HOOK_PRIO_DEFAULT);
	/* A table left by a daemon that was killed goes now. */
	apply_now();
	return 0;
}

void nat_stop(void)
{
	if (N.pending)
		ev_timer_del(N.pending);
	N.pending = NULL;
	if (N.nft) {
		char cmd[64];
		snprintf(cmd, sizeof(cmd), "table ip %s {}\ndelete table ip %s\n", NAT_TABLE, NAT_TABLE);
		nft_run_cmd_from_buffer(N.nft, cmd);
		nft_ctx_free(N.nft);
		N.nft = NULL;
	}
	hook_unregister(ifstate_changed, on_ifstate, NULL);
	N.cfg = NULL;
}



/* ---- show / clear ip nat translations ---------------------------------------------- */

static void ep(struct strbuf *o, const struct nl_addr *a, int port)
{
	char buf[INET_ADDRSTRLEN + 8] = "---";

	if (a && nl_addr_get_len(a) == 4)
		inet_ntop(AF_INET, nl_addr_get_binary_addr(a), buf, sizeof(buf));
	if (port >= 0)
		sb_printf(o, "%s:%d", buf, port);
	else
		sb_puts(o, buf);
}

static const char *proto_name(uint8_t p, char *buf, size_t n)
{
	if (p == IPPROTO_TCP)
		return "tcp";
	if (p == IPPROTO_UDP)
		return "udp";
	if (p == IPPROTO_ICMP)
		return "icmp";
	snprintf(buf, n, "%u", p);
	return buf;
}

struct ct_walk {
	struct cli_exec *x;
	bool verbose;
	struct nl_sock *sk;
	unsigned long n, deleted;
	bool clear;
	/* show ip nat statistics: count only */
	bool stats;
	unsigned long extended;
	const struct nat_model *m;
	unsigned long *refcount;      /* per dynamic mapping (m->dyn) */
	const struct in_addr *dyn_addr; /* the mapping's interface address, 0: none */
};

static int port_of(struct nfnl_ct *ct, int repl, bool src)
{
	uint8_t p = nfnl_ct_get_proto(ct);

	if (p == IPPROTO_ICMP)
		return nfnl_ct_test_icmp_id(ct, repl) ? nfnl_ct_get_icmp_id(ct, repl) : -1;
	if (p != IPPROTO_TCP && p != IPPROTO_UDP)
		return -1;
	return src ? nfnl_ct_get_src_port(ct, repl) : nfnl_ct_get_dst_port(ct, repl);
}

static void ct_one(struct nl_object *obj, void *arg)
{
	struct ct_walk *w = arg;
	struct nfnl_ct *ct = (struct nfnl_ct *)obj;
	uint32_t status = nfnl_ct_get_status(ct);
	char pb[8];

	if (nfnl_ct_get_family(ct) != AF_INET || !(status & (IPS_SRC_NAT | IPS_DST_NAT)))
		return;
	if (w->clear) {
		if (nfnl_ct_del(w->sk, ct, 0) == 0)
			w->deleted++;
		return;
	}
	if (w->stats) {
		w->n++;
		if (port_of(ct, 0, true) >= 0)
			w->extended++;
		/* a masquerade of mapping i answers to its interface's address */
		const struct nl_addr *g = (status & IPS_SRC_NAT) ? nfnl_ct_get_dst(ct, 1) : NULL;
		for (size_t i = 0; g && nl_addr_get_len(g) == 4 && i < w->m->ndyn; i++)
			if (w->dyn_addr[i].s_addr &&
			    !memcmp(nl_addr_get_binary_addr(g), &w->dyn_addr[i], 4)) {
				w->refcount[i]++;
				break;
			}
		return;
	}
	struct strbuf ig = STRBUF_INIT, il = STRBUF_INIT, ol = STRBUF_INIT, og = STRBUF_INIT;
	if (status & IPS_SRC_NAT) {
		/* started inside: original = inside local -> outside; the reply
		 * comes back to the inside global */
		ep(&il, nfnl_ct_get_src(ct, 0), port_of(ct, 0, true));
		ep(&ig, nfnl_ct_get_dst(ct, 1), port_of(ct, 1, false));
		ep(&ol, nfnl_ct_get_dst(ct, 0), port_of(ct, 0, false));
		ep(&og, nfnl_ct_get_src(ct, 1), port_of(ct, 1, true));
	} else {
		/* started outside towards an inside global (static) */
		ep(&ig, nfnl_ct_get_dst(ct, 0), port_of(ct, 0, false));
		ep(&il, nfnl_ct_get_src(ct, 1), port_of(ct, 1, true));
		ep(&ol, nfnl_ct_get_src(ct, 0), port_of(ct, 0, true));
		ep(&og, nfnl_ct_get_src(ct, 0), port_of(ct, 0, true));
	}
	cli_out(w->x, "%-4s %-21s %-21s %-21s %s\n", proto_name(nfnl_ct_get_proto(ct), pb, sizeof(pb)),
		sb_str(&ig), sb_str(&il), sb_str(&ol), sb_str(&og));
	if (w->verbose) {
		char flags[128] = "";
		nfnl_ct_status2str((int)status, flags, sizeof(flags));
		cli_out(w->x, "    timeout %u s, use_count %u, packets %llu/%llu, flags: %s\n",
			nfnl_ct_get_timeout(ct), nfnl_ct_get_use(ct),
			(unsigned long long)nfnl_ct_get_packets(ct, 0),
			(unsigned long long)nfnl_ct_get_packets(ct, 1), flags);
	}
	w->n++;
	sb_free(&ig);
	sb_free(&il);
	sb_free(&ol);
	sb_free(&og);
}

static int ct_walk(struct ct_walk *w)
{
	struct nl_cache *c = NULL;
	int rc;

	w->sk = nl_socket_alloc();
	if (!w->sk)
		return -1;
	rc = nl_connect(w->sk, NETLINK_NETFILTER);
	if (rc == 0)
		rc = nfnl_ct_alloc_cache(w->sk, &c);
	if (rc == 0) {
		nl_cache_foreach(c, ct_one, w);
		nl_cache_free(c);
	}
	nl_socket_free(w->sk);
	return rc;
}

HOOK_DEFINE(nat_xlate_rows);

struct xlate_show {
	struct cli_exec *x; /* NULL: count only */
	bool verbose;
	unsigned long n;
};

static void xlate_ep(char *buf, size_t n, struct in_addr a, uint16_t port)
{
	char ab[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a, ab, sizeof(ab));
	snprintf(buf, n, "%s:%u", ab, port);
}

static void xlate_row(const struct nat_xlate_row *r, void *ctx)
{
	struct xlate_show *xs = ctx;
	char ig[32], il[32], ol[32], og[32], pb[8];

	xs->n++;
	if (!xs->x)
		return;
	xlate_ep(ig, sizeof(ig), r->inside_global, r->inside_global_port);
	xlate_ep(il, sizeof(il), r->inside_local, r->inside_local_port);
	xlate_ep(ol, sizeof(ol), r->outside_local, r->outside_local_port);
	xlate_ep(og, sizeof(og), r->outside_global, r->outside_global_port);
	cli_out(xs->x, "%-4s %-21s %-21s %-21s %s\n", proto_name(r->proto, pb, sizeof(pb)), ig, il, ol, og);
	if (xs->verbose && r->owner)
		cli_out(xs->x, "    %s, own socket (no NAT rule)\n", r->owner);
}

static unsigned long xlate_list(struct cli_exec *x, bool verbose)
{
	struct xlate_show xs = { .x = x, .verbose = verbose };

	hook_call(nat_xlate_rows, xlate_row, &xs);
	return xs.n;
}

static int cmd_show_nat(struct cli_exec *x)
{
	struct ct_walk w = { .x = x, .verbose = cli_has(x, "verbose") };
	const struct nat_model *m = model_rw(cfg_of(x));
	char pb[8];

	cli_out(x, "%-4s %-21s %-21s %-21s %s\n", "Pro", "Inside global", "Inside local", "Outside local",
		"Outside global");
	/* static entries are listed whether used or not, as IOS does */
	for (size_t i = 0; i < m->nst; i++) {
		const struct nat_static *s = &m->st[i];
		char gl[64], lo[64];
		const struct ifstate *st = s->gif ? ifstate_get(s->gif) : NULL;
		struct in_addr ga = s->gif ? (st && st->has_addr ? st->addr.addr : (struct in_addr){ 0 }) : s->global;
		if (s->proto) {
			xlate_ep(gl, sizeof(gl), ga, s->gport);
			xlate_ep(lo, sizeof(lo), s->local, s->lport);
		} else {
			inet_ntop(AF_INET, &ga, gl, sizeof(gl));
			inet_ntop(AF_INET, &s->local, lo, sizeof(lo));
		}
		cli_out(x, "%-4s %-21s %-21s %-21s %s\n", s->proto ? proto_name(s->proto, pb, sizeof(pb)) : "---",
			gl, lo, "---", "---");
	}
	unsigned long nx = xlate_list(x, w.verbose);
	if (ct_walk(&w) < 0)
		return cli_error(x, "Could not read the connection tracking table");
	if (w.verbose)
		cli_out(x, "Total number of translations: %lu\n", w.n + m->nst + nx);
	return CLI_OK;
}

static void show_ifs(struct cli_exec *x, bool inside)
{
	size_t n;
	struct iface_cfg **v = N.cfg ? iface_sorted(&N.cfg->ifaces, &n) : NULL;

	cli_out(x, "%s interfaces:\n", inside ? "Inside" : "Outside");
	for (size_t i = 0; v && i < n; i++) {
		const struct nat_if *ni = iface_ext_get(v[i], &nat_ext);
		if (ni && (inside ? ni->inside : ni->outside))
			cli_out(x, "  %s\n", v[i]->name);
	}
	free(v);
}

/* IOS's layout; no Hits/Misses (the kernel counts no translation lookups)
 * and no peak (nothing samples the table). */
static int cmd_show_nat_stats(struct cli_exec *x)
{
	const struct nat_model *m = model_rw(cfg_of(x));
	struct ct_walk w = { .x = x, .stats = true, .m = m };
	unsigned long st_ext = 0;
	int rc = 0;

	w.refcount = xcalloc(m->ndyn + 1, sizeof(*w.refcount));
	struct in_addr *addrs = xcalloc(m->ndyn + 1, sizeof(*addrs));
	w.dyn_addr = addrs;
	for (size_t i = 0; i < m->ndyn; i++) {
		const char *dev = dev_of(m->dyn[i].ifname);
		const struct netmon_dev *d = dev ? netmon_dev_by_name(dev) : NULL;
		const struct ifstate *ist = ifstate_get(m->dyn[i].ifname);
		if (ist && ist->has_addr)
			addrs[i] = ist->addr.addr;
		else if (d && d->naddrs)
			addrs[i] = d->addrs[0].addr;
	}
	for (size_t i = 0; i < m->nst; i++)
		st_ext += m->st[i].proto != 0;
	rc = ct_walk(&w);
	/* the other components' port translations are dynamic and extended, as
	 * IOS counts its VPN-SIP PAT entries */
	unsigned long nx = xlate_list(NULL, false);
	cli_out(x, "Total active translations: %lu (%zu static, %lu dynamic; %lu extended)\n",
		m->nst + w.n + nx, m->nst, w.n + nx, st_ext + w.extended + nx);
	show_ifs(x, false);
	show_ifs(x, true);
	cli_out(x, "Dynamic mappings:\n");
	if (m->ndyn)
		cli_out(x, "-- Inside Source\n");
	for (size_t i = 0; i < m->ndyn; i++)
		cli_out(x, "[Id: %zu] access-list %s interface %s refcount %lu\n", i + 1, m->dyn[i].acl,
			m->dyn[i].ifname, w.refcount[i]);
	free(w.refcount);
	free(addrs);
	if (rc < 0)
		return cli_error(x, "Could not read the connection tracking table");
	return CLI_OK;
}

static int cmd_clear_nat(struct cli_exec *x)
{
	struct ct_walk w = { .x = x, .clear = true };

	if (ct_walk(&w) < 0)
		return cli_error(x, "Could not read the connection tracking table");
	dbg(&debug_nat, "NAT: cleared %lu translations", w.deleted);
	return CLI_OK;
}

static const struct cli_cmd nat_show_cmds[] = {
	{ "exec", "show ip nat translations [verbose]",
	  "Show running system information\nIP information\nIP NAT information\nTranslation entries\n"
	  "Show extra information", cmd_show_nat, 0 },
	{ "exec", "show ip nat statistics",
	  "Show running system information\nIP information\nIP NAT information\nTranslation statistics",
	  cmd_show_nat_stats, 0 },
	{ "exec", "clear ip nat translation *",
	  "Reset functions\nIP\nClear NAT\nClear dynamic translation\nDelete all dynamic translations",
	  cmd_clear_nat, CLI_PRIV },
};

#define NO "Negate a command or set its defaults"
#define NAT_HELP "Global IP configuration subcommands\nNAT configuration commands\n"
#define SRC_HELP "Inside address translation\nSource address translation\n"

static const struct cli_cmd nat_cmds[] = {
	{ "config-if", "ip nat <inside|outside>$side",
	  "Interface Internet Protocol config commands\nNAT interface commands\nInside interface for address translation\n"
	  "Outside interface for address translation", cmd_if_nat, 0 },
	{ "config-if", "no ip nat <inside|outside>$side", NO, cmd_if_nat, 0 },
	{ "config", "ip nat inside source list WORD$acl interface IFNAME$if [overload]",
	  NAT_HELP SRC_HELP "Specify access list describing local addresses\nAccess list number or name\n"
	  "Specify interface for global address\nInterface name\nOverload an address translation",
	  cmd_nat_list, 0 },
	{ "config", "no ip nat inside source list WORD$acl [LINE]", NO "\n\n\n\n\n\n\nIgnored", cmd_nat_list, 0 },
	{ "config", "ip nat inside source static A.B.C.D$local A.B.C.D$global [extendable]",
	  NAT_HELP SRC_HELP "Specify static local->global mapping\nInside local IP address\n"
	  "Inside global IP address\nExtend this translation when used", cmd_nat_static, 0 },
	{ "config", "ip nat inside source static <tcp|udp>$proto A.B.C.D$local (1-65535)$lport "
		    "A.B.C.D$global (1-65535)$gport [extendable]",
	  NAT_HELP SRC_HELP "\nTransmission Control Protocol\nUser Datagram Protocol\nInside local IP address\n"
	  "Local UDP/TCP port\nInside global IP address\nGlobal UDP/TCP port\nExtend this translation when used",
	  cmd_nat_static, 0 },
	{ "config", "ip nat inside source static <tcp|udp>$proto A.B.C.D$local (1-65535)$lport "
		    "interface IFNAME$gif (1-65535)$gport",
	  NAT_HELP SRC_HELP "\n\n\n\n\nSpecify interface for global address\nInterface name\nGlobal UDP/TCP port",
	  cmd_nat_static, 0 },
	{ "config", "no ip nat inside source static A.B.C.D$local A.B.C.D$global [extendable]", NO,
	  cmd_nat_static, 0 },
	{ "config", "no ip nat inside source static <tcp|udp>$proto A.B.C.D$local (1-65535)$lport "
		    "A.B.C.D$global (1-65535)$gport [extendable]", NO, cmd_nat_static, 0 },
	{ "config", "no ip nat inside source static <tcp|udp>$proto A.B.C.D$local (1-65535)$lport "
		    "interface IFNAME$gif (1-65535)$gport", NO, cmd_nat_static, 0 },
	{ "config", "ip nat service sip <tcp|udp>$proto port (1-65535)$portnum",
	  NAT_HELP "Special translation for application using non-standard port\nSIP protocol\n"
	  "TCP protocol\nUDP protocol\nPort number\nPort number", cmd_nat_sip, 0 },
	{ "config", "no ip nat service sip <tcp|udp>$proto port (1-65535)$portnum", NO, cmd_nat_sip, 0 },
};

void nat_cli_init(void)
{
	debug_register(&debug_nat);
	CLI_INSTALL(nat_cmds);
	iface_writer_register(40, write_if);
	config_section_register(600, "ip nat", write_nat);
	hook_register(acl_changed, on_acl, NULL, HOOK_PRIO_DEFAULT);
	hook_register(iface_changed, on_iface, NULL, HOOK_PRIO_DEFAULT);
	hook_register(iface_deleted, on_iface, NULL, HOOK_PRIO_DEFAULT);
	CLI_INSTALL(nat_show_cmds);
}
