/* Runtime interface state: see ifstate.h. */
#include "net/ifstate.h"

#include <stdlib.h>
#include <string.h>

#include "util/hashmap.h"
#include "util/xalloc.h"

static struct hashmap states; /* case-insensitive name -> struct ifstate */
static bool states_ready;
HOOK_DEFINE(ifstate_changed);

static struct ifstate *get_or_create(const char *ifname)
{
	if (!states_ready) {
		hashmap_init(&states, true);
		states_ready = true;
	}
	struct ifstate *st = hashmap_get(&states, ifname);
	if (!st) {
		st = xcalloc(1, sizeof(*st));
		st->name = xstrdup(ifname);
		hashmap_put(&states, ifname, st);
	}
	return st;
}

const struct ifstate *ifstate_get(const char *ifname)
{
	return states_ready ? hashmap_get(&states, ifname) : NULL;
}

static void notify(const struct ifstate *st, unsigned what)
{
	hook_call(ifstate_changed, st, what);
}

void ifstate_set_addr(const char *ifname, const struct ipv4_prefix *addr, bool from_dhcp)
{
	struct ifstate *st = get_or_create(ifname);
	bool had = st->has_addr;

	if (had == (addr != NULL) && st->addr_from_dhcp == from_dhcp &&
	    (!addr || (st->addr.addr.s_addr == addr->addr.s_addr && st->addr.len == addr->len)))
		return;
	st->has_addr = addr != NULL;
	st->addr_from_dhcp = addr && from_dhcp;
	if (addr)
		st->addr = *addr;
	else
		memset(&st->addr, 0, sizeof(st->addr));
	notify(st, IFSTATE_ADDR);
}

void ifstate_set_link(const char *ifname, bool up)
{
	struct ifstate *st = get_or_create(ifname);

	if (st->link_known && st->link_up == up)
		return;
	st->link_known = true;
	st->link_up = up;
	notify(st, IFSTATE_LINK);
}

void ifstate_dhcp_free(struct ifstate_dhcp *d)
{
	for (size_t i = 0; i < d->nsip_domains; i++)
		free(d->sip_domains[i]);
	free(d->sip_domains);
	free(d->sip_addrs);
	free(d->dns_addrs);
	free(d->vendor125);
	memset(d, 0, sizeof(*d));
}

static void dhcp_copy(struct ifstate_dhcp *dst, const struct ifstate_dhcp *src)
{
	*dst = *src;
	dst->sip_domains = src->nsip_domains ? xcalloc(src->nsip_domains, sizeof(char *)) : NULL;
	for (size_t i = 0; i < src->nsip_domains; i++)
		dst->sip_domains[i] = xstrdup(src->sip_domains[i]);
	dst->sip_addrs = src->nsip_addrs ? xmemdup(src->sip_addrs, src->nsip_addrs * sizeof(struct in_addr))
					 : NULL;
	dst->dns_addrs = src->ndns_addrs ? xmemdup(src->dns_addrs, src->ndns_addrs * sizeof(struct in_addr))
					 : NULL;
	dst->vendor125 = src->nvendor125 ? xmemdup(src->vendor125, src->nvendor125) : NULL;
}

void ifstate_set_dhcp(const char *ifname, const struct ifstate_dhcp *d)
{
	struct ifstate *st = get_or_create(ifname);

	ifstate_dhcp_free(&st->dhcp);
	if (d)
		dhcp_copy(&st->dhcp, d);
	notify(st, IFSTATE_DHCP);
}

void ifstate_remove(const char *ifname)
{
	struct ifstate *st = states_ready ? hashmap_del(&states, ifname) : NULL;

	if (!st)
		return;
	notify(st, IFSTATE_GONE);
	ifstate_dhcp_free(&st->dhcp);
	free(st->name);
	free(st);
}
