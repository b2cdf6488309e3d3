/* libFuzzer target for the control socket: the framing (src/ctl/ctl.c)
 * and the daemon's side of it (src/daemon/control.c).
 *
 * Each input is what a client writes to the control socket: frames
 * (struct ctl_hdr and a payload) or anything else.
 *
 * 1. Framing alone: the input goes into a buffer whole and, again, in two
 *    pieces split where its last byte says; ctl_take_frame() takes frames
 *    off the front.  Both ways give the same frames; each frame written
 *    back with ctl_frame() is the bytes it was taken from (the pad byte
 *    aside); -1 (malformed) means a length above CTL_MAX_PAYLOAD.
 * 2. The daemon: control_open() listens on a socket in a private temporary
 *    directory, once; per input a client connects, writes the input and
 *    reads with the shell's ctl_take_frame() until the daemon has answered
 *    every whole request, or closed.  The model behind it is a fresh
 *    configuration with "vpnsipd -t" semantics (check_only: nothing reaches
 *    the system), as in fuzz_cli.  Asserted: the answers are well-formed
 *    frames of the daemon's types only; every whole request before the
 *    first malformed one gets exactly one CTL_DONE, in order, with a
 *    NUL-terminated prompt; nothing follows a CTL_DONE that says the
 *    session closes; a malformed frame closes the connection, after the
 *    answers to the requests before it. */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "config/config.h"
#include "ctl/ctl.h"
#include "daemon/control.h"
#include "daemon/feature.h"
#include "log/debug.h"
#include "log/log.h"
#include "util/evloop.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define FAIL(...)                                                   \
	do {                                                        \
		fprintf(stderr, "fuzz_ctl: " __VA_ARGS__);          \
		fputc('\n', stderr);                                \
		abort();                                            \
	} while (0)

/* ---- 1. framing ----------------------------------------------------------- */

struct frames {
	size_t n;
	struct ctl_hdr hdr[64];
	size_t off[64]; /* where each frame started in the input */
	int last;       /* what the last ctl_take_frame() returned */
};

static void take_all(struct strbuf *in, struct frames *f, size_t *consumed)
{
	struct ctl_hdr h;
	char *payload;

	while (f->n < 64) {
		size_t before = in->len;
		f->last = ctl_take_frame(in, &h, &payload);
		if (f->last != 1)
			return;
		if (strlen(payload) > h.len || payload[h.len] != '\0')
			FAIL("payload of %u bytes not terminated", h.len);
		if (before - in->len != sizeof(h) + h.len)
			FAIL("a frame of %u bytes took %zu", h.len, before - in->len);
		f->off[f->n] = *consumed;
		f->hdr[f->n++] = h;
		*consumed += sizeof(h) + h.len;
		free(payload);
	}
}

static void framing(const uint8_t *data, size_t size)
{
	struct strbuf whole = STRBUF_INIT, split = STRBUF_INIT, again = STRBUF_INIT;
	struct frames a = { 0 }, b = { 0 };
	size_t used_a = 0, used_b = 0, cut = size ? data[size - 1] % (size + 1) : 0;

	sb_add(&whole, (const char *)data, size);
	take_all(&whole, &a, &used_a);
	sb_add(&split, (const char *)data, cut);
	take_all(&split, &b, &used_b);
	if (b.last != -1 && b.n < 64) {
		sb_add(&split, (const char *)data + cut, size - cut);
		take_all(&split, &b, &used_b);
	}
	if (a.n != b.n || a.last != b.last || used_a != used_b)
		FAIL("whole: %zu frames (last %d), in two pieces: %zu (last %d)", a.n, a.last, b.n,
		     b.last);
	for (size_t i = 0; i < a.n; i++) {
		const struct ctl_hdr *h = &a.hdr[i];
		sb_reset(&again);
		ctl_frame(&again, (enum ctl_type)h->type, h->flags, data + a.off[i] + sizeof(*h),
			  h->len);
		struct ctl_hdr h2;
		memcpy(&h2, data + a.off[i], sizeof(h2));
		h2.pad = 0;
		if (again.len != sizeof(*h) + h->len || memcmp(again.buf, &h2, sizeof(h2)) != 0 ||
		    memcmp(again.buf + sizeof(h2), data + a.off[i] + sizeof(h2), h->len) != 0)
			FAIL("frame %zu does not write back as the bytes it came from", i);
	}
	if (a.last == -1) {
		struct ctl_hdr h;
		memcpy(&h, data + used_a, sizeof(h));
		if (h.len <= CTL_MAX_PAYLOAD)
			FAIL("a frame of %u bytes refused as malformed", h.len);
	}
	sb_free(&whole);
	sb_free(&split);
	sb_free(&again);
}

/* ---- 2. the daemon -------------------------------------------------------- */

static struct evloop *loop;
static struct config cfg;
static struct config_env env = {
	.cfg = &cfg,
	.startup_path = "/nonexistent/vpnsip-fuzz/startup-config",
	.state_dir = "/nonexistent/vpnsip-fuzz",
	.check_only = true,
};
static char sock_dir[64], sock_path[108];

struct client {
	int fd;
	struct strbuf in;
	size_t expect, dones;
	bool bad; /* a malformed frame follows the requests: wait for the close */
	bool closed, closing;
};

static void client_io(struct ev_io *io, uint32_t events, void *arg)
{
	struct client *c = arg;
	char buf[65536];
	struct ctl_hdr h;
	char *payload;
	int r;

	for (;;) {
		ssize_t n = recv(c->fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0)
			break;
		if (n == 0) {
			c->closed = true;
			break;
		}
		sb_add(&c->in, buf, (size_t)n);
	}
	while ((r = ctl_take_frame(&c->in, &h, &payload)) == 1) {
		if (c->closing)
			FAIL("a frame (type %u) after the CTL_DONE that closed the session", h.type);
		switch (h.type) {
		case CTL_OUTPUT:
		case CTL_NOTIFY:
			break;
		case CTL_DONE: {
			struct ctl_done d;
			if (h.len < sizeof(d) + 1 || payload[h.len - 1] != '\0' ||
			    strlen(payload + sizeof(d)) != h.len - sizeof(d) - 1)
				FAIL("CTL_DONE of %u bytes without a NUL-terminated prompt", h.len);
			memcpy(&d, payload, sizeof(d));
			if (++c->dones > c->expect)
				FAIL("%zu answers to %zu requests", c->dones, c->expect);
			if (d.flags & CTL_DONE_CLOSING)
				c->closing = true;
			break;
		}
		default:
			FAIL("the daemon sent a frame of type %u", h.type);
		}
		free(payload);
	}
	if (r < 0)
		FAIL("the daemon sent a malformed frame");
	if (c->closed || c->closing || (c->dones == c->expect && !c->bad))
		evloop_stop(loop);
}

static void too_slow(struct ev_timer *t, void *arg)
{
	struct client *c = arg;

	FAIL("no answer: %zu of %zu requests answered, connection %s", c->dones, c->expect,
	     c->closed ? "closed" : "open");
}

static void stop_now(struct ev_timer *t, void *arg)
{
	evloop_stop(loop);
}

/* Posted: runs in the same pass as the events already there, and stops the
 * loop at the start of the next one. */
static void stop_soon(void *arg)
{
	ev_timer_add(loop, 0, stop_now, NULL);
}

/* The socket and its directory go with the process. */
static void remove_socket(void)
{
	unlink(sock_path);
	rmdir(sock_dir);
}

static void init_daemon(void)
{
	signal(SIGPIPE, SIG_IGN);
	feature_cli_init_all();
	snprintf(sock_dir, sizeof(sock_dir), "/tmp/vpnsip-fuzz-ctl-XXXXXX");
	if (!mkdtemp(sock_dir))
		FAIL("mkdtemp: %s", strerror(errno));
	snprintf(sock_path, sizeof(sock_path), "%s/ctl.sock", sock_dir);
	atexit(remove_socket);
	loop = evloop_new();
	config_init(&cfg);
	if (!control_open(loop, sock_path, &env))
		FAIL("control_open %s: %s", sock_path, strerror(errno));
}

/* The whole requests before the first malformed frame, as the daemon
 * counts them; *bad when a malformed one follows. */
static size_t requests(const uint8_t *data, size_t size, bool *bad)
{
	size_t n = 0, off = 0;
	struct ctl_hdr h;

	*bad = false;
	while (size - off >= sizeof(h)) {
		memcpy(&h, data + off, sizeof(h));
		if (h.len > CTL_MAX_PAYLOAD) {
			*bad = true;
			break;
		}
		if (size - off - sizeof(h) < h.len)
			break;
		off += sizeof(h) + h.len;
		n++;
	}
	return n;
}

static void daemon_side(const uint8_t *data, size_t size)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	struct client c = { .in = STRBUF_INIT };
	bool bad;

	c.expect = requests(data, size, &bad);
	c.bad = bad;
	if (!c.expect && !bad)
		return; /* nothing to answer: the daemon would wait for more */
	strcpy(sa.sun_path, sock_path);
	c.fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (c.fd < 0 || connect(c.fd, (struct sockaddr *)&sa, sizeof(sa)) < 0)
		FAIL("connect: %s", strerror(errno));
	for (size_t off = 0; off < size;) {
		ssize_t n = send(c.fd, data + off, size - off, MSG_NOSIGNAL);
		if (n < 0 && errno == EINTR)
			continue;
		if (n <= 0)
			break; /* closed early (a malformed frame): what was read counts */
		off += (size_t)n;
	}
	struct ev_io *io = ev_io_add(loop, c.fd, EPOLLIN, client_io, &c);
	struct ev_timer *t = ev_timer_add(loop, 5000, too_slow, &c);
	evloop_run(loop);
	ev_timer_del(t);
	ev_io_del(io);
	close(c.fd);
	/* Answers before a malformed frame: all of them, then the close. */
	if (bad && !c.closing && (c.dones != c.expect || !c.closed))
		FAIL("a malformed frame after %zu requests: %zu answers, connection %s", c.expect,
		     c.dones, c.closed ? "closed" : "open");
	/* The daemon sees the close and frees the session before the model
	 * behind it goes: one more pass of the loop. */
	evloop_post(loop, stop_soon, NULL);
	evloop_run(loop);
	sb_free(&c.in);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	static bool ready;

	if (!ready) {
		init_daemon();
		ready = true;
	}
	framing(data, size);
	daemon_side(data, size);
	config_free(&cfg);
	config_init(&cfg);
	debug_all_off();
	log_buffer_clear();
	return 0;
}
