/* "snmp-server ..." configuration:
 *
 *   snmp-server agentx [socket PATH]     serve the VPN-SIP MIB as an AgentX
 *                                        subagent of snmpd (PATH: snmpd's
 *                                        agentXSocket, default /var/agentx/master)
 *   snmp-server enable traps vpn-sip     session up/down, registration lost
 *
 * IOS configures its own SNMP engine with snmp-server community/host; here
 * snmpd is the engine (communities, users, views, trap sinks live in
 * snmpd.conf, docs/snmp.md), so "agentx" is the one line IOS lacks. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "config/runtime.h"
#include "snmp/snmp.h"
#include "util/xalloc.h"

static void snmp_cfg_free(void *p)
{
	struct snmp_cfg *c = p;

	free(c->socket);
	free(c);
}

const struct config_ext_type snmp_ext = { .name = "snmp-server", .free = snmp_cfg_free };

static struct snmp_cfg *snmp_cfg_of(struct config *cfg)
{
	return config_ext_get_or_create(cfg, &snmp_ext, sizeof(struct snmp_cfg));
}

static void apply(struct cli_exec *x)
{
	struct evloop *loop = runtime_loop();

	if (loop && !cfg_env(x)->check_only)
		snmp_agent_apply(loop, config_ext_get(cfg_of(x), &snmp_ext));
}

static int cmd_agentx(struct cli_exec *x)
{
	struct snmp_cfg *c = snmp_cfg_of(cfg_of(x));
	const char *path = cli_opt(x, "path");

	if (x->is_no) {
		c->agentx = false;
		free(c->socket);
		c->socket = NULL;
		apply(x);
		return CLI_OK;
	}
	if (path && (path[0] != '/' || strlen(path) > SNMP_AGENTX_PATH_MAX))
		return cli_error(x, "Invalid AgentX socket %s: an absolute path of at most %d characters",
				 path, SNMP_AGENTX_PATH_MAX);
	c->agentx = true;
	free(c->socket);
	c->socket = path && strcmp(path, SNMP_AGENTX_SOCKET_DEFAULT) != 0 ? xstrdup(path) : NULL;
	apply(x);
	return CLI_OK;
}

static int cmd_traps(struct cli_exec *x)
{
	snmp_cfg_of(cfg_of(x))->traps_vpnsip = !x->is_no;
	apply(x);
	return CLI_OK;
}

static void write_snmp(const struct config *cfg, struct strbuf *out)
{
	const struct snmp_cfg *c = config_ext_get(cfg, &snmp_ext);

	if (!c || (!c->agentx && !c->traps_vpnsip))
		return;
	if (c->agentx) {
		sb_puts(out, "snmp-server agentx");
		if (c->socket)
			sb_printf(out, " socket %s", c->socket);
		sb_putc(out, '\n');
	}
	if (c->traps_vpnsip)
		sb_puts(out, "snmp-server enable traps vpn-sip\n");
	sb_puts(out, "!\n");
}

#define NO "Negate a command or set its defaults\n"
#define SNMP_HELP "Modify SNMP engine parameters\n"
#define AGENTX_HELP                                                                       \
	"Serve the VPN-SIP MIB as an AgentX subagent of snmpd\n"                          \
	"The master agent's AgentX socket (default " SNMP_AGENTX_SOCKET_DEFAULT ")\n"       \
	"Absolute path of the socket"
#define TRAPS_HELP                                                                        \
	"Enable SNMP Traps or Informs\nEnable SNMP Traps\n"                               \
	"VPN-SIP session up and down, registration lost"

static const struct cli_cmd snmp_cmds[] = {
	{ "config", "snmp-server agentx [socket WORD$path]", SNMP_HELP AGENTX_HELP, cmd_agentx, 0 },
	{ "config", "no snmp-server agentx [socket WORD$path]", NO SNMP_HELP AGENTX_HELP, cmd_agentx,
	  0 },
	{ "config", "snmp-server enable traps vpn-sip", SNMP_HELP TRAPS_HELP, cmd_traps, 0 },
	{ "config", "no snmp-server enable traps vpn-sip", NO SNMP_HELP TRAPS_HELP, cmd_traps, 0 },
};

void snmp_cli_init(void)
{
	CLI_INSTALL(snmp_cmds);
	config_section_register(800, "snmp-server", write_snmp);
}
