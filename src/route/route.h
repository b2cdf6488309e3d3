/* Static routes: "ip route PREFIX MASK {IF | NEXTHOP | IF NEXTHOP} [DISTANCE]
 * [name NAME] [permanent | track N]".
 *
 * Of several routes to one prefix only the best eligible one is in the
 * kernel (lowest administrative distance; eligible: its track object up,
 * its interface up with an address or its next hop on a connected subnet
 * that is up; "permanent" ignores the interface state; distance 255 never).
 * That is how a floating static route through TunnelN takes over when the
 * primary is withdrawn.  Routes are installed in the main table with
 * protocol "static", recorded, and removed with their line or at shutdown.
 *
 * Re-evaluation is driven by events (a track object, a device, an
 * interface address) through indexes, never by scanning every route. */
#ifndef VPNSIP_ROUTE_ROUTE_H
#define VPNSIP_ROUTE_ROUTE_H

#include <stdbool.h>
#include <stddef.h>

#include "net/iface.h"
#include "util/strbuf.h"

struct route_info {
	struct ipv4_prefix dst;
	const char *ifname; /* configured or Linux name, or NULL */
	bool has_gw;
	struct in_addr gw;
	unsigned distance;
	unsigned track; /* 0: none */
	const char *name;
	bool permanent;
	bool installed; /* in the kernel now */
};

struct config;

/* The static route of cfg installed for exactly this prefix, or false. */
bool route_installed_for(const struct config *cfg, const struct ipv4_prefix *dst,
			 struct route_info *out);
/* Every static route of cfg to prefix (NULL: all), in running-config
 * order; fn may not change routes. */
void route_foreach(const struct config *cfg, const struct ipv4_prefix *dst,
		   void (*fn)(void *ctx, const struct route_info *r), void *ctx);

void route_cli_init(void);
/* Routes reach the kernel from start to stop (daemon/feature.c). */
struct config_env;
struct evloop;
extern const struct config_ext_type route_ext;
int route_start(struct evloop *loop, struct config_env *env);
void route_stop(void);
/* ping (ping.c) */
void ping_cli_init(void);
/* show ip route (route_show.c) */
void route_show_cli_init(void);

#endif
