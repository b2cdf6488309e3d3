/* Tunnel interface commands: tunnel source/mode/destination/protection,
 * ip tcp adjust-mss, crypto ipsec df-bit (per interface). */
#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config.h"
#include "crypto/crypto.h"
#include "dataplane/dataplane.h"
#include "dataplane/tunnel.h"

static void tunnel_ext_free(void *p)
{
	struct tunnel_ext *t = p;

	free(t->source);
	free(t->ipsec_profile);
	free(t->ikev2_profile);
	free(t);
}

static const struct iface_ext_type tunnel_ext_type = { "tunnel", tunnel_ext_free };
HOOK_DEFINE(tunnel_changed);

const struct tunnel_ext *tunnel_ext_get(const struct iface_cfg *ifc)
{
	return iface_ext_get(ifc, &tunnel_ext_type);
}

const char *tunnel_ikev2_profile(const struct config *cfg, const struct iface_cfg *ifc,
				 const struct ipsec_profile **ip)
{
	const struct tunnel_ext *t = ifc ? tunnel_ext_get(ifc) : NULL;
	const struct ipsec_profile *p = NULL;

	if (t && t->ipsec_profile)
		p = crypto_ipsec_profile_find(cfg, t->ipsec_profile);
	if (ip)
		*ip = p;
	if (t && t->ikev2_profile)
		return t->ikev2_profile;
	return p ? p->ikev2_profile : NULL;
}

unsigned tunnel_mtu(const struct iface_cfg *ifc)
{
	return ifc->mtu ? ifc->mtu : TUNNEL_DEFAULT_MTU;
}

void tunnel_dp_cfg(const struct config *cfg, const struct iface_cfg *ifc,
		   struct dp_tunnel_cfg *out)
{
	const struct tunnel_ext *t = tunnel_ext_get(ifc);

	memset(out, 0, sizeof(*out));
	out->name = ifc->name;
	out->id = dp_tunnel_id(ifc->name);
	out->mss = t ? t->mss : 0;
	/* crypto ipsec df-bit: the interface's, else the global one */
	switch (crypto_ipsec_df_bit(cfg, ifc)) {
	case IPSEC_DF_CLEAR: out->df = DP_DF_CLEAR; break;
	case IPSEC_DF_SET: out->df = DP_DF_SET; break;
	default: out->df = DP_DF_COPY; break;
	}
}

static struct tunnel_ext *ext_of(struct cli_exec *x, struct iface_cfg **ifcp, bool tunnel_only)
{
	struct iface_cfg *ifc = iface_current(x);
	struct tunnel_ext *t;

	if (!ifc)
		return NULL;
	if (tunnel_only && ifc->kind != IFACE_TUNNEL) {
		cli_error(x, "Tunnel commands apply to Tunnel interfaces only");
		return NULL;
	}
	t = iface_ext_get(ifc, &tunnel_ext_type);
	if (!t) {
		t = iface_ext_get_or_create(ifc, &tunnel_ext_type, sizeof(*t));
	}
	*ifcp = ifc;
	return t;
}

static int done(struct cli_exec *x, struct iface_cfg *ifc)
{
	struct config *cfg = cfg_of(x);

	iface_changed(cfg, ifc);
	hook_call(tunnel_changed, cfg, ifc, false);
	return CLI_OK;
}

/* A feature may own a tunnel's mode, source, destination and protection
 * (VPN-SIP does): its interface guard is asked about "tunnel <what>" and
 * prints the refusal.  Re-entering the same value (a reload) is not asked. */
static bool locked(struct cli_exec *x, const struct iface_cfg *ifc, bool changes, const char *what)
{
	return changes && !iface_change_allowed(x, cfg_of(x), ifc, what);
}

static bool str_differs(const char *a, const char *b)
{
	return (a == NULL) != (b == NULL) || (a && strcasecmp(a, b) != 0);
}

static int cmd_tunnel_source(struct cli_exec *x)
{
	struct iface_cfg *ifc;
	struct tunnel_ext *t = ext_of(x, &ifc, true);

	if (!t)
		return CLI_ERR_FAILED;
	if (locked(x, ifc, str_differs(t->source, x->is_no ? NULL : cli_arg(x, "src")), "tunnel source"))
		return CLI_ERR_FAILED;
	free(t->source);
	t->source = x->is_no ? NULL : xstrdup(cli_arg(x, "src"));
	return done(x, ifc);
}

static int cmd_tunnel_mode(struct cli_exec *x)
{
	struct iface_cfg *ifc;
	struct tunnel_ext *t = ext_of(x, &ifc, true);

	if (!t)
		return CLI_ERR_FAILED;
	if (!x->is_no && cli_has(x, "gre"))
		return cli_error(x, "Tunnel mode gre is not supported (no GRE here): use tunnel mode ipsec ipv4");
	if (locked(x, ifc, t->mode_ipsec != !x->is_no, "tunnel mode"))
		return CLI_ERR_FAILED;
	t->mode_ipsec = !x->is_no;
	return done(x, ifc);
}

static int cmd_tunnel_destination(struct cli_exec *x)
{
	struct iface_cfg *ifc;
	struct tunnel_ext *t = ext_of(x, &ifc, true);

	if (!t)
		return CLI_ERR_FAILED;
	enum tunnel_dest nd = x->is_no ? TUNNEL_DEST_NONE
			      : cli_has(x, "dynamic") ? TUNNEL_DEST_DYNAMIC
						      : TUNNEL_DEST_STATIC;
	struct in_addr na = { 0 };
	if (nd == TUNNEL_DEST_STATIC)
		inet_pton(AF_INET, cli_arg(x, "addr"), &na);
	if (locked(x, ifc, nd != t->dest || (nd == TUNNEL_DEST_STATIC && na.s_addr != t->dest_addr.s_addr),
		   "tunnel destination"))
		return CLI_ERR_FAILED;
	if (x->is_no) {
		t->dest = TUNNEL_DEST_NONE;
	} else if (cli_has(x, "dynamic")) {
		t->dest = TUNNEL_DEST_DYNAMIC;
	} else {
		t->dest = TUNNEL_DEST_STATIC;
		inet_pton(AF_INET, cli_arg(x, "addr"), &t->dest_addr);
	}
	return done(x, ifc);
}

static int cmd_tunnel_protection(struct cli_exec *x)
{
	struct iface_cfg *ifc;
	struct tunnel_ext *t = ext_of(x, &ifc, true);

	if (!t)
		return CLI_ERR_FAILED;
	if (locked(x, ifc,
		   str_differs(t->ipsec_profile, x->is_no ? NULL : cli_arg(x, "prof")) ||
			   str_differs(t->ikev2_profile, x->is_no || !cli_has(x, "ikev2p")
								 ? NULL
								 : cli_arg(x, "ikev2p")),
		   "tunnel protection"))
		return CLI_ERR_FAILED;
	free(t->ipsec_profile);
	free(t->ikev2_profile);
	t->ipsec_profile = t->ikev2_profile = NULL;
	if (!x->is_no) {
		t->ipsec_profile = xstrdup(cli_arg(x, "prof"));
		if (cli_has(x, "ikev2p"))
			t->ikev2_profile = xstrdup(cli_arg(x, "ikev2p"));
	}
	return done(x, ifc);
}

static int cmd_adjust_mss(struct cli_exec *x)
{
	struct iface_cfg *ifc;
	struct tunnel_ext *t = ext_of(x, &ifc, false);

	if (!t)
		return CLI_ERR_FAILED;
	t->mss = x->is_no ? 0 : (unsigned)cli_arg_long(x, "mss", 0);
	return done(x, ifc);
}

static void write_mss(const struct config *cfg, const struct iface_cfg *ifc, struct strbuf *out)
{
	const struct tunnel_ext *t = tunnel_ext_get(ifc);

	if (t && t->mss)
		sb_printf(out, " ip tcp adjust-mss %u\n", t->mss);
}

static void write_tunnel(const struct config *cfg, const struct iface_cfg *ifc, struct strbuf *out)
{
	const struct tunnel_ext *t = tunnel_ext_get(ifc);
	char a[INET_ADDRSTRLEN];

	if (!t)
		return;
	if (t->source)
		sb_printf(out, " tunnel source %s\n", t->source);
	if (t->mode_ipsec)
		sb_puts(out, " tunnel mode ipsec ipv4\n");
	if (t->dest == TUNNEL_DEST_DYNAMIC)
		sb_puts(out, " tunnel destination dynamic\n");
	else if (t->dest == TUNNEL_DEST_STATIC)
		sb_printf(out, " tunnel destination %s\n",
			  inet_ntop(AF_INET, &t->dest_addr, a, sizeof(a)));
	if (t->ipsec_profile) {
		sb_printf(out, " tunnel protection ipsec profile %s", t->ipsec_profile);
		if (t->ikev2_profile)
			sb_printf(out, " ikev2-profile %s", t->ikev2_profile);
		sb_puts(out, "\n");
	}
}

static void on_deleted(struct config *cfg, struct iface_cfg *ifc, void *arg)
{
	if (tunnel_ext_get(ifc))
		hook_call(tunnel_changed, cfg, ifc, true);
}

#define NO "Negate a command or set its defaults"
#define TUN "protocol-over-protocol tunneling\n"

static const struct cli_cmd tunnel_cmds[] = {
	{ "config-if", "tunnel source IFNAME$src",
	  TUN "source of tunnel packets\nInterface whose address is the tunnel source",
	  cmd_tunnel_source, 0 },
	{ "config-if", "no tunnel source [IFNAME]", NO "\n" TUN, cmd_tunnel_source, 0 },
	{ "config-if", "tunnel mode ipsec ipv4",
	  "\ntunnel encapsulation method\nIPSec tunnel encapsulation\nover IPv4",
	  cmd_tunnel_mode, 0 },
	{ "config-if", "tunnel mode gre ip",
	  "\n\ngeneric route encapsulation protocol\nover IP", cmd_tunnel_mode, 0 },
	{ "config-if", "no tunnel mode [ipsec ipv4]", NO "\n\n\nIPSec tunnel encapsulation\nover IPv4",
	  cmd_tunnel_mode, 0 },
	{ "config-if", "tunnel destination <dynamic|A.B.C.D$addr>",
	  "\ndestination of tunnel\nDestination learnt dynamically (VPN-SIP: from the SDP)\n"
	  "IP address of the tunnel destination",
	  cmd_tunnel_destination, 0 },
	{ "config-if", "no tunnel destination [dynamic|A.B.C.D]", "", cmd_tunnel_destination, 0 },
	{ "config-if", "tunnel protection ipsec profile WORD$prof [ikev2-profile WORD$ikev2p]",
	  "\nProtect the tunnel with IPsec\nIPsec protection\nIPsec profile to use\n"
	  "IPsec profile name\nIKEv2 profile to use\nIKEv2 profile name",
	  cmd_tunnel_protection, 0 },
	{ "config-if", "no tunnel protection [ipsec profile [WORD]]", "", cmd_tunnel_protection, 0 },
	{ "config-if", "ip tcp adjust-mss (500-1460)$mss",
	  "Interface Internet Protocol config commands\nTCP header compression and other config\n"
	  "Adjust the mss of transit packets\nMaximum segment size in bytes",
	  cmd_adjust_mss, 0 },
	{ "config-if", "no ip tcp adjust-mss [(500-1460)]", NO, cmd_adjust_mss, 0 },
};

/* "show interfaces TunnelN": the data plane's counters of the tunnel (the
 * TUN device's own counters, above, count what the kernel routed into it,
 * including packets the data plane dropped). */
static void show_tunnel(const struct config *cfg, const struct iface_cfg *ifc, const char *dev,
			struct strbuf *out)
{
	const struct tunnel_ext *t = ifc ? tunnel_ext_get(ifc) : NULL;
	struct dataplane *dp = dataplane_get();
	struct dp_tunnel_stats st;

	if (!ifc || ifc->kind != IFACE_TUNNEL)
		return;
	if (t && t->mode_ipsec)
		sb_puts(out, "  Tunnel protocol/transport IPSEC/IP\n");
	if (t && t->ipsec_profile)
		sb_printf(out, "  Tunnel protection via IPSec (profile \"%s\")\n", t->ipsec_profile);
	if (!dp || dp->tunnel_stats(dp, ifc->name, &st) < 0)
		return;
	sb_printf(out, "  IPsec data plane (%s): %s\n", dp->name,
		  st.n_sa_out ? "SA up" : "no SA");
	sb_printf(out, "     %llu packets input, %llu bytes (decrypted)\n",
		  (unsigned long long)st.pkts_in, (unsigned long long)st.bytes_in);
	sb_printf(out, "     %llu packets output, %llu bytes (encrypted)\n",
		  (unsigned long long)st.pkts_out, (unsigned long long)st.bytes_out);
	sb_printf(out, "     %llu encrypt errors, %llu decrypt errors, %llu replay drops\n",
		  (unsigned long long)st.encrypt_errors, (unsigned long long)st.decrypt_errors,
		  (unsigned long long)st.replay_drops);
	sb_printf(out, "     %llu triggers, %llu MSS clamped\n", (unsigned long long)st.triggers,
		  (unsigned long long)st.mss_clamped);
	sb_printf(out, "     Trigger queue: %llu packets queued, %llu dropped (max %u packets, %u bytes)\n",
		  (unsigned long long)st.trigger_queued, (unsigned long long)st.trigger_drops,
		  DP_TRIGGER_QUEUE_PKTS, DP_TRIGGER_QUEUE_BYTES);
}

void tunnel_cli_init(void)
{
	CLI_INSTALL(tunnel_cmds);
	iface_writer_register(34, write_mss);
	iface_writer_register(110, write_tunnel);
	iface_show_register(50, show_tunnel);
	hook_register(iface_deleted, on_deleted, NULL, HOOK_PRIO_DEFAULT);
}
