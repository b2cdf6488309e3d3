/* libcharon inside vpnsipd: library and daemon start-up with our own
 * kernel IPsec backend and socket registered as static plugin features
 * (so no kernel-libipsec router and no socket-default), and charon's log
 * bridged onto "debug crypto ikev2 ..." without secrets (level <= 2). */
#include <library.h>
#include <daemon.h>
#include <bus/listeners/logger.h>
#include <network/socket_manager.h>
#include <plugins/plugin_feature.h>

#include "ike/ike_int.h"

#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <unistd.h>
#include <string.h>

#include "config/config.h"
#include "log/log.h"
#include "util/evloop.h"

/* Plugins from Debian's packages: crypto, credentials, revocation (CRL
 * checks of "revocation-check crl"; CRLs come from our credential set;
 * critical: without it a CRL check would pass unchecked),
 * and kernel-netlink for source address lookup (its XFRM part never
 * becomes the IPsec backend: ours registers first). */
#define IKE_PLUGINS                                                                         \
	"random nonce openssl pem pkcs1 pkcs8 x509 pubkey constraints revocation! hmac kdf " \
	"kernel-netlink"

struct debug_flag debug_ikev2 = {
	.path = "crypto ikev2",
	.help = "Cryptographic subsystem\nIKEv2 protocol (events of every kind)",
	.title = "IKEv2 default",
};
struct debug_flag debug_ikev2_packet = {
	.path = "crypto ikev2 packet",
	.help = "\n\nIKEv2 packets sent and received",
	.title = "IKEv2 packet",
};
struct debug_flag debug_ikev2_internal = {
	.path = "crypto ikev2 internal",
	.help = "\n\nIKEv2 internal state, configuration, kernel and job events",
	.title = "IKEv2 internal",
};
struct debug_flag debug_ikev2_error = {
	.path = "crypto ikev2 error",
	.help = "\n\nIKEv2 errors",
	.title = "IKEv2 error",
};

#ifdef __SANITIZE_ADDRESS__
#include <sanitizer/lsan_interface.h>

/* LeakSanitizer reads this at exit.  OpenSSL 3 keeps provider/method tables
 * that strongSwan's openssl plugin never frees (it is dlclose()d first):
 * suppress those only, so leaks of ours and of libcharon still fail.
 * signature_params_clone: libcharon 5.9.8 loses one 16-byte
 * signature_params_t when an RSA IKE_AUTH fails for want of a trusted key
 * (our certificate fingerprint mismatch test); the stack ends inside
 * libstrongswan (no frame pointers), none of our frames hold it. */
const char *__lsan_default_suppressions(void)
{
	return "leak:libcrypto.so\nleak:signature_params_clone\n";
}
#endif

bool ike_running;
struct evloop *ike_loop;
static struct ev_timer *level_timer;
static unsigned level_mask; /* the flags the logger was registered with */

/* ---- logger -------------------------------------------------------------- */

static level_t group_level(debug_t group)
{
	bool all = debug_on(&debug_ikev2), pak = debug_on(&debug_ikev2_packet),
	     in = debug_on(&debug_ikev2_internal), err = debug_on(&debug_ikev2_error);
	level_t lvl = LEVEL_SILENT;

	/* Never above 2: level 3+ prints key material and raw packets. */
	if (all || err)
		lvl = LEVEL_CTRL;
	switch (group) {
	case DBG_NET:
	case DBG_ENC:
		if (all || pak)
			lvl = LEVEL_DIAG;
		break;
	case DBG_IKE:
		if (all)
			lvl = LEVEL_DIAG;
		else if (in)
			lvl = LEVEL_CTRL;
		break;
	default:
		if (in)
			lvl = LEVEL_DIAG;
		break;
	}
	return lvl; /* off: silent, our own log lines cover the audit events */
}

METHOD(logger_t, logger_log, void, logger_t *this, debug_t group, level_t level, int thread,
       ike_sa_t *ike_sa, const char *message)
{
	const char *name = ike_sa ? ike_sa->get_name(ike_sa) : NULL;
	const char *p = message;

	/* One debug line per message line. */
	while (*p) {
		size_t len = strcspn(p, "\n");
		log_debug_line("IKEv2-%s:%s%s %.*s", enum_to_name(debug_names, group) ?: "?",
			       name ? " " : "", name ? name : "", (int)len, p);
		p += len;
		if (*p)
			p++;
	}
}

METHOD(logger_t, logger_get_level, level_t, logger_t *this, debug_t group)
{
	return group_level(group);
}

static logger_t ike_logger = {
	.log = (void (*)(logger_t *, debug_t, level_t, int, ike_sa_t *, const char *))logger_log,
	.get_level = (level_t (*)(logger_t *, debug_t))logger_get_level,
};

static unsigned flags_mask(void)
{
	return debug_on(&debug_ikev2) | debug_on(&debug_ikev2_packet) << 1 |
	       debug_on(&debug_ikev2_internal) << 2 | debug_on(&debug_ikev2_error) << 3;
}

/* The bus caches each logger's levels: re-register when a flag changed. */
static void level_poll(struct ev_timer *t, void *arg)
{
	unsigned m = flags_mask();

	if (m != level_mask) {
		level_mask = m;
		charon->bus->add_logger(charon->bus, &ike_logger);
	}
	level_timer = ev_timer_add(ike_loop, 500, level_poll, NULL);
}

/* ---- plugin features -------------------------------------------------------- */

static plugin_feature_t ike_features[] = {
	PLUGIN_CALLBACK(kernel_ipsec_register, ike_kernel_ipsec_create),
		PLUGIN_PROVIDE(CUSTOM, "kernel-ipsec"),
			PLUGIN_DEPENDS(RNG, RNG_WEAK),
	PLUGIN_CALLBACK(socket_register, ike_socket_create),
		PLUGIN_PROVIDE(CUSTOM, "socket"),
			PLUGIN_DEPENDS(CUSTOM, "kernel-ipsec"),
};

static void settings(void)
{
	const char *ns = lib->ns;

	lib->settings->set_int(lib->settings, "%s.threads", 16, ns);
	lib->settings->set_bool(lib->settings, "%s.install_routes", FALSE, ns);
	lib->settings->set_bool(lib->settings, "%s.install_virtual_ip", FALSE, ns);
	lib->settings->set_bool(lib->settings, "%s.process_route", FALSE, ns);
	lib->settings->set_bool(lib->settings, "%s.plugins.kernel-netlink.roam_events", FALSE, ns);
	lib->settings->set_bool(lib->settings, "%s.plugins.kernel-netlink.xfrm_acq_expires", FALSE, ns);
	/* "revocation-check crl" only: no OCSP (IOS's "ocsp" is not offered),
	 * and no fetching (no fetcher plugin is loaded) -- the CRL is a file. */
	lib->settings->set_bool(lib->settings, "%s.plugins.revocation.enable_ocsp", FALSE, ns);
	/* DPD and retransmissions: a vanished peer is declared dead after
	 * about 15 s of unanswered retransmissions (2, 2.4, 2.9, 3.5, 4.1 s). */
	lib->settings->set_str(lib->settings, "%s.retransmit_timeout", "2.0", ns);
	lib->settings->set_str(lib->settings, "%s.retransmit_base", "1.2", ns);
	lib->settings->set_int(lib->settings, "%s.retransmit_tries", 4, ns);
	/* NAT keepalives are the engine's, per IKEv2 profile (ike_liveness.c):
	 * libcharon's are global and would also go out every 20 s. */
	lib->settings->set_int(lib->settings, "%s.keep_alive", 0, ns);
	lib->settings->set_int(lib->settings, "%s.ikesa_table_size", 1024, ns);
	lib->settings->set_int(lib->settings, "%s.ikesa_table_segments", 16, ns);
	/* Our data plane enforces the window itself (0 = off, up to 1024). */
	lib->settings->set_int(lib->settings, "%s.replay_window", 64, ns);
	lib->settings->set_bool(lib->settings, "%s.close_ike_on_child_failure", TRUE, ns);
	lib->settings->set_bool(lib->settings, "%s.make_before_break", TRUE, ns);
	/* A VPN-SIP peer with many numbers sets up one IKE_SA per call from
	 * one address, hundreds at once: libcharon's default of 5
	 * half-open IKE_SAs per peer address dropped the rest (each waited for
	 * a retransmission, 2 s and more), and its cookie round trip from 10
	 * half-open IKE_SAs on (3 per address in newer releases) slowed every
	 * setup.  A responder only has a configuration for the address and
	 * port of a call it answered: cookies start only under a flood, and
	 * the per-address block above that (it must exceed the per-address
	 * cookie threshold, else libcharon raises it). */
	lib->settings->set_int(lib->settings, "%s.cookie_threshold", 4096, ns);
	lib->settings->set_int(lib->settings, "%s.cookie_threshold_ip", 4096, ns);
	lib->settings->set_int(lib->settings, "%s.block_threshold", 8192, ns);
}

int ike_init(struct evloop *loop, struct config *cfg)
{
	struct dataplane *dp = dataplane_get();

	if (!dp)
		return -1;
	/* An empty settings file: nothing of the machine's strongswan.conf
	 * applies (Debian's would load charon's modular plugin list); our
	 * settings are set below. */
	char conf[] = "/tmp/vpnsipd-strongswan-XXXXXX";
	int fd = mkstemp(conf);
	bool ok;

	if (fd < 0)
		return -1;
	if (write(fd, "# vpnsipd\n", 10) < 0)
		log_msg("IKEV2", SEV_WARNING, "INIT", "%s: %s", conf, strerror(errno));
	close(fd);
	ok = library_init(conf, "vpnsipd");
	unlink(conf);
	if (!ok) {
		library_deinit();
		return -1;
	}
	if (!libcharon_init()) {
		libcharon_deinit();
		library_deinit();
		return -1;
	}
	ike_loop = loop;
	/* Start-up diagnostics for tests and bug reports: debug from the start. */
	if (getenv("VPNSIP_IKE_DEBUG")) {
		debug_set(&debug_ikev2, true);
		debug_set(&debug_ikev2_internal, true);
	}
	settings();
	charon->bus->add_logger(charon->bus, &ike_logger);
	level_mask = flags_mask();
	lib->plugins->add_static_features(lib->plugins, "vpnsip", ike_features,
					  countof(ike_features), TRUE, NULL, NULL);
	if (!charon->initialize(charon, IKE_PLUGINS)) {
		log_msg("IKEV2", SEV_ERR, "INIT", "libcharon initialisation failed (plugins: %s)",
			IKE_PLUGINS);
		charon->bus->remove_logger(charon->bus, &ike_logger);
		libcharon_deinit();
		library_deinit();
		return -1;
	}
	if (ike_sessions_init(cfg) < 0) {
		charon->bus->remove_logger(charon->bus, &ike_logger);
		libcharon_deinit();
		library_deinit();
		return -1;
	}
	charon->start(charon);
	ike_running = true;
	ike_vpnsip_wire();
	ike_invalid_spi_init();
	level_timer = ev_timer_add(loop, 500, level_poll, NULL);
	log_msg("IKEV2", SEV_INFO, "INIT", "IKEv2 engine: strongSwan %s, data plane %s", VERSION,
		dp->name);
	return 0;
}

void ike_shutdown(void)
{
	if (!ike_running)
		return;
	ike_running = false;
	if (level_timer)
		ev_timer_del(level_timer);
	level_timer = NULL;
	ike_invalid_spi_shutdown();
	ike_sessions_shutdown();
	charon->bus->remove_logger(charon->bus, &ike_logger);
	libcharon_deinit();
	library_deinit();
}

void ike_debug_register(void)
{
	debug_register(&debug_ikev2);
	debug_register(&debug_ikev2_packet);
	debug_register(&debug_ikev2_internal);
	debug_register(&debug_ikev2_error);
}
