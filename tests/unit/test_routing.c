/* The routing features' parsers and models without a daemon: DHCP option 120 in both
 * RFC 3361 encodings, and the running-config round trip of static routes,
 * IP SLA, track, access lists, NAT and the DHCP client lines. */
#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "daemon/feature.h"
#include "dhcp/dhcp.h"
#include "harness.h"

static struct config cfg;
static struct config_env env = { .cfg = &cfg, .startup_path = "/nonexistent", .check_only = true };

static struct cli_session *session(void)
{
	static bool inited;

	if (!inited) {
		feature_cli_init_all();
		config_init(&cfg);
		inited = true;
	}
	return cli_session_new(&env, 15);
}

static enum cli_status run(struct cli_session *s, const char *line, struct strbuf *out)
{
	struct cli_result res;

	sb_reset(out);
	config_exec_line(&env, s, line, out, &res);
	return res.status;
}

TEST(option120_domain_encoding)
{
	/* 00 07 example 02 ne 02 jp 00, then a second name by compression */
	static const uint8_t p[] = { 0, 7, 'e', 'x', 'a', 'm', 'p', 'l', 'e', 2, 'n', 'e', 2, 'j', 'p', 0,
				     3, 's', 'i', 'p', 0xc0, 0x00 };
	struct ifstate_dhcp d;

	memset(&d, 0, sizeof(d));
	CHECK(dhcp_decode_sip_servers(p, sizeof(p), &d));
	CHECK_INT(d.nsip_domains, 2);
	CHECK_INT(d.nsip_addrs, 0);
	if (d.nsip_domains == 2) {
		CHECK_STR(d.sip_domains[0], "example.ne.jp");
		CHECK_STR(d.sip_domains[1], "sip.example.ne.jp");
	}
	ifstate_dhcp_free(&d);
}

TEST(option120_ipv4_encoding)
{
	static const uint8_t p[] = { 1, 192, 0, 2, 1, 198, 51, 100, 7 };
	struct ifstate_dhcp d;
	char a[INET_ADDRSTRLEN];

	memset(&d, 0, sizeof(d));
	CHECK(dhcp_decode_sip_servers(p, sizeof(p), &d));
	CHECK_INT(d.nsip_addrs, 2);
	if (d.nsip_addrs == 2) {
		CHECK_STR(inet_ntop(AF_INET, &d.sip_addrs[0], a, sizeof(a)), "192.0.2.1");
		CHECK_STR(inet_ntop(AF_INET, &d.sip_addrs[1], a, sizeof(a)), "198.51.100.7");
	}
	ifstate_dhcp_free(&d);
}

TEST(option120_malformed)
{
	static const uint8_t bad_len[] = { 1, 192, 0, 2 };
	static const uint8_t bad_enc[] = { 2, 1, 2, 3, 4 };
	static const uint8_t loop[] = { 0, 0xc0, 0x00 };
	static const uint8_t overrun[] = { 0, 9, 'a', 'b' };
	struct ifstate_dhcp d;

	memset(&d, 0, sizeof(d));
	CHECK(!dhcp_decode_sip_servers(bad_len, sizeof(bad_len), &d));
	CHECK(!dhcp_decode_sip_servers(bad_enc, sizeof(bad_enc), &d));
	CHECK(!dhcp_decode_sip_servers(loop, sizeof(loop), &d));
	CHECK(!dhcp_decode_sip_servers(overrun, sizeof(overrun), &d));
	CHECK(!dhcp_decode_sip_servers(bad_len, 1, &d));
	ifstate_dhcp_free(&d);
}

static const char *const lines[] = {
	"hostname R",
	"track 1 ip sla 1 reachability",
	"delay up 3 down 1",
	"track 2 interface GigabitEthernet8 line-protocol",
	"interface GigabitEthernet8",
	"linux-device bak0",
	"ip dhcp client request sip-server-address",
	"ip dhcp client request vendor-identifying-specific",
	"ip address dhcp",
	"ip mtu 1400",
	"ip nat outside",
	"interface Loopback11",
	"ip address 10.9.9.9 255.255.255.255",
	"ip nat inside",
	"ip nat service sip udp port 5070",
	"no ip nat service sip udp port 5060",
	"ip nat inside source list 1 interface GigabitEthernet8 overload",
	"ip nat inside source static 203.0.113.2 198.51.100.100",
	"ip nat inside source static udp 10.9.9.9 4500 interface GigabitEthernet8 50001",
	"ip route 0.0.0.0 0.0.0.0 198.51.100.5 track 1",
	"ip route 10.0.0.0 255.0.0.0 Tunnel0 250 name backup",
	"ip route 10.0.0.0 255.0.0.0 198.51.100.5",
	"ip route 10.0.0.0 255.0.0.0 Tunnel1 254 permanent",
	"ip access-list extended SIP",
	"permit udp any any eq 5060",
	"deny ip 10.0.0.0 0.0.255.255 any",
	"ip sla 1",
	"icmp-echo 198.51.100.1 source-interface GigabitEthernet8",
	"threshold 500",
	"timeout 500",
	"frequency 2",
	"ip sla schedule 1 life forever start-time now",
	"access-list 1 permit 203.0.113.0 0.0.0.7",
	"access-list 1 remark lan",
	"access-list 101 permit tcp host 10.1.1.1 range 1000 2000 any eq 22",
	NULL,
};

static const char *expected =
	"!\n"
	"hostname R\n"
	"!\n"
	"track 1 ip sla 1 reachability\n"
	" delay up 3 down 1\n"
	"track 2 interface GigabitEthernet8 line-protocol\n"
	"!\n"
	"interface Loopback11\n"
	" ip address 10.9.9.9 255.255.255.255\n"
	" ip nat inside\n"
	"!\n"
	"interface GigabitEthernet8\n"
	" linux-device bak0\n"
	" ip dhcp client request sip-server-address\n"
	" ip dhcp client request vendor-identifying-specific\n"
	" ip address dhcp\n"
	" ip mtu 1400\n"
	" ip nat outside\n"
	"!\n"
	"no ip nat service sip udp port 5060\n"
	"ip nat service sip udp port 5070\n"
	"ip nat inside source list 1 interface GigabitEthernet8 overload\n"
	"ip nat inside source static 203.0.113.2 198.51.100.100\n"
	"ip nat inside source static udp 10.9.9.9 4500 interface GigabitEthernet8 50001\n"
	"!\n"
	"ip route 0.0.0.0 0.0.0.0 198.51.100.5 track 1\n"
	"ip route 10.0.0.0 255.0.0.0 Tunnel0 250 name backup\n"
	"ip route 10.0.0.0 255.0.0.0 198.51.100.5\n"
	"ip route 10.0.0.0 255.0.0.0 Tunnel1 254 permanent\n"
	"!\n"
	"ip access-list extended SIP\n"
	" 10 permit udp any any eq 5060\n"
	" 20 deny ip 10.0.0.0 0.0.255.255 any\n"
	"!\n"
	"ip sla 1\n"
	" icmp-echo 198.51.100.1 source-interface GigabitEthernet8\n"
	"  threshold 500\n"
	"  timeout 500\n"
	"  frequency 2\n"
	"ip sla schedule 1 life forever start-time now\n"
	"!\n"
	"access-list 1 permit 203.0.113.0 0.0.0.7\n"
	"access-list 1 remark lan\n"
	"access-list 101 permit tcp host 10.1.1.1 range 1000 2000 any eq 22\n"
	"!\n"
	"end\n";

TEST(running_config_round_trip)
{
	struct cli_session *s = session();
	struct strbuf out = STRBUF_INIT, text = STRBUF_INIT;

	run(s, "configure terminal", &out);
	for (const char *const *l = lines; *l; l++) {
		enum cli_status st = run(s, *l, &out);
		if (st != CLI_OK)
			harness_fail(__FILE__, __LINE__, "'%s': %d %s", *l, st, sb_str(&out));
	}
	cfg.last_change = 0;
	config_write(&cfg, &text);
	CHECK_STR(sb_str(&text), expected);

	/* the same text, loaded again line by line, writes itself */
	struct strbuf again = STRBUF_INIT;
	char *copy = xstrdup(sb_str(&text));
	run(s, "end", &out);
	run(s, "configure terminal", &out);
	for (char *line = strtok(copy, "\n"); line; line = strtok(NULL, "\n"))
		if (line[0] != '!' && strcmp(line, "end") != 0 && run(s, line, &out) != CLI_OK)
			harness_fail(__FILE__, __LINE__, "reload '%s': %s", line, sb_str(&out));
	free(copy);
	cfg.last_change = 0;
	config_write(&cfg, &again);
	CHECK_STR(sb_str(&again), sb_str(&text));

	/* IOS errors */
	CHECK_INT(run(s, "ip route 192.0.2.168 255.255.255.0 Tunnel0", &out), CLI_ERR_FAILED);
	CHECK(strstr(sb_str(&out), "Inconsistent address and mask"));
	CHECK_INT(run(s, "no ip route 192.0.2.0 255.255.255.0", &out), CLI_ERR_FAILED);
	CHECK_INT(run(s, "access-list 1 permit tcp any any", &out), CLI_ERR_FAILED);
	CHECK_INT(run(s, "ip sla schedule 9 start-time now", &out), CLI_ERR_FAILED);
	CHECK_INT(run(s, "interface Tunnel5", &out), CLI_OK);
	CHECK_INT(run(s, "ip address dhcp", &out), CLI_ERR_FAILED);

	/* removing lines removes them */
	run(s, "exit", &out);
	CHECK_INT(run(s, "no ip route 10.0.0.0 255.0.0.0", &out), CLI_OK);
	CHECK_INT(run(s, "no ip sla 1", &out), CLI_OK);
	CHECK_INT(run(s, "no track 1", &out), CLI_OK);
	CHECK_INT(run(s, "no access-list 101", &out), CLI_OK);
	CHECK_INT(run(s, "no ip nat inside source list 1", &out), CLI_OK);
	sb_reset(&text);
	config_write(&cfg, &text);
	CHECK(!strstr(sb_str(&text), "10.0.0.0 255.0.0.0"));
	CHECK(!strstr(sb_str(&text), "ip sla 1"));
	CHECK(!strstr(sb_str(&text), "track 1 "));
	CHECK(!strstr(sb_str(&text), "access-list 101"));
	CHECK(!strstr(sb_str(&text), "source list 1"));
	CHECK(strstr(sb_str(&text), "ip route 0.0.0.0 0.0.0.0 198.51.100.5 track 1"));
	sb_free(&out);
	sb_free(&text);
	sb_free(&again);
	cli_session_free(s);
}

/* The lines above into a configuration of its own. */
static void load_lines(struct config *c)
{
	struct config_env e = { .cfg = c, .startup_path = "/nonexistent", .check_only = true };
	struct cli_session *s;
	struct strbuf out = STRBUF_INIT;
	struct cli_result res;

	cli_session_free(session()); /* the features are installed */
	config_init(c);
	s = cli_session_new(&e, 15);
	config_exec_line(&e, s, "configure terminal", &out, &res);
	for (const char *const *l = lines; *l; l++) {
		sb_reset(&out);
		config_exec_line(&e, s, *l, &out, &res);
		if (res.status != CLI_OK)
			harness_fail(__FILE__, __LINE__, "'%s': %d %s", *l, res.status, sb_str(&out));
	}
	c->last_change = 0;
	cli_session_free(s);
	sb_free(&out);
}

/* Every part of the model belongs to its configuration: one built and freed
 * beside another leaves that one as it was, and a fresh one is empty (what
 * the fuzzer and a replace-style reload rely on). */
TEST(models_belong_to_their_configuration)
{
	struct config a, b;
	struct strbuf ta = STRBUF_INIT, tb = STRBUF_INIT, fresh = STRBUF_INIT;
	static const char *const parts[] = { "ip route ", "track ", "ip sla", "access-list",
					     "ip nat ", NULL };

	load_lines(&a);
	config_write(&a, &ta);
	CHECK_STR(sb_str(&ta), expected);

	load_lines(&b);
	config_write(&b, &tb);
	CHECK_STR(sb_str(&tb), expected);
	config_free(&b);

	config_init(&b);
	config_write(&b, &fresh);
	for (const char *const *p = parts; *p; p++)
		if (strstr(sb_str(&fresh), *p))
			harness_fail(__FILE__, __LINE__, "a fresh configuration has '%s':\n%s", *p,
				     sb_str(&fresh));
	config_free(&b);

	sb_reset(&tb);
	a.last_change = 0;
	config_write(&a, &tb);
	CHECK_STR(sb_str(&tb), sb_str(&ta));
	config_free(&a);
	sb_free(&ta);
	sb_free(&tb);
	sb_free(&fresh);
}
