/* The AgentX subagent: net-snmp's agent library on a thread of its own.
 *
 * net-snmp keeps global state and is not thread-safe, so every net-snmp
 * call -- setup, the AgentX session, the handlers, the notifications and
 * the shutdown -- happens on this one thread ("vpnsipd-snmp"), which sits
 * in agent_check_and_process().  It never touches the model.  It talks to
 * the main thread in two directions, both under S.lock:
 *
 *   values     a handler needs the sessions: the thread posts
 *              snapshot_build() to the main loop and waits (at most
 *              SNAPSHOT_WAIT_MS) for the copy it makes (vpnsip_sessions_info,
 *              the data "show vpn-sip session" prints).  A copy serves every
 *              request for SNAPSHOT_MAX_AGE_S, so a walk of the session table
 *              costs one copy per second however many rows it reads, and
 *              GETNEXT finds its row in net-snmp's sorted table (tdata) in
 *              O(log n).
 *   traps      the main thread queues session up/down and registration
 *              lost events (bounded) and writes the eventfd the thread
 *              watches (register_readfd); the thread sends them as AgentX
 *              notifications; snmpd forwards them to its trap sinks.
 *
 * Connection loss: net-snmp tries the master agent again every
 * AGENTX_RETRY_S; connecting and losing it are logged once each.
 *
 * net-snmp's agent library can be set up once per process: after
 * snmp_shutdown() a second init_agent() does not reconnect (its subagent
 * module keeps a static "initialized" count and a pointer to a freed
 * session).  So the thread starts with the first "snmp-server agentx" and
 * lives until vpnsipd stops (snmp_shutdown(), which closes the AgentX
 * session properly).  "no snmp-server agentx" and a new socket path are
 * told to the thread (S.want, S.want_socket), which closes the session
 * the way net-snmp's own ping failure does and, for a new path, opens one
 * again with subagent_startup() -- the library's exported functions, not
 * in its public headers, declared below. */
#include <errno.h>
#include <net-snmp/net-snmp-config.h>
#include <net-snmp/net-snmp-includes.h>
#include <net-snmp/agent/net-snmp-agent-includes.h>
#include <net-snmp/agent/agent_callbacks.h>
#include <net-snmp/library/fd_event_manager.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <syslog.h>
#include <time.h>
#include <unistd.h>

#include "log/log.h"
#include "snmp/snmp.h"
#include "util/xalloc.h"
#include "vpnsip/vpnsip.h"

/* net-snmp's AgentX subagent (libnetsnmpagent, agent/mibgroup/agentx):
 * exported, not declared in the installed headers. */
extern netsnmp_session *main_session;
int subagent_startup(int major, int minor, void *server, void *client);
int agentx_close_session(netsnmp_session *ss, int why);
void agentx_unregister_callbacks(netsnmp_session *ss);
#define AGENTX_CLOSE_SHUTDOWN 5 /* RFC 2741 6.2.2 reason "shutdown" */

#define AGENTX_RETRY_S 5        /* reconnect interval (net-snmp's agentxPingInterval) */
#define SNAPSHOT_MAX_AGE_S 1    /* a copy of the sessions serves this long */
#define SNAPSHOT_WAIT_MS 500    /* longest wait for the main thread's copy: below snmpd's
				 * AgentX timeout (1 s), after which it gives up on us */
#define TRAP_QUEUE_MAX 256      /* events not yet sent; more are dropped (logged) */

/* The MIB's root: a placeholder in the experimental arc, not assigned by
 * IANA (docs/snmp.md, mib/VPNSIP-MIB.txt). */
#define VPNSIP_MIB 1, 3, 6, 1, 3, 1017
static const oid mib_reg[] = { VPNSIP_MIB, 1, 1 };     /* vpnsipRegistration */
static const oid mib_table[] = { VPNSIP_MIB, 1, 2 };   /* vpnsipSessionTable */
static const oid mib_entry[] = { VPNSIP_MIB, 1, 2, 1 };
static const oid mib_notif_obj[] = { VPNSIP_MIB, 1, 3 };
static const oid mib_notifs[] = { VPNSIP_MIB, 0 };
static const oid snmptrap_oid[] = { 1, 3, 6, 1, 6, 3, 1, 1, 4, 1, 0 };

enum { REG_NUMBER = 1, REG_STATE, REG_CONFIGURED, REG_REGISTERED };
enum { COL_IFINDEX = 1, COL_TUNNEL, COL_STATE, COL_LOCAL, COL_REMOTE, COL_PEER, COL_BW_CONF,
       COL_BW_NEG, COL_UPTIME, COL_CALL_S };
enum { NOTIF_CAUSE = 1, NOTIF_NUMBER, NOTIF_STATUS };
enum { TRAP_SESSION_UP = 1, TRAP_SESSION_DOWN, TRAP_REG_LOST };

struct snapshot {
	struct vpnsip_session_info *s;
	size_t n;
	struct vpnsip_reg_summary reg;
};

struct trap {
	int kind;
	struct vpnsip_session_info s; /* session traps */
	char cause[96];
	char number[32];              /* registration lost */
	int status;
};

/* Shared by the main thread and the agent thread. */
static struct {
	pthread_mutex_t lock;
	pthread_cond_t cond;
	bool running;              /* a thread exists (main thread's view) */
	bool started;              /* one was started: net-snmp is set up once per process */
	pthread_t thread;
	struct evloop *loop;
	int wake_fd;
	bool stop;
	/* what the thread should be connected to */
	bool want;
	char want_socket[SNMP_AGENTX_PATH_MAX + 1];
	unsigned long want_gen;
	/* snapshots */
	bool posted;               /* snapshot_build() is on its way */
	unsigned long built;       /* copies made */
	struct snapshot *fresh;    /* the newest copy, for the thread to take */
	/* traps */
	bool traps;                /* snmp-server enable traps vpn-sip (main thread) */
	struct trap *queue[TRAP_QUEUE_MAX];
	size_t qlen;
} S = { .lock = PTHREAD_MUTEX_INITIALIZER, .cond = PTHREAD_COND_INITIALIZER, .wake_fd = -1 };

/* The agent thread's own.  The table and the scalars refresh on their
 * own: a scalar's refresh never replaces the rows the table helpers of the
 * same request may already have looked up. */
static struct {
	struct snapshot *snap;     /* the session table's rows point into it */
	uint64_t snap_at;          /* monotonic ms; 0: never */
	struct vpnsip_reg_summary reg;
	uint64_t reg_at;
	netsnmp_tdata *table;
	bool connected;
	bool active;               /* connected or trying to */
	char socket[SNMP_AGENTX_PATH_MAX + 1];
	unsigned long want_gen;
} T;

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

static void snapshot_free(struct snapshot *sn)
{
	if (!sn)
		return;
	free(sn->s);
	free(sn);
}

/* ---- main thread: copies and events ----------------------------------------------------------- */

static void snapshot_build(void *arg)
{
	struct snapshot *sn = xcalloc(1, sizeof(*sn));

	sn->n = vpnsip_sessions_info(&sn->s);
	vpnsip_reg_summary(&sn->reg);
	pthread_mutex_lock(&S.lock);
	S.posted = false;
	if (S.running && !S.stop) {
		snapshot_free(S.fresh);
		S.fresh = sn;
		sn = NULL;
		S.built++;
		pthread_cond_broadcast(&S.cond);
	}
	pthread_mutex_unlock(&S.lock);
	snapshot_free(sn);
}

static void trap_queue(struct trap *t)
{
	uint64_t one = 1;

	pthread_mutex_lock(&S.lock);
	if (!S.running || S.qlen >= TRAP_QUEUE_MAX) {
		static struct log_ratelimit rl = LOG_RATELIMIT_INIT(60000, 1);
		bool full = S.running;
		pthread_mutex_unlock(&S.lock);
		free(t);
		if (full)
			log_msg_limited(&rl, "SNMP", SEV_WARNING, "TRAP_DROP",
					"%d notifications wait for the SNMP agent: one dropped",
					TRAP_QUEUE_MAX);
		return;
	}
	S.queue[S.qlen++] = t;
	pthread_mutex_unlock(&S.lock);
	if (write(S.wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_msg("SNMP", SEV_WARNING, "TRAP", "Cannot wake the SNMP agent: %s", strerror(errno));
}

static void on_session_up(const struct vpnsip_session_info *s, void *arg)
{
	struct trap *t;

	if (!S.traps || !S.running)
		return;
	t = xcalloc(1, sizeof(*t));
	t->kind = TRAP_SESSION_UP;
	t->s = *s;
	trap_queue(t);
}

static void on_session_down(const struct vpnsip_session_info *s, const char *cause, void *arg)
{
	struct trap *t;

	if (!S.traps || !S.running)
		return;
	t = xcalloc(1, sizeof(*t));
	t->kind = TRAP_SESSION_DOWN;
	t->s = *s;
	snprintf(t->cause, sizeof(t->cause), "%s", cause ? cause : "");
	trap_queue(t);
}

static void on_registration_lost(const char *number, int status, const char *phrase, void *arg)
{
	struct trap *t;

	if (!S.traps || !S.running)
		return;
	t = xcalloc(1, sizeof(*t));
	t->kind = TRAP_REG_LOST;
	snprintf(t->number, sizeof(t->number), "%s", number);
	t->status = status;
	snprintf(t->cause, sizeof(t->cause), "%s", phrase ? phrase : "");
	trap_queue(t);
}

/* ---- agent thread: values ---------------------------------------------------------------------- */

/* Rows of the session table from T.snap (tdata keeps them sorted by index). */
static void table_fill(void)
{
	netsnmp_tdata_row *row;

	while ((row = netsnmp_tdata_row_first(T.table)))
		netsnmp_tdata_remove_and_delete_row(T.table, row);
	for (size_t i = 0; T.snap && i < T.snap->n; i++) {
		struct vpnsip_session_info *s = &T.snap->s[i];
		long idx = s->ifindex;
		if (idx <= 0)
			continue; /* no device: no ifIndex to name it by */
		row = netsnmp_tdata_create_row();
		if (!row)
			break;
		row->data = s;
		netsnmp_tdata_row_add_index(row, ASN_INTEGER, &idx, sizeof(idx));
		if (netsnmp_tdata_add_row(T.table, row) != SNMPERR_SUCCESS)
			netsnmp_tdata_delete_row(row);
	}
}

/* A new copy from the main thread, or NULL if it did not answer within
 * SNAPSHOT_WAIT_MS (the caller keeps answering from its older copy). */
static struct snapshot *snapshot_fetch(void)
{
	struct timespec until;
	unsigned long had;
	struct snapshot *sn = NULL;

	clock_gettime(CLOCK_REALTIME, &until);
	until.tv_nsec += SNAPSHOT_WAIT_MS * 1000000L;
	until.tv_sec += until.tv_nsec / 1000000000L;
	until.tv_nsec %= 1000000000L;
	pthread_mutex_lock(&S.lock);
	had = S.built;
	if (!S.posted) {
		S.posted = true;
		evloop_post(S.loop, snapshot_build, NULL);
	}
	while (S.built == had && !S.stop)
		if (pthread_cond_timedwait(&S.cond, &S.lock, &until) == ETIMEDOUT)
			break;
	bool stopping = S.stop;
	if (S.built != had) {
		sn = S.fresh;
		S.fresh = NULL;
	}
	pthread_mutex_unlock(&S.lock);
	if (!sn && !stopping) {
		static struct log_ratelimit rl = LOG_RATELIMIT_INIT(60000, 1);
		log_msg_limited(&rl, "SNMP", SEV_WARNING, "AGENT",
			"The main thread did not answer within %d ms: SNMP answers with older values",
			SNAPSHOT_WAIT_MS);
	}
	return sn;
}

static bool stale(uint64_t at)
{
	return !at || mono_ms() - at >= SNAPSHOT_MAX_AGE_S * 1000;
}

/* The cache helper, first in the table's handler chain: before the
 * container looks a row up. */
static int cache_load(netsnmp_cache *cache, void *magic)
{
	struct snapshot *sn;

	if (!stale(T.snap_at) || !(sn = snapshot_fetch()))
		return 0;
	snapshot_free(T.snap);
	T.snap = sn;
	T.snap_at = mono_ms();
	table_fill();
	return 0;
}

static void reg_refresh(void)
{
	struct snapshot *sn;

	if (!stale(T.reg_at) || !(sn = snapshot_fetch()))
		return;
	T.reg = sn->reg;
	T.reg_at = mono_ms();
	snapshot_free(sn);
}

static void cache_free(netsnmp_cache *cache, void *magic)
{
	/* rows stay until the next copy replaces them (table_fill) */
}

static void set_string(netsnmp_request_info *r, const char *s)
{
	snmp_set_var_typed_value(r->requestvb, ASN_OCTET_STR, s, strlen(s));
}

static void set_u32(netsnmp_request_info *r, u_char type, uint64_t v)
{
	u_long u = v > UINT32_MAX ? UINT32_MAX : (u_long)v;

	snmp_set_var_typed_value(r->requestvb, type, &u, sizeof(u));
}

static void set_int(netsnmp_request_info *r, long v)
{
	snmp_set_var_typed_value(r->requestvb, ASN_INTEGER, &v, sizeof(v));
}

static int table_handler(netsnmp_mib_handler *h, netsnmp_handler_registration *reg,
			 netsnmp_agent_request_info *ri, netsnmp_request_info *requests)
{
	if (ri->mode != MODE_GET)
		return SNMP_ERR_NOERROR;
	for (netsnmp_request_info *r = requests; r; r = r->next) {
		struct vpnsip_session_info *s = netsnmp_tdata_extract_entry(r);
		netsnmp_table_request_info *ti = netsnmp_extract_table_info(r);
		if (r->processed)
			continue;
		if (!s || !ti) {
			netsnmp_set_request_error(ri, r, SNMP_NOSUCHINSTANCE);
			continue;
		}
		switch (ti->colnum) {
		case COL_TUNNEL: set_string(r, s->tunnel); break;
		case COL_STATE: set_int(r, s->state + 1); break;
		case COL_LOCAL: set_string(r, s->local_number); break;
		case COL_REMOTE: set_string(r, s->remote_number); break;
		case COL_PEER:
			snmp_set_var_typed_value(r->requestvb, ASN_IPADDRESS, &s->remote_addr.s_addr, 4);
			break;
		case COL_BW_CONF: set_u32(r, ASN_UNSIGNED, s->bw_conf); break;
		case COL_BW_NEG: set_u32(r, ASN_UNSIGNED, s->bw_neg); break;
		case COL_UPTIME: set_u32(r, ASN_UNSIGNED, s->uptime_s); break;
		case COL_CALL_S: set_u32(r, ASN_UNSIGNED, s->call_s); break;
		default: netsnmp_set_request_error(ri, r, SNMP_NOSUCHOBJECT); break;
		}
	}
	return SNMP_ERR_NOERROR;
}

static int reg_handler(netsnmp_mib_handler *h, netsnmp_handler_registration *reg,
		       netsnmp_agent_request_info *ri, netsnmp_request_info *requests)
{
	if (ri->mode != MODE_GET)
		return SNMP_ERR_NOERROR;
	reg_refresh();
	for (netsnmp_request_info *r = requests; r; r = r->next) {
		const struct vpnsip_reg_summary *g = T.reg_at ? &T.reg : NULL;
		oid col = r->requestvb->name[r->requestvb->name_length - 2];
		if (!g) {
			netsnmp_set_request_error(ri, r, SNMP_NOSUCHINSTANCE);
			continue;
		}
		switch (col) {
		case REG_NUMBER: set_string(r, g->number); break;
		case REG_STATE: set_int(r, g->state + 1); break;
		case REG_CONFIGURED: set_u32(r, ASN_GAUGE, g->configured); break;
		case REG_REGISTERED: set_u32(r, ASN_GAUGE, g->registered); break;
		default: netsnmp_set_request_error(ri, r, SNMP_NOSUCHOBJECT); break;
		}
	}
	return SNMP_ERR_NOERROR;
}

static int mib_register(void)
{
	netsnmp_handler_registration *reg;
	netsnmp_table_registration_info *ti;
	netsnmp_cache *cache;

	reg = netsnmp_create_handler_registration("vpnsipRegistration", reg_handler, mib_reg,
						  OID_LENGTH(mib_reg), HANDLER_CAN_RONLY);
	if (!reg || netsnmp_register_scalar_group(reg, REG_NUMBER, REG_REGISTERED) !=
			    MIB_REGISTERED_OK)
		return -1;

	T.table = netsnmp_tdata_create_table("vpnsipSessionTable", 0);
	ti = SNMP_MALLOC_TYPEDEF(netsnmp_table_registration_info);
	reg = netsnmp_create_handler_registration("vpnsipSessionTable", table_handler, mib_table,
						  OID_LENGTH(mib_table), HANDLER_CAN_RONLY);
	if (!T.table || !ti || !reg)
		return -1;
	netsnmp_table_helper_add_indexes(ti, ASN_INTEGER, 0);
	ti->min_column = COL_TUNNEL;
	ti->max_column = COL_CALL_S;
	if (netsnmp_tdata_register(reg, T.table, ti) != MIB_REGISTERED_OK)
		return -1;
	cache = netsnmp_cache_create(SNAPSHOT_MAX_AGE_S, cache_load, cache_free, mib_table,
				     OID_LENGTH(mib_table));
	if (!cache)
		return -1;
	cache->flags = NETSNMP_CACHE_DONT_INVALIDATE_ON_SET | NETSNMP_CACHE_DONT_FREE_EXPIRED;
	cache->magic = T.table;
	/* first of all: the row lookup (table_container) follows the table
	 * helper, and a reload replaces the rows */
	return netsnmp_inject_handler_before(reg, netsnmp_cache_handler_get(cache),
					     TABLE_HANDLER_NAME) == SNMPERR_SUCCESS ? 0 : -1;
}

/* ---- agent thread: notifications ----------------------------------------------------------- */

static void add_column(netsnmp_variable_list **vl, int col, long ifindex, u_char type,
		       const void *val, size_t len)
{
	oid name[OID_LENGTH(mib_entry) + 2];

	memcpy(name, mib_entry, sizeof(mib_entry));
	name[OID_LENGTH(mib_entry)] = (oid)col;
	name[OID_LENGTH(mib_entry) + 1] = (oid)ifindex;
	snmp_varlist_add_variable(vl, name, OID_LENGTH(name), type, val, len);
}

static void add_notif_obj(netsnmp_variable_list **vl, int obj, u_char type, const void *val,
			  size_t len)
{
	oid name[OID_LENGTH(mib_notif_obj) + 2];

	memcpy(name, mib_notif_obj, sizeof(mib_notif_obj));
	name[OID_LENGTH(mib_notif_obj)] = (oid)obj;
	name[OID_LENGTH(mib_notif_obj) + 1] = 0;
	snmp_varlist_add_variable(vl, name, OID_LENGTH(name), type, val, len);
}

static void trap_send(const struct trap *t)
{
	netsnmp_variable_list *vl = NULL;
	oid notif[OID_LENGTH(mib_notifs) + 1];
	const struct vpnsip_session_info *s = &t->s;
	long ifx = s->ifindex;
	u_long u;
	long status = t->status;

	memcpy(notif, mib_notifs, sizeof(mib_notifs));
	notif[OID_LENGTH(mib_notifs)] = (oid)t->kind;
	snmp_varlist_add_variable(&vl, snmptrap_oid, OID_LENGTH(snmptrap_oid), ASN_OBJECT_ID,
				  notif, sizeof(notif));
	switch (t->kind) {
	case TRAP_SESSION_UP:
	case TRAP_SESSION_DOWN:
		add_column(&vl, COL_TUNNEL, ifx, ASN_OCTET_STR, s->tunnel, strlen(s->tunnel));
		add_column(&vl, COL_REMOTE, ifx, ASN_OCTET_STR, s->remote_number,
			   strlen(s->remote_number));
		add_column(&vl, COL_PEER, ifx, ASN_IPADDRESS, &s->remote_addr.s_addr, 4);
		if (t->kind == TRAP_SESSION_UP) {
			u = s->bw_neg;
			add_column(&vl, COL_BW_NEG, ifx, ASN_UNSIGNED, &u, sizeof(u));
		} else {
			u = s->call_s > UINT32_MAX ? UINT32_MAX : (u_long)s->call_s;
			add_column(&vl, COL_CALL_S, ifx, ASN_UNSIGNED, &u, sizeof(u));
			add_notif_obj(&vl, NOTIF_CAUSE, ASN_OCTET_STR, t->cause, strlen(t->cause));
		}
		break;
	case TRAP_REG_LOST:
		add_notif_obj(&vl, NOTIF_NUMBER, ASN_OCTET_STR, t->number, strlen(t->number));
		add_notif_obj(&vl, NOTIF_STATUS, ASN_INTEGER, &status, sizeof(status));
		add_notif_obj(&vl, NOTIF_CAUSE, ASN_OCTET_STR, t->cause, strlen(t->cause));
		break;
	}
	send_v2trap(vl);
	snmp_free_varbind(vl);
}

/* ---- agent thread: the session and net-snmp's log -------------------------------------------- */

static int on_connected(int major, int minor, void *server, void *client)
{
	T.connected = true;
	log_msg("SNMP", SEV_NOTICE, "AGENTX_UP", "Connected to the AgentX master agent at %s",
		T.socket);
	return SNMPERR_SUCCESS;
}

static int on_disconnected(int major, int minor, void *server, void *client)
{
	if (T.connected)
		log_msg("SNMP", SEV_WARNING, "AGENTX_DOWN",
			"Lost the AgentX master agent at %s: trying again every %d s", T.socket,
			AGENTX_RETRY_S);
	T.connected = false;
	return SNMPERR_SUCCESS;
}

/* net-snmp's own messages: warnings and worse into our log, the rest
 * dropped (its connection notices are ours above). */
static int on_netsnmp_log(int major, int minor, void *server, void *client)
{
	const struct snmp_log_message *m = server;
	char line[256];
	size_t n;

	if (!m || !m->msg || m->priority > LOG_WARNING)
		return 0;
	/* init_snmp() looks for MIB files even with none to load */
	if (strncmp(m->msg, "Cannot find module", 18) == 0 ||
	    strncmp(m->msg, "MIB search path", 15) == 0)
		return 0;
	snprintf(line, sizeof(line), "%s", m->msg);
	n = strlen(line);
	while (n && (line[n - 1] == '\n' || line[n - 1] == ' '))
		line[--n] = '\0';
	log_msg("SNMP", m->priority <= LOG_ERR ? SEV_ERR : SEV_WARNING, "NETSNMP", "net-snmp: %s",
		line);
	return 0;
}

/* Connect to T.socket: now, or net-snmp retries every AGENTX_RETRY_S. */
static void agentx_connect(void)
{
	netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_X_SOCKET, T.socket);
	T.active = true;
	subagent_startup(0, 0, NULL, NULL);
	if (!T.connected)
		log_msg("SNMP", SEV_WARNING, "AGENTX_DOWN",
			"No AgentX master agent at %s: trying again every %d s", T.socket,
			AGENTX_RETRY_S);
}

/* Close the session (AgentX Close, reason shutdown) and stop retrying:
 * the steps of net-snmp's own ping failure, without the reconnect. */
static void agentx_disconnect(void)
{
	netsnmp_session *ss = main_session;

	/* the ping alarm, or the pending reconnect; the agent has no others */
	snmp_alarm_unregister_all();
	T.active = false;
	if (!ss)
		return;
	agentx_unregister_callbacks(ss);
	agentx_close_session(ss, AGENTX_CLOSE_SHUTDOWN);
	remove_trap_session(ss);
	register_mib_detach();
	main_session = NULL;
	snmp_close(ss);
	if (T.connected)
		log_msg("SNMP", SEV_NOTICE, "AGENTX_DOWN",
			"Disconnected from the AgentX master agent at %s", T.socket);
	T.connected = false;
}

/* The main thread changed what we should be connected to. */
static void reconfigure(void)
{
	bool want;
	char path[sizeof(T.socket)];

	pthread_mutex_lock(&S.lock);
	want = S.want;
	snprintf(path, sizeof(path), "%s", S.want_socket);
	T.want_gen = S.want_gen;
	pthread_mutex_unlock(&S.lock);
	if (T.active && (!want || strcmp(path, T.socket) != 0))
		agentx_disconnect();
	if (want && !T.active) {
		snprintf(T.socket, sizeof(T.socket), "%s", path);
		agentx_connect();
	}
}

static void on_wake(int fd, void *arg)
{
	uint64_t n;
	struct trap *q[TRAP_QUEUE_MAX];
	size_t len;
	unsigned long gen;

	if (read(fd, &n, sizeof(n)) < 0 && errno != EAGAIN)
		return;
	pthread_mutex_lock(&S.lock);
	len = S.qlen;
	memcpy(q, S.queue, len * sizeof(q[0]));
	S.qlen = 0;
	gen = S.want_gen;
	pthread_mutex_unlock(&S.lock);
	if (gen != T.want_gen)
		reconfigure();
	for (size_t i = 0; i < len; i++) {
		if (T.connected)
			trap_send(q[i]);
		free(q[i]);
	}
}

static void *agent_main(void *arg)
{
	pthread_setname_np(pthread_self(), "vpnsipd-snmp");
	pthread_mutex_lock(&S.lock);
	snprintf(T.socket, sizeof(T.socket), "%s", S.want_socket);
	T.want_gen = S.want_gen;
	pthread_mutex_unlock(&S.lock);
	/* A subagent that reads and writes no files of its own: no
	 * snmp.conf, no persistent state, no MIB files (it serves numeric
	 * OIDs).  Alarms (reconnect, ping) run from the select loop, not
	 * SIGALRM. */
	netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_ROLE, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_ALARM_DONT_USE_SIG, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_CONFIG_LOAD, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_LOAD, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DISABLE_PERSISTENT_SAVE, 1);
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_DONT_PERSIST_STATE, 1);
	netsnmp_ds_set_string(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_MIBDIRS, "/nonexistent");
	netsnmp_ds_set_boolean(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_MIB_ERRORS, 0);
	netsnmp_ds_set_int(NETSNMP_DS_LIBRARY_ID, NETSNMP_DS_LIB_MIB_WARNINGS, 0);
	snmp_disable_log();
	snmp_enable_calllog();
	snmp_register_callback(SNMP_CALLBACK_LIBRARY, SNMP_CALLBACK_LOGGING, on_netsnmp_log, NULL);
	snmp_register_callback(SNMP_CALLBACK_APPLICATION, SNMPD_CALLBACK_INDEX_START, on_connected,
			       NULL);
	snmp_register_callback(SNMP_CALLBACK_APPLICATION, SNMPD_CALLBACK_INDEX_STOP,
			       on_disconnected, NULL);
	if (init_agent("vpnsipd") != 0 || mib_register() < 0) {
		log_msg("SNMP", SEV_ERR, "AGENT", "Cannot set up the SNMP agent");
	} else {
		/* after init_agent(), which sets the AgentX defaults (ping 15 s) */
		netsnmp_ds_set_string(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_X_SOCKET, T.socket);
		netsnmp_ds_set_int(NETSNMP_DS_APPLICATION_ID, NETSNMP_DS_AGENT_AGENTX_PING_INTERVAL,
				   AGENTX_RETRY_S);
		netsnmp_ds_set_boolean(NETSNMP_DS_APPLICATION_ID,
				       NETSNMP_DS_AGENT_NO_CONNECTION_WARNINGS, 1);
		T.active = true;
		init_snmp("vpnsipd"); /* connects (subagent_startup) */
		if (!T.connected)
			log_msg("SNMP", SEV_WARNING, "AGENTX_DOWN",
				"No AgentX master agent at %s: trying again every %d s", T.socket,
				AGENTX_RETRY_S);
		register_readfd(S.wake_fd, on_wake, NULL);
		/* the configuration may have changed while we started */
		on_wake(S.wake_fd, NULL);
		for (;;) {
			pthread_mutex_lock(&S.lock);
			bool stop = S.stop;
			pthread_mutex_unlock(&S.lock);
			if (stop)
				break;
			agent_check_and_process(1);
		}
		unregister_readfd(S.wake_fd);
	}
	if (T.connected)
		log_msg("SNMP", SEV_NOTICE, "AGENTX_DOWN",
			"Disconnected from the AgentX master agent at %s", T.socket);
	T.connected = false;
	snmp_shutdown("vpnsipd");
	/* tdata rows pointed into the copy: the table went with snmp_shutdown */
	snapshot_free(T.snap);
	T.snap = NULL;
	T.snap_at = T.reg_at = 0;
	return NULL;
}

/* ---- main thread: start and stop -------------------------------------------------------------- */

static void wake(void)
{
	uint64_t one = 1;

	if (write(S.wake_fd, &one, sizeof(one)) < 0 && errno != EAGAIN)
		log_msg("SNMP", SEV_WARNING, "AGENT", "Cannot wake the SNMP agent: %s", strerror(errno));
}

void snmp_agent_stop(void)
{
	if (!S.running)
		return;
	pthread_mutex_lock(&S.lock);
	S.stop = true;
	pthread_cond_broadcast(&S.cond);
	pthread_mutex_unlock(&S.lock);
	wake();
	pthread_join(S.thread, NULL);
	hook_unregister(vpnsip_session_up, on_session_up, NULL);
	hook_unregister(vpnsip_session_down, on_session_down, NULL);
	hook_unregister(vpnsip_registration_lost, on_registration_lost, NULL);
	pthread_mutex_lock(&S.lock);
	S.running = false;
	for (size_t i = 0; i < S.qlen; i++)
		free(S.queue[i]);
	S.qlen = 0;
	snapshot_free(S.fresh);
	S.fresh = NULL;
	pthread_mutex_unlock(&S.lock);
	close(S.wake_fd);
	S.wake_fd = -1;
	S.started = true; /* never again in this process */
}

static int agent_start(struct evloop *loop)
{
	int rc;

	S.wake_fd = eventfd(0, EFD_NONBLOCK | EFD_CLOEXEC);
	if (S.wake_fd < 0)
		return -1;
	S.loop = loop;
	S.stop = false;
	S.posted = false;
	S.running = true;
	rc = pthread_create(&S.thread, NULL, agent_main, NULL);
	if (rc != 0) {
		S.running = false;
		close(S.wake_fd);
		S.wake_fd = -1;
		errno = rc;
		return -1;
	}
	S.started = true;
	hook_register(vpnsip_session_up, on_session_up, NULL, HOOK_PRIO_DEFAULT);
	hook_register(vpnsip_session_down, on_session_down, NULL, HOOK_PRIO_DEFAULT);
	hook_register(vpnsip_registration_lost, on_registration_lost, NULL, HOOK_PRIO_DEFAULT);
	return 0;
}

void snmp_agent_apply(struct evloop *loop, const struct snmp_cfg *c)
{
	const char *path = c && c->socket ? c->socket : SNMP_AGENTX_SOCKET_DEFAULT;
	bool want = c && c->agentx;

	S.traps = want && c->traps_vpnsip;
	if (!S.running && (!want || S.started))
		return;
	pthread_mutex_lock(&S.lock);
	S.want = want;
	snprintf(S.want_socket, sizeof(S.want_socket), "%s", path);
	S.want_gen++;
	pthread_mutex_unlock(&S.lock);
	if (S.running)
		wake();
	else if (agent_start(loop) < 0)
		log_msg("SNMP", SEV_ERR, "AGENT", "Cannot start the SNMP agent: %s", strerror(errno));
}
