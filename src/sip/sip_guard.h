/* Who may open a dialog with the SIP user agent, and how fast
 * (docs/security.md).
 *
 * Trusted sources are networks (address and mask): the SIP server's
 * addresses, "vpn-sip trusted-source" lines, and the addresses the
 * registrar answered from.  A request outside a dialog from anywhere else
 * gets no answer.  Two layers enforce it:
 *
 *   the kernel: the SIP socket shares its port (SO_REUSEPORT) with a
 *     second socket, the drain, and a classic BPF program picks the socket
 *     for each datagram: trusted sources, the peers of running dialogs and
 *     responses go to the SIP stack, everything else to the drain, which
 *     only counts and discards.  sofia-sip never parses, answers or keeps
 *     state for those datagrams (it sends "100 Trying" before its user
 *     sees an INVITE, and a refused INVITE holds a transaction for 32 s);
 *   the user agent: the source address of every request outside a dialog
 *     is checked again (403 when the kernel layer is unavailable), and the
 *     token buckets below decide whether it is served (503 when not).
 *
 * Everything here is plain C without sofia-sip, for the unit tests. */
#ifndef VPNSIP_SIP_SIP_GUARD_H
#define VPNSIP_SIP_SIP_GUARD_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

struct sock_filter;

/* An IPv4 network, both in network byte order; mask 255.255.255.255 for
 * one address. */
struct sip_net {
	uint32_t addr, mask;
};

bool sip_net_match(const struct sip_net *nets, size_t n, uint32_t addr);
/* "A.B.C.D" or "A.B.C.D/N" (N: mask length); false if malformed. */
bool sip_net_parse(const char *s, struct sip_net *out);
/* "A.B.C.D" for a host, "A.B.C.D/N" for a network (buf >= 20). */
char *sip_net_format(const struct sip_net *n, char *buf, size_t size);

/* ---- the steering program ------------------------------------------------ */

/* Room for every trusted network (4 instructions each) and dialog peer (2)
 * within BPF_MAXINSNS (4096). */
#define SIP_GUARD_MAX_NETS 64
#define SIP_GUARD_MAX_PEERS 1500
#define SIP_STEER_STACK 0 /* reuseport index of the SIP stack's socket */
#define SIP_STEER_DRAIN 1 /* ... and of the drain */

/* The steering program into out[max]: returns its length, 0 if it does
 * not fit.  nets: trusted networks; peers: single addresses (the dialog
 * peers, network byte order). */
size_t sip_steer_build(const struct sip_net *nets, size_t n_nets, const uint32_t *peers,
		       size_t n_peers, struct sock_filter *out, size_t max);
/* Interpret such a program for a datagram from src (network byte order)
 * carrying payload (len bytes): the socket index it picks.  For tests: it
 * knows only the instructions sip_steer_build() emits (-1 on others). */
int sip_steer_run(const struct sock_filter *prog, size_t n, uint32_t src, const uint8_t *payload,
		  size_t len);

/* The UDP socket of this process bound to addr:port (network byte order),
 * found among its descriptors; -1 if none. */
int sip_guard_find_udp(uint32_t addr, uint16_t port);
/* Join stack_fd's port with a new non-blocking drain socket; returns the
 * drain's descriptor, or -1 with errno. */
int sip_guard_drain_open(int stack_fd);
/* Install (or replace, atomically) the steering program on the port
 * group; 0 or -1 with errno. */
int sip_guard_steer(int drain_fd, const struct sock_filter *prog, size_t n);

/* ---- token buckets ------------------------------------------------------- */

struct sip_bucket {
	double tokens;
	uint64_t last_ms;
	uint32_t key;  /* the source it belongs to (per-source table) */
	bool used;
};

/* Take one token from a bucket refilled at rate per second up to burst;
 * false if there is none. */
bool sip_bucket_take(struct sip_bucket *b, uint64_t now_ms, unsigned rate, unsigned burst);

/* Requests outside a dialog, per source and in all.  Defaults: one source
 * (the carrier's proxy brings every legitimate call) may send a burst of
 * 2000 (a thousand tunnels called at once, with room) and 200 per second
 * after it; all trusted networks together twice that (the SIP server is
 * not counted there). */
#define SIP_RATE_SOURCE_DEFAULT 200
#define SIP_BURST_SOURCE_DEFAULT 2000
#define SIP_RATE_GLOBAL_DEFAULT 400
#define SIP_BURST_GLOBAL_DEFAULT 4000
#define SIP_RATE_SOURCES 256 /* sources tracked at once; more share buckets */

struct sip_limits {
	unsigned source_rate, source_burst, global_rate, global_burst;
};

struct sip_ratelimit {
	struct sip_bucket global;
	struct sip_bucket source[SIP_RATE_SOURCES];
};

enum sip_rl_verdict { SIP_RL_PASS = 0, SIP_RL_SOURCE, SIP_RL_GLOBAL };

/* Zero fields of lim mean the defaults.  global: the request counts
 * against the global bucket too (else only its source's). */
enum sip_rl_verdict sip_ratelimit_check(struct sip_ratelimit *rl, const struct sip_limits *lim,
					uint32_t src, bool global, uint64_t now_ms);

#endif
