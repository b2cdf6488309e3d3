/* Issue 7's components in one call from config/features.c: the kernel link
 * monitor, IP SLA and track objects, static routes, NAT, the DHCP client
 * and the interface show commands.  Order matters only for running-config
 * sections, which carry their own numbers. */
#include "dhcp/dhcp.h"
#include "acl/acl.h"
#include "nat/nat.h"
#include "net/iface.h"
#include "net/netmon.h"
#include "route/route.h"
#include "track/track.h"

void routing_cli_init(void)
{
	netmon_cli_init();
	sla_cli_init();
	track_cli_init();
	route_cli_init();
	iface_show_cli_init();
	acl_cli_init();
	nat_cli_init();
	dhcp_cli_init();
	ping_cli_init();
}
