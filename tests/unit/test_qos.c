/* QoS without a kernel: the commands and their modes, running-config round
 * trips, refusals, the plan (rates per class), the ESP-in-UDP outer-length
 * arithmetic, the VPN-SIP API's checks and state, and the outer DSCP. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "config/config.h"
#include "daemon/feature.h"
#include "harness.h"
#include "qos/qos.h"
#include "qos/qos_int.h"

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

static enum cli_status run(struct cli_session *s, const char *line, struct strbuf *out)
{
	struct cli_result res;

	sb_reset(out);
	config_exec_line(&env, s, line, out, &res);
	return res.status;
}

static char *body(void)
{
	struct strbuf sb = STRBUF_INIT;

	cfg.last_change = 0;
	config_write(&cfg, &sb);
	return sb_steal(&sb);
}

static char *prompt(struct cli_session *s)
{
	struct strbuf sb = STRBUF_INIT;

	cli_session_prompt(s, "R1", &sb);
	return sb_steal(&sb);
}

static const char *const seed_lines[] = {
	"configure terminal",
	"class-map match-all UDP",
	"match protocol ip",
	"class-map match-any VOICE",
	"match dscp ef cs5",
	"match protocol icmp",
	"policy-map CBWFQ",
	"class UDP",
	"bandwidth percent 60",
	"queue-limit 12 packets",
	"policy-map LLQ",
	"class VOICE",
	"priority percent 30",
	"set dscp ef",
	"class class-default",
	"bandwidth remaining percent 50",
	"policy-map PARENT",
	"class class-default",
	"shape average 1000000",
	"service-policy CBWFQ",
	"interface Tunnel1",
	"qos pre-classify",
	"service-policy output PARENT",
	"end",
	NULL,
};

static const char expected_text[] = "class-map match-all UDP\n"
				    " match protocol ip\n"
				    "!\n"
				    "class-map match-any VOICE\n"
				    " match dscp ef cs5\n"
				    " match protocol icmp\n"
				    "!\n"
				    "policy-map CBWFQ\n"
				    " class UDP\n"
				    "  bandwidth percent 60\n"
				    "  queue-limit 12 packets\n"
				    "!\n"
				    "policy-map LLQ\n"
				    " class VOICE\n"
				    "  priority percent 30\n"
				    "  set dscp ef\n"
				    " class class-default\n"
				    "  bandwidth remaining percent 50\n"
				    "!\n"
				    "policy-map PARENT\n"
				    " class class-default\n"
				    "  shape average 1000000\n"
				    "   service-policy CBWFQ\n"
				    "!\n";

static void apply(struct cli_session *s, const char *const *lines)
{
	struct strbuf out = STRBUF_INIT;

	for (size_t i = 0; lines[i]; i++)
		if (run(s, lines[i], &out) != CLI_OK)
			harness_fail(__FILE__, __LINE__, "%s: %s", lines[i], sb_str(&out));
	sb_free(&out);
}

TEST(modes_and_prompts)
{
	struct cli_session *s = fresh();
	struct strbuf out = STRBUF_INIT;
	char *p;

	run(s, "configure terminal", &out);
	CHECK_INT(run(s, "class-map match-all UDP", &out), CLI_OK);
	CHECK_STR(p = prompt(s), "R1(config-cmap)#");
	free(p);
	CHECK_INT(run(s, "policy-map CBWFQ", &out), CLI_OK);
	CHECK_STR(p = prompt(s), "R1(config-pmap)#");
	free(p);
	CHECK_INT(run(s, "class UDP", &out), CLI_OK);
	CHECK_STR(p = prompt(s), "R1(config-pmap-c)#");
	free(p);
	/* a policy-map line leaves the class sub-mode, as in IOS */
	CHECK_INT(run(s, "class class-default", &out), CLI_OK);
	CHECK_STR(cli_session_node(s), "config-pmap-c");
	CHECK_INT(run(s, "exit", &out), CLI_OK);
	CHECK_STR(cli_session_node(s), "config-pmap");
	sb_free(&out);
	cli_session_free(s);
}

TEST(running_config_round_trip)
{
	struct cli_session *s = fresh();
	char *b1, *b2;

	apply(s, seed_lines);
	b1 = body();
	CHECK(strstr(b1, expected_text));
	CHECK(strstr(b1, "interface Tunnel1\n no ip address\n qos pre-classify\n"
		       " service-policy output PARENT\n!\n"));
	/* IOS order: class maps and policy maps before the interfaces */
	CHECK(strstr(b1, "class-map") < strstr(b1, "interface"));
	cli_session_free(s);

	/* the text itself loads back to the same text */
	s = fresh();
	struct strbuf out = STRBUF_INIT;
	run(s, "configure terminal", &out);
	for (char *line = strtok(b1, "\n"); line; line = strtok(NULL, "\n")) {
		if (line[0] == '!' || strcmp(line, "end") == 0)
			continue;
		if (run(s, line, &out) != CLI_OK)
			harness_fail(__FILE__, __LINE__, "%s: %s", line, sb_str(&out));
	}
	b2 = body();
	CHECK(strstr(b2, expected_text));
	free(b1);
	free(b2);
	sb_free(&out);
	cli_session_free(s);
}

TEST(no_forms)
{
	struct cli_session *s = fresh();
	struct strbuf out = STRBUF_INIT;
	char *b;

	apply(s, seed_lines);
	run(s, "configure terminal", &out);
	/* in use: refused, as IOS does */
	CHECK_INT(run(s, "no class-map UDP", &out), CLI_ERR_FAILED);
	CHECK(strstr(sb_str(&out), "Class-map UDP is being used by policy-map CBWFQ"));
	CHECK_INT(run(s, "no policy-map PARENT", &out), CLI_ERR_FAILED);
	CHECK(strstr(sb_str(&out), "interface Tunnel1"));
	CHECK_INT(run(s, "no policy-map CBWFQ", &out), CLI_ERR_FAILED);
	CHECK(strstr(sb_str(&out), "policy-map PARENT"));
	run(s, "interface Tunnel1", &out);
	CHECK_INT(run(s, "no service-policy output PARENT", &out), CLI_OK);
	CHECK_INT(run(s, "no qos pre-classify", &out), CLI_OK);
	CHECK_INT(run(s, "no policy-map PARENT", &out), CLI_OK);
	run(s, "policy-map LLQ", &out);
	run(s, "class VOICE", &out);
	CHECK_INT(run(s, "no set dscp", &out), CLI_OK);
	CHECK_INT(run(s, "no priority", &out), CLI_OK);
	run(s, "exit", &out);
	CHECK_INT(run(s, "no class class-default", &out), CLI_OK);
	run(s, "class-map match-any VOICE", &out);
	CHECK_INT(run(s, "no match dscp ef cs5", &out), CLI_OK);
	CHECK_INT(run(s, "no match dscp ef", &out), CLI_ERR_FAILED);
	run(s, "exit", &out);
	b = body();
	CHECK(strstr(b, "class-map match-any VOICE\n match protocol icmp\n!\n"));
	CHECK(strstr(b, "policy-map LLQ\n class VOICE\n!\n"));
	CHECK(!strstr(b, "PARENT"));
	CHECK(!strstr(b, "qos pre-classify"));
	CHECK(!strstr(b, "service-policy output"));
	free(b);
	sb_free(&out);
	cli_session_free(s);
}

TEST(bad_input)
{
	struct cli_session *s = fresh();
	struct strbuf out = STRBUF_INIT;

	apply(s, seed_lines);
	run(s, "configure terminal", &out);
	run(s, "class-map match-all X", &out);
	CHECK_INT(run(s, "match dscp ef bogus", &out), CLI_ERR_FAILED);
	CHECK(strstr(sb_str(&out), "Invalid DSCP value bogus"));
	CHECK_INT(run(s, "match dscp 64", &out), CLI_ERR_FAILED);
	CHECK_INT(run(s, "match protocol gre", &out), CLI_ERR_INVALID);
	CHECK_INT(run(s, "class-map class-default", &out), CLI_ERR_FAILED);
	run(s, "policy-map P", &out);
	CHECK_INT(run(s, "class NOSUCH", &out), CLI_ERR_FAILED);
	CHECK(strstr(sb_str(&out), "class-map NOSUCH not configured"));
	CHECK_INT(run(s, "class UDP", &out), CLI_OK);
	CHECK_INT(run(s, "bandwidth percent 80", &out), CLI_OK);
	CHECK_INT(run(s, "priority percent 10", &out), CLI_ERR_FAILED);
	CHECK(strstr(sb_str(&out), "priority and bandwidth"));
	CHECK_INT(run(s, "bandwidth percent 101", &out), CLI_ERR_INVALID);
	CHECK_INT(run(s, "queue-limit 0 packets", &out), CLI_ERR_INVALID);
	CHECK_INT(run(s, "set dscp nope", &out), CLI_ERR_FAILED);
	CHECK_INT(run(s, "service-policy NOSUCH", &out), CLI_ERR_FAILED);
	CHECK_INT(run(s, "service-policy P", &out), CLI_ERR_FAILED);
	CHECK_INT(run(s, "class VOICE", &out), CLI_OK);
	CHECK_INT(run(s, "bandwidth percent 30", &out), CLI_ERR_FAILED);
	CHECK(strstr(sb_str(&out), "exceed 100%"));
	CHECK_INT(run(s, "bandwidth percent 20", &out), CLI_OK);
	/* only two levels */
	CHECK_INT(run(s, "service-policy PARENT", &out), CLI_ERR_FAILED);
	run(s, "interface GigabitEthernet8", &out);
	CHECK_INT(run(s, "qos pre-classify", &out), CLI_ERR_FAILED);
	CHECK_INT(run(s, "service-policy output NOSUCH", &out), CLI_ERR_FAILED);
	CHECK(strstr(sb_str(&out), "policy map NOSUCH not configured"));
	CHECK_INT(run(s, "service-policy output CBWFQ", &out), CLI_OK);
	CHECK_INT(run(s, "service-policy output LLQ", &out), CLI_ERR_FAILED);
	CHECK(strstr(sb_str(&out), "already attached"));
	CHECK(!iface_find(&cfg.ifaces, "GigabitEthernet8") ||
	      strcmp(qos_iface_output_policy(iface_find(&cfg.ifaces, "GigabitEthernet8")), "CBWFQ") == 0);
	sb_free(&out);
	cli_session_free(s);
}

TEST(plan_rates)
{
	struct cli_session *s = fresh();
	struct qos_plan plan;
	char err[256];

	apply(s, seed_lines);
	/* the seed: bandwidth 60% of 1000 kbps is 600 kbps, the rest to
	 * class-default */
	CHECK(qos_plan_build(&cfg, qos_pmap_find(&cfg, "CBWFQ"), 1000000, &plan, err, sizeof(err)));
	CHECK_INT(plan.nleaves, 2);
	CHECK_STR(plan.leaves[0].name, "UDP");
	CHECK_INT(plan.leaves[0].rate_bps, 600000);
	CHECK_INT(plan.leaves[0].limit, 12);
	CHECK_STR(plan.leaves[1].name, "class-default");
	CHECK_INT(plan.leaves[1].rate_bps, 400000);
	CHECK_INT(plan.leaves[1].limit, 64);
	CHECK_INT(plan.leaves[1].ceil_bps, 1000000);
	qos_plan_free(&plan);
	/* priority 30%, then remaining 50% of the other 70% */
	CHECK(qos_plan_build(&cfg, qos_pmap_find(&cfg, "LLQ"), 512000, &plan, err, sizeof(err)));
	CHECK_INT(plan.nleaves, 2);
	CHECK_INT(plan.leaves[0].rate_bps, 153600);
	CHECK_INT(plan.leaves[0].prio, 0);
	CHECK_INT(plan.leaves[1].rate_bps, 179200);
	qos_plan_free(&plan);
	/* no child policy: one class-default at the full rate */
	CHECK(qos_plan_build(&cfg, NULL, 64000, &plan, err, sizeof(err)));
	CHECK_INT(plan.nleaves, 1);
	CHECK_INT(plan.leaves[0].rate_bps, 64000);
	qos_plan_free(&plan);
	cli_session_free(s);
}

TEST(esp_outer_length)
{
	/* AES-CBC-128 + HMAC-SHA1-96 in UDP: 36 + 16 IV + pad16(L+2) + 12 */
	struct qos_esp_overhead cbc = { QOS_ESP_FIXED_UDP_ENCAP, 16, 12, 16 };
	struct qos_esp_overhead gcm = { QOS_ESP_FIXED_UDP_ENCAP, 4, 16, 8 };

	CHECK_INT(qos_esp_outer_len(NULL, 84), 84);
	CHECK_INT(qos_esp_outer_len(&cbc, 84), 36 + 16 + 96 + 12);
	CHECK_INT(qos_esp_outer_len(&cbc, 94), 36 + 16 + 96 + 12);
	CHECK_INT(qos_esp_outer_len(&cbc, 95), 36 + 16 + 112 + 12);
	CHECK_INT(qos_esp_outer_len(&cbc, 1400), 36 + 16 + 1408 + 12);
	CHECK_INT(qos_esp_outer_len(&gcm, 84), 36 + 8 + 88 + 16);
	CHECK_INT(qos_esp_outer_len(&gcm, 1400), 36 + 8 + 1404 + 16);
	/* The shaper charges outer bytes: at b=AS 512 kbps, 84-byte pings leave
	 * at 512000 * 84 / 160 = 268800 bps of inner traffic. */
	CHECK_INT(512000ull * 84 / qos_esp_outer_len(&cbc, 84), 268800);
	/* The overhead never shrinks a packet and grows monotonically. */
	for (unsigned l = 1; l < 4096; l++)
		CHECK(qos_esp_outer_len(&cbc, l) >= qos_esp_outer_len(&cbc, l - 1) &&
		      qos_esp_outer_len(&cbc, l) > l);
}

TEST(esp_from_transforms)
{
	struct qos_esp_overhead e;

	/* AES-CBC-256 + HMAC-SHA2-256-128 (IANA 12, 12): the lab's transform-set */
	CHECK(qos_esp_from_transforms(12, 256, 12, &e));
	CHECK_INT(e.fixed_bytes, 36);
	CHECK_INT(e.block_size, 16);
	CHECK_INT(e.iv_len, 16);
	CHECK_INT(e.icv_len, 16);
	CHECK_INT(qos_esp_outer_len(&e, 84), 164); /* seen on the wire: length 164 */
	/* AES-CBC-128 + HMAC-SHA1-96: the default table */
	CHECK(qos_esp_from_transforms(12, 128, 2, &e));
	CHECK_INT(qos_esp_outer_len(&e, 84), 160);
	/* AES-GCM-16 (AEAD: no integrity transform) */
	CHECK(qos_esp_from_transforms(20, 256, 0, &e));
	CHECK_INT(e.block_size, 4);
	CHECK_INT(e.iv_len, 8);
	CHECK_INT(e.icv_len, 16);
	/* 3DES + HMAC-SHA2-512-256 */
	CHECK(qos_esp_from_transforms(3, 192, 14, &e));
	CHECK_INT(qos_esp_outer_len(&e, 84), 36 + 8 + 88 + 32);
	/* unknown transforms leave the table alone */
	CHECK(!qos_esp_from_transforms(99, 128, 2, &e));
	CHECK(!qos_esp_from_transforms(12, 128, 99, &e));
}

static bool used_vp(const struct config *c, const char *policy, void *arg)
{
	(void)c;
	return strcmp(policy, "VP") == 0;
}

static bool tunnel1_has_vpnsip(const struct config *c, const struct iface_cfg *ifc, void *arg)
{
	(void)c;
	return strcmp(ifc->name, "Tunnel1") == 0;
}

TEST(vpnsip_refusals)
{
	struct cli_session *s = fresh();
	struct strbuf out = STRBUF_INIT;
	char err[512];

	apply(s, seed_lines);
	hook_register(qos_vpnsip_tunnel, tunnel1_has_vpnsip, NULL, HOOK_PRIO_DEFAULT);
	hook_register(qos_vpnsip_policy, used_vp, NULL, HOOK_PRIO_DEFAULT);
	run(s, "configure terminal", &out);
	run(s, "policy-map VP", &out);
	run(s, "class UDP", &out);
	CHECK_INT(run(s, "bandwidth 600", &out), CLI_ERR_FAILED);
	CHECK(strstr(sb_str(&out), "varies depending on the negotiation with the peer"));
	CHECK_INT(run(s, "priority 100", &out), CLI_ERR_FAILED);
	CHECK_INT(run(s, "bandwidth percent 60", &out), CLI_OK);
	/* a policy not used by VPN-SIP takes kbps */
	run(s, "policy-map ABS", &out);
	run(s, "class UDP", &out);
	CHECK_INT(run(s, "bandwidth 600", &out), CLI_OK);
	/* a static policy on a VPN-SIP tunnel: accepted with a warning, and
	 * the session check fails */
	run(s, "interface Tunnel2", &out);
	run(s, "interface Tunnel1", &out);
	CHECK(strstr(sb_str(&out), "") != NULL);
	run(s, "end", &out);
	CHECK_INT(qos_vpnsip_check(&cfg, "Tunnel1", NULL, err, sizeof(err)), -1);
	CHECK(strstr(err, "statically configured service-policy output PARENT"));
	CHECK_INT(qos_vpnsip_check(&cfg, "Tunnel2", "ABS", err, sizeof(err)), -1);
	CHECK(strstr(err, "varies depending on the negotiation"));
	CHECK_INT(qos_vpnsip_check(&cfg, "Tunnel2", "NOSUCH", err, sizeof(err)), -1);
	CHECK_INT(qos_vpnsip_check(&cfg, "Tunnel9", NULL, err, sizeof(err)), -1);
	CHECK_INT(qos_vpnsip_check(&cfg, "Tunnel2", "VP", err, sizeof(err)), 0);
	CHECK_INT(qos_vpnsip_attach(&cfg, "Tunnel1", 1000, NULL, NULL, err, sizeof(err)), -1);
	hook_unregister(qos_vpnsip_tunnel, tunnel1_has_vpnsip, NULL);
	hook_unregister(qos_vpnsip_policy, used_vp, NULL);
	sb_free(&out);
	cli_session_free(s);
}

static const uint8_t icmp4[20] = { 0x45, 0x00, 0, 84, 0, 0, 0, 0, 64, 1 };
static const uint8_t udp4[20] = { 0x45, 0x00, 0, 84, 0, 0, 0, 0, 64, 17 };
static const uint8_t udp4_ef[20] = { 0x45, 46 << 2, 0, 84, 0, 0, 0, 0, 64, 17 };

TEST(implicit_policy_state_and_outer_dscp)
{
	struct cli_session *s = fresh();
	struct strbuf out = STRBUF_INIT;
	char err[512];

	apply(s, seed_lines);
	run(s, "configure terminal", &out);
	run(s, "interface Tunnel2", &out);
	run(s, "end", &out);
	CHECK_INT(qos_outer_dscp("Tunnel2", icmp4, sizeof(icmp4)), -1);
	CHECK_INT(qos_vpnsip_attach(&cfg, "Tunnel2", 0, "LLQ", NULL, err, sizeof(err)), -1);
	CHECK_INT(qos_vpnsip_attach(&cfg, "Tunnel2", 512, "LLQ", NULL, err, sizeof(err)), 0);
	CHECK_INT(qos_vpnsip_kbps("Tunnel2"), 512);
	/* VOICE (icmp or ef) sets ef; everything else gets the implicit cs4 */
	CHECK_INT(qos_outer_dscp("Tunnel2", icmp4, sizeof(icmp4)), 46);
	CHECK_INT(qos_outer_dscp("Tunnel2", udp4_ef, sizeof(udp4_ef)), 46);
	CHECK_INT(qos_outer_dscp("Tunnel2", udp4, sizeof(udp4)), 32);
	CHECK_INT(qos_outer_dscp("Tunnel2", udp4, 3), 32);
	/* the child is now used by VPN-SIP: absolute bandwidth is refused */
	run(s, "configure terminal", &out);
	run(s, "policy-map LLQ", &out);
	run(s, "class class-default", &out);
	CHECK_INT(run(s, "bandwidth 100", &out), CLI_ERR_FAILED);
	run(s, "end", &out);
	CHECK_INT(qos_vpnsip_update("Tunnel2", 1000), 0);
	CHECK_INT(qos_vpnsip_kbps("Tunnel2"), 1000);
	CHECK_INT(qos_vpnsip_update("Tunnel3", 1000), -1);
	/* show, with no kernel: the layout, zero counters */
	char *o;
	{
		struct strbuf sb = STRBUF_INIT;
		run(s, "show policy-map interface Tunnel2", &sb);
		o = sb_steal(&sb);
	}
	CHECK(strstr(o, " Tunnel2\n\n  Service-policy output: VPN-SIP-Tunnel2-Bandwidth\n\n"
			"    Class-map: class-default (match-any)\n      0 packets, 0 bytes\n"));
	CHECK(strstr(o, "      QoS Set\n        dscp cs4\n          Packets marked 0\n"
			"      shape (average) cir 1000000, bc 4000, be 4000\n"
			"      target shape rate 1000000\n\n      Service-policy : LLQ\n\n"
			"        Class-map: VOICE (match-any)\n"));
	CHECK(strstr(o, "          Priority: 30% (300 kbps)"));
	free(o);
	/* the implicit policy never appears in running-config */
	o = body();
	CHECK(!strstr(o, "VPN-SIP-Tunnel2"));
	CHECK(!strstr(o, "interface Tunnel2\n service-policy"));
	free(o);
	qos_vpnsip_detach("Tunnel2");
	CHECK_INT(qos_vpnsip_kbps("Tunnel2"), 0);
	CHECK_INT(qos_outer_dscp("Tunnel2", icmp4, sizeof(icmp4)), -1);
	sb_free(&out);
	cli_session_free(s);
}

TEST(show_class_map_and_policy_map)
{
	struct cli_session *s = fresh();
	struct strbuf out = STRBUF_INIT;

	apply(s, seed_lines);
	run(s, "show class-map UDP", &out);
	CHECK_STR(sb_str(&out), " Class Map match-all UDP (id 1)\n\n   Match protocol ip\n\n");
	run(s, "show policy-map CBWFQ", &out);
	CHECK_STR(sb_str(&out), "  Policy Map CBWFQ\n    Class UDP\n      bandwidth 60 (%)\n"
				"      queue-limit 12 packets\n\n");
	CHECK_INT(run(s, "show policy-map NOSUCH", &out), CLI_ERR_FAILED);
	CHECK_INT(run(s, "show class-map NOSUCH", &out), CLI_ERR_FAILED);
	sb_free(&out);
	cli_session_free(s);
}

/* The outer-rate feedback's arithmetic (feedback.c): rates in bit/s,
 * outer bytes the data plane sent over an interval. */
TEST(feedback_correction)
{
	const uint64_t T = 1000000; /* b=AS 1000 kbps */

	/* nothing to act on: not saturated, too few bytes, no interval */
	CHECK_INT(qos_feedback_next(QOS_CORR_ONE, T, 165000, 1000, false), QOS_CORR_ONE);
	CHECK_INT(qos_feedback_next(QOS_CORR_ONE, T, QOS_FB_MIN_BYTES - 1, 100, true),
		  QOS_CORR_ONE);
	CHECK_INT(qos_feedback_next(QOS_CORR_ONE, T, 165000, 0, true), QOS_CORR_ONE);
	/* 1.32 x b=AS (GSO, MSS 200): 70 % of the way to 99.7 % / 1.32 */
	CHECK_INT(qos_feedback_next(QOS_CORR_ONE, T, 165000, 1000, true), 8287);
	/* within [0.99, 1] x b=AS: kept */
	CHECK_INT(qos_feedback_next(8000, T, 124375, 1000, true), 8000);
	CHECK_INT(qos_feedback_next(8000, T, 125000, 1000, true), 8000);
	CHECK_INT(qos_feedback_next(8000, T, 123750, 1000, true), 8000);
	/* 0.9 x b=AS: 70 % of the way back up */
	CHECK_INT(qos_feedback_next(8000, T, 112500, 1000, true), 8604);
	/* below b=AS without a correction: nothing to raise */
	CHECK_INT(qos_feedback_next(QOS_CORR_ONE, T, 100000, 1000, true), QOS_CORR_ONE);
	/* close to one: one */
	CHECK_INT(qos_feedback_next(9950, T, 122500, 1000, true), QOS_CORR_ONE);
	/* clamped below */
	CHECK_INT(qos_feedback_next(4500, T, 375000, 1000, true), QOS_CORR_MIN);
	/* the interval scales: 64 kbps, 24000 bytes in 3 s is exactly b=AS */
	CHECK_INT(qos_feedback_next(9000, 64000, 24000, 3000, true), 9000);
	CHECK_INT(qos_feedback_next(9000, 64000, 24000, 2000, true), 6887);
	/* converges: the wire carries r x the shaped rate */
	for (int k = 0; k < 3; k++) {
		const double r[] = { 1.32, 1.08, 1.003 };
		unsigned c = QOS_CORR_ONE;
		double rate = 0;
		for (int i = 0; i < 8; i++) {
			rate = r[k] * (double)c / QOS_CORR_ONE * T;
			c = qos_feedback_next(c, T, (uint64_t)(rate / 8), 1000, true);
		}
		rate = r[k] * (double)c / QOS_CORR_ONE * T;
		CHECK(rate <= 1.0 * T && rate >= 0.99 * T);
	}
}

TEST(feedback_correction_in_show)
{
	struct cli_session *s = fresh();
	struct strbuf out = STRBUF_INIT;
	struct qos_esp_overhead esp = { 36, 16, 16, 16 };
	struct qos_attachment *a;
	char err[512];

	apply(s, seed_lines);
	run(s, "configure terminal", &out);
	run(s, "interface Tunnel2", &out);
	run(s, "end", &out);
	CHECK_INT(qos_vpnsip_attach(&cfg, "Tunnel2", 1000, "LLQ", &esp, err, sizeof(err)), 0);
	a = qos_attachment_find("Tunnel2");
	CHECK(a && a->corr == QOS_CORR_ONE && a->plan.root_bps == 1000000);
	run(s, "show policy-map interface Tunnel2", &out);
	CHECK(strstr(sb_str(&out), "      ESP/GSO correction: shaping at 100.0% of the target\n"));
	/* a correction scales the shaper; show keeps the targets */
	a->corr = 9412;
	CHECK_INT(qos_attachment_change_rate(a), 0);
	CHECK_INT(qos_attachment_shaped_bps(a), 941200);
	CHECK_INT(a->plan.root_bps, 941200);
	CHECK_INT(a->plan.leaves[0].rate_bps, 282360);
	run(s, "show policy-map interface Tunnel2", &out);
	CHECK(strstr(sb_str(&out), "shape (average) cir 1000000, bc 4000, be 4000\n"
				   "      target shape rate 1000000\n"));
	CHECK(strstr(sb_str(&out), "      ESP/GSO correction: shaping at 94.1% of the target\n"));
	CHECK(strstr(sb_str(&out), "Priority: 30% (300 kbps)"));
	/* a renegotiation keeps the correction, a new session starts over */
	CHECK_INT(qos_vpnsip_update("Tunnel2", 512), 0);
	CHECK_INT(a->plan.root_bps, 481894);
	CHECK_INT(qos_vpnsip_attach(&cfg, "Tunnel2", 1000, "LLQ", &esp, err, sizeof(err)), 0);
	a = qos_attachment_find("Tunnel2");
	CHECK_INT(a->corr, QOS_CORR_ONE);
	CHECK_INT(a->plan.root_bps, 1000000);
	qos_vpnsip_detach("Tunnel2");
	CHECK(!qos_attachment_find("Tunnel2"));
	sb_free(&out);
	cli_session_free(s);
}

/* IPv4 + UDP header: src 192.0.2.1, dst as given, ports 1000 -> dport. */
static void udp_packet(uint8_t *p, uint8_t dst_last, uint16_t dport, uint8_t tos)
{
	static const uint8_t head[28] = { 0x45, 0, 0, 28, 0, 0, 0, 0, 64, 17, 0, 0, 192, 0, 2, 1,
					  198, 51, 100, 0, 0x03, 0xe8, 0, 0, 0, 8, 0, 0 };
	memcpy(p, head, sizeof(head));
	p[1] = tos;
	p[19] = dst_last;
	p[22] = (uint8_t)(dport >> 8);
	p[23] = (uint8_t)dport;
}

static const char *const acl_lines[] = {
	"configure terminal",
	"ip access-list extended BULK",
	"remark the backup server is not bulk",
	"deny udp any host 198.51.100.9 eq 5001",
	"permit udp any 198.51.100.0 0.0.0.255 range 5000 5009",
	"exit",
	"access-list 10 permit 192.0.2.0 0.0.0.255",
	"class-map match-all BULK",
	"match access-group name BULK",
	"match dscp af11",
	"class-map match-any SRC",
	"match access-group 10",
	"match protocol icmp",
	"policy-map ACLS",
	"class BULK",
	"bandwidth percent 20",
	"class SRC",
	"bandwidth percent 30",
	"end",
	NULL,
};

/* Access-list classes: the nftables classifier (first match, deny leaves
 * the class, AND with the other matches, OR for match-any) and the
 * user-space twin for the outer DSCP agree on the same packets. */
TEST(access_group_classes)
{
	struct cli_session *s = fresh();
	struct qos_plan plan;
	struct strbuf t = STRBUF_INIT;
	char err[256];
	uint8_t p[28];

	apply(s, acl_lines);
	CHECK(qos_plan_build(&cfg, qos_pmap_find(&cfg, "ACLS"), 1000000, &plan, err, sizeof(err)));
	CHECK(qos_plan_uses_acl(&cfg, &plan));
	struct qos_classify_dev d = { "eth9", &plan };
	qos_classify_nft_text(&cfg, &d, 1, &t);
	const char *x = sb_str(&t);
	if (getenv("QOS_SHOW_NFT"))
		fputs(x, stderr);
	CHECK(strstr(x, "table inet vpnsip_qos {}\ndelete table inet vpnsip_qos\n"));
	CHECK(strstr(x, "\t\toifname \"eth9\" jump d0\n"));
	/* match-all: the DSCP test, then the list; IPv4 only */
	CHECK(strstr(x, "\tchain d0 {\n\t\tmeta nfproto ipv4 ip dscp { 10 } jump d0_c0_a0\n"));
	CHECK(strstr(x, "\tchain d0_c0_a0 {\n"
			"\t\tip daddr 198.51.100.9 meta l4proto 17 udp dport 5001 return\n"
			"\t\tip daddr 198.51.100.0/24 meta l4proto 17 udp dport 5000-5009 "
			"meta priority set 1:10 accept\n\t}\n"));
	/* match-any: the list, or ICMP */
	CHECK(strstr(x, "\t\tmeta nfproto ipv4 jump d0_c1_m0_a0\n"
			"\t\tmeta nfproto ipv4 meta l4proto 1 meta priority set 1:11 accept\n"
			"\t\tmeta nfproto ipv6 meta l4proto 58 meta priority set 1:11 accept\n"));
	CHECK(strstr(x, "\tchain d0_c1_m0_a0 {\n\t\tip saddr 192.0.2.0/24 meta priority set 1:11 accept\n"));
	CHECK(!strstr(x, "remark"));
	qos_plan_free(&plan);

	/* the outer DSCP: BULK sets nothing (cs4), SRC sets af21 */
	struct strbuf out = STRBUF_INIT;
	run(s, "configure terminal", &out);
	run(s, "policy-map ACLS", &out);
	run(s, "class SRC", &out);
	run(s, "set dscp af21", &out);
	run(s, "class BULK", &out);
	run(s, "set dscp af11", &out);
	run(s, "interface Tunnel4", &out);
	run(s, "end", &out);
	CHECK_INT(qos_vpnsip_attach(&cfg, "Tunnel4", 512, "ACLS", NULL, err, sizeof(err)), 0);
	udp_packet(p, 5, 5003, 10 << 2); /* BULK: permitted, af11 */
	CHECK_INT(qos_outer_dscp("Tunnel4", p, sizeof(p)), 10);
	udp_packet(p, 5, 5003, 0); /* not af11: not BULK; from 192.0.2.1: SRC */
	CHECK_INT(qos_outer_dscp("Tunnel4", p, sizeof(p)), 18);
	udp_packet(p, 9, 5001, 10 << 2); /* the deny entry: SRC, not BULK */
	CHECK_INT(qos_outer_dscp("Tunnel4", p, sizeof(p)), 18);
	p[15] = 7; /* from 192.0.7.1 ... */
	p[14] = 0;
	CHECK_INT(qos_outer_dscp("Tunnel4", p, sizeof(p)), 32); /* ... nothing: cs4 */
	qos_vpnsip_detach("Tunnel4");
	sb_free(&out);
	sb_free(&t);
	cli_session_free(s);
}

/* An access list that is not configured matches nothing. */
TEST(access_group_undefined)
{
	struct cli_session *s = fresh();
	struct qos_plan plan;
	struct strbuf t = STRBUF_INIT;
	char err[256];
	static const char *const lines[] = { "configure terminal", "class-map NOLIST",
					      "match access-group 150", "policy-map P", "class NOLIST",
					      "bandwidth percent 10", "end", NULL };

	apply(s, lines);
	CHECK(qos_plan_build(&cfg, qos_pmap_find(&cfg, "P"), 1000000, &plan, err, sizeof(err)));
	struct qos_classify_dev d = { "eth9", &plan };
	qos_classify_nft_text(&cfg, &d, 1, &t);
	CHECK(strstr(sb_str(&t), "\tchain d0 {\n\t}\n"));
	qos_plan_free(&plan);
	sb_free(&t);
	cli_session_free(s);
}
