/* Liveness of the sessions: DPD and NAT keepalives (main thread).
 *
 * Both are per IKEv2 profile, which libcharon cannot do (its keep_alive
 * and retransmission settings are global, read when an IKE SA is made),
 * so the engine runs them with one heap timer each per session:
 *
 *  - DPD ("dpd I R periodic|on-demand"): periodic sends a DPD (an empty
 *    INFORMATIONAL) every I seconds whatever the traffic; on-demand only
 *    when ESP went out since the last packet came in and nothing (ESP or
 *    IKE) came in for I seconds, as IOS.  Unanswered, the peer is checked
 *    again every R seconds and declared dead after DPD_RETRIES checks
 *    (R x 5 s): the IKE SA is deleted.  libcharon retransmits the request
 *    on its global schedule (ike_charon.c) and gives up after about 15 s,
 *    so R x 5 above 15 s is cut short by that.
 *  - NAT keepalives ("nat keepalive S", else "crypto isakmp|ikev2 nat
 *    keepalive S"): a 1-byte 0xFF UDP packet (RFC 3948) from the session's
 *    port to the peer's when NAT-D found a NAT in front of us and nothing
 *    was sent to the peer for S seconds. */
#include <library.h>
#include <daemon.h>
#include <processing/jobs/callback_job.h>

#include "ike/ike_session_int.h"

#include <arpa/inet.h>
#include <stdio.h>

#include "log/log.h"

static void addr_port_show(const struct sockaddr_in *a, char *buf, size_t n)
{
	char s[INET_ADDRSTRLEN];

	inet_ntop(AF_INET, &a->sin_addr, s, sizeof(s));
	snprintf(buf, n, "%s:%u", s, ntohs(a->sin_port));
}

static inline uint64_t u64max(uint64_t a, uint64_t b)
{
	return a > b ? a : b;
}

#define DPD_RETRIES 5

static job_requeue_t dpd_job(void *arg)
{
	ike_sa_t *sa = charon->ike_sa_manager->checkout_by_id(charon->ike_sa_manager,
							     (uint32_t)(uintptr_t)arg);

	if (!sa)
		return JOB_REQUEUE_NONE;
	/* peer_cfg dpd = 0: send_dpd() queues a DPD now unless an exchange
	 * is in flight already (which tests the peer as well). */
	if (sa->get_state(sa) == IKE_ESTABLISHED && sa->send_dpd(sa) == DESTROY_ME)
		charon->ike_sa_manager->checkin_and_destroy(charon->ike_sa_manager, sa);
	else
		charon->ike_sa_manager->checkin(charon->ike_sa_manager, sa);
	return JOB_REQUEUE_NONE;
}

void ike_liveness_cfg(struct session *se)
{
	const struct ipsec_profile *ip;
	const char *ikn;
	const struct ikev2_profile *prof;
	const struct crypto_globals *g = crypto_globals(ike_cfg_model);

	ike_profiles_of(se, &ip, &ikn);
	prof = ikn ? crypto_ikev2_profile_find(ike_cfg_model, ikn) : NULL;
	se->dpd_mode = prof && prof->dpd_interval ? prof->dpd_mode : IKEV2_DPD_OFF;
	se->dpd_interval = prof ? prof->dpd_interval : 0;
	se->dpd_retry = prof && prof->dpd_retry ? prof->dpd_retry : 2;
	se->keepalive = prof && prof->nat_keepalive ? prof->nat_keepalive :
			g ? g->nat_keepalive : 0;
}

struct use_times {
	uint64_t in, out; /* newest packet in (ESP or authenticated IKE) / out */
};

static void use_times(const struct session *se, struct use_times *u)
{
	struct dataplane *dp = dataplane_get();
	struct snap *s = ike_snap_find(se->tunnel);
	struct dp_sa_stats st;

	u->in = se->up_since_ms;
	u->out = se->up_since_ms;
	if (s) {
		u->in = u64max(u->in, __atomic_load_n(&s->last_ike_in_ms, __ATOMIC_RELAXED));
		u->out = u64max(u->out, __atomic_load_n(&s->last_ike_out_ms, __ATOMIC_RELAXED));
		ike_snap_put(s);
	}
	if (dp && se->spi_in && dp->sa_query(dp, se->spi_in, true, &st) == 0)
		u->in = u64max(u->in, st.last_use_ms);
	if (dp && se->spi_out && dp->sa_query(dp, se->spi_out, false, &st) == 0)
		u->out = u64max(u->out, st.last_use_ms);
}

static void dpd_tick(struct ev_timer *t, void *arg);

static void dpd_schedule(struct session *se, uint64_t ms)
{
	if (se->dpd_timer)
		ev_timer_del(se->dpd_timer);
	se->dpd_timer = ev_timer_add(ike_loop, ms ? ms : 1, dpd_tick, se);
}

static void dpd_tick(struct ev_timer *t, void *arg)
{
	struct session *se = arg;
	uint64_t now = evloop_now_ms(), ival = (uint64_t)se->dpd_interval * 1000;
	struct use_times u;

	(void)t;
	se->dpd_timer = NULL; /* fired: the loop frees it */
	if (!se->up || se->stopping || se->dpd_mode == IKEV2_DPD_OFF || !se->unique_id)
		return;
	use_times(se, &u);
	if (se->dpd_pending) {
		struct snap *s = ike_snap_find(se->tunnel);
		uint64_t ike_in = s ? __atomic_load_n(&s->last_ike_in_ms, __ATOMIC_RELAXED) : 0;
		if (ike_in >= se->dpd_sent_ms || u.in >= se->dpd_sent_ms) {
			/* answered (or traffic came): the next one I s after this one */
			uint64_t since = now - se->dpd_sent_ms;
			se->dpd_pending = false;
			ike_snap_put(s);
			dpd_schedule(se, since < ival ? ival - since : 1);
			return;
		} else if (++se->dpd_tries >= DPD_RETRIES) {
			char peer[64];
			addr_port_show(&se->remote, peer, sizeof(peer));
			log_msg("IKEV2", SEV_NOTICE, "DPD_DEAD",
				"%s: peer %s did not answer DPD (%u checks, %u s apart): deleting the IKE SA",
				se->tunnel, peer, DPD_RETRIES, se->dpd_retry);
			if (s)
				ike_snap_set_cause(s, "peer not responding (DPD)");
			se->dpd_pending = false;
			ike_queue_terminate(se->unique_id, true);
			ike_snap_put(s);
			return;
		}
		ike_snap_put(s);
		dpd_schedule(se, (uint64_t)se->dpd_retry * 1000);
		return;
	}
	bool want = se->dpd_mode == IKEV2_DPD_PERIODIC ||
		    (u.out > u.in && now - u.in >= ival);
	if (!want) {
		/* on-demand: look again when I seconds of silence may have passed */
		uint64_t next = now - u.in < ival ? ival - (now - u.in) : ival;
		dpd_schedule(se, next);
		return;
	}
	if (debug_on(&debug_ikev2) || debug_on(&debug_ikev2_internal))
		log_debug_line("IKEv2:%s sending DPD (%s)", se->tunnel,
			       se->dpd_mode == IKEV2_DPD_PERIODIC ? "periodic" : "on-demand");
	se->dpd_pending = true;
	se->dpd_tries = 0;
	se->dpd_sent_ms = now;
	se->dpd_sent++;
	lib->processor->queue_job(lib->processor,
				  (job_t *)callback_job_create((callback_job_cb_t)dpd_job,
							       (void *)(uintptr_t)se->unique_id,
							       NULL, NULL));
	dpd_schedule(se, (uint64_t)se->dpd_retry * 1000);
}

static void ka_tick(struct ev_timer *t, void *arg)
{
	struct session *se = arg;
	struct dataplane *dp = dataplane_get();
	uint64_t now = evloop_now_ms(), ival = (uint64_t)se->keepalive * 1000, last;
	struct use_times u;

	(void)t;
	se->ka_timer = NULL;
	if (!se->up || se->stopping || !se->keepalive || !se->nat_here || !dp)
		return;
	use_times(se, &u);
	last = u64max(u.out, se->ka_last_ms);
	if (now - last + 50 >= ival) {
		static const uint8_t ka = 0xFF;
		if (dp->ike_send(dp, &se->local, &se->remote, &ka, 1) == 0)
			se->keepalives_sent++;
		if (debug_on(&debug_ikev2_packet) || debug_on(&debug_ikev2)) {
			char peer[64];
			addr_port_show(&se->remote, peer, sizeof(peer));
			log_debug_line("IKEv2:%s sending NAT keepalive to %s", se->tunnel, peer);
		}
		se->ka_last_ms = now;
		last = now;
	}
	se->ka_timer = ev_timer_add(ike_loop, ival - (now - last), ka_tick, se);
}

void ike_liveness_stop(struct session *se)
{
	if (se->dpd_timer)
		ev_timer_del(se->dpd_timer);
	if (se->ka_timer)
		ev_timer_del(se->ka_timer);
	se->dpd_timer = se->ka_timer = NULL;
	se->dpd_pending = false;
}

/* (Re)arm the timers of a session that is up, with its current settings. */
void ike_liveness_start(struct session *se)
{
	ike_liveness_stop(se);
	if (!se->up)
		return;
	if (se->dpd_mode != IKEV2_DPD_OFF && se->dpd_interval)
		dpd_schedule(se, (uint64_t)se->dpd_interval * 1000);
	if (se->keepalive && se->nat_here)
		se->ka_timer = ev_timer_add(ike_loop, (uint64_t)se->keepalive * 1000, ka_tick, se);
}
