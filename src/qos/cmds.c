/* QoS commands: class-map, policy-map (with its class sub-mode),
 * "service-policy output" and "qos pre-classify" on interfaces, and the
 * running-config they write. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qos/qos_int.h"
#include "vpnsip/vpnsip.h"

#define CMAP_NODE "config-cmap"
#define PMAP_NODE "config-pmap"
#define PMAPC_NODE "config-pmap-c"
#define NO_HELP "Negate a command or set its defaults"
#define ABS_BW_REASON                                                                     \
	"the bandwidth of a VPN-SIP session varies depending on the negotiation with the " \
	"peer router; use bandwidth percent"

HOOK_DEFINE(qos_vpnsip_tunnel);
HOOK_DEFINE(qos_vpnsip_policy);

/* The VPN-SIP configuration's answers (src/vpnsip); tests add theirs. */
static bool vpnsip_is_tunnel(const struct config *cfg, const struct iface_cfg *ifc, void *arg)
{
	(void)cfg;
	return vpnsip_tunnel_configured(ifc);
}

/* A policy-map edit is rare: a walk over the interfaces is fine here. */
static bool vpnsip_uses_policy(const struct config *cfg, const char *policy, void *arg)
{
	size_t n;
	struct iface_cfg **ifs = iface_sorted(&cfg->ifaces, &n);
	bool used = false;

	for (size_t i = 0; i < n && !used; i++) {
		const char *child = vpnsip_tunnel_service_policy(ifs[i]);
		used = child && strcmp(child, policy) == 0;
	}
	free(ifs);
	return used;
}

/* Is name (or a parent of it) the child of a VPN-SIP session, configured or
 * attached now? */
bool qos_policy_used_by_vpnsip(const struct config *cfg, const char *name)
{
	const struct qos_cfg *q = qos_model(cfg);

	if (hook_call(qos_vpnsip_policy, cfg, name))
		return true;
	/* the implicit policies attached now (the test hook, or sessions) */
	size_t n;
	struct iface_cfg **ifs = iface_sorted(&cfg->ifaces, &n);
	bool used = false;
	for (size_t i = 0; i < n && !used; i++) {
		const struct qos_attachment *a = qos_attachment_find(ifs[i]->name);
		used = a && a->implicit && a->policy && strcmp(a->policy, name) == 0;
	}
	free(ifs);
	/* a grandchild counts through its parent */
	for (struct hashmap_entry *e = NULL; q && !used && (e = hashmap_next(&q->pmaps, e));) {
		const struct qos_policy_map *p = e->value;
		for (size_t i = 0; i < p->n && !used; i++)
			if (p->c[i]->service_policy && strcmp(p->c[i]->service_policy, name) == 0 &&
			    strcmp(p->name, name) != 0)
				used = qos_policy_used_by_vpnsip(cfg, p->name);
	}
	return used;
}

int qos_vpnsip_policy_usable(const struct config *cfg, const char *policy, char *err,
			     size_t errlen)
{
	const struct qos_policy_map *p;

	if (!policy)
		return 0;
	p = qos_pmap_find(cfg, policy);
	if (!p) {
		snprintf(err, errlen, "policy-map %s not configured", policy);
		return -1;
	}
	if (qos_policy_has_absolute_bw(cfg, p, 0)) {
		snprintf(err, errlen, "policy-map %s uses bandwidth in kbps: %s", policy,
			 ABS_BW_REASON);
		return -1;
	}
	return 0;
}

/* ---- class-map ------------------------------------------------------------------- */

static void model_changed(struct cli_exec *x, const char *policy)
{
	qos_reapply_policy(cfg_of(x), policy);
}

static void cmap_changed(struct cli_exec *x, const char *cmap)
{
	const struct qos_cfg *q = qos_model(cfg_of(x));

	for (struct hashmap_entry *e = NULL; q && (e = hashmap_next(&q->pmaps, e));) {
		const struct qos_policy_map *p = e->value;
		if (qos_pclass_find(p, cmap))
			model_changed(x, p->name);
	}
}

static int cmd_class_map(struct cli_exec *x)
{
	struct qos_cfg *q = qos_model_rw(cfg_of(x));
	const char *name = cli_arg(x, "name");
	const char *type = cli_arg(x, "type");
	struct qos_class_map *c = hashmap_get(&q->cmaps, name);
	struct strbuf where = STRBUF_INIT;

	if (strcmp(name, QOS_CLASS_DEFAULT) == 0)
		return cli_error(x, "class-default is predefined and cannot be configured");
	if (x->is_no) {
		if (!c)
			return cli_error(x, "Class-map %s not configured", name);
		if (qos_cmap_referenced(cfg_of(x), name, &where)) {
			cli_error(x, "Class-map %s is being used by %s", name, sb_str(&where));
			sb_free(&where);
			return CLI_ERR_FAILED;
		}
		qos_cmap_free(hashmap_del(&q->cmaps, name));
		return CLI_OK;
	}
	if (!c) {
		c = xcalloc(1, sizeof(*c));
		c->name = xstrdup(name);
		hashmap_put(&q->cmaps, name, c);
	}
	c->match_any = type && strcmp(type, "match-any") == 0;
	cli_enter(x, CMAP_NODE, name);
	cmap_changed(x, name);
	return CLI_OK;
}

static struct qos_class_map *cur_cmap(struct cli_exec *x)
{
	const char *name = cli_key(x, CMAP_NODE);
	struct qos_class_map *c = qos_cmap_find(cfg_of(x), name);

	if (!c)
		cli_error(x, "Class-map %s no longer exists", name ? name : "?");
	return c;
}

static bool match_equal(const struct qos_match *a, const struct qos_match *b)
{
	if (a->kind != b->kind)
		return false;
	switch (a->kind) {
	case QOS_MATCH_ANY:
		return true;
	case QOS_MATCH_PROTOCOL:
		return a->proto == b->proto;
	case QOS_MATCH_DSCP:
		return a->ndscp == b->ndscp && memcmp(a->dscp, b->dscp, a->ndscp) == 0;
	case QOS_MATCH_ACCESS_GROUP:
		return a->acl_named == b->acl_named && strcmp(a->acl, b->acl) == 0;
	}
	return false;
}

static int cmap_set_match(struct cli_exec *x, struct qos_match *m)
{
	struct qos_class_map *c = cur_cmap(x);
	size_t i;

	if (!c) {
		free(m->acl);
		return CLI_ERR_FAILED;
	}
	for (i = 0; i < c->n; i++)
		if (match_equal(&c->m[i], m))
			break;
	if (x->is_no) {
		free(m->acl);
		if (i == c->n)
			return cli_error(x, "Match statement not found in class-map %s", c->name);
		free(c->m[i].acl);
		memmove(&c->m[i], &c->m[i + 1], (c->n - i - 1) * sizeof(*c->m));
		c->n--;
	} else if (i < c->n) {
		free(m->acl); /* already there */
	} else {
		xgrow(&c->m, &c->cap, c->n + 1, sizeof(*c->m));
		c->m[c->n++] = *m;
	}
	cmap_changed(x, c->name);
	return CLI_OK;
}

static int cmd_match_protocol(struct cli_exec *x)
{
	struct qos_match m = { .kind = QOS_MATCH_PROTOCOL };
	const char *p = cli_arg(x, "proto");

	for (enum qos_proto i = QOS_PROTO_IP; i <= QOS_PROTO_ICMP; i++)
		if (strcmp(p, qos_proto_name(i)) == 0)
			m.proto = i;
	return cmap_set_match(x, &m);
}

static int cmd_match_dscp(struct cli_exec *x)
{
	struct qos_match m = { .kind = QOS_MATCH_DSCP };
	static const char *const names[] = { "d1", "d2", "d3", "d4", "d5", "d6", "d7", "d8" };

	for (size_t i = 0; i < ARRAY_SIZE(names); i++) {
		const char *w = cli_arg(x, names[i]);
		if (!w)
			break;
		int v = qos_dscp_parse(w);
		if (v < 0)
			return cli_error(x, "Invalid DSCP value %s: a number 0-63 or a name "
					    "(default, ef, af11-af43, cs1-cs7)",
					 w);
		m.dscp[m.ndscp++] = (uint8_t)v;
	}
	return cmap_set_match(x, &m);
}

static int cmd_match_acl(struct cli_exec *x)
{
	struct qos_match m = { .kind = QOS_MATCH_ACCESS_GROUP };

	if (cli_opt(x, "aname")) { /* the name form */
		m.acl = xstrdup(cli_arg(x, "aname"));
		m.acl_named = true;
	} else {
		m.acl = xstrdup(cli_arg(x, "num"));
	}
	return cmap_set_match(x, &m);
}

static int cmd_match_any(struct cli_exec *x)
{
	struct qos_match m = { .kind = QOS_MATCH_ANY };

	return cmap_set_match(x, &m);
}

static int cmd_cmap_description(struct cli_exec *x)
{
	struct qos_class_map *c = cur_cmap(x);

	if (!c)
		return CLI_ERR_FAILED;
	free(c->description);
	c->description = x->is_no ? NULL : xstrdup(cli_arg(x, "text"));
	return CLI_OK;
}

/* ---- policy-map -------------------------------------------------------------------- */

static int cmd_policy_map(struct cli_exec *x)
{
	struct qos_cfg *q = qos_model_rw(cfg_of(x));
	const char *name = cli_arg(x, "name");
	struct qos_policy_map *p = hashmap_get(&q->pmaps, name);
	struct strbuf where = STRBUF_INIT;

	if (x->is_no) {
		if (!p)
			return cli_error(x, "Policy-map %s not configured", name);
		if (qos_policy_referenced(cfg_of(x), name, &where) ||
		    qos_policy_used_by_vpnsip(cfg_of(x), name)) {
			cli_error(x, "Policy-map %s is being used%s%s", name,
				  where.len ? " by " : " by VPN-SIP", sb_str(&where));
			sb_free(&where);
			return CLI_ERR_FAILED;
		}
		qos_pmap_free(hashmap_del(&q->pmaps, name));
		return CLI_OK;
	}
	if (!p) {
		p = xcalloc(1, sizeof(*p));
		p->name = xstrdup(name);
		hashmap_put(&q->pmaps, name, p);
	}
	cli_enter(x, PMAP_NODE, name);
	return CLI_OK;
}

static struct qos_policy_map *cur_pmap(struct cli_exec *x)
{
	const char *name = cli_key(x, PMAP_NODE);
	struct qos_policy_map *p = qos_pmap_find(cfg_of(x), name);

	if (!p)
		cli_error(x, "Policy-map %s no longer exists", name ? name : "?");
	return p;
}

static int cmd_pmap_description(struct cli_exec *x)
{
	struct qos_policy_map *p = cur_pmap(x);

	if (!p)
		return CLI_ERR_FAILED;
	free(p->description);
	p->description = x->is_no ? NULL : xstrdup(cli_arg(x, "text"));
	return CLI_OK;
}

static int cmd_pmap_class(struct cli_exec *x)
{
	struct qos_policy_map *p = cur_pmap(x);
	const char *name = cli_arg(x, "name");
	struct qos_pclass *pc;
	size_t i;

	if (!p)
		return CLI_ERR_FAILED;
	pc = qos_pclass_find(p, name);
	if (x->is_no) {
		if (!pc)
			return cli_error(x, "Class %s is not in policy-map %s", name, p->name);
		for (i = 0; p->c[i] != pc; i++)
			;
		memmove(&p->c[i], &p->c[i + 1], (p->n - i - 1) * sizeof(*p->c));
		p->n--;
		qos_pclass_free(pc);
		model_changed(x, p->name);
		return CLI_OK;
	}
	if (!pc) {
		bool is_default = strcmp(name, QOS_CLASS_DEFAULT) == 0;
		if (!is_default && !qos_cmap_find(cfg_of(x), name))
			return cli_error(x, "class-map %s not configured", name);
		pc = xcalloc(1, sizeof(*pc));
		pc->name = xstrdup(name);
		pc->set_dscp = -1;
		xgrow(&p->c, &p->cap, p->n + 1, sizeof(*p->c));
		/* class-default stays last, as IOS lists it */
		i = p->n;
		if (!is_default && p->n && strcmp(p->c[p->n - 1]->name, QOS_CLASS_DEFAULT) == 0)
			i = p->n - 1;
		memmove(&p->c[i + 1], &p->c[i], (p->n - i) * sizeof(*p->c));
		p->c[i] = pc;
		p->n++;
		model_changed(x, p->name);
	}
	cli_enter(x, PMAPC_NODE, name);
	return CLI_OK;
}

static struct qos_pclass *cur_pclass(struct cli_exec *x, struct qos_policy_map **pp)
{
	struct qos_policy_map *p = cur_pmap(x);
	const char *name = cli_key(x, PMAPC_NODE);
	struct qos_pclass *pc = p && name ? qos_pclass_find(p, name) : NULL;

	if (p && !pc)
		cli_error(x, "Class %s is no longer in policy-map %s", name ? name : "?", p->name);
	*pp = p;
	return pc;
}

static unsigned sum_percent(const struct qos_policy_map *p, const struct qos_pclass *except)
{
	unsigned sum = 0;

	for (size_t i = 0; i < p->n; i++) {
		const struct qos_pclass *pc = p->c[i];
		if (pc == except)
			continue;
		if (pc->priority)
			sum += pc->priority_percent;
		else if (pc->bw_kind == QOS_BW_PERCENT)
			sum += pc->bw;
	}
	return sum;
}

static unsigned sum_remaining(const struct qos_policy_map *p, const struct qos_pclass *except)
{
	unsigned sum = 0;

	for (size_t i = 0; i < p->n; i++)
		if (p->c[i] != except && p->c[i]->bw_kind == QOS_BW_REMAINING)
			sum += p->c[i]->bw;
	return sum;
}

static int cmd_priority(struct cli_exec *x)
{
	struct qos_policy_map *p;
	struct qos_pclass *pc = cur_pclass(x, &p);

	if (!pc)
		return CLI_ERR_FAILED;
	if (x->is_no) {
		pc->priority = false;
		pc->priority_kbps = pc->priority_percent = 0;
		model_changed(x, p->name);
		return CLI_OK;
	}
	if (pc->bw_kind != QOS_BW_NONE)
		return cli_error(x, "Cannot configure priority and bandwidth in the same class; "
				    "remove bandwidth first");
	if (strcmp(pc->name, QOS_CLASS_DEFAULT) == 0)
		return cli_error(x, "priority is not allowed in class-default");
	unsigned kbps = (unsigned)cli_arg_long(x, "kbps", 0);
	unsigned percent = (unsigned)cli_arg_long(x, "pct", 0);
	if (kbps && qos_policy_used_by_vpnsip(cfg_of(x), p->name))
		return cli_error(x, "priority in kbps is not supported in policy-map %s, used by "
				    "VPN-SIP: %s",
				 p->name, "the bandwidth of a VPN-SIP session varies depending on the "
					  "negotiation with the peer router; use priority percent");
	if (percent && sum_percent(p, pc) + percent > 100)
		return cli_error(x, "Sum of priority and bandwidth percentages in policy-map %s "
				    "would exceed 100%% (%u%%)",
				 p->name, sum_percent(p, pc) + percent);
	pc->priority = true;
	pc->priority_kbps = kbps;
	pc->priority_percent = percent;
	model_changed(x, p->name);
	return CLI_OK;
}

static int cmd_bandwidth(struct cli_exec *x)
{
	struct qos_policy_map *p;
	struct qos_pclass *pc = cur_pclass(x, &p);
	enum qos_bw_kind kind;
	unsigned v;

	if (!pc)
		return CLI_ERR_FAILED;
	if (x->is_no) {
		pc->bw_kind = QOS_BW_NONE;
		pc->bw = 0;
		model_changed(x, p->name);
		return CLI_OK;
	}
	if (pc->priority)
		return cli_error(x, "Cannot configure priority and bandwidth in the same class; "
				    "remove priority first");
	if (cli_has(x, "rpct")) {
		kind = QOS_BW_REMAINING;
		v = (unsigned)cli_arg_long(x, "rpct", 0);
	} else if (cli_has(x, "pct")) {
		kind = QOS_BW_PERCENT;
		v = (unsigned)cli_arg_long(x, "pct", 0);
	} else {
		kind = QOS_BW_KBPS;
		v = (unsigned)cli_arg_long(x, "kbps", 0);
	}
	if (kind == QOS_BW_KBPS && qos_policy_used_by_vpnsip(cfg_of(x), p->name))
		return cli_error(x, "bandwidth in kbps is not supported in policy-map %s, used by "
				    "VPN-SIP: %s",
				 p->name, ABS_BW_REASON);
	if (kind == QOS_BW_PERCENT && sum_percent(p, pc) + v > 100)
		return cli_error(x, "Sum of priority and bandwidth percentages in policy-map %s "
				    "would exceed 100%% (%u%%)",
				 p->name, sum_percent(p, pc) + v);
	if (kind == QOS_BW_REMAINING && sum_remaining(p, pc) + v > 100)
		return cli_error(x, "Sum of bandwidth remaining percentages in policy-map %s "
				    "would exceed 100%% (%u%%)",
				 p->name, sum_remaining(p, pc) + v);
	pc->bw_kind = kind;
	pc->bw = v;
	model_changed(x, p->name);
	return CLI_OK;
}

static int cmd_queue_limit(struct cli_exec *x)
{
	struct qos_policy_map *p;
	struct qos_pclass *pc = cur_pclass(x, &p);

	if (!pc)
		return CLI_ERR_FAILED;
	pc->queue_limit = x->is_no ? 0 : (unsigned)cli_arg_long(x, "n", 0);
	model_changed(x, p->name);
	return CLI_OK;
}

static int cmd_set_dscp(struct cli_exec *x)
{
	struct qos_policy_map *p;
	struct qos_pclass *pc = cur_pclass(x, &p);

	if (!pc)
		return CLI_ERR_FAILED;
	if (x->is_no) {
		pc->set_dscp = -1;
	} else {
		int v = qos_dscp_parse(cli_arg(x, "value"));
		if (v < 0)
			return cli_error(x, "Invalid DSCP value %s: a number 0-63 or a name "
					    "(default, ef, af11-af43, cs1-cs7)",
					 cli_arg(x, "value"));
		pc->set_dscp = v;
	}
	model_changed(x, p->name);
	return CLI_OK;
}

static int cmd_shape(struct cli_exec *x)
{
	struct qos_policy_map *p;
	struct qos_pclass *pc = cur_pclass(x, &p);

	if (!pc)
		return CLI_ERR_FAILED;
	pc->shape_bps = x->is_no ? 0 : (uint64_t)cli_arg_long(x, "bps", 0);
	model_changed(x, p->name);
	return CLI_OK;
}

static int cmd_class_service_policy(struct cli_exec *x)
{
	struct qos_policy_map *p;
	struct qos_pclass *pc = cur_pclass(x, &p);
	const char *child = cli_arg(x, "child");
	const struct qos_policy_map *cp;

	if (!pc)
		return CLI_ERR_FAILED;
	if (x->is_no) {
		free(pc->service_policy);
		pc->service_policy = NULL;
		model_changed(x, p->name);
		return CLI_OK;
	}
	cp = qos_pmap_find(cfg_of(x), child);
	if (!cp)
		return cli_error(x, "policy map %s not configured", child);
	if (strcmp(child, p->name) == 0)
		return cli_error(x, "A policy-map cannot be its own child");
	for (size_t i = 0; i < cp->n; i++)
		if (cp->c[i]->service_policy)
			return cli_error(x, "Only two levels of policy hierarchy are supported: "
					    "policy-map %s has a child policy itself",
					 child);
	free(pc->service_policy);
	pc->service_policy = xstrdup(child);
	model_changed(x, p->name);
	return CLI_OK;
}

/* ---- interfaces ---------------------------------------------------------------------- */

static struct qos_iface *iface_qos(struct iface_cfg *ifc)
{
	return iface_ext_get_or_create(ifc, &qos_iface_ext_type, sizeof(struct qos_iface));
}

static void iface_qos_tidy(struct iface_cfg *ifc)
{
	struct qos_iface *qi = iface_ext_get(ifc, &qos_iface_ext_type);

	if (qi && !qi->output_policy && !qi->pre_classify)
		iface_ext_drop(ifc, &qos_iface_ext_type);
}

static int cmd_if_service_policy(struct cli_exec *x)
{
	struct iface_cfg *ifc = iface_current(x);
	const char *name = cli_arg(x, "name");
	struct qos_iface *qi;

	if (!ifc)
		return CLI_ERR_FAILED;
	qi = iface_qos(ifc);
	if (x->is_no) {
		if (!qi->output_policy || (name && strcmp(name, qi->output_policy) != 0)) {
			iface_qos_tidy(ifc);
			return cli_error(x, "No output service-policy %s on %s", name ? name : "",
					 ifc->name);
		}
		free(qi->output_policy);
		qi->output_policy = NULL;
	} else {
		if (!qos_pmap_find(cfg_of(x), name)) {
			iface_qos_tidy(ifc);
			return cli_error(x, "policy map %s not configured", name);
		}
		if (qi->output_policy && strcmp(qi->output_policy, name) != 0) {
			iface_qos_tidy(ifc);
			return cli_error(x, "Policy map %s is already attached in the output "
					    "direction; remove it first",
					 qi->output_policy);
		}
		free(qi->output_policy);
		qi->output_policy = xstrdup(name);
		if (hook_call(qos_vpnsip_tunnel, cfg_of(x), ifc))
			cli_out(x, "%% Warning: %s carries VPN-SIP: while this static policy is "
				   "attached, VPN-SIP sessions on it fail\n",
				ifc->name);
	}
	iface_qos_tidy(ifc);
	iface_changed(cfg_of(x), ifc);
	return CLI_OK;
}

static int cmd_if_pre_classify(struct cli_exec *x)
{
	struct iface_cfg *ifc = iface_current(x);

	if (!ifc)
		return CLI_ERR_FAILED;
	if (ifc->kind != IFACE_TUNNEL && !x->is_no)
		return cli_error(x, "qos pre-classify applies to Tunnel interfaces only");
	iface_qos(ifc)->pre_classify = !x->is_no;
	iface_qos_tidy(ifc);
	iface_changed(cfg_of(x), ifc);
	return CLI_OK;
}

/* ---- running-config -------------------------------------------------------------------- */

static void write_cmaps(const struct config *cfg, struct strbuf *out)
{
	size_t n;
	struct qos_class_map **v = qos_cmaps_sorted(cfg, &n);

	for (size_t i = 0; i < n; i++) {
		sb_printf(out, "class-map %s %s\n", v[i]->match_any ? "match-any" : "match-all",
			  v[i]->name);
		if (v[i]->description)
			sb_printf(out, " description %s\n", v[i]->description);
		for (size_t k = 0; k < v[i]->n; k++) {
			sb_puts(out, " match ");
			qos_match_text(&v[i]->m[k], out);
			sb_putc(out, '\n');
		}
		sb_puts(out, "!\n");
	}
	free(v);
}

static void write_pclass(const struct qos_pclass *pc, struct strbuf *out)
{
	char buf[8];

	sb_printf(out, " class %s\n", pc->name);
	if (pc->priority) {
		if (pc->priority_kbps)
			sb_printf(out, "  priority %u\n", pc->priority_kbps);
		else if (pc->priority_percent)
			sb_printf(out, "  priority percent %u\n", pc->priority_percent);
		else
			sb_puts(out, "  priority\n");
	}
	switch (pc->bw_kind) {
	case QOS_BW_KBPS: sb_printf(out, "  bandwidth %u\n", pc->bw); break;
	case QOS_BW_PERCENT: sb_printf(out, "  bandwidth percent %u\n", pc->bw); break;
	case QOS_BW_REMAINING: sb_printf(out, "  bandwidth remaining percent %u\n", pc->bw); break;
	case QOS_BW_NONE: break;
	}
	if (pc->shape_bps)
		sb_printf(out, "  shape average %llu\n", (unsigned long long)pc->shape_bps);
	if (pc->queue_limit)
		sb_printf(out, "  queue-limit %u packets\n", pc->queue_limit);
	if (pc->set_dscp >= 0)
		sb_printf(out, "  set dscp %s\n", qos_dscp_name((unsigned)pc->set_dscp, buf, sizeof(buf)));
	/* IOS XE indents the child under shape one step further */
	if (pc->service_policy)
		sb_printf(out, "%s service-policy %s\n", pc->shape_bps ? "  " : " ",
			  pc->service_policy);
}

static void write_pmaps(const struct config *cfg, struct strbuf *out)
{
	size_t n;
	struct qos_policy_map **v = qos_pmaps_sorted(cfg, &n);

	for (size_t i = 0; i < n; i++) {
		sb_printf(out, "policy-map %s\n", v[i]->name);
		if (v[i]->description)
			sb_printf(out, " description %s\n", v[i]->description);
		for (size_t k = 0; k < v[i]->n; k++)
			write_pclass(v[i]->c[k], out);
		sb_puts(out, "!\n");
	}
	free(v);
}

static void write_if_pre_classify(const struct config *cfg, const struct iface_cfg *ifc,
				  struct strbuf *out)
{
	(void)cfg;
	if (qos_iface_pre_classify(ifc))
		sb_puts(out, " qos pre-classify\n");
}

static void write_if_service_policy(const struct config *cfg, const struct iface_cfg *ifc,
				    struct strbuf *out)
{
	const char *p = qos_iface_output_policy(ifc);

	(void)cfg;
	if (p)
		sb_printf(out, " service-policy output %s\n", p);
}

/* ---- command table ----------------------------------------------------------------------- */

#define DSCP_HELP "Differentiated services codepoint value (0-63, ef, afNN, csN, default)"
#define PROTO_HELP                                                             \
	"IP (version 4)\nIPv6\nTransmission Control Protocol\nUser Datagram Protocol\n" \
	"Internet Control Message Protocol"

static const struct cli_cmd qos_cmds[] = {
	{ "config", "class-map [<match-all|match-any>$type] WORD$name",
	  "Configure Class Map\nLogical-AND all matching statements under this classmap\n"
	  "Logical-OR all matching statements under this classmap\nclass-map name",
	  cmd_class_map, 0 },
	{ "config", "no class-map [<match-all|match-any>$type] WORD$name", NO_HELP, cmd_class_map, 0 },
	{ CMAP_NODE, "match protocol <ip|ipv6|tcp|udp|icmp>$proto",
	  "classification criteria\nProtocol\n" PROTO_HELP, cmd_match_protocol, 0 },
	{ CMAP_NODE, "no match protocol <ip|ipv6|tcp|udp|icmp>$proto", NO_HELP, cmd_match_protocol, 0 },
	{ CMAP_NODE,
	  "match dscp WORD$d1 [WORD$d2 [WORD$d3 [WORD$d4 [WORD$d5 [WORD$d6 [WORD$d7 [WORD$d8]]]]]]]",
	  "\nMatch DSCP in IPv4 and IPv6 packets\n" DSCP_HELP "\n" DSCP_HELP "\n" DSCP_HELP
	  "\n" DSCP_HELP "\n" DSCP_HELP "\n" DSCP_HELP "\n" DSCP_HELP "\n" DSCP_HELP,
	  cmd_match_dscp, 0 },
	{ CMAP_NODE,
	  "no match dscp WORD$d1 [WORD$d2 [WORD$d3 [WORD$d4 [WORD$d5 [WORD$d6 [WORD$d7 [WORD$d8]]]]]]]",
	  NO_HELP, cmd_match_dscp, 0 },
	{ CMAP_NODE, "match access-group (1-2799)$num",
	  "\nAccess group\nAccess list index", cmd_match_acl, 0 },
	{ CMAP_NODE, "no match access-group (1-2799)$num", NO_HELP, cmd_match_acl, 0 },
	{ CMAP_NODE, "match access-group name WORD$aname",
	  "\n\nNamed Access List\nAccess List name", cmd_match_acl, 0 },
	{ CMAP_NODE, "no match access-group name WORD$aname", NO_HELP, cmd_match_acl, 0 },
	{ CMAP_NODE, "match any", "\nAny packets", cmd_match_any, 0 },
	{ CMAP_NODE, "no match any", NO_HELP, cmd_match_any, 0 },
	{ CMAP_NODE, "description LINE$text", "Class-Map description\nDescription of this class-map (up to 200 characters)",
	  cmd_cmap_description, 0 },
	{ CMAP_NODE, "no description [LINE]", NO_HELP, cmd_cmap_description, 0 },

	{ "config", "policy-map WORD$name", "Configure QoS Policy Map\npolicy-map name",
	  cmd_policy_map, 0 },
	{ "config", "no policy-map WORD$name", NO_HELP, cmd_policy_map, 0 },
	{ PMAP_NODE, "description LINE$text",
	  "Policy-Map description\nDescription of this policy-map (up to 200 characters)",
	  cmd_pmap_description, 0 },
	{ PMAP_NODE, "no description [LINE]", NO_HELP, cmd_pmap_description, 0 },
	{ PMAP_NODE, "class <class-default|WORD>$name",
	  "policy criteria\nSystem default class matching otherwise unclassified packets\n"
	  "class-map name",
	  cmd_pmap_class, 0 },
	{ PMAP_NODE, "no class <class-default|WORD>$name", NO_HELP, cmd_pmap_class, 0 },

	{ PMAPC_NODE, "priority [(8-10000000)$kbps]",
	  "Strict Scheduling Priority for this Class\nKilo Bits per second", cmd_priority, 0 },
	{ PMAPC_NODE, "priority percent (1-100)$pct",
	  "\n% of total bandwidth\n% of the shaped (negotiated) rate", cmd_priority, 0 },
	{ PMAPC_NODE, "no priority [LINE]", NO_HELP "\n\nArguments", cmd_priority, 0 },
	{ PMAPC_NODE, "bandwidth (8-10000000)$kbps",
	  "Bandwidth\nKilo Bits per second", cmd_bandwidth, 0 },
	{ PMAPC_NODE, "bandwidth percent (1-100)$pct",
	  "\n% of total Bandwidth\nBandwidth percentage", cmd_bandwidth, 0 },
	{ PMAPC_NODE, "bandwidth remaining percent (1-100)$rpct",
	  "\nAllocate remaining bandwidth\n% of the remaining bandwidth\nBandwidth percentage",
	  cmd_bandwidth, 0 },
	{ PMAPC_NODE, "no bandwidth [LINE]", NO_HELP "\n\nArguments", cmd_bandwidth, 0 },
	{ PMAPC_NODE, "queue-limit (1-8192)$n packets",
	  "Queue Max Threshold for Tail Drop\nQueue size\nPackets", cmd_queue_limit, 0 },
	{ PMAPC_NODE, "no queue-limit [LINE]", NO_HELP "\n\nArguments", cmd_queue_limit, 0 },
	{ PMAPC_NODE, "set dscp WORD$value",
	  "Set QoS values\nSet DSCP in IPv4 and IPv6 packets\n" DSCP_HELP, cmd_set_dscp, 0 },
	{ PMAPC_NODE, "no set dscp [WORD]", NO_HELP, cmd_set_dscp, 0 },
	{ PMAPC_NODE, "shape average (8000-100000000000)$bps",
	  "Traffic Shaping\nconfigure token bucket: CIR (bps)\nTarget Bit Rate (bits/sec)",
	  cmd_shape, 0 },
	{ PMAPC_NODE, "no shape average [LINE]", NO_HELP "\n\n\nArguments", cmd_shape, 0 },
	{ PMAPC_NODE, "service-policy WORD$child",
	  "Configure Flow Next\npolicy-map name", cmd_class_service_policy, 0 },
	{ PMAPC_NODE, "no service-policy [WORD$child]", NO_HELP, cmd_class_service_policy, 0 },

	{ "config-if", "service-policy output WORD$name",
	  "Configure CPL Service Policy\nAssign policy-map to the output of an interface\n"
	  "policy-map name",
	  cmd_if_service_policy, 0 },
	{ "config-if", "no service-policy output [WORD$name]", NO_HELP, cmd_if_service_policy, 0 },
	{ "config-if", "qos pre-classify",
	  "Quality of Service related commands\nEnable QOS classification before packets are "
	  "tunnel encapsulated",
	  cmd_if_pre_classify, 0 },
	{ "config-if", "no qos pre-classify", NO_HELP, cmd_if_pre_classify, 0 },
};

void qos_cli_init(void)
{
	qos_debug_register();
	cli_node_register(CMAP_NODE, "(config-cmap)#", "config");
	cli_node_register(PMAP_NODE, "(config-pmap)#", "config");
	cli_node_register(PMAPC_NODE, "(config-pmap-c)#", PMAP_NODE);
	CLI_INSTALL(qos_cmds);
	hook_register(qos_vpnsip_tunnel, vpnsip_is_tunnel, NULL, HOOK_PRIO_DEFAULT);
	hook_register(qos_vpnsip_policy, vpnsip_uses_policy, NULL, HOOK_PRIO_DEFAULT);
	/* IOS lists class maps and policy maps after the PKI, before IKEv2 */
	config_section_register(315, "class-maps", write_cmaps);
	config_section_register(316, "policy-maps", write_pmaps);
	iface_writer_register(110, write_if_pre_classify);
	iface_writer_register(900, write_if_service_policy);
	qos_show_cli_init();
	qos_vpnsip_cli_init();
}
