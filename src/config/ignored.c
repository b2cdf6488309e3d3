/* Lines of pasted IOS configurations that have no meaning here: accepted
 * with one "% Ignored: why" line, written nowhere, counted apart by the
 * configuration loader (they never make "vpnsipd -t" fail).
 *
 * A line belongs here only when ignoring it cannot surprise the operator:
 * it sets what the OS owns on Linux (port speed and duplex), names hardware
 * or software that does not exist here (IOS image, licence, ASIC), or states
 * what already holds (no HTTP server, no PAD, no MOP, no AAA).  A line that
 * asks for something real this router does not do (an HTTP server, AAA,
 * line vty passwords, CDP-based features, ICMP redirects off) stays an
 * error.  docs/commands.md lists these lines; the commands are hidden (?
 * and TAB do not offer them). */
#include "config/config.h"

#define OS_PORT "the OS sets the port's speed, duplex and media (ethtool); vpnsipd leaves them"
#define L2 "switching is not a router function here: bridge ports with the OS's tools"
#define NO_IOS "an IOS platform line (image, licence, hardware); there is none here"
#define CDP "CDP is not implemented: this router neither sends nor reads CDP"
#define CACHE "the kernel forwards every packet the same way: there is no route cache to switch"
#define HOLDS(what) what ", as the line asks"

static const struct ignored_line {
	const char *node, *syntax, *help, *why;
} ignored[] = {
	/* global: the head of every IOS running-config */
	{ "config", "version LINE", "IOS software version\nVersion", NO_IOS },
	{ "config", "boot-start-marker", "IOS boot system marker", NO_IOS },
	{ "config", "boot-end-marker", "IOS boot system marker", NO_IOS },
	{ "config", "no service pad", "\n\nPAD commands", HOLDS("there is no X.25 PAD here") },
	{ "config", "no aaa new-model",
	  "\nAuthentication, Authorization and Accounting\nEnable NEW access control commands",
	  HOLDS("there is no AAA here") },
	{ "config", "ip subnet-zero", "\nAllow 'subnet zero' subnets",
	  HOLDS("Linux always allows subnet zero") },
	{ "config", "ip classless", "\nFollow classless routing forwarding rules",
	  HOLDS("Linux always routes classless") },
	{ "config", "ip cef", "\nCisco Express Forwarding",
	  "the kernel forwards; there is no CEF to switch on" },
	{ "config", "ip forward-protocol nd",
	  "\nControls forwarding of physical and directed IP broadcasts\n"
	  "Sun's Network Disk protocol",
	  "an IOS default; nothing here forwards UDP broadcasts" },
	{ "config", "no ip http server", "\n\nHTTP server configuration\nEnable HTTP server",
	  HOLDS("there is no HTTP server here") },
	{ "config", "no ip http secure-server", "\n\n\nEnable HTTPS server",
	  HOLDS("there is no HTTPS server here") },
	{ "config", "control-plane", "Control plane configuration",
	  "control-plane policing is not built; lines under it are read as global lines" },
	{ "config", "license udi LINE",
	  "Configure license features\nUnique Device Identifier\nPID and serial number", NO_IOS },
	{ "config", "diagnostic bootup level LINE",
	  "Diagnostic commands\nBootup diagnostics\nLevel\nLevel name", NO_IOS },
	{ "config", "platform qfp utilization monitor load (1-100)",
	  "Platform commands\nQuantum Flow Processor\nUtilization\nMonitor\nLoad threshold\n"
	  "Percent",
	  NO_IOS },
	{ "config", "platform punt-keepalive disable-kernel-core", "\nPunt keepalive\nKernel core",
	  NO_IOS },
	{ "config", "no platform punt-keepalive disable-kernel-core", "", NO_IOS },
	{ "config", "subscriber templating", "Subscriber configuration\nTemplating",
	  "an IOS XE default with no meaning here" },
	{ "config", "multilink bundle-name authenticated",
	  "Multilink PPP\nBundle naming\nAuthenticated peer name",
	  "an IOS default with no meaning here (no multilink PPP)" },
	{ "config", "spanning-tree extend system-id", "Spanning tree\nExtend\nSystem ID", L2 },
	{ "config", "cdp run", "CDP\nEnable CDP", CDP },
	{ "config", "no cdp run", "", CDP },

	/* interfaces */
	{ "config-if", "switchport [LINE]", "Switch port settings\nSettings", L2 },
	{ "config-if", "load-interval (30-600)",
	  "Load interval of the interface rates\nSeconds",
	  "rates come from the kernel's counters (show interfaces)" },
	{ "config-if", "ip virtual-reassembly [LINE]", "\nVirtual fragment reassembly\nOptions",
	  "the kernel reassembles fragments where it has to" },
	{ "config-if", "duplex <auto|full|half>",
	  "Duplex of the port\nAuto-negotiate\nFull duplex\nHalf duplex", OS_PORT },
	{ "config-if", "speed WORD", "Speed of the port\nSpeed", OS_PORT },
	{ "config-if", "negotiation auto", "Link negotiation\nAuto-negotiate", OS_PORT },
	{ "config-if", "media-type WORD", "Media type of the port\nType", OS_PORT },
	{ "config-if", "cdp enable", "CDP\nEnable CDP on the interface", CDP },
	{ "config-if", "no cdp enable", "", CDP },
	{ "config-if", "no mop enabled", "\nDECnet MOP\nMOP on the interface",
	  HOLDS("there is no DECnet MOP here") },
	{ "config-if", "no mop sysid", "\n\nMOP system identification",
	  HOLDS("there is no DECnet MOP here") },
	{ "config-if", "ip route-cache [cef]", "\nRoute cache\nCEF", CACHE },
	{ "config-if", "no ip route-cache [cef]", "", CACHE },
	{ "config-if", "no ip mroute-cache", "\n\nMulticast route cache", CACHE },
	{ "config-if", "no ip directed-broadcast", "\n\nForwarding of directed broadcasts",
	  HOLDS("vpnsipd never forwards directed broadcasts") },
	{ "config-if", "no keepalive", "\nInterface keepalives",
	  HOLDS("no keepalives are sent on the interface") },
};

static struct cli_cmd ignored_cmds[ARRAY_SIZE(ignored)];

static int cmd_ignored(struct cli_exec *x)
{
	size_t i = (size_t)(x->cmd - ignored_cmds);

	cli_out(x, "%s%s\n", CONFIG_IGNORED_TAG,
		i < ARRAY_SIZE(ignored) ? ignored[i].why : "no meaning here");
	return CLI_OK;
}

void ignored_cli_init(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(ignored); i++)
		ignored_cmds[i] = (struct cli_cmd){
			ignored[i].node, ignored[i].syntax, ignored[i].help, cmd_ignored,
			CLI_HIDDEN | CLI_NOLOG | CLI_IGNORED,
		};
	CLI_INSTALL(ignored_cmds);
}
