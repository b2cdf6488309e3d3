/* The outer-rate feedback of the implicit VPN-SIP policies.
 *
 * The size table charges each packet that reaches the shaper its ESP
 * overhead, but a GSO packet no longer than the splitting TBF's burst
 * (a few segments of a small MSS) is one packet there and several ESP
 * packets on the wire: bulk TCP with MSS 200 left at up to 1.3 x b=AS.
 * The data plane sees every segment and counts the outer bytes it sends
 * (dp_tunnel_stats.outer_bytes_out).  Once a second, for each implicit
 * policy whose tunnel carried at least 80 % of its shaped rate since the
 * last look, the tc statistics tell whether the shaper held packets back
 * (HTB overlimits grew, or packets are queued); if so the outer rate is
 * compared with b=AS and the correction (qos_feedback_next) scales 1:1 and
 * every leaf in place (qos_attachment_change_rate: nothing is dropped).
 *
 * Cost: one timer for all tunnels; per implicit policy one data-plane
 * counter read a second, and a tc class dump only while it is busy. */
#include <stdlib.h>

#include "dataplane/dataplane.h"
#include "log/debug.h"
#include "qos/qos_int.h"
#include "util/evloop.h"

#define TICK_MS 1000u

static struct {
	struct evloop *loop;
	struct ev_timer *timer;
	struct qos_attachment *head; /* implicit policies */
} F;

unsigned qos_feedback_next(unsigned corr, uint64_t target_bps, uint64_t outer_bytes,
			   uint64_t interval_ms, bool saturated)
{
	double rate, want, next, t = (double)target_bps;

	if (!saturated || !target_bps || !interval_ms || outer_bytes < QOS_FB_MIN_BYTES)
		return corr;
	rate = (double)outer_bytes * 8000.0 / (double)interval_ms;
	if (rate <= t && (rate >= 0.99 * t || corr >= QOS_CORR_ONE))
		return corr;
	/* the outer rate follows the shaped rate: 70 % of the way to the
	 * correction that gives 99.7 % of b=AS (damped: the traffic's mix,
	 * and with it the rate one correction gives, changes as the rate
	 * does) */
	want = (double)corr * 0.997 * t / rate;
	next = corr + 0.7 * (want - corr);
	if (next >= QOS_CORR_ONE - 10)
		return QOS_CORR_ONE;
	if (next <= QOS_CORR_MIN)
		return QOS_CORR_MIN;
	return (unsigned)(next + 0.5);
}

uint64_t qos_attachment_shaped_bps(const struct qos_attachment *a)
{
	uint64_t bps = (uint64_t)a->kbps * 1000;
	unsigned corr = a->corr ? a->corr : QOS_CORR_ONE;

	return bps * corr / QOS_CORR_ONE;
}

static void window_start(struct qos_fb_window *w, uint64_t now, uint64_t bytes, bool have_over,
			 uint64_t over)
{
	*w = (struct qos_fb_window){ .t0_ms = now, .bytes0 = bytes, .overlimits0 = over,
				     .started = true, .have_overlimits = have_over };
}

static void visit(struct qos_attachment *a, struct dataplane *dp, uint64_t now)
{
	struct qos_fb_window *w = &a->fb;
	struct dp_tunnel_stats st;
	struct qos_class_stats *cs;
	uint64_t ms, bytes, over = 0, target = (uint64_t)a->kbps * 1000;
	bool saturated;
	unsigned next;

	if (!a->installed || !a->has_esp || !dp->tunnel_stats ||
	    dp->tunnel_stats(dp, a->ifname, &st) < 0) {
		w->started = false;
		return;
	}
	if (!w->started || st.outer_bytes_out < w->bytes0 || now < w->t0_ms) {
		window_start(w, now, st.outer_bytes_out, false, 0);
		return;
	}
	ms = now - w->t0_ms;
	bytes = st.outer_bytes_out - w->bytes0;
	if (ms < QOS_FB_MIN_MS || (bytes < QOS_FB_MIN_BYTES && ms < QOS_FB_MAX_MS))
		return; /* too few bytes yet to measure (low rates) */
	if (bytes * 8000 / ms < qos_attachment_shaped_bps(a) * 8 / 10) {
		window_start(w, now, st.outer_bytes_out, false, 0); /* not busy: no tc dump */
		return;
	}
	cs = xcalloc(1 + a->plan.nleaves, sizeof(*cs));
	if (!qos_stats_load(a, cs)) {
		free(cs);
		w->started = false;
		return;
	}
	for (size_t i = 0; i <= a->plan.nleaves; i++)
		over += cs[i].overlimits;
	saturated = (w->have_overlimits && over > w->overlimits0) || cs[0].qlen > 0;
	free(cs);
	next = qos_feedback_next(a->corr, target, bytes, ms, saturated);
	dbg(&debug_qos, "QoS: %s: outer %llu bps over %llu ms (b=AS %llu)%s, correction %.1f%%%s",
	    a->ifname, (unsigned long long)(bytes * 8000 / ms), (unsigned long long)ms,
	    (unsigned long long)target, saturated ? ", saturated" : "", a->corr / 100.0,
	    next != a->corr ? " changes" : "");
	if (next != a->corr) {
		a->corr = next;
		if (qos_attachment_change_rate(a) == 0)
			dbg(&debug_qos, "QoS: %s: ESP/GSO correction %.1f%%: shaping at %llu bps",
			    a->ifname, next / 100.0,
			    (unsigned long long)qos_attachment_shaped_bps(a));
	}
	/* the new rate applies at once (HTB keeps its tokens): measure on */
	window_start(w, now, st.outer_bytes_out, true, over);
}

static void tick(struct ev_timer *t, void *arg)
{
	struct dataplane *dp = dataplane_get();
	uint64_t now = qos_now_ms();

	(void)t;
	(void)arg;
	F.timer = NULL;
	/* visit() may rebuild an attachment (never remove one) */
	for (struct qos_attachment *a = F.head; dp && a; a = a->fb_next)
		visit(a, dp, now);
	if (F.head && F.loop)
		F.timer = ev_timer_add(F.loop, TICK_MS, tick, NULL);
}

static void arm(void)
{
	if (F.loop && F.head && !F.timer)
		F.timer = ev_timer_add(F.loop, TICK_MS, tick, NULL);
}

void qos_feedback_add(struct qos_attachment *a)
{
	if (a->fb_prevp)
		return;
	a->corr = QOS_CORR_ONE;
	a->fb = (struct qos_fb_window){ 0 };
	a->fb_next = F.head;
	if (F.head)
		F.head->fb_prevp = &a->fb_next;
	a->fb_prevp = &F.head;
	F.head = a;
	arm();
}

void qos_feedback_del(struct qos_attachment *a)
{
	if (!a->fb_prevp)
		return;
	*a->fb_prevp = a->fb_next;
	if (a->fb_next)
		a->fb_next->fb_prevp = a->fb_prevp;
	a->fb_next = NULL;
	a->fb_prevp = NULL;
	if (!F.head && F.timer) {
		ev_timer_del(F.timer);
		F.timer = NULL;
	}
}

/* The charge changed (new ESP table, new b=AS, rebuilt tree): measure
 * afresh, keeping the correction. */
void qos_feedback_restart(struct qos_attachment *a)
{
	a->fb.started = false;
}

void qos_feedback_init(struct evloop *loop)
{
	F.loop = loop;
	arm();
}

void qos_feedback_shutdown(void)
{
	if (F.timer)
		ev_timer_del(F.timer);
	F.timer = NULL;
	F.loop = NULL;
}
