/* The SIP user agent: sofia-sip nua on its own thread.  See sip.h.
 *
 * Thread rules: everything below "SIP thread" runs on the SIP thread only
 * (the su_root's), including every nua_* call; the public functions at the
 * end only queue commands.  Events travel to the main thread with
 * evloop_post() through a refcounted sink that sip_ua_stop() closes, so an
 * event still queued when the UA stops is freed without being delivered. */
#define SU_ROOT_MAGIC_T struct sip_ua
#define NUA_MAGIC_T struct sip_ua
#define NUA_HMAGIC_T struct sip_call
#define SU_WAKEUP_ARG_T void
#define SU_TIMER_ARG_T void

#include <arpa/inet.h>
#include <errno.h>
#include <malloc.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <linux/errqueue.h>
#include <linux/filter.h>
#include <sofia-sip/msg_addr.h>
#include <sofia-sip/msg_header.h>
#include <sofia-sip/nua.h>
#include <sofia-sip/sofia_features.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/sip_status.h>
#include <sofia-sip/su.h>
#include <sofia-sip/su_tag_io.h>
#include <sofia-sip/su_wait.h>
#include <sofia-sip/sresolv.h>
#include <sofia-sip/tport_tag.h>

#include "log/log.h"
#include "sip/sip.h"
#include "sip/sip_int.h"
#include "sip/sip_msg.h"
#include "util/evloop.h"
#include "util/hashmap.h"
#include "util/xalloc.h"
#include "vpnsip/version.h"

#define STOP_GRACE_MS 3000       /* unregister + BYEs at shutdown */
#define RETRY_MIN_S 2            /* registration back-off: 2, 4, 8 ... 64 s */
#define RETRY_MAX_S 64
#define MAX_AUTH_TRIES 2         /* a second 401 with our credentials: give up (403-like) */
/* Events waiting for the main thread: at this many a new INVITE is refused
 * (503) on the SIP thread.  Events of calls that exist and registrations
 * always go: they are bounded by the calls, and losing one would leave a
 * session out of step with its dialog. */
#define EVENTS_MAX 256
#define LEARNT_MAX 8             /* registrar addresses learnt from its answers */
#define RETRY_AFTER "5"          /* seconds, in 503 answers to requests over the limits */

/* ---- owned copies of the settings -------------------------------------- */

struct settings {
	bool enabled;
	char *local_number, *local_addr, *server, *domain, *username, *password;
	char *dns_servers;
	char **numbers;           /* every local number, local_number first */
	size_t n_numbers;
	uint16_t local_port, server_port;
	bool server_port_set;
	unsigned expires, session_expires, call_timeout;
	enum sip_uri_form uri_form;
	struct sip_net *servers, *trusted;
	size_t n_servers, n_trusted;
	struct sip_limits limits;
};

static char *dup0(const char *s)
{
	return s && *s ? xstrdup(s) : NULL;
}

static bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

static void settings_copy(struct settings *d, const struct sip_settings *s)
{
	d->enabled = s->enabled;
	d->local_number = dup0(s->local_number);
	d->local_addr = dup0(s->local_addr);
	d->server = dup0(s->server);
	d->domain = dup0(s->domain);
	d->username = dup0(s->username);
	d->password = dup0(s->password);
	d->dns_servers = dup0(s->dns_servers);
	d->server_port_set = s->server_port != 0;
	d->call_timeout = s->call_timeout ? s->call_timeout : SIP_CALL_TIMEOUT_DEFAULT;
	d->local_port = s->local_port ? s->local_port : SIP_PORT_DEFAULT;
	d->server_port = s->server_port ? s->server_port : SIP_PORT_DEFAULT;
	d->expires = s->expires ? s->expires : 3600;
	d->session_expires = s->session_expires;
	d->uri_form = s->uri_form;
	d->n_servers = s->n_servers < SIP_GUARD_MAX_NETS ? s->n_servers : SIP_GUARD_MAX_NETS;
	d->servers = xcalloc(d->n_servers + 1, sizeof(*d->servers));
	if (d->n_servers)
		memcpy(d->servers, s->servers, d->n_servers * sizeof(*d->servers));
	d->n_trusted = s->n_trusted < SIP_GUARD_MAX_NETS ? s->n_trusted : SIP_GUARD_MAX_NETS;
	d->trusted = xcalloc(d->n_trusted + 1, sizeof(*d->trusted));
	if (d->n_trusted)
		memcpy(d->trusted, s->trusted, d->n_trusted * sizeof(*d->trusted));
	d->limits = s->limits;
	d->numbers = xcalloc(s->n_local_numbers + 1, sizeof(*d->numbers));
	if (d->local_number)
		d->numbers[d->n_numbers++] = xstrdup(d->local_number);
	for (size_t i = 0; i < s->n_local_numbers; i++)
		if (s->local_numbers[i] && *s->local_numbers[i] &&
		    !str_eq(s->local_numbers[i], d->local_number))
			d->numbers[d->n_numbers++] = xstrdup(s->local_numbers[i]);
}

static void settings_free(struct settings *d)
{
	if (d->password)
		explicit_bzero(d->password, strlen(d->password));
	free(d->local_number);
	free(d->local_addr);
	free(d->server);
	free(d->domain);
	free(d->username);
	free(d->password);
	free(d->dns_servers);
	for (size_t i = 0; i < d->n_numbers; i++)
		free(d->numbers[i]);
	free(d->numbers);
	free(d->servers);
	free(d->trusted);
	memset(d, 0, sizeof(*d));
}

static bool numbers_eq(const struct settings *a, const struct settings *b)
{
	if (a->n_numbers != b->n_numbers)
		return false;
	for (size_t i = 0; i < a->n_numbers; i++)
		if (strcmp(a->numbers[i], b->numbers[i]) != 0)
			return false;
	return true;
}

/* The guard's part: trusted networks and rate limits. */
static bool guard_settings_eq(const struct settings *a, const struct settings *b)
{
	return a->n_trusted == b->n_trusted && a->n_servers == b->n_servers &&
	       (!a->n_trusted || memcmp(a->trusted, b->trusted, a->n_trusted * sizeof(*a->trusted)) == 0) &&
	       (!a->n_servers || memcmp(a->servers, b->servers, a->n_servers * sizeof(*a->servers)) == 0) &&
	       memcmp(&a->limits, &b->limits, sizeof(a->limits)) == 0;
}

static bool settings_eq(const struct settings *a, const struct settings *b)
{
	return numbers_eq(a, b) && guard_settings_eq(a, b) && a->enabled == b->enabled && str_eq(a->local_number, b->local_number) &&
	       str_eq(a->local_addr, b->local_addr) && str_eq(a->server, b->server) &&
	       str_eq(a->domain, b->domain) && str_eq(a->username, b->username) &&
	       str_eq(a->password, b->password) && a->local_port == b->local_port &&
	       a->server_port == b->server_port && a->expires == b->expires &&
	       a->session_expires == b->session_expires && a->uri_form == b->uri_form &&
	       a->call_timeout == b->call_timeout && str_eq(a->dns_servers, b->dns_servers) &&
	       a->server_port_set == b->server_port_set;
}

/* Usable: enough to bind and register. */
static bool settings_usable(const struct settings *s)
{
	return s->enabled && s->local_number && s->local_addr && (s->server || s->domain);
}

/* ---- commands (any thread -> SIP thread) -------------------------------- */

enum cmd_type { CMD_CONFIGURE, CMD_PLACE, CMD_ANSWER, CMD_REJECT, CMD_HANGUP, CMD_STOP };

struct cmd {
	enum cmd_type type;
	uint32_t call;
	int status;
	char *text;   /* PLACE: remote number; REJECT: phrase */
	char *from;   /* PLACE: local number (NULL: the primary) */
	char *sdp;
	struct settings settings;
	struct cmd *next;
};

/* ---- events (SIP thread -> main thread) --------------------------------- */

struct sink {
	atomic_int refs;
	atomic_ulong pending; /* posted, not yet delivered */
	bool closed; /* main thread only */
	sip_event_fn fn;
	void *arg;
};

struct post {
	struct sink *sink;
	struct sip_event ev;
};

static void sink_unref(struct sink *s)
{
	if (atomic_fetch_sub(&s->refs, 1) == 1)
		free(s);
}

static void deliver(void *p)
{
	struct post *post = p;

	if (!post->sink->closed)
		post->sink->fn(&post->ev, post->sink->arg);
	atomic_fetch_sub(&post->sink->pending, 1);
	sink_unref(post->sink);
	free(post);
}

/* ---- the UA ------------------------------------------------------------ */

/* One REGISTER dialog: one per local number. */
struct reg {
	struct sip_ua *ua;
	char *number;
	nua_handle_t *nh;
	struct sip_reg_status st;
	int auth_tries;
	unsigned backoff_s;
	su_timer_t *retry_timer;
	bool leaving;     /* unregistering: freed on the answer */
};

struct sip_call {
	uint32_t id;
	nua_handle_t *nh;
	bool outgoing;
	bool offered;     /* incoming, waiting for answer/reject from the orchestrator */
	bool answered;    /* 2xx sent or received */
	bool acked;       /* incoming: our 2xx was acknowledged */
	bool ended;       /* ENDED event posted */
	bool bye_sent;
	bool cancel_sent;
	bool remote_known; /* remote_addr/port: the peer's SDP at setup */
	uint32_t peer;     /* its Contact address let through the kernel steering, 0: none */
	uint32_t peer_contact; /* incoming: the caller's Contact address, let through once answered */
	char remote_addr[SDP_ADDR_MAX];
	uint16_t remote_port;
	enum sip_end_cause cause;
	bool have_cause;
	int status;
	char phrase[64];
	char call_id[SIP_CALLID_MAX];
	char *local_sdp;  /* for re-INVITE answers */
	uint64_t offered_ms;
	uint64_t placed_ms;  /* outgoing: when the INVITE left */
	int auth_tries;
	struct sip_ua *ua;
};

struct sip_ua {
	struct evloop *loop;
	struct sink *sink;
	pthread_t thread;
	bool thread_ok;
	int efd;
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool ready;
	struct cmd *head, **tail;
	atomic_uint next_call;

	/* SIP thread only from here on. */
	su_home_t home[1];
	su_root_t *root;
	su_wait_t wait[1];
	nua_t *nua;
	bool nua_shutting;   /* nua_shutdown() issued */
	struct settings cur; /* what the running nua was made from */
	struct settings want;
	bool have_want;
	struct hashmap regs;       /* number -> struct reg */
	struct hashmap reg_by_nh;  /* "%p" of its nua handle -> struct reg */
	unsigned backoff_s;        /* transport (nua_create) back-off */
	su_timer_t *retry_timer, *tick_timer, *stop_timer, *finish_timer;
	struct hashmap calls; /* "%08x" handle -> sip_call */
	int resolv_fd;        /* memfd: resolv.conf for sofia's resolver (-1: none) */
	bool stopping;
	bool stop_done;

	atomic_ulong st_out, st_in, st_rejected, st_answered, st_reg, st_regfail;
	atomic_uint st_active;

	/* The guard (sip_guard.h): SIP thread, except what guard_lock
	 * covers, which "show" reads from the main thread. */
	int drain_fd;              /* -1: no kernel steering */
	su_wait_t drain_wait[1];
	bool drain_registered;
	uint32_t learnt[LEARNT_MAX]; /* registrar addresses (network byte order) */
	size_t n_learnt;
	struct hashmap peers;      /* "%08x" dialog peer address -> its count of calls */
	struct sip_ratelimit rl;
	pthread_mutex_t guard_lock;
	struct sip_net nets[SIP_GUARD_MAX_NETS]; /* every trusted network in use */
	char nets_why[SIP_GUARD_MAX_NETS][16];
	size_t n_nets;
	size_t n_peers;
	bool steering;
	char steering_error[96];
	uint32_t last_untrusted;
	uint16_t last_untrusted_port;
	char last_untrusted_method[16];
	atomic_ulong st_untrusted_dropped, st_untrusted_refused, st_rl_source, st_rl_global;
	atomic_ulong st_busy, st_served, st_pending_max;
	unsigned long drain_overflow; /* the drain socket's own drops (SO_RXQ_OVFL) */
	unsigned trim_ticks, trim_left; /* trim_after_bursts() */
	unsigned long trim_seen;
};

static void post_event(struct sip_ua *ua, const struct sip_event *ev)
{
	struct post *p = xmalloc(sizeof(*p));

	unsigned long pending = atomic_fetch_add(&ua->sink->pending, 1) + 1;

	if (pending > atomic_load(&ua->st_pending_max))
		atomic_store(&ua->st_pending_max, pending);
	p->sink = ua->sink;
	atomic_fetch_add(&ua->sink->refs, 1);
	p->ev = *ev;
	evloop_post(ua->loop, deliver, p);
}

static void copy_str(char *dst, size_t size, const char *src)
{
	snprintf(dst, size, "%s", src ? src : "");
}

static struct sip_call *call_find(struct sip_ua *ua, uint32_t id)
{
	char key[16];

	snprintf(key, sizeof(key), "%08x", id);
	return hashmap_get(&ua->calls, key);
}

static struct sip_call *call_new(struct sip_ua *ua, uint32_t id, bool outgoing)
{
	struct sip_call *c = xcalloc(1, sizeof(*c));
	char key[16];

	c->id = id;
	c->outgoing = outgoing;
	c->ua = ua;
	snprintf(key, sizeof(key), "%08x", id);
	hashmap_put(&ua->calls, key, c);
	atomic_fetch_add(&ua->st_active, 1);
	return c;
}

static void peer_del(struct sip_ua *ua, struct sip_call *c);

static void call_free(struct sip_ua *ua, struct sip_call *c)
{
	char key[16];

	peer_del(ua, c);
	snprintf(key, sizeof(key), "%08x", c->id);
	hashmap_del(&ua->calls, key);
	if (c->nh) {
		nua_handle_bind(c->nh, NULL);
		nua_handle_destroy(c->nh);
	}
	free(c->local_sdp);
	free(c);
	atomic_fetch_sub(&ua->st_active, 1);
}

static void set_cause(struct sip_call *c, enum sip_end_cause cause, int status, const char *phrase)
{
	if (c->have_cause)
		return;
	c->have_cause = true;
	c->cause = cause;
	c->status = status;
	copy_str(c->phrase, sizeof(c->phrase), phrase);
}

static void call_ended(struct sip_ua *ua, struct sip_call *c)
{
	struct sip_event ev = { .type = SIP_EV_CALL_ENDED, .call = c->id };

	if (c->ended)
		return;
	c->ended = true;
	if (!c->have_cause)
		set_cause(c, SIP_END_ERROR, 500, "Terminated");
	ev.cause = c->cause;
	ev.status = c->status;
	copy_str(ev.phrase, sizeof(ev.phrase), c->phrase);
	copy_str(ev.call_id, sizeof(ev.call_id), c->call_id);
	sip_dbg_calls("SIP call 0x%08X ended: %s (%d %s)", c->id, sip_end_cause_name(c->cause),
		      c->status, c->phrase);
	post_event(ua, &ev);
}

/* ---- the guard: trusted sources and limits (sip_guard.h) ------------------- */

static void addr_text(uint32_t a, char buf[INET_ADDRSTRLEN])
{
	struct in_addr in = { a };

	inet_ntop(AF_INET, &in, buf, INET_ADDRSTRLEN);
}

static bool trusted(const struct sip_ua *ua, uint32_t a)
{
	return sip_net_match(ua->nets, ua->n_nets, a);
}

/* One of the SIP server's addresses (not only a trusted network)? */
static bool is_server(const struct sip_ua *ua, uint32_t a)
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
static void guard_update(struct sip_ua *ua)
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

/* ICMP errors about our own datagrams that the kernel queued on the drain
 * instead of the stack's socket (it chooses by hash): "port unreachable"
 * from the SIP server fails the REGISTERs outstanding there at once, as
 * sofia-sip does when the error reaches its own socket; otherwise they
 * would wait for Timer F (32 s) and the back-off would stretch. */
static void reg_failed(struct reg *r, int status, const char *phrase);
static bool is_ipv4(const char *host);

/* The port REGISTERs go to: an answer we sent to another port of the
 * server's host (a client there that went away) says nothing about the
 * registrar.  A name resolved by SRV may use any port. */
static bool is_server_port(const struct sip_ua *ua, uint16_t port)
{
	const struct settings *s = &ua->cur;
	const char *host = s->server ? s->server : s->domain;
	if (!s->server_port_set && host && !is_ipv4(host))
		return true;
	return port == s->server_port;
}

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
		if (!unreachable || m.msg_namelen < sizeof(to) || !is_server(ua, to.sin_addr.s_addr) ||
		    !is_server_port(ua, ntohs(to.sin_port)))
			continue;
		char a[INET_ADDRSTRLEN];
		addr_text(to.sin_addr.s_addr, a);
		sip_dbg_error("SIP ICMP unreachable from %s:%u", a, ntohs(to.sin_port));
		for (struct hashmap_entry *e = NULL; (e = hashmap_next(&ua->regs, e));) {
			struct reg *r = e->value;
			/* A first REGISTER or a refresh (registered, handle kept). */
			if (r->nh && !r->leaving && (r->st.state == SIP_REG_REGISTERING ||
						     r->st.state == SIP_REG_REGISTERED))
				reg_failed(r, 503, "Service Unavailable, ICMP port unreachable");
		}
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

static void guard_detach(struct sip_ua *ua)
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
static void guard_attach(struct sip_ua *ua)
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

/* The address a request or response of the current nua event came from. */
static bool event_source(struct sip_ua *ua, uint32_t *addr, uint16_t *port)
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
static void guard_learn(struct sip_ua *ua)
{
	uint32_t a;
	uint16_t port;
	char text[INET_ADDRSTRLEN];

	if (!event_source(ua, &a, &port) || trusted(ua, a))
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
static int guard_admit(struct sip_ua *ua, nua_handle_t *nh, const char *method, bool invite)
{
	static struct log_ratelimit rl_untrusted = LOG_RATELIMIT_INIT(60000, 1);
	static struct log_ratelimit rl_limit = LOG_RATELIMIT_INIT(60000, 1);
	static struct log_ratelimit rl_busy = LOG_RATELIMIT_INIT(60000, 1);
	uint32_t src = 0;
	uint16_t port = 0;
	char a[INET_ADDRSTRLEN];
	int status = 0;
	const char *why = NULL;

	if (!event_source(ua, &src, &port) || !trusted(ua, src)) {
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
							    !is_server(ua, src), evloop_now_ms());
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

/* The IPv4 address of a message's Contact, 0 if none. */
static uint32_t contact_addr(const sip_t *sip)
{
	const sip_contact_t *m = sip ? sip->sip_contact : NULL;
	struct in_addr a;

	if (!m || !m->m_url->url_host || inet_pton(AF_INET, m->m_url->url_host, &a) != 1)
		return 0;
	return a.s_addr;
}

/* A call's peer sends in-dialog requests to our Contact, straight from
 * its own when the SIP server does not stay in the path (no
 * Record-Route): its Contact address is let through while the call
 * lasts, from the answer on (not for every INVITE a trusted source
 * sends: each new address rebuilds the kernel program). */
static void peer_add(struct sip_ua *ua, struct sip_call *c, uint32_t a)
{
	char key[16];
	unsigned *refs;

	if (c->peer || !a || trusted(ua, a))
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

static void peer_del(struct sip_ua *ua, struct sip_call *c)
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

/* ---- registration ------------------------------------------------------- */

static void reg_publish(struct sip_ua *ua, const struct reg *r)
{
	struct sip_event ev = { .type = SIP_EV_REGISTRATION };

	if (r)
		ev.reg = r->st;
	post_event(ua, &ev);
}

static void reg_set_state(struct reg *r, enum sip_reg_state st)
{
	if (r->st.state != st)
		sip_dbg_states("SIP registration of %s %s -> %s", r->number,
			       sip_reg_state_name(r->st.state), sip_reg_state_name(st));
	r->st.state = st;
}

static void nh_key(const nua_handle_t *nh, char key[32])
{
	snprintf(key, 32, "%p", (const void *)nh);
}

static struct reg *reg_of_nh(struct sip_ua *ua, const nua_handle_t *nh)
{
	char key[32];

	if (!nh)
		return NULL;
	nh_key(nh, key);
	return hashmap_get(&ua->reg_by_nh, key);
}

static void reg_handle_drop(struct reg *r)
{
	char key[32];

	if (!r->nh)
		return;
	nh_key(r->nh, key);
	hashmap_del(&r->ua->reg_by_nh, key);
	nua_handle_destroy(r->nh);
	r->nh = NULL;
}

static void reg_free(struct reg *r)
{
	reg_handle_drop(r);
	su_timer_destroy(r->retry_timer);
	free(r->number);
	free(r);
}

static char *aor(const struct settings *s, const char *number)
{
	return xasprintf("<sip:%s@%s>", number ? number : s->local_number,
			 s->domain ? s->domain : s->server);
}

static bool is_ipv4(const char *host)
{
	struct in_addr a;
	return inet_pton(AF_INET, host, &a) == 1;
}

/* A name without a configured port is resolved as RFC 3263 says
 * (NAPTR/SRV/A); an address gets the port. */
static char *server_url(const struct settings *s)
{
	const char *host = s->server ? s->server : s->domain;
	if (!s->server_port_set && !is_ipv4(host))
		return xasprintf("sip:%s", host);
	return xasprintf("sip:%s:%u", host, s->server_port);
}

/* The name servers sofia's resolver uses: a resolv.conf in a memfd (no
 * file on disk, the host's /etc/resolv.conf untouched): the DHCP lease's,
 * else a copy of the system's.  Rewritten when they change; sofia's
 * resolver notices a new modification time within seconds, so the
 * transport (and its calls) stay.  NULL if no memfd. */
static const char *resolv_conf(struct sip_ua *ua, char *path, size_t size)
{
	const char *p;
	FILE *f;

	if (ua->resolv_fd < 0)
		ua->resolv_fd = memfd_create("vpnsip-resolv.conf", MFD_CLOEXEC);
	if (ua->resolv_fd < 0 || ftruncate(ua->resolv_fd, 0) < 0)
		return NULL;
	f = fdopen(dup(ua->resolv_fd), "w");
	if (!f)
		return NULL;
	if (!ua->cur.dns_servers) {
		FILE *sys = fopen("/etc/resolv.conf", "r");
		char line[512];
		while (sys && fgets(line, sizeof(line), sys))
			fputs(line, f);
		if (sys)
			fclose(sys);
	}
	for (p = ua->cur.dns_servers ? ua->cur.dns_servers : ""; *p;) {
		size_t n = strcspn(p, " ,");
		if (n)
			fprintf(f, "nameserver %.*s\n", (int)n, p);
		p += n;
		p += strspn(p, " ,");
	}
	fclose(f);
	snprintf(path, size, "/proc/self/fd/%d", ua->resolv_fd);
	sip_dbg_transport("SIP resolver uses name servers %s",
			  ua->cur.dns_servers ? ua->cur.dns_servers : "of /etc/resolv.conf");
	return path;
}

/* keep_handle: a new REGISTER on the dialog we have (the server, domain
 * or expiry changed, the contact did not).  A new handle would make
 * sofia-sip unregister the old one, and that Expires: 0 for the same
 * contact may reach the registrar after the new REGISTER and delete the
 * binding we just made. */
static void reg_start_on(struct reg *r, bool keep_handle)
{
	struct sip_ua *ua = r->ua;
	const struct settings *s = &ua->cur;
	char *to = aor(s, r->number), *registrar = server_url(s), exp[16], key[32];

	if (!keep_handle || !r->nh)
		reg_handle_drop(r);
	su_timer_reset(r->retry_timer);
	snprintf(exp, sizeof(exp), "%u", s->expires);
	r->auth_tries = 0;
	r->leaving = false;
	if (!r->nh) {
		r->nh = nua_handle(ua->nua, NULL, SIPTAG_TO_STR(to), SIPTAG_FROM_STR(to), TAG_END());
		nh_key(r->nh, key);
		hashmap_put(&ua->reg_by_nh, key, r);
	}
	copy_str(r->st.number, sizeof(r->st.number), r->number);
	copy_str(r->st.registrar, sizeof(r->st.registrar), s->domain ? s->domain : s->server);
	copy_str(r->st.contact, sizeof(r->st.contact), s->local_addr);
	copy_str(r->st.transport, sizeof(r->st.transport), "UDP");
	reg_set_state(r, SIP_REG_REGISTERING);
	atomic_fetch_add(&ua->st_reg, 1);
	sip_dbg_events("SIP REGISTER %s via %s, expires %s", to, registrar, exp);
	nua_register(r->nh, NUTAG_M_USERNAME(r->number), NUTAG_REGISTRAR(registrar),
		     SIPTAG_EXPIRES_STR(exp), NUTAG_OUTBOUND("no-options-keepalive no-validate no-natify"),
		     TAG_END());
	free(to);
	free(registrar);
}

static void reg_start(struct reg *r)
{
	reg_start_on(r, false);
}

static void nua_make(struct sip_ua *ua);

static void reg_retry_cb(su_root_magic_t *m, su_timer_t *t, void *arg)
{
	struct reg *r = arg;

	if (r->ua->stopping || r->ua->nua_shutting || !r->ua->nua)
		return;
	reg_start(r);
}

/* The transport could not be opened: try again with back-off. */
static void transport_retry_cb(su_root_magic_t *m, su_timer_t *t, void *arg)
{
	struct sip_ua *ua = arg;

	if (ua->stopping || ua->nua_shutting || ua->nua)
		return;
	nua_make(ua);
}

static unsigned backoff_next(unsigned cur)
{
	unsigned b = cur ? cur * 2 : RETRY_MIN_S;
	return b > RETRY_MAX_S ? RETRY_MAX_S : b;
}

static void reg_failed(struct reg *r, int status, const char *phrase)
{
	struct sip_ua *ua = r->ua;

	atomic_fetch_add(&ua->st_regfail, 1);
	r->backoff_s = backoff_next(r->backoff_s);
	reg_set_state(r, SIP_REG_FAILED);
	r->st.last_status = status;
	copy_str(r->st.last_phrase, sizeof(r->st.last_phrase), phrase);
	r->st.retry_ms = evloop_now_ms() + r->backoff_s * 1000ULL;
	sip_dbg_error("SIP REGISTER of %s failed: %d %s; retrying in %u s", r->number, status,
		      phrase, r->backoff_s);
	log_msg("SIP", SEV_WARNING, "REG_FAIL", "Registration of %s failed: %d %s; retry in %u s",
		r->number, status, phrase, r->backoff_s);
	reg_handle_drop(r);
	if (!ua->stopping)
		su_timer_set_interval(r->retry_timer, reg_retry_cb, r, r->backoff_s * 1000);
	reg_publish(ua, r);
}

static struct reg *reg_new(struct sip_ua *ua, const char *number)
{
	struct reg *r = xcalloc(1, sizeof(*r));

	r->ua = ua;
	r->number = xstrdup(number);
	r->retry_timer = su_timer_create(su_root_task(ua->root), 0);
	copy_str(r->st.number, sizeof(r->st.number), number);
	hashmap_put(&ua->regs, number, r);
	return r;
}

/* The REGISTER dialogs follow cur.numbers: new numbers register, numbers
 * no longer there unregister (REGISTER Expires: 0) and go. */
static void regs_sync(struct sip_ua *ua)
{
	size_t n;
	void **v = hashmap_values(&ua->regs, &n);
	struct hashmap want;

	hashmap_init(&want, false);
	for (size_t i = 0; i < ua->cur.n_numbers; i++)
		hashmap_put(&want, ua->cur.numbers[i], ua);
	for (size_t i = 0; i < n; i++) {
		struct reg *r = v[i];
		if (hashmap_get(&want, r->number))
			continue;
		hashmap_del(&ua->regs, r->number);
		bool was = r->st.state == SIP_REG_REGISTERED;
		r->st = (struct sip_reg_status){ .state = SIP_REG_OFF };
		copy_str(r->st.number, sizeof(r->st.number), r->number);
		reg_publish(ua, r);
		if (was && r->nh && ua->nua && !ua->nua_shutting) {
			sip_dbg_events("SIP unregistering %s", r->number);
			r->leaving = true;
			su_timer_reset(r->retry_timer);
			nua_unregister(r->nh, TAG_END());
			continue; /* freed on the answer */
		}
		reg_free(r);
	}
	free(v);
	hashmap_clear(&want);
	for (size_t i = 0; i < ua->cur.n_numbers && ua->nua && !ua->nua_shutting; i++)
		if (!hashmap_get(&ua->regs, ua->cur.numbers[i]))
			reg_start(reg_new(ua, ua->cur.numbers[i]));
}

/* Every REGISTER dialog starts over (what a registration is changed);
 * keep_handles: on the same transport, re-REGISTER on the dialogs we have. */
static void regs_restart_on(struct sip_ua *ua, bool keep_handles)
{
	size_t n;
	void **v = hashmap_values(&ua->regs, &n);

	for (size_t i = 0; i < n; i++) {
		struct reg *r = v[i];
		r->backoff_s = 0;
		if (!r->leaving)
			reg_start_on(r, keep_handles);
	}
	free(v);
	regs_sync(ua);
}

static void regs_restart(struct sip_ua *ua)
{
	regs_restart_on(ua, false);
}

/* Forget every REGISTER dialog (the nua is gone or going). */
static void regs_clear(struct sip_ua *ua, bool publish)
{
	size_t n;
	void **v = hashmap_values(&ua->regs, &n);

	for (size_t i = 0; i < n; i++)
		reg_free(v[i]);
	free(v);
	hashmap_clear(&ua->regs);
	hashmap_init(&ua->regs, false);
	/* Handles of numbers still unregistering. */
	v = hashmap_values(&ua->reg_by_nh, &n);
	for (size_t i = 0; i < n; i++)
		reg_free(v[i]);
	free(v);
	hashmap_clear(&ua->reg_by_nh);
	hashmap_init(&ua->reg_by_nh, false);
	if (publish)
		reg_publish(ua, NULL);
}

/* The digest credentials for a 401/407 (realm from the challenge). */
static bool authenticate(struct sip_ua *ua, nua_handle_t *nh, const sip_t *sip, int *tries)
{
	const msg_auth_t *au;
	const char *realm;

	if (!ua->cur.username || !ua->cur.password || !sip || ++*tries > MAX_AUTH_TRIES)
		return false;
	au = sip->sip_www_authenticate ? sip->sip_www_authenticate : sip->sip_proxy_authenticate;
	if (!au || !au->au_scheme)
		return false;
	realm = msg_params_find(au->au_params, "realm=");
	if (!realm)
		return false;
	char *cred = xasprintf("%s:%s:%s:%s", au->au_scheme, realm, ua->cur.username, ua->cur.password);
	sip_dbg_events("SIP answering %s challenge for realm %s as %s", au->au_scheme, realm,
		       ua->cur.username);
	nua_authenticate(nh, NUTAG_AUTH(cred), TAG_END());
	explicit_bzero(cred, strlen(cred));
	free(cred);
	return true;
}

static void on_register(struct sip_ua *ua, int status, const char *phrase, nua_handle_t *nh,
			const sip_t *sip)
{
	struct reg *r = reg_of_nh(ua, nh);

	if (r && status >= 200)
		guard_learn(ua);
	if (!r || r->leaving || status < 200)
		return;
	if ((status == 401 || status == 407) && authenticate(ua, nh, sip, &r->auth_tries))
		return;
	if (status >= 300) {
		reg_failed(r, status, phrase);
		return;
	}
	unsigned granted = ua->cur.expires;
	if (sip && sip->sip_contact) {
		/* Our binding's expires parameter, else the Expires header. */
		for (const sip_contact_t *m = sip->sip_contact; m; m = m->m_next) {
			if (m->m_url->url_host && ua->cur.local_addr &&
			    strcmp(m->m_url->url_host, ua->cur.local_addr) == 0 && m->m_expires) {
				granted = (unsigned)strtoul(m->m_expires, NULL, 10);
				break;
			}
		}
	} else if (sip && sip->sip_expires) {
		granted = (unsigned)sip->sip_expires->ex_delta;
	}
	r->backoff_s = 0;
	reg_set_state(r, SIP_REG_REGISTERED);
	r->st.last_status = status;
	copy_str(r->st.last_phrase, sizeof(r->st.last_phrase), phrase);
	r->st.expires = granted;
	r->st.registered_ms = evloop_now_ms();
	r->st.retry_ms = 0;
	if (sip && sip->sip_call_id)
		copy_str(r->st.call_id, sizeof(r->st.call_id), sip->sip_call_id->i_id);
	sip_dbg_events("SIP registered %s, expires %u", r->number, granted);
	reg_publish(ua, r);
}

/* The answer to an unregistration (a removed number, or shutdown). */
static void on_unregister(struct sip_ua *ua, int status, const char *phrase, nua_handle_t *nh)
{
	struct reg *r = reg_of_nh(ua, nh);

	if (!r || status < 200)
		return;
	sip_dbg_events("SIP unregistered %s: %d %s", r->number, status, phrase);
	if (r->leaving) {
		reg_free(r);
		return;
	}
	reg_set_state(r, SIP_REG_OFF);
}

/* ---- nua lifecycle ------------------------------------------------------ */

static void nua_cb(nua_event_t event, int status, char const *phrase, nua_t *nua,
		   struct sip_ua *ua, nua_handle_t *nh, struct sip_call *call, sip_t const *sip,
		   tagi_t tags[]);

static void nua_params(struct sip_ua *ua);

static void nua_make(struct sip_ua *ua)
{
	char url[96], ua_name[64], rpath[64];
	const char *rc;

	if (!settings_usable(&ua->cur))
		return;
	rc = resolv_conf(ua, rpath, sizeof(rpath));
	sip_log_set_secret(ua->cur.password);
	/* UDP only: the carrier's SIP is UDP (TS-1017), and a TCP listener
	 * would take requests past the source filter. */
	snprintf(url, sizeof(url), "sip:%s:%u;transport=udp", ua->cur.local_addr, ua->cur.local_port);
	snprintf(ua_name, sizeof(ua_name), "vpnsipd/%s", VPNSIP_VERSION);
	ua->nua = nua_create(ua->root, nua_cb, ua, NUTAG_URL(url), NUTAG_MEDIA_ENABLE(0),
			     TPTAG_LOG(1), SIPTAG_USER_AGENT_STR(ua_name),
			     /* Hundreds of calls at once (issue 9): room for the
			      * burst (capped by net.core.rmem_max). */
			     TPTAG_UDP_RMEM(4u << 20), TPTAG_UDP_WMEM(1u << 20),
			     TAG_IF(rc, SRESTAG_RESOLV_CONF(rc)), TAG_END());
	if (!ua->nua) {
		log_msg("SIP", SEV_ERR, "BIND", "Cannot open SIP transport on %s:%u",
			ua->cur.local_addr, ua->cur.local_port);
		ua->backoff_s = backoff_next(ua->backoff_s);
		for (size_t i = 0; i < ua->cur.n_numbers; i++) {
			struct reg *r = hashmap_get(&ua->regs, ua->cur.numbers[i]);
			if (!r)
				r = reg_new(ua, ua->cur.numbers[i]);
			atomic_fetch_add(&ua->st_regfail, 1);
			reg_set_state(r, SIP_REG_FAILED);
			r->st.last_status = 503;
			copy_str(r->st.last_phrase, sizeof(r->st.last_phrase), "Transport unavailable");
			r->st.retry_ms = evloop_now_ms() + ua->backoff_s * 1000ULL;
			reg_publish(ua, r);
		}
		if (!ua->stopping)
			su_timer_set_interval(ua->retry_timer, transport_retry_cb, ua,
					      ua->backoff_s * 1000);
		return;
	}
	ua->backoff_s = 0;
	guard_attach(ua);
	nua_params(ua);
	sip_dbg_transport("SIP transport open on udp/%s:%u", ua->cur.local_addr, ua->cur.local_port);
	regs_restart(ua);
}

/* Settings that need no new transport. */
static void nua_params(struct sip_ua *ua)
{
	char *proxy = server_url(&ua->cur);

	nua_set_params(ua->nua, NUTAG_PROXY(proxy), NUTAG_AUTOALERT(0), NUTAG_AUTOANSWER(0),
		       NUTAG_AUTOACK(1), NUTAG_ENABLEINVITE(1),
		       NUTAG_SESSION_TIMER(ua->cur.session_expires), NUTAG_MIN_SE(90),
		       NUTAG_SESSION_REFRESHER(nua_any_refresher), NUTAG_UPDATE_REFRESH(0),
		       SIPTAG_SUPPORTED_STR("timer"), SIPTAG_ALLOW_STR("INVITE, ACK, BYE, CANCEL, UPDATE, OPTIONS"),
		       /* OPTIONS too: the source check decides before any answer. */
		       NUTAG_APPL_METHOD("UPDATE, OPTIONS"),
		       NUTAG_M_USERNAME(ua->cur.local_number), NUTAG_KEEPALIVE(0),
		       NUTAG_OUTBOUND("no-options-keepalive no-validate no-natify"), TAG_END());
	free(proxy);
}

static void end_all_calls(struct sip_ua *ua, enum sip_end_cause cause, int status, const char *phrase)
{
	size_t n;
	void **v = hashmap_values(&ua->calls, &n);

	for (size_t i = 0; i < n; i++) {
		struct sip_call *c = v[i];
		set_cause(c, cause, status, phrase);
		if (c->offered && !c->answered)
			nua_respond(c->nh, 480, "Temporarily Unavailable", TAG_END());
		else if (c->answered && !c->bye_sent) {
			c->bye_sent = true;
			nua_bye(c->nh, TAG_END());
		} else if (c->outgoing && !c->answered)
			nua_cancel(c->nh, TAG_END());
		call_ended(ua, c);
		call_free(ua, c);
	}
	free(v);
}

/* Shut the running nua down (unregisters); nua_r_shutdown finishes it.
 * Its calls end first: BYE (CANCEL, 480) goes out on the old transport
 * before the handles go, and the orchestrator hears why. */
static void nua_teardown(struct sip_ua *ua, const char *why)
{
	size_t ncalls = ua->calls.count;

	if (!ua->nua || ua->nua_shutting)
		return;
	ua->nua_shutting = true;
	/* The drain leaves the port first: a new transport binds it alone. */
	guard_detach(ua);
	su_timer_reset(ua->retry_timer);
	if (ncalls)
		log_msg("SIP", SEV_NOTICE, "CALLS_CLEARED", "%s: ending %zu call%s (BYE)", why, ncalls,
			ncalls == 1 ? "" : "s");
	end_all_calls(ua, SIP_END_LOCAL, 0, why);
	size_t n;
	void **v = hashmap_values(&ua->regs, &n);
	for (size_t i = 0; i < n; i++) {
		struct reg *r = v[i];
		su_timer_reset(r->retry_timer);
		if (r->nh && r->st.state == SIP_REG_REGISTERED) {
			sip_dbg_events("SIP unregistering %s", r->number);
			nua_unregister(r->nh, TAG_END());
		}
	}
	free(v);
	nua_shutdown(ua->nua);
}

/* After the old nua is gone (or there was none): make the wanted one. */
static void apply_wanted(struct sip_ua *ua)
{
	if (ua->nua || ua->stopping)
		return;
	if (ua->have_want) {
		settings_free(&ua->cur);
		ua->cur = ua->want;
		memset(&ua->want, 0, sizeof(ua->want));
		ua->have_want = false;
	}
	regs_clear(ua, true);
	ua->backoff_s = 0;
	if (settings_usable(&ua->cur))
		nua_make(ua);
}

/* After nua_r_shutdown: nua_destroy() refuses to run inside that callback
 * (the shutdown is final only once it returns), so this runs from a timer. */
static void shutdown_finish(su_root_magic_t *m, su_timer_t *t, void *arg)
{
	struct sip_ua *ua = arg;

	regs_clear(ua, false);
	nua_destroy(ua->nua);
	ua->nua = NULL;
	ua->nua_shutting = false;
	sip_dbg_transport("SIP transport closed");
	if (ua->stopping) {
		ua->stop_done = true;
		su_root_break(ua->root);
		return;
	}
	apply_wanted(ua);
}

static void on_shutdown_done(struct sip_ua *ua)
{
	su_timer_set_interval(ua->finish_timer, shutdown_finish, ua, 1);
}

/* ---- calls -------------------------------------------------------------- */

static const char *find_unknown(const sip_t *sip, const char *name)
{
	for (const sip_unknown_t *u = sip ? sip->sip_unknown : NULL; u; u = u->un_next)
		if (u->un_name && strcasecmp(u->un_name, name) == 0)
			return u->un_value;
	return NULL;
}

static void fill_sdp(struct sip_event *ev, const sip_t *sip)
{
	if (sip && sip->sip_payload && sip->sip_payload->pl_len) {
		ev->has_sdp = true;
		ev->sdp_err = sdp_parse(sip->sip_payload->pl_data, sip->sip_payload->pl_len, &ev->sdp);
	} else {
		ev->has_sdp = false;
		ev->sdp_err = SDP_ERR_EMPTY;
	}
}

static bool body_is_sdp(const sip_t *sip)
{
	return sip->sip_content_type && sip->sip_content_type->c_type &&
	       strcasecmp(sip->sip_content_type->c_type, "application/sdp") == 0;
}

static bool has_body(const sip_t *sip)
{
	return sip && sip->sip_payload && sip->sip_payload->pl_len;
}

/* The peer's IKE address and port from its SDP at setup: a re-offer may
 * not move them (IKE runs there). */
static void remember_peer(struct sip_call *c, const struct sip_event *ev)
{
	if (!ev->has_sdp || ev->sdp_err != SDP_OK)
		return;
	c->remote_known = true;
	copy_str(c->remote_addr, sizeof(c->remote_addr), ev->sdp.addr);
	c->remote_port = ev->sdp.port;
}

/* The peer allows UPDATE: our session refreshes use it (RFC 4028
 * recommends UPDATE without a body); else re-INVITE. */
static void refresh_method(struct sip_call *c, const sip_t *sip)
{
	if (sip && sip->sip_allow && sip_is_allowed(sip->sip_allow, sip_method_update, "UPDATE"))
		nua_set_hparams(c->nh, NUTAG_UPDATE_REFRESH(1), TAG_END());
}

/* A re-offer mid-call (re-INVITE or UPDATE with SDP) is acceptable when
 * it passes the offer rules for the authentication and IKE role this call
 * already uses and keeps the peer's address and port.  0, else the status
 * to refuse it with. */
int sip_reoffer_status(const char *local_sdp, bool remote_known, const char *remote_addr,
		       uint16_t remote_port, const sip_t *sip, const char **why)
{
	struct sdp_ike me, peer;
	enum sdp_error e;

	if (!has_body(sip))
		return 0;
	if (!body_is_sdp(sip)) {
		*why = "body is not application/sdp";
		return 415;
	}
	e = sdp_parse(sip->sip_payload->pl_data, sip->sip_payload->pl_len, &peer);
	if (e != SDP_OK) {
		*why = sdp_strerror(e);
		return 488;
	}
	if (!local_sdp || sdp_parse(local_sdp, strlen(local_sdp), &me) != SDP_OK) {
		*why = "no session description of ours";
		return 488;
	}
	int rc = sdp_check_offer(&peer, me.fp.kind,
				 me.setup == SDP_SETUP_ACTIVE ? SDP_ROLE_ACTIVE : SDP_ROLE_PASSIVE, why);
	if (rc)
		return rc;
	if (remote_known && (strcmp(peer.addr, remote_addr) != 0 || peer.port != remote_port)) {
		*why = "it moves the peer's IKE address or port";
		return 488;
	}
	return 0;
}

static int reoffer_check(const struct sip_call *c, const sip_t *sip, const char **why)
{
	return sip_reoffer_status(c->local_sdp, c->remote_known, c->remote_addr, c->remote_port, sip,
				  why);
}

/* A re-INVITE or UPDATE in an established call: a session refresh, or a
 * new offer.  Our session does not change, so the answer carries our SDP
 * again (when the request had an offer, or a re-INVITE had none); a
 * re-offer that breaks the rules is refused and the call stays as it is. */
static void on_refresh_request(struct sip_ua *ua, nua_handle_t *nh, struct sip_call *c,
			       const sip_t *sip, const char *method)
{
	const char *why = NULL;
	int rc = reoffer_check(c, sip, &why);
	bool invite = strcmp(method, "INVITE") == 0;

	if (rc) {
		static struct log_ratelimit rl = LOG_RATELIMIT_INIT(10000, 20);
		log_msg_limited(&rl, "SIP", SEV_WARNING, "REOFFER_REJECT",
			"%s in call %s refused %d: %s; the call stays", method, c->call_id, rc, why);
		nua_respond(nh, rc, sip_status_phrase(rc), NUTAG_WITH_THIS(ua->nua),
			    TAG_IF(rc == 415, SIPTAG_ACCEPT_STR("application/sdp")), TAG_END());
		return;
	}
	sip_dbg_calls("SIP call 0x%08X %s answered with the current SDP", c->id, method);
	if (c->local_sdp && (has_body(sip) || invite))
		nua_respond(nh, 200, "OK", NUTAG_WITH_THIS(ua->nua),
			    SIPTAG_CONTENT_TYPE_STR("application/sdp"),
			    SIPTAG_PAYLOAD_STR(c->local_sdp), TAG_END());
	else
		nua_respond(nh, 200, "OK", NUTAG_WITH_THIS(ua->nua), TAG_END());
}

bool sip_body_not_sdp(const sip_t *sip)
{
	return has_body(sip) && !body_is_sdp(sip);
}

void sip_invite_parties(const sip_t *sip, bool from_trusted_hop, struct sip_event *ev)
{
	const char *pai, *called;
	char *s;

	/* The caller as the network asserts it (TS-1017 II F3), else From. */
	pai = from_trusted_hop ? find_unknown(sip, "P-Asserted-Identity") : NULL;
	if (!pai || !sip_uri_number(pai, ev->caller, sizeof(ev->caller))) {
		ev->caller[0] = '\0';
		if (sip->sip_from) {
			s = url_as_string(NULL, sip->sip_from->a_url);
			if (s)
				sip_uri_number(s, ev->caller, sizeof(ev->caller));
			su_free(NULL, s);
		}
	}
	called = find_unknown(sip, "P-Called-Party-ID");
	if (!called || !sip_uri_number(called, ev->callee, sizeof(ev->callee))) {
		ev->callee[0] = '\0';
		const url_t *u = sip->sip_to ? sip->sip_to->a_url : NULL;
		if (!u || !u->url_user)
			u = sip->sip_request ? sip->sip_request->rq_url : NULL;
		if (u && (s = url_as_string(NULL, u))) {
			sip_uri_number(s, ev->callee, sizeof(ev->callee));
			su_free(NULL, s);
		}
	}
	fill_sdp(ev, sip);
}

static void on_incoming_invite(struct sip_ua *ua, nua_handle_t *nh, const sip_t *sip)
{
	struct sip_event ev = { .type = SIP_EV_CALL_OFFERED };
	uint32_t id = atomic_fetch_add(&ua->next_call, 1);
	struct sip_call *c;

	if (ua->stopping || ua->nua_shutting) {
		nua_respond(nh, 503, "Service Unavailable", TAG_END());
		nua_handle_destroy(nh);
		return;
	}
	if (sip_body_not_sdp(sip)) {
		/* RFC 3261 21.4.16: only SDP here. */
		static struct log_ratelimit rl = LOG_RATELIMIT_INIT(10000, 20);
		log_msg_limited(&rl, "SIP", SEV_WARNING, "BAD_OFFER",
			"INVITE (call-id %s) refused 415: body is %s, not application/sdp",
			sip->sip_call_id ? sip->sip_call_id->i_id : "-",
			sip->sip_content_type && sip->sip_content_type->c_type
				? sip->sip_content_type->c_type : "without Content-Type");
		atomic_fetch_add(&ua->st_rejected, 1);
		nua_respond(nh, 415, "Unsupported Media Type", SIPTAG_ACCEPT_STR("application/sdp"),
			    TAG_END());
		nua_handle_destroy(nh);
		return;
	}
	c = call_new(ua, id, false);
	c->nh = nh;
	c->offered = true;
	c->offered_ms = evloop_now_ms();
	nua_handle_bind(nh, c);
	c->peer_contact = contact_addr(sip);
	atomic_fetch_add(&ua->st_in, 1);
	if (sip->sip_call_id)
		copy_str(c->call_id, sizeof(c->call_id), sip->sip_call_id->i_id);
	ev.call = id;
	copy_str(ev.call_id, sizeof(ev.call_id), c->call_id);
	/* RFC 3325: only a hop of the trust domain may assert the caller. */
	uint32_t hop;
	uint16_t hop_port;
	sip_invite_parties(sip, event_source(ua, &hop, &hop_port) && trusted(ua, hop), &ev);
	remember_peer(c, &ev);
	refresh_method(c, sip);
	sip_dbg_calls("SIP call 0x%08X offered: caller %s callee %s call-id %s sdp %s", id,
		      ev.caller[0] ? ev.caller : "-", ev.callee[0] ? ev.callee : "-", c->call_id,
		      ev.has_sdp ? sdp_strerror(ev.sdp_err) : "none");
	post_event(ua, &ev);
}

static void on_invite(struct sip_ua *ua, nua_handle_t *nh, struct sip_call *c, const sip_t *sip)
{
	if (!c) {
		on_incoming_invite(ua, nh, sip);
		return;
	}
	on_refresh_request(ua, nh, c, sip, "INVITE");
}

/* RFC 4028 10: a refresh that timed out or whose dialog the peer lost
 * ends the call with BYE. */
static void refresh_failed(struct sip_call *c, int status, const char *phrase, const char *method)
{
	if (status != 408 && status != 481)
		return; /* 491, 488 ... : the session goes on as it was */
	log_msg("SIP", SEV_WARNING, "REFRESH_FAIL", "Session refresh (%s) of call %s failed: %d %s; the call ends",
		method, c->call_id, status, phrase);
	set_cause(c, SIP_END_TIMEOUT, status, "Session refresh failed");
	if (!c->bye_sent) {
		c->bye_sent = true;
		nua_bye(c->nh, TAG_END());
	}
}

static void on_invite_response(struct sip_ua *ua, int status, const char *phrase, nua_handle_t *nh,
			       struct sip_call *c, const sip_t *sip)
{
	struct sip_event ev = { .call = c->id };

	if (sip && sip->sip_call_id && !c->call_id[0])
		copy_str(c->call_id, sizeof(c->call_id), sip->sip_call_id->i_id);
	copy_str(ev.call_id, sizeof(ev.call_id), c->call_id);
	ev.status = status;
	copy_str(ev.phrase, sizeof(ev.phrase), phrase);
	if (status < 200) {
		ev.type = SIP_EV_CALL_PROGRESS;
		post_event(ua, &ev);
		return;
	}
	if (status < 300) {
		if (c->answered)
			return; /* a refresh's 2xx */
		c->answered = true;
		atomic_fetch_add(&ua->st_answered, 1);
		peer_add(ua, c, contact_addr(sip));
		ev.type = SIP_EV_CALL_ANSWERED;
		fill_sdp(&ev, sip);
		remember_peer(c, &ev);
		refresh_method(c, sip);
		sip_dbg_calls("SIP call 0x%08X answered %d, sdp %s", c->id, status,
			      ev.has_sdp ? sdp_strerror(ev.sdp_err) : "none");
		post_event(ua, &ev);
		return;
	}
	if ((status == 401 || status == 407) && authenticate(ua, nh, sip, &c->auth_tries))
		return;
	if (c->answered) {
		refresh_failed(c, status, phrase, "re-INVITE");
		return;
	}
	set_cause(c, status == 408 ? SIP_END_TIMEOUT : SIP_END_REJECTED, status, phrase);
}

static void on_state(struct sip_ua *ua, int status, const char *phrase, struct sip_call *c,
		     tagi_t tags[])
{
	int cs = -1;

	tl_gets(tags, NUTAG_CALLSTATE_REF(cs), TAG_END());
	if (cs < 0)
		return;
	sip_dbg_states("SIP call 0x%08X state %s (%d %s)", c->id,
		       nua_callstate_name((enum nua_callstate)cs), status, phrase);
	if (cs == nua_callstate_ready && !c->outgoing && !c->acked) {
		/* Our 200 OK was acknowledged: the call is up. */
		struct sip_event ev = { .type = SIP_EV_CALL_ANSWERED, .call = c->id, .status = 200 };
		c->answered = c->acked = true;
		copy_str(ev.call_id, sizeof(ev.call_id), c->call_id);
		copy_str(ev.phrase, sizeof(ev.phrase), "ACK");
		ev.sdp_err = SDP_ERR_EMPTY;
		post_event(ua, &ev);
	}
	if ((cs == nua_callstate_terminating || cs == nua_callstate_terminated) && c->answered &&
	    !c->bye_sent && !c->have_cause) {
		/* Neither we nor the peer asked for it: nua's session timer
		 * (RFC 4028 10: the refresher never refreshed) sends BYE. */
		log_msg("SIP", SEV_WARNING, "SESSION_EXPIRED",
			"Session timer of call %s expired without refresh; hanging up", c->call_id);
		set_cause(c, SIP_END_TIMEOUT, 408, "Session timer expired");
	}
	if (cs != nua_callstate_terminated)
		return;
	if (status == 408)
		set_cause(c, SIP_END_TIMEOUT, status, phrase);
	else
		set_cause(c, SIP_END_ERROR, status, phrase);
	call_ended(ua, c);
	call_free(ua, c);
}

/* ---- the nua callback --------------------------------------------------- */

static void nua_cb(nua_event_t event, int status, char const *phrase, nua_t *nua,
		   struct sip_ua *ua, nua_handle_t *nh, struct sip_call *c, sip_t const *sip,
		   tagi_t tags[])
{
	phrase = phrase ? phrase : "";
	sip_dbg_events("SIP event %s %d %s%s", nua_event_name(event), status, phrase,
		       c ? "" : " (no call)");
	switch (event) {
	case nua_r_register:
		on_register(ua, status, phrase, nh, sip);
		break;
	case nua_r_unregister:
		on_unregister(ua, status, phrase, nh);
		break;
	case nua_i_invite:
		if (!c && guard_admit(ua, nh, "INVITE", true))
			break;
		on_invite(ua, nh, c, sip);
		break;
	case nua_i_options:
		if (status >= 200)
			break;
		if (!c && guard_admit(ua, nh, "OPTIONS", false))
			break;
		nua_respond(nh, 200, "OK", NUTAG_WITH_THIS(nua), TAG_END());
		if (!c)
			nua_handle_destroy(nh);
		break;
	case nua_r_invite:
		if (c)
			on_invite_response(ua, status, phrase, nh, c, sip);
		break;
	case nua_i_cancel:
		if (c)
			set_cause(c, SIP_END_CANCELLED, 487, "Request Terminated");
		break;
	case nua_i_bye:
		if (c)
			set_cause(c, SIP_END_REMOTE_BYE, 200, "BYE");
		break;
	case nua_i_state:
		if (c)
			on_state(ua, status, phrase, c, tags);
		break;
	case nua_i_terminated:
		if (c) {
			set_cause(c, SIP_END_ERROR, status, phrase);
			call_ended(ua, c);
			call_free(ua, c);
		}
		break;
	case nua_r_shutdown:
		if (status >= 200)
			on_shutdown_done(ua);
		break;
	case nua_i_update:
		if (c && status < 200)
			on_refresh_request(ua, nh, c, sip, "UPDATE");
		else if (!c && status < 200)
			nua_respond(nh, 481, "Call/Transaction Does Not Exist", NUTAG_WITH_THIS(nua),
				    TAG_END());
		break;
	case nua_r_update:
		if (c && status >= 300)
			refresh_failed(c, status, phrase, "UPDATE");
		break;
	case nua_i_ack:
	case nua_r_bye:
	case nua_r_cancel:
	case nua_i_active:
	case nua_i_prack:
		break;
	case nua_i_error:
		sip_dbg_error("SIP error %d %s", status, phrase);
		if (c && status == 408) /* our 2xx never ACKed: nua sends BYE */
			set_cause(c, SIP_END_TIMEOUT, 408, "No ACK");
		break;
	default:
		/* Requests we do not serve in a handle nobody owns. */
		if (!c && nh && !reg_of_nh(ua, nh) && event < nua_r_set_params &&
		    status == 100) {
			nua_handle_destroy(nh);
		}
		break;
	}
}

/* ---- commands on the SIP thread ----------------------------------------- */

static void do_place(struct sip_ua *ua, struct cmd *cmd)
{
	struct sip_call *c = call_new(ua, cmd->call, true);
	const struct settings *s = &ua->cur;
	const char *domain = s->domain ? s->domain : s->server;

	if (!ua->nua || ua->nua_shutting || !settings_usable(s)) {
		set_cause(c, SIP_END_ERROR, 503, "SIP not ready");
		call_ended(ua, c);
		call_free(ua, c);
		return;
	}
	char *ruri = s->uri_form == SIP_URI_TEL
			     ? xasprintf("tel:%s;phone-context=%s", cmd->text, domain)
			     : xasprintf("sip:%s@%s", cmd->text, domain);
	const char *me = cmd->from ? cmd->from : s->local_number;
	char *to = xasprintf("<%s>", ruri);
	char *from = aor(s, me);
	char *ppi = xasprintf("P-Preferred-Identity: %s\r\nPrivacy: none", from);

	atomic_fetch_add(&ua->st_out, 1);
	c->local_sdp = cmd->sdp;
	cmd->sdp = NULL;
	c->nh = nua_handle(ua->nua, c, SIPTAG_TO_STR(to), SIPTAG_FROM_STR(from),
			   NUTAG_M_USERNAME(me), TAG_END());
	c->placed_ms = evloop_now_ms();
	sip_dbg_calls("SIP call 0x%08X: INVITE %s from %s", c->id, ruri, me);
	nua_invite(c->nh, NUTAG_URL(ruri), SIPTAG_HEADER_STR(ppi),
		   SIPTAG_CONTENT_TYPE_STR("application/sdp"), SIPTAG_PAYLOAD_STR(c->local_sdp),
		   TAG_END());
	free(ruri);
	free(to);
	free(from);
	free(ppi);
}

static void do_answer(struct sip_ua *ua, struct cmd *cmd)
{
	struct sip_call *c = call_find(ua, cmd->call);

	if (!c || !c->offered || c->answered)
		return;
	free(c->local_sdp);
	c->local_sdp = cmd->sdp;
	cmd->sdp = NULL;
	c->answered = true;
	atomic_fetch_add(&ua->st_answered, 1);
	peer_add(ua, c, c->peer_contact);
	sip_dbg_calls("SIP call 0x%08X: 200 OK", c->id);
	nua_respond(c->nh, 200, "OK", SIPTAG_CONTENT_TYPE_STR("application/sdp"),
		    SIPTAG_PAYLOAD_STR(c->local_sdp), TAG_END());
}

static void do_reject(struct sip_ua *ua, struct cmd *cmd)
{
	struct sip_call *c = call_find(ua, cmd->call);

	if (!c || !c->offered || c->answered)
		return;
	int status = cmd->status >= 300 && cmd->status <= 699 ? cmd->status : 500;
	/* nua_respond() keeps the phrase pointer until the response goes out,
	 * after this command is freed: only static phrases. */
	const char *phrase = sip_status_phrase(status);
	atomic_fetch_add(&ua->st_rejected, 1);
	sip_dbg_calls("SIP call 0x%08X: rejected %d %s", c->id, status, phrase ? phrase : "");
	set_cause(c, SIP_END_LOCAL, status, phrase);
	nua_respond(c->nh, status, phrase ? phrase : "Rejected", TAG_END());
	/* nua reports the terminated state; end it here in case it does not. */
	call_ended(ua, c);
	call_free(ua, c);
}

static void do_hangup(struct sip_ua *ua, struct cmd *cmd)
{
	struct sip_call *c = call_find(ua, cmd->call);

	if (!c)
		return;
	set_cause(c, SIP_END_LOCAL, 0, "Local hangup");
	sip_dbg_calls("SIP call 0x%08X: hangup", c->id);
	if (c->offered && !c->answered) {
		nua_respond(c->nh, 480, "Temporarily Unavailable", TAG_END());
	} else if (c->answered) {
		if (c->bye_sent)
			return;
		c->bye_sent = true;
		nua_bye(c->nh, TAG_END());
		return; /* terminated state ends it */
	} else {
		if (!c->cancel_sent) {
			c->cancel_sent = true;
			nua_cancel(c->nh, TAG_END());
		}
		return;
	}
	call_ended(ua, c);
	call_free(ua, c);
}

static void stop_timeout(su_root_magic_t *m, su_timer_t *t, void *arg)
{
	struct sip_ua *ua = arg;

	sip_dbg_error("SIP shutdown did not complete in time");
	su_root_break(ua->root);
}

/* Same socket and server: the running nua can take the change. */
static bool transport_same(const struct settings *a, const struct settings *b)
{
	return a->enabled == b->enabled && str_eq(a->local_addr, b->local_addr) &&
	       a->local_port == b->local_port;
}

static bool registration_same(const struct settings *a, const struct settings *b)
{
	/* The numbers are not part of it: regs_sync() follows them. */
	return str_eq(a->domain, b->domain) &&
	       str_eq(a->server, b->server) && a->server_port == b->server_port &&
	       a->server_port_set == b->server_port_set &&
	       str_eq(a->username, b->username) && str_eq(a->password, b->password) &&
	       a->expires == b->expires;
}

static void do_configure(struct sip_ua *ua, struct cmd *cmd)
{
	const struct settings *ref = ua->have_want ? &ua->want : &ua->cur;

	if (settings_eq(ref, &cmd->settings) && (ua->nua || ua->have_want || !settings_usable(ref)))
		return;
	if (ua->nua && !ua->nua_shutting && !ua->have_want &&
	    transport_same(&ua->cur, &cmd->settings) && settings_usable(&cmd->settings)) {
		/* Calls survive: new parameters, and a new registration if
		 * what it registers changed. */
		bool rereg = !registration_same(&ua->cur, &cmd->settings);
		/* The dialog caches the digest credentials: new ones need a new
		 * handle. */
		bool keep = str_eq(ua->cur.username, cmd->settings.username) &&
			    str_eq(ua->cur.password, cmd->settings.password);
		bool dns_changed = !str_eq(ua->cur.dns_servers, cmd->settings.dns_servers);
		bool same_server = str_eq(ua->cur.server, cmd->settings.server) &&
				   str_eq(ua->cur.domain, cmd->settings.domain);
		settings_free(&ua->cur);
		ua->cur = cmd->settings;
		memset(&cmd->settings, 0, sizeof(cmd->settings));
		sip_log_set_secret(ua->cur.password);
		if (!same_server)
			ua->n_learnt = 0;
		guard_update(ua);
		nua_params(ua);
		if (dns_changed) {
			char path[64];
			resolv_conf(ua, path, sizeof(path));
		}
		if (rereg)
			regs_restart_on(ua, keep);
		else
			regs_sync(ua);
		return;
	}
	if (ua->have_want)
		settings_free(&ua->want);
	ua->want = cmd->settings;
	memset(&cmd->settings, 0, sizeof(cmd->settings));
	ua->have_want = true;
	if (ua->nua) {
		char why[160];
		const struct settings *o = &ua->cur, *n = &ua->want;
		if (!n->enabled || !settings_usable(n))
			snprintf(why, sizeof(why), "SIP disabled");
		else if (!str_eq(o->local_addr, n->local_addr))
			snprintf(why, sizeof(why), "Local address changed from %s to %s",
				 o->local_addr ? o->local_addr : "none", n->local_addr);
		else
			snprintf(why, sizeof(why), "SIP transport changed");
		nua_teardown(ua, why);
	} else {
		apply_wanted(ua);
	}
}

static void run_cmd(struct sip_ua *ua, struct cmd *cmd)
{
	switch (cmd->type) {
	case CMD_CONFIGURE: do_configure(ua, cmd); break;
	case CMD_PLACE: do_place(ua, cmd); break;
	case CMD_ANSWER: do_answer(ua, cmd); break;
	case CMD_REJECT: do_reject(ua, cmd); break;
	case CMD_HANGUP: do_hangup(ua, cmd); break;
	case CMD_STOP:
		ua->stopping = true;
		su_timer_set_interval(ua->stop_timer, stop_timeout, ua, STOP_GRACE_MS);
		if (ua->nua)
			nua_teardown(ua, "Shutdown");
		else {
			ua->stop_done = true;
			su_root_break(ua->root);
		}
		break;
	}
}

static void cmd_free(struct cmd *c)
{
	free(c->text);
	free(c->from);
	free(c->sdp);
	settings_free(&c->settings);
	free(c);
}

static int on_cmd(struct sip_ua *ua, su_wait_t *w, void *arg)
{
	uint64_t n;
	struct cmd *list;

	if (read(ua->efd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return 0;
	pthread_mutex_lock(&ua->lock);
	list = ua->head;
	ua->head = NULL;
	ua->tail = &ua->head;
	pthread_mutex_unlock(&ua->lock);
	while (list) {
		struct cmd *next = list->next;
		run_cmd(ua, list);
		cmd_free(list);
		list = next;
	}
	return 0;
}

/* After a burst of requests, memory goes back to the system.  sofia-sip
 * holds every refused INVITE's transaction for 32 s (timer H) and frees
 * it then; glibc keeps the freed pages of its arenas (measured: 24 MB ->
 * 241 MB after 2000 INVITE/s from trusted sources for 10 s, and still
 * 241 MB a minute later).  malloc_trim() returns them: every 10 s while
 * requests arrive faster than TRIM_BUSY per window, for a minute after
 * (the transactions' tail), and whenever the arenas hold more than
 * TRIM_FREE_BYTES unused. */
#define TRIM_WINDOW_S 10
#define TRIM_BUSY 100
#define TRIM_AFTER 6 /* windows */

/* Free memory glibc keeps in its arenas above which a quiet window trims
 * anyway: a burst's transactions may end long after the burst when the
 * machine is loaded. */
#define TRIM_FREE_BYTES (8u << 20)

static void trim_after_bursts(struct sip_ua *ua)
{
	unsigned long seen = atomic_load(&ua->st_served) + atomic_load(&ua->st_untrusted_refused) +
			     atomic_load(&ua->st_rl_source) + atomic_load(&ua->st_rl_global) +
			     atomic_load(&ua->st_busy);

	if (++ua->trim_ticks < TRIM_WINDOW_S)
		return;
	ua->trim_ticks = 0;
	if (seen - ua->trim_seen >= TRIM_BUSY)
		ua->trim_left = TRIM_AFTER;
	ua->trim_seen = seen;
	if (ua->trim_left) {
		ua->trim_left--;
		malloc_trim(0);
	} else if (mallinfo2().fordblks > TRIM_FREE_BYTES) {
		malloc_trim(0);
	}
}

/* Once a second: offers the orchestrator never answered, debug levels,
 * memory after bursts. */
static void tick(su_root_magic_t *m, su_timer_t *t, void *arg)
{
	struct sip_ua *ua = arg;
	uint64_t now = evloop_now_ms();
	size_t n;
	void **v;

	sip_log_levels_update();
	trim_after_bursts(ua);
	v = hashmap_values(&ua->calls, &n);
	for (size_t i = 0; i < n; i++) {
		struct sip_call *c = v[i];
		if (c->offered && !c->answered && now - c->offered_ms > SIP_OFFER_TIMEOUT_MS) {
			set_cause(c, SIP_END_TIMEOUT, 480, "Temporarily Unavailable");
			nua_respond(c->nh, 480, "Temporarily Unavailable", TAG_END());
			call_ended(ua, c);
			call_free(ua, c);
		} else if (c->outgoing && !c->answered && !c->cancel_sent && c->placed_ms &&
			   now - c->placed_ms > ua->cur.call_timeout * 1000ULL) {
			/* Nobody answered in time: CANCEL (nta holds it back
			 * until a provisional answer; without one the INVITE
			 * times out by itself). */
			sip_dbg_calls("SIP call 0x%08X unanswered after %u s: CANCEL", c->id,
				      ua->cur.call_timeout);
			set_cause(c, SIP_END_TIMEOUT, 408, "No answer");
			c->cancel_sent = true;
			nua_cancel(c->nh, TAG_END());
		}
	}
	free(v);
}

static void *sip_thread(void *p)
{
	struct sip_ua *ua = p;
	bool ok = false;

	su_init();
	su_home_init(ua->home);
	sip_log_init();
	ua->root = su_root_create(ua);
	if (ua->root) {
		su_wait_create(ua->wait, ua->efd, SU_WAIT_IN);
		ok = su_root_register(ua->root, ua->wait, on_cmd, NULL, 0) >= 0;
		ua->retry_timer = su_timer_create(su_root_task(ua->root), 0);
		ua->stop_timer = su_timer_create(su_root_task(ua->root), 0);
		ua->finish_timer = su_timer_create(su_root_task(ua->root), 0);
		ua->tick_timer = su_timer_create(su_root_task(ua->root), 1000);
		su_timer_set_for_ever(ua->tick_timer, tick, ua);
	}
	pthread_mutex_lock(&ua->lock);
	ua->ready = true;
	ua->thread_ok = ok;
	pthread_cond_signal(&ua->cond);
	pthread_mutex_unlock(&ua->lock);
	if (!ok)
		goto out;

	su_root_run(ua->root);

	/* Stopping: whatever is left goes without ceremony. */
	guard_detach(ua);
	end_all_calls(ua, SIP_END_LOCAL, 0, "Shutdown");
	regs_clear(ua, false);
	if (ua->nua && !ua->stop_done) {
		/* nua_shutdown did not finish: nua_destroy would refuse. */
		log_msg("SIP", SEV_WARNING, "SHUTDOWN", "SIP stack did not shut down cleanly");
	} else if (ua->nua) {
		nua_destroy(ua->nua);
	}
	su_timer_destroy(ua->retry_timer);
	su_timer_destroy(ua->stop_timer);
	su_timer_destroy(ua->finish_timer);
	su_timer_destroy(ua->tick_timer);
	su_root_unregister(ua->root, ua->wait, on_cmd, NULL);
	su_wait_destroy(ua->wait);
out:
	if (ua->root)
		su_root_destroy(ua->root);
	sip_log_fini();
	su_home_deinit(ua->home);
	su_deinit();
	return NULL;
}

/* ---- public: any thread ------------------------------------------------- */

static void enqueue(struct sip_ua *ua, struct cmd *c)
{
	uint64_t one = 1;

	pthread_mutex_lock(&ua->lock);
	*ua->tail = c;
	ua->tail = &c->next;
	pthread_mutex_unlock(&ua->lock);
	if (write(ua->efd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		abort();
}

struct sip_ua *sip_ua_start(struct evloop *loop, sip_event_fn fn, void *arg)
{
	struct sip_ua *ua = xcalloc(1, sizeof(*ua));

	ua->loop = loop;
	ua->sink = xcalloc(1, sizeof(*ua->sink));
	atomic_init(&ua->sink->refs, 1);
	ua->sink->fn = fn;
	ua->sink->arg = arg;
	ua->tail = &ua->head;
	atomic_init(&ua->next_call, 0x80000001u); /* shown as "SIP Handle: 0x8000…" */
	hashmap_init(&ua->calls, false);
	hashmap_init(&ua->regs, false);
	hashmap_init(&ua->reg_by_nh, false);
	hashmap_init(&ua->peers, false);
	pthread_mutex_init(&ua->guard_lock, NULL);
	ua->drain_fd = -1;
	copy_str(ua->steering_error, sizeof(ua->steering_error), "no SIP transport");
	ua->resolv_fd = -1;
	pthread_mutex_init(&ua->lock, NULL);
	pthread_cond_init(&ua->cond, NULL);
	ua->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	if (ua->efd < 0 || pthread_create(&ua->thread, NULL, sip_thread, ua) != 0) {
		log_msg("SIP", SEV_ERR, "START", "Cannot start the SIP thread: %s", strerror(errno));
		goto fail;
	}
	pthread_mutex_lock(&ua->lock);
	while (!ua->ready)
		pthread_cond_wait(&ua->cond, &ua->lock);
	pthread_mutex_unlock(&ua->lock);
	if (!ua->thread_ok) {
		pthread_join(ua->thread, NULL);
		log_msg("SIP", SEV_ERR, "START", "Cannot initialize sofia-sip");
		goto fail;
	}
	return ua;
fail:
	if (ua->efd >= 0)
		close(ua->efd);
	sink_unref(ua->sink);
	hashmap_clear(&ua->calls);
	hashmap_clear(&ua->regs);
	hashmap_clear(&ua->reg_by_nh);
	hashmap_clear(&ua->peers);
	pthread_mutex_destroy(&ua->guard_lock);
	free(ua);
	return NULL;
}

void sip_ua_stop(struct sip_ua *ua)
{
	struct cmd *c;

	if (!ua)
		return;
	c = xcalloc(1, sizeof(*c));
	c->type = CMD_STOP;
	enqueue(ua, c);
	pthread_join(ua->thread, NULL);
	/* Commands that arrived after the stop. */
	while ((c = ua->head)) {
		ua->head = c->next;
		cmd_free(c);
	}
	ua->sink->closed = true;
	sink_unref(ua->sink);
	settings_free(&ua->cur);
	settings_free(&ua->want);
	hashmap_clear(&ua->calls);
	hashmap_clear(&ua->regs);
	hashmap_clear(&ua->reg_by_nh);
	for (struct hashmap_entry *e = NULL; (e = hashmap_next(&ua->peers, e));)
		free(e->value);
	hashmap_clear(&ua->peers);
	pthread_mutex_destroy(&ua->guard_lock);
	if (ua->resolv_fd >= 0)
		close(ua->resolv_fd);
	close(ua->efd);
	pthread_mutex_destroy(&ua->lock);
	pthread_cond_destroy(&ua->cond);
	free(ua);
}

void sip_ua_configure(struct sip_ua *ua, const struct sip_settings *s)
{
	struct cmd *c;

	if (!ua)
		return;
	c = xcalloc(1, sizeof(*c));
	c->type = CMD_CONFIGURE;
	settings_copy(&c->settings, s);
	enqueue(ua, c);
}

uint32_t sip_call_place(struct sip_ua *ua, const char *remote_number, const char *sdp)
{
	return sip_call_place_from(ua, NULL, remote_number, sdp);
}

uint32_t sip_call_place_from(struct sip_ua *ua, const char *local_number,
			     const char *remote_number, const char *sdp)
{
	struct cmd *c;

	if (!ua)
		return 0;
	c = xcalloc(1, sizeof(*c));
	c->type = CMD_PLACE;
	uint32_t id = atomic_fetch_add(&ua->next_call, 1);
	c->call = id;
	c->from = local_number && *local_number ? xstrdup(local_number) : NULL;
	c->text = xstrdup(remote_number);
	c->sdp = xstrdup(sdp);
	enqueue(ua, c); /* c belongs to the SIP thread from here on */
	return id;
}

static void simple_cmd(struct sip_ua *ua, enum cmd_type type, uint32_t call, int status,
		       const char *text, const char *sdp)
{
	struct cmd *c;

	if (!ua || !call)
		return;
	c = xcalloc(1, sizeof(*c));
	c->type = type;
	c->call = call;
	c->status = status;
	c->text = text ? xstrdup(text) : NULL;
	c->sdp = sdp ? xstrdup(sdp) : NULL;
	enqueue(ua, c);
}

void sip_call_answer(struct sip_ua *ua, uint32_t call, const char *sdp)
{
	simple_cmd(ua, CMD_ANSWER, call, 200, NULL, sdp);
}

void sip_call_reject(struct sip_ua *ua, uint32_t call, int status, const char *phrase)
{
	simple_cmd(ua, CMD_REJECT, call, status, phrase, NULL);
}

void sip_call_hangup(struct sip_ua *ua, uint32_t call)
{
	simple_cmd(ua, CMD_HANGUP, call, 0, NULL, NULL);
}

void sip_ua_stats(const struct sip_ua *ua, struct sip_stats *out)
{
	memset(out, 0, sizeof(*out));
	if (!ua)
		return;
	out->calls_out = atomic_load(&ua->st_out);
	out->calls_in = atomic_load(&ua->st_in);
	out->calls_rejected = atomic_load(&ua->st_rejected);
	out->calls_answered = atomic_load(&ua->st_answered);
	out->registers_sent = atomic_load(&ua->st_reg);
	out->register_failures = atomic_load(&ua->st_regfail);
	out->calls_active = atomic_load(&ua->st_active);
	out->untrusted_dropped = atomic_load(&ua->st_untrusted_dropped);
	out->untrusted_refused = atomic_load(&ua->st_untrusted_refused);
	out->rate_limited_source = atomic_load(&ua->st_rl_source);
	out->rate_limited_global = atomic_load(&ua->st_rl_global);
	out->offers_refused_busy = atomic_load(&ua->st_busy);
	out->requests_served = atomic_load(&ua->st_served);
	out->events_pending = atomic_load(&ua->sink->pending);
	out->events_pending_max = atomic_load(&ua->st_pending_max);
	pthread_mutex_lock((pthread_mutex_t *)&ua->guard_lock);
	out->last_untrusted = ua->last_untrusted;
	out->last_untrusted_port = ua->last_untrusted_port;
	copy_str(out->last_untrusted_method, sizeof(out->last_untrusted_method),
		 ua->last_untrusted_method);
	out->steering = ua->steering;
	copy_str(out->steering_error, sizeof(out->steering_error), ua->steering_error);
	memcpy(out->trusted, ua->nets, ua->n_nets * sizeof(ua->nets[0]));
	memcpy(out->trusted_why, ua->nets_why, ua->n_nets * sizeof(ua->nets_why[0]));
	out->n_trusted = ua->n_nets;
	out->n_peers = ua->n_peers;
	pthread_mutex_unlock((pthread_mutex_t *)&ua->guard_lock);
}

const char *sip_reg_state_name(enum sip_reg_state s)
{
	switch (s) {
	case SIP_REG_OFF: return "off";
	case SIP_REG_REGISTERING: return "registering";
	case SIP_REG_REGISTERED: return "registered";
	case SIP_REG_FAILED: return "failed";
	}
	return "?";
}

const char *sip_end_cause_name(enum sip_end_cause c)
{
	switch (c) {
	case SIP_END_LOCAL: return "local hangup";
	case SIP_END_REMOTE_BYE: return "remote BYE";
	case SIP_END_CANCELLED: return "cancelled by caller";
	case SIP_END_REJECTED: return "rejected";
	case SIP_END_TIMEOUT: return "timeout";
	case SIP_END_ERROR: return "error";
	}
	return "?";
}

const char *sip_library_version(void)
{
	return SOFIA_SIP_VERSION;
}
