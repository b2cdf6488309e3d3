/* "match access-group" in class maps, classified in nftables.
 *
 * An IOS access list is first-match with deny entries: a packet that hits
 * a deny is not in the class and goes on to the next class.  u32 has no
 * verdict for "leave this class, go on with the next one", and this
 * kernel has no tc actions (no goto chain), so access lists cannot become
 * u32 filters.  A policy whose classes use an access list is therefore
 * classified whole in nftables instead: a postrouting chain per device
 * (after source NAT, as the u32 filters see the packet) walks the classes
 * in policy order and sets the packet's priority to its HTB class
 * (1:minor), which HTB takes before any filter.  Such an attachment gets
 * no u32 filters, so the class order stays the policy's.
 *
 * The table (inet vpnsip_qos) is replaced whole in one nft transaction
 * whenever an attachment is installed or removed or an access list
 * changes: configuration events, not per packet. */
#include <nftables/libnftables.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "acl/acl.h"
#include "qos/qos_int.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

#define QOS_NFT_TABLE "vpnsip_qos"

bool qos_cmap_uses_acl(const struct qos_class_map *cm)
{
	for (size_t i = 0; cm && i < cm->n; i++)
		if (cm->m[i].kind == QOS_MATCH_ACCESS_GROUP)
			return true;
	return false;
}

bool qos_plan_uses_acl(const struct config *cfg, const struct qos_plan *plan)
{
	for (size_t i = 0; i < plan->nleaves; i++)
		if (qos_cmap_uses_acl(qos_cmap_find(cfg, plan->leaves[i].name)))
			return true;
	return false;
}

/* One AND-group: what its protocol and DSCP matches allow, and its
 * access lists in order. */
struct group {
	struct qos_match_set s;
	const struct acl **acl;
	size_t nacl, capacl;
};

static void group_add(const struct config *cfg, struct group *g, const struct qos_match *m)
{
	qos_match_set_narrow(&g->s, m);
	if (m->kind != QOS_MATCH_ACCESS_GROUP)
		return;
	/* one that is not configured matches nothing (show policy-map
	 * interface says so) */
	const struct acl *a = acl_find(cfg, m->acl);
	if (!a) {
		g->s.none = true;
		return;
	}
	xgrow(&g->acl, &g->capacl, g->nacl + 1, sizeof(*g->acl));
	g->acl[g->nacl++] = a;
}

/* The rules of one AND-group into chain (body), its access lists as
 * chains of their own (named prefix_aK) into extra. */
static void group_rules(const struct group *g, const char *verdict, const char *prefix,
			struct strbuf *body, struct strbuf *extra)
{
	if (g->s.none)
		return;
	for (int v6 = 0; v6 <= 1; v6++) {
		if ((v6 && !g->s.v6) || (!v6 && !g->s.v4))
			continue;
		sb_printf(body, "\t\tmeta nfproto %s", v6 ? "ipv6" : "ipv4");
		if (g->s.l4 >= 0)
			sb_printf(body, " meta l4proto %d", g->s.l4 == 1 && v6 ? 58 : g->s.l4);
		if (g->s.ndscp) {
			sb_printf(body, " %s dscp {", v6 ? "ip6" : "ip");
			for (unsigned i = 0; i < g->s.ndscp; i++)
				sb_printf(body, "%s %u", i ? "," : "", g->s.dscp[i]);
			sb_puts(body, " }");
		}
		if (g->nacl)
			sb_printf(body, " jump %s_a0\n", prefix);
		else
			sb_printf(body, " %s\n", verdict);
	}
	/* Each access list in turn: a deny leaves the class (back to the
	 * next rule of the class chain, which cannot match either); a permit
	 * goes on to the next list, the last one to the verdict. */
	for (size_t k = 0; k < g->nacl; k++) {
		sb_printf(extra, "\tchain %s_a%zu {\n", prefix, k);
		for (size_t i = 0; i < g->acl[k]->n; i++) {
			const struct acl_entry *e = &g->acl[k]->v[i];
			if (e->remark)
				continue;
			sb_puts(extra, "\t\t");
			struct strbuf m = STRBUF_INIT;
			acl_entry_nft(e, &m);
			sb_puts(extra, sb_str(&m)[0] == ' ' ? sb_str(&m) + 1 : sb_str(&m));
			sb_free(&m);
			if (!e->permit)
				sb_puts(extra, " return\n");
			else if (k + 1 < g->nacl)
				sb_printf(extra, " jump %s_a%zu\n", prefix, k + 1);
			else
				sb_printf(extra, " %s\n", verdict);
		}
		sb_puts(extra, "\t}\n");
	}
}

void qos_classify_nft_text(const struct config *cfg, const struct qos_classify_dev *d, size_t n,
			   struct strbuf *out)
{
	struct strbuf post = STRBUF_INIT, chains = STRBUF_INIT;

	/* replaced whole: created if missing, so that the delete never fails */
	sb_printf(out, "table inet %s {}\ndelete table inet %s\n", QOS_NFT_TABLE, QOS_NFT_TABLE);
	if (!n) {
		sb_free(&post);
		sb_free(&chains);
		return;
	}
	for (size_t i = 0; i < n; i++) {
		const struct qos_plan *pl = d[i].plan;
		sb_printf(&post, "\t\toifname \"%s\" jump d%zu\n", d[i].dev, i);
		struct strbuf body = STRBUF_INIT, extra = STRBUF_INIT;
		for (size_t c = 0; c < pl->nleaves; c++) {
			const struct qos_leaf *l = &pl->leaves[c];
			const struct qos_class_map *cm = qos_cmap_find(cfg, l->name);
			char verdict[48], prefix[96];
			if (!cm || !cm->n || strcmp(l->name, QOS_CLASS_DEFAULT) == 0)
				continue;
			snprintf(verdict, sizeof(verdict), "meta priority set 1:%x accept", l->minor);
			if (cm->match_any) {
				for (size_t k = 0; k < cm->n; k++) {
					struct group g = { .s = QOS_MATCH_SET_ALL };
					group_add(cfg, &g, &cm->m[k]);
					snprintf(prefix, sizeof(prefix), "d%zu_c%zu_m%zu", i, c, k);
					group_rules(&g, verdict, prefix, &body, &extra);
					free(g.acl);
				}
			} else {
				struct group g = { .s = QOS_MATCH_SET_ALL };
				for (size_t k = 0; k < cm->n; k++)
					group_add(cfg, &g, &cm->m[k]);
				snprintf(prefix, sizeof(prefix), "d%zu_c%zu", i, c);
				group_rules(&g, verdict, prefix, &body, &extra);
				free(g.acl);
			}
		}
		sb_printf(&chains, "\tchain d%zu {\n%s\t}\n%s", i, sb_str(&body), sb_str(&extra));
		sb_free(&body);
		sb_free(&extra);
	}
	sb_printf(out,
		  "table inet %s {\n"
		  "\tchain post {\n"
		  "\t\ttype filter hook postrouting priority 300; policy accept;\n"
		  "%s\t}\n%s}\n",
		  QOS_NFT_TABLE, sb_str(&post), sb_str(&chains));
	sb_free(&post);
	sb_free(&chains);
}

/* ---- the kernel side -------------------------------------------------------------------- */

static struct nft_ctx *nft;

int qos_classify_apply(const char *text, char *err, size_t errlen)
{
	if (!nft) {
		nft = nft_ctx_new(NFT_CTX_DEFAULT);
		if (!nft) {
			snprintf(err, errlen, "nftables unavailable");
			return -1;
		}
		nft_ctx_buffer_output(nft);
		nft_ctx_buffer_error(nft);
	}
	int rc = nft_run_cmd_from_buffer(nft, text);
	const char *e = nft_ctx_get_error_buffer(nft);
	if (rc != 0) {
		/* nft's first line says what it refused */
		size_t len = e ? strcspn(e, "\n") : 0;
		snprintf(err, errlen, "%.*s", (int)(len < 200 ? len : 200), len ? e : "nft failed");
	}
	nft_ctx_get_output_buffer(nft); /* drain */
	return rc == 0 ? 0 : -1;
}

void qos_classify_shutdown(void)
{
	char err[256];

	if (!nft)
		return;
	struct strbuf t = STRBUF_INIT;
	qos_classify_nft_text(NULL, NULL, 0, &t);
	qos_classify_apply(sb_str(&t), err, sizeof(err));
	sb_free(&t);
	nft_ctx_free(nft);
	nft = NULL;
}
