/* The kernel side of QoS: each attachment (a static "service-policy
 * output" or the implicit policy of a VPN-SIP session) becomes, on the
 * interface's Linux device,
 *
 *   root HTB 1: (default: the class-default leaf), with a size table when
 *   |            ESP overhead is accounted for (see qos_esp_outer_len)
 *   +-- class 1:1  rate = ceil = the shaped (or link) rate
 *        +-- class 1:10+i per class of the leaf policy, rate = its share,
 *            ceil = 1:1's rate (or its own shape), prio 0 for priority
 *            classes; each with a pfifo of the queue-limit
 *   u32 filters at 1: send packets to the leaves in class order (a policy
 *   with access lists: nftables sets the class instead, see classify.c).
 *
 * This kernel has HTB, TBF, pfifo and u32 only (no fq_codel, prio, sfq,
 * no tc actions): HTB does the scheduling, pfifo the tail drop, and DSCP
 * marking happens at encapsulation (qos_outer_dscp).
 *
 * A new rate is a change of the classes in place (RTM_NEWTCLASS on the
 * existing handles), so a renegotiation drops nothing. */
#include <errno.h>
#include <linux/if_ether.h>
#include <linux/pkt_sched.h>
#include <linux/rtnetlink.h>
#include <net/if.h>
#include <netlink/route/class.h>
#include <netlink/route/classifier.h>
#include <netlink/route/cls/u32.h>
#include <netlink/route/qdisc.h>
#include <netlink/route/qdisc/fifo.h>
#include <netlink/route/qdisc/htb.h>
#include <netlink/route/tc.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "acl/acl.h"
#include "log/debug.h"
#include "log/log.h"
#include "net/kernel_nl.h"
#include "qos/qos_int.h"
#include "util/evloop.h"

struct debug_flag debug_qos = {
	.path = "qos",
	.help = "QoS: policies programmed into the kernel (tc)",
	.title = "QoS",
};

static struct {
	struct evloop *loop;
	struct config *cfg;
	bool kernel;            /* started, and rtnetlink could be opened */
	struct hashmap atts;    /* ifname -> attachment */
	struct hashmap pending; /* ifname -> (void *)1: static policy to re-check */
	bool posted, maps;
	bool classify_posted; /* a rebuild of the nftables classifier is queued */
} Q;

#define ROOT_HANDLE TC_HANDLE(1, 0)
#define ROOT_CLASS TC_HANDLE(1, 1)
/* Under ESP accounting, HTB sits below a TBF that only segments: see
 * gso_splitter(). */
#define SPLIT_HANDLE TC_HANDLE(0x8000u, 0u)
#define SPLIT_CLASS TC_HANDLE(0x8000u, 1u)
#define STAB_SIZE 4096 /* one entry per byte up to 4095-byte inner packets */

uint64_t qos_now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

bool qos_kernel_active(void)
{
	return Q.kernel;
}

static void ensure_map(void)
{
	if (!Q.maps) {
		Q.maps = true;
		hashmap_init(&Q.atts, true);
		hashmap_init(&Q.pending, true);
	}
}

struct qos_attachment *qos_attachment_find(const char *ifname)
{
	return Q.maps && ifname ? hashmap_get(&Q.atts, ifname) : NULL;
}

struct qos_attachment *qos_attachment_new(const char *ifname, bool implicit)
{
	struct qos_attachment *a = xcalloc(1, sizeof(*a));

	ensure_map();
	a->ifname = xstrdup(ifname);
	a->implicit = implicit;
	hashmap_put(&Q.atts, ifname, a);
	if (implicit)
		qos_feedback_add(a);
	return a;
}

/* ---- netlink --------------------------------------------------------------------------- */

static int send_msg(struct nl_msg *msg)
{
	int rc = nl_send_auto(kernel_nl(), msg);

	nlmsg_free(msg);
	if (rc < 0)
		return rc;
	return nl_wait_for_ack(kernel_nl());
}

static void root_delete(int ifindex)
{
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();

	rtnl_tc_set_ifindex(TC_CAST(q), ifindex);
	rtnl_tc_set_parent(TC_CAST(q), TC_H_ROOT);
	rtnl_qdisc_delete(kernel_nl(), q);
	rtnl_qdisc_put(q);
}

/* The constant part of the ESP overhead: HTB charges it per packet
 * (tc_ratespec.overhead), the size table at the root the rest (padding). */
static unsigned esp_constant(const struct qos_esp_overhead *esp)
{
	return esp ? esp->fixed_bytes + esp->iv_len + esp->icv_len + 2 : 0;
}

/* The size table: the outer length of every inner length, less the
 * constant HTB adds per packet (TCA_STAB). */
static int put_stab(struct nl_msg *msg, const struct qos_esp_overhead *esp)
{
	struct tc_sizespec spec = { .cell_log = 0, .size_log = 0, .tsize = STAB_SIZE };
	static uint16_t data[STAB_SIZE];
	struct nlattr *nest = nla_nest_start(msg, TCA_STAB);

	if (!nest)
		return -NLE_NOMEM;
	for (unsigned i = 0; i < STAB_SIZE; i++)
		data[i] = (uint16_t)(qos_esp_outer_len(esp, i) - esp_constant(esp));
	if (nla_put(msg, TCA_STAB_BASE, sizeof(spec), &spec) < 0 ||
	    nla_put(msg, TCA_STAB_DATA, sizeof(data), data) < 0)
		return -NLE_NOMEM;
	nla_nest_end(msg, nest);
	return 0;
}

/* The size table charges each packet its ESP overhead, but it sees one
 * packet where a GSO packet (TSO from a local sender, GRO on the LAN port,
 * a veth) carries many: each segment leaves the tunnel as its own ESP
 * packet, and the overhead of all but one would be missed (measured: +7 %
 * at 1000 kbps with a LAN host's TCP, +40 % with MSS 200).  Segmentation
 * happens only after the qdisc, except in TBF, which splits a GSO packet
 * longer than its burst into segments and enqueues each into its child,
 * where the size table applies per segment.  So the root is a TBF that does
 * not shape (100 Mbit/s) with a burst of the device's MTU + 64: no real
 * packet is dropped, every GSO packet longer than that is split.  GSO
 * packets up to the MTU (several segments of a small MSS) still count as
 * one packet (docs/qos.md). */
#define SPLIT_BPS 100000000ull

static int gso_splitter(int ifindex, const struct qos_esp_overhead *esp)
{
	struct tcmsg tcm = {
		.tcm_family = AF_UNSPEC,
		.tcm_ifindex = ifindex,
		.tcm_handle = SPLIT_HANDLE,
		.tcm_parent = TC_H_ROOT,
	};
	struct tc_tbf_qopt qopt = { .limit = 1000000 };
	char name[IF_NAMESIZE], path[64];
	uint32_t mtu = 1500;
	struct nl_msg *msg;
	struct nlattr *opts;
	FILE *f;

	if (if_indextoname((unsigned)ifindex, name)) {
		snprintf(path, sizeof(path), "/sys/class/net/%s/mtu", name);
		if ((f = fopen(path, "r"))) {
			if (fscanf(f, "%u", &mtu) != 1 || mtu < 576)
				mtu = 1500;
			fclose(f);
		}
	}
	qopt.rate.rate = (uint32_t)(SPLIT_BPS / 8);
	qopt.rate.linklayer = TC_LINKLAYER_ETHERNET;
	msg = nlmsg_alloc_simple(RTM_NEWQDISC, NLM_F_CREATE | NLM_F_EXCL);
	if (!msg)
		return -NLE_NOMEM;
	/* TCA_TBF_BURST: the largest packet that passes whole, in bytes */
	if (nlmsg_append(msg, &tcm, sizeof(tcm), NLMSG_ALIGNTO) < 0 ||
	    nla_put_string(msg, TCA_KIND, "tbf") < 0 || !(opts = nla_nest_start(msg, TCA_OPTIONS)) ||
	    nla_put(msg, TCA_TBF_PARMS, sizeof(qopt), &qopt) < 0 ||
	    nla_put_u32(msg, TCA_TBF_BURST, mtu + 64) < 0) {
		nlmsg_free(msg);
		return -NLE_NOMEM;
	}
	nla_nest_end(msg, opts);
	if (put_stab(msg, esp) < 0) {
		nlmsg_free(msg);
		return -NLE_NOMEM;
	}
	return send_msg(msg);
}

static int root_qdisc(int ifindex, uint32_t defcls, const struct qos_esp_overhead *esp, int flags)
{
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();
	struct nl_msg *msg = NULL;
	int rc;

	rtnl_tc_set_ifindex(TC_CAST(q), ifindex);
	rtnl_tc_set_parent(TC_CAST(q), esp ? SPLIT_CLASS : TC_H_ROOT);
	rtnl_tc_set_handle(TC_CAST(q), ROOT_HANDLE);
	rtnl_tc_set_kind(TC_CAST(q), "htb");
	rtnl_htb_set_defcls(q, defcls);
	rtnl_htb_set_rate2quantum(q, 10);
	rc = rtnl_qdisc_build_add_request(q, NLM_F_CREATE | flags, &msg);
	rtnl_qdisc_put(q);
	if (rc < 0)
		return rc;
	return send_msg(msg);
}

/* Replace the size table of the root HTB in place: a change without
 * TCA_OPTIONS (HTB has no change of its own options; the kernel swaps the
 * table alone), so classes, queues and counters stay. */
static int root_stab_change(int ifindex, const struct qos_esp_overhead *esp)
{
	struct tcmsg tcm = {
		.tcm_family = AF_UNSPEC,
		.tcm_ifindex = ifindex,
		.tcm_handle = SPLIT_HANDLE,
		.tcm_parent = TC_H_ROOT,
	};
	struct nl_msg *msg = nlmsg_alloc_simple(RTM_NEWQDISC, NLM_F_REPLACE);
	int rc;

	if (!msg)
		return -NLE_NOMEM;
	if (nlmsg_append(msg, &tcm, sizeof(tcm), NLMSG_ALIGNTO) < 0 ||
	    nla_put_string(msg, TCA_KIND, "tbf") < 0 || (rc = put_stab(msg, esp)) < 0) {
		nlmsg_free(msg);
		return -NLE_NOMEM;
	}
	return send_msg(msg);
}

static uint32_t quantum_of(uint64_t rate_bps)
{
	uint64_t q = rate_bps / 8 / 10;

	return q < 1600 ? 1600 : q > 200000 ? 200000 : (uint32_t)q;
}

static int htb_class(int ifindex, uint32_t parent, uint32_t classid, uint64_t rate_bps,
		     uint64_t ceil_bps, unsigned prio, unsigned overhead, bool create)
{
	struct rtnl_class *c = rtnl_class_alloc();
	struct nl_msg *msg = NULL;
	int rc;

	rtnl_tc_set_ifindex(TC_CAST(c), ifindex);
	rtnl_tc_set_parent(TC_CAST(c), parent);
	rtnl_tc_set_handle(TC_CAST(c), classid);
	rtnl_tc_set_kind(TC_CAST(c), "htb");
	rtnl_tc_set_mtu(TC_CAST(c), 1600);
	if (overhead)
		rtnl_tc_set_overhead(TC_CAST(c), overhead);
	rtnl_htb_set_rate64(c, rate_bps / 8);
	rtnl_htb_set_ceil64(c, ceil_bps / 8);
	rtnl_htb_set_prio(c, prio);
	rtnl_htb_set_quantum(c, quantum_of(rate_bps));
	rc = rtnl_class_build_add_request(c, NLM_F_CREATE | (create ? NLM_F_EXCL : NLM_F_REPLACE),
					  &msg);
	rtnl_class_put(c);
	if (rc < 0)
		return rc;
	if (create) {
		/* a rate estimator: 4 s samples, time constant ~256 s (IOS's
		 * 5-minute load interval) */
		struct tc_estimator est = { .interval = 2, .ewma_log = 6 };
		nla_put(msg, TCA_RATE, sizeof(est), &est);
	}
	return send_msg(msg);
}

static int leaf_fifo(int ifindex, uint32_t minor, unsigned limit)
{
	struct rtnl_qdisc *q = rtnl_qdisc_alloc();
	int rc;

	rtnl_tc_set_ifindex(TC_CAST(q), ifindex);
	rtnl_tc_set_parent(TC_CAST(q), TC_HANDLE(1, minor));
	rtnl_tc_set_handle(TC_CAST(q), TC_HANDLE(minor, 0));
	rtnl_tc_set_kind(TC_CAST(q), "pfifo");
	rtnl_qdisc_fifo_set_limit(q, (int)limit);
	rc = rtnl_qdisc_add(kernel_nl(), q, NLM_F_CREATE | NLM_F_REPLACE);
	rtnl_qdisc_put(q);
	return rc;
}

/* One u32 filter: optional L4 protocol and DSCP, for one IP version. */
struct u32_rule {
	bool v6;
	int l4;   /* -1: any */
	int dscp; /* -1: any */
};

static int u32_add(int ifindex, uint16_t prio, const struct u32_rule *r, uint32_t minor)
{
	struct rtnl_cls *c = rtnl_cls_alloc();
	int rc, keys = 0;

	rtnl_tc_set_ifindex(TC_CAST(c), ifindex);
	rtnl_tc_set_parent(TC_CAST(c), ROOT_HANDLE);
	rtnl_tc_set_kind(TC_CAST(c), "u32");
	rtnl_cls_set_prio(c, prio);
	rtnl_cls_set_protocol(c, r->v6 ? ETH_P_IPV6 : ETH_P_IP);
	if (r->l4 >= 0) {
		rtnl_u32_add_key_uint8(c, (uint8_t)r->l4, 0xff, r->v6 ? 6 : 9, 0);
		keys++;
	}
	if (r->dscp >= 0) {
		if (r->v6)
			rtnl_u32_add_key_uint16(c, (uint16_t)(r->dscp << 6), 0x0fc0, 0, 0);
		else
			rtnl_u32_add_key_uint8(c, (uint8_t)(r->dscp << 2), 0xfc, 1, 0);
		keys++;
	}
	if (!keys)
		rtnl_u32_add_key_uint32(c, 0, 0, 0, 0);
	rtnl_u32_set_classid(c, TC_HANDLE(1, minor));
	rtnl_u32_set_cls_terminal(c);
	rc = rtnl_cls_add(kernel_nl(), c, NLM_F_CREATE);
	rtnl_cls_put(c);
	return rc;
}

static int set_filters(int ifindex, uint16_t prio, const struct qos_match_set *s, uint32_t minor)
{
	int rc = 0;

	if (s->none)
		return 0;
	for (int v6 = 0; v6 <= 1; v6++) {
		if ((v6 && !s->v6) || (!v6 && !s->v4))
			continue;
		struct u32_rule r = { .v6 = v6, .l4 = s->l4, .dscp = -1 };
		if (r.l4 == 1 && v6)
			r.l4 = 58;
		for (unsigned i = 0; i < (s->ndscp ? s->ndscp : 1) && rc >= 0; i++) {
			r.dscp = s->ndscp ? s->dscp[i] : -1;
			rc = u32_add(ifindex, (uint16_t)(prio + v6), &r, minor);
		}
	}
	return rc;
}

static int class_filters(int ifindex, uint16_t prio, const struct qos_class_map *cm, uint32_t minor)
{
	struct qos_match_set all = QOS_MATCH_SET_ALL;
	int rc = 0;

	if (!cm || !cm->n)
		return 0;
	if (!cm->match_any) {
		for (size_t i = 0; i < cm->n; i++)
			qos_match_set_narrow(&all, &cm->m[i]);
		return set_filters(ifindex, prio, &all, minor);
	}
	for (size_t i = 0; i < cm->n && rc >= 0; i++) {
		struct qos_match_set one = QOS_MATCH_SET_ALL;
		qos_match_set_narrow(&one, &cm->m[i]);
		rc = set_filters(ifindex, prio, &one, minor);
	}
	return rc;
}

/* ---- attachments ----------------------------------------------------------------------- */

static uint64_t link_bps(const char *dev)
{
	char path[128];
	long mbps = -1;
	FILE *f;

	snprintf(path, sizeof(path), "/sys/class/net/%s/speed", dev);
	f = fopen(path, "r");
	if (f) {
		if (fscanf(f, "%ld", &mbps) != 1)
			mbps = -1;
		fclose(f);
	}
	return mbps > 0 ? (uint64_t)mbps * 1000000 : 1000000000ull;
}

/* The policy whose classes become the leaves, and the rate of 1:1. */
static bool plan_for(const struct config *cfg, struct qos_attachment *a, struct qos_plan *plan,
		     char *err, size_t errlen)
{
	const struct qos_policy_map *p = NULL, *leaf;
	uint64_t root;

	if (a->implicit) {
		root = qos_attachment_shaped_bps(a);
		leaf = a->policy ? qos_pmap_find(cfg, a->policy) : NULL;
		if (a->policy && !leaf) {
			snprintf(err, errlen, "policy-map %s not configured", a->policy);
			return false;
		}
	} else {
		p = qos_pmap_find(cfg, a->policy);
		if (!p) {
			snprintf(err, errlen, "policy-map %s not configured", a->policy);
			return false;
		}
		leaf = p;
		root = link_bps(a->dev);
		/* a shaping parent: only class-default, shaped, maybe a child */
		if (p->n == 1 && strcmp(p->c[0]->name, QOS_CLASS_DEFAULT) == 0 &&
		    p->c[0]->shape_bps) {
			root = p->c[0]->shape_bps;
			leaf = p->c[0]->service_policy ? qos_pmap_find(cfg, p->c[0]->service_policy)
						       : NULL;
		}
	}
	return qos_plan_build(cfg, leaf, root, plan, err, errlen);
}

/* ---- access-list classes (classify.c) ------------------------------------------------ */

static void classify_sync(void *arg)
{
	struct qos_classify_dev *d;
	struct strbuf text = STRBUF_INIT;
	size_t n = 0, k = 0;
	char err[256];
	void **v;

	(void)arg;
	Q.classify_posted = false;
	if (!Q.maps || !Q.cfg)
		return;
	v = hashmap_values(&Q.atts, &n);
	d = xcalloc(n ? n : 1, sizeof(*d));
	for (size_t i = 0; i < n; i++) {
		struct qos_attachment *a = v[i];
		if (a->installed && a->nft_classified)
			d[k++] = (struct qos_classify_dev){ a->dev, &a->plan };
	}
	qos_classify_nft_text(Q.cfg, d, k, &text);
	dbg(&debug_qos, "QoS: access-list classifier for %zu interface(s):\n%s", k, sb_str(&text));
	if (qos_classify_apply(sb_str(&text), err, sizeof(err)) < 0)
		log_msg("QOS", SEV_ERR, "CLASSIFY_FAIL",
			"Access-list classes not applied (nftables: %s): their packets go to "
			"class-default", err);
	sb_free(&text);
	free(d);
	free(v);
}

/* Rebuilt once after the commands of this turn of the loop. */
static void classify_changed(void)
{
	if (!Q.loop || Q.classify_posted)
		return;
	Q.classify_posted = true;
	evloop_post(Q.loop, classify_sync, NULL);
}

static bool cmap_uses(const struct qos_class_map *cm, const char *acl)
{
	for (size_t i = 0; cm && i < cm->n; i++)
		if (cm->m[i].kind == QOS_MATCH_ACCESS_GROUP && strcmp(cm->m[i].acl, acl) == 0)
			return true;
	return false;
}

/* An access list changed: the classifier and the outer-DSCP copies of the
 * attachments that use it follow (the tc classes and their counters stay). */
static void on_acl_changed(const char *name, void *arg)
{
	bool any = false;

	(void)arg;
	if (!Q.maps || !Q.cfg)
		return;
	for (struct hashmap_entry *e = NULL; (e = hashmap_next(&Q.atts, e));) {
		struct qos_attachment *a = e->value;
		bool uses = false;
		for (size_t i = 0; !uses && i < a->plan.nleaves; i++)
			uses = cmap_uses(qos_cmap_find(Q.cfg, a->plan.leaves[i].name), name);
		if (!uses)
			continue;
		qos_marker_publish(a);
		any |= a->nft_classified;
	}
	if (any)
		classify_changed();
}

static void kernel_remove(struct qos_attachment *a)
{
	if (a->installed && Q.kernel && a->ifindex && if_nametoindex(a->dev) == (unsigned)a->ifindex)
		root_delete(a->ifindex);
	if (a->installed)
		dbg(&debug_qos, "QoS: %s (%s): policy removed", a->ifname, a->dev);
	if (a->installed && a->nft_classified)
		classify_changed();
	a->installed = false;
	a->nft_classified = false;
	a->ifindex = 0;
}

static int kernel_install(const struct config *cfg, struct qos_attachment *a, char *err,
			  size_t errlen)
{
	const struct qos_plan *pl = &a->plan;
	int idx = (int)if_nametoindex(a->dev), rc;
	const char *what = "root qdisc";

	if (!idx) {
		snprintf(err, errlen, "device %s not present", a->dev);
		return -1;
	}
	root_delete(idx);
	unsigned ovh = a->has_esp ? esp_constant(&a->esp) : 0;
	/* access lists: the whole policy is classified in nftables */
	bool nft_classified = qos_plan_uses_acl(cfg, pl);

	rc = a->has_esp ? gso_splitter(idx, &a->esp) : 0;
	if (rc >= 0)
		rc = root_qdisc(idx, pl->leaves[pl->nleaves - 1].minor, a->has_esp ? &a->esp : NULL,
				a->has_esp ? NLM_F_REPLACE : NLM_F_EXCL);
	if (rc >= 0) {
		what = "root class";
		rc = htb_class(idx, ROOT_HANDLE, ROOT_CLASS, pl->root_bps, pl->root_bps, 0, ovh, true);
	}
	for (size_t i = 0; rc >= 0 && i < pl->nleaves; i++) {
		const struct qos_leaf *l = &pl->leaves[i];
		what = l->name;
		rc = htb_class(idx, ROOT_CLASS, TC_HANDLE(1, l->minor), l->rate_bps, l->ceil_bps,
			       l->prio, ovh, true);
		if (rc >= 0)
			rc = leaf_fifo(idx, l->minor, l->limit);
		if (rc >= 0 && !nft_classified && strcmp(l->name, QOS_CLASS_DEFAULT) != 0)
			rc = class_filters(idx, (uint16_t)(1 + 2 * i), qos_cmap_find(cfg, l->name),
					   l->minor);
	}
	if (rc < 0) {
		snprintf(err, errlen, "tc on %s (%s): %s", a->dev, what, nl_geterror(rc));
		root_delete(idx);
		return -1;
	}
	a->installed = true;
	a->nft_classified = nft_classified;
	if (nft_classified)
		classify_changed();
	a->ifindex = idx;
	a->split = a->has_esp;
	a->overhead = ovh;
	if (a->implicit)
		qos_feedback_restart(a);
	dbg(&debug_qos, "QoS: %s (%s): %s%s%s installed, %llu bps, %zu classes%s", a->ifname,
	    a->dev, a->implicit ? "implicit policy" : "policy ", a->implicit ? "" : a->policy,
	    a->implicit && a->policy ? " with child" : "", (unsigned long long)pl->root_bps,
	    pl->nleaves, a->has_esp ? ", ESP size table" : "");
	return 0;
}

int qos_attachment_apply(const struct config *cfg, struct qos_attachment *a, char *err,
			 size_t errlen)
{
	struct qos_plan plan;

	a->cfg = cfg;
	a->model = qos_model_rw((struct config *)cfg);
	if (!plan_for(cfg, a, &plan, err, errlen))
		return -1;
	qos_plan_free(&a->plan);
	a->plan = plan;
	qos_marker_publish(a);
	if (!Q.kernel || !a->dev)
		return 0;
	kernel_remove(a);
	return kernel_install(cfg, a, err, errlen);
}

void qos_attachment_remove(struct qos_attachment *a)
{
	if (!a)
		return;
	kernel_remove(a);
	if (a->implicit) {
		qos_marker_withdraw(a->ifname);
		qos_feedback_del(a);
	}
	hashmap_del(&Q.atts, a->ifname);
	qos_plan_free(&a->plan);
	free(a->ifname);
	free(a->dev);
	free(a->policy);
	free(a);
}

void qos_attachments_drop_model(const struct qos_cfg *model)
{
	size_t n;
	void **v;

	if (!Q.maps)
		return;
	v = hashmap_values(&Q.atts, &n);
	for (size_t i = 0; i < n; i++)
		if (((struct qos_attachment *)v[i])->model == model)
			qos_attachment_remove(v[i]);
	free(v);
}

/* Change 1:1 and every leaf in place: rate, ceil and the per-packet
 * overhead (RTM_NEWTCLASS on the existing handles keeps queues and
 * counters). */
static int classes_change(const struct qos_attachment *a, const struct qos_plan *plan,
			  unsigned overhead)
{
	int rc = htb_class(a->ifindex, ROOT_HANDLE, ROOT_CLASS, plan->root_bps, plan->root_bps, 0,
			   overhead, false);

	for (size_t i = 0; rc >= 0 && i < plan->nleaves; i++) {
		const struct qos_leaf *l = &plan->leaves[i];
		rc = htb_class(a->ifindex, ROOT_CLASS, TC_HANDLE(1, l->minor), l->rate_bps,
			       l->ceil_bps, l->prio, overhead, false);
	}
	return rc;
}

/* A new root rate with the same classes: change each class in place. */
int qos_attachment_change_rate(struct qos_attachment *a)
{
	struct qos_plan plan;
	char err[256];
	int rc = 0;

	if (!plan_for(a->cfg, a, &plan, err, sizeof(err))) {
		log_msg("QOS", SEV_ERR, "RATE", "%s: %s", a->ifname, err);
		return -1;
	}
	if (plan.nleaves != a->plan.nleaves) { /* the child changed meanwhile */
		qos_plan_free(&plan);
		return qos_attachment_apply(a->cfg, a, err, sizeof(err));
	}
	for (size_t i = 0; i < plan.nleaves; i++) { /* keep the drop-rate samples */
		plan.leaves[i].last_ms = a->plan.leaves[i].last_ms;
		plan.leaves[i].last_drops = a->plan.leaves[i].last_drops;
		plan.leaves[i].drop_bps = a->plan.leaves[i].drop_bps;
	}
	qos_plan_free(&a->plan);
	a->plan = plan;
	qos_marker_publish(a);
	if (a->implicit)
		qos_feedback_restart(a);
	if (!a->installed)
		return 0;
	rc = classes_change(a, &a->plan, a->overhead);
	if (rc < 0) {
		log_msg("QOS", SEV_ERR, "RATE", "%s: tc change: %s", a->ifname, nl_geterror(rc));
		return -1;
	}
	dbg(&debug_qos, "QoS: %s: rate changed to %llu bps in place", a->ifname,
	    (unsigned long long)a->plan.root_bps);
	return 0;
}

int qos_attachment_change_esp(struct qos_attachment *a)
{
	unsigned ovh = esp_constant(a->has_esp ? &a->esp : NULL);
	int rc;

	if (a->implicit)
		qos_feedback_restart(a);
	if (!a->installed)
		return 0;
	if (a->split != a->has_esp) {
		/* the splitting TBF comes or goes: rebuild */
		char err[256];
		if (qos_attachment_apply(a->cfg, a, err, sizeof(err)) < 0) {
			log_msg("QOS", SEV_ERR, "ESP", "%s: %s", a->ifname, err);
			return -1;
		}
		return 0;
	}
	if (!a->has_esp)
		return 0; /* no ESP accounting before or after */
	/* in place: the TBF's size table, then the classes' constant part
	 * (tc_ratespec.overhead); queues and counters stay */
	rc = root_stab_change(a->ifindex, a->has_esp ? &a->esp : NULL);
	if (rc >= 0 && ovh != a->overhead && (rc = classes_change(a, &a->plan, ovh)) >= 0)
		a->overhead = ovh;
	if (rc < 0) {
		log_msg("QOS", SEV_ERR, "ESP", "%s: tc change (size table): %s", a->ifname,
			nl_geterror(rc));
		return -1;
	}
	return 0;
}

bool qos_stats_load(const struct qos_attachment *a, struct qos_class_stats *st)
{
	struct nl_cache *cache = NULL;
	size_t n = 1 + a->plan.nleaves;

	memset(st, 0, n * sizeof(*st));
	if (!Q.kernel || !a->installed || rtnl_class_alloc_cache(kernel_nl(), a->ifindex, &cache) < 0)
		return false;
	for (struct nl_object *o = nl_cache_get_first(cache); o; o = nl_cache_get_next(o)) {
		struct rtnl_tc *tc = (struct rtnl_tc *)o;
		uint32_t h = rtnl_tc_get_handle(tc);
		struct qos_class_stats *s = NULL;
		if (h == ROOT_CLASS)
			s = &st[0];
		for (size_t i = 0; !s && i < a->plan.nleaves; i++)
			if (h == TC_HANDLE(1, a->plan.leaves[i].minor))
				s = &st[1 + i];
		if (!s)
			continue;
		s->packets = rtnl_tc_get_stat(tc, RTNL_TC_PACKETS);
		s->bytes = rtnl_tc_get_stat(tc, RTNL_TC_BYTES);
		s->drops = rtnl_tc_get_stat(tc, RTNL_TC_DROPS);
		s->overlimits = rtnl_tc_get_stat(tc, RTNL_TC_OVERLIMITS);
		s->qlen = (uint32_t)rtnl_tc_get_stat(tc, RTNL_TC_QLEN);
		s->backlog = (uint32_t)rtnl_tc_get_stat(tc, RTNL_TC_BACKLOG);
		s->rate_bps = rtnl_tc_get_stat(tc, RTNL_TC_RATE_BPS) * 8;
		/* HTB counts what the size table gave; the constant part of
		 * the ESP overhead is in its rate tables only */
		s->bytes += (uint64_t)a->overhead * s->packets;
		s->rate_bps += (uint64_t)a->overhead * 8 * rtnl_tc_get_stat(tc, RTNL_TC_RATE_PPS);
		s->valid = true;
	}
	nl_cache_free(cache);
	/* the root's drops and queue are its leaves' */
	st[0].drops = st[0].qlen = 0;
	for (size_t i = 1; i < n; i++) {
		st[0].drops += st[i].drops;
		st[0].qlen += st[i].qlen;
	}
	return st[0].valid;
}

/* ---- static policies follow the configuration ----------------------------------------- */

void qos_iface_reapply(const struct config *cfg, const char *ifname)
{
	struct iface_cfg *ifc = iface_find(&cfg->ifaces, ifname);
	const char *pol = qos_iface_output_policy(ifc);
	const char *dev = ifc ? iface_device(ifc) : NULL;
	struct qos_attachment *a = qos_attachment_find(ifname);
	char err[256];

	if (a && a->implicit) {
		if (pol)
			log_msg("QOS", SEV_WARNING, "STATIC_POLICY",
				"%s: service-policy output %s is not applied while the VPN-SIP "
				"bandwidth policy is attached",
				ifname, pol);
		return;
	}
	if (!pol || !dev) {
		if (a)
			qos_attachment_remove(a);
		return;
	}
	if (a && a->installed && strcmp(a->policy, pol) == 0 && strcmp(a->dev, dev) == 0 &&
	    if_nametoindex(dev) == (unsigned)a->ifindex)
		return; /* nothing of ours changed */
	if (!a)
		a = qos_attachment_new(ifname, false);
	free(a->policy);
	a->policy = xstrdup(pol);
	free(a->dev);
	a->dev = xstrdup(dev);
	if (qos_attachment_apply(cfg, a, err, sizeof(err)) < 0)
		log_msg("QOS", SEV_ERR, "POLICY_FAIL", "%s: service-policy output %s not applied: %s",
			ifname, pol, err);
}

void qos_reapply_policy(const struct config *cfg, const char *policy)
{
	char err[256];

	if (!Q.maps || !policy)
		return;
	/* configuration changes are rare: a walk over the attachments */
	for (struct hashmap_entry *e = NULL; (e = hashmap_next(&Q.atts, e));) {
		struct qos_attachment *a = e->value;
		const struct qos_policy_map *p = a->policy ? qos_pmap_find(cfg, a->policy) : NULL;
		bool uses = a->policy && strcmp(a->policy, policy) == 0;
		for (size_t i = 0; p && !uses && i < p->n; i++)
			uses = p->c[i]->service_policy && strcmp(p->c[i]->service_policy, policy) == 0;
		if (!uses)
			continue;
		if (qos_attachment_apply(cfg, a, err, sizeof(err)) < 0)
			log_msg("QOS", SEV_ERR, "POLICY_FAIL", "%s: policy-map %s not applied: %s",
				a->ifname, a->policy, err);
	}
}

static void flush_pending(void *arg)
{
	(void)arg;
	Q.posted = false;
	for (struct hashmap_entry *e = NULL; (e = hashmap_next(&Q.pending, e));)
		qos_iface_reapply(Q.cfg, e->key);
	hashmap_clear(&Q.pending);
}

/* Listeners run before the kernel side creates the device: apply after
 * the command, from the loop. */
static void on_iface_changed(struct config *cfg, struct iface_cfg *ifc, void *arg)
{
	(void)cfg;
	if (!Q.kernel)
		return;
	if (!qos_iface_output_policy(ifc) && !qos_attachment_find(ifc->name))
		return;
	hashmap_put(&Q.pending, ifc->name, (void *)1);
	if (!Q.posted) {
		Q.posted = true;
		evloop_post(Q.loop, flush_pending, NULL);
	}
}

static void on_iface_deleted(struct config *cfg, struct iface_cfg *ifc, void *arg)
{
	(void)cfg;
	qos_attachment_remove(qos_attachment_find(ifc->name));
	if (Q.maps)
		hashmap_del(&Q.pending, ifc->name);
}

int qos_kernel_init(struct evloop *loop, struct config *cfg)
{
	ensure_map();
	/* the size table alone is 8 KiB: larger than libnl's default page */
	nlmsg_set_default_size(32768);
	Q.loop = loop;
	Q.cfg = cfg;
	Q.kernel = kernel_nl() != NULL;
	if (!Q.kernel)
		return -1;
	/* Its place does not matter: it only queues work for the loop (and
	 * forgets the interface's attachment). */
	hook_register(iface_changed, on_iface_changed, NULL, HOOK_PRIO_DEFAULT);
	hook_register(iface_deleted, on_iface_deleted, NULL, HOOK_PRIO_DEFAULT);
	hook_register(acl_changed, on_acl_changed, NULL, HOOK_PRIO_DEFAULT);
	/* a classifier table left by a vpnsipd that did not stop */
	Q.classify_posted = true;
	classify_sync(NULL);
	qos_session_init(cfg);
	qos_feedback_init(loop);
	return 0;
}

void qos_kernel_shutdown(void)
{
	if (Q.maps) {
		size_t n;
		void **v = hashmap_values(&Q.atts, &n);
		for (size_t i = 0; i < n; i++)
			qos_attachment_remove(v[i]);
		free(v);
		hashmap_clear(&Q.atts);
		hashmap_clear(&Q.pending);
	}
	qos_markers_clear();
	qos_classify_shutdown();
	qos_feedback_shutdown();
	Q.kernel = false;
	Q.cfg = NULL;
}

void qos_debug_register(void)
{
	debug_register(&debug_qos);
}
