/* The QoS model: class maps, policy maps, per-interface settings, the
 * plan a policy becomes in tc, and the user-space class matcher. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/acl.h"
#include "qos/qos_int.h"

/* ---- model ------------------------------------------------------------------------ */

void qos_cmap_free(struct qos_class_map *c)
{
	if (!c)
		return;
	for (size_t i = 0; i < c->n; i++)
		free(c->m[i].acl);
	free(c->m);
	free(c->name);
	free(c->description);
	free(c);
}

void qos_pclass_free(struct qos_pclass *pc)
{
	if (!pc)
		return;
	free(pc->name);
	free(pc->service_policy);
	free(pc);
}

void qos_pmap_free(struct qos_policy_map *p)
{
	if (!p)
		return;
	for (size_t i = 0; i < p->n; i++)
		qos_pclass_free(p->c[i]);
	free(p->c);
	free(p->name);
	free(p->description);
	free(p);
}

static void qos_cfg_free(void *ext)
{
	struct qos_cfg *q = ext;

	qos_attachments_drop_model(q);
	for (struct hashmap_entry *e = NULL; (e = hashmap_next(&q->cmaps, e));)
		qos_cmap_free(e->value);
	for (struct hashmap_entry *e = NULL; (e = hashmap_next(&q->pmaps, e));)
		qos_pmap_free(e->value);
	hashmap_clear(&q->cmaps);
	hashmap_clear(&q->pmaps);
	free(q);
}

const struct config_ext_type qos_ext_type = { .name = "qos", .free = qos_cfg_free };

static void qos_iface_free(void *ext)
{
	struct qos_iface *qi = ext;

	free(qi->output_policy);
	free(qi);
}

const struct iface_ext_type qos_iface_ext_type = { "qos", qos_iface_free };

struct qos_cfg *qos_model(const struct config *cfg)
{
	return config_ext_get(cfg, &qos_ext_type);
}

struct qos_cfg *qos_model_rw(struct config *cfg)
{
	struct qos_cfg *q = config_ext_get(cfg, &qos_ext_type);

	if (!q) {
		q = config_ext_get_or_create(cfg, &qos_ext_type, sizeof(*q));
		hashmap_init(&q->cmaps, false);
		hashmap_init(&q->pmaps, false);
	}
	return q;
}

struct qos_class_map *qos_cmap_find(const struct config *cfg, const char *name)
{
	const struct qos_cfg *q = qos_model(cfg);

	return q && name ? hashmap_get(&q->cmaps, name) : NULL;
}

struct qos_policy_map *qos_pmap_find(const struct config *cfg, const char *name)
{
	const struct qos_cfg *q = qos_model(cfg);

	return q && name ? hashmap_get(&q->pmaps, name) : NULL;
}

struct qos_pclass *qos_pclass_find(const struct qos_policy_map *p, const char *name)
{
	for (size_t i = 0; p && i < p->n; i++)
		if (strcmp(p->c[i]->name, name) == 0)
			return p->c[i];
	return NULL;
}

static int by_cmap_name(const void *a, const void *b)
{
	return strcmp((*(struct qos_class_map *const *)a)->name,
		      (*(struct qos_class_map *const *)b)->name);
}

static int by_pmap_name(const void *a, const void *b)
{
	return strcmp((*(struct qos_policy_map *const *)a)->name,
		      (*(struct qos_policy_map *const *)b)->name);
}

struct qos_class_map **qos_cmaps_sorted(const struct config *cfg, size_t *n)
{
	const struct qos_cfg *q = qos_model(cfg);
	struct qos_class_map **v;

	*n = 0;
	if (!q || !q->cmaps.count)
		return NULL;
	v = (struct qos_class_map **)hashmap_values(&q->cmaps, n);
	qsort(v, *n, sizeof(*v), by_cmap_name);
	return v;
}

struct qos_policy_map **qos_pmaps_sorted(const struct config *cfg, size_t *n)
{
	const struct qos_cfg *q = qos_model(cfg);
	struct qos_policy_map **v;

	*n = 0;
	if (!q || !q->pmaps.count)
		return NULL;
	v = (struct qos_policy_map **)hashmap_values(&q->pmaps, n);
	qsort(v, *n, sizeof(*v), by_pmap_name);
	return v;
}

const char *qos_iface_output_policy(const struct iface_cfg *ifc)
{
	const struct qos_iface *qi = ifc ? iface_ext_get(ifc, &qos_iface_ext_type) : NULL;

	return qi ? qi->output_policy : NULL;
}

bool qos_iface_pre_classify(const struct iface_cfg *ifc)
{
	const struct qos_iface *qi = ifc ? iface_ext_get(ifc, &qos_iface_ext_type) : NULL;

	return qi && qi->pre_classify;
}

/* ---- names ----------------------------------------------------------------------- */

static const struct {
	const char *name;
	unsigned v;
} dscp_names[] = {
	{ "default", 0 }, { "cs1", 8 },   { "af11", 10 }, { "af12", 12 }, { "af13", 14 },
	{ "cs2", 16 },    { "af21", 18 }, { "af22", 20 }, { "af23", 22 }, { "cs3", 24 },
	{ "af31", 26 },   { "af32", 28 }, { "af33", 30 }, { "cs4", 32 },  { "af41", 34 },
	{ "af42", 36 },   { "af43", 38 }, { "cs5", 40 },  { "ef", 46 },   { "cs6", 48 },
	{ "cs7", 56 },
};

const char *qos_dscp_name(unsigned dscp, char *buf, size_t len)
{
	for (size_t i = 0; i < ARRAY_SIZE(dscp_names); i++)
		if (dscp_names[i].v == dscp)
			return dscp_names[i].name;
	snprintf(buf, len, "%u", dscp);
	return buf;
}

int qos_dscp_parse(const char *w)
{
	char *end;
	long v;

	for (size_t i = 0; i < ARRAY_SIZE(dscp_names); i++)
		if (strcasecmp(dscp_names[i].name, w) == 0)
			return (int)dscp_names[i].v;
	v = strtol(w, &end, 10);
	if (!*w || *end || v < 0 || v > 63)
		return -1;
	return (int)v;
}

const char *qos_proto_name(enum qos_proto p)
{
	static const char *const names[] = { "ip", "ipv6", "tcp", "udp", "icmp" };

	return names[p];
}

void qos_match_text(const struct qos_match *m, struct strbuf *out)
{
	char buf[8];

	switch (m->kind) {
	case QOS_MATCH_ANY:
		sb_puts(out, "any");
		break;
	case QOS_MATCH_PROTOCOL:
		sb_printf(out, "protocol %s", qos_proto_name(m->proto));
		break;
	case QOS_MATCH_DSCP:
		sb_puts(out, "dscp");
		for (unsigned i = 0; i < m->ndscp; i++)
			sb_printf(out, " %s", qos_dscp_name(m->dscp[i], buf, sizeof(buf)));
		break;
	case QOS_MATCH_ACCESS_GROUP:
		sb_printf(out, "access-group %s%s", m->acl_named ? "name " : "", m->acl);
		break;
	}
}

/* ---- references ---------------------------------------------------------------------- */

bool qos_policy_has_absolute_bw(const struct config *cfg, const struct qos_policy_map *p,
				int depth)
{
	if (!p || depth > 4)
		return false;
	for (size_t i = 0; i < p->n; i++) {
		if (p->c[i]->bw_kind == QOS_BW_KBPS || p->c[i]->priority_kbps)
			return true;
		if (p->c[i]->service_policy &&
		    qos_policy_has_absolute_bw(cfg, qos_pmap_find(cfg, p->c[i]->service_policy),
					       depth + 1))
			return true;
	}
	return false;
}

bool qos_policy_referenced(const struct config *cfg, const char *name, struct strbuf *where)
{
	const struct qos_cfg *q = qos_model(cfg);
	size_t n;
	struct iface_cfg **ifs = iface_sorted(&cfg->ifaces, &n);
	bool found = false;

	for (size_t i = 0; i < n && !found; i++) {
		const char *pol = qos_iface_output_policy(ifs[i]);
		if (pol && strcmp(pol, name) == 0) {
			sb_printf(where, "interface %s", ifs[i]->name);
			found = true;
		}
	}
	free(ifs);
	for (struct hashmap_entry *e = NULL; q && !found && (e = hashmap_next(&q->pmaps, e));) {
		const struct qos_policy_map *p = e->value;
		for (size_t i = 0; i < p->n && !found; i++)
			if (p->c[i]->service_policy && strcmp(p->c[i]->service_policy, name) == 0) {
				sb_printf(where, "policy-map %s", p->name);
				found = true;
			}
	}
	return found;
}

bool qos_cmap_referenced(const struct config *cfg, const char *name, struct strbuf *where)
{
	const struct qos_cfg *q = qos_model(cfg);

	for (struct hashmap_entry *e = NULL; q && (e = hashmap_next(&q->pmaps, e));) {
		const struct qos_policy_map *p = e->value;
		if (qos_pclass_find(p, name)) {
			sb_printf(where, "policy-map %s", p->name);
			return true;
		}
	}
	return false;
}

/* ---- the plan --------------------------------------------------------------------------- */

static uint64_t pct(uint64_t bps, unsigned percent)
{
	return bps * percent / 100;
}

uint64_t qos_pclass_rate_bps(const struct qos_pclass *pc, uint64_t root_bps, uint64_t remaining)
{
	if (pc->priority) {
		if (pc->priority_kbps)
			return (uint64_t)pc->priority_kbps * 1000;
		if (pc->priority_percent)
			return pct(root_bps, pc->priority_percent);
		return 0;
	}
	switch (pc->bw_kind) {
	case QOS_BW_KBPS:
		return (uint64_t)pc->bw * 1000;
	case QOS_BW_PERCENT:
		return pct(root_bps, pc->bw);
	case QOS_BW_REMAINING:
		return pct(remaining, pc->bw);
	case QOS_BW_NONE:
		break;
	}
	return 0;
}

void qos_plan_free(struct qos_plan *plan)
{
	for (size_t i = 0; i < plan->nleaves; i++)
		free(plan->leaves[i].name);
	free(plan->leaves);
	memset(plan, 0, sizeof(*plan));
}

/* Each leaf gets a guaranteed rate (HTB rate) and may borrow up to the
 * root rate (ceil) or its own shape.  Priority classes borrow first (HTB
 * prio 0): with every class busy each one gets exactly its rate, which is
 * what LLQ's policer and CBWFQ's weights give on IOS; idle bandwidth goes
 * to the priority classes, then in proportion to the rates. */
bool qos_plan_build(const struct config *cfg, const struct qos_policy_map *p, uint64_t root_bps,
		    struct qos_plan *plan, char *err, size_t errlen)
{
	uint64_t fixed = 0, remaining, used_remaining = 0, floor_bps;
	size_t n = p ? p->n : 0;
	bool has_default = p && qos_pclass_find(p, QOS_CLASS_DEFAULT);

	memset(plan, 0, sizeof(*plan));
	plan->root_bps = root_bps;
	plan->leaf_policy = p;
	plan->leaves = xcalloc(n + 1, sizeof(*plan->leaves));
	for (size_t i = 0; i < n; i++) {
		const struct qos_pclass *pc = p->c[i];
		if (pc->service_policy) {
			snprintf(err, errlen,
				 "policy-map %s class %s: a child service-policy is supported under "
				 "class-default of a shaping parent only",
				 p->name, pc->name);
			qos_plan_free(plan);
			return false;
		}
		if (pc->bw_kind != QOS_BW_REMAINING)
			fixed += qos_pclass_rate_bps(pc, root_bps, 0);
	}
	if (fixed > root_bps) {
		snprintf(err, errlen,
			 "policy-map %s: guaranteed bandwidth %llu kbps exceeds the rate %llu kbps",
			 p->name, (unsigned long long)(fixed / 1000),
			 (unsigned long long)(root_bps / 1000));
		qos_plan_free(plan);
		return false;
	}
	remaining = root_bps - fixed;
	floor_bps = root_bps / 100 > 8000 ? root_bps / 100 : 8000;
	for (size_t i = 0; i < n; i++) {
		const struct qos_pclass *pc = p->c[i];
		struct qos_leaf *l = &plan->leaves[plan->nleaves++];
		l->name = xstrdup(pc->name);
		l->minor = 0x10 + (uint32_t)i;
		l->rate_bps = qos_pclass_rate_bps(pc, root_bps, remaining);
		if (pc->bw_kind == QOS_BW_REMAINING)
			used_remaining += l->rate_bps;
		l->prio = pc->priority ? 0 : strcmp(pc->name, QOS_CLASS_DEFAULT) == 0 ? 2 : 1;
		l->ceil_bps = pc->shape_bps && pc->shape_bps < root_bps ? pc->shape_bps : root_bps;
		l->limit = pc->queue_limit ? pc->queue_limit : QOS_QUEUE_LIMIT_DEFAULT;
		l->set_dscp = pc->set_dscp;
	}
	if (!has_default) {
		struct qos_leaf *l = &plan->leaves[plan->nleaves++];
		l->name = xstrdup(QOS_CLASS_DEFAULT);
		l->minor = 0x10 + (uint32_t)n;
		l->prio = 2;
		l->ceil_bps = root_bps;
		l->limit = QOS_QUEUE_LIMIT_DEFAULT;
		l->set_dscp = -1;
	}
	/* Classes without a rate of their own (class-default, plain
	 * priority) share what is left, never less than the floor. */
	for (size_t i = 0; i < plan->nleaves; i++) {
		struct qos_leaf *l = &plan->leaves[i];
		if (l->rate_bps)
			continue;
		uint64_t left = remaining > used_remaining ? remaining - used_remaining : 0;
		l->rate_bps = left > floor_bps ? left : floor_bps;
		used_remaining += l->rate_bps;
	}
	for (size_t i = 0; i < plan->nleaves; i++) {
		struct qos_leaf *l = &plan->leaves[i];
		if (l->rate_bps < 8000)
			l->rate_bps = 8000;
		if (l->ceil_bps < l->rate_bps)
			l->ceil_bps = l->rate_bps;
	}
	(void)cfg;
	return true;
}

/* ---- what a class map allows (u32 filters, nftables rules) ----------------------------------- */

void qos_match_set_narrow(struct qos_match_set *s, const struct qos_match *m)
{
	switch (m->kind) {
	case QOS_MATCH_ANY:
		break;
	case QOS_MATCH_PROTOCOL:
		switch (m->proto) {
		case QOS_PROTO_IP: s->v6 = false; break;
		case QOS_PROTO_IPV6: s->v4 = false; break;
		case QOS_PROTO_TCP: s->none |= s->l4 >= 0 && s->l4 != 6; s->l4 = 6; break;
		case QOS_PROTO_UDP: s->none |= s->l4 >= 0 && s->l4 != 17; s->l4 = 17; break;
		case QOS_PROTO_ICMP: s->none |= s->l4 >= 0 && s->l4 != 1; s->l4 = 1; break;
		}
		break;
	case QOS_MATCH_DSCP:
		if (!s->ndscp) {
			memcpy(s->dscp, m->dscp, m->ndscp);
			s->ndscp = m->ndscp;
		} else { /* AND of two lists: the values in both */
			unsigned k = 0;
			for (unsigned i = 0; i < s->ndscp; i++)
				for (unsigned j = 0; j < m->ndscp; j++)
					if (s->dscp[i] == m->dscp[j])
						s->dscp[k++] = s->dscp[i];
			s->ndscp = k;
			s->none |= !k;
		}
		break;
	case QOS_MATCH_ACCESS_GROUP:
		s->v6 = false; /* IPv4 access lists */
		break;
	}
}

/* ---- user-space matching (outer DSCP) ------------------------------------------------------ */

static bool match_one(const struct qos_match *m, const struct config *cfg, const uint8_t *pkt,
		      size_t len)
{
	unsigned ver = len ? pkt[0] >> 4 : 0, proto, dscp;

	if (ver == 4 && len >= 20) {
		proto = pkt[9];
		dscp = pkt[1] >> 2;
	} else if (ver == 6 && len >= 40) {
		proto = pkt[6];
		dscp = ((pkt[0] & 0x0f) << 2) | (pkt[1] >> 6);
	} else {
		return m->kind == QOS_MATCH_ANY;
	}
	switch (m->kind) {
	case QOS_MATCH_ANY:
		return true;
	case QOS_MATCH_PROTOCOL:
		switch (m->proto) {
		case QOS_PROTO_IP: return ver == 4;
		case QOS_PROTO_IPV6: return ver == 6;
		case QOS_PROTO_TCP: return proto == 6;
		case QOS_PROTO_UDP: return proto == 17;
		case QOS_PROTO_ICMP: return ver == 4 ? proto == 1 : proto == 58;
		}
		return false;
	case QOS_MATCH_DSCP:
		for (unsigned i = 0; i < m->ndscp; i++)
			if (m->dscp[i] == dscp)
				return true;
		return false;
	case QOS_MATCH_ACCESS_GROUP:
		return acl_permits(m->acl_copy ? m->acl_copy : cfg ? acl_find(cfg, m->acl) : NULL, pkt,
				   len);
	}
	return false;
}

bool qos_cmap_matches(const struct qos_class_map *cm, const struct config *cfg,
		      const uint8_t *pkt, size_t len)
{
	if (!cm || !cm->n)
		return false;
	for (size_t i = 0; i < cm->n; i++) {
		bool hit = match_one(&cm->m[i], cfg, pkt, len);
		if (cm->match_any && hit)
			return true;
		if (!cm->match_any && !hit)
			return false;
	}
	return !cm->match_any;
}

unsigned qos_esp_outer_len(const struct qos_esp_overhead *esp, unsigned inner_len)
{
	unsigned block, body;

	if (!esp)
		return inner_len;
	block = esp->block_size < 4 ? 4 : esp->block_size;
	body = (inner_len + 2 + block - 1) / block * block;
	return esp->fixed_bytes + esp->iv_len + body + esp->icv_len;
}
