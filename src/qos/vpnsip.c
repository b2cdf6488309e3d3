/* The implicit bandwidth policy of VPN-SIP tunnels ("VPN-SIP-TunnelN-
 * Bandwidth"), the orchestrator's API for it, and a hidden test hook that
 * drives the API until sessions exist. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "qos/qos_int.h"

int qos_vpnsip_check(const struct config *cfg, const char *tunnel, const char *child_policy,
		     char *err, size_t errlen)
{
	const struct iface_cfg *ifc = iface_find(&cfg->ifaces, tunnel);
	const char *pol = qos_iface_output_policy(ifc);

	if (!ifc) {
		snprintf(err, errlen, "interface %s not configured", tunnel);
		return -1;
	}
	if (pol) {
		snprintf(err, errlen,
			 "%s has a statically configured service-policy output %s: the VPN-SIP "
			 "bandwidth policy cannot be applied; remove the static policy",
			 ifc->name, pol);
		return -1;
	}
	return qos_vpnsip_policy_usable(cfg, child_policy, err, errlen);
}

static struct qos_attachment *implicit_of(const char *tunnel)
{
	struct qos_attachment *a = qos_attachment_find(tunnel);

	return a && a->implicit ? a : NULL;
}

int qos_vpnsip_attach(const struct config *cfg, const char *tunnel, unsigned kbps,
		      const char *child_policy, const struct qos_esp_overhead *esp, char *err,
		      size_t errlen)
{
	const struct iface_cfg *ifc = iface_find(&cfg->ifaces, tunnel);
	struct qos_attachment *a;

	if (qos_vpnsip_check(cfg, tunnel, child_policy, err, errlen) < 0)
		return -1;
	if (!kbps) {
		snprintf(err, errlen, "no bandwidth negotiated");
		return -1;
	}
	a = qos_attachment_find(ifc->name);
	if (a && !a->implicit)
		qos_attachment_remove(a); /* a static policy removed meanwhile */
	a = implicit_of(ifc->name);
	if (!a)
		a = qos_attachment_new(ifc->name, true);
	free(a->dev);
	a->dev = iface_device(ifc) ? xstrdup(iface_device(ifc)) : NULL;
	free(a->policy);
	a->policy = child_policy ? xstrdup(child_policy) : NULL;
	a->kbps = kbps;
	a->corr = QOS_CORR_ONE; /* a new session: the feedback starts over */
	a->has_esp = esp != NULL;
	if (esp)
		a->esp = *esp;
	if (qos_attachment_apply(cfg, a, err, errlen) < 0) {
		qos_attachment_remove(a);
		return -1;
	}
	log_msg("QOS", SEV_INFO, "VPNSIP_POLICY",
		"%s: VPN-SIP-%s-Bandwidth attached: shape average %u kbps%s%s%s", ifc->name,
		ifc->name, kbps, esp ? " (outer rate)" : "", child_policy ? ", child " : "",
		child_policy ? child_policy : "");
	return 0;
}

int qos_vpnsip_update(const char *tunnel, unsigned kbps)
{
	struct qos_attachment *a = implicit_of(tunnel);

	if (!a || !kbps)
		return -1;
	a->kbps = kbps;
	if (qos_attachment_change_rate(a) < 0)
		return -1;
	log_msg("QOS", SEV_INFO, "VPNSIP_POLICY", "%s: VPN-SIP bandwidth changed to %u kbps",
		tunnel, kbps);
	return 0;
}

int qos_vpnsip_set_esp(const char *tunnel, const struct qos_esp_overhead *esp)
{
	struct qos_attachment *a = implicit_of(tunnel);

	if (!a)
		return -1;
	a->has_esp = esp != NULL;
	if (esp)
		a->esp = *esp;
	return qos_attachment_change_esp(a);
}

/* IANA "Transform Type 1/3" IDs: the block size (ESP pads to it, 4 at
 * least), IV and ICV lengths of each on the wire. */
bool qos_esp_from_transforms(unsigned enc_alg, unsigned enc_key_bits, unsigned int_alg,
			     struct qos_esp_overhead *out)
{
	static const struct {
		unsigned id, block, iv, icv; /* icv: AEAD only */
	} enc[] = {
		{ 3, 8, 8, 0 },    /* 3DES */
		{ 11, 4, 0, 0 },   /* NULL */
		{ 12, 16, 16, 0 }, /* AES-CBC */
		{ 13, 4, 8, 0 },   /* AES-CTR */
		{ 14, 4, 8, 8 },   /* AES-CCM-8 */
		{ 15, 4, 8, 12 },  /* AES-CCM-12 */
		{ 16, 4, 8, 16 },  /* AES-CCM-16 */
		{ 18, 4, 8, 8 },   /* AES-GCM-8 */
		{ 19, 4, 8, 12 },  /* AES-GCM-12 */
		{ 20, 4, 8, 16 },  /* AES-GCM-16 */
		{ 21, 4, 8, 16 },  /* NULL-AES-GMAC */
		{ 23, 16, 16, 0 }, /* CAMELLIA-CBC */
		{ 28, 4, 8, 16 },  /* CHACHA20-POLY1305 */
	};
	static const struct {
		unsigned id, icv;
	} integ[] = {
		{ 0, 0 },  { 1, 12 },  /* HMAC-MD5-96 */
		{ 2, 12 },             /* HMAC-SHA1-96 */
		{ 5, 12 },             /* AES-XCBC-96 */
		{ 8, 12 },             /* AES-CMAC-96 */
		{ 9, 16 }, { 10, 16 }, { 11, 16 }, /* AES-GMAC */
		{ 12, 16 },            /* HMAC-SHA2-256-128 */
		{ 13, 24 },            /* HMAC-SHA2-384-192 */
		{ 14, 32 },            /* HMAC-SHA2-512-256 */
	};
	size_t e, i;

	(void)enc_key_bits; /* the key length changes nothing on the wire */
	for (e = 0; e < ARRAY_SIZE(enc) && enc[e].id != enc_alg; e++)
		;
	for (i = 0; i < ARRAY_SIZE(integ) && integ[i].id != int_alg; i++)
		;
	if (e == ARRAY_SIZE(enc) || i == ARRAY_SIZE(integ))
		return false;
	*out = (struct qos_esp_overhead){
		.fixed_bytes = QOS_ESP_FIXED_UDP_ENCAP,
		.block_size = enc[e].block,
		.iv_len = enc[e].iv,
		.icv_len = enc[e].icv ? enc[e].icv : integ[i].icv,
	};
	return true;
}

void qos_vpnsip_sa_transforms(const char *tunnel, unsigned enc_alg, unsigned enc_key_bits,
			      unsigned int_alg)
{
	struct qos_attachment *a = implicit_of(tunnel);
	struct qos_esp_overhead esp;

	if (!a)
		return;
	if (!qos_esp_from_transforms(enc_alg, enc_key_bits, int_alg, &esp)) {
		log_msg("QOS", SEV_WARNING, "VPNSIP_ESP",
			"%s: unknown ESP transform (encryption %u, integrity %u): overhead "
			"accounting unchanged", tunnel, enc_alg, int_alg);
		return;
	}
	if (a->has_esp && memcmp(&a->esp, &esp, sizeof(esp)) == 0)
		return;
	if (qos_vpnsip_set_esp(tunnel, &esp) < 0) {
		log_msg("QOS", SEV_ERR, "VPNSIP_ESP", "%s: cannot change the ESP size table", tunnel);
		return;
	}
	log_msg("QOS", SEV_INFO, "VPNSIP_ESP",
		"%s: overhead accounting follows the SA: %u fixed, %u IV, block %u, ICV %u bytes",
		tunnel, esp.fixed_bytes, esp.iv_len, esp.block_size, esp.icv_len);
}

void qos_vpnsip_detach(const char *tunnel)
{
	struct qos_attachment *a = implicit_of(tunnel);
	const struct config *cfg;
	char *name;

	if (!a)
		return;
	cfg = a->cfg;
	name = xstrdup(a->ifname);
	qos_attachment_remove(a);
	log_msg("QOS", SEV_INFO, "VPNSIP_POLICY", "%s: VPN-SIP-%s-Bandwidth removed", name, name);
	/* a static policy configured meanwhile applies now */
	if (cfg && qos_kernel_active())
		qos_iface_reapply(cfg, name);
	free(name);
}

unsigned qos_vpnsip_kbps(const char *tunnel)
{
	const struct qos_attachment *a = implicit_of(tunnel);

	return a ? a->kbps : 0;
}

int qos_outer_dscp(const char *tunnel, const uint8_t *pkt, size_t len)
{
	const struct qos_attachment *a = implicit_of(tunnel);
	const struct qos_policy_map *p;

	if (!a)
		return -1;
	p = a->plan.leaf_policy;
	for (size_t i = 0; p && i < p->n; i++) {
		const struct qos_pclass *pc = p->c[i];
		bool dflt = strcmp(pc->name, QOS_CLASS_DEFAULT) == 0;
		if (dflt || qos_cmap_matches(qos_cmap_find(a->cfg, pc->name), a->cfg, pkt, len))
			return pc->set_dscp >= 0 ? pc->set_dscp : QOS_DSCP_CS4;
	}
	return QOS_DSCP_CS4;
}

/* ---- the test hook ------------------------------------------------------------------ */

static int cmd_test_attach(struct cli_exec *x)
{
	const char *ifname = cli_arg(x, "ifname");
	struct qos_esp_overhead esp;
	char err[512];

	if (cli_has(x, "esp"))
		esp = (struct qos_esp_overhead){
			.fixed_bytes = (unsigned)cli_arg_long(x, "fixed", 36),
			.block_size = (unsigned)cli_arg_long(x, "block", 16),
			.iv_len = (unsigned)cli_arg_long(x, "iv", 16),
			.icv_len = (unsigned)cli_arg_long(x, "icv", 12),
		};
	if (qos_vpnsip_attach(cfg_of(x), ifname, (unsigned)cli_arg_long(x, "kbps", 0),
			      cli_arg(x, "child"), cli_has(x, "esp") ? &esp : NULL, err,
			      sizeof(err)) < 0) {
		/* the line the orchestrator logs when a session fails here */
		log_msg("QOS", SEV_ERR, "VPNSIP_FAIL", "%s: VPN-SIP session fails: %s", ifname, err);
		return cli_error(x, "%s", err);
	}
	return CLI_OK;
}

static int cmd_test_update(struct cli_exec *x)
{
	if (qos_vpnsip_update(cli_arg(x, "ifname"), (unsigned)cli_arg_long(x, "kbps", 0)) < 0)
		return cli_error(x, "No VPN-SIP bandwidth policy on %s, or the change failed",
				 cli_arg(x, "ifname"));
	return CLI_OK;
}

static int cmd_test_esp(struct cli_exec *x)
{
	struct qos_esp_overhead esp = {
		.fixed_bytes = (unsigned)cli_arg_long(x, "fixed", 36),
		.block_size = (unsigned)cli_arg_long(x, "block", 16),
		.iv_len = (unsigned)cli_arg_long(x, "iv", 16),
		.icv_len = (unsigned)cli_arg_long(x, "icv", 12),
	};

	if (qos_vpnsip_set_esp(cli_arg(x, "ifname"), &esp) < 0)
		return cli_error(x, "No VPN-SIP bandwidth policy on %s, or the change failed",
				 cli_arg(x, "ifname"));
	return CLI_OK;
}

static int cmd_test_detach(struct cli_exec *x)
{
	if (!qos_vpnsip_kbps(cli_arg(x, "ifname")))
		return cli_error(x, "No VPN-SIP bandwidth policy on %s", cli_arg(x, "ifname"));
	qos_vpnsip_detach(cli_arg(x, "ifname"));
	return CLI_OK;
}

#define HOOK "Test hooks (hidden)\nQoS\nThe VPN-SIP bandwidth policy\n"

static const struct cli_cmd hook_cmds[] = {
	{ "exec",
	  "test qos vpn-sip attach IFNAME$ifname (1-10000000)$kbps [service-policy WORD$child] "
	  "[esp (0-255)$fixed (1-255)$block (0-64)$iv (0-64)$icv]",
	  HOOK "Attach it as a session would\nTunnel interface\nNegotiated bandwidth (kbps)\n"
	       "Child policy\nPolicy-map name\nAccount for ESP-in-UDP overhead\n"
	       "Fixed bytes (outer IP+UDP+ESP header)\nCipher block size\nIV length\n"
	       "ICV length",
	  cmd_test_attach, CLI_PRIV | CLI_HIDDEN },
	{ "exec", "test qos vpn-sip update IFNAME$ifname (1-10000000)$kbps",
	  HOOK "Change the negotiated bandwidth\nTunnel interface\nBandwidth (kbps)", cmd_test_update,
	  CLI_PRIV | CLI_HIDDEN },
	{ "exec", "test qos vpn-sip esp IFNAME$ifname (0-255)$fixed (1-255)$block (0-64)$iv (0-64)$icv",
	  HOOK "ESP parameters of a rekeyed SA\nTunnel interface\nFixed bytes (outer IP+UDP+ESP "
	       "header)\nCipher block size\nIV length\nICV length",
	  cmd_test_esp, CLI_PRIV | CLI_HIDDEN },
	{ "exec", "test qos vpn-sip detach IFNAME$ifname",
	  HOOK "Remove it as a session end would\nTunnel interface", cmd_test_detach,
	  CLI_PRIV | CLI_HIDDEN },
};

void qos_vpnsip_cli_init(void)
{
	CLI_INSTALL(hook_cmds);
}
