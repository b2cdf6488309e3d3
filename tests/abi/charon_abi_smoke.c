/*
 * ABI smoke test: the strongSwan headers and generated config.h we build
 * against (build/strongswan, tools/strongswan-headers.sh) must match the
 * Debian libcharon/libstrongswan installed in /usr/lib/ipsec.
 *
 * Every check prints one line ("ok   - ..." or "FAIL - ..."), the last line
 * is "N passed, N failed"; exit status 0 only when nothing failed.  Checks
 * that would crash on a layout mismatch run after checks that detect it
 * without calling through the suspect vtable, and a crash handler names the
 * check that was running.
 *
 * Needs root (or CAP_NET_ADMIN) and should run in its own network namespace:
 * charon binds UDP 500/4500 and kernel-libipsec creates the TUN device ipsec0.
 *
 *   charon_abi_smoke [-v]       -v: also print charon's log (level 2)
 */
#include <library.h>
#include <daemon.h>
#include <config/backend.h>
#include <config/peer_cfg.h>
#include <config/ike_cfg.h>
#include <credentials/sets/mem_cred.h>
#include <bus/listeners/listener.h>
#include <bus/listeners/logger.h>
#include <plugins/plugin_feature.h>
#include <sa/ike_sa.h>

#include <dlfcn.h>
#include <errno.h>
#include <net/if.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#ifndef STRONGSWAN_PLUGINS
#define STRONGSWAN_PLUGINS                                                     \
	"random nonce openssl pem pkcs1 pkcs8 x509 pubkey constraints hmac kdf " \
	"kernel-libipsec kernel-netlink socket-default eap-md5 eap-identity"
#endif

#define NS "vpnsip-abi-smoke"
#define CFG_NAME "vpnsip-abi-peer"
#define IF_ID_IN 0x1234u
#define IF_ID_OUT 0x5678u

static int n_pass, n_fail;
static const char *volatile current = "start-up";
static int verbose;
static int plugin_errors;

static void check(bool ok, const char *name, const char *fmt, ...)
	__attribute__((format(printf, 3, 4)));

static void check(bool ok, const char *name, const char *fmt, ...)
{
	char detail[512] = "";
	va_list ap;

	if (fmt) {
		va_start(ap, fmt);
		vsnprintf(detail, sizeof(detail), fmt, ap);
		va_end(ap);
	}
	printf("%s - %s%s%s\n", ok ? "ok  " : "FAIL", name, *detail ? ": " : "", detail);
	fflush(stdout);
	if (ok)
		n_pass++;
	else
		n_fail++;
}

static int summary(void)
{
	printf("%d passed, %d failed\n", n_pass, n_fail);
	fflush(stdout);
	return n_fail ? 1 : 0;
}

#ifdef __SANITIZE_ADDRESS__
/* LeakSanitizer reads this at exit (no LSAN_OPTIONS needed).  OpenSSL 3
 * keeps provider/method tables that the openssl plugin never frees (it may
 * be dlclose()d first); suppress those only, so leaks of libstrongswan,
 * libcharon and our own code are still reported. */
const char *__lsan_default_suppressions(void);
const char *__lsan_default_suppressions(void)
{
	return "leak:libcrypto.so\n";
}
#endif

/* ---- crash handler: a layout mismatch usually ends here ---------------- */

static void put(const char *s)
{
	ssize_t r = write(STDOUT_FILENO, s, strlen(s));
	(void)r;
}

static void put_int(int v)
{
	char buf[16];
	int i = sizeof(buf) - 1;

	buf[i] = '\0';
	do {
		buf[--i] = (char)('0' + v % 10);
		v /= 10;
	} while (v && i > 0);
	put(buf + i);
}

static void on_crash(int sig)
{
	put("FAIL - crashed (signal ");
	put_int(sig);
	put(") during '");
	put(current);
	put("': the strongSwan headers/config.h probably do not match the "
	    "installed libraries (run 'make deps', see docs/strongswan-build.md)\n");
	put_int(n_pass);
	put(" passed, ");
	put_int(n_fail + 1);
	put(" failed\n");
	_exit(2);
}

static void install_crash_handler(void)
{
	struct sigaction sa;
	int sigs[] = { SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT };

	memset(&sa, 0, sizeof(sa));
	sa.sa_handler = on_crash;
	sa.sa_flags = SA_RESETHAND;
	for (size_t i = 0; i < sizeof(sigs) / sizeof(sigs[0]); i++)
		sigaction(sigs[i], &sa, NULL);
}

/* ---- where does a pointer point? ---------------------------------------- */

static void *charon_base;

/* Code of libcharon itself? */
static bool in_libcharon(const void *p)
{
	Dl_info info;

	if (!p || !dladdr(p, &info))
		return FALSE;
	return info.dli_fbase == charon_base;
}

/* Object pointer that is not code of any loaded library (heap data). */
static bool is_object(const void *p)
{
	Dl_info info;

	if (!p)
		return FALSE;
	if (dladdr(p, &info) && info.dli_sname && info.dli_saddr == p)
		return FALSE; /* exactly a symbol's address: a function */
	return !in_libcharon(p);
}

#define FN(p) ((const void *)(uintptr_t)(p))

/* ---- version ------------------------------------------------------------ */

/* Version of an installed package according to dpkg's status file. */
static bool dpkg_version(const char *pkg, char *out, size_t len)
{
	FILE *f = fopen("/var/lib/dpkg/status", "r");
	char line[1024];
	bool in_pkg = FALSE, found = FALSE;

	if (!f)
		return FALSE;
	while (fgets(line, sizeof(line), f)) {
		line[strcspn(line, "\n")] = '\0';
		if (strncmp(line, "Package: ", 9) == 0)
			in_pkg = strcmp(line + 9, pkg) == 0;
		else if (in_pkg && strncmp(line, "Version: ", 9) == 0) {
			snprintf(out, len, "%s", line + 9);
			found = TRUE;
			break;
		}
	}
	fclose(f);
	return found;
}

/* "1:5.9.8-5+deb12u6" -> "5.9.8" */
static void upstream_of(const char *ver, char *out, size_t len)
{
	const char *colon = strchr(ver, ':');
	char *dash;

	snprintf(out, len, "%s", colon ? colon + 1 : ver);
	dash = strrchr(out, '-');
	if (dash)
		*dash = '\0';
}

static void check_versions(void)
{
	char inst[1024], up[1024];

	current = "version";
	if (!dpkg_version("strongswan-libcharon", inst, sizeof(inst))) {
		check(FALSE, "installed libcharon version", "strongswan-libcharon not in dpkg status");
		return;
	}
	upstream_of(inst, up, sizeof(up));
	check(strcmp(up, VERSION) == 0, "library version matches headers' VERSION",
	      "installed %s (upstream %s), headers %s", inst, up, VERSION);
	check(strcmp(inst, VPNSIP_STRONGSWAN_DEB_VERSION) == 0,
	      "headers fetched for the installed Debian revision",
	      "config.h for %s, installed %s%s", VPNSIP_STRONGSWAN_DEB_VERSION, inst,
	      strcmp(inst, VPNSIP_STRONGSWAN_DEB_VERSION) ? " (run 'make deps')" : "");
	if (strcmp(VPNSIP_STRONGSWAN_HEADERS_DEB_VERSION, VPNSIP_STRONGSWAN_DEB_VERSION))
		printf("note - headers carry Debian's patches of %s (the Debian part of "
		       "%s was not downloadable; see build/strongswan/stamp)\n",
		       VPNSIP_STRONGSWAN_HEADERS_DEB_VERSION, VPNSIP_STRONGSWAN_DEB_VERSION);
}

/* ---- daemon_t layout ----------------------------------------------------- */

static void check_daemon_layout(bool initialized)
{
	struct {
		const char *name;
		const void *p;
		bool later; /* created by initialize() */
	} objs[] = {
		{ "socket", charon->socket, FALSE },
		{ "kernel", charon->kernel, FALSE },
		{ "ike_sa_manager", charon->ike_sa_manager, TRUE },
		{ "child_sa_manager", charon->child_sa_manager, TRUE },
		{ "traps", charon->traps, FALSE },
		{ "shunts", charon->shunts, FALSE },
		{ "redirect", charon->redirect, FALSE },
		{ "backends", charon->backends, FALSE },
		{ "sender", charon->sender, TRUE },
		{ "receiver", charon->receiver, TRUE },
		{ "attributes", charon->attributes, FALSE },
		{ "bus", charon->bus, FALSE },
		{ "controller", charon->controller, FALSE },
		{ "eap", charon->eap, FALSE },
		{ "xauth", charon->xauth, FALSE },
#ifdef ME
		{ "connect_manager", charon->connect_manager, TRUE },
		{ "mediation_manager", charon->mediation_manager, TRUE },
#endif
	};
	struct {
		const char *name;
		const void *p;
	} fns[] = {
		{ "initialize", FN(charon->initialize) },
		{ "start", FN(charon->start) },
		{ "load_loggers", FN(charon->load_loggers) },
		{ "set_default_loggers", FN(charon->set_default_loggers) },
		{ "set_level", FN(charon->set_level) },
	};
	char name[64];
	int bad = 0;

	current = initialized ? "daemon_t layout (after initialize)" : "daemon_t layout";
	for (size_t i = 0; i < sizeof(objs) / sizeof(objs[0]); i++) {
		bool ok = objs[i].p ? is_object(objs[i].p) : (!initialized && objs[i].later);

		if (!ok) {
			bad++;
			snprintf(name, sizeof(name), "charon->%s", objs[i].name);
			check(FALSE, name, "%p is %s", objs[i].p,
			      objs[i].p ? "code, not an object: daemon_t layout differs" : "NULL");
		}
	}
	for (size_t i = 0; i < sizeof(fns) / sizeof(fns[0]); i++) {
		if (!in_libcharon(fns[i].p)) {
			bad++;
			snprintf(name, sizeof(name), "charon->%s()", fns[i].name);
			check(FALSE, name, "%p is not code in libcharon: daemon_t layout differs",
			      fns[i].p);
		}
	}
	check(bad == 0, initialized ? "daemon_t members sane after initialize" : "daemon_t layout",
	      "%zu object members, %zu methods%s", sizeof(objs) / sizeof(objs[0]),
	      sizeof(fns) / sizeof(fns[0]),
#ifdef ME
	      " (with ME members)"
#else
	      " (without ME members)"
#endif
	);
}

/* ---- logger ------------------------------------------------------------- */

static void logger_log(logger_t *this, debug_t group, level_t level, int thread,
		       ike_sa_t *ike_sa, const char *message)
{
	if (level <= LEVEL_CTRL &&
	    (strstr(message, "failed to load") || strstr(message, "unable to load") ||
	     (strstr(message, "plugin") && strstr(message, "not found"))))
		__atomic_add_fetch(&plugin_errors, 1, __ATOMIC_RELAXED);
	if (verbose || level <= LEVEL_AUDIT || strstr(message, "load"))
		fprintf(stderr, "  charon[%02d] %d: %s\n", thread, level, message);
}

static level_t logger_get_level(logger_t *this, debug_t group)
{
	return verbose ? LEVEL_DIAG : LEVEL_CTRL;
}

static logger_t logger = {
	.log = logger_log,
	.get_level = logger_get_level,
};

/* ---- own backend ---------------------------------------------------------- */

typedef struct {
	backend_t public;
	peer_cfg_t *cfg;
	int by_name_calls;
} test_backend_t;

static enumerator_t *be_peer_cfgs(backend_t *this, identification_t *me,
				  identification_t *other)
{
	test_backend_t *b = (test_backend_t *)this;

	return enumerator_create_single(b->cfg, NULL);
}

static enumerator_t *be_ike_cfgs(backend_t *this, host_t *me, host_t *other)
{
	test_backend_t *b = (test_backend_t *)this;

	return enumerator_create_single(b->cfg->get_ike_cfg(b->cfg), NULL);
}

static peer_cfg_t *be_by_name(backend_t *this, char *name)
{
	test_backend_t *b = (test_backend_t *)this;

	b->by_name_calls++;
	if (streq(name, b->cfg->get_name(b->cfg)))
		return b->cfg->get_ref(b->cfg);
	return NULL;
}

/* ---- own listener ---------------------------------------------------------- */

typedef struct {
	listener_t public;
	int state_changes;
	ike_sa_state_t last_state;
	ike_sa_t *last_sa;
} test_listener_t;

static bool li_ike_state_change(listener_t *this, ike_sa_t *ike_sa, ike_sa_state_t state)
{
	test_listener_t *l = (test_listener_t *)this;

	l->state_changes++;
	l->last_state = state;
	l->last_sa = ike_sa;
	return TRUE;
}

static bool li_ike_updown(listener_t *this, ike_sa_t *ike_sa, bool up)
{
	return TRUE;
}

/* ---- plugins --------------------------------------------------------------- */

static void check_plugins(void)
{
	char *loaded = lib->plugins->loaded_plugins(lib->plugins);
	char want[] = STRONGSWAN_PLUGINS;
	char name[96];

	current = "plugins";
	for (char *save = NULL, *p = strtok_r(want, " ", &save); p; p = strtok_r(NULL, " ", &save)) {
		char path[256];
		bool found = FALSE;
		size_t n = strlen(p);

		for (const char *s = loaded; s && (s = strstr(s, p)); s += n) {
			if ((s == loaded || s[-1] == ' ') && (s[n] == ' ' || s[n] == '\0')) {
				found = TRUE;
				break;
			}
		}
		snprintf(path, sizeof(path), "/usr/lib/ipsec/plugins/libstrongswan-%s.so", p);
		snprintf(name, sizeof(name), "plugin %s loaded", p);
		check(found, name, "%s", found ? "" :
		      access(path, R_OK) ? "not installed (missing package?)" : "failed to load");
	}
	check(plugin_errors == 0, "no plugin or plugin feature failed to load",
	      "%d error message(s), see charon log above", plugin_errors);
}

static void check_features(void)
{
	struct {
		const char *name;
		plugin_feature_t f;
	} feats[] = {
		{ "RNG strong", PLUGIN_PROVIDE(RNG, RNG_STRONG) },
		{ "nonce generator", PLUGIN_PROVIDE(NONCE_GEN) },
		{ "AES-CBC-128", PLUGIN_PROVIDE(CRYPTER, ENCR_AES_CBC, 16) },
		{ "AES-GCM-16-256", PLUGIN_PROVIDE(AEAD, ENCR_AES_GCM_ICV16, 32) },
		{ "HMAC-SHA2-256-128", PLUGIN_PROVIDE(SIGNER, AUTH_HMAC_SHA2_256_128) },
		{ "PRF-HMAC-SHA2-256", PLUGIN_PROVIDE(PRF, PRF_HMAC_SHA2_256) },
		{ "KDF PRF+", PLUGIN_PROVIDE(KDF, KDF_PRF_PLUS) },
		{ "MODP-2048", PLUGIN_PROVIDE(KE, MODP_2048_BIT) },
		{ "ECP-256", PLUGIN_PROVIDE(KE, ECP_256_BIT) },
		{ "RSA public key", PLUGIN_PROVIDE(PUBKEY, KEY_RSA) },
		{ "RSA private key", PLUGIN_PROVIDE(PRIVKEY, KEY_RSA) },
		{ "RSA verify SHA2-256", PLUGIN_PROVIDE(PUBKEY_VERIFY, SIGN_RSA_EMSA_PKCS1_SHA2_256) },
		{ "X.509 certificates", PLUGIN_PROVIDE(CERT_DECODE, CERT_X509) },
		{ "EAP-MD5 peer", PLUGIN_PROVIDE(EAP_PEER, EAP_MD5) },
		{ "EAP-MD5 server", PLUGIN_PROVIDE(EAP_SERVER, EAP_MD5) },
		{ "EAP-Identity server", PLUGIN_PROVIDE(EAP_SERVER, EAP_IDENTITY) },
		{ "kernel IPsec backend", PLUGIN_PROVIDE(CUSTOM, "kernel-ipsec") },
		{ "kernel-libipsec router", PLUGIN_PROVIDE(CUSTOM, "kernel-libipsec-router") },
		{ "kernel network backend", PLUGIN_PROVIDE(CUSTOM, "kernel-net") },
		{ "IKE socket", PLUGIN_PROVIDE(CUSTOM, "socket") },
	};
	char name[96];

	current = "plugin features";
	for (size_t i = 0; i < sizeof(feats) / sizeof(feats[0]); i++) {
		snprintf(name, sizeof(name), "feature %s", feats[i].name);
		check(lib->plugins->has_feature(lib->plugins, feats[i].f), name, NULL);
	}
}

/* ---- configs, backend, credentials, listener, IKE_SA ---------------------- */

static peer_cfg_t *make_peer_cfg(void)
{
	ike_cfg_create_t ike = {
		.version = IKEV2,
		.local = "0.0.0.0",
		.local_port = IKEV2_UDP_PORT,
		.remote = "192.0.2.1",
		.remote_port = IKEV2_UDP_PORT,
		.force_encap = TRUE,
		.fragmentation = FRAGMENTATION_YES,
	};
	peer_cfg_create_t peer = {
		.cert_policy = CERT_SEND_IF_ASKED,
		.unique = UNIQUE_REPLACE,
		.keyingtries = 3,
		.rekey_time = 3600,
		.dpd = 30,
		.if_id_in = IF_ID_IN,
		.if_id_out = IF_ID_OUT,
		.no_mobike = TRUE,
#ifdef ME
		.mediation = FALSE,
		.mediated_by = NULL,
		.peer_id = NULL,
#endif
	};
	ike_cfg_t *ike_cfg;
	peer_cfg_t *cfg;

	current = "ike_cfg";
	ike_cfg = ike_cfg_create(&ike);
	check(ike_cfg != NULL && ike_cfg->get_version(ike_cfg) == IKEV2 &&
	      streq(ike_cfg->get_other_addr(ike_cfg), "192.0.2.1") &&
	      ike_cfg->get_other_port(ike_cfg) == IKEV2_UDP_PORT &&
	      ike_cfg->force_encap(ike_cfg) && ike_cfg->fragmentation(ike_cfg) == FRAGMENTATION_YES,
	      "ike_cfg_t round trip", "version, remote address/port, force_encap, fragmentation");
	ike_cfg->add_proposal(ike_cfg, proposal_create_default(PROTO_IKE));

	current = "peer_cfg";
	cfg = peer_cfg_create(CFG_NAME, ike_cfg, &peer);
	check(cfg && streq(cfg->get_name(cfg), CFG_NAME), "peer_cfg_t get_name", "'%s'",
	      cfg ? cfg->get_name(cfg) : "(null)");
	check(cfg->get_ike_version(cfg) == IKEV2 && cfg->get_ike_cfg(cfg) == ike_cfg,
	      "peer_cfg_t get_ike_version/get_ike_cfg", NULL);
	check(cfg->get_keyingtries(cfg) == 3 && cfg->get_dpd(cfg) == 30 &&
	      cfg->get_if_id(cfg, TRUE) == IF_ID_IN && cfg->get_if_id(cfg, FALSE) == IF_ID_OUT &&
	      !cfg->use_mobike(cfg),
	      "peer_cfg_t create data read back", "keyingtries %u dpd %u if_id %#x/%#x",
	      cfg->get_keyingtries(cfg), cfg->get_dpd(cfg), cfg->get_if_id(cfg, TRUE),
	      cfg->get_if_id(cfg, FALSE));
	/* Methods after the ME block: wrong slots if ME differs. */
	current = "peer_cfg methods after ME members";
	{
		peer_cfg_t *ref = cfg->get_ref(cfg);
		bool eq = ref == cfg && cfg->equals(cfg, ref);

		if (ref == cfg)
			ref->destroy(ref); /* drops the extra reference only */
		check(eq, "peer_cfg_t get_ref/equals/destroy (vtable after ME block)", NULL);
	}
#ifdef ME
	check(!cfg->is_mediation(cfg) && cfg->get_mediated_by(cfg) == NULL &&
	      cfg->get_peer_id(cfg) == NULL,
	      "peer_cfg_t ME methods", "is_mediation/get_mediated_by/get_peer_id");
#endif
	return cfg;
}

static void check_backend(peer_cfg_t *cfg, test_backend_t *be)
{
	peer_cfg_t *found;

	current = "backend";
	charon->backends->add_backend(charon->backends, &be->public);
	found = charon->backends->get_peer_cfg_by_name(charon->backends, CFG_NAME);
	check(found == cfg && be->by_name_calls == 1, "own backend_t via charon->backends",
	      "get_peer_cfg_by_name -> %p (expected %p), %d call(s)", (void *)found, (void *)cfg,
	      be->by_name_calls);
	if (found)
		found->destroy(found);
	found = charon->backends->get_peer_cfg_by_name(charon->backends, "no-such-peer");
	check(found == NULL, "backend lookup of unknown name", NULL);
}

static void check_credentials(mem_cred_t *creds)
{
	const char psk[] = "vpnsip-abi-psk";
	identification_t *me, *other;
	shared_key_t *key;

	current = "credentials";
	creds->add_shared(creds, shared_key_create(SHARED_IKE, chunk_clone(chunk_from_str((char *)psk))),
			  identification_create_from_encoding(ID_KEY_ID, chunk_from_str("+4930111")),
			  identification_create_from_encoding(ID_KEY_ID, chunk_from_str("+4930222")),
			  NULL);
	lib->credmgr->add_set(lib->credmgr, &creds->set);
	me = identification_create_from_encoding(ID_KEY_ID, chunk_from_str("+4930111"));
	other = identification_create_from_encoding(ID_KEY_ID, chunk_from_str("+4930222"));
	key = lib->credmgr->get_shared(lib->credmgr, SHARED_IKE, me, other);
	check(key && key->get_type(key) == SHARED_IKE &&
	      chunk_equals(key->get_key(key), chunk_from_str((char *)psk)),
	      "mem_cred_t PSK via lib->credmgr", "two ID_KEY_ID owners");
	DESTROY_IF(key);
	me->destroy(me);
	other->destroy(other);
}

static void check_ike_sa(peer_cfg_t *cfg, test_listener_t *li)
{
	ike_sa_t *ike_sa;

	current = "ike_sa";
	charon->bus->add_listener(charon->bus, &li->public);
	ike_sa = charon->ike_sa_manager->create_new(charon->ike_sa_manager, IKEV2, TRUE);
	check(ike_sa && ike_sa->get_version(ike_sa) == IKEV2 && ike_sa->get_state(ike_sa) == IKE_CREATED,
	      "ike_sa_t create_new", NULL);
	if (!ike_sa)
		return;
	ike_sa->set_peer_cfg(ike_sa, cfg);
	check(ike_sa->get_peer_cfg(ike_sa) == cfg && streq(ike_sa->get_name(ike_sa), CFG_NAME),
	      "ike_sa_t set_peer_cfg/get_name", "'%s'", ike_sa->get_name(ike_sa));
	ike_sa->set_state(ike_sa, IKE_CONNECTING);
	check(li->state_changes == 1 && li->last_sa == ike_sa && li->last_state == IKE_CONNECTING,
	      "own listener_t sees ike_state_change", "%d event(s)", li->state_changes);
	/* Methods after the ME block of ike_sa_t. */
	current = "ike_sa methods after ME members";
	check(ike_sa->get_if_id(ike_sa, TRUE) == IF_ID_IN && ike_sa->get_if_id(ike_sa, FALSE) == IF_ID_OUT &&
	      ike_sa->get_child_count(ike_sa) == 0 && ike_sa->get_keymat(ike_sa) != NULL,
	      "ike_sa_t get_if_id/get_child_count/get_keymat (vtable after ME block)",
	      "if_id %#x/%#x", ike_sa->get_if_id(ike_sa, TRUE), ike_sa->get_if_id(ike_sa, FALSE));
	current = "ike_sa destroy";
	ike_sa->destroy(ike_sa);
	charon->bus->remove_listener(charon->bus, &li->public);
	check(TRUE, "ike_sa_t destroy", NULL);
}

static void check_controller(void)
{
	enumerator_t *e;
	ike_sa_t *sa;
	int n = 0;

	current = "controller";
	e = charon->controller->create_ike_sa_enumerator(charon->controller, TRUE);
	while (e && e->enumerate(e, &sa))
		n++;
	DESTROY_IF(e);
	check(e != NULL && n == 0, "charon->controller IKE_SA enumerator", "%d IKE_SA(s)", n);
}

static void check_kernel_socket(void)
{
	current = "kernel/socket";
	check(charon->socket->get_port(charon->socket, FALSE) == CHARON_UDP_PORT &&
	      charon->socket->get_port(charon->socket, TRUE) == CHARON_NATT_PORT,
	      "charon->socket ports", "%u/%u", charon->socket->get_port(charon->socket, FALSE),
	      charon->socket->get_port(charon->socket, TRUE));
	check(if_nametoindex("ipsec0") != 0, "kernel-libipsec TUN device ipsec0 exists", NULL);
	/* Only kernel-libipsec asks for forced UDP encapsulation: it, not
	 * kernel-netlink's XFRM part, is the IPsec backend. */
	check(charon->kernel->get_features(charon->kernel) & KERNEL_REQUIRE_UDP_ENCAPSULATION,
	      "kernel-libipsec is the IPsec backend", "features %#x",
	      (unsigned)charon->kernel->get_features(charon->kernel));
}

/* ---- main ------------------------------------------------------------------ */

static char conf_dir[] = "/tmp/vpnsip-abi-XXXXXX";
static char conf_path[sizeof(conf_dir) + 32];

/* Private settings: nothing from the machine's strongswan.conf applies (the
 * namespace differs from "charon" anyway), few threads, no route changes. */
static bool write_settings(void)
{
	FILE *f;

	if (!mkdtemp(conf_dir))
		return FALSE;
	snprintf(conf_path, sizeof(conf_path), "%s/strongswan.conf", conf_dir);
	f = fopen(conf_path, "w");
	if (!f)
		return FALSE;
	fprintf(f, NS " {\n"
		   "  threads = 4\n"
		   "  install_routes = no\n"
		   "  install_virtual_ip = no\n"
		   "}\n");
	return fclose(f) == 0;
}

static void remove_settings(void)
{
	unlink(conf_path);
	rmdir(conf_dir);
}

int main(int argc, char *argv[])
{
	test_backend_t be = {
		.public = {
			.create_peer_cfg_enumerator = be_peer_cfgs,
			.create_ike_cfg_enumerator = be_ike_cfgs,
			.get_peer_cfg_by_name = be_by_name,
		},
	};
	test_listener_t li = {
		.public = {
			.ike_state_change = li_ike_state_change,
			.ike_updown = li_ike_updown,
		},
	};
	mem_cred_t *creds;
	Dl_info info;
	bool ok, logger_added = FALSE;

	verbose = argc > 1 && streq(argv[1], "-v");
	setvbuf(stdout, NULL, _IOLBF, 0);
	install_crash_handler();

	check_versions();

	current = "settings";
	if (!write_settings()) {
		check(FALSE, "private strongswan.conf", "%s", strerror(errno));
		return summary();
	}

	current = "library_init";
	ok = library_init(conf_path, NS);
	check(ok && lib != NULL, "library_init", NULL);
	if (!ok) {
		remove_settings();
		return summary();
	}
	current = "libcharon_init";
	ok = libcharon_init();
	check(ok && charon != NULL, "libcharon_init", NULL);
	if (!ok || !charon)
		goto out_lib;

	if (!dladdr(FN(libcharon_init), &info)) {
		check(FALSE, "locate libcharon", "dladdr failed");
		goto out;
	}
	charon_base = info.dli_fbase;
	printf("info - libcharon: %s\n", info.dli_fname);

	check_daemon_layout(FALSE);
	if (n_fail)
		goto out; /* calling through a mismatched daemon_t would crash */

	current = "logger";
	charon->bus->add_logger(charon->bus, &logger);
	logger_added = TRUE;
	check(TRUE, "own logger_t on charon->bus", NULL);

	current = "charon->initialize";
	ok = charon->initialize(charon, STRONGSWAN_PLUGINS);
	check(ok, "charon->initialize", "plugins: %s", STRONGSWAN_PLUGINS);
	printf("info - loaded plugins: %s\n", lib->plugins->loaded_plugins(lib->plugins));
	if (!ok)
		goto out;
	check_plugins();
	check_features();
	check_daemon_layout(TRUE);
	if (n_fail)
		goto out;
	check_kernel_socket();

	{
		peer_cfg_t *cfg = make_peer_cfg();

		be.cfg = cfg;
		if (n_fail == 0) {
			check_backend(cfg, &be);
			creds = mem_cred_create();
			check_credentials(creds);
			check_ike_sa(cfg, &li);
			check_controller();

			current = "charon->start";
			charon->start(charon);
			usleep(300 * 1000);
			check(lib->processor->get_total_threads(lib->processor) > 0,
			      "charon->start", "%u worker threads",
			      lib->processor->get_total_threads(lib->processor));

			current = "unregister";
			lib->credmgr->remove_set(lib->credmgr, &creds->set);
			creds->destroy(creds);
			charon->backends->remove_backend(charon->backends, &be.public);
		}
		cfg->destroy(cfg);
	}

out:
	current = "libcharon_deinit";
	if (logger_added)
		charon->bus->remove_logger(charon->bus, &logger);
	libcharon_deinit();
out_lib:
	current = "library_deinit";
	library_deinit();
	remove_settings();
	check(TRUE, "clean shutdown", "libcharon_deinit, library_deinit");
	return summary();
}
