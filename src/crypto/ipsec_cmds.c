/* IPsec configuration: transform sets, IPsec profiles, the global SA
 * options and "crypto ipsec df-bit" (global and per tunnel interface). */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/crypto_int.h"


#define TS_NODE "cfg-crypto-trans"
#define IPP_NODE "ipsec-profile"
#define IPSEC_MAX_TSETS 6

static int done(struct cli_exec *x)
{
	crypto_changed(cfg_of(x));
	return CLI_OK;
}

/* ---- transform sets ---------------------------------------------------------------- */

static const struct ipsec_transform_set default_tset = {
	.name = (char *)"default",
	.cipher = ESP_CIPHER_AES,
	.keysize = 128,
	.integ = ESP_INTEG_SHA1,
	.mode = IPSEC_MODE_TUNNEL,
};

size_t crypto_ipsec_transform_sets(const struct config *cfg, const struct ipsec_profile *p,
				   const struct ipsec_transform_set **out, size_t max)
{
	size_t n = 0;

	for (size_t i = 0; p && i < p->ntransform_sets && n < max; i++) {
		const struct ipsec_transform_set *t =
			crypto_transform_set_find(cfg, p->transform_sets[i]);
		if (t)
			out[n++] = t;
	}
	if (!n && max)
		out[n++] = &default_tset;
	return n;
}

static enum esp_integ parse_integ(const char *w)
{
	if (!w)
		return ESP_INTEG_NONE;
	if (strcmp(w, "esp-sha-hmac") == 0)
		return ESP_INTEG_SHA1;
	if (strcmp(w, "esp-sha256-hmac") == 0)
		return ESP_INTEG_SHA256;
	if (strcmp(w, "esp-sha384-hmac") == 0)
		return ESP_INTEG_SHA384;
	if (strcmp(w, "esp-sha512-hmac") == 0)
		return ESP_INTEG_SHA512;
	return ESP_INTEG_MD5;
}

static int cmd_transform_set(struct cli_exec *x)
{
	struct crypto_cfg *c = crypto_model_x(x);
	const char *name = cli_arg(x, "name");
	struct ipsec_transform_set *t = nl_get(&c->tsets, name), n = { 0 };

	if (x->is_no) {
		if (!t)
			return cli_error(x, "Transform set %s does not exist", name);
		crypto_free_object("tset", nl_del(&c->tsets, name));
		return done(x);
	}
	const char *enc = cli_arg(x, "enc");
	n.integ = parse_integ(cli_arg(x, "integ"));
	if (!enc)
		n.cipher = ESP_CIPHER_NONE;
	else if (strcmp(enc, "esp-aes") == 0)
		n.cipher = ESP_CIPHER_AES;
	else if (strcmp(enc, "esp-gcm") == 0)
		n.cipher = ESP_CIPHER_GCM;
	else if (strcmp(enc, "esp-gmac") == 0)
		n.cipher = ESP_CIPHER_GMAC;
	else if (strcmp(enc, "esp-3des") == 0)
		n.cipher = ESP_CIPHER_3DES;
	else if (strcmp(enc, "esp-des") == 0)
		n.cipher = ESP_CIPHER_DES;
	else
		n.cipher = ESP_CIPHER_NULL;
	if (n.cipher == ESP_CIPHER_AES || n.cipher == ESP_CIPHER_GCM || n.cipher == ESP_CIPHER_GMAC)
		n.keysize = (unsigned)strtoul(cli_arg(x, "bits") ? cli_arg(x, "bits")
						 : n.cipher == ESP_CIPHER_AES ? "128" : "256",
					 NULL, 10);
	if ((n.cipher == ESP_CIPHER_GCM || n.cipher == ESP_CIPHER_GMAC) && n.integ != ESP_INTEG_NONE)
		return cli_error(x, "%s is a combined-mode transform: no integrity transform with it",
				 enc);
	if (n.cipher == ESP_CIPHER_NULL && n.integ == ESP_INTEG_NONE)
		return cli_error(x, "esp-null needs an integrity transform");
	if (!t) {
		t = xcalloc(1, sizeof(*t));
		t->name = xstrdup(name);
		nl_add(&c->tsets, name, t);
	}
	n.name = t->name;
	n.mode = t->mode;
	*t = n;
	cli_enter(x, TS_NODE, name);
	return done(x);
}

static int cmd_ts_mode(struct cli_exec *x)
{
	const char *name = cli_key(x, TS_NODE);
	struct ipsec_transform_set *t = nl_get(&crypto_model_x(x)->tsets, name);

	if (!t)
		return cli_error(x, "Transform set %s no longer exists", name ? name : "?");
	t->mode = !x->is_no && strcmp(cli_arg(x, "tmode"), "transport") == 0 ? IPSEC_MODE_TRANSPORT
									    : IPSEC_MODE_TUNNEL;
	return done(x);
}

/* ---- IPsec profiles ----------------------------------------------------------------- */

static int cmd_ipsec_profile(struct cli_exec *x)
{
	struct crypto_cfg *c = crypto_model_x(x);
	const char *name = cli_arg(x, "name");
	struct ipsec_profile *p = nl_get(&c->ipsec_profiles, name);

	if (x->is_no) {
		if (!p)
			return cli_error(x, "IPsec profile %s does not exist", name);
		crypto_free_object("ipsec-profile", nl_del(&c->ipsec_profiles, name));
		return done(x);
	}
	if (!p) {
		p = xcalloc(1, sizeof(*p));
		p->name = xstrdup(name);
		nl_add(&c->ipsec_profiles, name, p);
		crypto_changed(cfg_of(x));
	}
	cli_enter(x, IPP_NODE, name);
	return CLI_OK;
}

static struct ipsec_profile *cur_ipp(struct cli_exec *x)
{
	const char *name = cli_key(x, IPP_NODE);
	struct ipsec_profile *p = nl_get(&crypto_model_x(x)->ipsec_profiles, name);

	if (!p)
		cli_error(x, "IPsec profile %s no longer exists", name ? name : "?");
	return p;
}

#define IPP_OR_FAIL(p)                           \
	struct ipsec_profile *p = cur_ipp(x);    \
	if (!p)                                  \
		return CLI_ERR_FAILED

static int cmd_ipp_description(struct cli_exec *x)
{
	IPP_OR_FAIL(p);
	free(p->description);
	p->description = x->is_no ? NULL : xstrdup(cli_arg(x, "text"));
	return CLI_OK;
}

static int cmd_ipp_tset(struct cli_exec *x)
{
	static const char *const names[IPSEC_MAX_TSETS] = { "t1", "t2", "t3", "t4", "t5", "t6" };
	IPP_OR_FAIL(p);

	for (size_t i = 0; i < p->ntransform_sets; i++)
		free(p->transform_sets[i]);
	free(p->transform_sets);
	p->transform_sets = NULL;
	p->ntransform_sets = 0;
	if (!x->is_no) {
		p->transform_sets = xcalloc(IPSEC_MAX_TSETS, sizeof(char *));
		for (size_t i = 0; i < IPSEC_MAX_TSETS; i++)
			if (cli_arg(x, names[i]))
				p->transform_sets[p->ntransform_sets++] = xstrdup(cli_arg(x, names[i]));
	}
	return done(x);
}

HOOK_DEFINE(crypto_idle_time_missing);

/* After an idle time went: say which tunnels are left without one. */
static void warn_idle_time_missing(struct cli_exec *x)
{
	struct strbuf t = STRBUF_INIT;

	hook_call(crypto_idle_time_missing, cfg_of(x), &t);
	if (t.len)
		cli_out(x, "%% Warning: %s: no IPsec security-association idle-time now: a VPN-SIP "
			   "call ends only by \"vpn-sip max-call-duration\" or \"clear vpn-sip "
			   "session\", and the carrier bills it while it lasts\n",
			sb_str(&t) + 2);
	sb_free(&t);
}

static int cmd_ipp_idle(struct cli_exec *x)
{
	IPP_OR_FAIL(p);
	p->idle_time = x->is_no ? 0 : (unsigned)cli_arg_long(x, "seconds", 0);
	int rc = done(x);
	if (x->is_no && rc == CLI_OK)
		warn_idle_time_missing(x);
	return rc;
}

static int cmd_ipp_lifetime(struct cli_exec *x)
{
	IPP_OR_FAIL(p);
	const char *kind = cli_arg(x, "kind");
	bool secs = strcmp(kind, "seconds") == 0;

	if (secs)
		p->lifetime_seconds = x->is_no ? 0 : (unsigned)cli_arg_long(x, "value", 0);
	else
		p->lifetime_kb = x->is_no ? 0 : (unsigned)cli_arg_long(x, "value", 0);
	return done(x);
}

static int cmd_ipp_pfs(struct cli_exec *x)
{
	IPP_OR_FAIL(p);

	if (x->is_no) {
		p->pfs_group = 0;
		return done(x);
	}
	const char *g = cli_arg(x, "group");
	p->pfs_group = g ? (unsigned)strtoul(g + strlen("group"), NULL, 10) : 2; /* IOS: group2 */
	return done(x);
}

static bool replay_size_ok(long n)
{
	return n == 64 || n == 128 || n == 256 || n == 512 || n == 1024;
}

static int cmd_ipp_replay_window(struct cli_exec *x)
{
	IPP_OR_FAIL(p);
	long n = cli_arg_long(x, "size", 0);

	if (!x->is_no && !replay_size_ok(n))
		return cli_error(x, "Replay window size must be 64, 128, 256, 512 or 1024");
	p->replay_window = x->is_no ? 0 : (unsigned)n;
	if (!x->is_no)
		p->replay_disable = false;
	return done(x);
}

static int cmd_ipp_replay_disable(struct cli_exec *x)
{
	IPP_OR_FAIL(p);
	p->replay_disable = !x->is_no;
	if (!x->is_no)
		p->replay_window = 0;
	return done(x);
}

static int cmd_ipp_ikev2_profile(struct cli_exec *x)
{
	IPP_OR_FAIL(p);
	free(p->ikev2_profile);
	p->ikev2_profile = x->is_no ? NULL : xstrdup(cli_arg(x, "name"));
	return done(x);
}

/* ---- globals -------------------------------------------------------------------------- */

static int cmd_sa_idle(struct cli_exec *x)
{
	crypto_model_x(x)->g.sa_idle_time = x->is_no ? 0 : (unsigned)cli_arg_long(x, "seconds", 0);
	int rc = done(x);
	if (x->is_no && rc == CLI_OK)
		warn_idle_time_missing(x);
	return rc;
}

static int cmd_sa_lifetime(struct cli_exec *x)
{
	struct crypto_globals *g = &crypto_model_x(x)->g;

	if (strcmp(cli_arg(x, "kind"), "seconds") == 0)
		g->sa_lifetime_seconds = x->is_no ? IPSEC_LIFETIME_SECONDS_DEFAULT
						  : (unsigned)cli_arg_long(x, "value", 0);
	else
		g->sa_lifetime_kb =
			x->is_no ? IPSEC_LIFETIME_KB_DEFAULT : (unsigned)cli_arg_long(x, "value", 0);
	return done(x);
}

static int cmd_sa_replay_window(struct cli_exec *x)
{
	struct crypto_globals *g = &crypto_model_x(x)->g;
	long n = cli_arg_long(x, "size", IPSEC_REPLAY_DEFAULT);

	if (!x->is_no && !replay_size_ok(n))
		return cli_error(x, "Replay window size must be 64, 128, 256, 512 or 1024");
	g->replay_window = x->is_no ? IPSEC_REPLAY_DEFAULT : (unsigned)n;
	if (!x->is_no)
		g->replay_disable = false;
	return done(x);
}

static int cmd_sa_replay_disable(struct cli_exec *x)
{
	struct crypto_globals *g = &crypto_model_x(x)->g;

	g->replay_disable = !x->is_no;
	if (!x->is_no)
		g->replay_window = IPSEC_REPLAY_DEFAULT;
	return done(x);
}

static enum ipsec_df_bit parse_df(const char *w)
{
	return strcmp(w, "clear") == 0 ? IPSEC_DF_CLEAR
	       : strcmp(w, "set") == 0 ? IPSEC_DF_SET
				       : IPSEC_DF_COPY;
}

static int cmd_df_bit(struct cli_exec *x)
{
	crypto_model_x(x)->g.df_bit = x->is_no ? IPSEC_DF_COPY : parse_df(cli_arg(x, "mode"));
	return done(x);
}

static int cmd_if_df_bit(struct cli_exec *x)
{
	struct iface_cfg *ifc = iface_current(x);

	if (!ifc)
		return CLI_ERR_FAILED;
	if (x->is_no) {
		iface_ext_drop(ifc, &crypto_iface_ext_type);
	} else {
		struct crypto_iface *ci =
			iface_ext_get_or_create(ifc, &crypto_iface_ext_type, sizeof(*ci));
		ci->has_df_bit = true;
		ci->df_bit = parse_df(cli_arg(x, "mode"));
	}
	iface_changed(cfg_of(x), ifc);
	return done(x);
}

/* ---- running-config ------------------------------------------------------------------------- */

static void write_ipsec_globals(const struct config *cfg, struct strbuf *out)
{
	const struct crypto_globals *g = crypto_globals(cfg);

	if (g->sa_lifetime_seconds != IPSEC_LIFETIME_SECONDS_DEFAULT)
		sb_printf(out, "crypto ipsec security-association lifetime seconds %u\n",
			  g->sa_lifetime_seconds);
	if (g->sa_lifetime_kb != IPSEC_LIFETIME_KB_DEFAULT)
		sb_printf(out, "crypto ipsec security-association lifetime kilobytes %u\n",
			  g->sa_lifetime_kb);
	if (g->sa_idle_time)
		sb_printf(out, "crypto ipsec security-association idle-time %u\n", g->sa_idle_time);
	if (g->replay_disable)
		sb_puts(out, "crypto ipsec security-association replay disable\n");
	else if (g->replay_window != IPSEC_REPLAY_DEFAULT)
		sb_printf(out, "crypto ipsec security-association replay window-size %u\n",
			  g->replay_window);
}

static void write_tsets(const struct config *cfg, struct strbuf *out)
{
	const struct crypto_cfg *c = crypto_model_get(cfg);

	for (size_t i = 0; c && i < c->tsets.n; i++) {
		const struct ipsec_transform_set *t = c->tsets.v[i];
		sb_printf(out, "crypto ipsec transform-set %s ", t->name);
		ipsec_transform_set_text(t, out);
		sb_printf(out, " \n mode %s\n", t->mode == IPSEC_MODE_TUNNEL ? "tunnel" : "transport");
		sb_puts(out, "!\n");
	}
	if (c && c->g.df_bit != IPSEC_DF_COPY)
		sb_printf(out, "crypto ipsec df-bit %s\n!\n", ipsec_df_bit_name(c->g.df_bit));
}

static void write_ipsec_profiles(const struct config *cfg, struct strbuf *out)
{
	const struct crypto_cfg *c = crypto_model_get(cfg);

	for (size_t i = 0; c && i < c->ipsec_profiles.n; i++) {
		const struct ipsec_profile *p = c->ipsec_profiles.v[i];
		sb_printf(out, "crypto ipsec profile %s\n", p->name);
		if (p->description)
			sb_printf(out, " description %s\n", p->description);
		if (p->lifetime_seconds)
			sb_printf(out, " set security-association lifetime seconds %u\n",
				  p->lifetime_seconds);
		if (p->lifetime_kb)
			sb_printf(out, " set security-association lifetime kilobytes %u\n",
				  p->lifetime_kb);
		if (p->idle_time)
			sb_printf(out, " set security-association idle-time %u\n", p->idle_time);
		if (p->replay_disable)
			sb_puts(out, " set security-association replay disable\n");
		else if (p->replay_window)
			sb_printf(out, " set security-association replay window-size %u\n",
				  p->replay_window);
		if (p->ntransform_sets) {
			sb_puts(out, " set transform-set");
			for (size_t k = 0; k < p->ntransform_sets; k++)
				sb_printf(out, " %s", p->transform_sets[k]);
			sb_puts(out, " \n");
		}
		if (p->pfs_group)
			sb_printf(out, " set pfs group%u\n", p->pfs_group);
		if (p->ikev2_profile)
			sb_printf(out, " set ikev2-profile %s\n", p->ikev2_profile);
		sb_puts(out, "!\n");
	}
}

static void write_if_df_bit(const struct config *cfg, const struct iface_cfg *ifc,
			    struct strbuf *out)
{
	const struct crypto_iface *ci = iface_ext_get(ifc, &crypto_iface_ext_type);

	(void)cfg;
	if (ci && ci->has_df_bit)
		sb_printf(out, " crypto ipsec df-bit %s\n", ipsec_df_bit_name(ci->df_bit));
}

/* ---- show -------------------------------------------------------------------------------------- */

static void show_tset_line(const struct ipsec_transform_set *t, struct strbuf *out)
{
	sb_printf(out, "Transform set %s: { ", t->name);
	switch (t->cipher) {
	case ESP_CIPHER_AES:
		sb_printf(out, t->keysize == 128 ? "esp-aes " : "esp-%u-aes ", t->keysize);
		break;
	case ESP_CIPHER_GCM: sb_printf(out, "esp-gcm %u ", t->keysize); break;
	case ESP_CIPHER_GMAC: sb_printf(out, "esp-gmac %u ", t->keysize); break;
	case ESP_CIPHER_3DES: sb_puts(out, "esp-3des "); break;
	case ESP_CIPHER_DES: sb_puts(out, "esp-des "); break;
	case ESP_CIPHER_NULL: sb_puts(out, "esp-null "); break;
	case ESP_CIPHER_NONE: break;
	}
	if (t->integ != ESP_INTEG_NONE) {
		struct ipsec_transform_set only = { .integ = t->integ };
		ipsec_transform_set_text(&only, out);
		sb_putc(out, ' ');
	}
	sb_puts(out, " } \n");
}

static void show_tset(const struct ipsec_transform_set *t, struct strbuf *out)
{
	show_tset_line(t, out);
	sb_printf(out, "   will negotiate = { %s,  }, \n   \n",
		  t->mode == IPSEC_MODE_TUNNEL ? "Tunnel" : "Transport");
}

static int cmd_show_tsets(struct cli_exec *x)
{
	const struct crypto_cfg *c = crypto_model_get(cfg_of(x));
	const char *name = cli_arg(x, "name");

	if (name) {
		const struct ipsec_transform_set *t = strcmp(name, "default") == 0
							      ? &default_tset
							      : crypto_transform_set_find(cfg_of(x), name);
		if (!t)
			return cli_error(x, "Transform set %s not found", name);
		show_tset(t, x->out);
		return CLI_OK;
	}
	show_tset(&default_tset, x->out);
	for (size_t i = 0; c && i < c->tsets.n; i++)
		show_tset(c->tsets.v[i], x->out);
	return CLI_OK;
}

static void show_ipp(const struct config *cfg, const struct ipsec_profile *p, struct strbuf *out)
{
	const struct ipsec_transform_set *ts[IPSEC_MAX_TSETS];
	size_t n = crypto_ipsec_transform_sets(cfg, p, ts, IPSEC_MAX_TSETS);
	unsigned idle = crypto_ipsec_idle_time(cfg, p), rw = crypto_ipsec_replay_window(cfg, p);

	sb_printf(out, "IPSEC profile %s\n", p->name);
	if (p->ikev2_profile)
		sb_printf(out, "\tIKEv2 Profile: %s\n", p->ikev2_profile);
	sb_printf(out, "\tSecurity association lifetime: %u kilobytes/%u seconds\n",
		  crypto_ipsec_lifetime_kb(cfg, p), crypto_ipsec_lifetime_seconds(cfg, p));
	if (idle)
		sb_printf(out, "\tSecurity association idle time: %u seconds\n", idle);
	if (rw)
		sb_printf(out, "\tAnti-replay window size: %u\n", rw);
	else
		sb_puts(out, "\tAnti-replay checking: disabled\n");
	sb_puts(out, "\tDualstack (Y/N): N\n\tResponder-Only (Y/N): N\n");
	if (p->pfs_group)
		sb_printf(out, "\tPFS (Y/N): Y\n\tDH group:  group%u\n", p->pfs_group);
	else
		sb_puts(out, "\tPFS (Y/N): N\n");
	sb_puts(out, "\tMixed-mode : Disabled\n\tTransform sets={ \n");
	for (size_t i = 0; i < n; i++) {
		struct strbuf line = STRBUF_INIT;
		show_tset_line(ts[i], &line);
		/* "Transform set NAME: { ... } " -> "NAME:  { ... } ," */
		const char *brace = strchr(sb_str(&line), '{');
		sb_printf(out, "\t\t%s:  %.*s,\n", ts[i]->name,
			  (int)strcspn(brace, "\n"), brace);
		sb_free(&line);
	}
	sb_puts(out, "\t}\n\n");
}

static int cmd_show_ipps(struct cli_exec *x)
{
	const struct config *cfg = cfg_of(x);
	const struct crypto_cfg *c = crypto_model_get(cfg);
	const char *name = cli_arg(x, "name");

	if (name) {
		const struct ipsec_profile *p = crypto_ipsec_profile_find(cfg, name);
		if (!p)
			return cli_error(x, "IPsec profile %s not found", name);
		show_ipp(cfg, p, x->out);
		return CLI_OK;
	}
	for (size_t i = 0; c && i < c->ipsec_profiles.n; i++)
		show_ipp(cfg, c->ipsec_profiles.v[i], x->out);
	return CLI_OK;
}

/* ---- declarations --------------------------------------------------------------------------- */

#define INTEG "<esp-sha-hmac|esp-sha256-hmac|esp-sha384-hmac|esp-sha512-hmac|esp-md5-hmac>$integ"
#define INTEG_HELP                                                           \
	"ESP transform using HMAC-SHA1 auth\nESP transform using HMAC-SHA256 auth\n" \
	"ESP transform using HMAC-SHA384 auth\nESP transform using HMAC-SHA512 auth\n" \
	"ESP transform using HMAC-MD5 auth"
/* IOS's ranges: 2 minutes to 30 days, 2560 KB to 4 TB. */
#define LIFETIME_SECONDS "lifetime <seconds>$kind (120-2592000)$value"
#define LIFETIME_KB "lifetime <kilobytes>$kind (2560-4294967295)$value"

static const struct cli_cmd ipsec_cmds[] = {
	{ "config", "crypto ipsec transform-set WORD$name <esp-aes|esp-gcm|esp-gmac>$enc "
		    "[<128|192|256>$bits] [" INTEG "]",
	  "Encryption module\nConfigure IPSEC policy\nDefine transform and settings\n"
	  "Transform set tag\nESP transform using AES cipher\n"
	  "ESP transform using GCM cipher\nESP transform using GMAC cipher\n"
	  "128 bit keys.\n192 bit keys.\n256 bit keys.\n" INTEG_HELP,
	  cmd_transform_set, 0 },
	{ "config", "crypto ipsec transform-set WORD$name <esp-3des|esp-des|esp-null>$enc [" INTEG "]",
	  "\n\n\n\nESP transform using 3DES(EDE) cipher (168 bits)\n"
	  "ESP transform using DES cipher (56 bits)\nESP transform w/o cipher\n" INTEG_HELP,
	  cmd_transform_set, 0 },
	{ "config", "no crypto ipsec transform-set WORD$name [LINE]", NO_HELP "\n\n\n\n\nTransforms",
	  cmd_transform_set, 0 },
	{ TS_NODE, "mode <tunnel|transport>$tmode",
	  "encapsulation mode (transport/tunnel)\ntunnel (datagram encapsulation) mode\n"
	  "transport (payload encapsulation) mode",
	  cmd_ts_mode, 0 },
	{ TS_NODE, "no mode [<tunnel|transport>$tmode]", NO_HELP, cmd_ts_mode, 0 },

	{ "config", "crypto ipsec profile WORD$name",
	  "\n\nConfigure an ipsec policy profile\nProfile name", cmd_ipsec_profile, 0 },
	{ "config", "no crypto ipsec profile WORD$name", NO_HELP, cmd_ipsec_profile, 0 },
	{ IPP_NODE, "description LINE$text", "Specify a description of this profile\nDescription",
	  cmd_ipp_description, 0 },
	{ IPP_NODE, "no description [LINE]", NO_HELP "\n\nDescription", cmd_ipp_description, 0 },
	{ IPP_NODE, "set transform-set WORD$t1 [WORD$t2 [WORD$t3 [WORD$t4 [WORD$t5 [WORD$t6]]]]]",
	  "Set a parameter\nSpecify list of transform sets in priority order\n"
	  "Transform set name\nTransform set name\nTransform set name\nTransform set name\n"
	  "Transform set name\nTransform set name",
	  cmd_ipp_tset, 0 },
	{ IPP_NODE, "no set transform-set [LINE]", NO_HELP "\n\n\nNames", cmd_ipp_tset, 0 },
	{ IPP_NODE, "set security-association idle-time (60-86400)$seconds",
	  "\nSecurity association parameters\nAutomatically delete IPsec SAs after a given idle period\n"
	  "Idle time in seconds",
	  cmd_ipp_idle, 0 },
	{ IPP_NODE, "no set security-association idle-time [(60-86400)]", NO_HELP, cmd_ipp_idle, 0 },
	{ IPP_NODE, "set security-association " LIFETIME_SECONDS,
	  "\n\nsecurity association duration\nTime-based key duration in seconds\n"
	  "Security association duration in seconds",
	  cmd_ipp_lifetime, 0 },
	{ IPP_NODE, "set security-association " LIFETIME_KB,
	  "\n\nsecurity association duration\nVolume-based key duration\n"
	  "Security association duration in kilobytes",
	  cmd_ipp_lifetime, 0 },
	{ IPP_NODE, "no set security-association lifetime <seconds>$kind [(120-2592000)]",
	  NO_HELP, cmd_ipp_lifetime, 0 },
	{ IPP_NODE, "no set security-association lifetime <kilobytes>$kind [(2560-4294967295)]",
	  NO_HELP, cmd_ipp_lifetime, 0 },
	{ IPP_NODE, "set security-association replay window-size (64-1024)$size",
	  "\n\nSet replay checking\nSet replay window size\nWindow size: 64, 128, 256, 512 or 1024",
	  cmd_ipp_replay_window, 0 },
	{ IPP_NODE, "no set security-association replay window-size [(64-1024)]", NO_HELP,
	  cmd_ipp_replay_window, 0 },
	{ IPP_NODE, "set security-association replay disable", "\n\n\nDisable replay checking",
	  cmd_ipp_replay_disable, 0 },
	{ IPP_NODE, "no set security-association replay disable", NO_HELP, cmd_ipp_replay_disable, 0 },
	{ IPP_NODE, "set pfs [<group1|group2|group5|group14|group15|group16|group19|group20|group21|group24>$group]",
	  "\nSpecify pfs settings\nD-H Group1 (768-bit modulus)\nD-H Group2 (1024-bit modulus)\n"
	  "D-H Group5 (1536-bit modulus)\nD-H Group14 (2048-bit modulus)\n"
	  "D-H Group15 (3072-bit modulus)\nD-H Group16 (4096-bit modulus)\n"
	  "D-H Group19 (256-bit elliptic curve)\nD-H Group20 (384-bit elliptic curve)\n"
	  "D-H Group21 (521-bit elliptic curve)\nD-H Group24 (2048-bit, 256 bit subgroup)",
	  cmd_ipp_pfs, 0 },
	{ IPP_NODE, "no set pfs [LINE]", NO_HELP "\n\n\nGroup", cmd_ipp_pfs, 0 },
	{ IPP_NODE, "set ikev2-profile WORD$name", "\nSpecify ikev2 Profile\nikev2 Profile name",
	  cmd_ipp_ikev2_profile, 0 },
	{ IPP_NODE, "no set ikev2-profile [WORD]", NO_HELP, cmd_ipp_ikev2_profile, 0 },

	{ "config", "crypto ipsec security-association idle-time (60-86400)$seconds",
	  "\n\nSecurity association parameters\n"
	  "Automatically delete IPsec SAs after a given idle period\nIdle time in seconds",
	  cmd_sa_idle, 0 },
	{ "config", "no crypto ipsec security-association idle-time [(60-86400)]", NO_HELP,
	  cmd_sa_idle, 0 },
	{ "config", "crypto ipsec security-association " LIFETIME_SECONDS,
	  "\n\n\nsecurity association duration\nTime-based key duration in seconds\n"
	  "Security association duration in seconds",
	  cmd_sa_lifetime, 0 },
	{ "config", "crypto ipsec security-association " LIFETIME_KB,
	  "\n\n\nsecurity association duration\nVolume-based key duration\n"
	  "Security association duration in kilobytes",
	  cmd_sa_lifetime, 0 },
	{ "config", "no crypto ipsec security-association lifetime <seconds>$kind [(120-2592000)]",
	  NO_HELP, cmd_sa_lifetime, 0 },
	{ "config", "no crypto ipsec security-association lifetime <kilobytes>$kind [(2560-4294967295)]",
	  NO_HELP, cmd_sa_lifetime, 0 },
	{ "config", "crypto ipsec security-association replay window-size (64-1024)$size",
	  "\n\n\nSet replay checking\nSet replay window size\nWindow size: 64, 128, 256, 512 or 1024",
	  cmd_sa_replay_window, 0 },
	{ "config", "no crypto ipsec security-association replay window-size [(64-1024)]", NO_HELP,
	  cmd_sa_replay_window, 0 },
	{ "config", "crypto ipsec security-association replay disable",
	  "\n\n\n\nDisable replay checking", cmd_sa_replay_disable, 0 },
	{ "config", "no crypto ipsec security-association replay disable", NO_HELP,
	  cmd_sa_replay_disable, 0 },
	{ "config", "crypto ipsec df-bit <clear|set|copy>$mode",
	  "\n\nHandling of encapsulated DF bit.\nClear DF bit for encapsulated packets.\n"
	  "Set DF bit for encapsulated packets.\nCopy DF bit from inner for encapsulated packets.",
	  cmd_df_bit, 0 },
	{ "config", "no crypto ipsec df-bit [<clear|set|copy>$mode]", NO_HELP, cmd_df_bit, 0 },
	{ "config-if", "crypto ipsec df-bit <clear|set|copy>$mode",
	  "Encryption/Decryption commands\nIPsec interface commands\n"
	  "Handling of encapsulated DF bit.\nClear DF bit for encapsulated packets.\n"
	  "Set DF bit for encapsulated packets.\nCopy DF bit from inner for encapsulated packets.",
	  cmd_if_df_bit, 0 },
	{ "config-if", "no crypto ipsec df-bit [<clear|set|copy>$mode]", NO_HELP, cmd_if_df_bit, 0 },

	{ "exec", "show crypto ipsec transform-set [WORD$name]",
	  "Show running system information\nEncryption module\nShow IPSEC policy\n"
	  "Crypto transform sets\nTransform set name",
	  cmd_show_tsets, 0 },
	{ "exec", "show crypto ipsec profile [WORD$name]", "\n\n\nShow ipsec profile information\nProfile name",
	  cmd_show_ipps, 0 },
};

void crypto_ipsec_cmds_init(void)
{
	cli_node_register(TS_NODE, "(cfg-crypto-trans)#", "config");
	cli_node_register(IPP_NODE, "(ipsec-profile)#", "config");
	CLI_INSTALL(ipsec_cmds);
	config_section_register(350, "crypto ipsec globals", write_ipsec_globals);
	config_section_register(355, "crypto ipsec transform sets", write_tsets);
	config_section_register(360, "crypto ipsec profiles", write_ipsec_profiles);
	iface_writer_register(150, write_if_df_bit);
}

void crypto_cli_init(void)
{
	crypto_key_cmds_init();
	crypto_pki_cmds_init();
	crypto_ikev2_cmds_init();
	crypto_ipsec_cmds_init();
}
