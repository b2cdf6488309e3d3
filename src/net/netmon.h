/* The kernel's view of network devices, followed over rtnetlink: every
 * device's flags and IPv4 addresses, kept current from RTM_NEWLINK/DELLINK/
 * NEWADDR/DELADDR notifications (no polling).
 *
 * It publishes the link state of configured interfaces into net/ifstate
 * (ifstate_set_link: "track N interface IF line-protocol", SIP) and tells
 * the netmon_dev_changed hook (static routes, track) which device changed.
 * Main thread only; started by the daemon (daemon/feature.c), absent in
 * "vpnsipd -t". */
#ifndef VPNSIP_NET_NETMON_H
#define VPNSIP_NET_NETMON_H

#include <net/if.h>
#include <stdbool.h>
#include <stddef.h>

#include "net/iface.h"

struct netmon_dev {
	int ifindex;
	char name[IFNAMSIZ];
	unsigned flags;  /* IFF_* */
	unsigned mtu;
	bool present;    /* false after RTM_DELLINK (kept until unreferenced) */
	struct ipv4_prefix *addrs;
	size_t naddrs, capaddrs;
};

/* "line protocol up": administratively up and the kernel says it runs
 * (carrier; a TUN with its file descriptor open). */
bool netmon_dev_up(const struct netmon_dev *d);

const struct netmon_dev *netmon_dev_by_name(const char *name);
const struct netmon_dev *netmon_dev_by_index(int ifindex);
/* The up device with a connected subnet holding a (longest prefix), or NULL. */
const struct netmon_dev *netmon_connected(struct in_addr a);
/* Is the monitor running (the daemon), i.e. is the data above real? */
bool netmon_running(void);

enum netmon_what {
	NETMON_LINK = 1, /* flags, presence, name */
	NETMON_ADDR = 2,
};

/* What changed (NETMON_*) on device d, after its link state went to
 * net/ifstate.  Main thread, from the rtnetlink notifications (and when a
 * configured interface is bound to a device). */
HOOK_DECLARE(netmon_dev_changed, (const struct netmon_dev *d, unsigned what), (d, what));

/* The configured interface a Linux device backs, or NULL. */
const char *netmon_ifname_of(const char *dev);

void netmon_cli_init(void);
/* The daemon follows kernel links from start to stop (daemon/feature.c). */
struct config_env;
struct evloop;
int netmon_start(struct evloop *loop, struct config_env *env);
void netmon_stop(void);

#endif
