/* Remote syslog ("logging host").
 *
 * Whoever logs only appends the line to each host's bounded queue under a
 * mutex; one sender thread does the network I/O.  UDP: one datagram per
 * line, sent without waiting (a full socket buffer drops the line).  TCP:
 * one connection per host, lines framed by a newline (RFC 6587's
 * non-transparent framing, what IOS sends); connecting and sending wait
 * at most IO_TIMEOUT_MS, after a failure the connection is tried again
 * after 1 s, doubling up to 30 s, while the queue keeps up to QUEUE_MAX
 * lines.  Every line a host does not get is counted in "show logging".
 *
 * Lock order: log.c's lock, then this one.  The thread never logs while
 * holding this lock (its own lines come back through the queue). */
#include "log/remote.h"

#include <arpa/inet.h>
#include <errno.h>
#include <netinet/in.h>
#include <poll.h>
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "util/xalloc.h"

#define QUEUE_MAX 1024
#define BATCH_MAX 64
#define IO_TIMEOUT_MS 2000
#define RETRY_MIN_MS 1000
#define RETRY_MAX_MS 30000
#define STOP_FLUSH_MS 1000

struct remote_host {
	struct log_host cfg;
	struct sockaddr_storage sa;
	socklen_t salen;
	int fd;           /* -1: none (TCP: not connected) */
	bool connected;
	uint64_t retry_at; /* TCP: no connection attempt before (monotonic ms) */
	unsigned retry_ms;
	bool failing;      /* the outage has been logged */
	char *queue[QUEUE_MAX]; /* ring */
	size_t qhead, qlen;
	unsigned long sent, dropped;
	struct remote_host *next;
};

static struct {
	pthread_mutex_t lock;
	pthread_cond_t wake;
	pthread_t thread;
	bool running, stop;
	uint64_t stop_deadline; /* stopping: the queues are flushed until then */
	struct remote_host *hosts;
	struct remote_host *dead; /* removed; only the thread closes and frees them */
} R = { .lock = PTHREAD_MUTEX_INITIALIZER, .wake = PTHREAD_COND_INITIALIZER };

static uint64_t now_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static bool same_host(const struct log_host *a, const struct log_host *b)
{
	return strcmp(a->addr, b->addr) == 0 && a->transport == b->transport && a->port == b->port;
}

static const char *transport_name(enum log_transport t)
{
	return t == LOG_TRANSPORT_TCP ? "tcp" : "udp";
}

static void host_free(struct remote_host *h)
{
	if (h->fd >= 0)
		close(h->fd);
	for (size_t i = 0; i < h->qlen; i++)
		free(h->queue[(h->qhead + i) % QUEUE_MAX]);
	free(h);
}

static struct remote_host *host_new(const struct log_host *cfg)
{
	struct remote_host *h = xcalloc(1, sizeof(*h));

	h->cfg = *cfg;
	h->fd = -1;
	h->retry_ms = RETRY_MIN_MS;
	if (cfg->ipv6) {
		struct sockaddr_in6 *s6 = (struct sockaddr_in6 *)&h->sa;
		s6->sin6_family = AF_INET6;
		s6->sin6_port = htons(cfg->port);
		inet_pton(AF_INET6, cfg->addr, &s6->sin6_addr);
		h->salen = sizeof(*s6);
	} else {
		struct sockaddr_in *s4 = (struct sockaddr_in *)&h->sa;
		s4->sin_family = AF_INET;
		s4->sin_port = htons(cfg->port);
		inet_pton(AF_INET, cfg->addr, &s4->sin_addr);
		h->salen = sizeof(*s4);
	}
	return h;
}

/* ---- the sender thread ---------------------------------------------------- */

static bool wait_fd(int fd, short events, int timeout_ms)
{
	struct pollfd p = { .fd = fd, .events = events };
	int r;

	do
		r = poll(&p, 1, timeout_ms);
	while (r < 0 && errno == EINTR);
	return r > 0 && (p.revents & events);
}

/* A TCP connection to h, waiting at most IO_TIMEOUT_MS; -1 with errno. */
static int tcp_connect(const struct remote_host *h)
{
	int fd = socket(h->sa.ss_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	int err = 0;
	socklen_t len = sizeof(err);

	if (fd < 0)
		return -1;
	if (connect(fd, (const struct sockaddr *)&h->sa, h->salen) == 0)
		return fd;
	if (errno != EINPROGRESS)
		goto fail;
	if (!wait_fd(fd, POLLOUT, IO_TIMEOUT_MS)) {
		errno = ETIMEDOUT;
		goto fail;
	}
	if (getsockopt(fd, SOL_SOCKET, SO_ERROR, &err, &len) < 0)
		goto fail;
	if (err) {
		errno = err;
		goto fail;
	}
	return fd;
fail:
	err = errno;
	close(fd);
	errno = err;
	return -1;
}

/* All of buf, waiting at most IO_TIMEOUT_MS for room each time. */
static bool tcp_send_all(int fd, const char *buf, size_t len)
{
	while (len) {
		ssize_t n = send(fd, buf, len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK)) {
			if (!wait_fd(fd, POLLOUT, IO_TIMEOUT_MS)) {
				errno = ETIMEDOUT;
				return false;
			}
			continue;
		}
		if (n <= 0)
			return false;
		buf += n;
		len -= (size_t)n;
	}
	return true;
}

/* Sends a batch taken from h's queue (lock not held).  Returns how many
 * lines got out; *err is errno of the last failure, 0 if none.  UDP goes
 * on after a lost line, TCP stops at the first failure. */
static size_t send_batch(struct remote_host *h, int fd, char **lines, size_t n, int *err)
{
	size_t sent = 0;

	*err = 0;
	for (size_t i = 0; i < n; i++) {
		size_t len = strlen(lines[i]);
		if (h->cfg.transport == LOG_TRANSPORT_UDP) {
			/* Refused: the ICMP error of an earlier datagram. */
			if (sendto(fd, lines[i], len, MSG_DONTWAIT, (const struct sockaddr *)&h->sa,
				   h->salen) < 0 &&
			    errno != ECONNREFUSED) {
				*err = errno;
				continue;
			}
		} else {
			lines[i][len] = '\n'; /* the NUL becomes the frame's end */
			if (!tcp_send_all(fd, lines[i], len + 1)) {
				*err = errno;
				break;
			}
		}
		sent++;
	}
	return sent;
}

/* The host with work to do now, or NULL with *wait_ms until the next
 * retry (-1: none pending).  Lock held. */
static struct remote_host *next_work(uint64_t now, int *wait_ms)
{
	*wait_ms = -1;
	for (struct remote_host *h = R.hosts; h; h = h->next) {
		if (!h->qlen)
			continue;
		if (h->fd >= 0)
			return h;
		if (R.stop)
			continue; /* stopping: no new sockets */
		if (now >= h->retry_at)
			return h;
		int w = (int)(h->retry_at - now);
		if (*wait_ms < 0 || w < *wait_ms)
			*wait_ms = w;
	}
	return NULL;
}

static void timed_wait(int wait_ms)
{
	struct timespec ts;

	if (wait_ms < 0) {
		pthread_cond_wait(&R.wake, &R.lock);
		return;
	}
	clock_gettime(CLOCK_REALTIME, &ts);
	ts.tv_sec += wait_ms / 1000;
	ts.tv_nsec += (long)(wait_ms % 1000) * 1000000;
	if (ts.tv_nsec >= 1000000000) {
		ts.tv_sec++;
		ts.tv_nsec -= 1000000000;
	}
	pthread_cond_timedwait(&R.wake, &R.lock, &ts);
}

/* TCP: the next connection attempt, 1 s after a failure, doubling up to
 * RETRY_MAX_MS while they go on failing.  Lock held. */
static void retry_later(struct remote_host *h)
{
	h->retry_at = now_ms() + h->retry_ms;
	h->retry_ms = h->retry_ms * 2 > RETRY_MAX_MS ? RETRY_MAX_MS : h->retry_ms * 2;
}

static void *sender_main(void *arg)
{
	(void)arg;
	pthread_setname_np(pthread_self(), "vpnsipd-syslog");
	pthread_mutex_lock(&R.lock);
	for (;;) {
		while (R.dead) {
			struct remote_host *d = R.dead;
			R.dead = d->next;
			host_free(d);
		}
		int wait_ms;
		uint64_t now = now_ms();
		/* Stopping: what is queued (the daemon's last lines) goes out
		 * for a moment more, over what is already open. */
		if (R.stop && now >= R.stop_deadline)
			break;
		struct remote_host *h = next_work(now, &wait_ms);
		if (!h) {
			if (R.stop)
				break;
			timed_wait(wait_ms);
			continue;
		}
		char why[160] = "";
		if (h->fd < 0) {
			/* A socket (TCP: a connection) first; lines are taken
			 * only once they have somewhere to go. */
			pthread_mutex_unlock(&R.lock);
			int fd = h->cfg.transport == LOG_TRANSPORT_UDP
					 ? socket(h->sa.ss_family, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0)
					 : tcp_connect(h);
			int err = errno;
			pthread_mutex_lock(&R.lock);
			if (fd >= 0) {
				h->fd = fd;
				h->connected = h->cfg.transport == LOG_TRANSPORT_TCP;
				h->retry_ms = RETRY_MIN_MS;
				h->failing = false;
				continue;
			}
			retry_later(h);
			/* Said once per outage, not at every retry. */
			if (!h->failing)
				snprintf(why, sizeof(why), "Cannot connect to logging host %s port %u: %s",
					 h->cfg.addr, h->cfg.port, strerror(err));
			h->failing = true;
		} else {
			char *batch[BATCH_MAX];
			size_t n = 0;
			while (h->qlen && n < BATCH_MAX) {
				batch[n++] = h->queue[h->qhead];
				h->qhead = (h->qhead + 1) % QUEUE_MAX;
				h->qlen--;
			}
			int fd = h->fd, err;
			pthread_mutex_unlock(&R.lock);
			/* Only this thread opens, uses and closes the hosts'
			 * sockets, and frees hosts: h stays valid while
			 * unlocked (a host removed meanwhile waits on the dead
			 * list). */
			size_t sent = send_batch(h, fd, batch, n, &err);
			for (size_t i = 0; i < n; i++)
				free(batch[i]);
			pthread_mutex_lock(&R.lock);
			h->sent += sent;
			h->dropped += n - sent;
			if (h->cfg.transport == LOG_TRANSPORT_TCP && sent < n) {
				close(h->fd);
				h->fd = -1;
				h->connected = false;
				retry_later(h);
				snprintf(why, sizeof(why), "Lost the connection to logging host %s port %u: %s",
					 h->cfg.addr, h->cfg.port, strerror(err));
				h->failing = true;
			}
		}
		if (why[0]) {
			pthread_mutex_unlock(&R.lock);
			log_msg("SYS", SEV_WARNING, "LOGGINGHOST_FAIL", "%s", why);
			pthread_mutex_lock(&R.lock);
		}
	}
	pthread_mutex_unlock(&R.lock);
	return NULL;
}

/* ---- called by log.c ------------------------------------------------------- */

void log_remote_configure(const struct log_host *hosts, size_t n)
{
	char started[LOG_HOSTS_MAX][96], stopped[LOG_HOSTS_MAX * 2][96];
	size_t n_started = 0, n_stopped = 0;

	pthread_mutex_lock(&R.lock);
	struct remote_host *old = R.hosts, *keep = NULL, **tail = &keep;
	R.hosts = NULL;
	for (size_t i = 0; i < n; i++) {
		struct remote_host *h = NULL, **pp;
		for (pp = &old; *pp; pp = &(*pp)->next)
			if (same_host(&(*pp)->cfg, &hosts[i])) {
				h = *pp;
				*pp = h->next;
				break;
			}
		if (!h) {
			h = host_new(&hosts[i]);
			snprintf(started[n_started++], sizeof(started[0]), "%s port %u (%s)",
				 hosts[i].addr, hosts[i].port, transport_name(hosts[i].transport));
		}
		h->next = NULL;
		*tail = h;
		tail = &h->next;
	}
	R.hosts = keep;
	while (old) {
		struct remote_host *h = old;
		old = h->next;
		if (n_stopped < ARRAY_SIZE(stopped))
			snprintf(stopped[n_stopped++], sizeof(stopped[0]), "%s port %u (%s)",
				 h->cfg.addr, h->cfg.port, transport_name(h->cfg.transport));
		if (R.running) {
			h->next = R.dead;
			R.dead = h;
		} else {
			host_free(h);
		}
	}
	if (R.hosts && !R.running) {
		R.stop = false;
		if (pthread_create(&R.thread, NULL, sender_main, NULL) == 0)
			R.running = true;
	}
	pthread_cond_signal(&R.wake);
	bool running = R.running;
	pthread_mutex_unlock(&R.lock);

	for (size_t i = 0; i < n_stopped; i++)
		log_msg("SYS", SEV_INFO, "LOGGINGHOST_STARTSTOP", "Logging to host %s stopped",
			stopped[i]);
	if (n_started && !running)
		log_msg("SYS", SEV_ERR, "LOGGINGHOST_FAIL",
			"Could not start the syslog sender thread: nothing goes to the logging hosts");
	for (size_t i = 0; i < n_started; i++)
		log_msg("SYS", SEV_INFO, "LOGGINGHOST_STARTSTOP", "Logging to host %s started",
			started[i]);
}

void log_remote_enqueue(const char *msg)
{
	pthread_mutex_lock(&R.lock);
	for (struct remote_host *h = R.hosts; h; h = h->next) {
		if (h->qlen == QUEUE_MAX) {
			h->dropped++;
			continue;
		}
		/* One byte more: TCP turns the NUL into the frame's newline. */
		size_t len = strlen(msg);
		char *copy = xmalloc(len + 2);
		memcpy(copy, msg, len + 1);
		h->queue[(h->qhead + h->qlen) % QUEUE_MAX] = copy;
		h->qlen++;
	}
	if (R.hosts)
		pthread_cond_signal(&R.wake);
	pthread_mutex_unlock(&R.lock);
}

bool log_remote_active(void)
{
	pthread_mutex_lock(&R.lock);
	bool any = R.hosts != NULL;
	pthread_mutex_unlock(&R.lock);
	return any;
}

void log_remote_show(struct strbuf *out)
{
	pthread_mutex_lock(&R.lock);
	for (const struct remote_host *h = R.hosts; h; h = h->next) {
		sb_printf(out, "        Logging to %s  (%s port %u, %s),\n", h->cfg.addr,
			  transport_name(h->cfg.transport), h->cfg.port,
			  h->cfg.transport == LOG_TRANSPORT_UDP ? "link up"
			  : h->connected                        ? "connected"
								: "not connected");
		sb_printf(out, "              %lu message lines logged,\n", h->sent);
		sb_printf(out, "              %zu message lines queued,\n", h->qlen);
		sb_printf(out, "              %lu message lines dropped\n", h->dropped);
	}
	pthread_mutex_unlock(&R.lock);
}

void log_remote_shutdown(void)
{
	pthread_mutex_lock(&R.lock);
	bool running = R.running;
	R.stop = true;
	R.stop_deadline = now_ms() + STOP_FLUSH_MS;
	pthread_cond_signal(&R.wake);
	pthread_mutex_unlock(&R.lock);
	if (running)
		pthread_join(R.thread, NULL);
	pthread_mutex_lock(&R.lock);
	R.running = false;
	while (R.hosts) {
		struct remote_host *h = R.hosts;
		R.hosts = h->next;
		host_free(h);
	}
	while (R.dead) {
		struct remote_host *h = R.dead;
		R.dead = h->next;
		host_free(h);
	}
	pthread_mutex_unlock(&R.lock);
}
