/* The guard (sip_guard.h) as the user agent runs it: the trusted networks
 * in use and the kernel steering program built from them, the drain
 * socket that takes what the program steers away (and ICMP errors the
 * kernel queued there), the admission of requests outside a dialog, and
 * the dialog peers let through.  SIP thread only, except what guard_lock
 * covers ("show" reads it from the main thread); see sip_ua_int.h. */
#include "sip/sip_ua_int.h"

#include <errno.h>
#include <stdlib.h>
#include <unistd.h>

#include <linux/errqueue.h>
#include <linux/filter.h>
#include <sofia-sip/msg_addr.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su_tag_io.h>

#include "log/log.h"
#include "sip/sip_int.h"
#include "util/evloop.h"
#include "util/xalloc.h"

/* Events waiting for the main thread: at this many a new INVITE is refused
 * (503) on the SIP thread.  Events of calls that exist and registrations
 * always go: they are bounded by the calls, and losing one would leave a
 * session out of step with its dialog. */
#define EVENTS_MAX 256
#define RETRY_AFTER "5"          /* seconds, in 503 answers to requests over the limits */

/* ---- trusted networks ------------------------------------------------------ */

bool guard_trusted(const struct sip_ua *ua, uint32_t a)
{
	return sip_net_match(ua->nets, ua->n_nets, a);
}

/* One of the SIP server's addresses (not only a trusted network)? */
bool guard_is_server(const struct sip_ua *ua, uint32_t a)
{
	for (size_t i = 0; i < ua->n_nets; i++)
		if ((a & ua->nets[i].mask) == ua->nets[i].addr && strcmp(ua->nets_why[i], "configured") != 0)
			return true;
	return false;
}

static void nets_add(struct sip_net *nets, char why[][16], size_t *n, struct sip_net net,
		     const char *label)
{
	if (*n >= SIP_GUARD_MAX_NETS)
		return;
	if (net.mask == 0xffffffffu && sip_net_match(nets, *n, net.addr))
		return; /* covered already */
	nets[*n] = net;
	copy_str(why[*n], sizeof(why[*n]), label);
	(*n)++;
}

static int on_drain(struct sip_ua *ua, su_wait_t *w, void *arg);

/* Without the drain every datagram goes to the stack again. */
static void drain_close(struct sip_ua *ua)
{
	if (ua->drain_registered) {
		su_root_unregister(ua->root, ua->drain_wait, on_drain, NULL);
		su_wait_destroy(ua->drain_wait);
		ua->drain_registered = false;
	}
	close(ua->drain_fd);
	ua->drain_fd = -1;
}

/* The kernel steering program for the trusted networks and dialog peers
 * now; without it, the user agent's own check alone (403). */
static void guard_steer(struct sip_ua *ua)
{
	struct sock_filter *prog;
	uint32_t *peers;
	size_t np = 0, len;

	if (ua->drain_fd < 0)
		return;
	peers = xcalloc(ua->peers.count + 1, sizeof(*peers));
	for (struct hashmap_entry *e = NULL; (e = hashmap_next(&ua->peers, e)) && np < SIP_GUARD_MAX_PEERS;)
		peers[np++] = (uint32_t)strtoul(e->key, NULL, 16);
	prog = xcalloc(BPF_MAXINSNS, sizeof(*prog));
	len = sip_steer_build(ua->nets, ua->n_nets, peers, np, prog, BPF_MAXINSNS);
	if (!len || sip_guard_steer(ua->drain_fd, prog, len) < 0) {
		/* Cannot happen with the caps in sip_guard.h; if it does, every
		 * datagram goes to the stack and the user agent refuses (403). */
		pthread_mutex_lock(&ua->guard_lock);
		snprintf(ua->steering_error, sizeof(ua->steering_error), "cannot install the program: %s",
			 len ? strerror(errno) : "too long");
		ua->steering = false;
		pthread_mutex_unlock(&ua->guard_lock);
		log_msg("SIP", SEV_ERR, "GUARD", "SIP source filter: %s", ua->steering_error);
		drain_close(ua);
	} else {
		pthread_mutex_lock(&ua->guard_lock);
		ua->n_peers = np;
		pthread_mutex_unlock(&ua->guard_lock);
	}
	free(prog);
	free(peers);
}

/* Every trusted network now: the server if it is an address, the other
 * server addresses of the settings (DHCP option 120), the registrar's
 * addresses learnt from its answers, the trusted networks ("vpn-sip
 * trusted-source"). */
void guard_update(struct sip_ua *ua)
{
	struct sip_net nets[SIP_GUARD_MAX_NETS];
	char why[SIP_GUARD_MAX_NETS][16];
	size_t n = 0;
	struct in_addr a;

	if (ua->cur.server && inet_pton(AF_INET, ua->cur.server, &a) == 1)
		nets_add(nets, why, &n, (struct sip_net){ a.s_addr, 0xffffffffu }, "server");
	for (size_t i = 0; i < ua->cur.n_servers; i++)
		nets_add(nets, why, &n, ua->cur.servers[i], "server");
	for (size_t i = 0; i < ua->n_learnt; i++)
		nets_add(nets, why, &n, (struct sip_net){ ua->learnt[i], 0xffffffffu }, "registrar");
	for (size_t i = 0; i < ua->cur.n_trusted; i++)
		nets_add(nets, why, &n, ua->cur.trusted[i], "configured");
	pthread_mutex_lock(&ua->guard_lock);
	memcpy(ua->nets, nets, n * sizeof(nets[0]));
	memcpy(ua->nets_why, why, n * sizeof(why[0]));
	ua->n_nets = n;
	pthread_mutex_unlock(&ua->guard_lock);
	guard_steer(ua);
}

/* ---- the drain socket ------------------------------------------------------ */

/* ICMP errors about our own datagrams that the kernel queued on the drain
 * instead of the stack's socket (it chooses by hash): "port unreachable"
 * goes to the registration (regs_unreachable()), as sofia-sip's own
 * socket would have told it. */
static void drain_errors(struct sip_ua *ua)
{
	for (int i = 0; i < 64; i++) {
		union {
			char buf[CMSG_SPACE(sizeof(struct sock_extended_err) + sizeof(struct sockaddr_in))];
			struct cmsghdr align;
		} ctl;
		struct sockaddr_in to;
		char byte;
		struct iovec iov = { &byte, 1 };
		struct msghdr m = { .msg_name = &to, .msg_namelen = sizeof(to), .msg_iov = &iov,
				    .msg_iovlen = 1, .msg_control = ctl.buf,
				    .msg_controllen = sizeof(ctl.buf) };
		bool unreachable = false;

		if (recvmsg(ua->drain_fd, &m, MSG_ERRQUEUE | MSG_DONTWAIT) < 0)
			return;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&m); c; c = CMSG_NXTHDR(&m, c)) {
			struct sock_extended_err ee;
			if (c->cmsg_level != IPPROTO_IP || c->cmsg_type != IP_RECVERR)
				continue;
			memcpy(&ee, CMSG_DATA(c), sizeof(ee));
			unreachable = ee.ee_origin == SO_EE_ORIGIN_ICMP && ee.ee_type == 3;
		}
		if (unreachable && m.msg_namelen >= sizeof(to))
			regs_unreachable(ua, to.sin_addr.s_addr, ntohs(to.sin_port));
	}
}

/* The kernel datagrams from untrusted sources were steered to: count
 * them, remember the last one, say so (rate-limited), discard. */
static int on_drain(struct sip_ua *ua, su_wait_t *w, void *arg)
{
	static struct log_ratelimit rl = LOG_RATELIMIT_INIT(60000, 1);
	enum { BATCH = 32, ROUNDS = 32 };
	struct mmsghdr msgs[BATCH];
	struct iovec iov[BATCH];
	struct sockaddr_in from[BATCH];
	char head[BATCH][24];
	union {
		char buf[CMSG_SPACE(sizeof(uint32_t))];
		struct cmsghdr align;
	} ctl[BATCH];
	unsigned long got = 0;
	uint32_t ovfl = 0;
	bool have_ovfl = false;
	int last = -1;

	drain_errors(ua);
	for (int round = 0; round < ROUNDS; round++) {
		memset(msgs, 0, sizeof(msgs));
		for (int i = 0; i < BATCH; i++) {
			iov[i] = (struct iovec){ head[i], sizeof(head[i]) - 1 };
			msgs[i].msg_hdr = (struct msghdr){ .msg_name = &from[i], .msg_namelen = sizeof(from[i]),
							   .msg_iov = &iov[i], .msg_iovlen = 1,
							   .msg_control = ctl[i].buf,
							   .msg_controllen = sizeof(ctl[i].buf) };
		}
		int n = recvmmsg(ua->drain_fd, msgs, BATCH, MSG_DONTWAIT, NULL);
		if (n <= 0)
			break;
		got += (unsigned long)n;
		last = n - 1;
		for (struct cmsghdr *c = CMSG_FIRSTHDR(&msgs[last].msg_hdr); c;
		     c = CMSG_NXTHDR(&msgs[last].msg_hdr, c))
			if (c->cmsg_level == SOL_SOCKET && c->cmsg_type == SO_RXQ_OVFL) {
				memcpy(&ovfl, CMSG_DATA(c), sizeof(ovfl));
				have_ovfl = true;
			}
		if (n < BATCH)
			break;
	}
	if (!got)
		return 0;
	/* The method (or whatever the datagram starts with), printable. */
	char method[16];
	size_t len = msgs[last].msg_len < sizeof(method) - 1 ? msgs[last].msg_len : sizeof(method) - 1;
	size_t k = 0;
	for (; k < len && head[last][k] > ' ' && head[last][k] < 127; k++)
		method[k] = head[last][k];
	method[k] = '\0';
	if (!k)
		copy_str(method, sizeof(method), "datagram");
	/* The drain's own overflow (a flood faster than this loop) counts too. */
	unsigned long lost = have_ovfl && ovfl > ua->drain_overflow ? ovfl - ua->drain_overflow : 0;
	if (have_ovfl)
		ua->drain_overflow = ovfl;
	unsigned long total = atomic_fetch_add(&ua->st_untrusted_dropped, got + lost) + got + lost;
	pthread_mutex_lock(&ua->guard_lock);
	ua->last_untrusted = from[last].sin_addr.s_addr;
	ua->last_untrusted_port = ntohs(from[last].sin_port);
	copy_str(ua->last_untrusted_method, sizeof(ua->last_untrusted_method), method);
	pthread_mutex_unlock(&ua->guard_lock);
	char a[INET_ADDRSTRLEN];
	addr_text(from[last].sin_addr.s_addr, a);
	log_msg_limited(&rl, "SIP", SEV_WARNING, "UNTRUSTED",
			"%s from %s:%u dropped without an answer: not a trusted source "
			"(SIP server or vpn-sip trusted-source); %lu dropped so far",
			method, a, ntohs(from[last].sin_port), total);
	return 0;
}

void guard_detach(struct sip_ua *ua)
{
	if (ua->drain_fd < 0)
		return;
	drain_close(ua);
	pthread_mutex_lock(&ua->guard_lock);
	ua->steering = false;
	copy_str(ua->steering_error, sizeof(ua->steering_error), "no SIP transport");
	pthread_mutex_unlock(&ua->guard_lock);
}

/* A new transport: the drain joins its port.  Before the first REGISTER
 * leaves (until the program is in, the kernel spreads datagrams over
 * both sockets). */
void guard_attach(struct sip_ua *ua)
{
	struct in_addr a;
	const char *why = NULL;
	int fd;

	guard_detach(ua);
	ua->n_learnt = 0;
	if (!ua->cur.local_addr || inet_pton(AF_INET, ua->cur.local_addr, &a) != 1)
		why = "no IPv4 address";
	else if ((fd = sip_guard_find_udp(a.s_addr, htons(ua->cur.local_port))) < 0)
		why = "the SIP socket was not found";
	else if ((ua->drain_fd = sip_guard_drain_open(fd)) < 0)
		why = strerror(errno);
	if (!why) {
		su_wait_create(ua->drain_wait, ua->drain_fd, SU_WAIT_IN | SU_WAIT_ERR);
		if (su_root_register(ua->root, ua->drain_wait, on_drain, NULL, 0) < 0) {
			su_wait_destroy(ua->drain_wait);
			close(ua->drain_fd);
			ua->drain_fd = -1;
			why = "cannot watch the drain socket";
		} else {
			ua->drain_registered = true;
		}
	}
	pthread_mutex_lock(&ua->guard_lock);
	ua->steering = !why;
	copy_str(ua->steering_error, sizeof(ua->steering_error), why);
	pthread_mutex_unlock(&ua->guard_lock);
	if (why)
		log_msg("SIP", SEV_ERR, "GUARD",
			"SIP source filter unavailable (%s): requests from untrusted sources get 403", why);
	guard_update(ua);
}

/* ---- requests outside a dialog --------------------------------------------- */

/* The address a request or response of the current nua event came from. */
bool guard_event_source(struct sip_ua *ua, uint32_t *addr, uint16_t *port)
{
	msg_t *msg = ua->nua ? nua_current_request(ua->nua) : NULL;
	su_addrinfo_t *ai = msg ? msg_addrinfo(msg) : NULL;

	if (!ai || !ai->ai_addr || ai->ai_family != AF_INET)
		return false;
	*addr = ((struct sockaddr_in *)ai->ai_addr)->sin_addr.s_addr;
	*port = ntohs(((struct sockaddr_in *)ai->ai_addr)->sin_port);
	return true;
}

/* The registrar answered our REGISTER from there: a server address (a
 * name resolved by sofia-sip's resolver, or another address of it). */
void guard_learn(struct sip_ua *ua)
{
	uint32_t a;
	uint16_t port;
	char text[INET_ADDRSTRLEN];

	if (!guard_event_source(ua, &a, &port) || guard_trusted(ua, a))
		return;
	if (ua->n_learnt == LEARNT_MAX)
		memmove(ua->learnt, ua->learnt + 1, (LEARNT_MAX - 1) * sizeof(ua->learnt[0]));
	else
		ua->n_learnt++;
	ua->learnt[ua->n_learnt - 1] = a;
	addr_text(a, text);
	sip_dbg_transport("SIP registrar answers from %s: a trusted source now", text);
	guard_update(ua);
}

/* A request outside a dialog: 0 to serve it, else the status it was
 * refused with (the answer is out, the handle destroyed). */
int guard_admit(struct sip_ua *ua, nua_handle_t *nh, const char *method, bool invite)
{
	static struct log_ratelimit rl_untrusted = LOG_RATELIMIT_INIT(60000, 1);
	static struct log_ratelimit rl_limit = LOG_RATELIMIT_INIT(60000, 1);
	static struct log_ratelimit rl_busy = LOG_RATELIMIT_INIT(60000, 1);
	uint32_t src = 0;
	uint16_t port = 0;
	char a[INET_ADDRSTRLEN];
	int status = 0;
	const char *why = NULL;

	if (!guard_event_source(ua, &src, &port) || !guard_trusted(ua, src)) {
		unsigned long n = atomic_fetch_add(&ua->st_untrusted_refused, 1) + 1;
		pthread_mutex_lock(&ua->guard_lock);
		ua->last_untrusted = src;
		ua->last_untrusted_port = port;
		copy_str(ua->last_untrusted_method, sizeof(ua->last_untrusted_method), method);
		pthread_mutex_unlock(&ua->guard_lock);
		addr_text(src, a);
		log_msg_limited(&rl_untrusted, "SIP", SEV_WARNING, "UNTRUSTED",
				"%s from %s:%u refused 403: not a trusted source (SIP server or "
				"vpn-sip trusted-source); %lu refused so far", method, a, port, n);
		status = 403;
	} else {
		enum sip_rl_verdict v = sip_ratelimit_check(&ua->rl, &ua->cur.limits, src,
							    !guard_is_server(ua, src), evloop_now_ms());
		if (v == SIP_RL_SOURCE) {
			atomic_fetch_add(&ua->st_rl_source, 1);
			why = "over the per-source rate limit";
		} else if (v == SIP_RL_GLOBAL) {
			atomic_fetch_add(&ua->st_rl_global, 1);
			why = "over the global rate limit";
		}
		if (why) {
			addr_text(src, a);
			log_msg_limited(&rl_limit, "SIP", SEV_WARNING, "RATE_LIMIT",
					"%s from %s:%u refused 503: %s", method, a, port, why);
			status = 503;
		} else if (invite && atomic_load(&ua->sink->pending) >= EVENTS_MAX) {
			atomic_fetch_add(&ua->st_busy, 1);
			log_msg_limited(&rl_busy, "SIP", SEV_WARNING, "BUSY",
					"INVITE refused 503: %d events wait for the main thread", EVENTS_MAX);
			status = 503;
		}
	}
	if (!status) {
		atomic_fetch_add(&ua->st_served, 1);
		return 0;
	}
	if (status == 503)
		nua_respond(nh, 503, "Service Unavailable", NUTAG_WITH_THIS(ua->nua),
			    SIPTAG_RETRY_AFTER_STR(RETRY_AFTER), TAG_END());
	else
		nua_respond(nh, status, sip_status_phrase(status), NUTAG_WITH_THIS(ua->nua), TAG_END());
	nua_handle_destroy(nh);
	return status;
}

/* ---- dialog peers ----------------------------------------------------------- */

/* A call's peer sends in-dialog requests to our Contact, straight from
 * its own when the SIP server does not stay in the path (no
 * Record-Route): its Contact address is let through while the call
 * lasts, from the answer on (not for every INVITE a trusted source
 * sends: each new address rebuilds the kernel program). */
void guard_peer_add(struct sip_ua *ua, struct sip_call *c, uint32_t a)
{
	char key[16];
	unsigned *refs;

	if (c->peer || !a || guard_trusted(ua, a))
		return;
	c->peer = a;
	snprintf(key, sizeof(key), "%08x", (unsigned)a);
	refs = hashmap_get(&ua->peers, key);
	if (refs) {
		(*refs)++;
		return;
	}
	refs = xcalloc(1, sizeof(*refs));
	*refs = 1;
	hashmap_put(&ua->peers, key, refs);
	guard_steer(ua);
}

void guard_peer_del(struct sip_ua *ua, struct sip_call *c)
{
	char key[16];
	unsigned *refs;

	if (!c->peer)
		return;
	snprintf(key, sizeof(key), "%08x", (unsigned)c->peer);
	c->peer = 0;
	refs = hashmap_get(&ua->peers, key);
	if (!refs || --*refs)
		return;
	free(hashmap_del(&ua->peers, key));
	guard_steer(ua);
}
