/* IKE sessions: one per tunnel interface, owned by the main thread.
 *
 * A session (struct session) is what the orchestrator or a static tunnel
 * started: its parameters and runtime state.  Starting one builds its
 * snapshot (ike_peer_cfg.c) and installs it in the registry (ike_snap.c)
 * that libcharon's threads read through the backend, the credential set
 * and the listener; the listener posts copies of what happened to the main
 * thread, where ike_session_deliver() updates the session and tells the
 * orchestrator.  Initiating and deleting IKE SAs are jobs for libcharon's
 * workers: the main thread never waits for an IKE SA. */
#include <library.h>
#include <daemon.h>
#include <processing/jobs/callback_job.h>

#include "ike/ike_session_int.h"

#include <arpa/inet.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "dataplane/tunnel.h"
#include "log/log.h"
#include "util/hashmap.h"
#include "util/xalloc.h"

struct config *ike_cfg_model;

static struct hashmap sessions; /* tunnel -> session */
static unsigned next_session_id = 1;

HOOK_DEFINE(ike_event);

bool ike_session_exists(const char *tunnel)
{
	return hashmap_get(&sessions, tunnel) != NULL;
}

struct session *ike_session_find(const char *tunnel)
{
	return hashmap_get(&sessions, tunnel);
}

struct session **ike_sessions_all(size_t *n)
{
	return (struct session **)hashmap_values(&sessions, n);
}

static void session_free(struct session *se)
{
	ike_liveness_stop(se);
	if (se->retry_timer)
		ev_timer_del(se->retry_timer);
	if (se->stop_timer) {
		ev_timer_del(se->stop_timer);
		free(se->stop_arg);
	}
	free(se->tunnel);
	free(se->local_id);
	free(se->remote_id);
	free(se->ipsec_profile);
	free(se->ikev2_profile);
	free(se->last_cause);
	free(se);
}

static char *dup_or_null(const char *s)
{
	return s && *s ? xstrdup(s) : NULL;
}

/* The IPsec and IKEv2 profiles of a session, resolved. */
void ike_profiles_of(const struct session *se, const struct ipsec_profile **ip,
		     const char **ikev2_name)
{
	const struct iface_cfg *ifc = iface_find(&ike_cfg_model->ifaces, se->tunnel);
	const struct tunnel_ext *t = ifc ? tunnel_ext_get(ifc) : NULL;
	const char *ikn = tunnel_ikev2_profile(ike_cfg_model, ifc, ip);

	/* The test hook's session may name its own profiles. */
	if (se->ipsec_profile) {
		*ip = crypto_ipsec_profile_find(ike_cfg_model, se->ipsec_profile);
		ikn = t && t->ikev2_profile ? t->ikev2_profile : *ip ? (*ip)->ikev2_profile : NULL;
	}
	*ikev2_name = se->ikev2_profile ? se->ikev2_profile : ikn;
}

static void emit_alg(enum ike_event_type type, struct session *se, const char *cause,
		     const struct ev_msg *m)
{
	struct ike_event ev = {
		.type = type,
		.tunnel = se->tunnel,
		.spi_in = se->spi_in,
		.spi_out = se->spi_out,
		.local = se->local,
		.remote = se->remote,
		.cause = cause,
		.enc_alg = m ? m->enc_alg : 0,
		.enc_key_bits = m ? m->enc_key_bits : 0,
		.int_alg = m ? m->int_alg : 0,
	};

	hook_call(ike_event, &ev);
}

static void emit(enum ike_event_type type, struct session *se, const char *cause)
{
	emit_alg(type, se, cause, NULL);
}

static void session_remove(struct session *se)
{
	struct dataplane *dp = dataplane_get();

	hashmap_del(&sessions, se->tunnel);
	ike_snap_remove(se->tunnel);
	if (se->local_port && dp)
		dp->port_close(dp, se->local_port);
	if (dp)
		dp->trigger_rearm(dp, se->tunnel);
	session_free(se);
}

static job_requeue_t initiate_job(char *tunnel)
{
	peer_cfg_t *pc = charon->backends->get_peer_cfg_by_name(charon->backends, tunnel);
	child_cfg_t *cc = NULL;
	enumerator_t *e;

	if (!pc)
		return JOB_REQUEUE_NONE;
	e = pc->create_child_cfg_enumerator(pc);
	if (e->enumerate(e, &cc))
		cc->get_ref(cc);
	e->destroy(e);
	if (cc)
		charon->controller->initiate(charon->controller, pc, cc, NULL, NULL, 0, FALSE);
	else
		pc->destroy(pc);
	return JOB_REQUEUE_NONE;
}

void ike_session_initiate(const char *tunnel)
{
	lib->processor->queue_job(lib->processor,
				  (job_t *)callback_job_create((callback_job_cb_t)initiate_job,
							       xstrdup(tunnel), free, NULL));
}

void ike_session_deliver(void *arg)
{
	struct ev_msg *m = arg;
	struct session *se = hashmap_get(&sessions, m->tunnel);
	struct dataplane *dp = dataplane_get();
	char l[INET_ADDRSTRLEN], r[INET_ADDRSTRLEN];

	if (!se)
		goto out;
	switch (m->type) {
	case IKE_EV_UP:
	case IKE_EV_REKEYED:
		se->unique_id = m->unique_id;
		se->spi_in = m->spi_in;
		se->spi_out = m->spi_out;
		se->enc_alg = m->enc_alg;
		se->enc_key_bits = m->enc_key_bits;
		se->int_alg = m->int_alg;
		se->local = m->local;
		se->remote = m->remote;
		if (m->type == IKE_EV_UP && !se->up) {
			se->up = true;
			se->up_since_ms = evloop_now_ms();
			se->nat_here = m->nat_here;
			ike_liveness_start(se);
			inet_ntop(AF_INET, &m->local.sin_addr, l, sizeof(l));
			inet_ntop(AF_INET, &m->remote.sin_addr, r, sizeof(r));
			log_msg("CRYPTO", SEV_NOTICE, "SESSION_STATUS",
				"Crypto tunnel is UP  .  Peer %s:%u  Interface: %s  Local %s:%u  SPI in 0x%08X out 0x%08X",
				r, ntohs(m->remote.sin_port), se->tunnel, l, ntohs(m->local.sin_port),
				m->spi_in, m->spi_out);
		}
		emit_alg(m->type, se, NULL, m);
		break;
	case IKE_EV_IKE_REKEYED:
		/* Only the IKE SA changed; its CHILD SA (and SPIs) stay. */
		se->unique_id = m->unique_id;
		se->local = m->local;
		se->remote = m->remote;
		emit(IKE_EV_IKE_REKEYED, se, NULL);
		break;
	case IKE_EV_AUTH_FAILED:
		free(se->last_cause);
		se->last_cause = m->cause ? xstrdup(m->cause) : NULL;
		log_msg("IKEV2", SEV_ERR, "AUTH_FAILED", "%s: IKE_AUTH failed: %s", se->tunnel,
			m->cause ? m->cause : "?");
		emit(IKE_EV_AUTH_FAILED, se, m->cause);
		break;
	case IKE_EV_DOWN:
		if (se->unique_id && m->unique_id != se->unique_id && se->up)
			break; /* an older IKE SA of this tunnel (rekeyed, replaced) */
		if (se->up)
			log_msg("CRYPTO", SEV_NOTICE, "SESSION_STATUS",
				"Crypto tunnel is DOWN. Interface: %s  (%s)", se->tunnel,
				se->stopping ? "stopped" : m->cause ? m->cause : "deleted");
		se->up = false;
		se->spi_in = se->spi_out = 0;
		ike_liveness_stop(se);
		free(se->last_cause);
		se->last_cause = m->cause ? xstrdup(m->cause) : NULL;
		if (dp)
			dp->trigger_rearm(dp, se->tunnel);
		if (se->stopping) {
			emit(IKE_EV_DOWN, se, "stopped");
			session_remove(se);
		} else {
			emit(IKE_EV_DOWN, se, m->cause ? m->cause : "deleted");
			/* The listener may have stopped the session, which
			 * frees it: look it up again. */
			se = hashmap_get(&sessions, m->tunnel);
			/* A static tunnel keeps trying, as IOS: whatever ended
			 * the IKE SA (DPD, a refused proposal, a delete). */
			if (se && se->is_static && !se->stopping)
				ike_static_retry(se);
		}
		break;
	}
out:
	free(m->tunnel);
	free(m->cause);
	free(m);
}

typedef struct {
	uint32_t unique_id;
	bool force;
} term_t;

static job_requeue_t terminate_job(term_t *t)
{
	charon->controller->terminate_ike(charon->controller, t->unique_id, t->force, NULL, NULL, 0);
	return JOB_REQUEUE_NONE;
}

void ike_queue_terminate(uint32_t unique_id, bool force)
{
	term_t *t;

	if (!unique_id)
		return;
	INIT(t, .unique_id = unique_id, .force = force);
	lib->processor->queue_job(lib->processor,
				  (job_t *)callback_job_create((callback_job_cb_t)terminate_job, t,
							       free, NULL));
}

/* The IKE SA of a tunnel (unique id), found in libcharon: used when the
 * session has not reported one yet (still connecting). */
static uint32_t find_ike_sa(const char *tunnel)
{
	enumerator_t *e = charon->controller->create_ike_sa_enumerator(charon->controller, FALSE);
	ike_sa_t *sa;
	uint32_t id = 0;

	while (e->enumerate(e, &sa)) {
		if (streq(sa->get_name(sa), tunnel)) {
			id = sa->get_unique_id(sa);
			break;
		}
	}
	e->destroy(e);
	return id;
}

int ike_session_start(const struct ike_session_params *p, char *err, size_t errlen)
{
	struct dataplane *dp = dataplane_get();
	struct session *se, *old;
	struct snap *s;

	if (!ike_running || !dp) {
		snprintf(err, errlen, "the IKEv2 engine is not running");
		return -1;
	}
	if (!dp_tunnel_id(p->tunnel) || !iface_find(&ike_cfg_model->ifaces, p->tunnel)) {
		snprintf(err, errlen, "%s is not a configured tunnel interface", p->tunnel);
		return -1;
	}
	se = xcalloc(1, sizeof(*se));
	se->tunnel = xstrdup(p->tunnel);
	se->role = p->role;
	se->local_port = p->local_port == CHARON_UDP_PORT || p->local_port == CHARON_NATT_PORT ?
				 0 : p->local_port;
	/* An SDP that said 4500 means IKE from 4500 (with the non-ESP
	 * marker): a stock peer answers a NAT-T port with the marker, which
	 * port 500 would not strip (RFC 3948, RFC 7296 2.23). */
	se->ike_port = p->local_port ? p->local_port : CHARON_UDP_PORT;
	se->peer = p->peer;
	se->local_id = dup_or_null(p->local_id);
	se->remote_id = dup_or_null(p->remote_id);
	se->ipsec_profile = dup_or_null(p->ipsec_profile);
	se->ikev2_profile = dup_or_null(p->ikev2_profile);
	se->vpn_sip = p->vpn_sip;
	se->id = next_session_id++;
	ike_liveness_cfg(se);
	s = ike_snap_build(se, err, errlen);
	if (!s) {
		session_free(se);
		return -1;
	}
	if (se->local_port && dp->port_open(dp, se->local_port) < 0) {
		snprintf(err, errlen, "cannot open UDP port %u: %s", se->local_port, strerror(errno));
		ike_snap_put(s);
		session_free(se);
		return -1;
	}
	/* Restart: the old IKE SA goes (quietly), the new config replaces it. */
	old = hashmap_get(&sessions, se->tunnel);
	if (old) {
		uint32_t uid = old->unique_id ? old->unique_id : find_ike_sa(old->tunnel);
		hashmap_del(&sessions, old->tunnel);
		if (old->local_port)
			dp->port_close(dp, old->local_port);
		ike_queue_terminate(uid, true);
		session_free(old);
	}
	hashmap_put(&sessions, se->tunnel, se);
	ike_snap_install(s);
	/* No trigger_rearm here: the attempt goes on, and the packets that
	 * wait in the trigger queue leave through the SA it brings. */
	{
		/* The idle timer of the tunnel's SAs: the profile's, else global. */
		const struct ipsec_profile *ip;
		const char *ikn;
		ike_profiles_of(se, &ip, &ikn);
		dp->tunnel_set_idle(dp, se->tunnel, crypto_ipsec_idle_time(ike_cfg_model, ip));
	}
	if (se->role == IKE_ROLE_INITIATOR)
		ike_session_initiate(se->tunnel);
	return 0;
}

static void stop_timeout(struct ev_timer *t, void *arg)
{
	char *tunnel = arg;
	struct session *se = hashmap_get(&sessions, tunnel);

	if (se && se->stopping && se->stop_arg == tunnel) {
		se->stop_timer = NULL; /* fired: the loop frees it */
		se->stop_arg = NULL;
		ike_queue_terminate(se->unique_id ? se->unique_id : find_ike_sa(tunnel), true);
		emit(IKE_EV_DOWN, se, "stopped (peer did not answer the delete)");
		session_remove(se);
	}
	free(tunnel);
}

void ike_session_stop(const char *tunnel, unsigned timeout_ms)
{
	struct session *se = hashmap_get(&sessions, tunnel);
	uint32_t uid;

	if (!se || se->stopping)
		return;
	se->stopping = true;
	uid = se->unique_id ? se->unique_id : find_ike_sa(tunnel);
	if (!uid) {
		emit(IKE_EV_DOWN, se, "stopped");
		session_remove(se);
		return;
	}
	ike_queue_terminate(uid, false);
	se->stop_arg = xstrdup(tunnel);
	se->stop_timer = ev_timer_add(ike_loop, timeout_ms ? timeout_ms : 5000, stop_timeout,
				      se->stop_arg);
}

unsigned ike_clear_sessions(const struct in_addr *remote)
{
	unsigned n = 0;
	size_t cnt;
	void **v = hashmap_values(&sessions, &cnt);

	for (size_t i = 0; i < cnt; i++) {
		struct session *se = v[i];
		uint32_t uid;
		if (remote && (se->peer.addr.af != AF_INET || se->peer.addr.v4.s_addr != remote->s_addr))
			continue;
		uid = se->unique_id ? se->unique_id : find_ike_sa(se->tunnel);
		if (uid) {
			ike_queue_terminate(uid, false);
			n++;
		}
	}
	free(v);
	return n;
}

int ike_sessions_init(struct config *cfg)
{
	ike_cfg_model = cfg;
	hashmap_init(&sessions, true);
	ike_snaps_init();
	ike_creds_register();
	ike_backend_register();
	ike_listener_register();
	ike_static_init(cfg);
	return 0;
}

void ike_sessions_shutdown(void)
{
	size_t n;
	void **v = hashmap_values(&sessions, &n);

	ike_static_shutdown();
	ike_listener_unregister();
	ike_backend_unregister();
	ike_creds_unregister();
	for (size_t i = 0; i < n; i++) {
		struct session *se = v[i];
		struct dataplane *dp = dataplane_get();
		if (se->local_port && dp)
			dp->port_close(dp, se->local_port);
		session_free(se);
	}
	free(v);
	hashmap_clear(&sessions);
	ike_snaps_shutdown();
}
