/* Commands of features that are planned but not built yet.  Lines that use
 * them are reported as unsupported, naming the feature, instead of as
 * invalid input: the seed configurations load today and the report shrinks
 * as features land.  Remove an entry when its feature installs commands. */
#include "cli/cli.h"

static const struct {
	const char *words;
	const char *feature;
} planned[] = {
	{ "crypto", "IKEv2, IPsec and PKI configuration" },
	{ "vpn-sip", "VPN-SIP" },
	{ "tunnel", "Tunnel interface configuration" },
	{ "ip route", "Static routing" },
	{ "ip sla", "IP SLA" },
	{ "track", "Object tracking" },
	{ "ip nat", "NAT" },
	{ "ip dhcp", "The DHCP client" },
	{ "ip address dhcp", "The DHCP client" },
	{ "ip mtu", "Interface IP options" },
	{ "ip tcp", "Interface IP options" },
	{ "load-interval", "Interface statistics" },
	{ "class-map", "QoS" },
	{ "policy-map", "QoS" },
	{ "service-policy", "QoS" },
	{ "qos", "QoS" },
	{ "access-list", "Access lists" },
	{ "ip access-list", "Access lists" },
	{ "switchport", "Layer-2 switching (not a router feature; not planned)" },
	{ "show vpn-sip", "VPN-SIP" },
	{ "show crypto", "IKEv2, IPsec and PKI" },
	{ "show ip", "IP show commands" },
	{ "show interfaces", "Interface statistics" },
	{ "show policy-map", "QoS" },
	{ "show track", "Object tracking" },
	{ "clear vpn-sip", "VPN-SIP" },
	{ "clear crypto", "IKEv2 and IPsec" },
	{ "debug vpn-sip", "VPN-SIP" },
	{ "debug crypto", "IKEv2 and IPsec" },
};

void planned_cli_init(void);
void planned_cli_init(void)
{
	for (size_t i = 0; i < ARRAY_SIZE(planned); i++)
		cli_planned(planned[i].words, planned[i].feature);
}
