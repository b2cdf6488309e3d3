/* The SIP user agent: sofia-sip nua on its own thread.  See sip.h; the
 * parts it is made of are listed in sip_ua_int.h.  This file: the SIP
 * thread, the commands it runs, the events it posts, the nua's life
 * (transport, parameters, shutdown) and its callback, which hands each
 * event to the registrations (sip_reg.c), the calls (sip_call.c) or the
 * guard (sip_ua_guard.c).
 *
 * Thread rules: everything here runs on the SIP thread only (the
 * su_root's), including every nua_* call, except settings_copy() and the
 * public functions at the end, which only queue commands (any thread), and
 * deliver() (main thread).  Events travel to the main thread with
 * evloop_post() through a refcounted sink that sip_ua_stop() closes, so an
 * event still queued when the UA stops is freed without being delivered. */
#include "sip/sip_ua_int.h"

#include <errno.h>
#include <malloc.h>
#include <stdlib.h>
#include <sys/eventfd.h>
#include <sys/mman.h>
#include <unistd.h>

#include <sofia-sip/msg_header.h>
#include <sofia-sip/nua_tag.h>
#include <sofia-sip/sofia_features.h>
#include <sofia-sip/sip_header.h>
#include <sofia-sip/su.h>
#include <sofia-sip/su_tag_io.h>
#include <sofia-sip/sresolv.h>
#include <sofia-sip/tport_tag.h>

#include "log/log.h"
#include "sip/sip_int.h"
#include "util/evloop.h"
#include "util/xalloc.h"
#include "vpnsip/version.h"

#define STOP_GRACE_MS 3000       /* unregister + BYEs at shutdown */
#define MAX_AUTH_TRIES 2         /* a second 401 with our credentials: give up (403-like) */

/* ---- owned copies of the settings -------------------------------------- */

static char *dup0(const char *s)
{
	return s && *s ? xstrdup(s) : NULL;
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

bool ua_settings_usable(const struct settings *s)
{
	return s->enabled && s->local_number && s->local_addr && (s->server || s->domain);
}

/* ---- events (SIP thread -> main thread) --------------------------------- */

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

void ua_post_event(struct sip_ua *ua, const struct sip_event *ev)
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

/* ---- the transport's resolver --------------------------------------------- */

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

/* ---- digest credentials ----------------------------------------------------- */

/* The digest credentials for a 401/407 (realm from the challenge). */
bool ua_authenticate(struct sip_ua *ua, nua_handle_t *nh, const sip_t *sip, int *tries)
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

/* ---- nua lifecycle ------------------------------------------------------ */

static void nua_cb(nua_event_t event, int status, char const *phrase, nua_t *nua,
		   struct sip_ua *ua, nua_handle_t *nh, struct sip_call *call, sip_t const *sip,
		   tagi_t tags[]);

static void nua_params(struct sip_ua *ua);
static void nua_make(struct sip_ua *ua);

/* The transport could not be opened: try again with back-off. */
static void transport_retry_cb(su_root_magic_t *m, su_timer_t *t, void *arg)
{
	struct sip_ua *ua = arg;

	if (ua->stopping || ua->nua_shutting || ua->nua)
		return;
	nua_make(ua);
}

static void nua_make(struct sip_ua *ua)
{
	char url[96], ua_name[64], rpath[64];
	const char *rc;

	if (!ua_settings_usable(&ua->cur))
		return;
	rc = resolv_conf(ua, rpath, sizeof(rpath));
	sip_log_set_secret(ua->cur.password);
	/* UDP only: the carrier's SIP is UDP (TS-1017), and a TCP listener
	 * would take requests past the source filter. */
	snprintf(url, sizeof(url), "sip:%s:%u;transport=udp", ua->cur.local_addr, ua->cur.local_port);
	snprintf(ua_name, sizeof(ua_name), "vpnsipd/%s", VPNSIP_VERSION);
	ua->nua = nua_create(ua->root, nua_cb, ua, NUTAG_URL(url), NUTAG_MEDIA_ENABLE(0),
			     TPTAG_LOG(1), SIPTAG_USER_AGENT_STR(ua_name),
			     /* Hundreds of calls at once (a hub): room for the
			      * burst (capped by net.core.rmem_max). */
			     TPTAG_UDP_RMEM(4u << 20), TPTAG_UDP_WMEM(1u << 20),
			     TAG_IF(rc, SRESTAG_RESOLV_CONF(rc)), TAG_END());
	if (!ua->nua) {
		log_msg("SIP", SEV_ERR, "BIND", "Cannot open SIP transport on %s:%u",
			ua->cur.local_addr, ua->cur.local_port);
		ua->backoff_s = reg_backoff_next(ua->backoff_s);
		regs_transport_failed(ua, ua->backoff_s);
		if (!ua->stopping)
			su_timer_set_interval(ua->retry_timer, transport_retry_cb, ua,
					      ua->backoff_s * 1000);
		return;
	}
	ua->backoff_s = 0;
	guard_attach(ua);
	nua_params(ua);
	sip_dbg_transport("SIP transport open on udp/%s:%u", ua->cur.local_addr, ua->cur.local_port);
	regs_restart(ua, false);
}

/* Settings that need no new transport. */
static void nua_params(struct sip_ua *ua)
{
	char *proxy = reg_server_url(&ua->cur);

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
	calls_end_all(ua, SIP_END_LOCAL, 0, why);
	regs_unregister_all(ua);
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
	if (ua_settings_usable(&ua->cur))
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
		reg_on_register(ua, status, phrase, nh, sip);
		break;
	case nua_r_unregister:
		reg_on_unregister(ua, status, phrase, nh);
		break;
	case nua_i_invite:
		if (!c && guard_admit(ua, nh, "INVITE", true))
			break;
		call_on_invite(ua, nh, c, sip);
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
			call_on_invite_response(ua, status, phrase, nh, c, sip);
		break;
	case nua_i_cancel:
		if (c)
			call_set_cause(c, SIP_END_CANCELLED, 487, "Request Terminated");
		break;
	case nua_i_bye:
		if (c)
			call_set_cause(c, SIP_END_REMOTE_BYE, 200, "BYE");
		break;
	case nua_i_state:
		if (c)
			call_on_state(ua, status, phrase, c, tags);
		break;
	case nua_i_terminated:
		if (c) {
			call_set_cause(c, SIP_END_ERROR, status, phrase);
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
			call_on_update(ua, nh, c, sip);
		else if (!c && status < 200)
			nua_respond(nh, 481, "Call/Transaction Does Not Exist", NUTAG_WITH_THIS(nua),
				    TAG_END());
		break;
	case nua_r_update:
		if (c && status >= 300)
			call_refresh_failed(c, status, phrase, "UPDATE");
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
			call_set_local_cause(c, SIP_END_TIMEOUT, 408, "local timeout: no ACK");
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

static void do_configure(struct sip_ua *ua, struct cmd *cmd)
{
	const struct settings *ref = ua->have_want ? &ua->want : &ua->cur;

	if (settings_eq(ref, &cmd->settings) && (ua->nua || ua->have_want || !ua_settings_usable(ref)))
		return;
	if (ua->nua && !ua->nua_shutting && !ua->have_want &&
	    transport_same(&ua->cur, &cmd->settings) && ua_settings_usable(&cmd->settings)) {
		/* Calls survive: new parameters, and a new registration if
		 * what it registers changed. */
		bool rereg = !regs_settings_same(&ua->cur, &cmd->settings);
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
			regs_restart(ua, keep);
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
		if (!n->enabled || !ua_settings_usable(n))
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
	case CMD_PLACE: call_place(ua, cmd); break;
	case CMD_ANSWER: call_answer(ua, cmd); break;
	case CMD_REJECT: call_reject(ua, cmd); break;
	case CMD_HANGUP: call_hangup(ua, cmd); break;
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

	sip_log_levels_update();
	trim_after_bursts(ua);
	calls_tick(ua, evloop_now_ms());
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
	calls_end_all(ua, SIP_END_LOCAL, 0, "Shutdown");
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

const char *sip_library_version(void)
{
	return SOFIA_SIP_VERSION;
}
