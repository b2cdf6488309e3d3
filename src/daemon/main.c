/* vpnsipd: the SIP-triggered VPN router daemon.
 *
 *   vpnsipd [-f FILE] [-t] [-F] [-S PATH] [-D DIR]
 *
 * See docs/architecture.md for threads and events, vpnsipd(8) for usage. */
#include <errno.h>
#include <fcntl.h>
#include <getopt.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/resource.h>
#include <sys/signalfd.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"
#include "crypto/crypto.h"
#include "config/runtime.h"
#include "daemon/control.h"
#include "dataplane/dataplane.h"
#include "ike/ike.h"
#include "net/iface_kernel.h"
#include "qos/qos.h"
#include "util/evloop.h"
#include "vpnsip/ctl.h"
#include "vpnsip/version.h"
#include "vpnsip/vpnsip.h"

#define DEFAULT_CONFIG "/etc/vpnsip/vpnsipd.conf"
#define DEFAULT_STATE_DIR "/var/lib/vpnsip"

struct daemon {
	struct evloop *loop;
	struct config cfg;
	struct config_env env;
	struct control *control;
	int sigfd;
	struct ev_io *sigio;
	bool stopping; /* a SIGTERM was received */
};

static void usage(void)
{
	fprintf(stderr, "usage: vpnsipd [-f FILE] [-t] [-F] [-S PATH] [-D DIR]\n"
			"  -f FILE  configuration to load at boot (default %s)\n"
			"  -t       check FILE and exit (1 on any error)\n"
			"  -F       stay in the foreground, log to stderr\n"
			"  -S PATH  control socket (default %s)\n"
			"  -D DIR   state directory (default %s)\n",
		DEFAULT_CONFIG, CTL_DEFAULT_SOCKET, DEFAULT_STATE_DIR);
	exit(2);
}

static int mkdir_p(const char *path, mode_t mode)
{
	char *copy = xstrdup(path);
	int rc = 0;

	for (char *p = copy + 1; *p; p++) {
		if (*p != '/')
			continue;
		*p = '\0';
		if (mkdir(copy, 0755) < 0 && errno != EEXIST)
			rc = -1;
		*p = '/';
	}
	if (mkdir(copy, mode) < 0 && errno != EEXIST)
		rc = -1;
	free(copy);
	return rc;
}

static void load_config(struct daemon *d, const char *why)
{
	struct strbuf report = STRBUF_INIT;
	struct config_load_stats st;

	uint64_t t0 = evloop_now_ms();

	iface_defer_apply();
	crypto_defer_notify();
	int rc = config_load_file(&d->env, d->env.startup_path, &report, &st);
	iface_flush_apply(&d->cfg);
	crypto_flush_notify(&d->cfg);
	uint64_t took = evloop_now_ms() - t0;
	if (rc < 0) {
		log_msg("SYS", SEV_WARNING, "CONFIG_LOAD", "%s: %s; running with the current configuration",
			d->env.startup_path, strerror(errno));
		return;
	}
	/* Each bad line, then one summary line. */
	for (const char *p = sb_str(&report); *p;) {
		size_t len = strcspn(p, "\n");
		if (len && p[0] != ' ')
			log_msg("PARSER", SEV_ERR, "BADLINE", "%.*s", (int)len, p);
		p += len;
		if (*p)
			p++;
	}
	log_msg("SYS", SEV_NOTICE, "CONFIG_LOAD",
		"%s %s: %u lines, %u applied, %u errors, %u unsupported (%llu ms)", why,
		d->env.startup_path, st.lines, st.applied, st.errors, st.unsupported,
		(unsigned long long)took);
	sb_free(&report);
}

/* Rate-limited log lines: "N messages suppressed" once their interval is
 * over, even when nothing else is logged. */
static void log_tick(struct ev_timer *t, void *loop)
{
	log_ratelimit_flush();
	ev_timer_add(loop, 1000, log_tick, loop);
}

static void stop_loop(void *loop)
{
	evloop_stop(loop);
}

static void on_signal(struct ev_io *io, uint32_t events, void *arg)
{
	struct daemon *d = arg;
	struct signalfd_siginfo si;

	while (read(d->sigfd, &si, sizeof(si)) == sizeof(si)) {
		switch (si.ssi_signo) {
		case SIGHUP:
			log_msg("SYS", SEV_NOTICE, "RELOAD", "SIGHUP: applying %s", d->env.startup_path);
			load_config(d, "Reloaded");
			break;
		case SIGTERM:
		case SIGINT:
			log_msg("SYS", SEV_NOTICE, "SHUTDOWN", "Signal %u: shutting down", si.ssi_signo);
			/* VPN-SIP sessions end first (SAs deleted, then BYE); a
			 * second signal does not wait. */
			if (d->stopping || !vpnsip_quiesce(stop_loop, d->loop))
				evloop_stop(d->loop);
			d->stopping = true;
			break;
		}
	}
}

static int check_only(const char *path)
{
	struct config cfg;
	struct config_env env = { .cfg = &cfg, .startup_path = path, .check_only = true };
	struct strbuf report = STRBUF_INIT;
	struct config_load_stats st;
	int bad;

	config_init(&cfg);
	bad = config_load_file(&env, path, &report, &st);
	if (bad < 0) {
		fprintf(stderr, "%s: %s\n", path, strerror(errno));
		config_free(&cfg);
		return 1;
	}
	fputs(sb_str(&report), stderr);
	fprintf(stderr, "%s: %u lines, %u applied, %u errors, %u unsupported\n", path, st.lines,
		st.applied, st.errors, st.unsupported);
	sb_free(&report);
	config_free(&cfg);
	return bad ? 1 : 0;
}

/* Fork into the background once the control socket is ready, so that the
 * caller can talk to the daemon as soon as vpnsipd returns. */
static void daemonize(void)
{
	pid_t pid = fork();

	if (pid < 0) {
		perror("fork");
		exit(1);
	}
	if (pid > 0)
		_exit(0);
	setsid();
	int null = open("/dev/null", O_RDWR);
	if (null >= 0) {
		dup2(null, 0);
		dup2(null, 1);
		dup2(null, 2);
		if (null > 2)
			close(null);
	}
}

/* Every VPN-SIP session may hold a TUN device, a UDP port and libcharon's
 * descriptors: 1000 sessions pass the usual soft limit of 1024.  The soft
 * limit goes to the hard one (root may raise that too). */
static void raise_fd_limit(void)
{
	struct rlimit rl;
	rlim_t want = 65536;

	if (getrlimit(RLIMIT_NOFILE, &rl) < 0)
		return;
	if (rl.rlim_max != RLIM_INFINITY && rl.rlim_max < want) {
		struct rlimit up = { want, want };
		if (setrlimit(RLIMIT_NOFILE, &up) == 0)
			rl = up;
	}
	if (rl.rlim_cur < want && rl.rlim_cur < rl.rlim_max) {
		rl.rlim_cur = rl.rlim_max == RLIM_INFINITY || rl.rlim_max > want ? want : rl.rlim_max;
		setrlimit(RLIMIT_NOFILE, &rl);
	}
	getrlimit(RLIMIT_NOFILE, &rl);
	log_msg("SYS", SEV_INFO, "FD_LIMIT", "Open file limit %llu (hard %llu)",
		(unsigned long long)rl.rlim_cur, (unsigned long long)rl.rlim_max);
}

int main(int argc, char **argv)
{
	const char *config = DEFAULT_CONFIG, *sock = CTL_DEFAULT_SOCKET, *state = DEFAULT_STATE_DIR;
	bool test = false, foreground = false;
	struct daemon d;
	sigset_t mask;
	int opt;

	while ((opt = getopt(argc, argv, "f:tFS:D:hV")) != -1) {
		switch (opt) {
		case 'f': config = optarg; break;
		case 't': test = true; break;
		case 'F': foreground = true; break;
		case 'S': sock = optarg; break;
		case 'D': state = optarg; break;
		case 'V': printf("vpnsipd %s\n", VPNSIP_VERSION); return 0;
		default: usage();
		}
	}
	if (optind != argc)
		usage();

	config_features_init();
	if (test)
		return check_only(config);

	memset(&d, 0, sizeof(d));
	log_init("vpnsipd", foreground);
	raise_fd_limit();
	if (mkdir_p(state, 0700) < 0) {
		fprintf(stderr, "vpnsipd: state directory %s: %s\n", state, strerror(errno));
		return 1;
	}
	char *sockdir = xstrdup(sock);
	mkdir_p(dirname(sockdir), 0755);
	free(sockdir);

	/* Signals arrive through the loop; block them in every thread. */
	sigemptyset(&mask);
	sigaddset(&mask, SIGTERM);
	sigaddset(&mask, SIGINT);
	sigaddset(&mask, SIGHUP);
	sigprocmask(SIG_BLOCK, &mask, NULL);
	signal(SIGPIPE, SIG_IGN);

	d.loop = evloop_new();
	config_init(&d.cfg);
	d.env = (struct config_env){ .cfg = &d.cfg, .startup_path = config, .state_dir = state };
	d.control = control_open(d.loop, sock, &d.env);
	if (!d.control) {
		fprintf(stderr, "vpnsipd: control socket %s: %s\n", sock,
			errno == EADDRINUSE ? "another vpnsipd is running there" : strerror(errno));
		return 1;
	}
	if (!foreground)
		daemonize();
	d.sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	d.sigio = ev_io_add(d.loop, d.sigfd, EPOLLIN, on_signal, &d);
	if (iface_kernel_init(d.loop) < 0)
		log_msg("SYS", SEV_ERR, "NETLINK", "Could not open rtnetlink: interfaces are not applied");
	/* IPsec: the data plane takes the Tunnel TUN devices, libcharon runs
	 * over it.  Both before the configuration is loaded. */
	if (dataplane_init(d.loop, ike_dataplane_hooks()) < 0)
		log_msg("SYS", SEV_ERR, "DATAPLANE", "Could not start the IPsec data plane");
	else if (ike_init(d.loop, &d.cfg) < 0)
		log_msg("SYS", SEV_ERR, "IKEV2", "Could not start the IKEv2 engine (libcharon)");
	runtime_start(d.loop, &d.env);
	if (qos_kernel_init(d.loop, &d.cfg) < 0)
		log_msg("SYS", SEV_ERR, "NETLINK", "Could not open rtnetlink: QoS is not applied");
	config_remove_stale_temp_files(config);
	log_msg("SYS", SEV_NOTICE, "START", "vpnsipd %s starting (pid %d, control %s)", VPNSIP_VERSION,
		(int)getpid(), sock);
	load_config(&d, "Loaded");
	log_set_settings(&d.cfg.logging);
	if (vpnsip_start(d.loop, &d.cfg) < 0)
		log_msg("SYS", SEV_ERR, "SIP", "The SIP user agent did not start: VPN-SIP calls are off");

	ev_timer_add(d.loop, 1000, log_tick, d.loop);
	evloop_run(d.loop);

	/* Orderly shutdown: shells first, SIP (unregister, BYE), then
	 * everything put into the kernel. */
	control_close(d.control);
	vpnsip_stop();
	ike_shutdown();
	runtime_stop();
	qos_kernel_shutdown();
	iface_kernel_shutdown();
	dataplane_shutdown();
	log_msg("SYS", SEV_NOTICE, "STOP", "vpnsipd stopped");
	ev_io_del(d.sigio);
	close(d.sigfd);
	config_free(&d.cfg);
	evloop_free(d.loop);
	cli_reset();
	log_shutdown();
	return 0;
}
