/* The control socket server (see include/vpnsip/ctl.h for the protocol).
 * Runs on the main thread: every command of every shell is applied whole
 * before the next one starts, which is what makes each command atomic. */
#include "daemon/control.h"

#include <errno.h>
#include <fcntl.h>
#include <grp.h>
#include <pwd.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <unistd.h>

#include "ctl/ctl.h"
#include "log/debug.h"

/* Shells at once, in all and per user: a process that opens connections
 * without end must not take the daemon's descriptors and memory (each
 * shell is a CLI session).  The rest are refused with a message. */
#define SHELLS_MAX 64
#define SHELLS_PER_UID_MAX 32
/* terminal monitor: bytes a shell may leave unread before its monitor
 * lines are dropped (counted, and announced once it reads again), and log
 * lines waiting for the main thread before they are dropped. */
#define MONITOR_BACKLOG_MAX (256u << 10)
#define MONITOR_QUEUE_MAX 4096
/* Output of a deferred command (ping) a shell may leave unread. */
#define DEFERRED_BACKLOG_MAX (1u << 20)

static struct debug_flag debug_control = {
	.path = "control",
	.help = "Control socket connections of vpnsipsh",
	.title = "Control socket",
};

struct conn {
	struct control *ctl;
	int fd;
	struct ev_io *io;
	struct strbuf in, out;
	struct cli_session *s;
	bool close_after_flush;
	bool hello_done;
	bool root; /* the peer is root (or the daemon's own user) */
	uid_t uid;
	unsigned long monitor_dropped; /* lines not delivered since the last notice */
	struct ev_timer *resume; /* a deferred command ended: read the next requests */
	struct conn *prev, *next;
};

struct control {
	struct evloop *loop;
	int fd;
	struct ev_io *io;
	char *path;
	struct config_env *env;
	struct conn *conns;
	size_t n_conns;
	unsigned next_vty;
	gid_t group;     /* CONTROL_GROUP's id, when the group exists */
	bool has_group;
};

static struct control *the_control; /* for the log monitor hook */

static void leave_config(struct cli_session *s);

static void conn_free(struct conn *cn)
{
	struct control *c = cn->ctl;

	dbg(&debug_control, "CONTROL: %s disconnected", cli_session_who(cn->s));
	/* A script that ends inside configuration mode configured too. */
	if (strcmp(cli_session_node(cn->s), "exec") != 0)
		leave_config(cn->s);
	if (cn->prev)
		cn->prev->next = cn->next;
	else
		c->conns = cn->next;
	if (cn->next)
		cn->next->prev = cn->prev;
	c->n_conns--;
	if (cn->resume)
		ev_timer_del(cn->resume);
	ev_io_del(cn->io);
	close(cn->fd);
	sb_free(&cn->in);
	sb_free(&cn->out);
	cli_session_free(cn->s);
	free(cn);
}

static void monitor_notice(struct conn *cn);

/* Returns false when the connection was freed. */
static bool conn_flush(struct conn *cn)
{
	while (cn->out.len) {
		ssize_t n = send(cn->fd, cn->out.buf, cn->out.len, MSG_NOSIGNAL | MSG_DONTWAIT);
		if (n < 0 && errno == EINTR)
			continue;
		if (n < 0 && (errno == EAGAIN || errno == EWOULDBLOCK))
			break;
		if (n <= 0) {
			conn_free(cn);
			return false;
		}
		memmove(cn->out.buf, cn->out.buf + n, cn->out.len - (size_t)n);
		cn->out.len -= (size_t)n;
	}
	if (!cn->out.len && cn->close_after_flush) {
		conn_free(cn);
		return false;
	}
	if (!cn->out.len && cn->monitor_dropped)
		monitor_notice(cn); /* it reads again: say what it missed */
	ev_io_modify(cn->io, EPOLLIN | (cn->out.len ? EPOLLOUT : 0));
	return true;
}

static void send_done(struct conn *cn, const struct cli_result *res)
{
	struct control *c = cn->ctl;
	struct strbuf payload = STRBUF_INIT;
	struct strbuf prompt = STRBUF_INIT;
	struct ctl_done d = { 0 };

	d.status = res->status;
	d.caret = res->caret;
	d.term_length = cli_session_term_length(cn->s);
	if (res->status == CLI_MORE_INPUT) {
		d.flags |= CTL_DONE_MORE_INPUT;
		if (res->hide_input)
			d.flags |= CTL_DONE_HIDE_INPUT;
		sb_puts(&prompt, res->prompt ? res->prompt : "");
	} else {
		cli_session_prompt(cn->s, config_hostname(c->env->cfg), &prompt);
	}
	if (cli_session_closing(cn->s)) {
		d.flags |= CTL_DONE_CLOSING;
		cn->close_after_flush = true;
	}
	sb_add(&payload, (const char *)&d, sizeof(d));
	sb_add(&payload, sb_str(&prompt), prompt.len + 1);
	ctl_frame(&cn->out, CTL_DONE, 0, payload.buf, payload.len);
	sb_free(&payload);
	sb_free(&prompt);
}

/* An error, then the connection closes. */
static void refuse(struct conn *cn, const char *msg)
{
	struct cli_result res = { .status = CLI_ERR_FAILED, .caret = -1 };

	ctl_frame(&cn->out, CTL_OUTPUT, 0, msg, strlen(msg));
	cli_close(cn->s);
	send_done(cn, &res);
}

static void handle_frame(struct conn *cn, const struct ctl_hdr *h, const char *payload)
{
	struct strbuf out = STRBUF_INIT;
	struct cli_result res = { .status = CLI_OK, .caret = -1 };

	if (!cn->hello_done && h->type != CTL_HELLO) {
		refuse(cn, "% The session has not started (no HELLO)\n");
		return;
	}
	switch (h->type) {
	case CTL_HELLO:
		/* The privilege is the server's to decide, from the peer's
		 * credentials, once: a second HELLO (a shell that failed enable
		 * asking again) is refused. */
		if (cn->hello_done) {
			log_msg("CONTROL", SEV_WARNING, "HELLO_AGAIN",
				"Second HELLO from %s refused; closing", cli_session_who(cn->s));
			refuse(cn, "% The session has already started\n");
			return;
		}
		cn->hello_done = true;
		/* root: interactive shells start in user EXEC as on a console,
		 * scripts (-c, piped input) privileged.  Members of the group:
		 * user EXEC, and "enable" asks for the enable secret. */
		cli_session_set_priv(cn->s, cn->root && !(h->flags & CTL_F_INTERACTIVE) ? 15 : 1);
		break;
	case CTL_EXEC:
		config_exec_line(cn->ctl->env, cn->s, payload, &out, &res);
		break;
	case CTL_HELP:
		cli_help(cn->s, payload, &out, &res);
		break;
	case CTL_COMPLETE:
		cli_complete(cn->s, payload, &out);
		break;
	default:
		res.status = CLI_ERR_FAILED;
		sb_puts(&out, "% Unknown request\n");
		break;
	}
	if (out.len)
		ctl_frame(&cn->out, CTL_OUTPUT, 0, out.buf, out.len);
	/* A command that finishes later sends its own CTL_DONE. */
	if (!cli_session_deferred(cn->s))
		send_done(cn, &res);
	sb_free(&out);
}

/* The frames that have arrived, one after the other; a deferred command
 * holds the rest until it ends.  Returns false when the connection went. */
static bool handle_frames(struct conn *cn)
{
	while (!cn->close_after_flush && !cli_session_deferred(cn->s)) {
		struct ctl_hdr h;
		char *payload;
		int r = ctl_take_frame(&cn->in, &h, &payload);
		if (r == 0)
			break;
		if (r < 0) {
			/* The requests before it are answered, then the
			 * connection closes. */
			log_msg("CONTROL", SEV_WARNING, "BADFRAME", "Malformed request from %s; closing",
				cli_session_who(cn->s));
			cn->close_after_flush = true;
			break;
		}
		handle_frame(cn, &h, payload);
		free(payload);
	}
	return conn_flush(cn);
}

/* Deferred output is only queued here: flushing could free the connection
 * (and cancel the command) under the command's feet. */
static void deferred_output(void *ctx, const char *text, size_t len)
{
	struct conn *cn = ctx;

	/* A shell that does not read what a long ping prints: its backlog
	 * is bounded, the excess dropped. */
	if (cn->out.len + len > DEFERRED_BACKLOG_MAX)
		return;
	ctl_frame(&cn->out, CTL_OUTPUT, 0, text, len);
	ev_io_modify(cn->io, EPOLLIN | EPOLLOUT);
}

static void resume_conn(struct ev_timer *t, void *arg)
{
	struct conn *cn = arg;

	cn->resume = NULL;
	handle_frames(cn);
}

static void deferred_end(void *ctx, enum cli_status status)
{
	struct conn *cn = ctx;
	struct cli_result res = { .status = status, .caret = -1 };

	send_done(cn, &res);
	ev_io_modify(cn->io, EPOLLIN | EPOLLOUT);
	if (!cn->resume)
		cn->resume = ev_timer_add(cn->ctl->loop, 0, resume_conn, cn);
}

static const struct cli_defer_ops deferred_ops = {
	.output = deferred_output,
	.end = deferred_end,
};

static void conn_io(struct ev_io *io, uint32_t events, void *arg)
{
	struct conn *cn = arg;
	char buf[65536];

	if (events & EPOLLOUT) {
		if (!conn_flush(cn))
			return;
	}
	if (!(events & (EPOLLIN | EPOLLHUP | EPOLLERR)))
		return;
	ssize_t n = recv(cn->fd, buf, sizeof(buf), MSG_DONTWAIT);
	if (n < 0 && (errno == EAGAIN || errno == EINTR))
		return;
	if (n <= 0) {
		conn_free(cn);
		return;
	}
	if (cn->close_after_flush)
		return; /* closing: nothing more is read */
	/* A shell that sends without waiting for answers while a command
	 * runs on: what it sent waits, bounded like everything it sends. */
	if (cli_session_deferred(cn->s) && cn->in.len > CTL_MAX_PAYLOAD + sizeof(struct ctl_hdr)) {
		log_msg("CONTROL", SEV_WARNING, "BADFRAME",
			"%s sent too much while a command ran; closing", cli_session_who(cn->s));
		conn_free(cn);
		return;
	}
	sb_add(&cn->in, buf, (size_t)n);
	handle_frames(cn);
}

/* Is the peer a member of the group (primary or supplementary, as the
 * kernel recorded them when it connected)? */
static bool peer_in_group(int fd, const struct ucred *cr, gid_t group)
{
	gid_t groups[256];
	socklen_t len = sizeof(groups);

	if (cr->gid == group)
		return true;
	if (getsockopt(fd, SOL_SOCKET, SO_PEERGROUPS, groups, &len) < 0)
		return false;
	for (size_t i = 0; i < len / sizeof(gid_t); i++)
		if (groups[i] == group)
			return true;
	return false;
}

static char *user_name(uid_t uid)
{
	struct passwd pw, *res = NULL;
	char buf[1024];

	if (getpwuid_r(uid, &pw, buf, sizeof(buf), &res) == 0 && res)
		return xstrdup(res->pw_name);
	return xasprintf("uid %u", (unsigned)uid);
}

/* Over a limit: the shell reads why (it prints the output and exits on
 * CTL_DONE_CLOSING), then the connection goes. */
static void refuse_connection(int fd, const char *why)
{
	static struct log_ratelimit rl = LOG_RATELIMIT_INIT(60000, 1);
	struct strbuf out = STRBUF_INIT, payload = STRBUF_INIT;
	struct ctl_done d = { .status = CLI_ERR_FAILED, .caret = -1, .flags = CTL_DONE_CLOSING };
	char msg[256], junk[512];

	snprintf(msg, sizeof(msg), "%% %s\n", why);
	ctl_frame(&out, CTL_OUTPUT, 0, msg, strlen(msg));
	sb_add(&payload, (const char *)&d, sizeof(d));
	sb_putc(&payload, '\0');
	ctl_frame(&out, CTL_DONE, 0, payload.buf, payload.len);
	while (recv(fd, junk, sizeof(junk), MSG_DONTWAIT) > 0)
		; /* its HELLO: read, so that the close is not a reset */
	if (send(fd, out.buf, out.len, MSG_DONTWAIT | MSG_NOSIGNAL) < 0)
		dbg(&debug_control, "CONTROL: refusal not sent: %s", strerror(errno));
	close(fd);
	sb_free(&out);
	sb_free(&payload);
	log_msg_limited(&rl, "CONTROL", SEV_WARNING, "REFUSED", "Shell connection refused: %s", why);
}

static void accept_io(struct ev_io *io, uint32_t events, void *arg)
{
	struct control *c = arg;
	int fd = accept4(c->fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
	struct ucred cred = { .uid = (uid_t)-1 };
	socklen_t cl = sizeof(cred);
	struct conn *cn;
	bool root;
	size_t same_uid = 0;
	char name[32], why[160];

	if (fd < 0)
		return;
	/* Who is calling decides what the session may do: root gets
	 * everything, members of the group read-only user EXEC. */
	if (getsockopt(fd, SOL_SOCKET, SO_PEERCRED, &cred, &cl) < 0) {
		close(fd);
		return;
	}
	root = cred.uid == 0 || cred.uid == geteuid();
	if (!root && !(c->has_group && peer_in_group(fd, &cred, c->group))) {
		log_msg("CONTROL", SEV_WARNING, "REFUSED",
			"Connection from uid %u (pid %d) refused: neither root nor in group %s",
			(unsigned)cred.uid, (int)cred.pid, CONTROL_GROUP);
		close(fd);
		return;
	}
	for (cn = c->conns; cn; cn = cn->next)
		same_uid += cn->uid == cred.uid;
	if (c->n_conns >= SHELLS_MAX || same_uid >= SHELLS_PER_UID_MAX) {
		if (c->n_conns >= SHELLS_MAX)
			snprintf(why, sizeof(why), "Too many shells: %zu are connected (at most %d); "
				 "close one and try again", c->n_conns, SHELLS_MAX);
		else
			snprintf(why, sizeof(why), "Too many shells of user %u: %zu are connected "
				 "(at most %d per user); close one and try again",
				 (unsigned)cred.uid, same_uid, SHELLS_PER_UID_MAX);
		refuse_connection(fd, why);
		return;
	}
	cn = xcalloc(1, sizeof(*cn));
	cn->ctl = c;
	cn->fd = fd;
	cn->root = root;
	cn->uid = cred.uid;
	c->n_conns++;
	cn->s = cli_session_new(c->env, 1);
	snprintf(name, sizeof(name), "vty%u", c->next_vty++);
	cli_session_set_name(cn->s, name);
	char *user = user_name(cred.uid);
	cli_session_set_user(cn->s, user, cred.pid, root);
	cli_session_set_defer(cn->s, &deferred_ops, cn);
	free(user);
	cn->io = ev_io_add(c->loop, fd, EPOLLIN, conn_io, cn);
	cn->next = c->conns;
	if (c->conns)
		c->conns->prev = cn;
	c->conns = cn;
	dbg(&debug_control, "CONTROL: %s connected", cli_session_who(cn->s));
}

/* ---- terminal monitor ---------------------------------------------------- */

static atomic_ulong monitor_queued;      /* lines posted, not yet delivered */
static atomic_ulong monitor_queue_drops;  /* lines the full queue refused */

static void monitor_notice(struct conn *cn)
{
	char msg[96];

	snprintf(msg, sizeof(msg), "%%%lu messages dropped (the terminal did not keep up)",
		 cn->monitor_dropped);
	cn->monitor_dropped = 0;
	ctl_frame(&cn->out, CTL_NOTIFY, 0, msg, strlen(msg));
}

static void monitor_deliver(void *arg)
{
	char *line = arg;
	struct control *c = the_control;
	unsigned long queue_drops = atomic_exchange(&monitor_queue_drops, 0);
	size_t len = strlen(line);

	atomic_fetch_sub(&monitor_queued, 1);
	if (c) {
		struct conn *cn = c->conns, *next;
		for (; cn; cn = next) {
			next = cn->next;
			if (!cli_session_monitor(cn->s) || cli_session_priv(cn->s) < 15)
				continue;
			cn->monitor_dropped += queue_drops;
			/* A shell that does not read: its backlog is bounded. */
			if (cn->out.len + len > MONITOR_BACKLOG_MAX) {
				cn->monitor_dropped++;
				log_count_dropped(1);
				continue;
			}
			if (cn->monitor_dropped)
				monitor_notice(cn);
			ctl_frame(&cn->out, CTL_NOTIFY, 0, line, strlen(line));
			conn_flush(cn);
		}
	}
	free(line);
}

static void monitor_hook(const char *line, enum log_severity sev, void *arg)
{
	struct control *c = the_control;

	if (!c)
		return;
	if (atomic_load(&monitor_queued) >= MONITOR_QUEUE_MAX) {
		atomic_fetch_add(&monitor_queue_drops, 1);
		log_count_dropped(1);
		return;
	}
	atomic_fetch_add(&monitor_queued, 1);
	evloop_post(c->loop, monitor_deliver, xstrdup(line));
}

static void leave_config(struct cli_session *s)
{
	log_msg("SYS", SEV_NOTICE, "CONFIG_I", "Configured from console by %s", cli_session_who(s));
}

static void on_leave_config(struct cli_session *s, void *arg)
{
	leave_config(s);
}

/* The group whose members may connect (read-only), when it exists. */
static bool lookup_group(gid_t *gid)
{
	struct group gr, *res = NULL;
	char buf[4096];

	if (getgrnam_r(CONTROL_GROUP, &gr, buf, sizeof(buf), &res) != 0 || !res)
		return false;
	*gid = res->gr_gid;
	return true;
}

struct control *control_open(struct evloop *loop, const char *path, struct config_env *env)
{
	struct control *c;
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd, probe;

	if (strlen(path) >= sizeof(sa.sun_path)) {
		errno = ENAMETOOLONG;
		return NULL;
	}
	strcpy(sa.sun_path, path);
	/* A live daemon on this socket: refuse.  A stale one: remove it. */
	probe = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
	if (probe >= 0 && connect(probe, (struct sockaddr *)&sa, sizeof(sa)) == 0) {
		close(probe);
		errno = EADDRINUSE;
		return NULL;
	}
	if (probe >= 0)
		close(probe);
	unlink(path);
	fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
	if (fd < 0)
		return NULL;
	gid_t group = 0;
	bool has_group = lookup_group(&group);
	/* root's, and the group's when it exists (the server still decides
	 * what each peer may do); never anyone else's.  The group is set
	 * before the mode lets it in. */
	mode_t old = umask(0077);
	if (bind(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0 || listen(fd, 16) < 0) {
		int e = errno;
		umask(old);
		close(fd);
		errno = e;
		return NULL;
	}
	umask(old);
	if (has_group && (chown(path, 0, group) < 0 || chmod(path, 0660) < 0)) {
		log_msg("CONTROL", SEV_WARNING, "GROUP", "Control socket %s left root's only: %s", path,
			strerror(errno));
		has_group = false;
	}
	c = xcalloc(1, sizeof(*c));
	c->group = group;
	c->has_group = has_group;
	c->loop = loop;
	c->fd = fd;
	c->path = xstrdup(path);
	c->env = env;
	c->io = ev_io_add(loop, fd, EPOLLIN, accept_io, c);
	the_control = c;
	hook_register(log_monitor, monitor_hook, NULL, HOOK_PRIO_DEFAULT);
	hook_register(cli_leave_config, on_leave_config, NULL, HOOK_PRIO_DEFAULT);
	return c;
}

void control_close(struct control *c)
{
	if (!c)
		return;
	hook_unregister(log_monitor, monitor_hook, NULL);
	the_control = NULL;
	while (c->conns)
		conn_free(c->conns);
	ev_io_del(c->io);
	close(c->fd);
	unlink(c->path);
	free(c->path);
	free(c);
}

void control_cli_init(void)
{
	debug_register(&debug_control);
}
