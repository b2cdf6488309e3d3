/* "ping A [source IF|A] [repeat N] [size N] [timeout S] [df-bit]": ICMP
 * echo from the daemon's own namespace, with IOS's output; "traceroute A
 * [source IF|A] [timeout S] [probe N] [maxttl N]" the same way.
 *
 * The command runs on the main loop without holding it: the handler opens
 * a raw ICMP socket of its own (CAP_NET_RAW, as IP SLA), prints the header
 * and defers (cli_defer); each echo is sent when the previous one is
 * answered or timed out, its '!' / '.' streamed to the shell as it comes.
 * Replies are told apart from IP SLA's and other pings' by the ICMP
 * identifier and a tag in the data. */
#include <arpa/inet.h>
#include <errno.h>
#include <linux/errqueue.h>
#include <netinet/in.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "config/runtime.h"
#include "net/netmon.h"
#include "route/route.h"
#include "track/sla.h"
#include "util/evloop.h"

#ifndef ICMP_FILTER
#define ICMP_FILTER 1 /* linux/icmp.h, which clashes with net/if.h */
#endif

#define PING_TAG "VSIPPING"
#define PING_LINE_WIDTH 70 /* IOS wraps the '!' line here */

struct ping_op {
	struct cli_deferred *d;
	struct evloop *loop;
	int fd;
	struct ev_io *io;
	struct ev_timer *timer;
	struct in_addr dest;
	uint16_t id, seq;
	unsigned repeat, size, timeout_ms;
	unsigned sent, received, col;
	bool outstanding;
	uint64_t sent_us;
	uint64_t min_us, max_us, sum_us;
};

static uint16_t next_id;

static uint64_t now_us(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000000 + (uint64_t)ts.tv_nsec / 1000;
}

/* What a ping or a traceroute holds in the loop and the kernel. */
static void probe_release(struct ev_timer *timer, struct ev_io *io, int fd)
{
	if (timer)
		ev_timer_del(timer);
	if (io)
		ev_io_del(io);
	if (fd >= 0)
		close(fd);
}

static void op_free(struct ping_op *op)
{
	probe_release(op->timer, op->io, op->fd);
	free(op);
}

/* The shell went away first. */
static void ping_cancel(void *arg)
{
	op_free(arg);
}

static unsigned ms_of(uint64_t us)
{
	return (unsigned)((us + 500) / 1000);
}

static void finish(struct ping_op *op)
{
	struct cli_deferred *d = op->d;

	cli_deferred_printf(d, "\nSuccess rate is %u percent (%u/%u)",
			    op->sent ? op->received * 100 / op->sent : 0, op->received, op->sent);
	if (op->received)
		cli_deferred_printf(d, ", round-trip min/avg/max = %u/%u/%u ms", ms_of(op->min_us),
				    ms_of(op->sum_us / op->received), ms_of(op->max_us));
	cli_deferred_printf(d, "\n");
	op_free(op);
	cli_deferred_end(d, CLI_OK);
}

static void mark(struct ping_op *op, char c)
{
	if (op->col == PING_LINE_WIDTH) {
		cli_deferred_printf(op->d, "\n");
		op->col = 0;
	}
	cli_deferred_printf(op->d, "%c", c);
	op->col++;
}

static void send_next(struct ev_timer *t, void *arg);

static void next_soon(struct ping_op *op, uint64_t after_ms)
{
	if (op->timer)
		ev_timer_del(op->timer);
	op->timer = ev_timer_add(op->loop, after_ms, send_next, op);
}

static void on_timeout(struct ev_timer *t, void *arg)
{
	struct ping_op *op = arg;

	op->timer = NULL;
	op->outstanding = false;
	mark(op, '.');
	send_next(NULL, op);
}

static void send_next(struct ev_timer *t, void *arg)
{
	struct ping_op *op = arg;
	size_t len = op->size - sizeof(struct iphdr);
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr = op->dest };

	op->timer = NULL; /* fired (the loop passes t as NULL), or none */
	if (op->sent == op->repeat) {
		finish(op);
		return;
	}
	uint8_t *pkt = xcalloc(1, len);
	struct icmphdr *h = (struct icmphdr *)pkt;
	h->type = ICMP_ECHO;
	h->un.echo.id = htons(op->id);
	h->un.echo.sequence = htons(++op->seq);
	memcpy(pkt + sizeof(*h), PING_TAG, 8);
	for (size_t i = sizeof(*h) + 8; i < len; i++)
		pkt[i] = i % 2 ? 0xcd : 0xab; /* IOS's data pattern */
	h->checksum = sla_icmp_checksum(pkt, len);
	op->sent++;
	op->sent_us = now_us();
	ssize_t n = sendto(op->fd, pkt, len, MSG_DONTWAIT, (struct sockaddr *)&to, sizeof(to));
	int err = errno;
	free(pkt);
	if (n < 0) {
		/* Not sent (no route, too big with the DF bit): lost at
		 * once, nothing to wait for. */
		mark(op, err == EMSGSIZE ? 'M' : '.');
		next_soon(op, 0);
		return;
	}
	op->outstanding = true;
	op->timer = ev_timer_add(op->loop, op->timeout_ms, on_timeout, op);
}

/* Our echo in the data of an ICMP error (an IP header and the first 8
 * bytes of the message it answers)? */
static bool error_is_ours(const struct ping_op *op, const uint8_t *p, size_t n)
{
	if (n < sizeof(struct iphdr) + 8)
		return false;
	size_t hl = (size_t)(p[0] & 0x0f) * 4;
	if (n < hl + 8)
		return false;
	const struct icmphdr *inner = (const struct icmphdr *)(p + hl);
	return inner->type == ICMP_ECHO && ntohs(inner->un.echo.id) == op->id &&
	       ntohs(inner->un.echo.sequence) == op->seq;
}

static void on_reply(struct ev_io *io, uint32_t events, void *arg)
{
	struct ping_op *op = arg;
	uint8_t buf[65536];
	struct sockaddr_in from;
	socklen_t fl;
	ssize_t n;

	for (;;) {
		fl = sizeof(from);
		n = recvfrom(op->fd, buf, sizeof(buf), MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
		if (n < 0)
			return;
		size_t hl = (size_t)(buf[0] & 0x0f) * 4;
		if (!op->outstanding || (size_t)n < hl + sizeof(struct icmphdr))
			continue;
		const struct icmphdr *h = (const struct icmphdr *)(buf + hl);
		const uint8_t *data = buf + hl + sizeof(*h);
		size_t dlen = (size_t)n - hl - sizeof(*h);
		char c;
		if (h->type == ICMP_ECHOREPLY) {
			if (from.sin_addr.s_addr != op->dest.s_addr || ntohs(h->un.echo.id) != op->id ||
			    ntohs(h->un.echo.sequence) != op->seq || dlen < 8 ||
			    memcmp(data, PING_TAG, 8) != 0)
				continue;
			uint64_t rtt = now_us() - op->sent_us;
			if (!op->received || rtt < op->min_us)
				op->min_us = rtt;
			if (rtt > op->max_us)
				op->max_us = rtt;
			op->sum_us += rtt;
			op->received++;
			c = '!';
		} else if (h->type == ICMP_DEST_UNREACH && error_is_ours(op, data, dlen)) {
			c = h->code == ICMP_FRAG_NEEDED ? 'M' : 'U';
		} else if (h->type == ICMP_TIME_EXCEEDED && error_is_ours(op, data, dlen)) {
			c = '&';
		} else {
			continue;
		}
		op->outstanding = false;
		mark(op, c);
		next_soon(op, 0);
		return;
	}
}

/* The device of a source interface and its first address; NULL if it has
 * none (or is not there). */
static const char *source_interface(const char *ifname, struct in_addr *addr)
{
	const char *dev = sla_ifdev(ifname);
	const struct netmon_dev *nd = dev ? netmon_dev_by_name(dev) : NULL;

	if (!nd || !nd->naddrs)
		return NULL;
	*addr = nd->addrs[0].addr;
	return dev;
}

/* What ping and traceroute share: the shell, the destination, the
 * source address or interface (dev: the interface's device, or NULL). */
static int probe_args(struct cli_exec *x, const char *what, struct in_addr *dest,
		      struct sockaddr_in *src, const char **dev)
{
	const char *srcif = cli_arg(x, "srcif"), *srcip = cli_arg(x, "srcip");

	*dev = NULL;
	if (!cli_can_defer(x) || !runtime_loop())
		return cli_error(x, "%s runs in the daemon, from a shell (vpnsipsh)", what);
	if (inet_pton(AF_INET, cli_arg(x, "dest"), dest) != 1)
		return cli_error(x, "Invalid address");
	if (srcip && inet_pton(AF_INET, srcip, &src->sin_addr) != 1)
		return cli_error(x, "Invalid source address");
	if (srcif && !(*dev = source_interface(srcif, &src->sin_addr)))
		return cli_error(x, "Invalid source interface - %s", srcif);
	return CLI_OK;
}

static int cmd_ping(struct cli_exec *x)
{
	const char *srcif = cli_arg(x, "srcif"), *srcip = cli_arg(x, "srcip");
	struct evloop *loop = runtime_loop();
	struct sockaddr_in src = { .sin_family = AF_INET };
	struct in_addr dest;
	char a[INET_ADDRSTRLEN];
	int pmtu;

	const char *dev;
	int rc = probe_args(x, "ping", &dest, &src, &dev);
	if (rc != CLI_OK)
		return rc;

	int fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
	if (fd < 0)
		return cli_error(x, "Cannot open an ICMP socket: %s", strerror(errno));
	/* Only what can answer an echo reaches this socket. */
	uint32_t filter = ~(1u << ICMP_ECHOREPLY | 1u << ICMP_DEST_UNREACH |
			    1u << ICMP_TIME_EXCEEDED);
	setsockopt(fd, SOL_RAW, ICMP_FILTER, &filter, sizeof(filter));
	pmtu = cli_has(x, "df-bit") ? IP_PMTUDISC_DO : IP_PMTUDISC_DONT;
	if (setsockopt(fd, IPPROTO_IP, IP_MTU_DISCOVER, &pmtu, sizeof(pmtu)) < 0 ||
	    (dev && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev, (socklen_t)strlen(dev) + 1) < 0) ||
	    ((srcif || srcip) && bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0)) {
		int e = errno;
		close(fd);
		return cli_error(x, "Invalid source %s: %s", srcif ? srcif : srcip, strerror(e));
	}

	struct ping_op *op = xcalloc(1, sizeof(*op));
	op->loop = loop;
	op->fd = fd;
	op->dest = dest;
	op->id = (uint16_t)(0x8000 | (++next_id & 0x7fff)); /* IP SLA counts up from 1 */
	op->repeat = (unsigned)cli_arg_long(x, "count", 5);
	op->size = (unsigned)cli_arg_long(x, "bytes", 100);
	op->timeout_ms = (unsigned)cli_arg_long(x, "seconds", 2) * 1000;

	cli_out(x, "Type escape sequence to abort.\n");
	cli_out(x, "Sending %u, %u-byte ICMP Echos to %s, timeout is %u seconds:\n", op->repeat,
		op->size, inet_ntop(AF_INET, &dest, a, sizeof(a)), op->timeout_ms / 1000);
	if (srcif || srcip)
		cli_out(x, "Packet sent with a source address of %s \n",
			inet_ntop(AF_INET, &src.sin_addr, a, sizeof(a)));
	if (cli_has(x, "df-bit"))
		cli_out(x, "Packet sent with the DF bit set\n");
	op->io = ev_io_add(loop, fd, EPOLLIN, on_reply, op);
	op->timer = ev_timer_add(loop, 0, send_next, op);
	op->d = cli_defer(x, ping_cancel, op);
	return CLI_OK;
}


/* ---- traceroute ------------------------------------------------------------ */

/* UDP probes to ports from 33434 up with a growing TTL; the ICMP errors
 * they cause come back on the probe socket's error queue (IP_RECVERR),
 * with the router that sent them and the port of the probe they answer. */
#define TRACE_PORT 33434

struct trace_op {
	struct cli_deferred *d;
	struct evloop *loop;
	int fd;
	struct ev_io *io;
	struct ev_timer *timer;
	struct in_addr dest, last_from;
	unsigned ttl, max_ttl, probe, probes, timeout_ms;
	uint16_t port;     /* of the probe outstanding */
	bool outstanding, done, shown_from;
	uint64_t sent_us;
};

static void trace_free(struct trace_op *op)
{
	probe_release(op->timer, op->io, op->fd);
	free(op);
}

static void trace_cancel(void *arg)
{
	trace_free(arg);
}

static void trace_end(struct trace_op *op)
{
	struct cli_deferred *d = op->d;

	trace_free(op);
	cli_deferred_end(d, CLI_OK);
}

static void trace_send(struct ev_timer *t, void *arg);

/* A probe answered (or not): on to the next probe, hop or the end. */
static void trace_next(struct trace_op *op)
{
	op->outstanding = false;
	if (++op->probe == op->probes) {
		cli_deferred_printf(op->d, "\n");
		if (op->done || op->ttl == op->max_ttl) {
			trace_end(op);
			return;
		}
		op->ttl++;
		op->probe = 0;
		op->shown_from = false;
	}
	if (op->timer)
		ev_timer_del(op->timer);
	op->timer = ev_timer_add(op->loop, 0, trace_send, op);
}

static void trace_timeout(struct ev_timer *t, void *arg)
{
	struct trace_op *op = arg;

	op->timer = NULL;
	cli_deferred_printf(op->d, " *");
	trace_next(op);
}

static void trace_send(struct ev_timer *t, void *arg)
{
	struct trace_op *op = arg;
	int ttl = (int)op->ttl;
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr = op->dest };
	char payload[32] = { 0 };

	op->timer = NULL;
	if (op->probe == 0)
		cli_deferred_printf(op->d, "%3u", op->ttl);
	op->port = (uint16_t)(TRACE_PORT + (op->ttl - 1) * op->probes + op->probe);
	to.sin_port = htons(op->port);
	setsockopt(op->fd, IPPROTO_IP, IP_TTL, &ttl, sizeof(ttl));
	op->sent_us = now_us();
	ssize_t n = sendto(op->fd, payload, sizeof(payload), MSG_DONTWAIT, (struct sockaddr *)&to,
			   sizeof(to));
	/* An ICMP error not read yet may be reported here once: again. */
	if (n < 0 && errno != ENETUNREACH)
		n = sendto(op->fd, payload, sizeof(payload), MSG_DONTWAIT, (struct sockaddr *)&to,
			   sizeof(to));
	if (n < 0) {
		/* No route: nothing will answer, at this hop or later. */
		cli_deferred_printf(op->d, " %% %s\n", strerror(errno));
		trace_end(op);
		return;
	}
	op->outstanding = true;
	op->timer = ev_timer_add(op->loop, op->timeout_ms, trace_timeout, op);
}

static void trace_error(struct ev_io *io, uint32_t events, void *arg)
{
	struct trace_op *op = arg;
	char data[64], a[INET_ADDRSTRLEN];
	union {
		char buf[512];
		struct cmsghdr align;
	} cm;
	struct sockaddr_in orig;
	struct iovec iov = { data, sizeof(data) };
	struct msghdr msg = { .msg_name = &orig, .msg_namelen = sizeof(orig), .msg_iov = &iov,
			      .msg_iovlen = 1, .msg_control = cm.buf, .msg_controllen = sizeof(cm.buf) };

	for (;;) {
		msg.msg_namelen = sizeof(orig);
		msg.msg_controllen = sizeof(cm.buf);
		if (recvmsg(op->fd, &msg, MSG_ERRQUEUE | MSG_DONTWAIT) < 0) {
			/* a normal datagram (a UDP service answering): not ours */
			char junk[64];
			if (recv(op->fd, junk, sizeof(junk), MSG_DONTWAIT) < 0)
				return;
			continue;
		}
		const struct sock_extended_err *ee = NULL;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c))
			if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_RECVERR)
				ee = (const struct sock_extended_err *)CMSG_DATA(c);
		if (!ee || ee->ee_origin != SO_EE_ORIGIN_ICMP || !op->outstanding ||
		    ntohs(orig.sin_port) != op->port)
			continue;
		const struct sockaddr_in *from = (const struct sockaddr_in *)SO_EE_OFFENDER(ee);
		unsigned ms = ms_of(now_us() - op->sent_us);
		if (!op->shown_from || from->sin_addr.s_addr != op->last_from.s_addr) {
			cli_deferred_printf(op->d, " %s", inet_ntop(AF_INET, &from->sin_addr, a, sizeof(a)));
			op->last_from = from->sin_addr;
			op->shown_from = true;
		}
		cli_deferred_printf(op->d, " %u msec", ms);
		if (ee->ee_type == ICMP_DEST_UNREACH) {
			/* the destination (port unreachable) or a router that
			 * says there is no way on: the last hop either way */
			op->done = true;
			switch (ee->ee_code) {
			case ICMP_PORT_UNREACH: break;
			case ICMP_NET_UNREACH: cli_deferred_printf(op->d, " !N"); break;
			case ICMP_HOST_UNREACH: cli_deferred_printf(op->d, " !H"); break;
			case ICMP_PKT_FILTERED: cli_deferred_printf(op->d, " !A"); break;
			default: cli_deferred_printf(op->d, " !U"); break;
			}
		}
		trace_next(op);
		return;
	}
}

static int cmd_traceroute(struct cli_exec *x)
{
	const char *srcif = cli_arg(x, "srcif"), *srcip = cli_arg(x, "srcip");
	struct evloop *loop = runtime_loop();
	struct sockaddr_in src = { .sin_family = AF_INET };
	struct in_addr dest;
	char a[INET_ADDRSTRLEN];
	int on = 1;

	const char *dev;
	int rc = probe_args(x, "traceroute", &dest, &src, &dev);
	if (rc != CLI_OK)
		return rc;
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return cli_error(x, "Cannot open a UDP socket: %s", strerror(errno));
	if (setsockopt(fd, IPPROTO_IP, IP_RECVERR, &on, sizeof(on)) < 0 ||
	    (dev && setsockopt(fd, SOL_SOCKET, SO_BINDTODEVICE, dev, (socklen_t)strlen(dev) + 1) < 0) ||
	    bind(fd, (struct sockaddr *)&src, sizeof(src)) < 0) {
		int e = errno;
		close(fd);
		return cli_error(x, "Invalid source %s: %s", srcif ? srcif : srcip ? srcip : "",
				 strerror(e));
	}
	struct trace_op *op = xcalloc(1, sizeof(*op));
	op->loop = loop;
	op->fd = fd;
	op->dest = dest;
	op->ttl = 1;
	op->max_ttl = (unsigned)cli_arg_long(x, "hops", 30);
	op->probes = (unsigned)cli_arg_long(x, "probes", 3);
	op->timeout_ms = (unsigned)cli_arg_long(x, "seconds", 3) * 1000;
	cli_out(x, "Type escape sequence to abort.\n");
	cli_out(x, "Tracing the route to %s\n", inet_ntop(AF_INET, &dest, a, sizeof(a)));
	op->io = ev_io_add(loop, fd, EPOLLIN, trace_error, op);
	op->timer = ev_timer_add(loop, 0, trace_send, op);
	op->d = cli_defer(x, trace_cancel, op);
	return CLI_OK;
}

static const struct cli_cmd ping_cmds[] = {
	{ "exec",
	  "ping A.B.C.D$dest [source <IFNAME$srcif|A.B.C.D$srcip>] [repeat (1-2147483647)$count] "
	  "[size (36-18024)$bytes] [timeout (0-3600)$seconds] [df-bit]",
	  "Send echo messages\nPing destination address\n"
	  "specify source address or name\nSource interface\nSource address\n"
	  "specify repeat count\nRepeat count\n"
	  "specify datagram size\nDatagram size (IP header included)\n"
	  "specify timeout interval\nTimeout in seconds\n"
	  "set DF bit in IP header",
	  cmd_ping, 0 },
	{ "exec",
	  "traceroute A.B.C.D$dest [source <IFNAME$srcif|A.B.C.D$srcip>] [timeout (1-3600)$seconds] "
	  "[probe (1-10)$probes] [maxttl (1-255)$hops]",
	  "Trace route to destination\nTrace route to destination address\n"
	  "specify source address or name\nSource interface\nSource address\n"
	  "specify time out\nTimeout in seconds\n"
	  "specify number of probes per hop\nProbes per hop\n"
	  "specify maximum time to live\nMaximum time to live",
	  cmd_traceroute, 0 },
};

void ping_cli_init(void)
{
	CLI_INSTALL(ping_cmds);
}
