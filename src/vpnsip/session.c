/* VPN-SIP sessions: one per VPN-SIP tunnel, the call state machine, and
 * the glue between the configuration, the interface state (local address,
 * DHCP option 120) and the SIP user agent.  See vpnsip.h.  A call's record
 * is cdr.c's, an answerer's IKE port port_alloc.c's. */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dataplane/dataplane.h"
#include "net/ifstate.h"
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

__attribute__((constructor)) static void vpnsip_debug_register(void)
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

static bool ike_active(struct vpnsip_session *s)
{
	return hook_call(vpnsip_ike_active, s->tunnel);
}

/* Every subscriber may veto a session before a call is placed or answered. */
static bool admitted(struct vpnsip_session *s, char *err, size_t errlen)
{
	return hook_call(vpnsip_admit, s->tunnel, s->service_policy, err, errlen);
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
		vpnsip_log(SEV_NOTICE, "SESSION_DOWN", "%s: session with %s down: %s", s->tunnel,
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
		vpnsip_timer_stop(&s->retry_timer);
		if (!rt->quiescing)
			s->retry_timer = ev_timer_add(rt->loop, d * 1000ULL, vpnsip_retry_fire, s);
	} else {
		trigger_rearm(s);
	}
	quiesce_check();
	vpnsip_apply_check();
}

static void set_call_id(struct vpnsip_session *s, const char *call_id)
{
	if (!call_id[0] || strcmp(s->call_id, call_id) == 0)
		return;
	if (s->call_id[0] && hashmap_get(&rt->by_callid, s->call_id) == s)
		hashmap_del(&rt->by_callid, s->call_id);
	snprintf(s->call_id, sizeof(s->call_id), "%s", call_id);
	hashmap_put(&rt->by_callid, s->call_id, s);
}

static void bind_handle(struct vpnsip_session *s, uint32_t h)
{
	char key[16];

	s->sip_handle = h;
	vpnsip_handle_key(h, key);
	hashmap_put(&rt->by_handle, key, s);
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
}

/* ---- what the SIP user agent should be ---------------------------------- */

void vpnsip_apply_sip(void)
{
	const struct vpnsip_cfg *c = vpnsip_cfg_get(rt->cfg);
	struct sip_settings st = { 0 };
	const struct ifstate *is = NULL;
	char server[64] = "", dns[128] = "";
	struct sip_net servers[SIP_GUARD_MAX_NETS / 2];
	size_t n_servers = 0;

	rt->local_addr[0] = '\0';
	rt->sip_server[0] = '\0';
	rt->sip_server_src[0] = '\0';
	rt->sip_domain[0] = '\0';
	if (c && c->addr_iface)
		is = ifstate_get(c->addr_iface);
	if (is && is->has_addr)
		inet_ntop(AF_INET, &is->addr.addr, rt->local_addr, sizeof(rt->local_addr));
	if (c && c->has_server) {
		inet_ntop(AF_INET, &c->server, server, sizeof(server));
		snprintf(rt->sip_server_src, sizeof(rt->sip_server_src), "static");
		st.server_port = c->server_port;
	} else if (is && is->dhcp.bound && is->dhcp.nsip_addrs) {
		inet_ntop(AF_INET, &is->dhcp.sip_addrs[0], server, sizeof(server));
		snprintf(rt->sip_server_src, sizeof(rt->sip_server_src), "DHCP");
		/* The user agent uses the first; each is the carrier's server. */
		for (size_t i = 0; i < is->dhcp.nsip_addrs && n_servers < SIP_GUARD_MAX_NETS / 2; i++)
			servers[n_servers++] = (struct sip_net){ is->dhcp.sip_addrs[i].s_addr, 0xffffffffu };
	} else if (is && is->dhcp.bound && is->dhcp.nsip_domains) {
		snprintf(server, sizeof(server), "%s", is->dhcp.sip_domains[0]);
		snprintf(rt->sip_server_src, sizeof(rt->sip_server_src), "DHCP");
		/* The name is resolved with the lease's name servers (option 6). */
		for (size_t i = 0; i < is->dhcp.ndns_addrs && i < 3; i++) {
			char a[INET_ADDRSTRLEN];
			inet_ntop(AF_INET, &is->dhcp.dns_addrs[i], a, sizeof(a));
			snprintf(dns + strlen(dns), sizeof(dns) - strlen(dns), "%s%s", i ? " " : "", a);
		}
	}
	snprintf(rt->sip_server, sizeof(rt->sip_server), "%s", server);
	if (c && c->domain)
		snprintf(rt->sip_domain, sizeof(rt->sip_domain), "%s", c->domain);
	else if (is && is->dhcp.bound && is->dhcp.nsip_domains)
		snprintf(rt->sip_domain, sizeof(rt->sip_domain), "%s", is->dhcp.sip_domains[0]);
	else
		snprintf(rt->sip_domain, sizeof(rt->sip_domain), "%s", server);

	st.enabled = c && c->enabled && c->local_number && rt->local_addr[0] && server[0];
	st.local_number = c ? c->local_number : NULL;
	st.local_numbers = c ? (const char *const *)c->numbers : NULL;
	st.n_local_numbers = c ? c->n_numbers : 0;
	st.local_addr = rt->local_addr[0] ? rt->local_addr : NULL;
	st.server = server[0] ? server : NULL;
	st.domain = rt->sip_domain[0] ? rt->sip_domain : NULL;
	st.username = c ? c->username : NULL;
	st.password = c ? c->password : NULL;
	st.expires = c && c->expires ? c->expires : VPNSIP_DEFAULT_EXPIRES;
	st.session_expires = VPNSIP_SESSION_EXPIRES;
	st.uri_form = c ? c->uri_form : SIP_URI_TEL;
	st.call_timeout = c && c->call_timeout ? c->call_timeout : VPNSIP_CALL_TIMEOUT;
	st.dns_servers = dns[0] ? dns : NULL;
	/* IKE and ESP-in-UDP are accepted on the SIP address (the c= of our
	 * SDP); none while VPN-SIP has none. */
	struct dataplane *dp = dataplane_get();
	if (dp && dp->ports_accept) {
		struct in_addr la = { 0 };
		bool have = st.enabled && inet_pton(AF_INET, rt->local_addr, &la) == 1;
		dp->ports_accept(dp, DP_ADDRS_VPNSIP, &la, have ? 1 : 0, false);
	}
	st.servers = servers;
	st.n_servers = n_servers;
	st.trusted = c ? c->trusted : NULL;
	st.n_trusted = c ? c->n_trusted : 0;
	if (c)
		st.limits = c->limits;
	sip_ua_configure(rt->ua, &st);
	hook_call(vpnsip_status_changed);
}

static void apply_fire(struct ev_timer *t, void *arg)
{
	rt->apply_timer = NULL; /* fired: the loop frees it */
	rt->apply_deferred = false;
	vpnsip_apply_sip();
}

/* The calls a deferred apply waited for have ended. */
void vpnsip_apply_check(void)
{
	if (rt->apply_deferred && rt->n_active == 0) {
		rt->apply_deferred = false;
		vpnsip_timer_stop(&rt->apply_timer);
		vpnsip_apply_sip();
	}
}

void vpnsip_cfg_changed(struct config *cfg)
{
	const struct vpnsip_cfg *c;

	if (!rt || cfg != rt->cfg)
		return;
	c = vpnsip_cfg_get(cfg);
	if (!(c && c->enabled && c->local_number) && rt->n_active && !rt->quiescing) {
		/* VPN-SIP switched off ("no vpn-sip enable", no local number):
		 * the user agent would hang every call up at once; first the
		 * calls end in TS-1017 order (SAs, then BYE).  Once per
		 * command, not per event. */
		size_t n;
		struct vpnsip_session **v = vpnsip_sessions_sorted(&n);
		rt->apply_deferred = true;
		for (size_t i = 0; i < n; i++)
			vpnsip_session_teardown(v[i], "VPN-SIP disabled", false);
		free(v);
		if (rt->n_active) {
			if (!rt->apply_timer)
				rt->apply_timer = ev_timer_add(rt->loop, VPNSIP_DELETE_WAIT_MS + 2000,
							       apply_fire, NULL);
			return;
		}
		rt->apply_deferred = false;
	}
	if (rt->apply_deferred)
		return; /* applied when the calls ended */
	vpnsip_apply_sip();
}

void vpnsip_on_ifstate(const struct ifstate *st, unsigned what, void *arg)
{
	const struct vpnsip_cfg *c = vpnsip_cfg_get(rt->cfg);

	if (c && c->addr_iface && strcasecmp(c->addr_iface, st->name) == 0 &&
	    (what & (IFSTATE_ADDR | IFSTATE_DHCP | IFSTATE_GONE)))
		vpnsip_apply_sip();
}

/* ---- placing calls ----------------------------------------------------- */

static enum sdp_fp_kind local_auth(struct vpnsip_session *s, struct sdp_fingerprint *fp,
				   const char **why)
{
	static char err[160];
	const struct vpnsip_cfg *c = vpnsip_cfg_get(rt->cfg);

	if (!vpnsip_local_fingerprint(rt->cfg, s->tunnel, s->remote_number,
				      c ? c->hash : SDP_HASH_SHA1, fp, err, sizeof(err))) {
		*why = err;
		return SDP_FP_NONE;
	}
	return fp->kind;
}

static char *local_sdp(struct vpnsip_session *s, enum sdp_setup role,
		       const struct sdp_fingerprint *fp)
{
	struct sdp_local l = {
		.addr = rt->local_addr,
		.port = s->local_port,
		.bw_kbps = s->bw_conf,
		.setup = role,
		.fp = fp,
		.sess_id = evloop_now_ms(),
		.sess_version = 1,
	};
	return sdp_write(&l);
}

int vpnsip_call(const char *tunnel_name, const char **why)
{
	struct vpnsip_session *s;
	struct sdp_fingerprint fp;
	const struct vpnsip_cfg *c;

	if (!rt) {
		*why = "VPN-SIP is not running";
		return -1;
	}
	c = vpnsip_cfg_get(rt->cfg);
	s = hashmap_get(&rt->by_tunnel, tunnel_name);
	if (!s) {
		*why = "not a VPN-SIP tunnel";
		return -1;
	}
	if (s->state != VS_READY_TO_CONNECT) {
		*why = vpnsip_state_name(s->state);
		return -1;
	}
	if (!c || !c->enabled) {
		*why = "VPN-SIP is not enabled";
		return -1;
	}
	const struct sip_reg_status *reg = vpnsip_reg_status(s->local_number);
	if (!reg || reg->state != SIP_REG_REGISTERED) {
		*why = "SIP is not registered";
		return -1;
	}
	if (rt->quiescing) {
		*why = "shutting down";
		return -1;
	}
	/* Billing safety: at most VPNSIP_RATE_CALLS attempts per window. */
	uint64_t now = evloop_now_ms(), oldest = s->attempts[s->attempt_next];
	if (oldest && now - oldest < VPNSIP_RATE_WINDOW_S * 1000ULL) {
		static char msg[96];
		snprintf(msg, sizeof(msg), "call attempt rate limit (%d per %d s): next in %llu s",
			 VPNSIP_RATE_CALLS, VPNSIP_RATE_WINDOW_S,
			 (unsigned long long)((VPNSIP_RATE_WINDOW_S * 1000ULL - (now - oldest)) / 1000 + 1));
		*why = msg;
		rt->calls_rate_limited++;
		log_msg("VPN_SIP", SEV_WARNING, "CALL_LIMIT", "%s: not calling %s: %s", s->tunnel,
			s->remote_number, msg);
		return -1;
	}
	if (local_auth(s, &fp, why) == SDP_FP_NONE) {
		vpnsip_log(SEV_ERR, "CALL_FAIL", "%s: no local fingerprint: %s", s->tunnel, *why);
		return -1;
	}
	static char refused[256];
	if (!admitted(s, refused, sizeof(refused))) {
		*why = refused;
		/* Always logged: the operator must see why nothing is called. */
		log_msg("VPN_SIP", SEV_ERR, "SESSION_FAIL", "%s: VPN-SIP session fails: %s",
			s->tunnel, refused);
		return -1;
	}
	s->attempts[s->attempt_next] = now;
	s->attempt_next = (s->attempt_next + 1) % VPNSIP_RATE_CALLS;
	vpnsip_cdr_call_started(s);
	s->auth = fp.kind;
	s->local_port = vpnsip_local_port(s->tunnel);
	inet_pton(AF_INET, rt->local_addr, &s->local_addr);
	char *sdp = local_sdp(s, SDP_SETUP_ACTIVE, &fp);
	s->initiator = true;
	s->ike_initiator = true;
	s->since_ms = evloop_now_ms();
	bind_handle(s, sip_call_place_from(rt->ua, s->local_number, s->remote_number, sdp));
	free(sdp);
	vpnsip_set_state(s, VS_CALLING);
	/* Always logged: each attempt may cost money. */
	log_msg("VPN_SIP", SEV_INFO, "CALL_OUT", "%s: calling %s (attempt %u)", s->tunnel,
		s->remote_number, s->fail_count + 1);
	return 0;
}

void vpnsip_trigger(const char *tunnel_name)
{
	struct vpnsip_session *s = rt ? hashmap_get(&rt->by_tunnel, tunnel_name) : NULL;
	const char *why;

	if (!s || s->state != VS_READY_TO_CONNECT)
		return;
	if (s->retry_timer) {
		/* Back-off after a failure: the trigger is re-armed when it ends. */
		rt->calls_backed_off++;
		vs_dbg_event("VPN-SIP %s: traffic, but in retry back-off", tunnel_name);
		return;
	}
	vs_dbg_event("VPN-SIP %s: traffic without SA triggers the call", tunnel_name);
	if (vpnsip_call(tunnel_name, &why) < 0) {
		vs_dbg_error("VPN-SIP %s: cannot call: %s", tunnel_name, why);
		/* Not registered yet, or rate limited: try again a bit later. */
		if (!rt->quiescing && !s->retry_timer)
			s->retry_timer = ev_timer_add(rt->loop, VPNSIP_RETRY_BASE_S * 1000ULL,
						      vpnsip_retry_fire, s);
	}
}

static void step_fire(struct ev_timer *t, void *arg)
{
	struct vpnsip_session *s = arg;

	s->step_timer = NULL; /* fired: the loop frees it */
	if (s->state == VS_NEGOTIATING_IKE || s->state == VS_ANSWERING) {
		vpnsip_log(SEV_ERR, "SESSION_FAIL", "%s: IKE did not come up in %d s", s->tunnel,
			   VPNSIP_IKE_SETUP_MS / 1000);
		vpnsip_session_teardown(s, "IKE did not come up in time", true);
	} else if (s->state == VS_DISCONNECTING && s->sip_handle) {
		/* The peer deleted the SAs but sent no BYE: we do. */
		vs_dbg_event("VPN-SIP %s: no BYE after the peer's delete: sending BYE", s->tunnel);
		sip_call_hangup(rt->ua, s->sip_handle);
	}
}

static void dur_fire(struct ev_timer *t, void *arg)
{
	struct vpnsip_session *s = arg;

	s->dur_timer = NULL;
	vpnsip_session_teardown(s, "maximum call duration reached", false);
}

void vpnsip_ike_event(const char *tunnel_name, enum vpnsip_ike_ev ev, const char *cause)
{
	struct vpnsip_session *s = rt ? hashmap_get(&rt->by_tunnel, tunnel_name) : NULL;
	char why[96];

	if (!s)
		return;
	switch (ev) {
	case VPNSIP_IKE_UP:
		if (s->state != VS_NEGOTIATING_IKE && s->state != VS_ANSWERING)
			return; /* ANSWERING: IKE was faster than the ACK */
		vpnsip_timer_stop(&s->step_timer);
		vpnsip_timer_stop(&s->ack_timer); /* the peer proved itself: the ACK may come late */
		s->reached_up = true;
		s->fail_count = 0;
		vpnsip_set_state(s, VS_SESSION_UP);
		vpnsip_log(SEV_NOTICE, "SESSION_UP", "%s: session with %s up", s->tunnel,
			   s->remote_number);
		vpnsip_event_session_up(s);
		const struct vpnsip_cfg *c = vpnsip_cfg_get(rt->cfg);
		if (c && c->max_call_s && !s->dur_timer) {
			uint64_t up = evloop_now_ms() - s->since_ms, lim = c->max_call_s * 1000ULL;
			s->dur_timer = ev_timer_add(rt->loop, up < lim ? lim - up : 1, dur_fire, s);
		}
		return;
	case VPNSIP_IKE_AUTH_FAILED:
		snprintf(why, sizeof(why), "IKE authentication failed: %s", cause ? cause : "?");
		vpnsip_log(SEV_ERR, "SESSION_FAIL", "%s: %s", s->tunnel, why);
		vpnsip_session_teardown(s, why, true);
		return;
	case VPNSIP_IKE_DOWN:
		break;
	case VPNSIP_IKE_LOST:
		if (s->state != VS_SESSION_UP)
			break; /* as any other end of the SA */
		/* Nobody will delete or hang up from the other side: the BYE
		 * now (it may still reach the peer's SIP terminal). */
		vpnsip_set_cause(s, cause ? cause : "peer not responding");
		vpnsip_timer_stop(&s->dur_timer);
		vpnsip_set_state(s, VS_DISCONNECTING);
		vpnsip_timer_stop(&s->step_timer);
		if (s->sip_handle)
			sip_call_hangup(rt->ua, s->sip_handle);
		return;
	}
	switch (s->state) {
	case VS_DELETING_SA:
		/* Our delete was answered (or timed out): now the BYE. */
		vpnsip_send_bye(s);
		break;
	case VS_NEGOTIATING_IKE:
	case VS_ANSWERING:
		snprintf(why, sizeof(why), "IKE failed: %s", cause ? cause : "?");
		vpnsip_log(SEV_ERR, "SESSION_FAIL", "%s: %s", s->tunnel, why);
		vpnsip_session_teardown(s, why, true);
		break;
	case VS_SESSION_UP:
		/* The peer deleted the SAs; TS-1017 4.2 has its BYE follow. */
		snprintf(why, sizeof(why), "SAs deleted by the peer (%s)", cause ? cause : "deleted");
		vpnsip_set_cause(s, why);
		vpnsip_timer_stop(&s->dur_timer);
		vpnsip_set_state(s, VS_DISCONNECTING);
		vpnsip_timer_stop(&s->step_timer);
		s->step_timer = ev_timer_add(rt->loop, VPNSIP_PEER_BYE_WAIT_MS, step_fire, s);
		break;
	default:
		break;
	}
}

void vpnsip_ike_state(const char *tunnel_name, bool up)
{
	vpnsip_ike_event(tunnel_name, up ? VPNSIP_IKE_UP : VPNSIP_IKE_DOWN, NULL);
}

void vpnsip_idle(const char *tunnel_name)
{
	struct vpnsip_session *s = rt ? hashmap_get(&rt->by_tunnel, tunnel_name) : NULL;

	if (s && s->state == VS_SESSION_UP)
		vpnsip_session_teardown(s, "idle timeout", false);
}

/* ---- SIP events --------------------------------------------------------- */

/* Give the call to the IKE engine (and QoS): the SDPs are agreed. */
static void start_ike(struct vpnsip_session *s)
{
	struct vpnsip_peer_info p = {
		.tunnel = s->tunnel,
		.local_number = s->local_number,
		.remote_number = s->remote_number,
		.local_addr = s->local_addr,
		.local_port = s->local_port,
		.peer = s->peer,
		.ike_initiator = s->ike_initiator,
		.call_initiator = s->initiator,
		.auth = s->auth,
		.service_policy = s->service_policy,
	};
	vpnsip_cdr_call_answered(s);
	s->ike_started = true;
	hook_call(vpnsip_negotiated, &p);
	/* Bounded: IKE that never finishes must not hold the call (and its
	 * cost).  Without an IKE engine the call stays (SIP-only tests). */
	if ((s->state == VS_NEGOTIATING_IKE || s->state == VS_ANSWERING) && ike_active(s) &&
	    !s->step_timer)
		s->step_timer = ev_timer_add(rt->loop, VPNSIP_IKE_SETUP_MS, step_fire, s);
}

/* s->peer holds the peer's SDP: IKE's turn. */
void vpnsip_session_negotiated(struct vpnsip_session *s)
{
	char a[VPNSIP_ADDR_TEXT_MAX];

	vpnsip_set_state(s, VS_NEGOTIATING_IKE);
	vpnsip_log(SEV_NOTICE, "NEGOTIATED", "%s: %s at %s:%u, bandwidth %u kbps", s->tunnel,
		   s->remote_number, vpnsip_addr_text(&s->peer.addr, a, sizeof(a)), s->peer.port,
		   s->peer.bw_kbps);
	if (!s->ike_started)
		start_ike(s);
}

/* The rule c= address text breaks as one of this router's addresses or
 * the broadcast of one of its subnets (any interface); NULL if neither. */
static const char *addr_local_rule(const char *text)
{
	struct ifaddrs *ifs;
	const char *rule;

	if (rt->local_addr[0] && strcmp(rt->local_addr, text) == 0)
		return "c= address is one of ours";
	if (getifaddrs(&ifs) < 0)
		return NULL;
	rule = sdp_addr_local_rule(text, ifs);
	freeifaddrs(ifs);
	return rule;
}

/* The rule the c= address of an offer or answer breaks (IKE would go
 * there), into buf; NULL if it may be used. */
static const char *addr_refused(const struct sdp_ike *sdp, char *buf, size_t size)
{
	const char *rule = sdp->af == 4 ? sdp_addr_rule(sdp->addr) : NULL;

	if (!rule && sdp->af == 4)
		rule = addr_local_rule(sdp->addr);
	if (!rule)
		return NULL;
	snprintf(buf, size, "%s: %s", rule, sdp->addr);
	return buf;
}

/* The peer's role in IKE when ours is role. */
static enum sdp_setup peer_role(enum sdp_setup role)
{
	return role == SDP_SETUP_ACTIVE ? SDP_SETUP_PASSIVE : SDP_SETUP_ACTIVE;
}

static void reject(const struct sip_event *ev, int code, const char *phrase, const char *why)
{
	sip_call_reject(rt->ua, ev->call, code, phrase);
	if (code == 488)
		rt->rejected_488++;
	else if (code == VPNSIP_REJECT_UNKNOWN)
		rt->rejected_unknown++;
	/* Always logged: a refused call is what an operator looks for; at a
	 * bounded rate, as callers decide how often this happens. */
	static struct log_ratelimit rl = LOG_RATELIMIT_INIT(10000, 20);
	log_msg_limited(&rl, "VPN_SIP", SEV_WARNING, "CALL_REJECT", "Call from %s (call-id %s) rejected %d %s: %s",
		ev->caller[0] ? ev->caller : "unknown", ev->call_id, code, phrase, why);
}

/* Our 200 OK was neither acknowledged nor followed by IKE within the offer
 * timeout: whoever called does not complete the call (a caller that
 * vanished, or one that only wanted our SDP).  The tunnel is free again
 * at once; the dialog ends in the background (BYE once SIP allows it, or
 * the user agent's own timeout). */
static void ack_fire(struct ev_timer *t, void *arg)
{
	struct vpnsip_session *s = arg;
	uint32_t h = s->sip_handle;

	s->ack_timer = NULL; /* fired: the loop frees it */
	if (s->initiator || !h || (s->state != VS_ANSWERING && s->state != VS_NEGOTIATING_IKE))
		return;
	rt->released_no_ack++;
	log_msg("VPN_SIP", SEV_WARNING, "NO_ACK",
		"%s: the call from %s (call-id %s) was not acknowledged within %d s: "
		"releasing the tunnel", s->tunnel, s->remote_number, s->call_id,
		SIP_OFFER_TIMEOUT_MS / 1000);
	vpnsip_set_cause(s, "answer not acknowledged");
	vpnsip_call_reset(s);
	sip_call_hangup(rt->ua, h);
}

static void on_offered(const struct sip_event *ev)
{
	const struct vpnsip_cfg *c = vpnsip_cfg_get(rt->cfg);
	struct vpnsip_session *s = NULL;
	struct sdp_fingerprint fp;
	const char *why = NULL;
	char key[VPNSIP_PAIR_KEY_MAX];
	int rc;

	/* The tunnel of (called number, caller): one hash lookup.  With a
	 * single local number the called number is not checked: a carrier
	 * may present it in another form. */
	if (ev->caller[0]) {
		vpnsip_pair_key(ev->callee, ev->caller, key, sizeof(key));
		s = hashmap_get(&rt->by_pair, key);
		if (!s && c && c->n_numbers == 1) {
			vpnsip_pair_key(c->local_number, ev->caller, key, sizeof(key));
			s = hashmap_get(&rt->by_pair, key);
		}
	}

	if (!s) {
		reject(ev, VPNSIP_REJECT_UNKNOWN, "Decline", "caller is not a configured remote number");
		return;
	}
	if (!c || !c->enabled) {
		reject(ev, 480, "Temporarily Unavailable", "VPN-SIP is not enabled");
		return;
	}
	if (rt->quiescing) {
		reject(ev, 480, "Temporarily Unavailable", "shutting down");
		return;
	}
	if (s->state == VS_CALLING && s->sip_handle &&
	    strcmp(s->local_number, s->remote_number) < 0) {
		/* Glare: both called at once.  The lower number gives up its
		 * own call and answers; the higher one keeps calling (and
		 * answers our INVITE 486). */
		vpnsip_log(SEV_INFO, "GLARE", "%s: call collision with %s: taking the incoming call",
			   s->tunnel, s->remote_number);
		vpnsip_set_cause(s, "call collision: took the peer's call");
		uint32_t h = s->sip_handle;
		vpnsip_call_reset(s);
		sip_call_hangup(rt->ua, h);
	}
	if (s->state != VS_READY_TO_CONNECT) {
		reject(ev, 486, "Busy Here", vpnsip_state_name(s->state));
		return;
	}
	if (!ev->has_sdp || ev->sdp_err != SDP_OK) {
		reject(ev, 488, "Not Acceptable Here",
		       ev->has_sdp ? sdp_strerror(ev->sdp_err) : "no SDP offer");
		return;
	}
	char rule[96];
	if (addr_refused(&ev->sdp, rule, sizeof(rule))) {
		rt->rejected_addr++;
		reject(ev, 488, "Not Acceptable Here", rule);
		return;
	}
	if (local_auth(s, &fp, &why) == SDP_FP_NONE) {
		reject(ev, 488, "Not Acceptable Here", why);
		return;
	}
	char refused[256];
	if (!admitted(s, refused, sizeof(refused))) {
		log_msg("VPN_SIP", SEV_ERR, "SESSION_FAIL", "%s: VPN-SIP session fails: %s",
			s->tunnel, refused);
		reject(ev, 480, "Temporarily Unavailable", refused);
		return;
	}
	rc = sdp_check_offer(&ev->sdp, fp.kind, SDP_ROLE_ACTIVE | SDP_ROLE_PASSIVE, &why);
	if (rc) {
		reject(ev, rc, "Not Acceptable Here", why);
		return;
	}
	enum sdp_setup role = sdp_answer_role(ev->sdp.setup, SDP_ROLE_ACTIVE | SDP_ROLE_PASSIVE);
	struct vpnsip_peer offer_peer;
	if (!vpnsip_peer_from_sdp(&ev->sdp, s->bw_conf, peer_role(role), &offer_peer)) {
		reject(ev, 488, "Not Acceptable Here", "c= address is not an IPv4 address");
		return;
	}
	s->auth = fp.kind;
	s->initiator = false;
	s->ike_initiator = role == SDP_SETUP_ACTIVE;
	s->local_port = vpnsip_port_for_answer(&rt->ports, s, ev->sdp.addr);
	if (!s->local_port) {
		reject(ev, 503, "Service Unavailable", "no free IKE port");
		return;
	}
	inet_pton(AF_INET, rt->local_addr, &s->local_addr);
	s->since_ms = evloop_now_ms();
	vpnsip_cdr_call_started(s);
	bind_handle(s, ev->call);
	set_call_id(s, ev->call_id);
	char *sdp = local_sdp(s, role, &fp);
	vpnsip_set_state(s, VS_ANSWERING);
	s->peer = offer_peer;
	vpnsip_log(SEV_INFO, "CALL_IN", "%s: answered the call from %s", s->tunnel, s->remote_number);
	/* As IKE responder we are ready before the 200 OK leaves: the caller
	 * starts IKE once it has the answer, and its IKE_SA_INIT (direct)
	 * overtakes its ACK (through the SIP server), and would overtake our
	 * own IKE set-up if the 200 OK went first.  Without the ACK the call
	 * ends (nua's 408) and the SAs go with it.  As IKE initiator we wait
	 * for the ACK. */
	if (!s->ike_initiator)
		vpnsip_session_negotiated(s);
	if (s->sip_handle == ev->call) { /* IKE could not start: hung up (480) */
		sip_call_answer(rt->ua, ev->call, sdp);
		s->ack_timer = ev_timer_add(rt->loop, SIP_OFFER_TIMEOUT_MS, ack_fire, s);
	}
	free(sdp);
}

static void on_answered(struct vpnsip_session *s, const struct sip_event *ev)
{
	const char *why = NULL;

	set_call_id(s, ev->call_id);
	if (!s->initiator)
		vpnsip_timer_stop(&s->ack_timer); /* our 200 OK was acknowledged */
	if (s->state == VS_ANSWERING) {
		/* Our 200 OK was acknowledged. */
		vpnsip_session_negotiated(s);
		return;
	}
	if (s->state != VS_CALLING)
		return;
	if (ev->has_sdp && ev->sdp_err == SDP_OK && s->local_port == VPNSIP_IKE_PORT &&
	    !s->port_key[0]) {
		/* Our 4500 serves this peer now: an answered call from the same
		 * address gets a port of its own. */
		vpnsip_port_claim(&rt->ports, s, ev->sdp.addr, VPNSIP_IKE_PORT, false);
	}
	char rule[96];
	int rc = !ev->has_sdp ? 488
		 : ev->sdp_err != SDP_OK ? 488
					 : sdp_check_answer(&ev->sdp, SDP_SETUP_ACTIVE, s->auth, &why);
	if (!rc && (why = addr_refused(&ev->sdp, rule, sizeof(rule)))) {
		rt->rejected_addr++;
		rc = 488;
	}
	struct vpnsip_peer answer_peer;
	if (!rc && !vpnsip_peer_from_sdp(&ev->sdp, s->bw_conf, SDP_SETUP_PASSIVE, &answer_peer)) {
		why = "c= address is not an IPv4 address";
		rc = 488;
	}
	if (rc) {
		why = !ev->has_sdp ? "no SDP answer"
		      : ev->sdp_err != SDP_OK ? sdp_strerror(ev->sdp_err)
					      : why;
		log_msg("VPN_SIP", SEV_WARNING, "ANSWER_REJECT",
			"%s: answer of %s not acceptable (%s): hanging up", s->tunnel, s->remote_number,
			why);
		char c[96];
		snprintf(c, sizeof(c), "answer not acceptable: %s", why);
		vpnsip_set_cause(s, c);
		s->failed = true;
		vpnsip_send_bye(s);
		return;
	}
	s->peer = answer_peer;
	vpnsip_session_negotiated(s);
}

static void on_call_ended(struct vpnsip_session *s, const struct sip_event *ev)
{
	char why[96];
	bool failure;

	set_call_id(s, ev->call_id);
	switch (ev->cause) {
	case SIP_END_REMOTE_BYE:
		snprintf(why, sizeof(why), "BYE from the peer");
		break;
	case SIP_END_CANCELLED:
		snprintf(why, sizeof(why), "cancelled by the caller");
		break;
	case SIP_END_REJECTED:
		snprintf(why, sizeof(why), "rejected %d %s", ev->status, ev->phrase);
		break;
	case SIP_END_TIMEOUT:
		snprintf(why, sizeof(why), "no answer (%d %s)", ev->status, ev->phrase);
		break;
	case SIP_END_ERROR:
		snprintf(why, sizeof(why), "SIP error %d %s", ev->status, ev->phrase);
		break;
	default:
		snprintf(why, sizeof(why), "hung up");
		break;
	}
	vpnsip_log(SEV_NOTICE, "CALL_END", "%s: call with %s ended: %s (%d %s)", s->tunnel,
		   s->remote_number, sip_end_cause_name(ev->cause), ev->status, ev->phrase);
	/* A call that never carried a session failed, unless we ended it for
	 * a reason that is not a failure (then s->cause is set already). */
	failure = !s->reached_up && ev->cause != SIP_END_CANCELLED &&
		  !(ev->cause == SIP_END_LOCAL && s->cause[0]);
	vpnsip_set_cause(s, why);
	s->failed = s->failed || failure;
	if (vpnsip_sas_may_exist(s, s->state)) {
		/* A BYE while SAs exist: they go at once (the answer to the BYE
		 * is already out). */
		vpnsip_set_state(s, VS_DISCONNECTING);
		vpnsip_sa_delete(s, VPNSIP_SA_DROP_MS);
	}
	vpnsip_call_reset(s);
}

const struct sip_reg_status *vpnsip_reg_status(const char *number)
{
	return rt && number ? hashmap_get(&rt->regs, number) : NULL;
}

static void reg_changed(struct sip_reg_status *cur, const struct sip_reg_status *now)
{
	enum sip_reg_state old = cur->state;

	*cur = *now;
	if (old != now->state)
		hook_call(vpnsip_status_changed);
	if (old != now->state && now->state == SIP_REG_REGISTERED)
		vpnsip_log(SEV_NOTICE, "REGISTERED", "SIP number %s registered at %s", now->number,
			   now->registrar);
	else if (old == SIP_REG_REGISTERED && now->state != SIP_REG_REGISTERED) {
		vpnsip_log(SEV_NOTICE, "UNREGISTERED", "SIP number %s not registered (%d %s)",
			   now->number, now->last_status, now->last_phrase);
		vpnsip_event_registration_lost(now);
	}
}

/* One number's registration; a number no longer configured is forgotten
 * once it is off, and "" means every number is off. */
void vpnsip_on_registration(const struct sip_reg_status *reg)
{
	const struct vpnsip_cfg *c = vpnsip_cfg_get(rt->cfg);
	struct sip_reg_status *cur;

	if (!reg->number[0]) {
		for (struct hashmap_entry *e = NULL; (e = hashmap_next(&rt->regs, e));) {
			struct sip_reg_status off = { .state = SIP_REG_OFF };
			cur = e->value;
			snprintf(off.number, sizeof(off.number), "%s", cur->number);
			reg_changed(cur, &off);
		}
		return;
	}
	cur = hashmap_get(&rt->regs, reg->number);
	if (!cur) {
		cur = xcalloc(1, sizeof(*cur));
		hashmap_put(&rt->regs, reg->number, cur);
	}
	reg_changed(cur, reg);
	if (reg->state == SIP_REG_OFF && !vpnsip_cfg_has_number(c, reg->number))
		free(hashmap_del(&rt->regs, reg->number));
}

void vpnsip_on_sip_event(const struct sip_event *ev, void *arg)
{
	struct vpnsip_session *s = NULL;
	char key[16];

	if (!rt)
		return;
	if (ev->call) {
		vpnsip_handle_key(ev->call, key);
		s = hashmap_get(&rt->by_handle, key);
	}
	switch (ev->type) {
	case SIP_EV_REGISTRATION:
		vpnsip_on_registration(&ev->reg);
		break;
	case SIP_EV_CALL_OFFERED:
		on_offered(ev);
		break;
	case SIP_EV_CALL_PROGRESS:
		if (s)
			set_call_id(s, ev->call_id);
		break;
	case SIP_EV_CALL_ANSWERED:
		if (s)
			on_answered(s, ev);
		break;
	case SIP_EV_CALL_ENDED:
		if (s)
			on_call_ended(s, ev);
		break;
	}
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
