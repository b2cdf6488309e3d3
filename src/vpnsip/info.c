/* Copies of the sessions and the registration for management agents (the
 * SNMP subagent), and the events they turn into notifications.  The same
 * fields "show vpn-sip session" prints, taken from the same model. */
#include <net/if.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "net/iface.h"
#include "util/evloop.h"
#include "util/xalloc.h"
#include "vpnsip/vpnsip_int.h"

HOOK_DEFINE(vpnsip_session_up);
HOOK_DEFINE(vpnsip_session_down);
HOOK_DEFINE(vpnsip_registration_lost);

static int tunnel_ifindex(const char *tunnel)
{
	struct vpnsip_rt *rt = vpnsip_rt();
	const struct iface_cfg *ifc = rt ? iface_find(&rt->cfg->ifaces, tunnel) : NULL;
	const char *dev = ifc ? iface_device(ifc) : NULL;

	return dev ? (int)if_nametoindex(dev) : 0;
}

void vpnsip_session_info_fill(const struct vpnsip_session *s, struct vpnsip_session_info *i)
{
	struct timespec now;

	memset(i, 0, sizeof(*i));
	snprintf(i->tunnel, sizeof(i->tunnel), "%s", s->tunnel);
	i->ifindex = tunnel_ifindex(s->tunnel);
	snprintf(i->local_number, sizeof(i->local_number), "%s", s->local_number);
	snprintf(i->remote_number, sizeof(i->remote_number), "%s", s->remote_number);
	i->state = (int)s->state;
	i->initiator = s->initiator;
	if (s->peer.addr.af == AF_INET) /* the MIB's column is IPv4 */
		i->remote_addr = s->peer.addr.v4;
	i->bw_conf = s->bw_conf;
	i->bw_neg = s->peer.bw_kbps;
	if (s->since_ms)
		i->uptime_s = (evloop_now_ms() - s->since_ms) / 1000;
	clock_gettime(CLOCK_REALTIME, &now);
	int64_t wall = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	if (s->cdr_answer && wall > s->cdr_answer)
		i->call_s = (uint64_t)(wall - s->cdr_answer) / 1000;
}

size_t vpnsip_sessions_info(struct vpnsip_session_info **out)
{
	size_t n;
	struct vpnsip_session **v = vpnsip_sessions_sorted(&n);

	*out = n ? xcalloc(n, sizeof(**out)) : NULL;
	for (size_t i = 0; i < n; i++)
		vpnsip_session_info_fill(v[i], &(*out)[i]);
	free(v);
	return n;
}

void vpnsip_reg_summary(struct vpnsip_reg_summary *r)
{
	struct vpnsip_rt *rt = vpnsip_rt();
	const struct vpnsip_cfg *c = rt ? vpnsip_cfg_get(rt->cfg) : NULL;

	memset(r, 0, sizeof(*r));
	r->state = SIP_REG_OFF;
	for (size_t i = 0; c && i < c->n_numbers; i++) {
		const struct sip_reg_status *st = vpnsip_reg_status(c->numbers[i]);
		r->configured++;
		r->registered += st && st->state == SIP_REG_REGISTERED;
	}
	if (c && c->local_number) {
		const struct sip_reg_status *st = vpnsip_reg_status(c->local_number);
		snprintf(r->number, sizeof(r->number), "%s", c->local_number);
		r->state = st ? (int)st->state : SIP_REG_OFF;
	}
}

void vpnsip_event_session_up(const struct vpnsip_session *s)
{
	struct vpnsip_session_info i;

	if (hook_empty(vpnsip_session_up))
		return;
	vpnsip_session_info_fill(s, &i);
	hook_call(vpnsip_session_up, &i);
}

void vpnsip_event_session_down(const struct vpnsip_session_info *i, const char *cause)
{
	hook_call(vpnsip_session_down, i, cause);
}

bool vpnsip_event_observed(void)
{
	return !hook_empty(vpnsip_session_down);
}

void vpnsip_event_registration_lost(const struct sip_reg_status *now)
{
	/* A failure of our own carries no status (0): the phrase says it. */
	hook_call(vpnsip_registration_lost, now->number, now->last_local ? 0 : now->last_status,
		  now->last_phrase);
}
