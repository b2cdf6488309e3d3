/* QoS internals shared by the model, commands, kernel side and show. */
#ifndef VPNSIP_QOS_QOS_INT_H
#define VPNSIP_QOS_QOS_INT_H

#include <stdbool.h>
#include <stdint.h>

#include "config/config.h"
#include "qos/qos.h"
#include "util/strbuf.h"

struct acl;

#define QOS_CLASS_DEFAULT "class-default"
#define QOS_QUEUE_LIMIT_DEFAULT 64
#define QOS_DSCP_CS4 32
#define QOS_MAX_DSCP_VALUES 8

enum qos_match_kind {
	QOS_MATCH_ANY,
	QOS_MATCH_PROTOCOL,
	QOS_MATCH_DSCP,
	QOS_MATCH_ACCESS_GROUP,
};

enum qos_proto {
	QOS_PROTO_IP,
	QOS_PROTO_IPV6,
	QOS_PROTO_TCP,
	QOS_PROTO_UDP,
	QOS_PROTO_ICMP,
};

struct qos_match {
	enum qos_match_kind kind;
	enum qos_proto proto;
	uint8_t dscp[QOS_MAX_DSCP_VALUES];
	unsigned ndscp;
	char *acl; /* number or name */
	bool acl_named;
	struct acl *acl_copy; /* the list itself, in copies for another thread */
};

struct qos_class_map {
	char *name;
	bool match_any;
	char *description;
	struct qos_match *m;
	size_t n, cap;
};

enum qos_bw_kind {
	QOS_BW_NONE,
	QOS_BW_KBPS,      /* bandwidth KBPS */
	QOS_BW_PERCENT,   /* bandwidth percent N */
	QOS_BW_REMAINING, /* bandwidth remaining percent N */
};

struct qos_pclass {
	char *name; /* a class-map, or "class-default" */
	bool priority;
	unsigned priority_kbps;    /* 0: none given */
	unsigned priority_percent; /* 0: none given */
	enum qos_bw_kind bw_kind;
	unsigned bw;          /* kbps or percent */
	unsigned queue_limit; /* 0: the default (64 packets) */
	int set_dscp;         /* -1: none */
	uint64_t shape_bps;   /* 0: none */
	char *service_policy; /* child policy */
};

struct qos_policy_map {
	char *name;
	char *description;
	struct qos_pclass **c; /* configuration order; class-default kept last */
	size_t n, cap;
};

struct qos_cfg {
	struct hashmap cmaps;   /* name -> qos_class_map (case-sensitive, as IOS) */
	struct hashmap pmaps;   /* name -> qos_policy_map */
};

struct qos_iface {
	char *output_policy;
	bool pre_classify;
};

extern const struct iface_ext_type qos_iface_ext_type;

struct qos_cfg *qos_model(const struct config *cfg);
struct qos_cfg *qos_model_rw(struct config *cfg);
struct qos_class_map *qos_cmap_find(const struct config *cfg, const char *name);
struct qos_policy_map *qos_pmap_find(const struct config *cfg, const char *name);
struct qos_pclass *qos_pclass_find(const struct qos_policy_map *p, const char *name);
/* Sorted by name, for show and running-config (caller frees the array). */
struct qos_class_map **qos_cmaps_sorted(const struct config *cfg, size_t *n);
struct qos_policy_map **qos_pmaps_sorted(const struct config *cfg, size_t *n);
void qos_cmap_free(struct qos_class_map *c);
void qos_pmap_free(struct qos_policy_map *p);
void qos_pclass_free(struct qos_pclass *pc);

/* DSCP names as IOS prints them ("ef", "af41", "cs4", "default", or the
 * number); parse accepts names and 0-63. */
const char *qos_dscp_name(unsigned dscp, char *buf, size_t len);
int qos_dscp_parse(const char *w);
const char *qos_proto_name(enum qos_proto p);
/* "protocol ip", "dscp ef af41", "access-group 101", "any" */
void qos_match_text(const struct qos_match *m, struct strbuf *out);

/* Does a policy use absolute "bandwidth KBPS" anywhere (children too)? */
bool qos_policy_has_absolute_bw(const struct config *cfg, const struct qos_policy_map *p,
				int depth);
/* Is the policy (or one of its children) the policy of a VPN-SIP line or
 * of an implicit policy attached now? */
bool qos_policy_used_by_vpnsip(const struct config *cfg, const char *name);
/* Is the policy attached to an interface or a parent policy? */
bool qos_policy_referenced(const struct config *cfg, const char *name, struct strbuf *where);
bool qos_cmap_referenced(const struct config *cfg, const char *name, struct strbuf *where);

/* What an AND of matches allows, as (IP versions, L4 protocol, DSCP
 * values).  An access list only narrows it to IPv4: its entries are the
 * caller's (classify.c); the u32 filters never see one. */
struct qos_match_set {
	bool v4, v6, none;
	int l4; /* -1: any */
	uint8_t dscp[QOS_MAX_DSCP_VALUES];
	unsigned ndscp; /* 0: any */
};
#define QOS_MATCH_SET_ALL { .v4 = true, .v6 = true, .l4 = -1 }
void qos_match_set_narrow(struct qos_match_set *s, const struct qos_match *m);

/* Does an inner packet fall in a class map? (user-space twin of the u32
 * filters and the nftables classifier, for the outer DSCP).  Access lists
 * come from the match's acl_copy, else from cfg (NULL: none). */
bool qos_cmap_matches(const struct qos_class_map *cm, const struct config *cfg,
		      const uint8_t *pkt, size_t len);

/* ---- the tc plan: what the kernel gets for one interface ---------------- */

struct qos_leaf {
	char *name;          /* class-map name */
	uint32_t minor;      /* HTB class 1:minor, leaf pfifo minor: */
	uint64_t rate_bps, ceil_bps;
	unsigned prio;       /* HTB prio: 0 priority classes, 1 bandwidth, 2 default */
	unsigned limit;      /* pfifo packets */
	int set_dscp;
	/* the drop rate, from the drops between two samples */
	uint64_t last_ms, last_drops, drop_bps;
};

struct qos_plan {
	uint64_t root_bps;
	struct qos_leaf *leaves;
	size_t nleaves;
	const struct qos_policy_map *leaf_policy; /* the policy whose classes are leaves */
};

/* Build the plan of a policy at a reference rate.  shape_from_policy: a
 * parent policy made of class-default with "shape average" (+ child) is
 * shaped at that rate.  Returns false with err on a policy that cannot be
 * programmed. */
bool qos_plan_build(const struct config *cfg, const struct qos_policy_map *leaf_policy,
		    uint64_t root_bps, struct qos_plan *plan, char *err, size_t errlen);
void qos_plan_free(struct qos_plan *plan);
uint64_t qos_pclass_rate_bps(const struct qos_pclass *pc, uint64_t root_bps, uint64_t remaining);

/* ---- attachments (kernel side + implicit policies) ---------------------- */

/* ---- access-list classes in nftables (classify.c) ---------------------- */

bool qos_cmap_uses_acl(const struct qos_class_map *cm);
/* A plan with an access-group class is classified in nftables, whole. */
bool qos_plan_uses_acl(const struct config *cfg, const struct qos_plan *plan);
struct qos_classify_dev {
	const char *dev;
	const struct qos_plan *plan;
};
/* The nft script that replaces the table with one classifier chain per
 * device (n == 0: removes the table). */
void qos_classify_nft_text(const struct config *cfg, const struct qos_classify_dev *d, size_t n,
			   struct strbuf *out);
int qos_classify_apply(const char *text, char *err, size_t errlen);
void qos_classify_shutdown(void);

struct qos_class_stats {
	uint64_t packets, bytes; /* sent */
	uint64_t drops, overlimits;
	uint32_t qlen, backlog;
	uint64_t rate_bps; /* kernel rate estimator (output) */
	bool valid;
};

struct qos_attachment {
	const struct config *cfg; /* the model it was built from */
	struct qos_cfg *model;    /* its QoS part: freeing it drops the attachment */
	char *ifname;  /* configured interface name */
	char *dev;     /* Linux device */
	bool implicit; /* VPN-SIP */
	char *policy;  /* static: the policy; implicit: the child or NULL */
	unsigned kbps; /* implicit: the negotiated rate */
	bool has_esp;
	struct qos_esp_overhead esp;
	bool installed; /* in the kernel */
	bool nft_classified; /* classes by nftables (access lists), no u32 filters */
	bool split;     /* under the GSO-splitting TBF (ESP accounting) */
	unsigned overhead; /* bytes per packet HTB adds (ESP's constant part) */
	int ifindex;    /* where it was installed */
	struct qos_plan plan;
	uint64_t root_last_ms, root_last_drops, root_drop_bps;
	/* implicit: the ESP/GSO correction in effect (feedback.c): 1:1 and
	 * its leaves shape at kbps x corr / QOS_CORR_ONE */
	unsigned corr;
	struct qos_attachment *fb_next, **fb_prevp; /* the implicit list */
	struct qos_fb_window {
		uint64_t t0_ms, bytes0;  /* start: the data plane's outer counter */
		uint64_t overlimits0;
		bool started, have_overlimits;
	} fb;
};

/* The attachment on an interface (static or implicit), or NULL. */
struct qos_attachment *qos_attachment_find(const char *ifname);
/* The live statistics of the root class (st[0]) and of each leaf
 * (st[1 + i]) in one dump; false when nothing is in the kernel. */
bool qos_stats_load(const struct qos_attachment *a, struct qos_class_stats *st);
bool qos_kernel_active(void);
void qos_reapply_policy(const struct config *cfg, const char *policy);
void qos_iface_reapply(const struct config *cfg, const char *ifname);
/* Build (or rebuild) an attachment's plan and program it. */
int qos_attachment_apply(const struct config *cfg, struct qos_attachment *a, char *err,
			 size_t errlen);
struct qos_attachment *qos_attachment_new(const char *ifname, bool implicit);
void qos_attachment_remove(struct qos_attachment *a);
/* The configuration model is being freed (tests, fuzzing): forget what
 * was built from it. */
void qos_attachments_drop_model(const struct qos_cfg *model);
int qos_attachment_change_rate(struct qos_attachment *a);
int qos_attachment_change_esp(struct qos_attachment *a);

/* The outer DSCP for the data plane's thread (marker.c): each implicit
 * policy publishes a copy of its classes; withdrawn with the policy. */
void qos_marker_publish(const struct qos_attachment *a);
void qos_marker_withdraw(const char *ifname);
void qos_markers_clear(void);

/* ---- the outer-rate feedback (feedback.c, docs/qos.md) -------------------
 *
 * b=AS is the outer rate, but a GSO packet that passes the size table whole
 * is charged one packet's ESP overhead for several segments.  The data
 * plane counts what really leaves (dp_tunnel_stats.outer_bytes_out); about
 * once a second, for each implicit policy whose shaper is saturated, the
 * outer rate is compared with b=AS and the shaped rate corrected. */
#define QOS_CORR_ONE 10000u     /* the correction in 1/10000: no correction */
#define QOS_CORR_MIN 4000u      /* never below 40 % of b=AS */
#define QOS_FB_MIN_BYTES 24000u /* an interval measures from this many outer bytes */
#define QOS_FB_MIN_MS 1000u
#define QOS_FB_MAX_MS 8000u

/* The next correction from the current one, b=AS (bits/s), the outer bytes
 * the data plane sent over interval_ms, and whether the shaper held packets
 * back all along (saturated).  Acts only on a saturated interval with at
 * least QOS_FB_MIN_BYTES: above b=AS it lowers the correction, more than
 * 1 % below it raises it back towards QOS_CORR_ONE, each time 70 % of the
 * way to the value that would give 99.7 % of b=AS (damped); clamped to
 * QOS_CORR_MIN..QOS_CORR_ONE.  Pure: unit-tested. */
unsigned qos_feedback_next(unsigned corr, uint64_t target_bps, uint64_t outer_bytes,
			   uint64_t interval_ms, bool saturated);
/* The implicit policies the feedback visits (added by qos_attachment_new,
 * removed by qos_attachment_remove); the timer runs while any exists. */
void qos_feedback_add(struct qos_attachment *a);
void qos_feedback_del(struct qos_attachment *a);
void qos_feedback_restart(struct qos_attachment *a);
void qos_feedback_init(struct evloop *loop);
void qos_feedback_shutdown(void);
/* The shaped rate of 1:1 (b=AS x correction for implicit policies). */
uint64_t qos_attachment_shaped_bps(const struct qos_attachment *a);

extern struct debug_flag debug_qos; /* "debug qos" */
void qos_debug_register(void); /* with the QoS commands */

void qos_show_cli_init(void);
/* Follow VPN-SIP sessions (the daemon's kernel side). */
void qos_session_init(struct config *cfg);
void qos_vpnsip_cli_init(void);
uint64_t qos_now_ms(void);

#endif
