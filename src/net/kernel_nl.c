/* The southbound rtnetlink request socket: see kernel_nl.h. */
#include "net/kernel_nl.h"

#include <netlink/netlink.h>
#include <netlink/route/addr.h>
#include <netlink/socket.h>

static struct nl_sock *request_sock;

struct nl_sock *kernel_nl(void)
{
	if (request_sock)
		return request_sock;
	request_sock = nl_socket_alloc();
	if (request_sock && nl_connect(request_sock, NETLINK_ROUTE) < 0) {
		nl_socket_free(request_sock);
		request_sock = NULL;
	}
	return request_sock;
}

void kernel_nl_close(void)
{
	if (request_sock)
		nl_socket_free(request_sock);
	request_sock = NULL;
}

int kernel_addr_op(int ifindex, const struct ipv4_prefix *p, enum kernel_addr_op op)
{
	struct nl_sock *sk = kernel_nl();
	struct rtnl_addr *a;
	struct nl_addr *local;
	int rc;

	if (!sk)
		return -NLE_BAD_SOCK;
	a = rtnl_addr_alloc();
	local = nl_addr_build(AF_INET, &p->addr, 4);
	nl_addr_set_prefixlen(local, (int)p->len);
	rtnl_addr_set_ifindex(a, ifindex);
	rtnl_addr_set_local(a, local);
	switch (op) {
	case KERNEL_ADDR_ADD: rc = rtnl_addr_add(sk, a, 0); break;
	case KERNEL_ADDR_REPLACE: rc = rtnl_addr_add(sk, a, NLM_F_REPLACE); break;
	default: rc = rtnl_addr_delete(sk, a, 0); break;
	}
	nl_addr_put(local);
	rtnl_addr_put(a);
	if (op == KERNEL_ADDR_ADD && rc == -NLE_EXIST)
		rc = 1;
	return rc;
}
