/* daemon/feature.c: the table starts and stops the features in the order
 * vpnsipd has always used (tests grep the start failure lines, and the
 * shutdown order is what lets IKE deletes and BYEs out), and its rows are
 * well formed. */
#include <string.h>

#include "cli/cli.h"
#include "config/config.h"
#include "daemon/feature.h"
#include "harness.h"
#include "util/strbuf.h"

TEST(start_order)
{
	struct strbuf sb = STRBUF_INIT;

	feature_order(false, &sb);
	CHECK_STR(sb_str(&sb), "interfaces\n"
			       "data plane\n"
			       "ikev2\n"
			       "vpn-sip call history\n"
			       "kernel links\n"
			       "track\n"
			       "ip sla\n"
			       "ip route\n"
			       "ip nat\n"
			       "dhcp client\n"
			       "qos\n"
			       "vpn-sip\n");
	sb_free(&sb);
}

TEST(stop_order)
{
	struct strbuf sb = STRBUF_INIT;

	feature_order(true, &sb);
	CHECK_STR(sb_str(&sb), "vpn-sip\n"
			       "ikev2\n"
			       "dhcp client\n"
			       "ip nat\n"
			       "ip route\n"
			       "ip sla\n"
			       "track\n"
			       "kernel links\n"
			       "snmp-server\n"
			       "vpn-sip call history\n"
			       "qos\n"
			       "interfaces\n"
			       "data plane\n");
	sb_free(&sb);
}

static const struct feature *find(const struct feature *t, size_t n, const char *name)
{
	for (size_t i = 0; i < n; i++)
		if (strcmp(t[i].name, name) == 0)
			return &t[i];
	return NULL;
}

TEST(rows)
{
	size_t n;
	const struct feature *t = feature_table(&n);

	CHECK(n > 0);
	/* generated from every registered debug flag: last */
	CHECK_STR(t[n - 1].name, "debug");
	for (size_t i = 0; i < n; i++) {
		const struct feature *f = &t[i];
		CHECK(find(t, n, f->name) == f); /* names are unique */
		for (size_t j = 0; j < i; j++) {
			if (f->start && t[j].start)
				CHECK(f->order != t[j].order);
			if (f->stop && t[j].stop)
				CHECK(f->stop_order != t[j].stop_order);
		}
		if (f->fail_tag)
			CHECK(f->start && f->fail_text);
		if (f->needs) {
			const struct feature *dep = find(t, n, f->needs);
			CHECK(dep && dep->start && dep->phase <= f->phase && dep->order < f->order);
		}
	}
	/* the SIP user agent registers with the boot configuration */
	CHECK_INT(find(t, n, "vpn-sip")->phase, FEATURE_AFTER_LOAD);
}

/* A feature's model column is the part of struct config its commands fill:
 * one line of each feature with a model, then each model is there, and
 * freeing the configuration frees them (LeakSanitizer in the ASan build). */
TEST(models_are_the_ones_the_commands_fill)
{
	static const struct {
		const char *feature;
		const char *const lines[4];
	} fill[] = {
		{ "archive", { "archive", "path /tmp/vpnsip-unit-archive", "exit" } },
		{ "vpn-sip", { "vpn-sip logging" } },
		{ "crypto", { "crypto ikev2 keyring K", "exit" } },
		{ "ip sla", { "ip sla 1", "icmp-echo 192.0.2.1", "exit" } },
		{ "track", { "track 1 ip sla 1 reachability", "exit" } },
		{ "ip route", { "ip route 198.51.100.0 255.255.255.0 192.0.2.1" } },
		{ "access-list", { "access-list 1 permit any" } },
		{ "ip nat", { "ip nat inside source static 192.0.2.5 198.51.100.5" } },
		{ "qos", { "class-map match-any C", "exit" } },
		{ "snmp-server", { "snmp-server enable traps vpn-sip" } },
	};
	size_t n, with_model = 0;
	const struct feature *t = feature_table(&n);
	struct config cfg;
	struct config_env env = { .cfg = &cfg, .startup_path = "/nonexistent" };
	struct strbuf out = STRBUF_INIT;
	struct cli_result res;

	feature_cli_init_all();
	config_init(&cfg);
	struct cli_session *s = cli_session_new(&env, 15);
	config_exec_line(&env, s, "configure terminal", &out, &res);
	for (size_t i = 0; i < sizeof(fill) / sizeof(fill[0]); i++) {
		const struct feature *f = find(t, n, fill[i].feature);

		CHECK(f && f->model);
		CHECK(!config_ext_get(&cfg, f->model));
		for (const char *const *l = fill[i].lines; *l; l++) {
			sb_reset(&out);
			config_exec_line(&env, s, *l, &out, &res);
			CHECK_STR(sb_str(&out), "");
			CHECK_INT(res.status, CLI_OK);
		}
		CHECK(config_ext_get(&cfg, f->model) != NULL);
	}
	for (size_t i = 0; i < n; i++)
		with_model += t[i].model != NULL;
	CHECK_INT(with_model, sizeof(fill) / sizeof(fill[0]));
	cli_session_free(s);
	sb_free(&out);
	config_free(&cfg);
}
