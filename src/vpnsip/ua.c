/* What the SIP user agent should be, and what it reports about the
 * registrations: its settings from the "vpn-sip" lines and the state of
 * the SIP interface (its address, DHCP option 120's servers and domain),
 * applied after every change (deferred while VPN-SIP is being switched
 * off during calls, until those calls ended), and each local number's
 * registration state for show, the status line and the management
 * agents.  Kept apart from the sessions (session.c): none of it is a
 * call. */
#include <arpa/inet.h>
#include <ifaddrs.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "dataplane/dataplane.h"
#include "net/ifstate.h"
#include "net/netmon.h"
#include "util/evloop.h"
#include "vpnsip/vpnsip_int.h"

/* ---- what the SIP user agent should be ---------------------------------- */

/* "debug vpn-sip sip dhcp" is the DHCP client's flag (it traces option
 * 120 there); here the server taken from it.  Found by name: the DHCP
 * client is another feature. */
static bool sip_dhcp_debug_on(void)
{
	static struct debug_flag *f;

	if (!f)
		f = debug_find("vpn-sip sip dhcp");
	return f && debug_on(f);
}

/* The Linux device of the SIP interface when vpnsipd configures no
 * address on it (no "ip address", "ip address dhcp" or "ip unnumbered"):
 * its address is then whoever else's (networkd, ifupdown, "ip addr add").
 * NULL: vpnsipd's own address (net/ifstate.h) is the one. */
static const char *os_addressed_device(const struct config *cfg, const char *ifname)
{
	const struct iface_cfg *ifc = iface_find(&cfg->ifaces, ifname);

	if (!ifc)
		return cli_ifname_is_ios(ifname) ? NULL : ifname;
	if (ifc->has_addr || ifc->addr_dhcp || ifc->unnumbered)
		return NULL;
	return iface_device(ifc);
}

/* The kernel's IPv4 address on dev, read now (netmon's copy lags behind
 * its notifications); keep, while it is still there, is preferred, so a
 * second address added beside it does not move the registration.
 * Loopback and link-local addresses cannot register anywhere. */
static bool kernel_addr(const char *dev, const char *keep, char *out, size_t n)
{
	struct ifaddrs *ifs;
	bool found = false;
	size_t dl = strlen(dev);

	if (getifaddrs(&ifs) < 0)
		return false;
	for (struct ifaddrs *i = ifs; i; i = i->ifa_next) {
		/* The label: the device's name, or NAME:TAG for a labelled address. */
		if (!i->ifa_addr || i->ifa_addr->sa_family != AF_INET || strncmp(i->ifa_name, dev, dl) ||
		    (i->ifa_name[dl] && i->ifa_name[dl] != ':'))
			continue;
		struct in_addr a = ((const struct sockaddr_in *)(const void *)i->ifa_addr)->sin_addr;
		uint32_t h = ntohl(a.s_addr);
		char t[INET_ADDRSTRLEN];
		if ((h >> 24) == 127 || (h >> 16) == 0xa9feu || h == 0)
			continue;
		inet_ntop(AF_INET, &a, t, sizeof(t));
		if (!found || (keep && strcmp(t, keep) == 0))
			snprintf(out, n, "%s", t);
		found = true;
	}
	freeifaddrs(ifs);
	return found;
}

/* The local address: vpnsipd's (configured or leased), else the one the
 * operating system gave the interface; its source for show. */
static void local_addr_pick(struct vpnsip_rt *rt, const struct vpnsip_cfg *c,
			    const struct ifstate *is)
{
	char keep[INET_ADDRSTRLEN];
	const char *dev;

	snprintf(keep, sizeof(keep), "%s", rt->local_addr);
	rt->local_addr[0] = '\0';
	rt->local_addr_src[0] = '\0';
	if (is && is->has_addr) {
		inet_ntop(AF_INET, &is->addr.addr, rt->local_addr, sizeof(rt->local_addr));
		snprintf(rt->local_addr_src, sizeof(rt->local_addr_src), "%s",
			 is->addr_from_dhcp ? "DHCP" : "configured");
	} else if (c && c->addr_iface && (dev = os_addressed_device(rt->cfg, c->addr_iface)) &&
		   kernel_addr(dev, keep[0] ? keep : NULL, rt->local_addr, sizeof(rt->local_addr))) {
		snprintf(rt->local_addr_src, sizeof(rt->local_addr_src), "kernel");
	}
}

/* %VPN_SIP-4-NO_ADDRESS once each time the address goes (or is missing
 * when VPN-SIP starts): nothing else would say why nothing registers. */
static void no_address_check(struct vpnsip_rt *rt, const struct vpnsip_cfg *c)
{
	bool missing = c && c->enabled && c->local_number && c->addr_iface && !rt->local_addr[0];

	if (missing && !rt->no_addr_logged)
		log_msg("VPN_SIP", SEV_WARNING, "NO_ADDRESS",
			"No IPv4 address on %s: local number %s cannot register", c->addr_iface,
			c->local_number);
	rt->no_addr_logged = missing;
}

void vpnsip_apply_sip(void)
{
	struct vpnsip_rt *rt = vpnsip_rt();
	const struct vpnsip_cfg *c = vpnsip_cfg_get(rt->cfg);
	struct sip_settings st = { 0 };
	const struct ifstate *is = NULL;
	char server[64] = "", dns[128] = "";
	struct sip_net servers[SIP_GUARD_MAX_NETS / 2];
	size_t n_servers = 0;

	char prev_server[sizeof(rt->sip_server)];

	snprintf(prev_server, sizeof(prev_server), "%s", rt->sip_server);
	rt->sip_server[0] = '\0';
	rt->sip_server_src[0] = '\0';
	rt->sip_domain[0] = '\0';
	if (c && c->addr_iface)
		is = ifstate_get(c->addr_iface);
	local_addr_pick(rt, c, is);
	no_address_check(rt, c);
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
	if (sip_dhcp_debug_on() && strcmp(prev_server, server) != 0) {
		if (!strcmp(rt->sip_server_src, "DHCP"))
			log_debug_line("SIP-DHCP: SIP server %s from option 120 on %s", server,
				       c->addr_iface);
		else if (is && is->dhcp.bound && (is->dhcp.nsip_addrs || is->dhcp.nsip_domains))
			log_debug_line("SIP-DHCP: SIP server %s configured (vpn-sip sip-server): "
				       "option 120 on %s not used", server, c->addr_iface);
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
	struct vpnsip_rt *rt = vpnsip_rt();

	rt->apply_timer = NULL; /* fired: the loop frees it */
	rt->apply_deferred = false;
	vpnsip_apply_sip();
}

/* The calls a deferred apply waited for have ended. */
void vpnsip_apply_check(void)
{
	struct vpnsip_rt *rt = vpnsip_rt();

	if (rt->apply_deferred && rt->n_active == 0) {
		rt->apply_deferred = false;
		vpnsip_timer_stop(&rt->apply_timer);
		vpnsip_apply_sip();
	}
}

void vpnsip_cfg_changed(struct config *cfg)
{
	struct vpnsip_rt *rt = vpnsip_rt();
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
	struct vpnsip_rt *rt = vpnsip_rt();
	const struct vpnsip_cfg *c = vpnsip_cfg_get(rt->cfg);

	if (c && c->addr_iface && strcasecmp(c->addr_iface, st->name) == 0 &&
	    (what & (IFSTATE_ADDR | IFSTATE_DHCP | IFSTATE_GONE)))
		vpnsip_apply_sip();
}

/* The kernel's news of a device: the SIP interface's addresses when the
 * operating system, not vpnsipd, gives them (and a device that appears). */
void vpnsip_on_netmon(const struct netmon_dev *d, unsigned what, void *arg)
{
	struct vpnsip_rt *rt = vpnsip_rt();
	const struct vpnsip_cfg *c = rt ? vpnsip_cfg_get(rt->cfg) : NULL;
	const char *dev;

	if (rt && !rt->apply_deferred && c && c->addr_iface &&
	    (dev = os_addressed_device(rt->cfg, c->addr_iface)) && strcmp(dev, d->name) == 0)
		vpnsip_apply_sip();
}

/* ---- registrations ------------------------------------------------------- */

const struct sip_reg_status *vpnsip_reg_status(const char *number)
{
	struct vpnsip_rt *rt = vpnsip_rt();

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
		char why[112] = "off";
		if (now->last_status)
			vpnsip_reg_last_text(now, why, sizeof(why));
		vpnsip_log(SEV_NOTICE, "UNREGISTERED", "SIP number %s not registered (%s)",
			   now->number, why);
		vpnsip_event_registration_lost(now);
	}
}

/* One number's registration; a number no longer configured is forgotten
 * once it is off, and "" means every number is off. */
void vpnsip_on_registration(const struct sip_reg_status *reg)
{
	struct vpnsip_rt *rt = vpnsip_rt();
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
