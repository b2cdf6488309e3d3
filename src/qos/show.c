/* show policy-map interface / show policy-map / show class-map, in the
 * layout of IOS (and of the Cisco VPN-SIP guide's examples), with live
 * figures from the kernel's tc statistics. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/json.h"
#include "acl/acl.h"
#include "qos/qos_int.h"

#define LOAD_INTERVAL "5 minute"

/* IOS prints rates rounded to 1000 bps, at least four digits. */
static void rate_text(uint64_t bps, char *buf, size_t len)
{
	snprintf(buf, len, "%04llu", (unsigned long long)(bps / 1000 * 1000));
}

static void indent(struct strbuf *out, int n)
{
	for (int i = 0; i < n; i++)
		sb_putc(out, ' ');
}

/* The drop rate from the drops since the last look (the kernel estimates
 * the output rate only). */
static uint64_t drop_rate(uint64_t *last_ms, uint64_t *last_drops, uint64_t *bps,
			  uint64_t drops, uint64_t avg_bytes)
{
	uint64_t now = qos_now_ms();

	if (*last_ms && now > *last_ms + 1000 && drops >= *last_drops)
		*bps = (drops - *last_drops) * avg_bytes * 8 * 1000 / (now - *last_ms);
	if (!*last_ms || now > *last_ms + 1000) {
		*last_ms = now;
		*last_drops = drops;
	}
	return drops == *last_drops && *last_ms + 30000 < now ? 0 : *bps;
}

/* Each part of a class below writes its text lines into out and the same
 * figures as fields of o (show policy-map interface ... json); either may
 * be NULL. */

/* The counters IOS prints for one class.  "N packets, M bytes" counts what
 * the class received: sent + dropped + queued (the kernel counts the bytes
 * of sent packets only; dropped bytes are estimated at the mean size). */
static void counters(struct strbuf *out, struct json_object *o, int ind,
		     const struct qos_class_stats *st, uint64_t dbps)
{
	uint64_t avg = st->packets ? st->bytes / st->packets : 0;
	uint64_t pk = st->packets + st->drops + st->qlen;
	uint64_t by = st->bytes + st->backlog + st->drops * avg;
	char r1[32], r2[32];

	if (o) {
		json_add_u64(o, "packets", pk);
		json_add_u64(o, "bytes", by);
		json_add_u64(o, "offeredRateBps", (st->rate_bps + dbps) / 1000 * 1000);
		json_add_u64(o, "dropRateBps", dbps / 1000 * 1000);
	}
	if (!out)
		return;
	rate_text(st->rate_bps + dbps, r1, sizeof(r1));
	rate_text(dbps, r2, sizeof(r2));
	indent(out, ind);
	sb_printf(out, "%llu packets, %llu bytes\n", (unsigned long long)pk, (unsigned long long)by);
	indent(out, ind);
	sb_printf(out, "%s offered rate %s bps, drop rate %s bps\n", LOAD_INTERVAL, r1, r2);
}

static void queue_lines(struct strbuf *out, struct json_object *o, int ind,
			const struct qos_class_stats *st, unsigned limit, bool queueing)
{
	if (o) {
		json_add_bool(o, "queueing", queueing);
		json_add_int(o, "queueLimitPackets", limit);
		json_add_int(o, "queueDepth", st->qlen);
		json_add_u64(o, "totalDrops", st->drops);
		json_add_int(o, "noBufferDrops", 0);
		json_add_u64(o, "outputPackets", st->packets);
		json_add_u64(o, "outputBytes", st->bytes);
	}
	if (!out)
		return;
	if (queueing) {
		indent(out, ind);
		sb_puts(out, "Queueing\n");
	}
	indent(out, ind);
	sb_printf(out, "queue limit %u packets\n", limit);
	indent(out, ind);
	sb_printf(out, "(queue depth/total drops/no-buffer drops) %u/%llu/0\n", st->qlen,
		  (unsigned long long)st->drops);
	indent(out, ind);
	sb_printf(out, "(pkts output/bytes output) %llu/%llu\n", (unsigned long long)st->packets,
		  (unsigned long long)st->bytes);
}

/* One "Match:" line's text after "Match: ". */
static void match_text(const struct config *cfg, const struct qos_match *m, struct strbuf *t)
{
	char buf[8];

	if (m->kind == QOS_MATCH_DSCP) {
		sb_puts(t, "dscp");
		for (unsigned k = 0; k < m->ndscp; k++)
			sb_printf(t, " %s (%u)", qos_dscp_name(m->dscp[k], buf, sizeof(buf)), m->dscp[k]);
		return;
	}
	qos_match_text(m, t);
	if (m->kind == QOS_MATCH_ACCESS_GROUP && !acl_find(cfg, m->acl))
		sb_puts(t, " (not configured: matches nothing)");
}

static void match_line(struct strbuf *out, struct json_object *list, int ind, const char *text)
{
	if (list)
		json_object_array_add(list, json_object_new_string(text));
	if (out) {
		indent(out, ind);
		sb_printf(out, "Match: %s\n", text);
	}
}

static void match_lines(const struct config *cfg, const char *cname, struct strbuf *out,
			struct json_object *o, int ind)
{
	const struct qos_class_map *cm = qos_cmap_find(cfg, cname);
	struct json_object *list = o ? json_object_new_array() : NULL;

	if (o)
		json_object_object_add(o, "matches", list);
	if (!cm || strcmp(cname, QOS_CLASS_DEFAULT) == 0) {
		match_line(out, list, ind, "any");
		return;
	}
	for (size_t i = 0; i < cm->n; i++) {
		struct strbuf t = STRBUF_INIT;
		match_text(cfg, &cm->m[i], &t);
		match_line(out, list, ind, sb_str(&t));
		sb_free(&t);
	}
}

static const char *match_type(const struct config *cfg, const char *cname)
{
	const struct qos_class_map *cm = qos_cmap_find(cfg, cname);

	return !cm || cm->match_any ? "match-any" : "match-all";
}

static bool has_queueing(const struct qos_pclass *pc)
{
	return pc && (pc->priority || pc->bw_kind != QOS_BW_NONE || pc->queue_limit ||
		      pc->shape_bps);
}

/* A leaf's rate as configured: under the ESP/GSO correction the kernel
 * shapes at a fraction of it (show prints the target, as IOS does). */
static uint64_t leaf_target_bps(const struct qos_attachment *a, const struct qos_leaf *l)
{
	if (!a->implicit || !a->corr || a->corr == QOS_CORR_ONE)
		return l->rate_bps;
	return (l->rate_bps * QOS_CORR_ONE / a->corr + 500) / 1000 * 1000;
}

static void shape_line(struct strbuf *out, struct json_object *o, int ind, uint64_t cir)
{
	if (o) {
		struct json_object *sh = json_object_new_object();
		json_add_u64(sh, "cirBps", cir);
		json_add_u64(sh, "bcBits", cir / 250);
		json_add_u64(sh, "beBits", cir / 250);
		json_object_object_add(o, "shape", sh);
	}
	if (out) {
		indent(out, ind);
		sb_printf(out, "shape (average) cir %llu, bc %llu, be %llu\n", (unsigned long long)cir,
			  (unsigned long long)(cir / 250), (unsigned long long)(cir / 250));
	}
}

/* "QoS Set / dscp X / Packets marked N" */
static void set_lines(struct strbuf *out, struct json_object *o, int ind, int dscp,
		      uint64_t marked)
{
	char buf[8];

	if (o) {
		struct json_object *set = NULL;
		if (dscp >= 0) {
			set = json_object_new_object();
			json_add_str(set, "dscp", qos_dscp_name((unsigned)dscp, buf, sizeof(buf)));
			json_add_u64(set, "packetsMarked", marked);
		}
		json_object_object_add(o, "set", set);
	}
	if (!out || dscp < 0)
		return;
	indent(out, ind);
	sb_puts(out, "QoS Set\n");
	indent(out, ind + 2);
	sb_printf(out, "dscp %s\n", qos_dscp_name((unsigned)dscp, buf, sizeof(buf)));
	indent(out, ind + 4);
	sb_printf(out, "Packets marked %llu\n", (unsigned long long)marked);
}

static void leaf_lines(const struct config *cfg, struct qos_attachment *a, size_t i,
		       const struct qos_class_stats *st, struct strbuf *out, struct json_object *o,
		       int ind)
{
	struct qos_leaf *l = &a->plan.leaves[i];
	const struct qos_pclass *pc =
		a->plan.leaf_policy ? qos_pclass_find(a->plan.leaf_policy, l->name) : NULL;
	uint64_t avg = st->packets ? st->bytes / st->packets : 1000;
	uint64_t dbps = drop_rate(&l->last_ms, &l->last_drops, &l->drop_bps, st->drops, avg);
	uint64_t rate = leaf_target_bps(a, l);
	struct json_object *prio = NULL, *bw = NULL;

	if (o) {
		json_add_str(o, "name", l->name);
		json_add_str(o, "matchType", match_type(cfg, l->name));
	}
	if (out) {
		indent(out, ind);
		sb_printf(out, "Class-map: %s (%s)\n", l->name, match_type(cfg, l->name));
	}
	counters(out, o, ind + 2, st, dbps);
	match_lines(cfg, l->name, out, o, ind + 2);
	if (pc && pc->priority) {
		prio = json_object_new_object();
		if (pc->priority_percent) {
			json_add_int(prio, "percent", pc->priority_percent);
			json_add_u64(prio, "kbps", rate / 1000);
		} else {
			json_add_str(prio, "percent", NULL);
			if (pc->priority_kbps)
				json_add_int(prio, "kbps", pc->priority_kbps);
			else
				json_add_str(prio, "kbps", NULL); /* the text's "Strict" */
		}
		json_add_u64(prio, "burstBytes", rate / 8 / 5);
		json_add_u64(prio, "exceedDrops", st->drops);
	}
	if (out && prio) {
		indent(out, ind + 2);
		sb_puts(out, "Priority: ");
		if (pc->priority_percent)
			sb_printf(out, "%u%% (%llu kbps)", pc->priority_percent,
				  (unsigned long long)(rate / 1000));
		else if (pc->priority_kbps)
			sb_printf(out, "%u kbps", pc->priority_kbps);
		else
			sb_puts(out, "Strict");
		sb_printf(out, ", burst bytes %llu, b/w exceed drops: %llu\n",
			  (unsigned long long)(rate / 8 / 5), (unsigned long long)st->drops);
	}
	if (o)
		json_object_object_add(o, "priority", prio);
	else
		json_object_put(prio);
	queue_lines(out, o, ind + 2, st, l->limit, has_queueing(pc));
	if (pc && pc->bw_kind != QOS_BW_NONE) {
		bw = json_object_new_object();
		json_add_str(bw, "kind", pc->bw_kind == QOS_BW_PERCENT ? "percent" :
					 pc->bw_kind == QOS_BW_REMAINING ? "remaining" : "kbps");
		json_add_int(bw, "value", pc->bw);
		if (pc->bw_kind == QOS_BW_PERCENT)
			json_add_u64(bw, "kbps", rate / 1000);
		else if (pc->bw_kind == QOS_BW_KBPS)
			json_add_int(bw, "kbps", pc->bw);
		else
			json_add_str(bw, "kbps", NULL);
	}
	if (out && bw) {
		indent(out, ind + 2);
		if (pc->bw_kind == QOS_BW_PERCENT)
			sb_printf(out, "bandwidth %u%% (%llu kbps)\n", pc->bw,
				  (unsigned long long)(rate / 1000));
		else if (pc->bw_kind == QOS_BW_REMAINING)
			sb_printf(out, "bandwidth remaining %u%%\n", pc->bw);
		else
			sb_printf(out, "bandwidth %u kbps\n", pc->bw);
	}
	if (o)
		json_object_object_add(o, "bandwidth", bw);
	else
		json_object_put(bw);
	if (pc && pc->shape_bps)
		shape_line(out, o, ind + 2, pc->shape_bps);
	else if (o)
		json_object_object_add(o, "shape", NULL);
	/* marking happens at encapsulation on tunnels; elsewhere this kernel
	 * has no action to rewrite it */
	set_lines(out, o, ind + 2, l->set_dscp, a->implicit ? st->packets : 0);
	if (o) { /* what only a shaping parent's class-default has */
		json_add_str(o, "targetShapeRateBps", NULL);
		json_object_object_add(o, "overheadAccounting", NULL);
		json_add_str(o, "espGsoCorrectionPerMille", NULL);
		json_object_object_add(o, "servicePolicy", NULL);
	}
}

static void show_attachment(const struct config *cfg, struct qos_attachment *a,
			    struct strbuf *out, struct json_object *o)
{
	size_t n = 1 + a->plan.nleaves;
	struct qos_class_stats *st = xcalloc(n, sizeof(*st));
	const struct qos_policy_map *p = a->implicit ? NULL : qos_pmap_find(cfg, a->policy);
	bool parent = a->implicit ||
		      (p && p->n == 1 && strcmp(p->c[0]->name, QOS_CLASS_DEFAULT) == 0 &&
		       p->c[0]->shape_bps);
	int ind = 4;
	char name[96];
	/* where the leaves go: the interface's classes, or the child policy's */
	struct json_object *classes = o ? json_object_new_array() : NULL;

	qos_stats_load(a, st);
	if (a->implicit)
		snprintf(name, sizeof(name), "VPN-SIP-%s-Bandwidth", a->ifname);
	else
		snprintf(name, sizeof(name), "%s", a->policy);
	if (o) {
		json_add_str(o, "interface", a->ifname);
		json_add_str(o, "servicePolicyOutput", name);
		json_add_bool(o, "vpnSipBandwidth", a->implicit);
		json_add_bool(o, "applied", true);
		json_object_object_add(o, "classes", classes);
	}
	if (out)
		sb_printf(out, " %s\n\n  Service-policy output: %s\n\n", a->ifname, name);
	if (parent) {
		const struct qos_pclass *pc = p ? p->c[0] : NULL;
		uint64_t avg = st[0].packets ? st[0].bytes / st[0].packets : 1000;
		uint64_t dbps = drop_rate(&a->root_last_ms, &a->root_last_drops, &a->root_drop_bps,
					  st[0].drops, avg);
		uint64_t cir = a->implicit ? (uint64_t)a->kbps * 1000 : a->plan.root_bps;
		unsigned limit = pc && pc->queue_limit ? pc->queue_limit : QOS_QUEUE_LIMIT_DEFAULT;
		int dscp = a->implicit ? QOS_DSCP_CS4 : pc ? pc->set_dscp : -1;
		bool esp = a->implicit && a->has_esp;
		unsigned c = a->corr ? a->corr : QOS_CORR_ONE;
		struct json_object *po = o ? json_object_new_object() : NULL;

		if (po) {
			json_object_array_add(classes, po);
			json_add_str(po, "name", QOS_CLASS_DEFAULT);
			json_add_str(po, "matchType", "match-any");
		}
		if (out)
			sb_puts(out, "    Class-map: class-default (match-any)\n");
		counters(out, po, 6, &st[0], dbps);
		match_line(out, NULL, 6, "any");
		if (po) {
			struct json_object *m = json_object_new_array();
			json_object_array_add(m, json_object_new_string("any"));
			json_object_object_add(po, "matches", m);
			json_object_object_add(po, "priority", NULL);
			json_object_object_add(po, "bandwidth", NULL);
		}
		queue_lines(out, po, 6, &st[0], limit, true);
		set_lines(out, po, 6, dscp, a->implicit ? st[0].packets : 0);
		shape_line(out, po, 6, cir);
		if (po) {
			json_add_u64(po, "targetShapeRateBps", cir);
			struct json_object *oh = NULL;
			if (esp) {
				oh = json_object_new_object();
				json_add_int(oh, "fixedBytes", a->esp.fixed_bytes);
				json_add_int(oh, "ivBytes", a->esp.iv_len);
				json_add_int(oh, "blockBytes", a->esp.block_size);
				json_add_int(oh, "icvBytes", a->esp.icv_len);
			}
			json_object_object_add(po, "overheadAccounting", oh);
			if (esp)
				json_add_int(po, "espGsoCorrectionPerMille", c / 10);
			else
				json_add_str(po, "espGsoCorrectionPerMille", NULL);
		}
		if (out) {
			sb_printf(out, "      target shape rate %llu\n", (unsigned long long)cir);
			if (esp)
				sb_printf(out, "      overhead accounting: ESP-in-UDP (%u fixed, %u IV, "
					       "block %u, ICV %u bytes)\n",
					  a->esp.fixed_bytes, a->esp.iv_len, a->esp.block_size,
					  a->esp.icv_len);
			if (esp)
				sb_printf(out, "      ESP/GSO correction: shaping at %u.%u%% of the target\n",
					  c / 100, c % 100 / 10);
		}
		if (!a->plan.leaf_policy) {
			if (po)
				json_object_object_add(po, "servicePolicy", NULL);
			free(st);
			return;
		}
		if (out)
			sb_printf(out, "\n      Service-policy : %s\n\n", a->plan.leaf_policy->name);
		if (po) {
			struct json_object *child = json_object_new_object();
			json_add_str(child, "name", a->plan.leaf_policy->name);
			classes = json_object_new_array();
			json_object_object_add(child, "classes", classes);
			json_object_object_add(po, "servicePolicy", child);
		}
		ind = 8;
	}
	for (size_t i = 0; i < a->plan.nleaves; i++) {
		struct json_object *lo = classes ? json_object_new_object() : NULL;
		if (i && out)
			sb_putc(out, '\n');
		leaf_lines(cfg, a, i, &st[1 + i], out, lo, ind);
		if (lo)
			json_object_array_add(classes, lo);
	}
	free(st);
}

/* A policy configured on an interface that has no attachment (not applied
 * to the kernel: the device is missing, or the plan failed). */
static void show_unapplied(const char *ifname, const char *policy, struct strbuf *out,
			   struct json_object *o)
{
	if (o) {
		json_add_str(o, "interface", ifname);
		json_add_str(o, "servicePolicyOutput", policy);
		json_add_bool(o, "vpnSipBandwidth", false);
		json_add_bool(o, "applied", false);
		json_object_object_add(o, "classes", json_object_new_array());
	}
	if (out)
		sb_printf(out, " %s\n\n  Service-policy output: %s (not applied to the kernel)\n", ifname,
			  policy);
}

static int cmd_show_pmap_interface(struct cli_exec *x)
{
	const struct config *cfg = cfg_of(x);
	const char *ifname = cli_arg(x, "ifname");
	struct json_object *doc = NULL, *list = NULL;
	struct strbuf *out = x->out;
	size_t n;
	struct iface_cfg **ifs;

	if (cli_has(x, "json")) {
		doc = json_object_new_object();
		list = json_object_new_array();
		json_object_object_add(doc, "interfaces", list);
		out = NULL;
	}
	if (ifname) {
		struct qos_attachment *a = qos_attachment_find(ifname);
		const char *policy = qos_iface_output_policy(iface_find(&cfg->ifaces, ifname));
		struct json_object *o = doc ? json_object_new_object() : NULL;
		if (!iface_find(&cfg->ifaces, ifname) && !a) {
			json_object_put(o);
			json_object_put(doc);
			return cli_error(x, "Interface %s not configured", ifname);
		}
		if (a)
			show_attachment(cfg, a, out, o);
		else if (policy)
			show_unapplied(ifname, policy, out, o);
		if (o && (a || policy))
			json_object_array_add(list, o);
		else
			json_object_put(o);
		if (doc)
			cli_out_json(x, doc);
		return CLI_OK;
	}
	ifs = iface_sorted(&cfg->ifaces, &n);
	for (size_t i = 0; i < n; i++) {
		struct qos_attachment *a = qos_attachment_find(ifs[i]->name);
		if (!a)
			continue;
		struct json_object *o = doc ? json_object_new_object() : NULL;
		show_attachment(cfg, a, out, o);
		if (o)
			json_object_array_add(list, o);
		if (out)
			sb_putc(out, '\n');
	}
	free(ifs);
	if (doc)
		cli_out_json(x, doc);
	return CLI_OK;
}

static void show_pclass(const struct qos_pclass *pc, struct strbuf *out)
{
	char buf[8];

	sb_printf(out, "    Class %s\n", pc->name);
	if (pc->priority) {
		sb_puts(out, "      Strict Priority\n");
		if (pc->priority_percent)
			sb_printf(out, "      Bandwidth %u (%%)\n", pc->priority_percent);
		else if (pc->priority_kbps)
			sb_printf(out, "      Bandwidth %u (kbps)\n", pc->priority_kbps);
	}
	if (pc->bw_kind == QOS_BW_PERCENT)
		sb_printf(out, "      bandwidth %u (%%)\n", pc->bw);
	else if (pc->bw_kind == QOS_BW_REMAINING)
		sb_printf(out, "      bandwidth remaining %u (%%)\n", pc->bw);
	else if (pc->bw_kind == QOS_BW_KBPS)
		sb_printf(out, "      bandwidth %u (kbps)\n", pc->bw);
	if (pc->shape_bps)
		sb_printf(out, "      Average Rate Traffic Shaping\n      cir %llu (bps)\n",
			  (unsigned long long)pc->shape_bps);
	if (pc->queue_limit)
		sb_printf(out, "      queue-limit %u packets\n", pc->queue_limit);
	if (pc->set_dscp >= 0)
		sb_printf(out, "      set dscp %s\n",
			  qos_dscp_name((unsigned)pc->set_dscp, buf, sizeof(buf)));
	if (pc->service_policy)
		sb_printf(out, "      service-policy %s\n", pc->service_policy);
}

static void show_pmap(const struct qos_policy_map *p, struct strbuf *out)
{
	sb_printf(out, "  Policy Map %s\n", p->name);
	if (p->description)
		sb_printf(out, "    Description: %s\n", p->description);
	for (size_t i = 0; i < p->n; i++)
		show_pclass(p->c[i], out);
	sb_putc(out, '\n');
}

static int cmd_show_pmap(struct cli_exec *x)
{
	const char *name = cli_arg(x, "name");
	size_t n;
	struct qos_policy_map **v;

	if (name) {
		const struct qos_policy_map *p = qos_pmap_find(cfg_of(x), name);
		if (!p)
			return cli_error(x, "Policy-map %s not configured", name);
		show_pmap(p, x->out);
		return CLI_OK;
	}
	v = qos_pmaps_sorted(cfg_of(x), &n);
	for (size_t i = 0; i < n; i++)
		show_pmap(v[i], x->out);
	free(v);
	return CLI_OK;
}

static void show_cmap(const struct qos_class_map *cm, unsigned id, struct strbuf *out)
{
	sb_printf(out, " Class Map %s %s (id %u)\n\n", cm->match_any ? "match-any" : "match-all",
		  cm->name, id);
	if (cm->description)
		sb_printf(out, "   Description: %s\n", cm->description);
	for (size_t i = 0; i < cm->n; i++) {
		sb_puts(out, "   Match ");
		qos_match_text(&cm->m[i], out);
		sb_puts(out, "\n");
	}
	sb_putc(out, '\n');
}

static int cmd_show_cmap(struct cli_exec *x)
{
	const char *name = cli_arg(x, "name");
	static const struct qos_match any = { .kind = QOS_MATCH_ANY };
	struct qos_class_map def = { .name = (char *)QOS_CLASS_DEFAULT, .match_any = true,
				     .m = (struct qos_match *)&any, .n = 1 };
	size_t n;
	struct qos_class_map **v = qos_cmaps_sorted(cfg_of(x), &n);
	bool found = false;

	if (!name || strcmp(name, QOS_CLASS_DEFAULT) == 0) {
		show_cmap(&def, 0, x->out);
		found = true;
	}
	for (size_t i = 0; i < n; i++)
		if (!name || strcmp(name, v[i]->name) == 0) {
			show_cmap(v[i], (unsigned)i + 1, x->out);
			found = true;
		}
	free(v);
	if (!found)
		return cli_error(x, "Class-map %s not configured", name);
	return CLI_OK;
}

static const struct cli_cmd show_cmds[] = {
	{ "exec", "show policy-map [WORD$name]",
	  "Show running system information\nShow QoS Policy Map\npolicy-map name", cmd_show_pmap, 0 },
	{ "exec", "show policy-map interface [IFNAME$ifname [output]] [json]",
	  "\n\nQos Policy Interface\nInterface name\nOutput policy\n" CLI_JSON_HELP,
	  cmd_show_pmap_interface, 0 },
	{ "exec", "show class-map [WORD$name]", "\nShow QoS Class Map\nclass-map name",
	  cmd_show_cmap, 0 },
};

void qos_show_cli_init(void)
{
	CLI_INSTALL(show_cmds);
}
