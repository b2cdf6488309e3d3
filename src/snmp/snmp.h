/* SNMP: an AgentX subagent inside vpnsipd (docs/snmp.md).
 *
 * The model is "snmp-server agentx [socket PATH]" and "snmp-server enable
 * traps vpn-sip" (snmp_cmds.c); the agent (agent.c) runs net-snmp's agent
 * library on a thread of its own, connected to the snmpd master agent's
 * AgentX socket, and serves the VPN-SIP MIB (mib/VPNSIP-MIB.txt) from
 * copies of the sessions the main thread takes on request. */
#ifndef VPNSIP_SNMP_SNMP_H
#define VPNSIP_SNMP_SNMP_H

#include <stdbool.h>

#include "util/evloop.h"

/* net-snmp's default master agent socket (snmpd's "agentXSocket"). */
#define SNMP_AGENTX_SOCKET_DEFAULT "/var/agentx/master"
/* sun_path less its terminating NUL */
#define SNMP_AGENTX_PATH_MAX 107

struct snmp_cfg {
	bool agentx;      /* snmp-server agentx */
	char *socket;     /* its socket; NULL: the default */
	bool traps_vpnsip;/* snmp-server enable traps vpn-sip */
};

/* Main thread.  Start, stop or restart the agent to match c (NULL or
 * !c->agentx: stopped). */
void snmp_agent_apply(struct evloop *loop, const struct snmp_cfg *c);
/* Stop the agent (shutdown): disconnects from the master agent. */
void snmp_agent_stop(void);
/* The snmp-server commands (snmp_cmds.c). */
void snmp_cli_init(void);
extern const struct config_ext_type snmp_ext;

#endif
