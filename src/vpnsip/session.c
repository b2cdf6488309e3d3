/* VPN-SIP sessions: one per VPN-SIP tunnel, and the core of the call
 * state machine: the runtime (maps by tunnel, numbers, SIP handle and
 * Call-ID), the state transitions, the end of a call in TS-1017 4.2 order
 * (SA delete, then BYE) with its reset and retry back-off, sessions that
 * follow the tunnels' configuration, start, SIGTERM quiesce and stop.  The
 * events that drive the machine are in their own files: SIP's calls in
 * session_sip.c, the data plane's and IKE's in session_ike.c; the user
 * agent's settings and registrations in ua.c.  See vpnsip.h.  A call's
 * record is cdr.c's, an answerer's IKE port port_alloc.c's. */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "dataplane/dataplane.h"
#include "net/ifstate.h"
#include "net/netmon.h"
#include "util/evloop.h"
#include "vpnsip/vpnsip_int.h"

struct debug_flag vpnsip_debug_event = {
	.path = "vpn-sip event",
	.help = "VPN-SIP\nSessions, registration and call setup",
	.title = "VPN-SIP event",
};
struct debug_flag vpnsip_debug_errors = {
	.path = "vpn-sip errors",
	.help = "VPN-SIP\nErrors only",
	.title = "VPN-SIP errors",
};

void vpnsip_debug_register(void)
{
	debug_register(&vpnsip_debug_event);
	debug_register(&vpnsip_debug_errors);
}

static struct vpnsip_rt *rt;

struct vpnsip_rt *vpnsip_rt(void)
{
	return rt;
}

HOOK_DEFINE(vpnsip_negotiated);
HOOK_DEFINE(vpnsip_call_ended);
HOOK_DEFINE(vpnsip_delete_sa);
HOOK_DEFINE(vpnsip_ike_active);
HOOK_DEFINE(vpnsip_admit);

const char *vpnsip_state_name(enum vpnsip_state s)
{
	switch (s) {
	case VS_READY_TO_CONNECT: return "READY_TO_CONNECT";
	case VS_CALLING: return "CALLING";
	case VS_ANSWERING: return "ANSWERING";
	case VS_NEGOTIATING_IKE: return "NEGOTIATING_IKE";
	case VS_SESSION_UP: return "SESSION_UP";
	case VS_DELETING_SA: return "DELETING_SA";
	case VS_DISCONNECTING: return "DISCONNECTING";
	}
	return "?";
}

void vpnsip_log(enum log_severity sev, const char *mnemonic, const char *fmt, ...)
{
	const struct vpnsip_cfg *c = rt ? vpnsip_cfg_get(rt->cfg) : NULL;
	va_list ap;

	/* Errors always reach the log; events only with "vpn-sip logging". */
	if (sev > SEV_WARNING && !(c && c->logging))
		return;
	va_start(ap, fmt);
	log_vmsg("VPN_SIP", sev, mnemonic, fmt, ap);
	va_end(ap);
}

void vpnsip_handle_key(uint32_t h, char key[16])
{
	snprintf(key, 16, "%08x", h);
}

void vpnsip_set_state(struct vpnsip_session *s, enum vpnsip_state st)
{
	if (s->state == st)
		return;
	vs_dbg_event("VPN-SIP %s: %s -> %s", s->tunnel, vpnsip_state_name(s->state),
		     vpnsip_state_name(st));
	if (s->state == VS_READY_TO_CONNECT)
		rt->n_active++;
	else if (st == VS_READY_TO_CONNECT)
		rt->n_active--;
	s->state = st;
}

void vpnsip_timer_stop(struct ev_timer **t)
{
	if (*t)
		ev_timer_del(*t);
	*t = NULL;
}

void vpnsip_set_cause(struct vpnsip_session *s, const char *why)
{
	if (!s->cause[0] && why)
		snprintf(s->cause, sizeof(s->cause), "%s", why);
}

static void trigger_rearm(struct vpnsip_session *s)
{
	struct dataplane *dp = dataplane_get();

	if (dp && dp->trigger_rearm)
		dp->trigger_rearm(dp, s->tunnel);
}

/* The attempt failed and waits out its back-off (or could not start): the
 * packets that wait for it in the data plane go now, not when it ends. */
void vpnsip_trigger_queue_drop(struct vpnsip_session *s)
{
	struct dataplane *dp = dataplane_get();

	if (dp && dp->trigger_queue_drop)
		dp->trigger_queue_drop(dp, s->tunnel);
}

/* Whether a session in state st may hold SAs: IKE has the call (an
 * answerer that is IKE responder starts it before the ACK). */
bool vpnsip_sas_may_exist(const struct vpnsip_session *s, enum vpnsip_state st)
{
	return st == VS_NEGOTIATING_IKE || st == VS_SESSION_UP || st == VS_DELETING_SA ||
	       (st == VS_ANSWERING && s->ike_started);
}

bool vpnsip_sa_delete(struct vpnsip_session *s, unsigned timeout_ms)
{
	bool deleting = false;

	hook_call(vpnsip_delete_sa, s->tunnel, timeout_ms, &deleting);
	return deleting;
}

static void quiesce_check(void);

void vpnsip_retry_fire(struct ev_timer *t, void *arg)
{
	struct vpnsip_session *s = arg;

	s->retry_timer = NULL; /* fired: the loop frees it */
	vs_dbg_event("VPN-SIP %s: retry back-off over, traffic may call again", s->tunnel);
	trigger_rearm(s);
}

void vpnsip_retry_arm(struct vpnsip_session *s, unsigned delay_s)
{
	vpnsip_timer_stop(&s->retry_timer);
	s->retry_at_ms = evloop_now_ms() + delay_s * 1000ULL;
	s->retry_timer = ev_timer_add(rt->loop, delay_s * 1000ULL, vpnsip_retry_fire, s);
}

void vpnsip_last_failure(struct vpnsip_session *s, const char *why)
{
	struct timespec now;

	clock_gettime(CLOCK_REALTIME, &now);
	s->last_fail_ms = (int64_t)now.tv_sec * 1000 + now.tv_nsec / 1000000;
	snprintf(s->last_fail, sizeof(s->last_fail), "%s", why);
}

static unsigned backoff_s(unsigned fails)
{
	unsigned d = VPNSIP_RETRY_BASE_S;

	while (fails-- > 1 && d < VPNSIP_RETRY_MAX_S)
		d *= 2;
	return d < VPNSIP_RETRY_MAX_S ? d : VPNSIP_RETRY_MAX_S;
}

/* Forget the call: back to READY_TO_CONNECT; a CDR, and after a failure
 * the retry back-off. */
void vpnsip_call_reset(struct vpnsip_session *s)
{
	char key[16], cause[sizeof(s->cause)];
	bool had_call = s->state != VS_READY_TO_CONNECT;
	bool failed = s->failed, was_up = s->reached_up;
	struct vpnsip_session_info down; /* the call as it was, for the observers */

	if (was_up && vpnsip_event_observed())
		vpnsip_session_info_fill(s, &down);
	vpnsip_timer_stop(&s->step_timer);
	vpnsip_timer_stop(&s->dur_timer);
	vpnsip_timer_stop(&s->ack_timer);
	if (had_call)
		vpnsip_cdr_call_ended(s);
	snprintf(cause, sizeof(cause), "%s", s->cause[0] ? s->cause : "normal");
	if (s->sip_handle) {
		vpnsip_handle_key(s->sip_handle, key);
		if (hashmap_get(&rt->by_handle, key) == s)
			hashmap_del(&rt->by_handle, key);
	}
	if (s->call_id[0] && hashmap_get(&rt->by_callid, s->call_id) == s)
		hashmap_del(&rt->by_callid, s->call_id);
	s->sip_handle = 0;
	s->call_id[0] = '\0';
	memset(&s->peer, 0, sizeof(s->peer));
	vpnsip_port_release(&rt->ports, s);
	s->local_port = 0;
	s->since_ms = 0;
	s->cause[0] = '\0';
	s->failed = s->reached_up = s->ike_started = false;
	s->cdr_start = s->cdr_answer = 0;
	vpnsip_set_state(s, VS_READY_TO_CONNECT);
	if (!had_call)
		return;
	hook_call(vpnsip_call_ended, s->tunnel);
	if (was_up) {
		/* Always logged, as SESSION_UP: the backup path came or went. */
		log_msg("VPN_SIP", SEV_NOTICE, "SESSION_DOWN", "%s: session with %s down: %s", s->tunnel,
			s->remote_number, cause);
		if (vpnsip_event_observed())
			vpnsip_event_session_down(&down, cause);
	}
	if (failed) {
		unsigned d = backoff_s(++s->fail_count);
		rt->calls_failed++;
		/* Always logged: every failed attempt may cost money. */
		log_msg("VPN_SIP", SEV_WARNING, "CALL_FAIL",
			"%s: call with %s failed: %s (attempt %u; next call not before %u s)", s->tunnel,
			s->remote_number, cause, s->fail_count, d);
		vpnsip_last_failure(s, cause);
		vpnsip_timer_stop(&s->retry_timer);
		if (!rt->quiescing)
			vpnsip_retry_arm(s, d);
		vpnsip_trigger_queue_drop(s);
	} else {
		trigger_rearm(s);
	}
	quiesce_check();
	vpnsip_apply_check();
}

/* BYE (or CANCEL) now; the call ends with SIP_EV_CALL_ENDED. */
void vpnsip_send_bye(struct vpnsip_session *s)
{
	vpnsip_timer_stop(&s->step_timer);
	if (s->sip_handle) {
		vpnsip_set_state(s, VS_DISCONNECTING);
		sip_call_hangup(rt->ua, s->sip_handle);
	} else {
		vpnsip_call_reset(s);
	}
}

void vpnsip_session_teardown(struct vpnsip_session *s, const char *why, bool failure)
{
	enum vpnsip_state was = s->state;

	if (was == VS_READY_TO_CONNECT || was == VS_DELETING_SA || was == VS_DISCONNECTING)
		return;
	vpnsip_set_cause(s, why);
	s->failed = s->failed || failure;
	vpnsip_log(SEV_NOTICE, "CALL_CLEAR", "%s: ending the call with %s (%s)", s->tunnel,
		   s->remote_number, why);
	vpnsip_timer_stop(&s->dur_timer);
	if (vpnsip_sas_may_exist(s, was)) {
		/* TS-1017 4.2: release the SAs before the BYE, which may take
		 * the media path away. */
		vpnsip_set_state(s, VS_DELETING_SA);
		if (vpnsip_sa_delete(s, VPNSIP_DELETE_WAIT_MS))
			return; /* vpnsip_ike_event(DOWN) sends the BYE */
	}
	vpnsip_send_bye(s);
}

void vpnsip_session_hangup(struct vpnsip_session *s, const char *why)
{
	vpnsip_session_teardown(s, why, false);
}

/* ---- sessions follow the configuration ---------------------------------- */

static void session_free(struct vpnsip_session *s)
{
	vpnsip_timer_stop(&s->step_timer);
	vpnsip_timer_stop(&s->dur_timer);
	vpnsip_timer_stop(&s->ack_timer);
	vpnsip_timer_stop(&s->retry_timer);
	free(s->tunnel);
	free(s->local_number);
	free(s->remote_number);
	free(s->service_policy);
	free(s);
}

/* The BYE of a call whose session is gone (configuration removed), sent
 * VPNSIP_SA_DROP_MS after its SA delete so that the delete is first on the
 * wire (TS-1017 4.2); the call's end event finds no session then. */
struct late_bye {
	uint32_t handle;
	struct ev_timer *timer;
	struct late_bye *next;
};

static void late_bye_unlink(struct late_bye *b)
{
	for (struct late_bye **pp = &rt->late_byes; *pp; pp = &(*pp)->next)
		if (*pp == b) {
			*pp = b->next;
			return;
		}
}

static void late_bye_fire(struct ev_timer *t, void *arg)
{
	struct late_bye *b = arg;

	b->timer = NULL; /* fired: the loop frees it */
	late_bye_unlink(b);
	sip_call_hangup(rt->ua, b->handle);
	free(b);
}

static void late_bye_add(uint32_t handle)
{
	struct late_bye *b = xcalloc(1, sizeof(*b));

	b->handle = handle;
	b->next = rt->late_byes;
	rt->late_byes = b;
	b->timer = ev_timer_add(rt->loop, VPNSIP_SA_DROP_MS, late_bye_fire, b);
}

/* The session's call goes now (its configuration was removed or changed):
 * SAs first, then BYE, without waiting for answers. */
static void call_drop_now(struct vpnsip_session *s, const char *why)
{
	enum vpnsip_state was = s->state;
	bool had_sa = false;

	if (was == VS_READY_TO_CONNECT)
		return;
	vpnsip_set_cause(s, why);
	vpnsip_log(SEV_NOTICE, "CALL_CLEAR", "%s: ending the call with %s (%s)", s->tunnel,
		   s->remote_number, why);
	vpnsip_set_state(s, VS_DISCONNECTING); /* the DOWN the delete raises is expected */
	if (vpnsip_sas_may_exist(s, was))
		had_sa = vpnsip_sa_delete(s, VPNSIP_SA_DROP_MS);
	if (s->sip_handle && had_sa && !rt->quiescing)
		late_bye_add(s->sip_handle);
	else if (s->sip_handle)
		sip_call_hangup(rt->ua, s->sip_handle);
	vpnsip_call_reset(s);
}

static void pair_unlink(struct vpnsip_session *s)
{
	char key[VPNSIP_PAIR_KEY_MAX];

	if (!s->remote_number)
		return;
	vpnsip_pair_key(s->local_number, s->remote_number, key, sizeof(key));
	if (hashmap_get(&rt->by_pair, key) == s)
		hashmap_del(&rt->by_pair, key);
}

static void session_remove(struct vpnsip_session *s)
{
	call_drop_now(s, "configuration removed");
	vpnsip_timer_stop(&s->retry_timer);
	hashmap_del(&rt->by_tunnel, s->tunnel);
	pair_unlink(s);
	session_free(s);
}

static void set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = v ? xstrdup(v) : NULL;
}

static bool str_eq(const char *a, const char *b)
{
	return (!a && !b) || (a && b && strcmp(a, b) == 0);
}

void vpnsip_tunnel_sync(struct config *cfg, struct iface_cfg *ifc, bool deleted)
{
	const struct vpnsip_tunnel *t;
	struct vpnsip_session *s;

	if (!rt || cfg != rt->cfg)
		return;
	t = deleted ? NULL : vpnsip_tunnel_get(ifc);
	s = hashmap_get(&rt->by_tunnel, ifc->name);
	if (!t) {
		if (s)
			session_remove(s);
		return;
	}
	if (!s) {
		s = xcalloc(1, sizeof(*s));
		s->tunnel = xstrdup(ifc->name);
		s->crypto_handle = rt->next_crypto++;
		hashmap_put(&rt->by_tunnel, s->tunnel, s);
	} else if (!str_eq(s->remote_number, t->remote_number) ||
		   !str_eq(s->local_number, t->local_number)) {
		/* Another peer: the call of the old one goes. */
		call_drop_now(s, "configuration changed");
	}
	if (!str_eq(s->remote_number, t->remote_number) || !str_eq(s->local_number, t->local_number)) {
		char key[VPNSIP_PAIR_KEY_MAX];
		pair_unlink(s);
		set_str(&s->remote_number, t->remote_number);
		set_str(&s->local_number, t->local_number);
		vpnsip_pair_key(s->local_number, s->remote_number, key, sizeof(key));
		hashmap_put(&rt->by_pair, key, s);
	}
	set_str(&s->service_policy, t->service_policy);
	s->bw_conf = t->bandwidth;
	/* "shutdown" ends the call as "clear" does (delete, then BYE); a shut
	 * tunnel places and takes no call until "no shutdown". */
	s->shut = ifc->shutdown;
	if (s->shut)
		vpnsip_session_teardown(s, "interface shut down", false);
}

/* ---- runtime ------------------------------------------------------------- */

int vpnsip_start(struct evloop *loop, struct config *cfg)
{
	size_t n;
	struct iface_cfg **ifs;

	if (rt)
		return 0;
	rt = xcalloc(1, sizeof(*rt));
	rt->loop = loop;
	rt->cfg = cfg;
	rt->next_crypto = 0x80000001u;
	hashmap_init(&rt->by_tunnel, true);
	hashmap_init(&rt->by_pair, false);
	hashmap_init(&rt->regs, false);
	vpnsip_ports_init(&rt->ports);
	hashmap_init(&rt->by_handle, false);
	hashmap_init(&rt->by_callid, false);
	rt->ua = sip_ua_start(loop, vpnsip_on_sip_event, NULL);
	/* Sessions of the tunnels configured so far (the boot file). */
	ifs = iface_sorted(&cfg->ifaces, &n);
	for (size_t i = 0; i < n; i++)
		if (vpnsip_tunnel_get(ifs[i]))
			vpnsip_tunnel_sync(cfg, ifs[i], false);
	free(ifs);
	hook_register(ifstate_changed, vpnsip_on_ifstate, NULL, HOOK_PRIO_DEFAULT);
	hook_register(netmon_dev_changed, vpnsip_on_netmon, NULL, HOOK_PRIO_DEFAULT);
	vpnsip_apply_sip();
	return rt->ua ? 0 : -1;
}

static void quiesce_finish(void)
{
	void (*done)(void *) = rt->quiesce_done;

	rt->quiesce_done = NULL;
	vpnsip_timer_stop(&rt->quiesce_timer);
	if (done)
		done(rt->quiesce_arg);
}

static void quiesce_check(void)
{
	if (rt->quiesce_done && rt->n_active == 0)
		quiesce_finish();
}

static void quiesce_fire(struct ev_timer *t, void *arg)
{
	rt->quiesce_timer = NULL; /* fired: the loop frees it */
	log_msg("VPN_SIP", SEV_WARNING, "SHUTDOWN", "%zu session(s) still ending: stopping anyway",
		rt->n_active);
	quiesce_finish();
}

bool vpnsip_quiesce(void (*done)(void *arg), void *arg)
{
	size_t n;
	struct vpnsip_session **v;

	if (!rt || rt->quiescing)
		return false;
	rt->quiescing = true;
	if (!rt->n_active)
		return false;
	rt->quiesce_done = done;
	rt->quiesce_arg = arg;
	rt->quiesce_timer = ev_timer_add(rt->loop, VPNSIP_QUIESCE_MS, quiesce_fire, NULL);
	v = vpnsip_sessions_sorted(&n);
	for (size_t i = 0; i < n; i++) {
		vpnsip_timer_stop(&v[i]->retry_timer);
		vpnsip_session_teardown(v[i], "shutdown", false);
	}
	free(v);
	return true; /* done called now or later */
}

void vpnsip_stop(void)
{
	size_t n;
	void **v;

	if (!rt)
		return;
	hook_unregister(ifstate_changed, vpnsip_on_ifstate, NULL);
	hook_unregister(netmon_dev_changed, vpnsip_on_netmon, NULL);
	sip_ua_stop(rt->ua); /* unregisters and hangs up (BYE) */
	rt->ua = NULL;
	v = hashmap_values(&rt->by_tunnel, &n);
	for (size_t i = 0; i < n; i++)
		session_free(v[i]);
	free(v);
	hashmap_clear(&rt->by_tunnel);
	hashmap_clear(&rt->by_pair);
	vpnsip_ports_fini(&rt->ports);
	v = hashmap_values(&rt->regs, &n);
	for (size_t i = 0; i < n; i++)
		free(v[i]);
	free(v);
	hashmap_clear(&rt->regs);
	hashmap_clear(&rt->by_handle);
	hashmap_clear(&rt->by_callid);
	vpnsip_timer_stop(&rt->quiesce_timer);
	vpnsip_timer_stop(&rt->apply_timer);
	while (rt->late_byes) {
		struct late_bye *b = rt->late_byes;
		rt->late_byes = b->next;
		vpnsip_timer_stop(&b->timer);
		free(b);
	}
	free(rt);
	rt = NULL;
}

static int cmp_sessions(const void *a, const void *b)
{
	const struct vpnsip_session *x = *(void *const *)a, *y = *(void *const *)b;
	return iface_name_cmp(x->tunnel, y->tunnel);
}

struct vpnsip_session **vpnsip_sessions_sorted(size_t *n)
{
	struct vpnsip_session **v;

	if (!rt) {
		*n = 0;
		return NULL;
	}
	v = (struct vpnsip_session **)hashmap_values(&rt->by_tunnel, n);
	if (*n)
		qsort(v, *n, sizeof(*v), cmp_sessions);
	return v;
}
