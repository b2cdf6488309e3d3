/* The southbound rtnetlink request socket: see kernel_nl.h. */
#include "net/kernel_nl.h"

#include <netlink/netlink.h>
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
