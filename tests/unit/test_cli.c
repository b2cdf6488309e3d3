/* The command engine and the core configuration model: parsing,
 * abbreviations, errors and their carets, help, completion, modes, output
 * modifiers, and round trips through show running-config. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <json-c/json.h>

#include "config/config.h"
#include "config/secret.h"
#include "daemon/feature.h"
#include "harness.h"

static struct config cfg;
static struct config_env env = { .cfg = &cfg, .startup_path = "/nonexistent", .check_only = true };
static bool inited;

static struct cli_session *fresh(void)
{
	if (!inited) {
		feature_cli_init_all();
		inited = true;
	}
	config_free(&cfg);
	config_init(&cfg);
	return cli_session_new(&env, 15);
}

/* Run a line; returns its status and leaves the output in out. */
static enum cli_status run(struct cli_session *s, const char *line, struct strbuf *out,
			   int *caret)
{
	struct cli_result res;

	sb_reset(out);
	config_exec_line(&env, s, line, out, &res);
	if (caret)
		*caret = res.caret;
	return res.status;
}

static char *run_out(struct cli_session *s, const char *line)
{
	struct strbuf out = STRBUF_INIT;

	run(s, line, &out, NULL);
	return sb_steal(&out);
}

/* The configuration body without the "Last configuration change" line. */
static char *body(void)
{
	struct strbuf sb = STRBUF_INIT;
	time_t saved = cfg.last_change;

	cfg.last_change = 0;
	config_write(&cfg, &sb);
	cfg.last_change = saved;
	return sb_steal(&sb);
}

static void apply_all(struct cli_session *s, const char *const *lines)
{
	struct strbuf out = STRBUF_INIT;

	for (; *lines; lines++) {
		enum cli_status st = run(s, *lines, &out, NULL);
		if (st != CLI_OK && st != CLI_MORE_INPUT)
			harness_fail(__FILE__, __LINE__, "line '%s' failed (%d): %s", *lines, st,
				     sb_str(&out));
	}
	sb_free(&out);
}

TEST(every_token_has_help)
{
	struct strbuf missing = STRBUF_INIT;

	cli_session_free(fresh());
	CHECK_INT(cli_check_help(&missing), 0);
	if (missing.len)
		printf("%s", sb_str(&missing));
	sb_free(&missing);
}

TEST(roundtrip_core_config)
{
	struct cli_session *s = fresh();
	static const char *const lines[] = {
		"configure terminal",
		"hostname branch-01",
		"service password-encryption",
		"enable password s3cret",
		"logging buffered 16384 informational",
		"no logging monitor",
		"interface Loopback11",
		" ip address 10.9.9.9 255.255.255.255",
		"interface Tunnel1",
		" description backup to HQ | via NGN",
		" ip unnumbered Loopback0",
		"interface GigabitEthernet8",
		" linux-device bak0",
		" ip address 198.51.100.2 255.255.255.252",
		" ip address 198.51.100.10 255.255.255.252 secondary",
		" shutdown",
		"interface wan0",
		" ip address 203.0.113.1 255.255.255.0",
		"interface Loopback0",
		" ip address 10.21.1.1 255.255.255.255",
		"exit",
		"banner motd #Authorised access only#",
		"end",
		NULL,
	};
	apply_all(s, lines);
	char *b = body();
	char *enc = secret_type7_encode("s3cret", 6);
	char *expect = xasprintf(
		"!\n"
		"service password-encryption\n!\n"
		"hostname branch-01\n!\n"
		"enable password 7 %s\n!\n"
		"logging buffered 16384 informational\n"
		"no logging monitor\n!\n"
		"interface Loopback0\n ip address 10.21.1.1 255.255.255.255\n!\n"
		"interface Loopback11\n ip address 10.9.9.9 255.255.255.255\n!\n"
		"interface Tunnel1\n description backup to HQ | via NGN\n ip unnumbered Loopback0\n!\n"
		"interface GigabitEthernet8\n linux-device bak0\n"
		" ip address 198.51.100.2 255.255.255.252\n"
		" ip address 198.51.100.10 255.255.255.252 secondary\n shutdown\n!\n"
		"interface wan0\n ip address 203.0.113.1 255.255.255.0\n!\n"
		"banner motd ^CAuthorised access only^C\n!\n"
		"end\n",
		enc);
	CHECK_STR(b, expect);

	/* Feeding the output back in gives the same configuration. */
	struct cli_session *s2 = fresh();
	free(run_out(s2, "configure terminal"));
	for (char *line = strtok(b, "\n"); line; line = strtok(NULL, "\n")) {
		struct strbuf out = STRBUF_INIT;
		enum cli_status st = run(s2, line, &out, NULL);
		if (st != CLI_OK)
			harness_fail(__FILE__, __LINE__, "replay '%s': %s", line, sb_str(&out));
		sb_free(&out);
		if (strcmp(cli_session_node(s2), "exec") == 0)
			free(run_out(s2, "configure terminal"));
	}
	char *b2 = body();
	CHECK_STR(b2, expect);
	free(b);
	free(b2);
	free(expect);
	free(enc);
	cli_session_free(s);
	cli_session_free(s2);
}

TEST(abbreviations_and_interface_names)
{
	struct cli_session *s = fresh();
	struct strbuf out = STRBUF_INIT;

	CHECK_INT(run(s, "conf t", &out, NULL), CLI_OK);
	CHECK_STR(cli_session_node(s), "config");
	CHECK_INT(run(s, "int tun 1", &out, NULL), CLI_OK);
	CHECK_STR(cli_session_key(s, "config-if"), "Tunnel1");
	CHECK_INT(run(s, "int lo0", &out, NULL), CLI_OK);
	CHECK_STR(cli_session_key(s, "config-if"), "Loopback0");
	CHECK_INT(run(s, "interface gi0/0/1", &out, NULL), CLI_OK);
	CHECK_STR(cli_session_key(s, "config-if"), "GigabitEthernet0/0/1");
	CHECK_INT(run(s, "interface GigabitEthernet 8", &out, NULL), CLI_OK);
	CHECK_STR(cli_session_key(s, "config-if"), "GigabitEthernet8");
	CHECK_INT(run(s, "interface eth0", &out, NULL), CLI_OK);
	CHECK_STR(cli_session_key(s, "config-if"), "eth0");
	CHECK_INT(run(s, "int tunnel", &out, NULL), CLI_ERR_INCOMPLETE);
	CHECK_INT(run(s, "ip addr 192.0.2.1 255.255.255.0", &out, NULL), CLI_OK);
	CHECK_INT(run(s, "end", &out, NULL), CLI_OK);
	CHECK_INT(run(s, "sh run int eth0", &out, NULL), CLI_OK);
	CHECK(strstr(sb_str(&out), "interface eth0\n ip address 192.0.2.1 255.255.255.0\n!\nend\n"));
	sb_free(&out);
	cli_session_free(s);
}

TEST(error_kinds_and_carets)
{
	struct cli_session *s = fresh();
	struct strbuf out = STRBUF_INIT;
	int caret;

	run(s, "configure terminal", &out, NULL);
	/* the caret sits under the first character that matches nothing */
	CHECK_INT(run(s, "hostnme R1", &out, &caret), CLI_ERR_INVALID);
	CHECK_INT(caret, 5);
	CHECK_INT(run(s, "  hostname R1 extra", &out, &caret), CLI_ERR_INVALID);
	CHECK_INT(caret, 14);
	CHECK_INT(run(s, "hostname", &out, NULL), CLI_ERR_INCOMPLETE);
	CHECK_INT(run(s, "interface Tunnel1", &out, NULL), CLI_OK);
	CHECK_INT(run(s, "ip address 192.0.2.300 255.255.255.0", &out, &caret), CLI_ERR_INVALID);
	CHECK_INT(caret, 11);
	CHECK_INT(run(s, "ip address 192.0.2.1 255.0.255.0", &out, NULL), CLI_ERR_FAILED);
	CHECK(strstr(sb_str(&out), "% Bad mask 255.0.255.0 for address 192.0.2.1"));
	/* "s" is shutdown? no: both "shutdown" and nothing else start with s
	 * in config-if; "d" is description or default: ambiguous */
	CHECK_INT(run(s, "de x", &out, NULL), CLI_ERR_AMBIGUOUS);
	CHECK_INT(run(s, "exit", &out, NULL), CLI_OK);
	CHECK_INT(run(s, "logging buf 100", &out, &caret), CLI_ERR_INVALID);
	CHECK_INT(caret, 12);
	/* hostnames are validated */
	CHECK_INT(run(s, "hostname 1abc", &out, NULL), CLI_ERR_FAILED);
	CHECK(strstr(sb_str(&out), "illegal characters"));

	struct cli_result res = { 0 };
	res.status = CLI_ERR_INVALID;
	res.caret = 5;
	sb_reset(&out);
	cli_render_error(&res, "hostnme R1", 16, false, &out);
	CHECK_STR(sb_str(&out), "                     ^\n% Invalid input detected at '^' marker.\n");
	sb_free(&out);
	cli_session_free(s);
}

TEST(no_and_default_forms)
{
	struct cli_session *s = fresh();
	static const char *const lines[] = {
		"configure terminal", "hostname A1", "interface Loopback1",
		"ip address 10.0.0.1 255.255.255.255", "description x", "shutdown", NULL,
	};
	apply_all(s, lines);
	char *o;
	o = run_out(s, "no shutdown");
	free(o);
	o = run_out(s, "default description");
	free(o);
	o = run_out(s, "no ip address");
	free(o);
	o = run_out(s, "exit");
	free(o);
	o = run_out(s, "no hostname");
	free(o);
	char *b = body();
	CHECK_STR(b, "!\nhostname Router\n!\ninterface Loopback1\n no ip address\n!\nend\n");
	free(b);
	o = run_out(s, "no interface Loopback1");
	free(o);
	b = body();
	CHECK_STR(b, "!\nhostname Router\n!\nend\n");
	free(b);
	cli_session_free(s);
}

TEST(help_listing)
{
	struct cli_session *s = fresh();
	struct strbuf out = STRBUF_INIT;
	struct cli_result res;

	run(s, "configure terminal", &out, NULL);
	run(s, "interface Tunnel1", &out, NULL);
	sb_reset(&out);
	cli_help(s, "ip ", &out, &res);
	CHECK_STR(sb_str(&out), "  address     Set the IP address of an interface\n"
				"  dhcp        Configure DHCP parameters for this interface\n"
				"  mtu         Set IP Maximum Transmission Unit\n"
				"  nat         NAT interface commands\n"
				"  tcp         TCP header compression and other config\n"
				"  unnumbered  Enable IP processing without an explicit address\n");
	sb_reset(&out);
	cli_help(s, "ip address 192.0.2.1 255.255.255.0 ", &out, &res);
	CHECK_STR(sb_str(&out), "  secondary  Make this IP address a secondary address\n  <cr>\n");
	sb_reset(&out);
	cli_help(s, "sh", &out, &res); /* mid-word */
	CHECK_STR(sb_str(&out), "shutdown  \n");
	sb_reset(&out);
	cli_help(s, "d", &out, &res);
	CHECK_STR(sb_str(&out), "default  description  do  \n");
	sb_reset(&out);
	cli_help(s, "do show ver", &out, &res);
	CHECK_STR(sb_str(&out), "version  \n");
	run(s, "end", &out, NULL);
	sb_reset(&out);
	cli_help(s, "show running-config ", &out, &res);
	CHECK_STR(sb_str(&out), "  interface  Show interface configuration\n  |          Output modifiers\n  <cr>\n");
	sb_reset(&out);
	cli_help(s, "show running-config | ", &out, &res);
	CHECK(strstr(sb_str(&out), "  include  Include lines that match\n"));
	sb_reset(&out);
	cli_help(s, "configure terminal interface tunnel ", &out, &res);
	CHECK_INT(res.status, CLI_ERR_INVALID);
	sb_reset(&out);
	cli_help(s, "hostnme ", &out, &res);
	CHECK_INT(res.status, CLI_ERR_INVALID);
	CHECK_INT(res.caret, 0);
	sb_free(&out);
	cli_session_free(s);
}

TEST(completion)
{
	struct cli_session *s = fresh();
	struct strbuf out = STRBUF_INIT;

	cli_complete(s, "sh", &out);
	CHECK_STR(sb_str(&out), "show\n");
	sb_reset(&out);
	cli_complete(s, "show run", &out);
	CHECK_STR(sb_str(&out), "running-config\n");
	sb_reset(&out);
	cli_complete(s, "conf", &out);
	CHECK_STR(sb_str(&out), "configure\n");
	sb_free(&out);
	cli_session_free(s);
}

TEST(privilege_and_modes)
{
	struct cli_session *s = fresh();
	struct strbuf out = STRBUF_INIT;
	int caret;

	cli_session_set_priv(s, 1);
	CHECK_INT(run(s, "configure terminal", &out, &caret), CLI_ERR_INVALID);
	CHECK_INT(run(s, "show startup-config", &out, NULL), CLI_ERR_INVALID);
	CHECK_INT(run(s, "show version", &out, NULL), CLI_OK);
	CHECK_INT(run(s, "enable", &out, NULL), CLI_OK);
	CHECK_INT(cli_session_priv(s), 15);
	run(s, "conf t", &out, NULL);
	run(s, "interface Tunnel5", &out, NULL);
	CHECK_STR(cli_session_node(s), "config-if");
	/* a global command in a sub-mode runs in the parent and leaves it */
	CHECK_INT(run(s, "hostname R9", &out, NULL), CLI_OK);
	CHECK_STR(cli_session_node(s), "config");
	CHECK_STR(config_hostname(&cfg), "R9");
	run(s, "interface Tunnel5", &out, NULL);
	CHECK_INT(run(s, "do show running-config | include hostname", &out, NULL), CLI_OK);
	CHECK_STR(sb_str(&out), "hostname R9\n");
	CHECK_STR(cli_session_node(s), "config-if");
	struct strbuf p = STRBUF_INIT;
	cli_session_prompt(s, "R9", &p);
	CHECK_STR(sb_str(&p), "R9(config-if)#");
	run(s, "end", &out, NULL);
	sb_reset(&p);
	cli_session_prompt(s, "R9", &p);
	CHECK_STR(sb_str(&p), "R9#");
	run(s, "disable", &out, NULL);
	sb_reset(&p);
	cli_session_prompt(s, "R9", &p);
	CHECK_STR(sb_str(&p), "R9>");
	sb_free(&p);
	sb_free(&out);
	cli_session_free(s);
}

TEST(output_modifiers)
{
	struct cli_session *s = fresh();
	static const char *const lines[] = {
		"configure terminal", "hostname R1", "interface Tunnel1", "ip address 10.1.1.1 255.255.255.0",
		"interface Tunnel2", "ip address 10.2.2.2 255.255.255.0", "description second", "end", NULL,
	};
	struct strbuf out = STRBUF_INIT;

	apply_all(s, lines);
	run(s, "show running-config | include ^interface", &out, NULL);
	CHECK_STR(sb_str(&out), "interface Tunnel1\ninterface Tunnel2\n");
	run(s, "show running-config | section Tunnel2", &out, NULL);
	CHECK_STR(sb_str(&out), "interface Tunnel2\n description second\n ip address 10.2.2.2 255.255.255.0\n");
	run(s, "show running-config | count interface", &out, NULL);
	CHECK_STR(sb_str(&out), "Number of lines which match regexp = 2\n");
	run(s, "show running-config | begin Tunnel2", &out, NULL);
	CHECK(strncmp(sb_str(&out), "interface Tunnel2\n", 18) == 0);
	run(s, "show running-config | exclude !|^ |Current|Building|^$", &out, NULL);
	CHECK_STR(sb_str(&out), "hostname R1\ninterface Tunnel1\ninterface Tunnel2\nend\n");
	int caret;
	CHECK_INT(run(s, "show running-config | bogus x", &out, &caret), CLI_ERR_INVALID);
	CHECK_INT(caret, 22);
	CHECK_INT(run(s, "show running-config | include", &out, NULL), CLI_ERR_INCOMPLETE);
	sb_free(&out);
	cli_session_free(s);
}

TEST(multiline_banner)
{
	struct cli_session *s = fresh();
	struct strbuf out = STRBUF_INIT;

	run(s, "configure terminal", &out, NULL);
	CHECK_INT(run(s, "banner motd ^C", &out, NULL), CLI_MORE_INPUT);
	CHECK_INT(run(s, "Line one", &out, NULL), CLI_MORE_INPUT);
	CHECK_INT(run(s, "hostname evil", &out, NULL), CLI_MORE_INPUT); /* just text */
	CHECK_INT(run(s, "^C", &out, NULL), CLI_OK);
	CHECK_STR(cfg.sys.banner_motd, "\nLine one\nhostname evil\n");
	CHECK_STR(config_hostname(&cfg), "Router");
	char *b = body();
	CHECK(strstr(b, "banner motd ^C\nLine one\nhostname evil\n^C\n"));
	free(b);
	sb_free(&out);
	cli_session_free(s);
}

/* cli_arg() and the names a command defines. */
static struct {
	const char *fn, *name; /* what the handler asks for */
	const char *value;     /* what it got: NULL or value_buf */
	char value_buf[32];
	long num;
	int reports;
	bool strict;
	const char *reported;
} probe;

static int cmd_probe(struct cli_exec *x)
{
	const char *v = NULL;

	if (strcmp(probe.fn, "arg") == 0)
		v = cli_arg(x, probe.name);
	else if (strcmp(probe.fn, "opt") == 0)
		v = cli_opt(x, probe.name);
	else if (strcmp(probe.fn, "has") == 0)
		v = cli_has(x, probe.name) ? "yes" : NULL;
	else
		probe.num = cli_arg_long(x, probe.name, -1);
	/* the values live as long as the handler runs */
	if (v)
		snprintf(probe.value_buf, sizeof(probe.value_buf), "%s", v);
	probe.value = v ? probe.value_buf : NULL;
	return CLI_OK;
}

static void probe_report(const struct cli_exec *x, const char *name, bool strict)
{
	probe.reports++;
	probe.strict = strict;
	probe.reported = name;
}

static const struct cli_cmd probe_cmds[] = {
	{ "config", "argprobe one WORD$a [(1-9)$n]", "Probe\nFirst\nA\nN", cmd_probe, 0 },
	{ "config", "argprobe two WORD$b", "\nSecond\nB", cmd_probe, 0 },
};

static int run_probe(struct cli_session *s, const char *line, const char *fn, const char *name)
{
	struct strbuf out = STRBUF_INIT;

	probe.fn = fn;
	probe.name = name;
	probe.value = NULL;
	probe.num = 0;
	probe.reports = 0;
	probe.reported = NULL;
	CHECK_INT(run(s, line, &out, NULL), CLI_OK);
	sb_free(&out);
	return probe.reports;
}

TEST(cli_arg_refuses_names_the_command_does_not_define)
{
	struct cli_session *s = fresh();
	struct strbuf out = STRBUF_INIT;
	static bool installed;

	if (!installed)
		CLI_INSTALL(probe_cmds);
	installed = true;
	cli_set_undefined_arg_hook(probe_report);
	run(s, "configure terminal", &out, NULL);
	/* defined names: present, or an optional part not typed */
	CHECK_INT(run_probe(s, "argprobe one x", "arg", "a"), 0);
	CHECK_STR(probe.value, "x");
	CHECK_INT(run_probe(s, "argprobe one x", "arg", "n"), 0);
	CHECK(probe.value == NULL);
	CHECK_INT(run_probe(s, "argprobe one x 7", "arg", "n"), 0);
	CHECK_STR(probe.value, "7");
	/* a name of the other command bound to the handler: cli_arg refuses
	 * it (its value could never be there), cli_opt/cli_has/cli_arg_long
	 * may ask */
	CHECK_INT(run_probe(s, "argprobe one x", "arg", "b"), 1);
	CHECK(probe.strict);
	CHECK_STR(probe.reported, "b");
	CHECK(probe.value == NULL);
	CHECK_INT(run_probe(s, "argprobe one x", "opt", "b"), 0);
	CHECK(probe.value == NULL);
	CHECK_INT(run_probe(s, "argprobe two y", "opt", "b"), 0);
	CHECK_STR(probe.value, "y");
	CHECK_INT(run_probe(s, "argprobe two y", "has", "a"), 0);
	CHECK(probe.value == NULL);
	CHECK_INT(run_probe(s, "argprobe two y", "long", "n"), 0);
	CHECK_INT(probe.num, -1);
	/* a name no command of the handler defines: refused by all */
	CHECK_INT(run_probe(s, "argprobe one x", "opt", "typo"), 1);
	CHECK(!probe.strict);
	CHECK_INT(run_probe(s, "argprobe one x", "has", "typo"), 1);
	CHECK_INT(run_probe(s, "argprobe one x", "long", "typo"), 1);
	CHECK_INT(probe.num, -1);
	/* keywords are names too */
	CHECK_INT(run_probe(s, "argprobe two y", "arg", "two"), 0);
	CHECK_STR(probe.value, "two");
	cli_set_undefined_arg_hook(NULL);
	sb_free(&out);
	cli_session_free(s);
}

/* Pasted IOS boilerplate: accepted, one warning line, nothing configured,
 * never offered, and no visible abbreviation changes meaning. */
TEST(ios_boilerplate_is_ignored)
{
	struct cli_session *s = fresh();
	struct strbuf out = STRBUF_INIT;
	struct cli_result res;
	int caret;

	run(s, "configure terminal", &out, NULL);
	run(s, "interface GigabitEthernet8", &out, NULL);
	char *before = body();
	CHECK_INT(run(s, "duplex auto", &out, NULL), CLI_OK);
	CHECK_STR(sb_str(&out), "% Ignored: the OS sets the port's speed, duplex and media "
				"(ethtool); vpnsipd leaves them\n");
	CHECK_INT(run(s, "ip virtual-reassembly in", &out, NULL), CLI_OK);
	CHECK(strncmp(sb_str(&out), "% Ignored: ", 11) == 0);
	CHECK_INT(run(s, "speed 100", &out, NULL), CLI_OK);
	CHECK_INT(run(s, "switchport access vlan 101", &out, NULL), CLI_OK);
	CHECK(!strstr(sb_str(&out), "not built yet") && !strstr(sb_str(&out), "not planned"));
	CHECK_INT(run(s, "load-interval 30", &out, NULL), CLI_OK);
	CHECK_INT(run(s, "no shutdown", &out, NULL), CLI_OK); /* a real command */
	CHECK_STR(sb_str(&out), "");
	/* a global line leaves the interface, as IOS does */
	CHECK_INT(run(s, "no ip http server", &out, NULL), CLI_OK);
	CHECK_STR(cli_session_node(s), "config");
	char *after = body();
	CHECK_STR(after, before);
	free(before);
	free(after);
	/* hidden: not offered; abbreviations of visible commands keep their
	 * meaning ("l" is linux-device, not load-interval) */
	run(s, "interface GigabitEthernet8", &out, NULL);
	sb_reset(&out);
	cli_help(s, "", &out, &res);
	CHECK(!strstr(sb_str(&out), "duplex") && !strstr(sb_str(&out), "switchport"));
	CHECK_INT(run(s, "l wan0", &out, NULL), CLI_OK);
	char *b = body();
	CHECK(strstr(b, " linux-device wan0\n"));
	free(b);
	/* a hidden keyword is still abbreviated where nothing visible competes */
	CHECK_INT(run(s, "dup full", &out, NULL), CLI_OK);
	CHECK(strncmp(sb_str(&out), "% Ignored: ", 11) == 0);
	/* an unknown show ip command is invalid input, with its caret */
	run(s, "end", &out, NULL);
	CHECK_INT(run(s, "show ip bgp", &out, &caret), CLI_ERR_INVALID);
	CHECK_INT(caret, 8);
	CHECK_STR(sb_str(&out), "");
	sb_free(&out);
	cli_session_free(s);
}

/* Planned features shrink to nothing as they land: the engine's handling
 * is tested with entries of its own. */
static void test_planned_entries(void)
{
	static bool done;

	if (!done) {
		cli_planned("frobnicate", "Frobnication", CLI_PLANNED_GLOBAL | CLI_PLANNED_BLOCK);
		cli_planned("frob-line", "Frobnication", 0);
		done = true;
	}
}

TEST(planned_features_are_unsupported)
{
	struct cli_session *s = fresh();
	struct strbuf out = STRBUF_INIT;

	test_planned_entries();
	run(s, "configure terminal", &out, NULL);
	CHECK_INT(run(s, "frobnicate ACL1", &out, NULL), CLI_ERR_UNSUPPORTED);
	CHECK(strstr(sb_str(&out), "Frobnication"));
	CHECK_INT(run(s, "permit ip any any", &out, NULL), CLI_ERR_UNSUPPORTED);
	CHECK_INT(run(s, "hostname R2", &out, NULL), CLI_OK);
	CHECK_INT(run(s, "permit ip any any", &out, NULL), CLI_ERR_INVALID);
	sb_free(&out);
	cli_session_free(s);
}

TEST(enable_secret_hashing)
{
	struct cli_session *s = fresh();
	struct strbuf out = STRBUF_INIT;

	run(s, "configure terminal", &out, NULL);
	CHECK_INT(run(s, "enable secret Cisco123", &out, NULL), CLI_OK);
	CHECK(strncmp(cfg.sys.enable_secret, "9 $9$", 5) == 0);
	CHECK(!strstr(cfg.sys.enable_secret, "Cisco123"));
	CHECK(secret_verify(cfg.sys.enable_secret, "Cisco123"));
	CHECK(!secret_verify(cfg.sys.enable_secret, "cisco123"));
	/* an md5crypt (IOS type 5) hash of "cisco" */
	CHECK_INT(run(s, "enable secret 5 $1$mERr$hx5rVt7rPNoS4wqbXKX7m0", &out, NULL), CLI_OK);
	CHECK(secret_verify(cfg.sys.enable_secret, "cisco"));
	CHECK_INT(run(s, "enable secret 5 nothash", &out, NULL), CLI_ERR_FAILED);
	/* the secret never shows in the loggable form of the line */
	char *lg = cli_loggable_line(s, "enable secret TopSecret");
	CHECK(!strstr(lg, "TopSecret"));
	free(lg);
	lg = cli_loggable_line(s, "enable secrt TopSecret");
	CHECK(!strstr(lg, "TopSecret"));
	free(lg);
	run(s, "end", &out, NULL);
	cli_session_set_priv(s, 1);
	CHECK_INT(run(s, "enable", &out, NULL), CLI_MORE_INPUT);
	CHECK_INT(run(s, "wrong", &out, NULL), CLI_MORE_INPUT);
	CHECK_INT(run(s, "cisco", &out, NULL), CLI_OK);
	CHECK_INT(cli_session_priv(s), 15);
	sb_free(&out);
	cli_session_free(s);
}

TEST(type7_vectors)
{
	/* The well-known example: "cisco" with seed 2 is 02050D480809 */
	char *e = secret_type7_encode("cisco", 2);
	CHECK_STR(e, "02050D480809");
	char *d = secret_type7_decode("02050D480809");
	CHECK_STR(d, "cisco");
	free(e);
	free(d);
	CHECK(secret_type7_decode("9") == NULL);
	CHECK(secret_type7_decode("99AA") == NULL);
	CHECK(secret_type7_decode("02ZZ") == NULL);
}

TEST(planned_blocks_and_global_lines)
{
	struct cli_session *s = fresh();
	struct strbuf out = STRBUF_INIT;

	test_planned_entries();
	run(s, "configure terminal", &out, NULL);
	run(s, "interface GigabitEthernet8", &out, NULL);
	/* a global block opened from interface mode leaves interface mode: its
	 * lines must not configure the interface */
	CHECK_INT(run(s, "frobnicate X", &out, NULL), CLI_ERR_UNSUPPORTED);
	CHECK_STR(cli_session_node(s), "config");
	CHECK_INT(run(s, " description inside the profile", &out, NULL), CLI_ERR_UNSUPPORTED);
	CHECK_INT(run(s, " shutdown", &out, NULL), CLI_ERR_UNSUPPORTED);
	struct iface_cfg *ifc = iface_find(&cfg.ifaces, "GigabitEthernet8");
	CHECK(ifc && !ifc->description && !ifc->shutdown);
	/* an interface line of a planned feature opens no block */
	run(s, "interface GigabitEthernet8", &out, NULL);
	CHECK_INT(run(s, "frob-line P", &out, NULL), CLI_ERR_UNSUPPORTED);
	CHECK_STR(cli_session_node(s), "config-if");
	CHECK_INT(run(s, "hostnme typo", &out, NULL), CLI_ERR_INVALID);
	/* a line that is not a planned block's is invalid; "frobnicate P"
	 * opens a block whose lines follow */
	CHECK_INT(run(s, "permit C", &out, NULL), CLI_ERR_INVALID);
	CHECK_INT(run(s, "frobnicate P", &out, NULL), CLI_ERR_UNSUPPORTED);
	CHECK_INT(run(s, "permit C", &out, NULL), CLI_ERR_UNSUPPORTED);
	sb_free(&out);
	cli_session_free(s);
}

TEST(startup_file_is_never_written_while_checked)
{
	struct cli_session *s = fresh();
	struct strbuf out = STRBUF_INIT;

	run(s, "configure terminal", &out, NULL);
	CHECK_INT(run(s, "do erase startup-config", &out, NULL), CLI_ERR_FAILED);
	CHECK_INT(run(s, "do write memory", &out, NULL), CLI_ERR_FAILED);
	CHECK(strstr(sb_str(&out), "Not allowed while the startup configuration"));
	sb_free(&out);
	cli_session_free(s);
}

/* Below privilege 15 (the read-only group), show running-config hides
 * every secret: hashes and encrypted forms too. */
TEST(read_only_sessions_see_no_secret)
{
	struct cli_session *s = fresh();
	struct strbuf out = STRBUF_INIT;

	run(s, "configure terminal", &out, NULL);
	run(s, "service password-encryption", &out, NULL);
	run(s, "enable secret Hidden-Sec1", &out, NULL);
	run(s, "enable password Hidden-Pw2", &out, NULL);
	run(s, "vpn-sip sip-credentials username 0311 password Hidden-Sip3", &out, NULL);
	run(s, "crypto ikev2 keyring K", &out, NULL);
	run(s, " peer P", &out, NULL);
	run(s, "  address 192.0.2.1", &out, NULL);
	run(s, "  pre-shared-key Hidden-Psk4-long-enough", &out, NULL);
	run(s, "end", &out, NULL);
	char *full = run_out(s, "show running-config");
	CHECK(strstr(full, "enable secret 9 $9$"));
	CHECK(strstr(full, "enable password 7 "));
	cli_session_set_priv(s, 1);
	CHECK_INT(run(s, "show running-config", &out, NULL), CLI_OK);
	const char *masked = sb_str(&out);
	CHECK(strstr(masked, "enable secret 9 <removed>\n"));
	CHECK(strstr(masked, "enable password <removed>\n"));
	CHECK(strstr(masked, "vpn-sip sip-credentials username 0311 password <removed>\n"));
	CHECK(strstr(masked, "pre-shared-key <removed>\n"));
	CHECK(!strstr(masked, "$9$") && !strstr(masked, "password 7") && !strstr(masked, "Hidden"));
	/* the same number of lines: only the secrets differ */
	size_t nl_full = 0, nl_masked = 0;
	for (const char *p = full; *p; p++)
		nl_full += *p == '\n';
	for (const char *p = masked; *p; p++)
		nl_masked += *p == '\n';
	CHECK_INT(nl_full, nl_masked);
	free(full);
	sb_free(&out);
	cli_session_free(s);
}

TEST(one_spelling_per_interface)
{
	struct cli_session *s = fresh();
	struct strbuf out = STRBUF_INIT;

	run(s, "configure terminal", &out, NULL);
	run(s, "interface gi0/001", &out, NULL);
	CHECK_STR(cli_session_key(s, "config-if"), "GigabitEthernet0/1");
	run(s, "interface gi 0/1.010", &out, NULL);
	CHECK_STR(cli_session_key(s, "config-if"), "GigabitEthernet0/1.10");
	run(s, "interface Tunnel010", &out, NULL);
	CHECK_STR(cli_session_key(s, "config-if"), "Tunnel10");
	sb_free(&out);
	cli_session_free(s);
}

TEST(type7_passwords_must_survive_a_rewrite)
{
	struct cli_session *s = fresh();
	struct strbuf out = STRBUF_INIT;

	run(s, "configure terminal", &out, NULL);
	CHECK_INT(run(s, "enable password 7 08", &out, NULL), CLI_ERR_FAILED);       /* empty */
	CHECK_INT(run(s, "enable password 7 08204E0E", &out, NULL), CLI_ERR_FAILED); /* "ab " */
	CHECK_INT(run(s, "enable password 7 02050D480809", &out, NULL), CLI_OK);     /* "cisco" */
	CHECK_STR(cfg.sys.enable_password, "cisco");
	sb_free(&out);
	cli_session_free(s);
}

/* The trailing json keyword: one document that json-c reads back, from the
 * configuration model (check-only: no daemon, no kernel state). */
TEST(json_keyword)
{
	struct cli_session *s = fresh();
	static const char *const lines[] = {
		"configure terminal", "ip sla 9", "icmp-echo 192.0.2.1", "exit",
		"track 5 ip sla 9 reachability", "delay up 4", "exit",
		"track 6 interface Tunnel1 line-protocol", "end", NULL,
	};
	struct strbuf out = STRBUF_INIT;
	struct json_object *doc, *list, *o, *v;

	apply_all(s, lines);
	CHECK_INT(run(s, "show track json", &out, NULL), CLI_OK);
	doc = json_tokener_parse(sb_str(&out));
	CHECK(doc && json_object_object_get_ex(doc, "tracks", &list));
	CHECK_INT(json_object_array_length(list), 2);
	o = json_object_array_get_idx(list, 0);
	CHECK(json_object_object_get_ex(o, "id", &v) && json_object_get_int(v) == 5);
	CHECK(json_object_object_get_ex(o, "parameter", &v));
	CHECK_STR(json_object_get_string(v), "reachability");
	CHECK(json_object_object_get_ex(o, "delayUpSeconds", &v) && json_object_get_int(v) == 4);
	/* JSON null, not a missing key, for what does not apply */
	CHECK(json_object_object_get_ex(o, "interface", &v) && v == NULL);
	o = json_object_array_get_idx(list, 1);
	CHECK(json_object_object_get_ex(o, "interface", &v));
	CHECK_STR(json_object_get_string(v), "Tunnel1");
	json_object_put(doc);
	/* Slashes stay as typed; the output ends in one newline. */
	CHECK(strstr(sb_str(&out), "\\/") == NULL);
	CHECK(strlen(sb_str(&out)) > 2 &&
	      strcmp(sb_str(&out) + strlen(sb_str(&out)) - 2, "}\n") == 0);
	CHECK_INT(run(s, "show ip sla statistics 9 json", &out, NULL), CLI_OK);
	doc = json_tokener_parse(sb_str(&out));
	CHECK(doc && json_object_object_get_ex(doc, "operations", &list));
	CHECK_INT(json_object_array_length(list), 1);
	o = json_object_array_get_idx(list, 0);
	CHECK(json_object_object_get_ex(o, "running", &v) && !json_object_get_boolean(v));
	json_object_put(doc);
	/* json is a keyword only at the end */
	CHECK_INT(run(s, "show json", &out, NULL), CLI_ERR_INVALID);
	CHECK_INT(run(s, "show track json 5", &out, NULL), CLI_ERR_INVALID);
	sb_free(&out);
	cli_session_free(s);
}

TEST(history_users_and_tech_support)
{
	struct cli_session *s = fresh(), *other = cli_session_new(&env, 1);
	struct strbuf out = STRBUF_INIT;

	cli_session_set_name(s, "vty7");
	cli_session_set_user(s, "alice", 4242, true);
	cli_session_set_name(other, "vty8");
	cli_session_set_user(other, "bob", 4343, false);
	CHECK_INT(run(s, "show users", &out, NULL), CLI_OK);
	CHECK(strstr(sb_str(&out), "*   vty7       alice              15  00:00:00  pid 4242\n"));
	CHECK(strstr(sb_str(&out), "    vty8       bob                 1  "));
	CHECK(strstr(sb_str(&out), "pid 4343\n"));
	cli_session_free(other);
	CHECK_INT(run(s, "show users", &out, NULL), CLI_OK);
	CHECK(!strstr(sb_str(&out), "bob"));

	/* the lines as typed, a secret's arguments masked, this one last */
	run(s, "show clok", &out, NULL);
	run(s, "configure terminal", &out, NULL);
	run(s, "enable secret Hidden-Sec1", &out, NULL);
	run(s, "vpn-sip sip-credentials username 0311 password Hidden-Sip3", &out, NULL);
	run(s, "crypto ikev2 keyring K", &out, NULL);
	run(s, " peer P", &out, NULL);
	run(s, "  address 192.0.2.1", &out, NULL);
	run(s, "  pre-shared-key Hidden-Psk4-long-enough", &out, NULL);
	run(s, "end", &out, NULL);
	CHECK_INT(run(s, "show history", &out, NULL), CLI_OK);
	/* the newest 10 */
	CHECK_STR(sb_str(&out), "  show clok\n  configure terminal\n  enable secret *****\n"
				"  vpn-sip sip-credentials username ***** password *****\n"
				"  crypto ikev2 keyring K\n  peer P\n  address 192.0.2.1\n"
				"  pre-shared-key *****\n  end\n  show history\n");
	CHECK_INT(run(s, "terminal history size 1", &out, NULL), CLI_OK);
	CHECK_INT(run(s, "show history", &out, NULL), CLI_OK);
	CHECK_STR(sb_str(&out), "  show history\n");
	CHECK_INT(run(s, "terminal history size 257", &out, NULL), CLI_ERR_INVALID);

	/* every show, under IOS's banners, and no secret in any form */
	CHECK_INT(run(s, "show tech-support", &out, NULL), CLI_OK);
	CHECK(strncmp(sb_str(&out), "------------------ show version ------------------\n\n", 52) == 0);
	CHECK(strstr(sb_str(&out), "\n\n\n------------------ show running-config ------------------\n"));
	CHECK(strstr(sb_str(&out), "pre-shared-key <removed>\n"));
	CHECK(!strstr(sb_str(&out), "Hidden") && !strstr(sb_str(&out), "$9$"));
	CHECK(!strstr(sb_str(&out), "% Not available"));
	CHECK(!strstr(sb_str(&out), "show tech-support")); /* not in the history either */
	cli_session_set_priv(s, 1);
	CHECK_INT(run(s, "show tech-support", &out, NULL), CLI_ERR_INVALID);
	sb_free(&out);
	cli_session_free(s);
}
