/* Track objects: see track.h.  An object follows an IP SLA operation or an
 * interface's line protocol; "delay up/down" holds a change back until the
 * new state has lasted that long.  Objects are indexed by what they follow,
 * so a probe result or a link change touches only its own objects. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/json.h"
#include "config/config.h"
#include "config/runtime.h"
#include "log/debug.h"
#include "net/netmon.h"
#include "track/sla.h"
#include "track/track.h"
#include "util/hashmap.h"
#include "util/xalloc.h"

static struct debug_flag debug_track = {
	.path = "track",
	.help = "Tracking",
	.title = "Tracking",
};

enum track_type { TRACK_SLA_STATE, TRACK_SLA_REACH, TRACK_IFACE };

struct track_obj {
	unsigned id;
	enum track_type type;
	unsigned sla;
	char *ifname;
	unsigned delay_up, delay_down; /* seconds */
	bool up;                       /* the state clients see */
	bool raw;                      /* what is followed says */
	unsigned long changes;
	uint64_t last_change_ms;
	struct ev_timer *delay_timer;
	uint64_t delay_due_ms;
};

struct tlist {
	struct track_obj **v;
	size_t n, cap;
};

/* The track objects of one configuration. */
struct track_model {
	struct hashmap objs;   /* "id" -> track_obj */
	struct hashmap by_sla; /* "sla id" -> tlist */
	struct hashmap by_if;  /* interface name -> tlist */
};

static struct {
	struct track_client *clients;
	struct config *cfg; /* the running configuration, while the daemon runs */
} T;

static void obj_free(struct track_obj *o);

static void tlists_free(struct hashmap *m)
{
	for (struct hashmap_entry *e = NULL; (e = hashmap_next(m, e));) {
		struct tlist *l = e->value;
		free(l->v);
		free(l);
	}
	hashmap_clear(m);
}

static void track_model_free(void *ext)
{
	struct track_model *m = ext;

	for (struct hashmap_entry *e = NULL; (e = hashmap_next(&m->objs, e));)
		obj_free(e->value);
	hashmap_clear(&m->objs);
	tlists_free(&m->by_sla);
	tlists_free(&m->by_if);
	free(m);
}

static void track_model_init(void *ext)
{
	struct track_model *m = ext;

	hashmap_init(&m->objs, false);
	hashmap_init(&m->by_sla, false);
	hashmap_init(&m->by_if, true);
}

const struct config_ext_type track_ext = { "track", track_model_free, track_model_init };

static struct track_model *model_rw(struct config *cfg)
{
	return config_ext_get_or_create(cfg, &track_ext, sizeof(struct track_model));
}

/* NULL while the configuration has no track object. */
static struct track_model *model_of(const struct config *cfg)
{
	return cfg ? config_ext_get(cfg, &track_ext) : NULL;
}

static struct track_obj *obj_find(const struct config *cfg, unsigned id)
{
	struct track_model *m = model_of(cfg);
	char k[16];

	if (!m)
		return NULL;
	snprintf(k, sizeof(k), "%u", id);
	return hashmap_get(&m->objs, k);
}

bool track_exists(const struct config *cfg, unsigned id)
{
	return obj_find(cfg, id) != NULL;
}

bool track_is_up(const struct config *cfg, unsigned id)
{
	struct track_obj *o = obj_find(cfg, id);

	return o && o->up;
}

HOOK_DEFINE(track_state_changed);

void track_client_register(struct track_client *c)
{
	c->next = T.clients;
	T.clients = c;
}

static void tl_add(struct hashmap *m, const char *key, struct track_obj *o)
{
	struct tlist *l = hashmap_get(m, key);

	if (!l) {
		l = xcalloc(1, sizeof(*l));
		hashmap_put(m, key, l);
	}
	xgrow(&l->v, &l->cap, l->n + 1, sizeof(*l->v));
	l->v[l->n++] = o;
}

static void tl_del(struct hashmap *m, const char *key, struct track_obj *o)
{
	struct tlist *l = hashmap_get(m, key);

	for (size_t i = 0; l && i < l->n; i++) {
		if (l->v[i] == o) {
			l->v[i] = l->v[--l->n];
			break;
		}
	}
	if (l && !l->n) {
		hashmap_del(m, key);
		free(l->v);
		free(l);
	}
}

static void obj_index(struct track_model *m, struct track_obj *o, bool add)
{
	char k[16];

	if (o->type == TRACK_IFACE) {
		(add ? tl_add : tl_del)(&m->by_if, o->ifname, o);
	} else {
		snprintf(k, sizeof(k), "%u", o->sla);
		(add ? tl_add : tl_del)(&m->by_sla, k, o);
	}
}

/* ---- state ------------------------------------------------------------------ */

static const char *iface_dev(const struct config *cfg, const char *ifname)
{
	const struct iface_cfg *ifc = iface_find(&cfg->ifaces, ifname);

	if (ifc)
		return iface_device(ifc);
	return cli_ifname_is_ios(ifname) ? NULL : ifname;
}

static bool obj_raw(const struct config *cfg, const struct track_obj *o)
{
	struct sla_result r;

	switch (o->type) {
	case TRACK_IFACE: {
		const char *dev = iface_dev(cfg, o->ifname);
		return dev && netmon_dev_up(netmon_dev_by_name(dev));
	}
	case TRACK_SLA_STATE:
		return sla_latest(cfg, o->sla, &r) && r.rc == SLA_RC_OK;
	case TRACK_SLA_REACH:
		return sla_latest(cfg, o->sla, &r) && (r.rc == SLA_RC_OK || r.rc == SLA_RC_OVER_THRESHOLD);
	}
	return false;
}

static const char *obj_what(const struct track_obj *o, char *buf, size_t n)
{
	if (o->type == TRACK_IFACE)
		snprintf(buf, n, "interface %s line-protocol", o->ifname);
	else
		snprintf(buf, n, "ip sla %u %s", o->sla, o->type == TRACK_SLA_REACH ? "reachability" : "state");
	return buf;
}

static void obj_set(const struct config *cfg, struct track_obj *o, bool up)
{
	char w[96];

	ev_timer_del(o->delay_timer);
	o->delay_timer = NULL;
	if (o->up == up)
		return;
	o->up = up;
	o->changes++;
	o->last_change_ms = evloop_now_ms();
	log_msg("TRACK", SEV_INFO, "STATE", "%u %s %s -> %s", o->id, obj_what(o, w, sizeof(w)),
		up ? "Down" : "Up", up ? "Up" : "Down");
	hook_call(track_state_changed, cfg, o->id, up);
}

static void delay_fired(struct ev_timer *t, void *arg)
{
	struct track_obj *o = arg;

	o->delay_timer = NULL;
	obj_set(T.cfg, o, o->raw); /* delays run in the running configuration only */
}

static void obj_update(const struct config *cfg, struct track_obj *o)
{
	bool raw = obj_raw(cfg, o);
	unsigned delay = raw ? o->delay_up : o->delay_down;

	o->raw = raw;
	if (raw == o->up) {
		/* back to where it was: a pending change is off */
		if (o->delay_timer)
			dbg(&debug_track, "Track: %u: %s change cancelled", o->id, raw ? "down" : "up");
		ev_timer_del(o->delay_timer);
		o->delay_timer = NULL;
		return;
	}
	if (o->delay_timer)
		return; /* already waiting for this change */
	if (!delay || !runtime_loop() || cfg != T.cfg) {
		obj_set(cfg, o, raw);
		return;
	}
	dbg(&debug_track, "Track: %u: %s, delayed %u s", o->id, raw ? "up" : "down", delay);
	o->delay_due_ms = evloop_now_ms() + (uint64_t)delay * 1000;
	o->delay_timer = ev_timer_add(runtime_loop(), (uint64_t)delay * 1000, delay_fired, o);
}

static void list_update(const struct config *cfg, struct hashmap *idx, const char *key)
{
	struct tlist *l = hashmap_get(idx, key);

	for (size_t i = 0; l && i < l->n; i++)
		obj_update(cfg, l->v[i]);
}

void track_sla_updated(const struct config *cfg, unsigned sla_id)
{
	struct track_model *m = model_of(cfg);
	char k[16];

	if (!m)
		return;
	snprintf(k, sizeof(k), "%u", sla_id);
	list_update(cfg, &m->by_sla, k);
}

static void on_dev(const struct netmon_dev *d, unsigned what, void *arg)
{
	struct track_model *m = model_of(T.cfg);
	const char *ifname = netmon_ifname_of(d->name);

	if (!m || !(what & NETMON_LINK))
		return;
	if (ifname)
		list_update(T.cfg, &m->by_if, ifname);
	list_update(T.cfg, &m->by_if, d->name);
}

/* ---- commands --------------------------------------------------------------- */

static void obj_free(struct track_obj *o)
{
	ev_timer_del(o->delay_timer);
	free(o->ifname);
	free(o);
}

static int cmd_track(struct cli_exec *x)
{
	const char *k = cli_arg(x, "id");
	struct config *cfg = cfg_of(x);
	struct track_model *m = model_rw(cfg);
	struct track_obj *o;

	if (x->is_no) {
		o = hashmap_del(&m->objs, k);
		if (!o)
			return cli_error(x, "Track object %s does not exist", k);
		obj_index(m, o, false);
		bool was_up = o->up;
		unsigned id = o->id;
		obj_free(o);
		if (was_up) /* a removed object is down */
			hook_call(track_state_changed, cfg, id, false);
		return CLI_OK;
	}
	enum track_type type = cli_has(x, "interface") ? TRACK_IFACE :
			       cli_has(x, "reachability") ? TRACK_SLA_REACH : TRACK_SLA_STATE;
	o = hashmap_get(&m->objs, k);
	if (o) {
		obj_index(m, o, false);
		free(o->ifname);
		o->ifname = NULL;
	} else {
		o = xcalloc(1, sizeof(*o));
		o->id = (unsigned)strtoul(k, NULL, 10);
		hashmap_put(&m->objs, k, o);
	}
	o->type = type;
	if (type == TRACK_IFACE)
		o->ifname = xstrdup(cli_arg(x, "if"));
	else
		o->sla = (unsigned)cli_arg_long(x, "slaid", 0);
	obj_index(m, o, true);
	obj_update(cfg, o);
	cli_enter(x, "config-track", k);
	return CLI_OK;
}

static int cmd_delay(struct cli_exec *x)
{
	const char *k = cli_key(x, "config-track");
	struct track_model *m = model_of(cfg_of(x));
	struct track_obj *o = k && m ? hashmap_get(&m->objs, k) : NULL;

	if (!o)
		return cli_error(x, "Track object %s no longer exists", k ? k : "?");
	if (x->is_no) {
		o->delay_up = o->delay_down = 0;
	} else {
		if (!cli_has(x, "up") && !cli_has(x, "down"))
			return cli_error(x, "Incomplete command: delay up SECONDS and/or down SECONDS");
		o->delay_up = (unsigned)cli_arg_long(x, "upsec", 0);
		o->delay_down = (unsigned)cli_arg_long(x, "downsec", 0);
	}
	/* a pending change is re-timed with the new delay */
	if (o->delay_timer) {
		ev_timer_del(o->delay_timer);
		o->delay_timer = NULL;
	}
	obj_update(cfg_of(x), o);
	return CLI_OK;
}

/* ---- running-config and show ------------------------------------------------- */

static int obj_cmp(const void *a, const void *b)
{
	const struct track_obj *x = *(struct track_obj *const *)a, *y = *(struct track_obj *const *)b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static struct track_obj **sorted_objs(const struct config *cfg, size_t *n)
{
	struct track_model *m = model_of(cfg);
	struct track_obj **v;

	if (!m) {
		*n = 0;
		return NULL;
	}
	v = (struct track_obj **)hashmap_values(&m->objs, n);
	if (*n)
		qsort(v, *n, sizeof(*v), obj_cmp);
	return v;
}

static void write_tracks(const struct config *cfg, struct strbuf *out)
{
	size_t n;
	struct track_obj **v = sorted_objs(cfg, &n);

	for (size_t i = 0; i < n; i++) {
		const struct track_obj *o = v[i];
		if (o->type == TRACK_IFACE)
			sb_printf(out, "track %u interface %s line-protocol\n", o->id, o->ifname);
		else
			sb_printf(out, "track %u ip sla %u%s\n", o->id, o->sla,
				  o->type == TRACK_SLA_REACH ? " reachability" : "");
		if (o->delay_up || o->delay_down) {
			sb_puts(out, " delay");
			if (o->delay_up)
				sb_printf(out, " up %u", o->delay_up);
			if (o->delay_down)
				sb_printf(out, " down %u", o->delay_down);
			sb_putc(out, '\n');
		}
	}
	free(v);
}

static void fmt_ago(uint64_t ms, char *buf, size_t n)
{
	uint64_t s = ms / 1000;

	if (s >= 86400)
		snprintf(buf, n, "%llud%02lluh", (unsigned long long)(s / 86400),
			 (unsigned long long)(s / 3600 % 24));
	else
		snprintf(buf, n, "%02llu:%02llu:%02llu", (unsigned long long)(s / 3600),
			 (unsigned long long)(s / 60 % 60), (unsigned long long)(s % 60));
}

static void show_one(struct cli_exec *x, const struct track_obj *o)
{
	char w[96], ago[32];
	struct sla_result r;
	const char *kind = o->type == TRACK_IFACE ? "Line protocol" :
			   o->type == TRACK_SLA_REACH ? "Reachability" : "State";

	cli_out(x, "Track %u\n", o->id);
	if (o->type == TRACK_IFACE)
		cli_out(x, "  Interface %s line-protocol\n", o->ifname);
	else
		cli_out(x, "  IP SLA %u %s\n", o->sla, o->type == TRACK_SLA_REACH ? "reachability" : "state");
	cli_out(x, "  %s is %s\n", kind, o->up ? "Up" : "Down");
	if (o->delay_timer) {
		uint64_t now = evloop_now_ms();
		cli_out(x, "    %s delayed, %llu secs remaining\n", o->raw ? "Up" : "Down",
			(unsigned long long)(o->delay_due_ms > now ? (o->delay_due_ms - now + 999) / 1000 : 0));
	}
	if (o->changes) {
		fmt_ago(evloop_now_ms() - o->last_change_ms, ago, sizeof(ago));
		cli_out(x, "    %lu change%s, last change %s\n", o->changes, o->changes == 1 ? "" : "s", ago);
	} else {
		cli_out(x, "    0 changes\n");
	}
	if (o->delay_up || o->delay_down) {
		cli_out(x, "  Delay");
		if (o->delay_up)
			cli_out(x, " up %u sec%s", o->delay_up, o->delay_up == 1 ? "" : "s");
		if (o->delay_up && o->delay_down)
			cli_out(x, ",");
		if (o->delay_down)
			cli_out(x, " down %u sec%s", o->delay_down, o->delay_down == 1 ? "" : "s");
		cli_out(x, "\n");
	}
	if (o->type != TRACK_IFACE) {
		if (sla_latest(cfg_of(x), o->sla, &r)) {
			cli_out(x, "  Latest operation return code: %s\n", sla_rc_name(r.rc));
			if (r.rc == SLA_RC_OK || r.rc == SLA_RC_OVER_THRESHOLD)
				cli_out(x, "  Latest RTT (millisecs) %u\n", r.rtt_ms);
		} else {
			cli_out(x, "  IP SLA %u does not exist\n", o->sla);
		}
	}
	(void)w;
	const struct config *cfg = cfg_of(x);
	bool any = false;
	for (struct track_client *c = T.clients; c; c = c->next) {
		size_t n = c->users(cfg, o->id);
		if (!n)
			continue;
		if (!any)
			cli_out(x, "  Tracked by:\n");
		any = true;
		cli_out(x, "    %s (%zu)\n", c->name, n);
	}
}

static const char *param_name(const struct track_obj *o)
{
	return o->type == TRACK_IFACE ? "line-protocol" :
	       o->type == TRACK_SLA_REACH ? "reachability" : "state";
}

/* The fields of show_one(), as one object of "tracks". */
static struct json_object *track_json(const struct config *cfg, const struct track_obj *o)
{
	struct json_object *j = json_object_new_object(), *by = json_object_new_array();
	uint64_t now = evloop_now_ms();
	struct sla_result r;

	json_add_int(j, "id", o->id);
	json_add_str(j, "type", o->type == TRACK_IFACE ? "interface" : "ip sla");
	json_add_str(j, "interface", o->type == TRACK_IFACE ? o->ifname : NULL);
	if (o->type == TRACK_IFACE)
		json_add_str(j, "sla", NULL);
	else
		json_add_int(j, "sla", o->sla);
	json_add_str(j, "parameter", param_name(o));
	json_add_str(j, "state", o->up ? "Up" : "Down");
	if (o->delay_timer) {
		struct json_object *d = json_object_new_object();
		json_add_str(d, "to", o->raw ? "Up" : "Down");
		json_add_u64(d, "secondsRemaining",
			     o->delay_due_ms > now ? (o->delay_due_ms - now + 999) / 1000 : 0);
		json_object_object_add(j, "delayed", d);
	} else {
		json_add_str(j, "delayed", NULL);
	}
	json_add_u64(j, "changes", o->changes);
	if (o->changes)
		json_add_u64(j, "lastChangeSecondsAgo", (now - o->last_change_ms) / 1000);
	else
		json_add_str(j, "lastChangeSecondsAgo", NULL);
	json_add_int(j, "delayUpSeconds", o->delay_up);
	json_add_int(j, "delayDownSeconds", o->delay_down);
	if (o->type != TRACK_IFACE) {
		bool have = sla_latest(cfg, o->sla, &r);
		json_add_bool(j, "slaExists", have);
		json_add_str(j, "latestReturnCode", have ? sla_rc_name(r.rc) : NULL);
		if (have && (r.rc == SLA_RC_OK || r.rc == SLA_RC_OVER_THRESHOLD))
			json_add_int(j, "latestRttMs", r.rtt_ms);
		else
			json_add_str(j, "latestRttMs", NULL);
	}
	for (struct track_client *c = T.clients; c; c = c->next) {
		size_t n = c->users(cfg, o->id);
		if (!n)
			continue;
		struct json_object *u = json_object_new_object();
		json_add_str(u, "client", c->name);
		json_add_u64(u, "count", n);
		json_object_array_add(by, u);
	}
	json_object_object_add(j, "trackedBy", by);
	return j;
}

static int cmd_show_track(struct cli_exec *x)
{
	long only = cli_arg_long(x, "id", 0);
	size_t n;
	struct track_obj **v = sorted_objs(cfg_of(x), &n);
	bool first = true;

	if (only && !obj_find(cfg_of(x), (unsigned)only)) {
		free(v);
		return cli_error(x, "Track object %ld does not exist", only);
	}
	if (cli_has(x, "json")) {
		struct json_object *doc = json_object_new_object(), *list = json_object_new_array();
		json_object_object_add(doc, "tracks", list);
		for (size_t i = 0; i < n; i++)
			if (!only || v[i]->id == (unsigned)only)
				json_object_array_add(list, track_json(cfg_of(x), v[i]));
		free(v);
		cli_out_json(x, doc);
		return CLI_OK;
	}
	for (size_t i = 0; i < n; i++) {
		if (only && v[i]->id != (unsigned)only)
			continue;
		if (!first)
			cli_out(x, "\n");
		first = false;
		show_one(x, v[i]);
	}
	free(v);
	return CLI_OK;
}

static int cmd_show_track_brief(struct cli_exec *x)
{
	size_t n;
	struct track_obj **v = sorted_objs(cfg_of(x), &n);
	char w[96], ago[32];

	cli_out(x, "%-8s %-10s %-19s %-22s %-6s %s\n", "Track", "Type", "Instance", "Parameter", "State",
		"Last Change");
	for (size_t i = 0; i < n; i++) {
		const struct track_obj *o = v[i];
		if (o->type == TRACK_IFACE)
			snprintf(w, sizeof(w), "%s", o->ifname);
		else
			snprintf(w, sizeof(w), "%u", o->sla);
		if (o->changes)
			fmt_ago(evloop_now_ms() - o->last_change_ms, ago, sizeof(ago));
		else
			snprintf(ago, sizeof(ago), "never");
		cli_out(x, "%-8u %-10s %-19s %-22s %-6s %s\n", o->id,
			o->type == TRACK_IFACE ? "interface" : "ip sla", w,
			o->type == TRACK_IFACE ? "line-protocol" :
			o->type == TRACK_SLA_REACH ? "reachability" : "state",
			o->up ? "Up" : "Down", ago);
	}
	free(v);
	return CLI_OK;
}

int track_start(struct evloop *loop, struct config_env *env)
{
	T.cfg = env->cfg;
	return 0;
}

void track_stop(void)
{
	struct track_model *m = model_of(T.cfg);

	for (struct hashmap_entry *e = NULL; m && (e = hashmap_next(&m->objs, e));) {
		struct track_obj *o = e->value;
		ev_timer_del(o->delay_timer);
		o->delay_timer = NULL;
	}
	T.cfg = NULL;
}

static void on_iface(struct config *cfg, struct iface_cfg *ifc, void *arg)
{
	struct track_model *m = model_of(cfg);

	if (m)
		list_update(cfg, &m->by_if, ifc->name);
}


#define NO "Negate a command or set its defaults"

static const struct cli_cmd track_cmds[] = {
	{ "config", "track (1-65535)$id ip sla (1-2147483647)$slaid [<reachability|state>]",
	  "Object tracking configuration commands\nTracked object\nIP protocol\nIP Service Level Agreement\n"
	  "Entry number\nReachability\nReturn code state", cmd_track, 0 },
	{ "config", "track (1-65535)$id interface IFNAME$if line-protocol",
	  "\n\nSelect an interface to track\nInterface name\nTrack interface line-protocol", cmd_track, 0 },
	{ "config", "no track (1-65535)$id [LINE]", NO "\n\n\nIgnored", cmd_track, 0 },
	{ "config-track", "delay [up (0-180)$upsec] [down (0-180)$downsec]",
	  "Tracking delay\nDelay up change notification\nSeconds to delay\n"
	  "Delay down change notification\nSeconds to delay", cmd_delay, 0 },
	{ "config-track", "no delay [LINE]", NO "\n\nIgnored", cmd_delay, 0 },
	{ "exec", "show track [(1-65535)$id] [json]",
	  "Show running system information\nTracking information\nTrack object number\n" CLI_JSON_HELP,
	  cmd_show_track, 0 },
	{ "exec", "show track brief", "\n\nBrief information", cmd_show_track_brief, 0 },
};

void track_cli_init(void)
{
	debug_register(&debug_track);
	cli_node_register("config-track", "(config-track)#", "config");
	CLI_INSTALL(track_cmds);
	config_section_register(400, "track", write_tracks);
	hook_register(netmon_dev_changed, on_dev, NULL, HOOK_PRIO_DEFAULT);
	/* After static routes: a state change this causes reaches routes that
	 * already follow the interface. */
	hook_register(iface_changed, on_iface, NULL, HOOK_PRIO_DEFAULT + 5);
}
