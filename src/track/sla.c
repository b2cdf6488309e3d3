/* IP SLA ICMP echo operations.
 *
 * Every operation shares one raw ICMP socket and lives on the main loop's
 * timer heap: no thread, socket or file descriptor per probe, so thousands
 * of operations cost a heap entry each.  Probe times are computed from the
 * schedule's start (start + k * frequency), so they do not drift.  An echo
 * request carries the operation's 16-bit identifier, a sequence number and
 * a tag in its payload; replies are matched by identifier and checked. */
#include <arpa/inet.h>
#include <errno.h>
#include <netinet/ip.h>
#include <netinet/ip_icmp.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <time.h>
#include <unistd.h>

#include "cli/json.h"
#include "config/config.h"
#include "log/debug.h"
#include "net/ifstate.h"
#include "net/netmon.h"
#include "track/sla.h"
#include "track/track.h"
#include "util/evloop.h"
#include "util/hashmap.h"
#include "util/xalloc.h"

static struct debug_flag debug_sla = {
	.path = "ip sla trace",
	.help = "IP information\nIP SLA debug\nTrace of operations",
	.title = "IP SLAs trace",
};

#define SLA_MAX 2147483647u
#define PAYLOAD_TAG "vpnsipSL"
#ifndef ICMP_FILTER
#define ICMP_FILTER 1 /* linux/icmp.h, which clashes with net/if.h */
#endif

enum sla_start { START_PENDING, START_NOW, START_AT, START_AFTER };

struct sla_op {
	unsigned id;
	bool icmp_echo; /* the operation type is set */
	struct in_addr dest;
	char *src_if;
	bool has_src_ip;
	struct in_addr src_ip;
	unsigned threshold_ms, timeout_ms, frequency_s;
	/* schedule */
	bool scheduled;
	enum sla_start start;
	unsigned start_secs; /* START_AT: seconds after midnight; START_AFTER: delay */
	bool life_forever;
	unsigned life_s;
	/* run time */
	bool running;
	uint16_t echo_id, seq;
	struct ev_timer *probe_timer, *timeout_timer;
	uint64_t first_ms, next_ms, sent_ms, end_ms;
	bool outstanding;
	/* statistics */
	struct sla_result latest;
	time_t latest_start;
	unsigned long successes, failures;
};

/* The operations of one configuration. */
struct sla_model {
	struct hashmap ops; /* "id" -> sla_op */
};

/* The daemon's side: the running configuration's operations probe. */
static struct {
	struct hashmap by_icmp; /* "icmp id" -> sla_op (running ones) */
	uint16_t next_icmp;
	struct evloop *loop;
	int fd;
	struct ev_io *io;
	bool ready;
} S = { .fd = -1 };

static struct config *run_cfg;

static void ready(void)
{
	if (S.ready)
		return;
	hashmap_init(&S.by_icmp, false);
	S.ready = true;
}

static void op_free(struct sla_op *op);

static void sla_model_free(void *ext)
{
	struct sla_model *m = ext;

	for (struct hashmap_entry *e = NULL; (e = hashmap_next(&m->ops, e));)
		op_free(e->value);
	hashmap_clear(&m->ops);
	free(m);
}

static void sla_model_init(void *ext)
{
	struct sla_model *m = ext;

	hashmap_init(&m->ops, false);
}

const struct config_ext_type sla_ext = { "ip sla", sla_model_free, sla_model_init };

static struct sla_model *model_rw(struct config *cfg)
{
	return config_ext_get_or_create(cfg, &sla_ext, sizeof(struct sla_model));
}

/* NULL while the configuration has no operation. */
static struct sla_model *model_of(const struct config *cfg)
{
	return cfg ? config_ext_get(cfg, &sla_ext) : NULL;
}

static struct sla_op *op_find(const struct config *cfg, unsigned id)
{
	struct sla_model *m = model_of(cfg);
	char k[16];

	if (!m)
		return NULL;
	snprintf(k, sizeof(k), "%u", id);
	return hashmap_get(&m->ops, k);
}

bool sla_latest(const struct config *cfg, unsigned id, struct sla_result *out)
{
	struct sla_op *op = op_find(cfg, id);

	if (!op)
		return false;
	*out = op->latest;
	return true;
}

const char *sla_rc_name(enum sla_rc rc)
{
	switch (rc) {
	case SLA_RC_OK: return "OK";
	case SLA_RC_OVER_THRESHOLD: return "Over threshold";
	case SLA_RC_TIMEOUT: return "Timeout";
	case SLA_RC_NO_CONNECTION: return "No connection";
	default: return "Unknown";
	}
}

/* ---- probing ---------------------------------------------------------------- */

static void op_stop(struct sla_op *op);
static void probe_due(struct ev_timer *t, void *arg);

uint16_t sla_icmp_checksum(const void *data, size_t len)
{
	const uint8_t *p = data;
	uint32_t sum = 0;

	for (; len > 1; p += 2, len -= 2)
		sum += (uint32_t)p[0] << 8 | p[1];
	if (len)
		sum += (uint32_t)p[0] << 8;
	while (sum >> 16)
		sum = (sum & 0xffff) + (sum >> 16);
	return htons((uint16_t)~sum);
}

static void op_result(struct sla_op *op, enum sla_rc rc, unsigned rtt)
{
	char d[INET_ADDRSTRLEN];

	op->outstanding = false;
	ev_timer_del(op->timeout_timer);
	op->timeout_timer = NULL;
	op->latest.rc = rc;
	op->latest.rtt_ms = rtt;
	if (rc == SLA_RC_OK || rc == SLA_RC_OVER_THRESHOLD)
		op->successes++;
	else
		op->failures++;
	dbg(&debug_sla, "IP SLAs(%u) echo operation: %s: %s, RTT=%u", op->id,
	    inet_ntop(AF_INET, &op->dest, d, sizeof(d)), sla_rc_name(rc), rtt);
	track_sla_updated(run_cfg, op->id);
}

static void probe_timeout(struct ev_timer *t, void *arg)
{
	struct sla_op *op = arg;

	op->timeout_timer = NULL;
	if (op->outstanding)
		op_result(op, SLA_RC_TIMEOUT, 0);
}

/* The source address and output device of a probe, from source-interface
 * or source-ip; false when source-interface has no address (yet). */
static bool probe_source(const struct sla_op *op, struct in_pktinfo *pi)
{
	memset(pi, 0, sizeof(*pi));
	if (op->has_src_ip)
		pi->ipi_spec_dst = op->src_ip;
	if (!op->src_if)
		return true;
	const struct ifstate *st = ifstate_get(op->src_if);
	const char *dev = sla_ifdev(op->src_if);
	const struct netmon_dev *d = dev ? netmon_dev_by_name(dev) : NULL;
	if (!d)
		return false;
	if (st && st->has_addr)
		pi->ipi_spec_dst = st->addr.addr;
	else if (d->naddrs)
		pi->ipi_spec_dst = d->addrs[0].addr;
	else
		return false;
	pi->ipi_ifindex = d->ifindex;
	return true;
}

static void probe_send(struct sla_op *op)
{
	struct {
		struct icmphdr h;
		char tag[8];
		uint32_t sla_id;
		uint32_t pad[2];
	} pkt;
	struct sockaddr_in to = { .sin_family = AF_INET, .sin_addr = op->dest };
	struct in_pktinfo pi;
	union {
		char buf[CMSG_SPACE(sizeof(struct in_pktinfo))];
		struct cmsghdr align;
	} cm;
	struct iovec iov = { &pkt, sizeof(pkt) };
	struct msghdr msg = { .msg_name = &to, .msg_namelen = sizeof(to), .msg_iov = &iov,
			      .msg_iovlen = 1 };

	op->latest_start = time(NULL);
	if (op->outstanding)
		op_result(op, SLA_RC_TIMEOUT, 0);
	if (S.fd < 0 || !probe_source(op, &pi)) {
		op_result(op, SLA_RC_NO_CONNECTION, 0);
		return;
	}
	memset(&pkt, 0, sizeof(pkt));
	pkt.h.type = ICMP_ECHO;
	pkt.h.un.echo.id = htons(op->echo_id);
	pkt.h.un.echo.sequence = htons(++op->seq);
	memcpy(pkt.tag, PAYLOAD_TAG, 8);
	pkt.sla_id = htonl(op->id);
	pkt.h.checksum = sla_icmp_checksum(&pkt, sizeof(pkt));
	if (op->src_if || op->has_src_ip) {
		memset(&cm, 0, sizeof(cm));
		msg.msg_control = cm.buf;
		msg.msg_controllen = sizeof(cm.buf);
		struct cmsghdr *c = CMSG_FIRSTHDR(&msg);
		c->cmsg_level = IPPROTO_IP;
		c->cmsg_type = IP_PKTINFO;
		c->cmsg_len = CMSG_LEN(sizeof(pi));
		memcpy(CMSG_DATA(c), &pi, sizeof(pi));
	}
	op->sent_ms = evloop_now_ms();
	if (sendmsg(S.fd, &msg, MSG_DONTWAIT) < 0) {
		dbg(&debug_sla, "IP SLAs(%u): send: %s", op->id, strerror(errno));
		op_result(op, SLA_RC_NO_CONNECTION, 0);
		return;
	}
	op->outstanding = true;
	op->timeout_timer = ev_timer_add(S.loop, op->timeout_ms, probe_timeout, op);
}

static void on_icmp(struct ev_io *io, uint32_t events, void *arg)
{
	uint8_t buf[1500];

	for (int i = 0; i < 256; i++) {
		ssize_t n = recv(S.fd, buf, sizeof(buf), MSG_DONTWAIT);
		if (n < 0)
			return;
		if ((size_t)n < sizeof(struct iphdr))
			continue;
		const struct iphdr *ip = (const struct iphdr *)buf;
		size_t hl = (size_t)ip->ihl * 4;
		if ((size_t)n < hl + sizeof(struct icmphdr) + 12)
			continue;
		const struct icmphdr *h = (const struct icmphdr *)(buf + hl);
		if (h->type != ICMP_ECHOREPLY || memcmp(buf + hl + sizeof(*h), PAYLOAD_TAG, 8) != 0)
			continue;
		char k[8];
		snprintf(k, sizeof(k), "%u", ntohs(h->un.echo.id));
		struct sla_op *op = hashmap_get(&S.by_icmp, k);
		uint32_t id;
		memcpy(&id, buf + hl + sizeof(*h) + 8, 4);
		if (!op || !op->outstanding || ntohl(id) != op->id ||
		    ntohs(h->un.echo.sequence) != op->seq || ip->saddr != op->dest.s_addr)
			continue;
		unsigned rtt = (unsigned)(evloop_now_ms() - op->sent_ms);
		op_result(op, rtt > op->threshold_ms ? SLA_RC_OVER_THRESHOLD : SLA_RC_OK, rtt);
	}
}

static void probe_due(struct ev_timer *t, void *arg)
{
	struct sla_op *op = arg;
	uint64_t now = evloop_now_ms();

	op->probe_timer = NULL;
	if (!op->life_forever && now >= op->end_ms) {
		op_stop(op);
		return;
	}
	probe_send(op);
	/* absolute schedule: skip missed slots instead of bunching up */
	uint64_t step = (uint64_t)op->frequency_s * 1000;
	op->next_ms += step;
	if (op->next_ms <= now)
		op->next_ms += ((now - op->next_ms) / step + 1) * step;
	op->probe_timer = ev_timer_add(S.loop, op->next_ms - now, probe_due, op);
}

static bool icmp_id_alloc(struct sla_op *op)
{
	char k[8];

	for (unsigned tries = 0; tries < 65536; tries++) {
		uint16_t id = ++S.next_icmp;
		if (!id)
			continue;
		snprintf(k, sizeof(k), "%u", id);
		if (!hashmap_get(&S.by_icmp, k)) {
			op->echo_id = id;
			hashmap_put(&S.by_icmp, k, op);
			return true;
		}
	}
	return false;
}

/* Milliseconds until the schedule's start. */
static uint64_t start_delay_ms(const struct sla_op *op)
{
	if (op->start == START_AFTER)
		return (uint64_t)op->start_secs * 1000;
	if (op->start != START_AT)
		return 0;
	time_t now = time(NULL);
	struct tm tm;
	localtime_r(&now, &tm);
	long cur = tm.tm_hour * 3600L + tm.tm_min * 60L + tm.tm_sec;
	long d = (long)op->start_secs - cur;
	if (d < 0)
		d += 86400;
	return (uint64_t)d * 1000;
}

/* Only the running configuration's operations probe. */
static void op_start(const struct config *cfg, struct sla_op *op)
{
	if (!S.loop || cfg != run_cfg || op->running || !op->scheduled || !op->icmp_echo || op->start == START_PENDING)
		return;
	if (!icmp_id_alloc(op)) {
		log_msg("RTT", SEV_ERR, "NOID", "IP SLA %u: no free ICMP identifier (65535 operations running)",
			op->id);
		return;
	}
	uint64_t now = evloop_now_ms();
	op->running = true;
	op->first_ms = now + start_delay_ms(op);
	op->next_ms = op->first_ms;
	op->end_ms = op->first_ms + (uint64_t)op->life_s * 1000;
	op->probe_timer = ev_timer_add(S.loop, op->first_ms - now, probe_due, op);
}

static void op_stop(struct sla_op *op)
{
	char k[8];

	if (!op->running)
		return;
	ev_timer_del(op->probe_timer);
	ev_timer_del(op->timeout_timer);
	op->probe_timer = op->timeout_timer = NULL;
	op->outstanding = false;
	snprintf(k, sizeof(k), "%u", op->echo_id);
	hashmap_del(&S.by_icmp, k);
	op->running = false;
}

/* A changed operation starts over (IOS refuses changes to a running one;
 * restarting keeps the configuration editable). */
static void op_restart(const struct config *cfg, struct sla_op *op)
{
	op_stop(op);
	op_start(cfg, op);
}

/* ---- commands --------------------------------------------------------------- */

static struct sla_op *op_current(struct cli_exec *x)
{
	const char *k = cli_key(x, "config-ip-sla");
	struct sla_model *m = model_of(cfg_of(x));
	struct sla_op *op = k && m ? hashmap_get(&m->ops, k) : NULL;

	if (!op)
		cli_error(x, "IP SLA entry %s no longer exists", k ? k : "?");
	return op;
}

static void op_free(struct sla_op *op)
{
	op_stop(op);
	free(op->src_if);
	free(op);
}

static int cmd_ip_sla(struct cli_exec *x)
{
	const char *k = cli_arg(x, "id");
	struct config *cfg = cfg_of(x);
	struct sla_model *m = model_rw(cfg);
	struct sla_op *op;

	if (x->is_no) {
		op = hashmap_del(&m->ops, k);
		if (!op)
			return cli_error(x, "Entry number %s does not exist", k);
		unsigned id = op->id;
		op_free(op);
		track_sla_updated(cfg, id);
		return CLI_OK;
	}
	op = hashmap_get(&m->ops, k);
	if (!op) {
		op = xcalloc(1, sizeof(*op));
		op->id = (unsigned)strtoul(k, NULL, 10);
		op->threshold_ms = 5000;
		op->timeout_ms = 5000;
		op->frequency_s = 60;
		op->life_s = 3600;
		hashmap_put(&m->ops, k, op);
	}
	cli_enter(x, "config-ip-sla", k);
	if (op->icmp_echo)
		cli_enter(x, "config-ip-sla-echo", k);
	return CLI_OK;
}

static int cmd_icmp_echo(struct cli_exec *x)
{
	struct sla_op *op = op_current(x);

	if (!op)
		return CLI_ERR_FAILED;
	if (x->is_no) {
		op_stop(op);
		op->icmp_echo = false;
		track_sla_updated(cfg_of(x), op->id);
		return CLI_OK;
	}
	struct in_addr dest;
	inet_pton(AF_INET, cli_arg(x, "dest"), &dest);
	if (op->icmp_echo && op->dest.s_addr != dest.s_addr && op->running)
		cli_out(x, "%% Operation %u restarts with the new destination\n", op->id);
	op->icmp_echo = true;
	op->dest = dest;
	free(op->src_if);
	op->src_if = cli_arg(x, "srcif") ? xstrdup(cli_arg(x, "srcif")) : NULL;
	op->has_src_ip = cli_has(x, "srcip");
	if (op->has_src_ip)
		inet_pton(AF_INET, cli_arg(x, "srcip"), &op->src_ip);
	cli_enter(x, "config-ip-sla-echo", cli_key(x, "config-ip-sla"));
	op_restart(cfg_of(x), op);
	return CLI_OK;
}

static int cmd_sla_param(struct cli_exec *x)
{
	struct sla_op *op = op_current(x);
	const char *what = x->argn[x->is_no ? 1 : 0];

	if (!op)
		return CLI_ERR_FAILED;
	if (strcmp(what, "threshold") == 0) {
		op->threshold_ms = x->is_no ? 5000 : (unsigned)cli_arg_long(x, "ms", 5000);
	} else if (strcmp(what, "timeout") == 0) {
		op->timeout_ms = x->is_no ? 5000 : (unsigned)cli_arg_long(x, "ms", 5000);
	} else {
		unsigned f = x->is_no ? 60 : (unsigned)cli_arg_long(x, "s", 60);
		op->frequency_s = f;
	}
	if ((uint64_t)op->frequency_s * 1000 < op->timeout_ms)
		cli_out(x, "%% Warning: timeout (%u ms) is longer than the frequency (%u s): "
			   "a probe still waiting is counted as a timeout when the next one starts\n",
			op->timeout_ms, op->frequency_s);
	if (op->threshold_ms > op->timeout_ms)
		cli_out(x, "%% Warning: threshold (%u ms) is larger than the timeout (%u ms)\n",
			op->threshold_ms, op->timeout_ms);
	op_restart(cfg_of(x), op);
	return CLI_OK;
}

static bool parse_hms(const char *s, unsigned *secs, bool need_secs)
{
	unsigned h, m, sec = 0;
	char tail;
	int n = sscanf(s, "%u:%u:%u%c", &h, &m, &sec, &tail);

	if (n < 2 || n > 3 || (need_secs && n != 3) || h > 23 || m > 59 || sec > 59)
		return false;
	*secs = h * 3600 + m * 60 + sec;
	return true;
}

static int cmd_sla_schedule(struct cli_exec *x)
{
	const char *k = cli_arg(x, "id");
	struct config *cfg = cfg_of(x);
	struct sla_model *m = model_of(cfg);
	struct sla_op *op = m ? hashmap_get(&m->ops, k) : NULL;

	if (x->is_no) {
		if (op) {
			op_stop(op);
			op->scheduled = false;
			track_sla_updated(cfg, op->id);
		}
		return CLI_OK;
	}
	if (!op)
		return cli_error(x, "Probe %s has not been configured", k);
	if (!op->icmp_echo)
		return cli_error(x, "Probe %s has no operation type (icmp-echo) configured", k);
	const char *life = cli_arg(x, "lifev");
	const char *st = cli_arg(x, "start");
	unsigned secs = 0;
	enum sla_start start = START_PENDING;
	if (st) {
		if (strcmp(st, "now") == 0) {
			start = START_NOW;
		} else if (strcmp(st, "pending") == 0) {
			start = START_PENDING;
		} else if (cli_has(x, "aftertime")) {
			if (!parse_hms(cli_arg(x, "aftertime"), &secs, true))
				return cli_error(x, "Invalid time %s: expected hh:mm:ss", cli_arg(x, "aftertime"));
			start = START_AFTER;
		} else {
			if (!parse_hms(st, &secs, false))
				return cli_error(x, "Invalid time %s: expected hh:mm[:ss]", st);
			start = START_AT;
		}
	}
	op_stop(op);
	op->scheduled = true;
	op->start = start;
	op->start_secs = secs;
	op->life_forever = life && strcmp(life, "forever") == 0;
	op->life_s = life && !op->life_forever ? (unsigned)strtoul(life, NULL, 10) : 3600;
	op_start(cfg, op);
	return CLI_OK;
}

/* ---- running-config --------------------------------------------------------- */

static int op_cmp(const void *a, const void *b)
{
	const struct sla_op *x = *(struct sla_op *const *)a, *y = *(struct sla_op *const *)b;

	return x->id < y->id ? -1 : x->id > y->id;
}

static struct sla_op **sorted_ops(const struct config *cfg, size_t *n)
{
	struct sla_model *m = model_of(cfg);
	struct sla_op **v;

	if (!m) {
		*n = 0;
		return NULL;
	}
	v = (struct sla_op **)hashmap_values(&m->ops, n);
	if (*n)
		qsort(v, *n, sizeof(*v), op_cmp);
	return v;
}

static void write_sla(const struct config *cfg, struct strbuf *out)
{
	size_t n;
	struct sla_op **v = sorted_ops(cfg, &n);
	char a[INET_ADDRSTRLEN];

	for (size_t i = 0; i < n; i++) {
		const struct sla_op *op = v[i];
		sb_printf(out, "ip sla %u\n", op->id);
		if (op->icmp_echo) {
			sb_printf(out, " icmp-echo %s", inet_ntop(AF_INET, &op->dest, a, sizeof(a)));
			if (op->src_if)
				sb_printf(out, " source-interface %s", op->src_if);
			else if (op->has_src_ip)
				sb_printf(out, " source-ip %s", inet_ntop(AF_INET, &op->src_ip, a, sizeof(a)));
			sb_putc(out, '\n');
			if (op->threshold_ms != 5000)
				sb_printf(out, "  threshold %u\n", op->threshold_ms);
			if (op->timeout_ms != 5000)
				sb_printf(out, "  timeout %u\n", op->timeout_ms);
			if (op->frequency_s != 60)
				sb_printf(out, "  frequency %u\n", op->frequency_s);
		}
	}
	for (size_t i = 0; i < n; i++) {
		const struct sla_op *op = v[i];
		if (!op->scheduled)
			continue;
		sb_printf(out, "ip sla schedule %u", op->id);
		if (op->life_forever)
			sb_puts(out, " life forever");
		else if (op->life_s != 3600)
			sb_printf(out, " life %u", op->life_s);
		switch (op->start) {
		case START_NOW: sb_puts(out, " start-time now"); break;
		case START_AT:
			sb_printf(out, " start-time %02u:%02u", op->start_secs / 3600, op->start_secs / 60 % 60);
			if (op->start_secs % 60)
				sb_printf(out, ":%02u", op->start_secs % 60);
			break;
		case START_AFTER:
			sb_printf(out, " start-time after %02u:%02u:%02u", op->start_secs / 3600,
				  op->start_secs / 60 % 60, op->start_secs % 60);
			break;
		case START_PENDING: break;
		}
		sb_putc(out, '\n');
	}
	free(v);
}

/* ---- show --------------------------------------------------------------------- */

static void fmt_time(time_t t, char *buf, size_t n)
{
	struct tm tm;

	localtime_r(&t, &tm);
	strftime(buf, n, "%H:%M:%S %Z %a %b %e %Y", &tm);
}

static bool has_rtt(const struct sla_op *op)
{
	return op->latest.rc == SLA_RC_OK || op->latest.rc == SLA_RC_OVER_THRESHOLD;
}

/* The fields of cmd_show_stats(), as one object of "operations". */
static struct json_object *stats_json(const struct sla_op *op)
{
	struct json_object *o = json_object_new_object();
	char tb[32];

	json_add_int(o, "id", op->id);
	if (has_rtt(op))
		json_add_int(o, "latestRttMs", op->latest.rtt_ms);
	else
		json_add_str(o, "latestRttMs", NULL);
	if (op->latest_start) {
		struct tm tm;
		gmtime_r(&op->latest_start, &tm);
		strftime(tb, sizeof(tb), "%Y-%m-%dT%H:%M:%SZ", &tm);
		json_add_str(o, "latestStart", tb);
	} else {
		json_add_str(o, "latestStart", NULL);
	}
	json_add_str(o, "latestReturnCode", sla_rc_name(op->latest.rc));
	json_add_u64(o, "successes", op->successes);
	json_add_u64(o, "failures", op->failures);
	json_add_bool(o, "running", op->running);
	json_add_bool(o, "lifeForever", op->running && op->life_forever);
	if (op->running && !op->life_forever) {
		uint64_t now = evloop_now_ms();
		json_add_u64(o, "timeToLiveSeconds", op->end_ms > now ? (op->end_ms - now) / 1000 : 0);
	} else if (op->running) {
		json_add_str(o, "timeToLiveSeconds", NULL);
	} else {
		json_add_int(o, "timeToLiveSeconds", 0);
	}
	return o;
}

static int cmd_show_stats(struct cli_exec *x)
{
	size_t n;
	struct sla_op **v = sorted_ops(cfg_of(x), &n);
	long only = cli_arg_long(x, "id", 0);
	char tb[64];

	if (cli_has(x, "json")) {
		struct json_object *doc = json_object_new_object(), *list = json_object_new_array();
		json_object_object_add(doc, "operations", list);
		for (size_t i = 0; i < n; i++)
			if (!only || v[i]->id == (unsigned)only)
				json_object_array_add(list, stats_json(v[i]));
		free(v);
		cli_out_json(x, doc);
		return CLI_OK;
	}
	cli_out(x, "IPSLAs Latest Operation Statistics\n\n");
	for (size_t i = 0; i < n; i++) {
		const struct sla_op *op = v[i];
		if (only && op->id != (unsigned)only)
			continue;
		cli_out(x, "IPSLA operation id: %u\n", op->id);
		if (has_rtt(op))
			cli_out(x, "\tLatest RTT: %u milliseconds\n", op->latest.rtt_ms);
		else if (op->latest.rc == SLA_RC_UNKNOWN)
			cli_out(x, "\tLatest RTT: Unknown\n");
		else
			cli_out(x, "\tLatest RTT: NoConnection/Busy/Timeout\n");
		if (op->latest_start) {
			fmt_time(op->latest_start, tb, sizeof(tb));
			cli_out(x, "Latest operation start time: %s\n", tb);
		} else {
			cli_out(x, "Latest operation start time: Unknown\n");
		}
		cli_out(x, "Latest operation return code: %s\n", sla_rc_name(op->latest.rc));
		cli_out(x, "Number of successes: %lu\n", op->successes);
		cli_out(x, "Number of failures: %lu\n", op->failures);
		if (!op->running)
			cli_out(x, "Operation time to live: 0\n");
		else if (op->life_forever)
			cli_out(x, "Operation time to live: Forever\n");
		else {
			uint64_t now = evloop_now_ms();
			cli_out(x, "Operation time to live: %llu sec\n",
				(unsigned long long)(op->end_ms > now ? (op->end_ms - now) / 1000 : 0));
		}
		cli_out(x, "\n");
	}
	free(v);
	return CLI_OK;
}

static int cmd_show_config(struct cli_exec *x)
{
	size_t n;
	struct sla_op **v = sorted_ops(cfg_of(x), &n);
	long only = cli_arg_long(x, "id", 0);
	char a[INET_ADDRSTRLEN], s[INET_ADDRSTRLEN];

	cli_out(x, "IP SLAs Infrastructure Engine-III\n");
	for (size_t i = 0; i < n; i++) {
		const struct sla_op *op = v[i];
		if (only && op->id != (unsigned)only)
			continue;
		cli_out(x, "Entry number: %u\n", op->id);
		cli_out(x, "Type of operation to perform: %s\n", op->icmp_echo ? "icmp-echo" : "none");
		cli_out(x, "Target address/Source %s: %s/%s\n", op->src_if ? "interface" : "address",
			inet_ntop(AF_INET, &op->dest, a, sizeof(a)),
			op->src_if ? op->src_if :
			inet_ntop(AF_INET, op->has_src_ip ? &op->src_ip : &(struct in_addr){ 0 }, s, sizeof(s)));
		cli_out(x, "Operation timeout (milliseconds): %u\n", op->timeout_ms);
		cli_out(x, "Request size (ARR data portion): 20\n");
		cli_out(x, "Schedule:\n");
		cli_out(x, "   Operation frequency (seconds): %u  (not considered if randomly scheduled)\n",
			op->frequency_s);
		if (!op->scheduled || op->start == START_PENDING)
			cli_out(x, "   Next Scheduled Start Time: Pending trigger\n");
		else if (op->running && evloop_now_ms() >= op->first_ms)
			cli_out(x, "   Next Scheduled Start Time: Start Time already passed\n");
		else
			cli_out(x, "   Next Scheduled Start Time: in %llu seconds\n",
				(unsigned long long)(op->running ? (op->first_ms - evloop_now_ms()) / 1000 : 0));
		cli_out(x, "   Group Scheduled : FALSE\n   Randomly Scheduled : FALSE\n");
		if (op->life_forever)
			cli_out(x, "   Life (seconds): Forever\n");
		else
			cli_out(x, "   Life (seconds): %u\n", op->life_s);
		cli_out(x, "   Entry Ageout (seconds): never\n   Recurring (Starting Everyday): FALSE\n");
		cli_out(x, "   Status of entry (SNMP RowStatus): %s\n", op->scheduled ? "Active" : "Not in service");
		cli_out(x, "Threshold (milliseconds): %u\n", op->threshold_ms);
		cli_out(x, "Distribution Statistics:\n   Number of statistic hours kept: 2\n");
		cli_out(x, "Enhanced History:\nHistory Statistics:\n   Number of history Lives kept: 0\n");
		cli_out(x, "\n");
	}
	free(v);
	return CLI_OK;
}

/* ---- runtime -------------------------------------------------------------------- */

/* The Linux device behind a configured interface name (or the name). */
const char *sla_ifdev(const char *ifname)
{
	const struct iface_cfg *ifc = run_cfg ? iface_find(&run_cfg->ifaces, ifname) : NULL;

	if (ifc)
		return iface_device(ifc);
	return cli_ifname_is_ios(ifname) ? NULL : ifname;
}

int sla_start(struct evloop *loop, struct config_env *env)
{
	struct config *cfg = env->cfg;
	struct sla_model *m = model_of(cfg);

	ready();
	run_cfg = cfg;
	S.loop = loop;
	S.fd = socket(AF_INET, SOCK_RAW | SOCK_NONBLOCK | SOCK_CLOEXEC, IPPROTO_ICMP);
	if (S.fd < 0) {
		log_msg("RTT", SEV_ERR, "SOCKET", "IP SLA: no raw ICMP socket: %s; probes fail",
			strerror(errno));
	} else {
		/* Only echo replies wake us up. */
		uint32_t f = ~(1u << ICMP_ECHOREPLY);
		setsockopt(S.fd, SOL_RAW, ICMP_FILTER, &f, sizeof(f));
		int big = 1 << 20;
		setsockopt(S.fd, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
		S.io = ev_io_add(loop, S.fd, EPOLLIN, on_icmp, NULL);
	}
	for (struct hashmap_entry *e = NULL; m && (e = hashmap_next(&m->ops, e));)
		op_start(cfg, e->value);
	return 0;
}

void sla_stop(void)
{
	struct sla_model *m = model_of(run_cfg);

	for (struct hashmap_entry *e = NULL; m && (e = hashmap_next(&m->ops, e));)
		op_stop(e->value);
	if (S.io)
		ev_io_del(S.io);
	S.io = NULL;
	if (S.fd >= 0)
		close(S.fd);
	S.fd = -1;
	S.loop = NULL;
	run_cfg = NULL;
}

#define NO "Negate a command or set its defaults"

static const struct cli_cmd sla_cmds[] = {
	{ "config", "ip sla (1-2147483647)$id",
	  "Global IP configuration subcommands\nIP Service Level Agreement\nEntry Number", cmd_ip_sla, 0 },
	{ "config", "no ip sla (1-2147483647)$id", NO, cmd_ip_sla, 0 },
	{ "config-ip-sla", "icmp-echo A.B.C.D$dest [<source-interface IFNAME$srcif|source-ip A.B.C.D$srcip>]",
	  "ICMP Echo Operation\nDestination IP address or hostname\nSource Interface (ingress icmp packet interface)\n"
	  "Interface name\nSource Address\nIP address", cmd_icmp_echo, 0 },
	{ "config-ip-sla", "no icmp-echo [LINE]", NO "\n\nIgnored", cmd_icmp_echo, 0 },
	{ "config-ip-sla-echo", "threshold (0-60000)$ms",
	  "Operation threshold in milliseconds\nMilliseconds", cmd_sla_param, 0 },
	{ "config-ip-sla-echo", "timeout (0-604800000)$ms",
	  "Timeout of an operation\nTimeout in milliseconds", cmd_sla_param, 0 },
	{ "config-ip-sla-echo", "frequency (1-604800)$s",
	  "Frequency of an operation\nFrequency in seconds", cmd_sla_param, 0 },
	{ "config-ip-sla-echo", "no threshold [(0-60000)]", NO, cmd_sla_param, 0 },
	{ "config-ip-sla-echo", "no timeout [(0-604800000)]", NO, cmd_sla_param, 0 },
	{ "config-ip-sla-echo", "no frequency [(1-604800)]", NO, cmd_sla_param, 0 },
	{ "config", "ip sla schedule (1-2147483647)$id [life <forever|(0-2147483647)>$lifev] "
		    "[start-time <now|pending|WORD|after WORD$aftertime>$start]",
	  "\n\nSchedule the operation\nEntry number\nOperation life\nContinue running forever\n"
	  "Life seconds\nStart time of the operation\nStart now\nStart pending\nStart time (hh:mm[:ss])\n"
	  "Start after a certain amount of time from now\nTime (hh:mm:ss)",
	  cmd_sla_schedule, 0 },
	{ "config", "no ip sla schedule (1-2147483647)$id [LINE]", NO "\n\n\n\n\nIgnored",
	  cmd_sla_schedule, 0 },
	{ "exec", "show ip sla statistics [(1-2147483647)$id] [json]",
	  "Show running system information\nIP information\nIP Service Level Agreement\n"
	  "Statistics of operations\nEntry number\n" CLI_JSON_HELP, cmd_show_stats, 0 },
	{ "exec", "show ip sla configuration [(1-2147483647)$id]",
	  "\n\n\nConfiguration of operations\nEntry number", cmd_show_config, 0 },
};

void sla_cli_init(void)
{
	debug_register(&debug_sla);
	ready();
	cli_node_register("config-ip-sla", "(config-ip-sla)#", "config");
	cli_node_register("config-ip-sla-echo", "(config-ip-sla-echo)#", "config-ip-sla");
	CLI_INSTALL(sla_cmds);
	config_section_register(700, "ip sla", write_sla);
}
