/* The supervised DHCP client: see dhcp.h. */
#include "dhcp/dhcp.h"

#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <limits.h>
#include <net/if.h>
#include <netlink/netlink.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/un.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"
#include "log/debug.h"
#include "net/ifstate.h"
#include "net/kernel_nl.h"
#include "util/evloop.h"
#include "util/hashmap.h"
#include "util/xalloc.h"

#ifndef VPNSIP_LIBEXECDIR
#define VPNSIP_LIBEXECDIR "/usr/local/libexec/vpnsip"
#endif
#define DHCLIENT "/sbin/dhclient"

extern char **environ;

static struct debug_flag debug_dhcp = {
	.path = "dhcp",
	.help = "DHCP client activity",
	.title = "DHCP client activity",
};

/* Also read by VPN-SIP (by name) for the SIP server it takes from option 120. */
static struct debug_flag debug_vpnsip_sip_dhcp = {
	.path = "vpn-sip sip dhcp",
	.help = "VPN-SIP\nSession Initiation Protocol\nSIP-DHCP: SIP servers from DHCP option 120",
	.title = "VPN-SIP SIP-DHCP",
};

/* per-interface settings */
struct dhcp_if {
	bool req_sip, req_vivso;
};
static const struct iface_ext_type dhcp_ext = { "dhcp", NULL };

struct dclient {
	char *ifname;
	char dev[IF_NAMESIZE + 1];
	bool req_sip, req_vivso; /* as the running client was started */
	pid_t pid;
	int pidfd;
	struct ev_io *pidio;
	struct ev_timer *restart;
	unsigned failures;
	bool released; /* "release dhcp": stay without a lease until "renew" */
	/* the lease */
	bool bound;
	struct ipv4_prefix addr;
	int addr_ifindex;
	struct ifstate_dhcp lease;
	char reason[16];
};

static struct {
	struct hashmap clients; /* ifname -> dclient */
	struct config_env *env;
	struct evloop *loop;
	bool kernel; /* started, and rtnetlink could be opened */
	int sock;
	struct ev_io *sockio;
	char *dir, *sockpath, *hook;
	bool ready;
} D = { .sock = -1 };

static void ready(void)
{
	if (!D.ready) {
		hashmap_init(&D.clients, true);
		D.ready = true;
	}
}

/* ---- option 120 (RFC 3361) ------------------------------------------------------ */

/* One DNS name at off (with RFC 1035 compression) into buf. */
static bool dns_name(const uint8_t *p, size_t n, size_t *off, char *buf, size_t cap)
{
	size_t o = *off, len = 0;
	bool jumped = false;
	int hops = 0;

	buf[0] = '\0';
	while (o < n) {
		uint8_t l = p[o];
		if (l == 0) {
			if (!jumped)
				*off = o + 1;
			return len > 0;
		}
		if ((l & 0xc0) == 0xc0) {
			if (o + 1 >= n || ++hops > 16)
				return false;
			if (!jumped)
				*off = o + 2;
			jumped = true;
			o = (size_t)(l & 0x3f) << 8 | p[o + 1];
			continue;
		}
		if (l > 63 || o + 1 + l > n || len + l + 2 > cap)
			return false;
		if (len)
			buf[len++] = '.';
		for (size_t i = 0; i < l; i++) {
			char c = (char)p[o + 1 + i];
			if (!isalnum((unsigned char)c) && c != '-' && c != '_')
				return false;
			buf[len++] = c;
		}
		buf[len] = '\0';
		o += 1 + (size_t)l;
	}
	return false;
}

bool dhcp_decode_sip_servers(const uint8_t *p, size_t n, struct ifstate_dhcp *d)
{
	if (n < 2)
		return false;
	if (p[0] == 1) {
		if ((n - 1) % 4)
			return false;
		d->nsip_addrs = (n - 1) / 4;
		d->sip_addrs = xcalloc(d->nsip_addrs, sizeof(*d->sip_addrs));
		memcpy(d->sip_addrs, p + 1, n - 1);
		return true;
	}
	if (p[0] != 0)
		return false;
	/* compression offsets are relative to the first name (after the
	 * encoding byte) */
	const uint8_t *names = p + 1;
	size_t nn = n - 1, off = 0;
	char buf[256];
	while (off < nn) {
		if (!dns_name(names, nn, &off, buf, sizeof(buf)))
			break;
		d->sip_domains = xrealloc(d->sip_domains, (d->nsip_domains + 1) * sizeof(char *));
		d->sip_domains[d->nsip_domains++] = xstrdup(buf);
	}
	return d->nsip_domains > 0;
}

/* "0 7 101 ..." (dhclient's array of unsigned integer 8) into bytes. */
static size_t parse_bytes(const char *s, uint8_t *out, size_t cap)
{
	size_t n = 0;

	while (s && *s && n < cap) {
		char *end;
		unsigned long v = strtoul(s, &end, 10);
		if (end == s || v > 255)
			break;
		out[n++] = (uint8_t)v;
		s = end;
		while (*s == ' ' || *s == ',')
			s++;
	}
	return n;
}

/* ---- the leased address in the kernel ------------------------------------------- */

/* The lease's address: the kernel's own on a renewal (replaced). */
static void lease_addr(int ifindex, const struct ipv4_prefix *p, bool add)
{
	int rc = kernel_addr_op(ifindex, p, add ? KERNEL_ADDR_REPLACE : KERNEL_ADDR_DELETE);

	if (rc < 0 && rc != -NLE_EXIST)
		log_msg("DHCP", SEV_ERR, "ADDR_FAIL", "Could not %s address on ifindex %d: %s",
			add ? "add" : "remove", ifindex, nl_geterror(rc));
}

static void lease_drop(struct dclient *c, const char *why)
{
	char a[INET_ADDRSTRLEN];

	if (c->bound && D.kernel && c->addr_ifindex)
		lease_addr(c->addr_ifindex, &c->addr, false);
	if (c->bound) {
		log_msg("DHCP", SEV_NOTICE, "LEASE_LOST", "Interface %s: DHCP address %s removed: %s", c->ifname,
			inet_ntop(AF_INET, &c->addr.addr, a, sizeof(a)), why);
		if (c->req_sip)
			dbg(&debug_vpnsip_sip_dhcp,
			    "SIP-DHCP: %s: lease gone, its option 120 SIP servers with it", c->ifname);
		ifstate_set_addr(c->ifname, NULL, true);
		ifstate_set_dhcp(c->ifname, NULL);
	}
	c->bound = false;
	c->addr_ifindex = 0;
	ifstate_dhcp_free(&c->lease);
}

static const char *kv(const char *msg, const char *key)
{
	size_t kl = strlen(key);

	for (const char *p = msg; *p;) {
		if (strncmp(p, key, kl) == 0 && p[kl] == '=')
			return p + kl + 1;
		p = strchr(p, '\n');
		if (!p)
			break;
		p++;
	}
	return NULL;
}

/* The value up to the end of its line, copied. */
static bool kv_copy(const char *msg, const char *key, char *buf, size_t cap)
{
	const char *v = kv(msg, key);

	if (!v)
		return false;
	size_t n = strcspn(v, "\n");
	if (n >= cap)
		n = cap - 1;
	memcpy(buf, v, n);
	buf[n] = '\0';
	return true;
}

int dhcp_lease_decode(const char *msg, bool req_sip, bool req_vivso, struct ipv4_prefix *p,
		      struct ifstate_dhcp *d)
{
	char ip[64], mask[64], tmp[4096];
	struct in_addr m;
	uint8_t bytes[1500];
	int rc = 0;

	memset(d, 0, sizeof(*d));
	if (!kv_copy(msg, "new_ip_address", ip, sizeof(ip)) || inet_pton(AF_INET, ip, &p->addr) != 1)
		return -1;
	if (!kv_copy(msg, "new_subnet_mask", mask, sizeof(mask)) || inet_pton(AF_INET, mask, &m) != 1 ||
	    !ipv4_mask_to_len(m, &p->len))
		p->len = 32;
	d->bound = true;
	d->obtained = time(NULL);
	if (kv_copy(msg, "new_dhcp_server_identifier", tmp, sizeof(tmp)))
		inet_pton(AF_INET, tmp, &d->server);
	if (kv_copy(msg, "new_routers", tmp, sizeof(tmp))) {
		tmp[strcspn(tmp, " ")] = '\0';
		inet_pton(AF_INET, tmp, &d->router);
	}
	if (kv_copy(msg, "new_domain_name_servers", tmp, sizeof(tmp))) {
		/* "A B C": kept for resolving a SIP server given as a name */
		for (char *save = NULL, *t = strtok_r(tmp, " ", &save); t; t = strtok_r(NULL, " ", &save)) {
			struct in_addr ns;
			if (inet_pton(AF_INET, t, &ns) != 1)
				continue;
			d->dns_addrs = xrealloc(d->dns_addrs, (d->ndns_addrs + 1) * sizeof(ns));
			d->dns_addrs[d->ndns_addrs++] = ns;
		}
	}
	if (kv_copy(msg, "new_dhcp_lease_time", tmp, sizeof(tmp)))
		d->lease_seconds = (uint32_t)strtoul(tmp, NULL, 10);
	if (req_sip && kv_copy(msg, "new_vpnsip_sip", tmp, sizeof(tmp))) {
		size_t n = parse_bytes(tmp, bytes, sizeof(bytes));
		if (!dhcp_decode_sip_servers(bytes, n, d))
			rc = 1;
	}
	if (req_vivso && kv_copy(msg, "new_vpnsip_vivso", tmp, sizeof(tmp))) {
		size_t n = parse_bytes(tmp, bytes, sizeof(bytes));
		if (n) {
			d->vendor125 = xmemdup(bytes, n);
			d->nvendor125 = n;
		}
	}
	return rc;
}

/* "debug vpn-sip sip dhcp": what a lease said about SIP servers. */
static void sip_dhcp_trace(const struct dclient *c, const char *msg, int rc,
			   const struct ifstate_dhcp *d)
{
	char raw[512], a[INET_ADDRSTRLEN];
	struct strbuf sb = STRBUF_INIT;

	if (!c->req_sip || !debug_on(&debug_vpnsip_sip_dhcp))
		return;
	if (!kv_copy(msg, "new_vpnsip_sip", raw, sizeof(raw))) {
		log_debug_line("SIP-DHCP: %s: lease without option 120 (no SIP server offered)",
			       c->ifname);
		return;
	}
	if (rc > 0) {
		log_debug_line("SIP-DHCP: %s: option 120 malformed, ignored: %s", c->ifname, raw);
		return;
	}
	for (size_t i = 0; i < d->nsip_addrs; i++)
		sb_printf(&sb, " %s", inet_ntop(AF_INET, &d->sip_addrs[i], a, sizeof(a)));
	for (size_t i = 0; i < d->nsip_domains; i++)
		sb_printf(&sb, " %s", d->sip_domains[i]);
	log_debug_line("SIP-DHCP: %s: option 120 (%s encoding): SIP servers%s", c->ifname,
		       d->nsip_addrs ? "IPv4 address" : "domain name", sb_str(&sb));
	sb_free(&sb);
}

static void lease_apply(struct dclient *c, const char *msg)
{
	char a[INET_ADDRSTRLEN];
	struct ipv4_prefix p;
	struct ifstate_dhcp d;
	int rc = dhcp_lease_decode(msg, c->req_sip, c->req_vivso, &p, &d);

	if (rc < 0)
		return;
	if (rc > 0)
		log_msg("DHCP", SEV_WARNING, "OPTION120", "Interface %s: malformed SIP servers option (120)",
			c->ifname);
	sip_dhcp_trace(c, msg, rc, &d);
	int idx = (int)if_nametoindex(c->dev);
	bool same = c->bound && c->addr.addr.s_addr == p.addr.s_addr && c->addr.len == p.len &&
		    c->addr_ifindex == idx;
	if (c->bound && !same && c->addr_ifindex)
		lease_addr(c->addr_ifindex, &c->addr, false);
	if (idx && D.kernel)
		lease_addr(idx, &p, true);
	if (!same)
		log_msg("DHCP", SEV_INFO, "ADDRESS_ASSIGN", "Interface %s assigned DHCP address %s, mask %s",
			c->ifname, inet_ntop(AF_INET, &p.addr, a, sizeof(a)), inet_ntoa(ipv4_len_to_mask(p.len)));
	c->bound = true;
	c->addr = p;
	c->addr_ifindex = idx;
	ifstate_dhcp_free(&c->lease);
	c->lease = d; /* owns d's arrays */
	c->failures = 0;
	ifstate_set_addr(c->ifname, &p, true);
	ifstate_set_dhcp(c->ifname, &c->lease);
}

/* Why a lease ended, for the operator.  dhclient reports a DHCPNAK as
 * EXPIRE too (its bindings must go), but with the lease's end still ahead. */
static const char *lost_why(const char *reason, const char *msg)
{
	char expiry[32];

	if (!strcmp(reason, "EXPIRE")) {
		if (kv_copy(msg, "old_expiry", expiry, sizeof(expiry)) &&
		    strtoll(expiry, NULL, 10) > (long long)time(NULL) + 2)
			return "the server refused it (DHCPNAK)";
		return "the lease expired";
	}
	if (!strcmp(reason, "FAIL"))
		return "no DHCP server answered";
	if (!strcmp(reason, "RELEASE"))
		return "released";
	return "the DHCP client stopped";
}

static void on_event(struct ev_io *io, uint32_t events, void *arg)
{
	char msg[65536];

	for (int i = 0; i < 64; i++) {
		ssize_t n = recv(D.sock, msg, sizeof(msg) - 1, MSG_DONTWAIT);
		if (n <= 0)
			return;
		msg[n] = '\0';
		char ifname[128], reason[32] = "";
		if (!kv_copy(msg, "ifname", ifname, sizeof(ifname)))
			continue;
		kv_copy(msg, "reason", reason, sizeof(reason));
		struct dclient *c = hashmap_get(&D.clients, ifname);
		dbg(&debug_dhcp, "DHCP: %s: %s", ifname, reason);
		if (!c || !c->pid)
			continue; /* a late event of a client we stopped */
		snprintf(c->reason, sizeof(c->reason), "%s", reason);
		if (!strcmp(reason, "BOUND") || !strcmp(reason, "RENEW") || !strcmp(reason, "REBIND") ||
		    !strcmp(reason, "REBOOT"))
			lease_apply(c, msg);
		else if (!strcmp(reason, "EXPIRE") || !strcmp(reason, "FAIL") || !strcmp(reason, "RELEASE") ||
			 !strcmp(reason, "STOP"))
			lease_drop(c, lost_why(reason, msg));
	}
}

/* ---- the client process ------------------------------------------------------------ */

static void client_start(struct dclient *c);

static void path_of(struct dclient *c, const char *ext, char *buf, size_t cap)
{
	char safe[128];

	snprintf(safe, sizeof(safe), "%s", c->ifname);
	for (char *p = safe; *p; p++)
		if (*p == '/' || *p == '.')
			*p = '_';
	snprintf(buf, cap, "%s/%s.%s", D.dir, safe, ext);
}

/* Replaced whole, never truncated in place: dhclient may be reading the
 * old one, and a link planted at the name is replaced, not followed. */
static bool write_file(const char *path, const char *text, mode_t mode)
{
	return config_file_write_atomic(path, text, strlen(text), mode) == 0;
}

static void restart_fired(struct ev_timer *t, void *arg)
{
	struct dclient *c = arg;

	c->restart = NULL;
	client_start(c);
}

static void reap(struct dclient *c)
{
	if (c->pidio)
		ev_io_del(c->pidio);
	c->pidio = NULL;
	if (c->pidfd >= 0)
		close(c->pidfd);
	c->pidfd = -1;
	c->pid = 0;
}

static void on_exit_fd(struct ev_io *io, uint32_t events, void *arg)
{
	struct dclient *c = arg;
	int status = 0;

	if (waitpid(c->pid, &status, WNOHANG) == 0)
		return;
	log_msg("DHCP", SEV_WARNING, "CLIENT_EXIT", "Interface %s: DHCP client exited (%s %d); restarting",
		c->ifname, WIFSIGNALED(status) ? "signal" : "status",
		WIFSIGNALED(status) ? WTERMSIG(status) : WEXITSTATUS(status));
	reap(c);
	/* the lease stays valid: the new client confirms it (INIT-REBOOT) */
	unsigned delay = c->failures < 5 ? 1000u << c->failures : 30000;
	c->failures++;
	c->restart = ev_timer_add(D.loop, delay, restart_fired, c);
}

static void client_start(struct dclient *c)
{
	char conf[PATH_MAX], script[PATH_MAX], pidf[PATH_MAX], leasef[PATH_MAX];
	struct strbuf t = STRBUF_INIT;

	if (c->pid || !D.loop || D.sock < 0 || c->released)
		return;
	path_of(c, "conf", conf, sizeof(conf));
	path_of(c, "sh", script, sizeof(script));
	path_of(c, "pid", pidf, sizeof(pidf));
	path_of(c, "leases", leasef, sizeof(leasef));
	sb_puts(&t, "# written by vpnsipd\n"
		    "option vpnsip-sip code 120 = array of unsigned integer 8;\n"
		    "option vpnsip-vivso code 125 = array of unsigned integer 8;\n"
		    "timeout 15;\nretry 10;\ninitial-interval 1;\nbackoff-cutoff 8;\n");
	sb_printf(&t, "send host-name \"%s\";\n", config_hostname(D.env->cfg));
	sb_puts(&t, "request subnet-mask, broadcast-address, routers, domain-name, domain-name-servers, "
		    "dhcp-lease-time, dhcp-server-identifier");
	if (c->req_sip)
		sb_puts(&t, ", vpnsip-sip");
	if (c->req_vivso)
		sb_puts(&t, ", vpnsip-vivso");
	sb_puts(&t, ";\n");
	bool ok = write_file(conf, sb_str(&t), 0600);
	sb_reset(&t);
	sb_printf(&t, "#!/bin/sh\nexec '%s' '%s' '%s'\n", D.hook, D.sockpath, c->ifname);
	ok = ok && write_file(script, sb_str(&t), 0700);
	sb_free(&t);
	if (!ok) {
		log_msg("DHCP", SEV_ERR, "FILES", "Interface %s: cannot write %s: %s", c->ifname, D.dir,
			strerror(errno));
		return;
	}
	char *argv[] = { DHCLIENT, "-4", "-d", "-q", "-cf", conf, "-sf", script, "-pf", pidf,
			 "-lf", leasef, c->dev, NULL };
	posix_spawnattr_t attr;
	sigset_t none, all;
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF | POSIX_SPAWN_SETSID);
	posix_spawn_file_actions_t fa;
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	pid_t pid;
	int rc = posix_spawn(&pid, DHCLIENT, &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	if (rc != 0) {
		log_msg("DHCP", SEV_ERR, "SPAWN", "Interface %s: cannot run %s: %s", c->ifname, DHCLIENT,
			strerror(rc));
		c->restart = ev_timer_add(D.loop, 30000, restart_fired, c);
		return;
	}
	c->pid = pid;
	c->pidfd = (int)syscall(SYS_pidfd_open, pid, 0);
	if (c->pidfd >= 0)
		c->pidio = ev_io_add(D.loop, c->pidfd, EPOLLIN, on_exit_fd, c);
	dbg(&debug_dhcp, "DHCP: %s: client %d started on %s", c->ifname, (int)pid, c->dev);
}

/* Stop the process (and wait: it must not outlive the daemon or report
 * into a socket nobody reads). */
static void client_kill(struct dclient *c)
{
	ev_timer_del(c->restart);
	c->restart = NULL;
	if (!c->pid)
		return;
	pid_t pid = c->pid;
	kill(pid, SIGTERM);
	for (int i = 0; i < 200; i++) {
		if (waitpid(pid, NULL, WNOHANG) == pid)
			goto done;
		usleep(10000);
	}
	kill(pid, SIGKILL);
	waitpid(pid, NULL, 0);
done:
	dbg(&debug_dhcp, "DHCP: %s: client %d stopped", c->ifname, (int)pid);
	reap(c);
}

static void client_free(struct dclient *c)
{
	char path[PATH_MAX];

	client_kill(c);
	lease_drop(c, "the DHCP client was stopped");
	if (D.dir) {
		static const char *const exts[] = { "conf", "sh", "pid", "leases" };
		for (size_t i = 0; i < ARRAY_SIZE(exts); i++) {
			path_of(c, exts[i], path, sizeof(path));
			unlink(path);
		}
	}
	free(c->ifname);
	free(c);
}

/* Make the running client match the configuration of ifc. */
static void reconcile(struct iface_cfg *ifc, bool deleted)
{
	struct dclient *c = hashmap_get(&D.clients, ifc->name);
	const struct dhcp_if *di = iface_ext_get(ifc, &dhcp_ext);
	const char *dev = iface_device(ifc);
	bool want = !deleted && ifc->addr_dhcp && !ifc->shutdown && dev && D.loop;

	if (c && (!want || strcmp(c->dev, dev) != 0 || c->req_sip != (di && di->req_sip) ||
		  c->req_vivso != (di && di->req_vivso))) {
		hashmap_del(&D.clients, ifc->name);
		client_free(c);
		c = NULL;
	}
	if (!want || c)
		return;
	c = xcalloc(1, sizeof(*c));
	c->ifname = xstrdup(ifc->name);
	snprintf(c->dev, sizeof(c->dev), "%s", dev);
	c->req_sip = di && di->req_sip;
	c->req_vivso = di && di->req_vivso;
	c->pidfd = -1;
	hashmap_put(&D.clients, ifc->name, c);
	client_start(c);
}

/* The clients follow the running configuration's interfaces only: another
 * configuration (a check, a test) has none. */
static bool is_running(const struct config *cfg)
{
	return D.env && cfg == D.env->cfg;
}

static void on_iface_changed(struct config *cfg, struct iface_cfg *ifc, void *arg)
{
	if (is_running(cfg))
		reconcile(ifc, false);
}

static void on_iface_deleted(struct config *cfg, struct iface_cfg *ifc, void *arg)
{
	if (is_running(cfg))
		reconcile(ifc, true);
}

/* ---- commands ------------------------------------------------------------------------ */

static int cmd_ip_address_dhcp(struct cli_exec *x)
{
	struct iface_cfg *ifc = iface_current(x);

	if (!ifc)
		return CLI_ERR_FAILED;
	if (x->is_no) {
		if (!ifc->addr_dhcp)
			return CLI_OK;
		ifc->addr_dhcp = false;
	} else {
		if (ifc->kind != IFACE_PHYSICAL)
			return cli_error(x, "DHCP client is supported on physical interfaces only");
		ifc->addr_dhcp = true;
		ifc->has_addr = false;
		ifc->nsecondary = 0;
		free(ifc->unnumbered);
		ifc->unnumbered = NULL;
	}
	iface_changed(cfg_of(x), ifc);
	return CLI_OK;
}

static int cmd_dhcp_request(struct cli_exec *x)
{
	struct iface_cfg *ifc = iface_current(x);

	if (!ifc)
		return CLI_ERR_FAILED;
	struct dhcp_if *di = iface_ext_get_or_create(ifc, &dhcp_ext, sizeof(*di));
	if (strcmp(cli_arg(x, "opt"), "sip-server-address") == 0)
		di->req_sip = !x->is_no;
	else
		di->req_vivso = !x->is_no;
	if (!di->req_sip && !di->req_vivso)
		iface_ext_drop(ifc, &dhcp_ext);
	iface_changed(cfg_of(x), ifc);
	return CLI_OK;
}

static struct dclient *client_for(struct cli_exec *x)
{
	struct dclient *c = D.ready ? hashmap_get(&D.clients, cli_arg(x, "ifname")) : NULL;

	if (!c)
		cli_error(x, "%s is not using DHCP", cli_arg(x, "ifname"));
	return c;
}

static int cmd_renew(struct cli_exec *x)
{
	struct dclient *c = client_for(x);

	if (!c)
		return CLI_ERR_FAILED;
	/* a new client starts with INIT-REBOOT: it asks for the address it has
	 * (or had) and learns the options again */
	client_kill(c);
	c->released = false;
	c->failures = 0;
	client_start(c);
	return CLI_OK;
}

static int cmd_release(struct cli_exec *x)
{
	struct dclient *c = client_for(x);
	char conf[PATH_MAX], script[PATH_MAX], pidf[PATH_MAX], leasef[PATH_MAX];

	if (!c)
		return CLI_ERR_FAILED;
	client_kill(c);
	/* dhclient -r sends DHCPRELEASE for the lease in the lease file */
	path_of(c, "conf", conf, sizeof(conf));
	path_of(c, "sh", script, sizeof(script));
	path_of(c, "pid", pidf, sizeof(pidf));
	path_of(c, "leases", leasef, sizeof(leasef));
	char *argv[] = { DHCLIENT, "-4", "-r", "-q", "-cf", conf, "-sf", "/bin/true", "-pf", pidf,
			 "-lf", leasef, c->dev, NULL };
	pid_t pid;
	if (posix_spawn(&pid, DHCLIENT, NULL, NULL, argv, environ) == 0)
		waitpid(pid, NULL, 0);
	lease_drop(c, "released (release dhcp)");
	c->released = true;
	return CLI_OK;
}

static void write_if(const struct config *cfg, const struct iface_cfg *ifc, struct strbuf *out)
{
	const struct dhcp_if *di = iface_ext_get(ifc, &dhcp_ext);

	if (di && di->req_sip)
		sb_puts(out, " ip dhcp client request sip-server-address\n");
	if (di && di->req_vivso)
		sb_puts(out, " ip dhcp client request vendor-identifying-specific\n");
}

static int client_cmp(const void *a, const void *b)
{
	return iface_name_cmp((*(struct dclient *const *)a)->ifname, (*(struct dclient *const *)b)->ifname);
}

static struct dclient **sorted_clients(size_t *n)
{
	struct dclient **v;

	*n = 0;
	if (!D.ready)
		return NULL;
	v = (struct dclient **)hashmap_values(&D.clients, n);
	if (*n)
		qsort(v, *n, sizeof(*v), client_cmp);
	return v;
}

static int cmd_show_lease(struct cli_exec *x)
{
	size_t n;
	struct dclient **v = sorted_clients(&n);
	char a[INET_ADDRSTRLEN];

	for (size_t i = 0; i < n; i++) {
		const struct dclient *c = v[i];
		const struct ifstate_dhcp *d = &c->lease;
		if (!c->bound) {
			cli_out(x, "Temp IP addr: 0.0.0.0  for peer on Interface: %s\n", c->ifname);
			cli_out(x, "   DHCP Lease server: 0.0.0.0, state: %s\n",
				c->released ? "Released" : c->pid ? "Selecting" : "Stopped");
			continue;
		}
		cli_out(x, "Temp IP addr: %s  for peer on Interface: %s\n",
			inet_ntop(AF_INET, &c->addr.addr, a, sizeof(a)), c->ifname);
		cli_out(x, "Temp  sub net mask: %s\n", inet_ntoa(ipv4_len_to_mask(c->addr.len)));
		cli_out(x, "   DHCP Lease server: %s, state: Bound\n", inet_ntop(AF_INET, &d->server, a, sizeof(a)));
		if (d->lease_seconds == UINT32_MAX)
			cli_out(x, "   Lease: Infinite\n");
		else
			cli_out(x, "   Lease: %u secs,  Renewal: %u secs,  Rebind: %u secs\n", d->lease_seconds,
				d->lease_seconds / 2, d->lease_seconds / 8 * 7);
		cli_out(x, "Temp default-gateway addr: %s\n", inet_ntop(AF_INET, &d->router, a, sizeof(a)));
		char when[64];
		struct tm tm;
		localtime_r(&d->obtained, &tm);
		strftime(when, sizeof(when), "%H:%M:%S %Z %a %b %e %Y", &tm);
		cli_out(x, "   Obtained: %s (last event %s)\n", when, c->reason);
		for (size_t j = 0; j < d->nsip_domains; j++)
			cli_out(x, "   SIP server (option 120): %s\n", d->sip_domains[j]);
		for (size_t j = 0; j < d->nsip_addrs; j++)
			cli_out(x, "   SIP server (option 120): %s\n", inet_ntop(AF_INET, &d->sip_addrs[j], a, sizeof(a)));
		if (d->nvendor125) {
			cli_out(x, "   Vendor-identifying (option 125):");
			for (size_t j = 0; j < d->nvendor125; j++)
				cli_out(x, " %02x", d->vendor125[j]);
			cli_out(x, "\n");
		}
		cli_out(x, "   Hostname: %s\n", config_hostname(cfg_of(x)));
	}
	free(v);
	return CLI_OK;
}

/* SIP-DHCP interfaces: those that ask for option 120, as the seed shows. */
static int cmd_show_sip_dhcp(struct cli_exec *x)
{
	struct config *cfg = cfg_of(x);
	size_t n;
	struct iface_cfg **v = iface_sorted(&cfg->ifaces, &n);
	char a[INET_ADDRSTRLEN];

	cli_out(x, "SIP DHCP Info\n");
	for (size_t i = 0; i < n; i++) {
		const struct dhcp_if *di = iface_ext_get(v[i], &dhcp_ext);
		if (!di || !di->req_sip)
			continue;
		const struct ifstate *st = ifstate_get(v[i]->name);
		const struct ifstate_dhcp *d = st ? &st->dhcp : NULL;
		cli_out(x, "\nSIP-DHCP interface: %s\n\n", v[i]->name);
		cli_out(x, "SIP server address:");
		for (size_t j = 0; d && j < d->nsip_addrs; j++)
			cli_out(x, "%s%s", j ? ", " : " ", inet_ntop(AF_INET, &d->sip_addrs[j], a, sizeof(a)));
		cli_out(x, "\nDomain name:       ");
		for (size_t j = 0; d && j < d->nsip_domains; j++)
			cli_out(x, "%sdns:%s", j ? ", " : " ", d->sip_domains[j]);
		cli_out(x, "\n");
	}
	free(v);
	return CLI_OK;
}

/* ---- runtime ----------------------------------------------------------------------- */

static char *find_hook(void)
{
	char self[PATH_MAX];
	ssize_t n = readlink("/proc/self/exe", self, sizeof(self) - 1);

	if (n > 0) {
		self[n] = '\0';
		char *p = xasprintf("%s/vpnsip-dhcp-hook", dirname(self));
		if (access(p, X_OK) == 0)
			return p;
		free(p);
	}
	return xstrdup(VPNSIP_LIBEXECDIR "/vpnsip-dhcp-hook");
}

int dhcp_start(struct evloop *loop, struct config_env *env)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };

	ready();
	D.env = env;
	D.loop = loop;
	D.hook = find_hook();
	D.dir = xasprintf("%s/dhcp", env->state_dir ? env->state_dir : "/var/lib/vpnsip");
	D.sockpath = xasprintf("%s/events.sock", D.dir);
	mkdir(D.dir, 0700);
	D.kernel = kernel_nl() != NULL;
	if (strlen(D.sockpath) >= sizeof(sa.sun_path)) {
		log_msg("DHCP", SEV_ERR, "SOCKET", "%s: path too long; the DHCP client is disabled", D.sockpath);
		return -1;
	}
	strcpy(sa.sun_path, D.sockpath);
	unlink(D.sockpath);
	D.sock = socket(AF_UNIX, SOCK_DGRAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
	mode_t old = umask(0077);
	if (D.sock < 0 || bind(D.sock, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		log_msg("DHCP", SEV_ERR, "SOCKET", "%s: %s; the DHCP client is disabled", D.sockpath,
			strerror(errno));
		if (D.sock >= 0)
			close(D.sock);
		D.sock = -1;
		umask(old);
		return -1;
	}
	umask(old);
	int big = 1 << 20;
	setsockopt(D.sock, SOL_SOCKET, SO_RCVBUF, &big, sizeof(big));
	D.sockio = ev_io_add(loop, D.sock, EPOLLIN, on_event, NULL);
	if (access(DHCLIENT, X_OK) != 0)
		log_msg("DHCP", SEV_ERR, "NOCLIENT", "%s is not installed (isc-dhcp-client): "
			"\"ip address dhcp\" will not get an address", DHCLIENT);
	return 0;
}

void dhcp_stop(void)
{
	size_t n;
	struct dclient **v = sorted_clients(&n);

	for (size_t i = 0; i < n; i++) {
		hashmap_del(&D.clients, v[i]->ifname);
		client_free(v[i]);
	}
	free(v);
	if (D.sockio)
		ev_io_del(D.sockio);
	D.sockio = NULL;
	if (D.sock >= 0) {
		close(D.sock);
		unlink(D.sockpath);
	}
	D.sock = -1;
	D.kernel = false;
	if (D.dir)
		rmdir(D.dir);
	free(D.dir);
	free(D.sockpath);
	free(D.hook);
	D.dir = D.sockpath = D.hook = NULL;
	D.loop = NULL;
	D.env = NULL;
}


#define NO "Negate a command or set its defaults"

static const struct cli_cmd dhcp_cmds[] = {
	{ "config-if", "ip address dhcp",
	  "Interface Internet Protocol config commands\nSet the IP address of an interface\n"
	  "IP Address negotiated via DHCP", cmd_ip_address_dhcp, 0 },
	{ "config-if", "no ip address dhcp", NO, cmd_ip_address_dhcp, 0 },
	{ "config-if", "ip dhcp client request <sip-server-address|vendor-identifying-specific>$opt",
	  "\nConfigure DHCP parameters for this interface\nDHCP client configuration\n"
	  "Request an option from the server\nSIP servers (option 120)\n"
	  "Vendor-Identifying vendor-specific information (option 125)", cmd_dhcp_request, 0 },
	{ "config-if", "no ip dhcp client request <sip-server-address|vendor-identifying-specific>$opt", NO,
	  cmd_dhcp_request, 0 },
	{ "exec", "show dhcp lease", "Show running system information\nDynamic Host Configuration Protocol\n"
	  "DHCP client lease information", cmd_show_lease, 0 },
	{ "exec", "show vpn-sip sip dhcp", "\nVPN-SIP information\nSIP information\nSIP servers learnt by DHCP",
	  cmd_show_sip_dhcp, 0 },
	{ "exec", "renew dhcp IFNAME$ifname", "Renew\nRenew a DHCP lease\nInterface name", cmd_renew, CLI_PRIV },
	{ "exec", "release dhcp IFNAME$ifname", "Release a resource\nRelease a DHCP lease\nInterface name",
	  cmd_release, CLI_PRIV },
};

void dhcp_cli_init(void)
{
	debug_register(&debug_dhcp);
	debug_register(&debug_vpnsip_sip_dhcp);
	ready();
	CLI_INSTALL(dhcp_cmds);
	iface_writer_register(25, write_if);
	/* Before routes and NAT: starting or stopping the client changes the
	 * address (net/ifstate) they then look at. */
	hook_register(iface_changed, on_iface_changed, NULL, HOOK_PRIO_DEFAULT - 10);
	hook_register(iface_deleted, on_iface_deleted, NULL, HOOK_PRIO_DEFAULT - 10);
}
