/* Crypto session commands: show crypto session / ikev2 sa / ipsec sa,
 * clear crypto session / ikev2 sa, and the hidden test hook that drives
 * the ike.h session API (docs/ike.md). */
#include <library.h>

#include "ike/ike_int.h"

#include <arpa/inet.h>
#include <stdlib.h>
#include <string.h>

#include "cli/json.h"
#include "config/config.h"
#include "crypto/crypto.h"

/* The document of a show without the IKE engine: no rows. */
static struct json_object *empty_list(const char *key)
{
	struct json_object *doc = json_object_new_object();

	json_object_object_add(doc, key, json_object_new_array());
	return doc;
}

static int cmd_show_session(struct cli_exec *x)
{
	bool json = cli_has(x, "json");

	if (!ike_running) {
		if (json)
			cli_out_json(x, empty_list("sessions"));
		return CLI_OK;
	}
	if (json)
		cli_out_json(x, ike_session_json(cli_arg(x, "ifname"), cli_has(x, "detail")));
	else
		ike_show_session(x->out, cli_arg(x, "ifname"), cli_has(x, "detail"));
	return CLI_OK;
}

static int cmd_show_ikev2_sa(struct cli_exec *x)
{
	bool json = cli_has(x, "json");

	if (!ike_running) {
		if (json)
			cli_out_json(x, empty_list("sas"));
		return CLI_OK;
	}
	if (json)
		cli_out_json(x, ike_ikev2_sa_json(cli_has(x, "detailed")));
	else
		ike_show_ikev2_sa(x->out, cli_has(x, "detailed"));
	return CLI_OK;
}

static int cmd_show_ipsec_sa(struct cli_exec *x)
{
	if (!ike_running)
		return CLI_OK;
	ike_show_ipsec_sa(x->out, cli_arg(x, "ifname"));
	return CLI_OK;
}

static int cmd_show_dataplane(struct cli_exec *x)
{
	struct dataplane *dp = dataplane_get();
	struct dp_global_stats g;

	if (!dp)
		return CLI_OK;
	dp->global_stats(dp, &g);
	cli_out(x, "IPsec data plane: %s\n", dp->name);
	cli_out(x, "  IKE packets in %llu, out %llu, NAT keepalives in %llu\n",
		(unsigned long long)g.ike_in, (unsigned long long)g.ike_out,
		(unsigned long long)g.keepalives_in);
	cli_out(x, "  ESP dropped: unknown SPI %llu, truncated %llu, garbage %llu\n",
		(unsigned long long)g.esp_unknown_spi, (unsigned long long)g.esp_truncated,
		(unsigned long long)g.esp_garbage);
	cli_out(x, "  invalid SPI reports %llu (at most one per second)\n",
		(unsigned long long)g.invalid_spi_reports);
	if (dp->ports_accepting) {
		struct in_addr a[16];
		bool filtered;
		size_t n = dp->ports_accepting(dp, a, 16, &filtered);
		cli_out(x, "  UDP ports accept IKE/ESP on: ");
		if (!filtered)
			cli_out(x, "every address");
		else if (!n)
			cli_out(x, "no address (no IPsec tunnel has a source address)");
		for (size_t i = 0; filtered && i < n; i++) {
			char s[INET_ADDRSTRLEN];
			cli_out(x, "%s%s", i ? ", " : "", inet_ntop(AF_INET, &a[i], s, sizeof(s)));
		}
		cli_out(x, "\n  dropped by the kernel: %llu (other destinations, full buffer)\n",
			(unsigned long long)g.port_kernel_drops);
	}
	return CLI_OK;
}

static int cmd_clear_session(struct cli_exec *x)
{
	struct in_addr a;
	const char *r = cli_opt(x, "addr"); /* clear crypto session remote A.B.C.D */

	if (!ike_running)
		return CLI_OK;
	if (r)
		inet_pton(AF_INET, r, &a);
	ike_clear_sessions(r ? &a : NULL);
	return CLI_OK;
}

/* test crypto ikev2 session TunnelN initiator|responder peer A.B.C.D port P
 *   local-port L local-id ID remote-id ID [fingerprint HASH HEX] [vpn-sip] */
static int cmd_test_session(struct cli_exec *x)
{
	struct ike_session_params p = {
		.tunnel = cli_arg(x, "ifname"),
		.role = cli_has(x, "responder") ? IKE_ROLE_RESPONDER : IKE_ROLE_INITIATOR,
		.local_port = (uint16_t)cli_arg_long(x, "lport", 0),
		.local_id = cli_arg(x, "lid"),
		.remote_id = cli_arg(x, "rid"),
		.vpn_sip = cli_has(x, "vpn-sip"),
	};
	char err[200];

	struct in_addr a = { 0 };
	inet_pton(AF_INET, cli_arg(x, "paddr"), &a);
	p.peer.addr = vpnsip_addr_v4(a);
	p.peer.port = (uint16_t)cli_arg_long(x, "pport", 0);
	if (cli_has(x, "hash") &&
	    !crypto_fingerprint_parse(cli_arg(x, "hash"), cli_arg(x, "hex"), &p.peer.fp))
		return cli_error(x, "Bad fingerprint '%s %s'", cli_arg(x, "hash"), cli_arg(x, "hex"));
	if (ike_session_start(&p, err, sizeof(err)) < 0)
		return cli_error(x, "%s", err);
	return CLI_OK;
}

static int cmd_test_stop(struct cli_exec *x)
{
	if (!ike_session_exists(cli_arg(x, "ifname")))
		return cli_error(x, "No IKE session on %s", cli_arg(x, "ifname"));
	ike_session_stop(cli_arg(x, "ifname"), (unsigned)cli_arg_long(x, "ms", 5000));
	return CLI_OK;
}

#define SHOW "Show running system information\n"
#define CRY "Encryption module\n"
#define CLR "Reset functions\n"

static const struct cli_cmd ike_cmds[] = {
	{ "exec", "show crypto session [detail] [interface IFNAME$ifname] [json]",
	  SHOW CRY "Show crypto sessions\nShow detailed session information\n"
	  "Sessions of one interface\nTunnel interface\n" CLI_JSON_HELP,
	  cmd_show_session, 0 },
	{ "exec", "show crypto ikev2 sa [detailed] [json]",
	  "\n\nIKEv2 information\nIKEv2 security associations\nShow detailed information\n"
	  CLI_JSON_HELP,
	  cmd_show_ikev2_sa, 0 },
	{ "exec", "show crypto ipsec sa [interface IFNAME$ifname]",
	  "\n\nIPsec information\nIPsec security associations\nSAs of one interface\nTunnel interface",
	  cmd_show_ipsec_sa, 0 },
	{ "exec", "show crypto ipsec dataplane",
	  "\n\n\nThe user-space IPsec data plane's counters",
	  cmd_show_dataplane, 0 },
	{ "exec", "clear crypto session [remote A.B.C.D$addr]",
	  CLR "Encryption module\nCrypto sessions (delete their IKE SAs)\nSessions of one peer\n"
	  "Peer address",
	  cmd_clear_session, CLI_PRIV },
	{ "exec", "clear crypto ikev2 sa",
	  "\n\nIKEv2 information\nDelete all IKEv2 security associations",
	  cmd_clear_session, CLI_PRIV },
	{ "exec",
	  "test crypto ikev2 session IFNAME$ifname <initiator|responder> peer A.B.C.D$paddr "
	  "port (0-65535)$pport local-port (0-65535)$lport local-id WORD$lid remote-id WORD$rid "
	  "[fingerprint WORD$hash WORD$hex] [vpn-sip]",
	  "Test commands\nEncryption module\nIKEv2\nStart an IKE session (test hook)\nTunnel interface\n"
	  "Initiate\nRespond\nPeer\nPeer address\nPeer port\nPort (0: 500)\nLocal port\n"
	  "Port (0: 500/4500)\nLocal identity\nkey-id\nRemote identity\nkey-id\n"
	  "Expected peer fingerprint\nHash (sha-1, sha-256, ...)\nHex value\nShow as VPN-SIP",
	  cmd_test_session, CLI_PRIV | CLI_HIDDEN },
	{ "exec", "test crypto ikev2 stop IFNAME$ifname [(1-60000)$ms]",
	  "\n\n\nStop an IKE session (test hook)\nTunnel interface\nTimeout in ms",
	  cmd_test_stop, CLI_PRIV | CLI_HIDDEN },
};

static void add_library_version(struct strbuf *out, void *arg)
{
	(void)arg;
	sb_printf(out, "%sstrongSwan (libcharon) %s", out->len ? ", " : "", ike_library_version());
}

void ike_cli_init(void)
{
	ike_debug_register();
	CLI_INSTALL(ike_cmds);
	hook_register(show_version_library, add_library_version, NULL, 10);
	hook_register(nat_xlate_rows, ike_nat_rows, NULL, HOOK_PRIO_DEFAULT);
}
