/* The southbound request socket: one rtnetlink (NETLINK_ROUTE) socket for
 * every request the daemon makes to the kernel (addresses, links, routes,
 * tc, dumps for the show commands).
 *
 * Main thread only: a libnl socket carries one sequence of requests and
 * answers, and every user (interface and DHCP addresses, static routes,
 * QoS, the show handlers, the device monitor's dumps) runs on the main
 * loop.  Requests are synchronous (sent, then the answer or ack read), so
 * the users never interleave.  Kernel notifications come on netmon's own
 * subscribed socket, not on this one. */
#ifndef VPNSIP_NET_KERNEL_NL_H
#define VPNSIP_NET_KERNEL_NL_H

#include "net/iface.h"

struct nl_sock;

/* The shared socket, connected on first use; NULL if rtnetlink cannot be
 * opened.  Users ask for it at each request instead of keeping the
 * pointer, so that whatever order the features stop in, none is left
 * holding a closed socket (one asking after the close opens it again). */
struct nl_sock *kernel_nl(void);
/* Close it at shutdown, after its last user has stopped. */
void kernel_nl_close(void);

/* An IPv4 address on a device, over the shared socket.  ADD leaves an
 * address that is already there alone and returns 1: someone else's, which
 * the caller must not record, so that it never removes what it did not
 * add.  REPLACE takes it over instead (a DHCP lease).  Otherwise 0, or a
 * negative libnl error. */
enum kernel_addr_op {
	KERNEL_ADDR_ADD,
	KERNEL_ADDR_REPLACE,
	KERNEL_ADDR_DELETE,
};
int kernel_addr_op(int ifindex, const struct ipv4_prefix *p, enum kernel_addr_op op);

#endif
