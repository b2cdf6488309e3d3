/* The DHCP client: "ip address dhcp" runs Debian's dhclient on the
 * interface's device, supervised by vpnsipd (restarted with a back-off if
 * it dies, stopped with the line, the interface's shutdown or the daemon).
 * Its hook (vpnsip-dhcp-hook) reports each event over a datagram socket in
 * the state directory; vpnsipd then installs or removes the leased address
 * itself (recorded like every other kernel change) and publishes the lease
 * in net/ifstate:
 *
 *   bound/renewed:  ifstate_set_addr(ifname, &prefix, true)
 *                   ifstate_set_dhcp(ifname, &{server, router, lease,
 *                                     option 120 domains or addresses,
 *                                     option 125 raw})
 *   lost/stopped:   ifstate_set_addr(ifname, NULL, true)
 *                   ifstate_set_dhcp(ifname, NULL)
 *
 * Option 120 (RFC 3361) is asked for with "ip dhcp client request
 * sip-server-address" and decoded in both encodings (0: domain names, 1:
 * IPv4 addresses); option 125 (RFC 3925) with "ip dhcp client request
 * vendor-identifying-specific" and kept raw. */
#ifndef VPNSIP_DHCP_DHCP_H
#define VPNSIP_DHCP_DHCP_H

#include <stddef.h>
#include <stdint.h>

#include "net/ifstate.h"

/* RFC 3361 option 120 payload into d (domains or addresses); false if
 * malformed.  Exposed for the unit test. */
bool dhcp_decode_sip_servers(const uint8_t *p, size_t n, struct ifstate_dhcp *d);

/* The lease of a hook message (its "new_*=VALUE" lines; options 120 and
 * 125 only when asked for): -1 without a usable address (d empty), 0, or
 * 1 when option 120 was there but malformed.  The caller frees d with
 * ifstate_dhcp_free().  Exposed for the DHCP fuzzer. */
int dhcp_lease_decode(const char *msg, bool req_sip, bool req_vivso, struct ipv4_prefix *p,
		      struct ifstate_dhcp *d);

void dhcp_cli_init(void);
/* Clients run (and the hook's socket is open) from start to stop
 * (daemon/feature.c). */
struct config_env;
struct evloop;
int dhcp_start(struct evloop *loop, struct config_env *env);
void dhcp_stop(void);

#endif
