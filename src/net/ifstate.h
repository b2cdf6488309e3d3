/* Runtime state of interfaces, as opposed to their configuration: the IPv4
 * address in effect (configured, or leased by DHCP), whether the link is
 * up, and what DHCP said about the SIP server (option 120, RFC 3361) and
 * the vendor (option 125).
 *
 * Producers: the kernel side (configured addresses, link state) and the
 * DHCP client.  Consumers: SIP (local address, server), tracking, routes.
 * Main thread only; subscribers of ifstate_changed run synchronously after
 * each change. */
#ifndef VPNSIP_NET_IFSTATE_H
#define VPNSIP_NET_IFSTATE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <time.h>

#include "net/iface.h"

enum ifstate_what {
	IFSTATE_ADDR = 1,
	IFSTATE_LINK = 2,
	IFSTATE_DHCP = 4,
	IFSTATE_GONE = 8, /* the entry is being removed */
};

struct ifstate_dhcp {
	bool bound;
	struct in_addr server, router;
	uint32_t lease_seconds;
	time_t obtained; /* CLOCK_REALTIME seconds */
	/* Option 120: domain names or IPv4 addresses, in the server's order. */
	char **sip_domains;
	size_t nsip_domains;
	struct in_addr *sip_addrs;
	size_t nsip_addrs;
	/* Option 6: name servers (for a SIP server given as a domain). */
	struct in_addr *dns_addrs;
	size_t ndns_addrs;
	/* Option 125, raw. */
	uint8_t *vendor125;
	size_t nvendor125;
};

struct ifstate {
	char *name; /* configured interface name ("bak0", "GigabitEthernet8") */
	bool has_addr;
	struct ipv4_prefix addr;
	bool addr_from_dhcp;
	bool link_known, link_up;
	struct ifstate_dhcp dhcp;
};

const struct ifstate *ifstate_get(const char *ifname);
/* addr NULL: the interface has no IPv4 address now. */
void ifstate_set_addr(const char *ifname, const struct ipv4_prefix *addr, bool from_dhcp);
void ifstate_set_link(const char *ifname, bool up);
/* Copies d (NULL: no lease). */
void ifstate_set_dhcp(const char *ifname, const struct ifstate_dhcp *d);
void ifstate_remove(const char *ifname);
void ifstate_dhcp_free(struct ifstate_dhcp *d);

/* What changed (IFSTATE_*) on st.  Main thread, from the setters above.
 * The subscribers (static routes, NAT, SIP, static IKE ports) only redo or
 * queue their own work: their order does not matter.  A subscriber may
 * unregister itself while called. */
HOOK_DECLARE(ifstate_changed, (const struct ifstate *st, unsigned what), (st, what));

#endif
