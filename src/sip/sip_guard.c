/* Trusted sources, the kernel steering program and token buckets for the
 * SIP user agent.  See sip_guard.h and docs/security.md. */
#include "sip/sip_guard.h"

#include <arpa/inet.h>
#include <dirent.h>
#include <errno.h>
#include <linux/filter.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <unistd.h>

#ifndef SO_ATTACH_REUSEPORT_CBPF
#define SO_ATTACH_REUSEPORT_CBPF 51
#endif

/* ---- networks ------------------------------------------------------------ */

bool sip_net_match(const struct sip_net *nets, size_t n, uint32_t addr)
{
	for (size_t i = 0; i < n; i++)
		if ((addr & nets[i].mask) == nets[i].addr)
			return true;
	return false;
}

static uint32_t mask_of_len(unsigned len)
{
	return htonl(len ? ~0u << (32 - len) : 0);
}

static int mask_len(uint32_t mask)
{
	uint32_t m = ntohl(mask);
	int n = 0;

	while (n < 32 && (m & (0x80000000u >> n)))
		n++;
	return n;
}

bool sip_net_parse(const char *s, struct sip_net *out)
{
	char buf[32];
	const char *slash = strchr(s, '/');
	size_t alen = slash ? (size_t)(slash - s) : strlen(s);
	struct in_addr a;
	unsigned len = 32;

	if (alen >= sizeof(buf))
		return false;
	memcpy(buf, s, alen);
	buf[alen] = '\0';
	if (inet_pton(AF_INET, buf, &a) != 1)
		return false;
	if (slash) {
		char *end;
		long l = strtol(slash + 1, &end, 10);
		if (!slash[1] || *end || l < 0 || l > 32)
			return false;
		len = (unsigned)l;
	}
	out->mask = mask_of_len(len);
	out->addr = a.s_addr & out->mask;
	return true;
}

char *sip_net_format(const struct sip_net *n, char *buf, size_t size)
{
	char a[INET_ADDRSTRLEN];
	struct in_addr in = { n->addr };

	inet_ntop(AF_INET, &in, a, sizeof(a));
	if (n->mask == 0xffffffffu)
		snprintf(buf, size, "%s", a);
	else
		snprintf(buf, size, "%s/%d", a, mask_len(n->mask));
	return buf;
}

/* ---- the steering program ------------------------------------------------ */

/* The first four bytes of every SIP response: "SIP/". */
#define SIP_RESPONSE_WORD 0x5349502fu
/* Where the source address is: the IPv4 header's, ahead of the UDP
 * payload the program sees at offset 0. */
#define LOAD_SRC ((uint32_t)SKF_NET_OFF + 12)

size_t sip_steer_build(const struct sip_net *nets, size_t n_nets, const uint32_t *peers,
		       size_t n_peers, struct sock_filter *out, size_t max)
{
	size_t n = 0, exact = 0;

	for (size_t i = 0; i < n_nets; i++)
		exact += nets[i].mask == 0xffffffffu;
	if (2 + 2 * (exact + n_peers) + 4 * (n_nets - exact) + 4 > max)
		return 0;
#define EMIT(x) (out[n++] = (struct sock_filter)x)
	EMIT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, LOAD_SRC));
	EMIT(BPF_STMT(BPF_MISC | BPF_TAX, 0));
	/* Single addresses while A holds the source: equal -> the stack. */
	for (size_t i = 0; i < n_nets; i++) {
		if (nets[i].mask != 0xffffffffu)
			continue;
		EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ntohl(nets[i].addr), 0, 1));
		EMIT(BPF_STMT(BPF_RET | BPF_K, SIP_STEER_STACK));
	}
	for (size_t i = 0; i < n_peers; i++) {
		EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ntohl(peers[i]), 0, 1));
		EMIT(BPF_STMT(BPF_RET | BPF_K, SIP_STEER_STACK));
	}
	for (size_t i = 0; i < n_nets; i++) {
		if (nets[i].mask == 0xffffffffu)
			continue;
		EMIT(BPF_STMT(BPF_MISC | BPF_TXA, 0));
		EMIT(BPF_STMT(BPF_ALU | BPF_AND | BPF_K, ntohl(nets[i].mask)));
		EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, ntohl(nets[i].addr), 0, 1));
		EMIT(BPF_STMT(BPF_RET | BPF_K, SIP_STEER_STACK));
	}
	/* Responses go to the stack: they match one of our transactions or
	 * are discarded there without an answer, and the registrar's address
	 * (a name resolved by sofia-sip) is learnt from them.  A datagram
	 * shorter than four bytes fails the load, which returns 0: the
	 * stack, which drops runts. */
	EMIT(BPF_STMT(BPF_LD | BPF_W | BPF_ABS, 0));
	EMIT(BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SIP_RESPONSE_WORD, 0, 1));
	EMIT(BPF_STMT(BPF_RET | BPF_K, SIP_STEER_STACK));
	EMIT(BPF_STMT(BPF_RET | BPF_K, SIP_STEER_DRAIN));
#undef EMIT
	return n;
}

int sip_steer_run(const struct sock_filter *prog, size_t n, uint32_t src, const uint8_t *payload,
		  size_t len)
{
	uint32_t a = 0, x = 0;

	for (size_t pc = 0; pc < n; pc++) {
		const struct sock_filter *f = &prog[pc];
		switch (f->code) {
		case BPF_LD | BPF_W | BPF_ABS:
			if (f->k == LOAD_SRC) {
				a = ntohl(src);
			} else {
				if ((size_t)f->k + 4 > len)
					return 0; /* as the kernel: a failed load returns 0 */
				a = (uint32_t)payload[f->k] << 24 | (uint32_t)payload[f->k + 1] << 16 |
				    (uint32_t)payload[f->k + 2] << 8 | payload[f->k + 3];
			}
			break;
		case BPF_MISC | BPF_TAX: x = a; break;
		case BPF_MISC | BPF_TXA: a = x; break;
		case BPF_ALU | BPF_AND | BPF_K: a &= f->k; break;
		case BPF_JMP | BPF_JEQ | BPF_K: pc += a == f->k ? f->jt : f->jf; break;
		case BPF_RET | BPF_K: return (int)f->k;
		default: return -1;
		}
	}
	return -1;
}

/* ---- sockets -------------------------------------------------------------- */

int sip_guard_find_udp(uint32_t addr, uint16_t port)
{
	DIR *d = opendir("/proc/self/fd");
	struct dirent *e;
	int found = -1;

	if (!d)
		return -1;
	while (found < 0 && (e = readdir(d))) {
		char *end;
		long fd = strtol(e->d_name, &end, 10);
		struct stat st;
		struct sockaddr_in sa;
		socklen_t sl = sizeof(sa);
		int type = 0;
		socklen_t tl = sizeof(type);

		if (*end || fd < 0 || fd == dirfd(d) || fstat((int)fd, &st) < 0 || !S_ISSOCK(st.st_mode))
			continue;
		if (getsockopt((int)fd, SOL_SOCKET, SO_TYPE, &type, &tl) < 0 || type != SOCK_DGRAM)
			continue;
		if (getsockname((int)fd, (struct sockaddr *)&sa, &sl) < 0 || sa.sin_family != AF_INET)
			continue;
		if (sa.sin_addr.s_addr == addr && sa.sin_port == port)
			found = (int)fd;
	}
	closedir(d);
	return found;
}

int sip_guard_drain_open(int stack_fd)
{
	struct sockaddr_in sa;
	socklen_t sl = sizeof(sa);
	int one = 1, fd, e;

	if (getsockname(stack_fd, (struct sockaddr *)&sa, &sl) < 0)
		return -1;
	/* The stack's socket joins a port group once it allows it; the
	 * group forms when the drain binds. */
	if (setsockopt(stack_fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0)
		return -1;
	fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	if (fd < 0)
		return -1;
	/* IP_RECVERR: an ICMP error about a datagram the stack sent may be
	 * delivered here (the kernel picks a socket of the group by hash,
	 * without the steering program); the drain hands it on. */
	if (setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, SOL_SOCKET, SO_RXQ_OVFL, &one, sizeof(one)) < 0 ||
	    setsockopt(fd, IPPROTO_IP, IP_RECVERR, &one, sizeof(one)) < 0 ||
	    bind(fd, (struct sockaddr *)&sa, sl) < 0) {
		e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

int sip_guard_steer(int drain_fd, const struct sock_filter *prog, size_t n)
{
	struct sock_fprog fp = { .len = (unsigned short)n, .filter = (struct sock_filter *)prog };

	return setsockopt(drain_fd, SOL_SOCKET, SO_ATTACH_REUSEPORT_CBPF, &fp, sizeof(fp));
}

/* ---- token buckets ------------------------------------------------------- */

bool sip_bucket_take(struct sip_bucket *b, uint64_t now_ms, unsigned rate, unsigned burst)
{
	if (!b->used) {
		b->used = true;
		b->tokens = burst;
		b->last_ms = now_ms;
	} else if (now_ms > b->last_ms) {
		b->tokens += (double)(now_ms - b->last_ms) * rate / 1000.0;
		if (b->tokens > burst)
			b->tokens = burst;
		b->last_ms = now_ms;
	}
	if (b->tokens < 1.0)
		return false;
	b->tokens -= 1.0;
	return true;
}

static bool bucket_full(const struct sip_bucket *b, uint64_t now_ms, unsigned rate, unsigned burst)
{
	return b->tokens + (double)(now_ms - b->last_ms) * rate / 1000.0 >= burst;
}

enum sip_rl_verdict sip_ratelimit_check(struct sip_ratelimit *rl, const struct sip_limits *lim,
					uint32_t src, bool global, uint64_t now_ms)
{
	unsigned sr = lim && lim->source_rate ? lim->source_rate : SIP_RATE_SOURCE_DEFAULT;
	unsigned sb = lim && lim->source_burst ? lim->source_burst : SIP_BURST_SOURCE_DEFAULT;
	unsigned gr = lim && lim->global_rate ? lim->global_rate : SIP_RATE_GLOBAL_DEFAULT;
	unsigned gb = lim && lim->global_burst ? lim->global_burst : SIP_BURST_GLOBAL_DEFAULT;
	/* Fibonacci hashing: the product's top bits mix every address bit. */
	uint32_t h = (ntohl(src) * 2654435761u) >> 24;
	struct sip_bucket *b = &rl->source[h % SIP_RATE_SOURCES];

	/* A slot belongs to one source; another takes it over once it is
	 * idle (full again), else the two share it (a stricter limit). */
	if (b->used && b->key != src && bucket_full(b, now_ms, sr, sb))
		b->used = false;
	if (!b->used)
		b->key = src;
	if (!sip_bucket_take(b, now_ms, sr, sb))
		return SIP_RL_SOURCE;
	if (global && !sip_bucket_take(&rl->global, now_ms, gr, gb))
		return SIP_RL_GLOBAL;
	return SIP_RL_PASS;
}
