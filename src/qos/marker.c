/* The outer DSCP of VPN-SIP tunnels, for the data plane's thread.
 *
 * The data plane asks for every ESP packet it sends which DSCP the outer
 * header carries (qos pre-classify: the inner headers decide).  It runs on
 * its own thread and must not read the configuration model, so each
 * implicit policy publishes a self-contained copy of its child's classes
 * (matches and "set dscp"), replaced whole on every change: one lock, one
 * hash lookup and the classes of one policy per packet, whatever the
 * number of tunnels. */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "dataplane/dataplane.h"
#include "acl/acl.h"
#include "qos/qos_int.h"
#include "util/hashmap.h"

struct marker_class {
	struct qos_class_map cm; /* matches copied; acl names dropped, the lists copied */
	bool dflt;
	int dscp;
};

struct marker {
	size_t n;
	struct marker_class c[];
};

static pthread_mutex_t markers_mu = PTHREAD_MUTEX_INITIALIZER;
static struct hashmap markers; /* tunnel name -> marker */
static bool markers_ready;

static void marker_free(struct marker *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->n; i++) {
		for (size_t k = 0; k < m->c[i].cm.n; k++)
			acl_release(m->c[i].cm.m[k].acl_copy);
		free(m->c[i].cm.m);
	}
	free(m);
}

static struct marker *marker_build(const struct qos_attachment *a)
{
	const struct qos_policy_map *p = a->plan.leaf_policy;
	size_t n = p ? p->n : 0;
	struct marker *m = xcalloc(1, sizeof(*m) + n * sizeof(m->c[0]));

	for (size_t i = 0; i < n; i++) {
		const struct qos_pclass *pc = p->c[i];
		const struct qos_class_map *cm = qos_cmap_find(a->cfg, pc->name);
		struct marker_class *mc = &m->c[m->n++];

		mc->dflt = strcmp(pc->name, QOS_CLASS_DEFAULT) == 0;
		mc->dscp = pc->set_dscp >= 0 ? pc->set_dscp : QOS_DSCP_CS4;
		if (mc->dflt || !cm)
			continue;
		mc->cm.match_any = cm->match_any;
		mc->cm.n = cm->n;
		mc->cm.m = xcalloc(cm->n ? cm->n : 1, sizeof(*cm->m));
		for (size_t k = 0; k < cm->n; k++) {
			mc->cm.m[k] = cm->m[k];
			mc->cm.m[k].acl = NULL;
			if (cm->m[k].kind == QOS_MATCH_ACCESS_GROUP) {
				const struct acl *acl = acl_find(a->cfg, cm->m[k].acl);
				mc->cm.m[k].acl_copy = acl ? acl_dup(acl) : NULL;
			}
		}
	}
	return m;
}

/* The data plane's outer-DSCP classifier (dp_outer_dscp in dataplane.h),
 * subscribed with the first marker: tunnel ids are
 * TunnelN's N + 1 (dp_tunnel_id). */
static int marker_dscp(uint32_t tunnel_id, const uint8_t *pkt, size_t len, void *arg)
{
	const struct marker *m;
	int dscp = -1;
	char tunnel[24];

	if (!tunnel_id)
		return -1;
	snprintf(tunnel, sizeof(tunnel), "Tunnel%u", tunnel_id - 1);

	pthread_mutex_lock(&markers_mu);
	m = markers_ready ? hashmap_get(&markers, tunnel) : NULL;
	if (m) {
		dscp = QOS_DSCP_CS4;
		for (size_t i = 0; i < m->n; i++)
			if (m->c[i].dflt || qos_cmap_matches(&m->c[i].cm, NULL, pkt, len)) {
				dscp = m->c[i].dscp;
				break;
			}
	}
	pthread_mutex_unlock(&markers_mu);
	return dscp;
}

static void marker_set(const char *tunnel, struct marker *m)
{
	struct marker *old;

	pthread_mutex_lock(&markers_mu);
	if (!markers_ready) {
		hashmap_init(&markers, false);
		markers_ready = true;
	}
	old = m ? hashmap_put(&markers, tunnel, m) : hashmap_del(&markers, tunnel);
	pthread_mutex_unlock(&markers_mu);
	marker_free(old);
	hook_register(dp_outer_dscp, marker_dscp, NULL, HOOK_PRIO_DEFAULT);
}

void qos_marker_publish(const struct qos_attachment *a)
{
	if (a->implicit)
		marker_set(a->ifname, marker_build(a));
}

void qos_marker_withdraw(const char *ifname)
{
	if (markers_ready)
		marker_set(ifname, NULL);
}

void qos_markers_clear(void)
{
	pthread_mutex_lock(&markers_mu);
	if (markers_ready) {
		for (struct hashmap_entry *e = NULL; (e = hashmap_next(&markers, e));)
			marker_free(e->value);
		hashmap_clear(&markers);
		markers_ready = false;
	}
	pthread_mutex_unlock(&markers_mu);
}
