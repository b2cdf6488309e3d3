/* vpnsipd: the SIP-triggered VPN router daemon.
 *
 *   vpnsipd [-f FILE] [-t [-p]] [-F] [-S PATH] [-D DIR]
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
#include <systemd/sd-daemon.h>
#include <unistd.h>

#include "config/config.h"
#include "crypto/crypto.h"
#include "daemon/control.h"
#include "daemon/feature.h"
#include "daemon/privilege.h"
#include "ike/ike.h"
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
	char status[256]; /* the last STATUS= sent to the service manager */
};

static void usage(void)
{
	fprintf(stderr, "usage: vpnsipd [-f FILE] [-t [-p]] [-F] [-S PATH] [-D DIR]\n"
			"  -f FILE  configuration to load at boot (default %s)\n"
			"  -t       check FILE and exit (1 on any error); with -D, read the\n"
			"           state directory (type 6 secrets)\n"
			"  -p       with -t: print the configuration FILE gives\n"
			"  -F       stay in the foreground, log to stderr (the journal under systemd)\n"
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

/* A whole file applied at once: the kernel and libcharon see the result,
 * not every line. */
static void batch(bool begin, struct config *cfg)
{
	if (begin) {
		iface_defer_apply();
		crypto_defer_notify();
	} else {
		iface_flush_apply(cfg);
		crypto_flush_notify(cfg);
	}
}

/* Returns -1 when the file could not be read (nothing applied). */
static int load_config(struct daemon *d, const char *why)
{
	struct strbuf report = STRBUF_INIT;
	struct config_load_stats st;

	uint64_t t0 = evloop_now_ms();

	batch(true, &d->cfg);
	int rc = config_load_file(&d->env, d->env.startup_path, &report, &st);
	batch(false, &d->cfg);
	uint64_t took = evloop_now_ms() - t0;
	if (rc < 0) {
		log_msg("SYS", SEV_WARNING, "CONFIG_LOAD", "%s: %s; running with the current configuration",
			d->env.startup_path, strerror(errno));
		return -1;
	}
	/* Each bad or ignored line, then one summary line. */
	for (const char *p = sb_str(&report); *p;) {
		size_t len = strcspn(p, "\n");
		char *line = xstrndup(p, len);
		if (strstr(line, ": " CONFIG_IGNORED_TAG))
			log_msg("PARSER", SEV_WARNING, "IGNORED", "%s", line);
		else if (len && p[0] != ' ')
			log_msg("PARSER", SEV_ERR, "BADLINE", "%s", line);
		free(line);
		p += len;
		if (*p)
			p++;
	}
	log_msg("SYS", SEV_NOTICE, "CONFIG_LOAD",
		"%s %s: %u lines, %u applied, %u errors, %u unsupported, %u ignored (%llu ms)", why,
		d->env.startup_path, st.lines, st.applied, st.errors, st.unsupported, st.ignored,
		(unsigned long long)took);
	sb_free(&report);
	return 0;
}

/* Service manager (systemd, Type=notify): these are no-ops without
 * NOTIFY_SOCKET.  STATUS= follows the SIP registration. */
static void notify_status(void *arg)
{
	struct daemon *d = arg;
	char line[sizeof(d->status)];

	vpnsip_status_line(line, sizeof(line));
	if (strcmp(line, d->status) == 0)
		return;
	snprintf(d->status, sizeof(d->status), "%s", line);
	sd_notifyf(0, "STATUS=%s", line);
}

/* The first turn of the loop: the boot configuration is applied and the
 * control socket, listening since before the load, is now served. */
static void notify_ready(struct ev_timer *t, void *arg)
{
	struct daemon *d = arg;

	sd_notifyf(0, "READY=1\nSTATUS=%s", d->status);
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
		case SIGHUP: {
			/* configure replace from the startup file: checked whole
			 * first, then the difference applied; logged as a
			 * configuration change (CONFIG_I), as IOS logs one */
			struct config_replace_who who = { "SIGHUP", "SIGHUP" };
			struct strbuf out = STRBUF_INIT;
			sd_notify(0, "RELOADING=1");
			config_replace(&d->env, d->env.startup_path, &who, false, &out);
			sb_free(&out);
			sd_notify(0, "READY=1");
			break;
		}
		case SIGTERM:
		case SIGINT:
			log_msg("SYS", SEV_NOTICE, "SHUTDOWN", "Signal %u: shutting down", si.ssi_signo);
			sd_notify(0, "STOPPING=1");
			/* VPN-SIP sessions end first (SAs deleted, then BYE); a
			 * second signal does not wait. */
			if (d->stopping || !vpnsip_quiesce(stop_loop, d->loop))
				evloop_stop(d->loop);
			d->stopping = true;
			break;
		}
	}
}

/* -t: nothing is applied and nothing written; with -D the state directory
 * is read (type 6 secrets are decrypted, so a wrong one is an error); with
 * -p the configuration the file gives is printed as show running-config
 * writes it (what configure replace and SIGHUP compare with). */
static int check_only(const char *path, const char *state, bool print)
{
	struct config cfg;
	struct config_env env = { .cfg = &cfg, .startup_path = path, .state_dir = state,
				  .check_only = true };
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
	fprintf(stderr, "%s: %u lines, %u applied, %u errors, %u unsupported, %u ignored\n", path,
		st.lines, st.applied, st.errors, st.unsupported, st.ignored);
	sb_reset(&report);
	if (print) {
		config_write(&cfg, &report);
		fputs(sb_str(&report), stdout);
	}
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
	bool test = false, foreground = false, print = false, state_given = false;
	struct daemon d;
	sigset_t mask;
	int opt;

	while ((opt = getopt(argc, argv, "f:tpFS:D:hV")) != -1) {
		switch (opt) {
		case 'f': config = optarg; break;
		case 't': test = true; break;
		case 'p': print = true; break;
		case 'F': foreground = true; break;
		case 'S': sock = optarg; break;
		case 'D': state = optarg; state_given = true; break;
		case 'V': printf("vpnsipd %s\n", VPNSIP_VERSION); return 0;
		default: usage();
		}
	}
	if (optind != argc)
		usage();

	feature_cli_init_all();
	if (test)
		return check_only(config, state_given ? state : NULL, print);

	memset(&d, 0, sizeof(d));
	log_init("vpnsipd", !foreground           ? LOG_OUT_SYSLOG
			    : log_stderr_is_journal() ? LOG_OUT_JOURNAL
						      : LOG_OUT_STDERR_SYSLOG);
	char why[512];
	if (!ike_library_check(why, sizeof(why))) {
		log_msg("SYS", SEV_CRIT, "STRONGSWAN", "%s", why);
		if (!foreground)
			fprintf(stderr, "vpnsipd: %s\n", why);
		log_shutdown();
		return 1;
	}
	raise_fd_limit();
	if (mkdir_p(state, 0700) < 0 || config_state_dir_prepare(state) < 0) {
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
	d.env = (struct config_env){ .cfg = &d.cfg, .startup_path = config, .state_dir = state,
				     .checker = "/proc/self/exe", .batch = batch };
	d.control = control_open(d.loop, sock, &d.env);
	if (!d.control) {
		fprintf(stderr, "vpnsipd: control socket %s: %s\n", sock,
			errno == EADDRINUSE ? "another vpnsipd is running there" : strerror(errno));
		return 1;
	}
	if (!foreground)
		daemonize();
	/* Before the first thread: capabilities and the filter are per
	 * thread, and inherited. */
	privilege_restrict();
	d.sigfd = signalfd(-1, &mask, SFD_CLOEXEC | SFD_NONBLOCK);
	d.sigio = ev_io_add(d.loop, d.sigfd, EPOLLIN, on_signal, &d);
	/* Interfaces, the data plane and libcharon over it, the kernel-facing
	 * features: all before the configuration is loaded (daemon/feature.c). */
	feature_start(FEATURE_BEFORE_LOAD, d.loop, &d.env);
	config_remove_stale_temp_files(config);
	log_msg("SYS", SEV_NOTICE, "START", "vpnsipd %s starting (pid %d, control %s)", VPNSIP_VERSION,
		(int)getpid(), sock);
	hook_register(vpnsip_status_changed, notify_status, &d, HOOK_PRIO_DEFAULT);
	load_config(&d, "Loaded");
	log_set_settings(&d.cfg.logging);
	/* SIP registers with what the configuration gives. */
	feature_start(FEATURE_AFTER_LOAD, d.loop, &d.env);
	notify_status(&d);
	ev_timer_add(d.loop, 0, notify_ready, &d);

	ev_timer_add(d.loop, 1000, log_tick, d.loop);
	evloop_run(d.loop);

	/* Orderly shutdown: shells first, then the features: SIP (unregister,
	 * BYE), IKE, everything put into the kernel, the data plane last. */
	control_close(d.control);
	feature_stop_all();
	log_msg("SYS", SEV_NOTICE, "STOP", "vpnsipd stopped");
	ev_io_del(d.sigio);
	close(d.sigfd);
	config_free(&d.cfg);
	evloop_free(d.loop);
	cli_reset();
	log_shutdown();
	return 0;
}
