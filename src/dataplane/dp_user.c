/* The user-space data plane: one thread, epoll over the tunnels' TUN
 * devices and the UDP ports, ESP-in-UDP (RFC 3948) with dp_esp.
 *
 * State (tunnels, SAs, ports) sits in hash maps under one mutex: the data
 * plane thread takes it per packet, libcharon's workers for SA changes,
 * the main thread for tunnels and show commands.  Hooks into IKE are
 * called without the lock held.
 *
 * Packets routed into a tunnel while its session comes up wait in the
 * tunnel's trigger queue (copies, bounded by DP_TRIGGER_QUEUE_*).  They
 * are sent by this thread only: an outbound SA added on another thread
 * puts the tunnel on the flush list and wakes the thread (wakefd); a packet
 * read from the TUN device first sends what still waits, so order holds.
 *
 * Per-session ports are per-session sockets: each port is its own UDP
 * socket carrying IKE and ESP (non-ESP marker), so a session's traffic
 * leaves from the port its SDP announced without any NAT rule, and
 * "show crypto session detail" shows the port directly. */
#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/filter.h>
#include <linux/sock_diag.h>
#include <net/if.h>
#include <netinet/ip.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/eventfd.h>
#include <sys/ioctl.h>
#include <sys/socket.h>
#include <unistd.h>

#include "dataplane/dataplane.h"
#include "dataplane/dp_esp.h"
#include "dataplane/dp_packet.h"
#include "dataplane/u32map.h"
#include "log/debug.h"
#include "log/log.h"
#include "util/evloop.h"
#include "util/hashmap.h"
#include "util/xalloc.h"

struct debug_flag debug_dp_packet = {
	.path = "crypto ipsec packet",
	.help = "Cryptographic subsystem\nIPsec\nPer-packet data plane events (drops, errors)",
	.title = "IPsec data plane packet",
};

#define IKE_PORT 500
#define PKT_MAX 65535
#define BATCH 64
#define OUTER_IP_UDP 28 /* IPv4 (no options) + UDP in front of each ESP packet */

enum src_kind { SRC_WAKE = 1, SRC_TUN, SRC_PORT };

struct usa {
	struct dp_sa p; /* keys not kept */
	struct dp_esp *esp;
	struct dp_tunnel *t;
	struct usa *t_next; /* the tunnel's outbound SAs, newest first */
	uint32_t seq_out;
	struct dp_replay replay;
	uint64_t bytes, packets, errors, replay_drops, last_use_ms;
	bool soft_raised, hard_raised;
};

/* A packet in a trigger queue. */
struct qpkt {
	struct qpkt *next;
	uint64_t queued_ms;
	size_t len;
	uint8_t data[];
};

struct dp_tunnel {
	char name[IFNAMSIZ];
	struct dp_tunnel_cfg cfg;
	int fd;
	struct usa *out; /* newest first */
	unsigned n_in;
	uint32_t spi_in;
	bool trigger_armed;
	/* The trigger queue: open from the trigger until the outbound SA or
	 * the attempt's end; flush_pending: on the flush list. */
	bool queue_open, flush_pending;
	struct qpkt *q_head, **q_tail;
	unsigned q_pkts;
	size_t q_bytes;
	struct dp_tunnel_stats st;
	uint64_t sa_since_ms;
	bool idle_reported;
	struct ev_timer *idle_timer; /* main thread only */
};

struct uport {
	uint16_t port;
	int fd;
	unsigned refs;
	int pmtudisc; /* IP_MTU_DISCOVER value set, -1 unknown */
};

struct dp_user {
	struct dataplane pub;
	struct dp_ike_hooks hooks;
	struct evloop *loop;
	pthread_mutex_t mu;
	pthread_t thread;
	bool running, stopping;
	int epfd, wakefd; /* wakefd: stop, or tunnels to flush */
	uint32_t *flush_ids; /* tunnels whose queue waits for this thread */
	size_t n_flush, cap_flush;
	struct u32map tunnels; /* id -> dp_tunnel */
	struct hashmap by_name; /* name -> dp_tunnel */
	struct u32map sa_in, sa_out; /* spi -> usa */
	struct u32map ports; /* port -> uport */
	struct dp_global_stats g;
	/* ports_accept(): each owner's addresses; the ports' filter. */
	struct {
		bool set, any;
		struct in_addr *addrs;
		size_t n;
	} accept[DP_ADDRS_OWNERS];
	struct sock_filter *port_filter; /* NULL: every address */
	size_t port_filter_len;
	uint64_t last_invalid_spi_ms;
	uint8_t inbuf[PKT_MAX + 64], outbuf[PKT_MAX + 512];
};

#define DPU(dp) ((struct dp_user *)(dp))

static uint64_t ev_key(enum src_kind k, uint32_t v)
{
	return (uint64_t)k << 32 | v;
}

/* ---- sockets ------------------------------------------------------------- */

static int port_socket(uint16_t port)
{
	int fd = socket(AF_INET, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int on = 1;
	struct sockaddr_in a = { .sin_family = AF_INET, .sin_port = htons(port) };

	if (fd < 0)
		return -1;
	setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &on, sizeof(on));
	setsockopt(fd, IPPROTO_IP, IP_PKTINFO, &on, sizeof(on));
	if (port == IKE_PORT || port == 4500) {
		/* The shared ports carry every session's IKE and ESP: a burst
		 * of setups (hundreds of sessions at once) overflowed the
		 * default buffer.  FORCE passes rmem_max as root; else capped. */
		int big = 4 << 20;
		if (setsockopt(fd, SOL_SOCKET, SO_RCVBUFFORCE, &big, sizeof(big)) < 0)
			setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	}
	if (bind(fd, (struct sockaddr *)&a, sizeof(a)) < 0) {
		int e = errno;
		close(fd);
		errno = e;
		return -1;
	}
	return fd;
}

/* Caller holds u->mu. */
static void port_filter_attach(struct dp_user *u, int fd)
{
	struct sock_fprog fp = { .len = (unsigned short)u->port_filter_len, .filter = u->port_filter };

	int none = 0, rc;

	/* The kernel wants an int's length even for DETACH (EINVAL without);
	 * ENOENT: there was no filter. */
	if (u->port_filter)
		rc = setsockopt(fd, SOL_SOCKET, SO_ATTACH_FILTER, &fp, sizeof(fp));
	else
		rc = setsockopt(fd, SOL_SOCKET, SO_DETACH_FILTER, &none, sizeof(none));
	if (rc < 0 && errno != ENOENT)
		log_msg("IPSEC", SEV_ERR, "PORT_FILTER", "UDP port filter not %s: %s",
			u->port_filter ? "set" : "removed", strerror(errno));
}

/* Caller holds u->mu.  The union of the owners' addresses as a classic BPF
 * program on every port: the IPv4 destination one of them -> keep the
 * datagram, else drop it (the kernel counts it in the socket's drops). */
static void port_filter_build(struct dp_user *u)
{
	size_t n = 0, len = 0;
	bool any = true;

	for (int o = 0; o < DP_ADDRS_OWNERS; o++) {
		if (u->accept[o].set)
			any = false;
		n += u->accept[o].n;
	}
	for (int o = 0; o < DP_ADDRS_OWNERS; o++)
		any = any || u->accept[o].any;
	free(u->port_filter);
	u->port_filter = NULL;
	u->port_filter_len = 0;
	if (!any && 2 * n + 2 <= BPF_MAXINSNS) {
		struct sock_filter *f = xcalloc(2 * n + 2, sizeof(*f));
		f[len++] = (struct sock_filter)BPF_STMT(BPF_LD | BPF_W | BPF_ABS, (uint32_t)SKF_NET_OFF + 16);
		for (int o = 0; o < DP_ADDRS_OWNERS; o++)
			for (size_t i = 0; i < u->accept[o].n; i++) {
				f[len++] = (struct sock_filter)BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K,
									ntohl(u->accept[o].addrs[i].s_addr), 0, 1);
				f[len++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0xffffffffu);
			}
		f[len++] = (struct sock_filter)BPF_STMT(BPF_RET | BPF_K, 0);
		u->port_filter = f;
		u->port_filter_len = len;
	}
	for (struct u32map_entry *e = NULL; (e = u32map_next(&u->ports, e));)
		port_filter_attach(u, ((struct uport *)e->value)->fd);
}

static void m_ports_accept(struct dataplane *dp, enum dp_addrs_owner owner,
			   const struct in_addr *addrs, size_t n, bool any)
{
	struct dp_user *u = DPU(dp);

	if ((unsigned)owner >= DP_ADDRS_OWNERS)
		return;
	pthread_mutex_lock(&u->mu);
	free(u->accept[owner].addrs);
	u->accept[owner].addrs = xcalloc(n + 1, sizeof(*addrs));
	if (n)
		memcpy(u->accept[owner].addrs, addrs, n * sizeof(*addrs));
	u->accept[owner].n = n;
	u->accept[owner].any = any;
	u->accept[owner].set = true;
	port_filter_build(u);
	pthread_mutex_unlock(&u->mu);
}

static size_t m_ports_accepting(struct dataplane *dp, struct in_addr *out, size_t max,
				bool *filtered)
{
	struct dp_user *u = DPU(dp);
	size_t k = 0;

	pthread_mutex_lock(&u->mu);
	*filtered = u->port_filter != NULL;
	for (int o = 0; o < DP_ADDRS_OWNERS && *filtered; o++)
		for (size_t i = 0; i < u->accept[o].n; i++) {
			bool dup = false;
			for (size_t j = 0; j < k && !dup; j++)
				dup = out[j].s_addr == u->accept[o].addrs[i].s_addr;
			if (!dup && k < max)
				out[k++] = u->accept[o].addrs[i];
		}
	pthread_mutex_unlock(&u->mu);
	return k;
}

static int m_port_open(struct dataplane *dp, uint16_t port)
{
	struct dp_user *u = DPU(dp);
	struct uport *p;
	int rc = 0;

	pthread_mutex_lock(&u->mu);
	p = u32map_get(&u->ports, port);
	if (p) {
		p->refs++;
	} else {
		int fd = port_socket(port);
		if (fd < 0) {
			rc = -1;
		} else {
			struct epoll_event ev = { .events = EPOLLIN, .data.u64 = ev_key(SRC_PORT, port) };
			p = xcalloc(1, sizeof(*p));
			p->port = port;
			p->fd = fd;
			p->refs = 1;
			p->pmtudisc = -1;
			port_filter_attach(u, fd);
			u32map_put(&u->ports, port, p);
			epoll_ctl(u->epfd, EPOLL_CTL_ADD, fd, &ev);
		}
	}
	pthread_mutex_unlock(&u->mu);
	return rc;
}

static void m_port_close(struct dataplane *dp, uint16_t port)
{
	struct dp_user *u = DPU(dp);
	struct uport *p;

	pthread_mutex_lock(&u->mu);
	p = u32map_get(&u->ports, port);
	if (p && --p->refs == 0) {
		u32map_del(&u->ports, port);
		epoll_ctl(u->epfd, EPOLL_CTL_DEL, p->fd, NULL);
		close(p->fd);
		free(p);
	}
	pthread_mutex_unlock(&u->mu);
}

/* sendmsg from port p, source address src (if set), to dst. */
/* tos: the outer TOS byte (0: the socket's default, no ancillary data). */
static ssize_t send_from(struct uport *p, const struct sockaddr_in *src,
			 const struct sockaddr_in *dst, const struct iovec *iov, int niov, int tos)
{
	union {
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo)) + CMSG_SPACE(sizeof(int))];
		struct cmsghdr align;
	} cbuf;
	struct msghdr msg = {
		.msg_name = (void *)dst,
		.msg_namelen = sizeof(*dst),
		.msg_iov = (struct iovec *)iov,
		.msg_iovlen = (size_t)niov,
		.msg_control = cbuf.buf,
	};
	struct cmsghdr *c;
	size_t used = 0;

	memset(&cbuf, 0, sizeof(cbuf));
	msg.msg_controllen = sizeof(cbuf.buf);
	c = CMSG_FIRSTHDR(&msg);
	if (src && src->sin_addr.s_addr != INADDR_ANY) {
		struct in_pktinfo *pi;

		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(*pi));
		pi = (struct in_pktinfo *)CMSG_DATA(c);
		pi->ipi_spec_dst = src->sin_addr;
		used += CMSG_SPACE(sizeof(*pi));
		c = CMSG_NXTHDR(&msg, c);
	}
	if (tos) {
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_TOS;
		c->cmsg_len = CMSG_LEN(sizeof(int));
		memcpy(CMSG_DATA(c), &tos, sizeof(int));
		used += CMSG_SPACE(sizeof(int));
	}
	msg.msg_controllen = used;
	if (!used)
		msg.msg_control = NULL;
	return sendmsg(p->fd, &msg, 0);
}

static int m_ike_send(struct dataplane *dp, const struct sockaddr_in *src,
		      const struct sockaddr_in *dst, const uint8_t *data, size_t len)
{
	struct dp_user *u = DPU(dp);
	uint16_t port = ntohs(src->sin_port);
	struct iovec iov = { (void *)data, len };
	struct uport *p;
	ssize_t rc = -1;

	pthread_mutex_lock(&u->mu);
	p = u32map_get(&u->ports, port);
	if (p) {
		rc = send_from(p, src, dst, &iov, 1, 0);
		if (rc >= 0)
			u->g.ike_out++;
	} else {
		errno = ENOENT;
	}
	pthread_mutex_unlock(&u->mu);
	return rc < 0 ? -1 : 0;
}

/* ---- tunnels -------------------------------------------------------------- */

static struct dp_tunnel *tunnel_by_name(struct dp_user *u, const char *name)
{
	return hashmap_get(&u->by_name, name);
}

static int m_tunnel_attach(struct dataplane *dp, const struct dp_tunnel_cfg *cfg, int fd)
{
	struct dp_user *u = DPU(dp);
	struct dp_tunnel *t;
	struct epoll_event ev = { .events = EPOLLIN };

	pthread_mutex_lock(&u->mu);
	t = tunnel_by_name(u, cfg->name);
	if (!t) {
		t = xcalloc(1, sizeof(*t));
		snprintf(t->name, sizeof(t->name), "%s", cfg->name);
		t->fd = -1;
		t->trigger_armed = true;
		t->q_tail = &t->q_head;
		hashmap_put(&u->by_name, t->name, t);
		u32map_put(&u->tunnels, cfg->id, t);
	}
	t->cfg = *cfg;
	t->cfg.name = t->name;
	if (t->fd >= 0 && t->fd != fd) {
		epoll_ctl(u->epfd, EPOLL_CTL_DEL, t->fd, NULL);
		close(t->fd);
	}
	t->fd = fd;
	ev.data.u64 = ev_key(SRC_TUN, cfg->id);
	epoll_ctl(u->epfd, EPOLL_CTL_ADD, fd, &ev);
	pthread_mutex_unlock(&u->mu);
	return 0;
}

static void m_tunnel_update(struct dataplane *dp, const struct dp_tunnel_cfg *cfg)
{
	struct dp_user *u = DPU(dp);
	struct dp_tunnel *t;

	pthread_mutex_lock(&u->mu);
	t = tunnel_by_name(u, cfg->name);
	if (t) {
		t->cfg.mss = cfg->mss;
		t->cfg.df = cfg->df;
	}
	pthread_mutex_unlock(&u->mu);
}

static void m_tunnel_set_idle(struct dataplane *dp, const char *name, unsigned seconds)
{
	struct dp_user *u = DPU(dp);
	struct dp_tunnel *t;

	pthread_mutex_lock(&u->mu);
	t = tunnel_by_name(u, name);
	if (t)
		t->cfg.idle_seconds = seconds;
	pthread_mutex_unlock(&u->mu);
}

static void usa_free(struct usa *sa)
{
	dp_esp_destroy(sa->esp);
	free(sa);
}

/* Caller holds u->mu.  The queue's packets, detached; the queue empty. */
static struct qpkt *queue_take(struct dp_tunnel *t)
{
	struct qpkt *q = t->q_head;

	t->q_head = NULL;
	t->q_tail = &t->q_head;
	t->q_pkts = 0;
	t->q_bytes = 0;
	return q;
}

/* Caller holds u->mu.  The attempt is over: what waits is dropped. */
static void queue_drop(struct dp_tunnel *t)
{
	struct qpkt *q = queue_take(t);

	t->queue_open = false;
	while (q) {
		struct qpkt *next = q->next;
		t->st.trigger_drops++;
		free(q);
		q = next;
	}
}

/* Caller holds u->mu.  A packet without SA: waits if an attempt is under
 * way and the queue has room, else it is dropped. */
static void queue_put(struct dp_tunnel *t, const uint8_t *pkt, size_t len)
{
	struct qpkt *q;

	if (!t->queue_open || t->q_pkts >= DP_TRIGGER_QUEUE_PKTS ||
	    t->q_bytes + len > DP_TRIGGER_QUEUE_BYTES) {
		t->st.trigger_drops++;
		return;
	}
	q = xmalloc(sizeof(*q) + len);
	q->next = NULL;
	q->queued_ms = evloop_now_ms();
	q->len = len;
	memcpy(q->data, pkt, len);
	*t->q_tail = q;
	t->q_tail = &q->next;
	t->q_pkts++;
	t->q_bytes += len;
	t->st.trigger_queued++;
}

static void m_tunnel_detach(struct dataplane *dp, const char *name)
{
	struct dp_user *u = DPU(dp);
	struct dp_tunnel *t;

	pthread_mutex_lock(&u->mu);
	t = hashmap_del(&u->by_name, name);
	if (t) {
		u32map_del(&u->tunnels, t->cfg.id);
		if (t->fd >= 0) {
			epoll_ctl(u->epfd, EPOLL_CTL_DEL, t->fd, NULL);
			close(t->fd);
		}
		/* SAs stay (IKE deletes them) but lose their tunnel. */
		for (struct u32map_entry *e = NULL; (e = u32map_next(&u->sa_in, e));)
			if (((struct usa *)e->value)->t == t)
				((struct usa *)e->value)->t = NULL;
		for (struct u32map_entry *e = NULL; (e = u32map_next(&u->sa_out, e));)
			if (((struct usa *)e->value)->t == t)
				((struct usa *)e->value)->t = NULL;
		if (t->idle_timer)
			ev_timer_del(t->idle_timer);
		queue_drop(t);
		free(t);
	}
	pthread_mutex_unlock(&u->mu);
}

static int m_tunnel_stats(struct dataplane *dp, const char *name, struct dp_tunnel_stats *st)
{
	struct dp_user *u = DPU(dp);
	struct dp_tunnel *t;

	pthread_mutex_lock(&u->mu);
	t = tunnel_by_name(u, name);
	if (t) {
		*st = t->st;
		st->n_sa_in = t->n_in;
		st->n_sa_out = 0;
		for (struct usa *s = t->out; s; s = s->t_next)
			st->n_sa_out++;
		st->spi_out = t->out ? t->out->p.spi : 0;
		st->spi_in = t->n_in ? t->spi_in : 0;
		st->attached = t->fd >= 0;
	}
	pthread_mutex_unlock(&u->mu);
	return t ? 0 : -1;
}

static void m_tunnel_clear_counters(struct dataplane *dp, const char *name)
{
	struct dp_user *u = DPU(dp);
	struct dp_tunnel *t;

	pthread_mutex_lock(&u->mu);
	t = tunnel_by_name(u, name);
	if (t) {
		/* the outer counters feed QoS's rate feedback: never reset */
		uint64_t last = t->st.last_use_ms, op = t->st.outer_pkts_out,
			 ob = t->st.outer_bytes_out;
		memset(&t->st, 0, sizeof(t->st));
		t->st.last_use_ms = last;
		t->st.outer_pkts_out = op;
		t->st.outer_bytes_out = ob;
	}
	pthread_mutex_unlock(&u->mu);
}

static void m_trigger_rearm(struct dataplane *dp, const char *name)
{
	struct dp_user *u = DPU(dp);
	struct dp_tunnel *t;

	pthread_mutex_lock(&u->mu);
	t = tunnel_by_name(u, name);
	if (t) {
		queue_drop(t);
		t->trigger_armed = true;
	}
	pthread_mutex_unlock(&u->mu);
}

static void m_trigger_queue_drop(struct dataplane *dp, const char *name)
{
	struct dp_user *u = DPU(dp);
	struct dp_tunnel *t;

	pthread_mutex_lock(&u->mu);
	t = tunnel_by_name(u, name);
	if (t)
		queue_drop(t);
	pthread_mutex_unlock(&u->mu);
}

/* ---- idle timers (main thread) ------------------------------------------------ */

static struct dp_user *the_user; /* for the posted closures */

static void idle_fire(struct ev_timer *tm, void *arg);

static void idle_arm(struct dp_user *u, struct dp_tunnel *t, uint64_t after_ms)
{
	if (t->idle_timer)
		ev_timer_del(t->idle_timer);
	/* The tunnel by id: a deleted timer never fires, so no string to leak. */
	t->idle_timer = ev_timer_add(u->loop, after_ms, idle_fire, (void *)(uintptr_t)t->cfg.id);
}

static void idle_fire(struct ev_timer *tm, void *arg)
{
	struct dp_user *u = the_user;
	struct dp_tunnel *t;
	char name[IFNAMSIZ] = "";

	if (!u)
		return;
	pthread_mutex_lock(&u->mu);
	t = u32map_get(&u->tunnels, (uint32_t)(uintptr_t)arg);
	if (t) {
		uint64_t idle_ms = (uint64_t)t->cfg.idle_seconds * 1000;
		uint64_t last = t->st.last_use_ms > t->sa_since_ms ? t->st.last_use_ms : t->sa_since_ms;
		uint64_t now = evloop_now_ms();

		t->idle_timer = NULL; /* this one fired (the loop frees it) */
		if (idle_ms && t->out && !t->idle_reported) {
			if (now - last >= idle_ms) {
				t->idle_reported = true;
				snprintf(name, sizeof(name), "%s", t->name);
			} else {
				idle_arm(u, t, idle_ms - (now - last));
			}
		}
	}
	pthread_mutex_unlock(&u->mu);
	if (name[0])
		dataplane_raise_idle(name);
}

/* Posted when an SA is installed: (re)start the tunnel's idle timer. */
static void idle_start(void *arg)
{
	struct dp_user *u = the_user;
	char *name = arg;
	struct dp_tunnel *t;

	if (u) {
		pthread_mutex_lock(&u->mu);
		t = tunnel_by_name(u, name);
		if (t && t->cfg.idle_seconds)
			idle_arm(u, t, (uint64_t)t->cfg.idle_seconds * 1000);
		pthread_mutex_unlock(&u->mu);
	}
	free(name);
}

/* ---- SAs ------------------------------------------------------------------------ */

static int m_sa_add(struct dataplane *dp, const struct dp_sa *p)
{
	struct dp_user *u = DPU(dp);
	struct usa *sa = xcalloc(1, sizeof(*sa));
	struct dp_tunnel *t;

	sa->p = *p;
	sa->p.enc_key = sa->p.int_key = NULL;
	if (sa->p.replay_window > DP_REPLAY_MAX)
		sa->p.replay_window = DP_REPLAY_MAX;
	sa->esp = dp_esp_create(p->enc_alg, p->enc_key, p->enc_key_len, p->int_alg, p->int_key,
				p->int_key_len, p->inbound);
	if (!sa->esp) {
		free(sa);
		log_msg("IPSEC", SEV_ERR, "SA_ADD", "SPI 0x%08X: transform not supported", p->spi);
		return -1;
	}
	pthread_mutex_lock(&u->mu);
	t = u32map_get(&u->tunnels, p->tunnel_id);
	sa->t = t;
	struct usa *old = u32map_put(p->inbound ? &u->sa_in : &u->sa_out, p->spi, sa);
	if (old) /* same SPI again (update): replace */
		u32map_put(p->inbound ? &u->sa_in : &u->sa_out, p->spi, old), usa_free(sa), sa = NULL;
	if (sa && t) {
		if (p->inbound) {
			t->n_in++;
			t->spi_in = p->spi;
		} else {
			sa->t_next = t->out;
			t->out = sa;
			t->sa_since_ms = evloop_now_ms();
			t->idle_reported = false;
			if (t->cfg.idle_seconds)
				evloop_post(u->loop, idle_start, xstrdup(t->name));
			/* What waited for this SA leaves from the data plane
			 * thread (it owns the packet buffers): at once. */
			t->queue_open = false;
			if (t->q_head && !t->flush_pending) {
				uint64_t one = 1;
				t->flush_pending = true;
				xgrow(&u->flush_ids, &u->cap_flush, u->n_flush + 1,
				      sizeof(*u->flush_ids));
				u->flush_ids[u->n_flush++] = t->cfg.id;
				if (write(u->wakefd, &one, sizeof(one)) < 0)
					log_msg("IPSEC", SEV_ERR, "WAKE", "data plane wake-up: %s",
						strerror(errno));
			}
		}
	}
	pthread_mutex_unlock(&u->mu);
	return sa ? 0 : -1;
}

static int m_sa_update(struct dataplane *dp, uint32_t spi, bool inbound,
		       const struct sockaddr_in *local, const struct sockaddr_in *remote)
{
	struct dp_user *u = DPU(dp);
	struct usa *sa;

	pthread_mutex_lock(&u->mu);
	sa = u32map_get(inbound ? &u->sa_in : &u->sa_out, spi);
	if (sa) {
		if (local)
			sa->p.local = *local;
		if (remote)
			sa->p.remote = *remote;
	}
	pthread_mutex_unlock(&u->mu);
	return sa ? 0 : -1;
}

static int m_sa_del(struct dataplane *dp, uint32_t spi, bool inbound)
{
	struct dp_user *u = DPU(dp);
	struct usa *sa;

	pthread_mutex_lock(&u->mu);
	sa = u32map_del(inbound ? &u->sa_in : &u->sa_out, spi);
	if (sa && sa->t) {
		struct dp_tunnel *t = sa->t;
		if (inbound) {
			t->n_in--;
		} else {
			for (struct usa **pp = &t->out; *pp; pp = &(*pp)->t_next) {
				if (*pp == sa) {
					*pp = sa->t_next;
					break;
				}
			}
			/* The SA is gone: the next packet may trigger again. */
			if (!t->out)
				t->trigger_armed = true;
		}
	}
	pthread_mutex_unlock(&u->mu);
	if (sa)
		usa_free(sa);
	return sa ? 0 : -1;
}

static int m_sa_query(struct dataplane *dp, uint32_t spi, bool inbound, struct dp_sa_stats *st)
{
	struct dp_user *u = DPU(dp);
	struct usa *sa;

	pthread_mutex_lock(&u->mu);
	sa = u32map_get(inbound ? &u->sa_in : &u->sa_out, spi);
	if (sa) {
		st->bytes = sa->bytes;
		st->packets = sa->packets;
		st->last_use_ms = sa->last_use_ms;
		st->errors = sa->errors;
		st->replay_drops = sa->replay_drops;
		st->replay_window = sa->p.replay_window;
	}
	pthread_mutex_unlock(&u->mu);
	return sa ? 0 : -1;
}

static bool m_sa_exists(struct dataplane *dp, uint32_t spi, bool inbound)
{
	struct dp_user *u = DPU(dp);
	bool found;

	pthread_mutex_lock(&u->mu);
	found = u32map_get(inbound ? &u->sa_in : &u->sa_out, spi) != NULL;
	pthread_mutex_unlock(&u->mu);
	return found;
}

static void m_global_stats(struct dataplane *dp, struct dp_global_stats *st)
{
	struct dp_user *u = DPU(dp);

	pthread_mutex_lock(&u->mu);
	*st = u->g;
	st->port_kernel_drops = 0;
	for (struct u32map_entry *e = NULL; (e = u32map_next(&u->ports, e));) {
		uint32_t mem[SK_MEMINFO_VARS] = { 0 };
		socklen_t l = sizeof(mem);
		if (getsockopt(((struct uport *)e->value)->fd, SOL_SOCKET, SO_MEMINFO, mem, &l) == 0)
			st->port_kernel_drops += mem[SK_MEMINFO_DROPS];
	}
	pthread_mutex_unlock(&u->mu);
}

/* ---- packets ------------------------------------------------------------------ */

struct expire_note {
	bool pending, hard;
	uint32_t spi;
	struct sockaddr_in dst;
};

/* Volume limits, checked after each packet on the SA. */
static void check_limits(struct usa *sa, struct expire_note *n)
{
	const struct dp_sa *p = &sa->p;
	bool hard = (p->hard_bytes && sa->bytes >= p->hard_bytes) ||
		    (p->hard_packets && sa->packets >= p->hard_packets);
	bool soft = (p->soft_bytes && sa->bytes >= p->soft_bytes) ||
		    (p->soft_packets && sa->packets >= p->soft_packets);

	if (hard && !sa->hard_raised) {
		sa->hard_raised = sa->soft_raised = true;
		*n = (struct expire_note){ true, true, p->spi, p->inbound ? p->local : p->remote };
	} else if (soft && !sa->soft_raised) {
		sa->soft_raised = true;
		*n = (struct expire_note){ true, false, p->spi, p->inbound ? p->local : p->remote };
	}
}

static void set_df(struct uport *p, bool df)
{
	int v = df ? IP_PMTUDISC_DO : IP_PMTUDISC_DONT;

	if (p->pmtudisc != v && setsockopt(p->fd, IPPROTO_IP, IP_MTU_DISCOVER, &v, sizeof(v)) == 0)
		p->pmtudisc = v;
}

static void tunnel_out(struct dp_user *u, struct dp_tunnel *t, uint8_t *pkt, size_t len,
		       struct expire_note *note);

/* Caller holds u->mu; data plane thread.  The trigger queue leaves through
 * the tunnel's SA (if it went again meanwhile, or a packet is older than
 * DP_TRIGGER_QUEUE_MAX_AGE_MS: dropped). */
static void queue_flush(struct dp_user *u, struct dp_tunnel *t, struct expire_note *note)
{
	struct qpkt *q = queue_take(t);
	uint64_t now = evloop_now_ms();

	while (q) {
		struct qpkt *next = q->next;
		if (t->out && now - q->queued_ms <= DP_TRIGGER_QUEUE_MAX_AGE_MS)
			tunnel_out(u, t, q->data, q->len, note);
		else
			t->st.trigger_drops++;
		free(q);
		q = next;
	}
}

/* One packet the kernel routed into tunnel t. */
static void tunnel_out(struct dp_user *u, struct dp_tunnel *t, uint8_t *pkt, size_t len,
		       struct expire_note *note)
{
	struct usa *sa = t->out;
	struct uport *port;
	long n;
	bool df;

	if (len < 20 || (pkt[0] >> 4) != 4) {
		t->st.encrypt_errors++;
		return;
	}
	if (!sa) {
		if (t->trigger_armed) {
			t->trigger_armed = false;
			t->queue_open = true;
			t->st.triggers++;
			dataplane_raise_trigger(t->name);
		}
		queue_put(t, pkt, len);
		return;
	}
	if (t->q_head) /* the SA came before the flush: older packets first */
		queue_flush(u, t, note);
	if (sa->hard_raised || sa->seq_out == UINT32_MAX) {
		t->st.encrypt_errors++;
		return;
	}
	if (dp_clamp_mss(pkt, len, t->cfg.mss))
		t->st.mss_clamped++;
	df = t->cfg.df == DP_DF_SET || (t->cfg.df == DP_DF_COPY && (pkt[6] & 0x40));
	int tos = (int)(dataplane_outer_dscp(t->cfg.id, pkt, len) << 2);
	n = dp_esp_encrypt(sa->esp, sa->p.spi, ++sa->seq_out, pkt, len, IPPROTO_IPIP, u->outbuf,
			   sizeof(u->outbuf));
	port = u32map_get(&u->ports, ntohs(sa->p.local.sin_port));
	if (n < 0 || !port) {
		t->st.encrypt_errors++;
		sa->errors++;
		dbg(&debug_dp_packet, "IPSEC(%s): SPI 0x%08X: %s", t->name, sa->p.spi,
		    n < 0 ? "encryption failed" : "no socket for the local port");
		return;
	}
	set_df(port, df);
	struct iovec iov = { u->outbuf, (size_t)n };
	if (send_from(port, &sa->p.local, &sa->p.remote, &iov, 1, tos) < 0) {
		t->st.encrypt_errors++;
		sa->errors++;
		dbg(&debug_dp_packet, "IPSEC(%s): send: %s", t->name, strerror(errno));
		return;
	}
	t->st.pkts_out++;
	t->st.bytes_out += len;
	t->st.outer_pkts_out++;
	t->st.outer_bytes_out += (uint64_t)n + OUTER_IP_UDP;
	sa->packets++;
	sa->bytes += len;
	sa->last_use_ms = t->st.last_use_ms = evloop_now_ms();
	check_limits(sa, note);
}

static void esp_in(struct dp_user *u, const struct sockaddr_in *from, uint16_t lport,
		   uint8_t *pkt, size_t len, struct expire_note *note)
{
	uint32_t spi, seq;
	struct usa *sa;
	struct dp_tunnel *t;
	uint8_t *payload;
	size_t plen;

	if (len < 8) {
		u->g.esp_truncated++;
		return;
	}
	spi = (uint32_t)pkt[0] << 24 | pkt[1] << 16 | pkt[2] << 8 | pkt[3];
	seq = (uint32_t)pkt[4] << 24 | pkt[5] << 16 | pkt[6] << 8 | pkt[7];
	if (spi < 256) { /* reserved SPIs: not ESP */
		u->g.esp_garbage++;
		return;
	}
	sa = u32map_get(&u->sa_in, spi);
	if (!sa) {
		u->g.esp_unknown_spi++;
		uint64_t now = evloop_now_ms();
		/* Rate-limited: at most one report a second. */
		if (now - u->last_invalid_spi_ms >= 1000) {
			u->last_invalid_spi_ms = now;
			u->g.invalid_spi_reports++;
			log_msg("IPSEC", SEV_WARNING, "RECVD_PKT_INV_SPI",
				"decaps: rec'd IPSEC packet has invalid spi for destaddr=%s, prot=50, spi=0x%08X, srcaddr=%s",
				"local", spi, inet_ntoa(from->sin_addr));
			dataplane_raise_invalid_spi(from, lport, spi);
		}
		return;
	}
	t = sa->t;
	enum dp_decap r = dp_esp_decap(sa->esp, &sa->replay, sa->p.replay_window, pkt, len, &payload,
				       &plen);
	switch (r) {
	case DP_DECAP_OK:
	case DP_DECAP_NOT_IPV4:
		break;
	case DP_DECAP_REPLAYED:
		sa->replay_drops++;
		if (t)
			t->st.replay_drops++;
		dbg(&debug_dp_packet, "IPSEC: SPI 0x%08X: replayed or too old seq %u", spi, seq);
		return;
	case DP_DECAP_TRUNCATED:
		u->g.esp_truncated++;
		/* fallthrough */
	case DP_DECAP_FAILED:
		sa->errors++;
		if (t)
			t->st.decrypt_errors++;
		dbg(&debug_dp_packet, "IPSEC: SPI 0x%08X seq %u: decryption/authentication failed",
		    spi, seq);
		return;
	}
	sa->packets++;
	sa->bytes += plen;
	sa->last_use_ms = evloop_now_ms();
	check_limits(sa, note);
	if (r != DP_DECAP_OK || !t || t->fd < 0) {
		if (t)
			t->st.decrypt_errors++;
		return;
	}
	if (dp_clamp_mss(payload, plen, t->cfg.mss))
		t->st.mss_clamped++;
	if (write(t->fd, payload, plen) < 0) {
		t->st.decrypt_errors++;
		return;
	}
	t->st.pkts_in++;
	t->st.bytes_in += plen;
	t->st.last_use_ms = sa->last_use_ms;
}

struct ike_note {
	bool pending;
	struct sockaddr_in src, dst;
	size_t off, len;
};

static void port_in(struct dp_user *u, struct uport *p, struct expire_note *note,
		    struct ike_note *ike)
{
	struct sockaddr_in from;
	char cbuf[CMSG_SPACE(sizeof(struct in_pktinfo))];
	struct iovec iov = { u->inbuf, sizeof(u->inbuf) };
	struct msghdr msg = {
		.msg_name = &from,
		.msg_namelen = sizeof(from),
		.msg_iov = &iov,
		.msg_iovlen = 1,
		.msg_control = cbuf,
		.msg_controllen = sizeof(cbuf),
	};
	ssize_t n = recvmsg(p->fd, &msg, 0);
	uint8_t *d = u->inbuf;

	if (n < 0)
		return;
	ike->dst = (struct sockaddr_in){ .sin_family = AF_INET, .sin_port = htons(p->port) };
	for (struct cmsghdr *c = CMSG_FIRSTHDR(&msg); c; c = CMSG_NXTHDR(&msg, c)) {
		if (c->cmsg_level == IPPROTO_IP && c->cmsg_type == IP_PKTINFO)
			ike->dst.sin_addr = ((struct in_pktinfo *)CMSG_DATA(c))->ipi_addr;
	}
	/* RFC 3948: between two ports other than 500, IKE carries the
	 * non-ESP marker (libcharon adds and strips it) and everything else
	 * is ESP; with port 500 on either side it is plain IKE. */
	if (p->port == IKE_PORT || ntohs(from.sin_port) == IKE_PORT) {
		*ike = (struct ike_note){ true, from, ike->dst, 0, (size_t)n };
		return;
	}
	if (n == 1 && d[0] == 0xff) {
		u->g.keepalives_in++;
		return;
	}
	if (n >= 4 && !d[0] && !d[1] && !d[2] && !d[3]) {
		if (n < 4 + 28) { /* shorter than an IKE header */
			u->g.esp_garbage++;
			return;
		}
		*ike = (struct ike_note){ true, from, ike->dst, 0, (size_t)n };
		return;
	}
	esp_in(u, &from, p->port, d, (size_t)n, note);
}

/* The wake eventfd fired: stop (true), or send the queues of the tunnels
 * whose outbound SA came. */
static bool wake(struct dp_user *u)
{
	uint64_t v;

	if (read(u->wakefd, &v, sizeof(v)) < 0 && errno != EAGAIN)
		dbg(&debug_dp_packet, "IPSEC: data plane wake-up: %s", strerror(errno));
	/* One tunnel at a time: each may reach a volume limit, reported
	 * without our lock. */
	for (;;) {
		struct expire_note note = { 0 };
		struct dp_tunnel *t;

		pthread_mutex_lock(&u->mu);
		if (u->stopping || !u->n_flush) {
			bool stop = u->stopping;
			pthread_mutex_unlock(&u->mu);
			return stop;
		}
		t = u32map_get(&u->tunnels, u->flush_ids[--u->n_flush]);
		if (t && t->flush_pending) {
			t->flush_pending = false;
			queue_flush(u, t, &note);
		}
		pthread_mutex_unlock(&u->mu);
		if (note.pending && u->hooks.sa_expire)
			u->hooks.sa_expire(u->hooks.arg, note.spi, &note.dst, note.hard);
	}
}

static void *dp_thread(void *arg)
{
	struct dp_user *u = arg;
	struct epoll_event evs[32];

	for (;;) {
		int n = epoll_wait(u->epfd, evs, 32, -1);
		if (n < 0 && errno != EINTR)
			break;
		for (int i = 0; i < n; i++) {
			enum src_kind kind = (enum src_kind)(evs[i].data.u64 >> 32);
			uint32_t key = (uint32_t)evs[i].data.u64;

			if (kind == SRC_WAKE) {
				if (wake(u))
					return NULL;
				continue;
			}
			for (int b = 0; b < BATCH; b++) {
				struct expire_note note = { 0 };
				struct ike_note ike = { 0 };
				bool more = false;

				pthread_mutex_lock(&u->mu);
				if (kind == SRC_TUN) {
					struct dp_tunnel *t = u32map_get(&u->tunnels, key);
					ssize_t r = t && t->fd >= 0 ? read(t->fd, u->inbuf, PKT_MAX) : -1;
					if (r > 0) {
						tunnel_out(u, t, u->inbuf, (size_t)r, &note);
						more = true;
					}
				} else if (kind == SRC_PORT) {
					struct uport *p = u32map_get(&u->ports, key);
					if (p) {
						errno = 0;
						port_in(u, p, &note, &ike);
						more = errno != EAGAIN && errno != EWOULDBLOCK;
						if (ike.pending)
							u->g.ike_in++;
					}
				}
				pthread_mutex_unlock(&u->mu);
				/* The hooks may take libcharon's locks: never under ours. */
				if (ike.pending && u->hooks.ike_rx)
					u->hooks.ike_rx(u->hooks.arg, &ike.src, &ike.dst,
							u->inbuf + ike.off, ike.len);
				if (note.pending && u->hooks.sa_expire)
					u->hooks.sa_expire(u->hooks.arg, note.spi, &note.dst, note.hard);
				if (!more)
					break;
			}
		}
	}
	return NULL;
}

static void m_destroy(struct dataplane *dp)
{
	struct dp_user *u = DPU(dp);
	uint64_t one = 1;

	if (u->running) {
		pthread_mutex_lock(&u->mu);
		u->stopping = true;
		pthread_mutex_unlock(&u->mu);
		if (write(u->wakefd, &one, sizeof(one)) < 0)
			log_msg("IPSEC", SEV_ERR, "STOP", "data plane wake-up: %s", strerror(errno));
		pthread_join(u->thread, NULL);
	}
	for (struct u32map_entry *e = NULL; (e = u32map_next(&u->sa_in, e));)
		usa_free(e->value);
	for (struct u32map_entry *e = NULL; (e = u32map_next(&u->sa_out, e));)
		usa_free(e->value);
	for (struct u32map_entry *e = NULL; (e = u32map_next(&u->ports, e));) {
		struct uport *p = e->value;
		close(p->fd);
		free(p);
	}
	for (struct hashmap_entry *e = NULL; (e = hashmap_next(&u->by_name, e));) {
		struct dp_tunnel *t = e->value;
		if (t->fd >= 0)
			close(t->fd);
		if (t->idle_timer)
			ev_timer_del(t->idle_timer);
		queue_drop(t);
		free(t);
	}
	free(u->flush_ids);
	u32map_clear(&u->sa_in);
	u32map_clear(&u->sa_out);
	u32map_clear(&u->ports);
	u32map_clear(&u->tunnels);
	for (int o = 0; o < DP_ADDRS_OWNERS; o++)
		free(u->accept[o].addrs);
	free(u->port_filter);
	hashmap_clear(&u->by_name);
	close(u->epfd);
	close(u->wakefd);
	pthread_mutex_destroy(&u->mu);
	if (the_user == u)
		the_user = NULL;
	free(u);
}

struct dataplane *dataplane_user_create(struct evloop *loop, const struct dp_ike_hooks *hooks)
{
	struct dp_user *u = xcalloc(1, sizeof(*u));

	u->pub = (struct dataplane){
		.name = "user-space",
		.port_open = m_port_open,
		.port_close = m_port_close,
		.ports_accept = m_ports_accept,
		.ports_accepting = m_ports_accepting,
		.ike_send = m_ike_send,
		.tunnel_attach = m_tunnel_attach,
		.tunnel_update = m_tunnel_update,
		.tunnel_set_idle = m_tunnel_set_idle,
		.tunnel_detach = m_tunnel_detach,
		.tunnel_stats = m_tunnel_stats,
		.tunnel_clear_counters = m_tunnel_clear_counters,
		.trigger_rearm = m_trigger_rearm,
		.trigger_queue_drop = m_trigger_queue_drop,
		.sa_add = m_sa_add,
		.sa_update = m_sa_update,
		.sa_del = m_sa_del,
		.sa_query = m_sa_query,
		.sa_exists = m_sa_exists,
		.global_stats = m_global_stats,
		.destroy = m_destroy,
	};
	if (hooks)
		u->hooks = *hooks;
	u->loop = loop;
	pthread_mutex_init(&u->mu, NULL);
	u32map_init(&u->tunnels);
	u32map_init(&u->sa_in);
	u32map_init(&u->sa_out);
	u32map_init(&u->ports);
	hashmap_init(&u->by_name, true);
	u->epfd = epoll_create1(EPOLL_CLOEXEC);
	u->wakefd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
	the_user = u;
	struct epoll_event wev = { .events = EPOLLIN, .data.u64 = ev_key(SRC_WAKE, 0) };
	if (u->epfd < 0 || u->wakefd < 0 || epoll_ctl(u->epfd, EPOLL_CTL_ADD, u->wakefd, &wev) < 0 ||
	    pthread_create(&u->thread, NULL, dp_thread, u) != 0) {
		m_destroy(&u->pub);
		return NULL;
	}
	u->running = true;
	return &u->pub;
}

void dp_debug_register(void)
{
	debug_register(&debug_dp_packet);
}
