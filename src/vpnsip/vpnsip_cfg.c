/* VPN-SIP configuration: the global "vpn-sip ..." lines and the per-tunnel
 * "vpn-sip local-number L remote-number R bandwidth B" line, their commands
 * and their running-config lines. */
#include <arpa/inet.h>
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/secret.h"
#include "crypto/crypto.h"
#include "dataplane/tunnel.h"
#include "net/iface.h"
#include "sip/sip.h"
#include "vpnsip/vpnsip_int.h"

static void cfg_free(void *p)
{
	struct vpnsip_cfg *c = p;

	for (size_t i = 0; i < c->n_numbers; i++)
		free(c->numbers[i]);
	free(c->numbers);
	free(c->addr_iface);
	free(c->tunnel_source);
	free(c->domain);
	free(c->username);
	if (c->password)
		explicit_bzero(c->password, strlen(c->password));
	free(c->password);
	free(c->trusted);
	if (c->remotes_ready) {
		for (struct hashmap_entry *e = NULL; (e = hashmap_next(&c->remotes, e));)
			free(e->value);
		hashmap_clear(&c->remotes);
		hashmap_clear(&c->number_set);
	}
	free(c);
}

const struct config_ext_type vpnsip_cfg_type = { .name = "vpn-sip", .free = cfg_free };

const struct vpnsip_cfg *vpnsip_cfg_get(const struct config *cfg)
{
	return config_ext_get(cfg, &vpnsip_cfg_type);
}

bool vpnsip_cfg_has_number(const struct vpnsip_cfg *c, const char *number)
{
	return c && c->remotes_ready && number && hashmap_get(&c->number_set, number) != NULL;
}

void vpnsip_pair_key(const char *local, const char *remote, char *buf, size_t n)
{
	snprintf(buf, n, "%s/%s", local ? local : "", remote ? remote : "");
}

static struct vpnsip_cfg *cfg_mut(struct config *cfg)
{
	struct vpnsip_cfg *c = config_ext_get_or_create(cfg, &vpnsip_cfg_type, sizeof(*c));

	if (!c->remotes_ready) {
		hashmap_init(&c->remotes, false);
		hashmap_init(&c->number_set, false);
		c->remotes_ready = true;
	}
	return c;
}

static void tunnel_free(void *p)
{
	struct vpnsip_tunnel *t = p;

	free(t->local_number);
	free(t->remote_number);
	free(t->service_policy);
	free(t);
}

static const struct iface_ext_type vpnsip_tunnel_type = { "vpn-sip", tunnel_free };

const struct vpnsip_tunnel *vpnsip_tunnel_get(const struct iface_cfg *ifc)
{
	return iface_ext_get(ifc, &vpnsip_tunnel_type);
}

bool vpnsip_tunnel_configured(const struct iface_cfg *ifc)
{
	return vpnsip_tunnel_get(ifc) != NULL;
}

unsigned vpnsip_tunnel_idle_time(const struct config *cfg, const struct iface_cfg *ifc,
				 const char **profile)
{
	const struct tunnel_ext *te = ifc ? tunnel_ext_get(ifc) : NULL;

	const struct ipsec_profile *p =
		te && te->ipsec_profile ? crypto_ipsec_profile_find(cfg, te->ipsec_profile) : NULL;

	*profile = p ? te->ipsec_profile : NULL;
	return p ? crypto_ipsec_idle_time(cfg, p) : 0;
}

/* Cisco requires an idle timer on a VPN-SIP tunnel: the carrier bills the
 * call by its time, and without traffic only the idle timer ends it.  A
 * tunnel without one is accepted (max-call-duration or a hand may end the
 * call) with a warning here, a line in "show vpn-sip session detail" and
 * one at each call. */
static bool needs_idle_time(const struct config *cfg, const struct iface_cfg *ifc)
{
	const char *profile;

	return vpnsip_tunnel_configured(ifc) && !vpnsip_tunnel_idle_time(cfg, ifc, &profile) &&
	       profile;
}

static void on_idle_time_missing(const struct config *cfg, struct strbuf *tunnels, void *arg)
{
	size_t n;
	struct iface_cfg **v = iface_sorted(&cfg->ifaces, &n);

	(void)arg;
	for (size_t i = 0; i < n; i++)
		if (needs_idle_time(cfg, v[i]))
			sb_printf(tunnels, ", %s", v[i]->name);
	free(v);
}

const char *vpnsip_tunnel_service_policy(const struct iface_cfg *ifc)
{
	const struct vpnsip_tunnel *t = vpnsip_tunnel_get(ifc);

	return t ? t->service_policy : NULL;
}

static void set_str(char **dst, const char *v)
{
	free(*dst);
	*dst = v ? xstrdup(v) : NULL;
}

/* E.164-ish subscriber numbers: digits, an optional leading '+'. */
static bool valid_number(const char *s)
{
	size_t n = strlen(s);

	if (!n || n >= VPNSIP_NUMBER_MAX)
		return false;
	for (size_t i = 0; i < n; i++)
		if (!isdigit((unsigned char)s[i]) && !(i == 0 && s[i] == '+' && n > 1))
			return false;
	return true;
}

/* ---- global commands ---------------------------------------------------- */

static int done(struct cli_exec *x)
{
	vpnsip_cfg_changed(cfg_of(x));
	return CLI_OK;
}

static int cmd_enable(struct cli_exec *x)
{
	cfg_mut(cfg_of(x))->enabled = !x->is_no;
	return done(x);
}

static int cmd_logging(struct cli_exec *x)
{
	cfg_mut(cfg_of(x))->logging = !x->is_no;
	return done(x);
}

static void number_add(struct vpnsip_cfg *c, const char *num)
{
	xgrow(&c->numbers, &c->cap_numbers, c->n_numbers + 1, sizeof(*c->numbers));
	c->numbers[c->n_numbers] = xstrdup(num);
	hashmap_put(&c->number_set, num, c->numbers[c->n_numbers]);
	c->n_numbers++;
	c->local_number = c->numbers[0];
}

static void number_del(struct vpnsip_cfg *c, const char *num)
{
	for (size_t i = 0; i < c->n_numbers; i++) {
		if (strcmp(c->numbers[i], num) != 0)
			continue;
		hashmap_del(&c->number_set, num);
		free(c->numbers[i]);
		memmove(&c->numbers[i], &c->numbers[i + 1], (c->n_numbers - i - 1) * sizeof(*c->numbers));
		c->n_numbers--;
		break;
	}
	c->local_number = c->n_numbers ? c->numbers[0] : NULL;
	if (!c->n_numbers)
		set_str(&c->addr_iface, NULL);
}

/* The first tunnel whose line uses local number num (another number when
 * other is set), or NULL. */
static struct iface_cfg *tunnel_numbered(struct config *cfg, const char *num, bool other,
					 const char **its)
{
	size_t n;
	struct iface_cfg **ifs = iface_sorted(&cfg->ifaces, &n), *found = NULL;

	for (size_t i = 0; i < n && !found; i++) {
		const struct vpnsip_tunnel *t = vpnsip_tunnel_get(ifs[i]);
		if (t && (!num || (strcmp(t->local_number, num) == 0) != other)) {
			found = ifs[i];
			if (its)
				*its = t->local_number;
		}
	}
	free(ifs);
	return found;
}

static struct iface_cfg *tunnel_using(struct config *cfg, const char *num)
{
	return tunnel_numbered(cfg, num, false, NULL);
}

/* "vpn-sip local-number N address ipv4 IF", once per number: each number
 * registers on its own and may be the local number of tunnels.  All share
 * the address interface. */
static int cmd_local_number(struct cli_exec *x)
{
	struct vpnsip_cfg *c = cfg_mut(cfg_of(x));

	if (x->is_no) {
		char first[VPNSIP_NUMBER_MAX + 1] = "";
		const char *rest = cli_arg(x, "rest");
		if (rest)
			sscanf(rest, "%32s", first);
		if (!first[0]) {
			/* Every number goes (the tunnels' lines stay). */
			while (c->n_numbers)
				number_del(c, c->numbers[c->n_numbers - 1]);
			return done(x);
		}
		if (!vpnsip_cfg_has_number(c, first))
			return CLI_OK;
		struct iface_cfg *user = tunnel_using(cfg_of(x), first);
		if (user)
			return cli_error(x, "%s has VPN-SIP local number %s: change the tunnels' lines first",
					 user->name, first);
		number_del(c, first);
		return done(x);
	}
	const char *num = cli_arg(x, "number"), *ifname = cli_arg(x, "ifname");
	if (!valid_number(num))
		return cli_error(x, "Invalid SIP number %s: digits only, up to %d", num,
				 VPNSIP_NUMBER_MAX - 1);
	if (c->addr_iface && strcasecmp(c->addr_iface, ifname) != 0 &&
	    !(c->n_numbers == 1 && strcmp(c->numbers[0], num) == 0))
		return cli_error(x, "Every VPN-SIP local number uses the address of %s: "
				 "remove the other numbers first to change it", c->addr_iface);
	/* Tunnel lines typed while no number was configured (or kept by "no
	 * vpn-sip local-number"): from the first number on, each tunnel's must
	 * be a global one, as the tunnel line checks when it is read back. */
	const char *its = NULL;
	struct iface_cfg *other = c->n_numbers ? NULL : tunnel_numbered(cfg_of(x), num, true, &its);
	if (other)
		return cli_error(x, "%s has VPN-SIP local number %s: the first global number must be "
				 "the tunnels' one; change the tunnels' lines first", other->name, its);
	if (!vpnsip_cfg_has_number(c, num))
		number_add(c, num);
	set_str(&c->addr_iface, ifname);
	return done(x);
}

/* "ipv4:A.B.C.D[:PORT]" */
static bool parse_server(const char *s, struct in_addr *addr, uint16_t *port)
{
	char buf[32];
	char *colon;

	if (strncmp(s, "ipv4:", 5) != 0 || strlen(s + 5) >= sizeof(buf))
		return false;
	strcpy(buf, s + 5);
	*port = 0;
	if ((colon = strchr(buf, ':'))) {
		char *end;
		*colon = '\0';
		long p = strtol(colon + 1, &end, 10);
		if (!colon[1] || *end || p < 1 || p > 65535)
			return false;
		*port = (uint16_t)p;
	}
	return inet_pton(AF_INET, buf, addr) == 1;
}

static int cmd_sip_server(struct cli_exec *x)
{
	struct vpnsip_cfg *c = cfg_mut(cfg_of(x));
	struct in_addr a;
	uint16_t port;

	if (x->is_no) {
		c->has_server = false;
		c->server_port = 0;
		return done(x);
	}
	if (!parse_server(cli_arg(x, "server"), &a, &port))
		return cli_error(x, "Invalid SIP server %s: use ipv4:A.B.C.D[:PORT]",
				 cli_arg(x, "server"));
	c->has_server = true;
	c->server = a;
	c->server_port = port;
	return done(x);
}

static int cmd_sip_domain(struct cli_exec *x)
{
	struct vpnsip_cfg *c = cfg_mut(cfg_of(x));

	if (x->is_no) {
		set_str(&c->domain, NULL);
		return done(x);
	}
	const char *d = cli_arg(x, "domain");
	for (const char *p = d; *p; p++)
		if (!isalnum((unsigned char)*p) && *p != '.' && *p != '-')
			return cli_error(x, "Invalid SIP domain %s", d);
	set_str(&c->domain, d);
	return done(x);
}

static int cmd_sip_credentials(struct cli_exec *x)
{
	struct vpnsip_cfg *c = cfg_mut(cfg_of(x));
	char *plain;

	if (x->is_no) {
		set_str(&c->username, NULL);
		if (c->password)
			explicit_bzero(c->password, strlen(c->password));
		set_str(&c->password, NULL);
		return done(x);
	}
	plain = config_secret_decode(x, cli_arg(x, "type"), cli_arg(x, "pass"));
	if (!plain)
		return CLI_ERR_FAILED;
	set_str(&c->username, cli_arg(x, "user"));
	if (c->password)
		explicit_bzero(c->password, strlen(c->password));
	free(c->password);
	c->password = plain;
	return done(x);
}

static int cmd_request_uri(struct cli_exec *x)
{
	cfg_mut(cfg_of(x))->uri_form =
		!x->is_no && strcmp(cli_arg(x, "form"), "sip") == 0 ? SIP_URI_SIP : SIP_URI_TEL;
	return done(x);
}

static const struct {
	const char *kw;
	enum sdp_hash h;
} hash_kw[] = {
	{ "sha1", SDP_HASH_SHA1 },     { "sha224", SDP_HASH_SHA224 }, { "sha256", SDP_HASH_SHA256 },
	{ "sha384", SDP_HASH_SHA384 }, { "sha512", SDP_HASH_SHA512 },
};

static int cmd_fingerprint_hash(struct cli_exec *x)
{
	struct vpnsip_cfg *c = cfg_mut(cfg_of(x));

	c->hash = SDP_HASH_SHA1;
	for (size_t i = 0; !x->is_no && i < ARRAY_SIZE(hash_kw); i++)
		if (strcmp(hash_kw[i].kw, cli_arg(x, "alg")) == 0)
			c->hash = hash_kw[i].h;
	return done(x);
}

static int cmd_expires(struct cli_exec *x)
{
	cfg_mut(cfg_of(x))->expires = x->is_no ? 0 : (unsigned)cli_arg_long(x, "seconds", 0);
	return done(x);
}

static int cmd_call_timeout(struct cli_exec *x)
{
	cfg_mut(cfg_of(x))->call_timeout = x->is_no ? 0 : (unsigned)cli_arg_long(x, "seconds", 0);
	return done(x);
}

static int cmd_tunnel_source(struct cli_exec *x)
{
	struct vpnsip_cfg *c = cfg_mut(cfg_of(x));

	if (x->is_no) {
		set_str(&c->tunnel_source, NULL);
		return done(x);
	}
	const char *name = cli_arg(x, "ifname");
	if (strncasecmp(name, "Loopback", 8) != 0 || !isdigit((unsigned char)name[8]))
		return cli_error(x, "The VPN-SIP tunnel source must be a Loopback interface");
	set_str(&c->tunnel_source, name);
	return done(x);
}

static int cmd_max_call(struct cli_exec *x)
{
	cfg_mut(cfg_of(x))->max_call_s = x->is_no ? 0 : (unsigned)cli_arg_long(x, "seconds", 0);
	return done(x);
}

/* "vpn-sip trusted-source A [MASK]": besides the SIP server, who may send
 * requests outside a dialog (docs/security.md).  "no" without an address
 * removes every line. */
static int cmd_trusted_source(struct cli_exec *x)
{
	struct vpnsip_cfg *c = cfg_mut(cfg_of(x));
	const char *as = cli_arg(x, "addr"), *ms = cli_arg(x, "mask");
	struct in_addr a, m = { 0xffffffffu };
	unsigned len;
	struct sip_net net;
	size_t i;

	if (x->is_no && !as) {
		c->n_trusted = 0;
		return done(x);
	}
	inet_pton(AF_INET, as, &a);
	if (ms)
		inet_pton(AF_INET, ms, &m);
	if (!ipv4_mask_to_len(m, &len))
		return cli_error(x, "Invalid mask %s", ms);
	if (a.s_addr & ~m.s_addr)
		return cli_error(x, "Inconsistent address and mask");
	net = (struct sip_net){ a.s_addr, m.s_addr };
	for (i = 0; i < c->n_trusted; i++)
		if (c->trusted[i].addr == net.addr && c->trusted[i].mask == net.mask)
			break;
	if (x->is_no) {
		if (i == c->n_trusted)
			return CLI_OK;
		memmove(&c->trusted[i], &c->trusted[i + 1], (c->n_trusted - i - 1) * sizeof(*c->trusted));
		c->n_trusted--;
		return done(x);
	}
	if (i < c->n_trusted)
		return CLI_OK;
	if (len == 0)
		return cli_error(x, "A trusted source of 0.0.0.0/0 would let anyone call: "
				 "name the carrier's networks");
	if (c->n_trusted >= VPNSIP_TRUSTED_MAX)
		return cli_error(x, "At most %d trusted sources", VPNSIP_TRUSTED_MAX);
	xgrow(&c->trusted, &c->cap_trusted, c->n_trusted + 1, sizeof(*c->trusted));
	c->trusted[c->n_trusted++] = net;
	return done(x);
}

/* "vpn-sip rate-limit per-source|global RATE [burst N]": requests outside
 * a dialog a second, and the burst (default: ten seconds' worth). */
static int cmd_rate_limit(struct cli_exec *x)
{
	struct vpnsip_cfg *c = cfg_mut(cfg_of(x));
	const char *scope = cli_arg(x, "scope");
	bool global = scope && strcmp(scope, "global") == 0;
	unsigned *rate = global ? &c->limits.global_rate : &c->limits.source_rate;
	unsigned *burst = global ? &c->limits.global_burst : &c->limits.source_burst;

	if (x->is_no) {
		*rate = *burst = 0;
		return done(x);
	}
	*rate = (unsigned)cli_arg_long(x, "rate", 0);
	*burst = (unsigned)cli_arg_long(x, "count", 0);
	if (!*burst)
		*burst = *rate > 100000 / 10 ? 100000 : *rate * 10;
	return done(x);
}

/* ---- the tunnel line ---------------------------------------------------- */

static void remotes_del(struct vpnsip_cfg *c, const char *local, const char *remote)
{
	char key[VPNSIP_PAIR_KEY_MAX];

	vpnsip_pair_key(local, remote, key, sizeof(key));
	free(hashmap_del(&c->remotes, key));
}

static int cmd_tunnel(struct cli_exec *x)
{
	struct config *cfg = cfg_of(x);
	struct iface_cfg *ifc = iface_current(x);
	struct vpnsip_cfg *c;
	struct vpnsip_tunnel *t;

	if (!ifc)
		return CLI_ERR_FAILED;
	c = cfg_mut(cfg);
	if (x->is_no) {
		const struct vpnsip_tunnel *old = vpnsip_tunnel_get(ifc);
		if (!old)
			return CLI_OK;
		remotes_del(c, old->local_number, old->remote_number);
		iface_ext_drop(ifc, &vpnsip_tunnel_type);
		iface_changed(cfg, ifc);
		return CLI_OK;
	}
	const char *local = cli_arg(x, "local"), *remote = cli_arg(x, "remote");
	if (ifc->kind != IFACE_TUNNEL)
		return cli_error(x, "VPN-SIP can only be configured on Tunnel interfaces");
	if (!valid_number(local))
		return cli_error(x, "Invalid local number %s", local);
	if (!valid_number(remote))
		return cli_error(x, "Invalid remote number %s", remote);
	/* A number, not keywords: "100" must not abbreviate "1000". */
	long bw = cli_arg_long(x, "bw", 0);
	if (bw != 64 && bw != 128 && bw != 256 && bw != 512 && bw != 1000)
		return cli_error(x, "Bandwidth must be 64, 128, 256, 512 or 1000 kbps");
	if (c->n_numbers == 1 && strcmp(c->local_number, local) != 0)
		return cli_error(x, "The local number must be the global one (vpn-sip local-number %s)",
				 c->local_number);
	if (c->n_numbers > 1 && !vpnsip_cfg_has_number(c, local))
		return cli_error(x, "The local number must be one of the global ones: "
				 "%s is not configured with \"vpn-sip local-number\"", local);
	/* One tunnel per (local, remote) pair. */
	char key[VPNSIP_PAIR_KEY_MAX];
	vpnsip_pair_key(local, remote, key, sizeof(key));
	const char *owner = hashmap_get(&c->remotes, key);
	if (owner && strcasecmp(owner, ifc->name) != 0)
		return cli_error(x, "Remote number %s is already used by %s (local number %s)", remote,
				 owner, local);
	t = iface_ext_get_or_create(ifc, &vpnsip_tunnel_type, sizeof(*t));
	if (t->remote_number && (strcmp(t->remote_number, remote) != 0 ||
				 strcmp(t->local_number, local) != 0))
		remotes_del(c, t->local_number, t->remote_number);
	set_str(&t->local_number, local);
	set_str(&t->remote_number, remote);
	t->bandwidth = (unsigned)bw;
	set_str(&t->service_policy, cli_arg(x, "policy"));
	if (!owner)
		hashmap_put(&c->remotes, key, xstrdup(ifc->name));
	iface_changed(cfg, ifc);
	if (needs_idle_time(cfg, ifc))
		cli_out(x, "%% Warning: %s: IPsec profile %s sets no security-association idle-time: "
			   "a VPN-SIP call ends only by \"vpn-sip max-call-duration\" or \"clear "
			   "vpn-sip session\", and the carrier bills it while it lasts\n",
			ifc->name, tunnel_ext_get(ifc)->ipsec_profile);
	return CLI_OK;
}

/* An interface with a VPN-SIP line is going away. */
static void on_iface_deleted(struct config *cfg, struct iface_cfg *ifc, void *arg)
{
	const struct vpnsip_tunnel *t = vpnsip_tunnel_get(ifc);
	struct vpnsip_cfg *c = config_ext_get(cfg, &vpnsip_cfg_type);

	if (!t)
		return;
	if (c && c->remotes_ready)
		remotes_del(c, t->local_number, t->remote_number);
	vpnsip_tunnel_sync(cfg, ifc, true);
}

static void on_iface_changed(struct config *cfg, struct iface_cfg *ifc, void *arg)
{
	if (ifc->kind == IFACE_TUNNEL)
		vpnsip_tunnel_sync(cfg, ifc, false);
}

/* "vpn-sip tunnel source LoopbackM" reserves the loopback: VPN-SIP
 * "listens to any updates to the interface and blocks them" (the Cisco
 * guide).  Its first address, the same values again and "ip nat inside"
 * (the seed's PAT) are not updates the core asks about.
 *
 * A tunnel carrying "vpn-sip local-number" has its mode, source,
 * destination and protection owned by VPN-SIP (the Cisco guide): the data
 * plane's tunnel commands ask with what = "tunnel <field>". */
static bool guard_allow(struct cli_exec *x, const struct config *cfg, const struct iface_cfg *ifc,
			const char *what)
{
	const struct vpnsip_cfg *c = vpnsip_cfg_get(cfg);
	char verb[96];

	if (strncmp(what, "tunnel ", 7) == 0) {
		if (!vpnsip_tunnel_configured(ifc))
			return true;
		cli_error(x, "%s carries VPN-SIP: remove its \"vpn-sip local-number\" line before "
			  "changing the tunnel %s", ifc->name, what + 7);
		return false;
	}
	if (!c || !c->tunnel_source || strcasecmp(c->tunnel_source, ifc->name) != 0)
		return true;
	if (strcmp(what, "removal") == 0)
		snprintf(verb, sizeof(verb), "removing it");
	else if (strcmp(what, "shutdown") == 0)
		snprintf(verb, sizeof(verb), "shutting it down");
	else
		snprintf(verb, sizeof(verb), "changing its %s", what);
	cli_error(x, "%s is reserved as the VPN-SIP tunnel source: remove \"vpn-sip tunnel "
		  "source %s\" before %s", ifc->name, c->tunnel_source, verb);
	return false;
}

static struct iface_guard guard = { .allow = guard_allow };

/* ---- running-config ----------------------------------------------------- */

static void write_global(const struct config *cfg, struct strbuf *out)
{
	const struct vpnsip_cfg *c = vpnsip_cfg_get(cfg);

	if (!c)
		return;
	if (c->enabled)
		sb_puts(out, "vpn-sip enable\n");
	for (size_t i = 0; i < c->n_numbers; i++)
		sb_printf(out, "vpn-sip local-number %s address ipv4 %s\n", c->numbers[i],
			  c->addr_iface);
	if (c->tunnel_source)
		sb_printf(out, "vpn-sip tunnel source %s\n", c->tunnel_source);
	if (c->logging)
		sb_puts(out, "vpn-sip logging\n");
	if (c->has_server) {
		char a[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &c->server, a, sizeof(a));
		if (c->server_port)
			sb_printf(out, "vpn-sip sip-server ipv4:%s:%u\n", a, c->server_port);
		else
			sb_printf(out, "vpn-sip sip-server ipv4:%s\n", a);
	}
	if (c->domain)
		sb_printf(out, "vpn-sip sip-domain %s\n", c->domain);
	if (c->username && c->password) {
		sb_printf(out, "vpn-sip sip-credentials username %s password ", c->username);
		config_secret_write(cfg, c->password, out);
		sb_putc(out, '\n');
	}
	if (c->uri_form == SIP_URI_SIP)
		sb_puts(out, "vpn-sip request-uri sip\n");
	if (c->hash != SDP_HASH_SHA1)
		for (size_t i = 0; i < ARRAY_SIZE(hash_kw); i++)
			if (hash_kw[i].h == c->hash)
				sb_printf(out, "vpn-sip fingerprint hash %s\n", hash_kw[i].kw);
	if (c->expires)
		sb_printf(out, "vpn-sip registration expires %u\n", c->expires);
	if (c->call_timeout)
		sb_printf(out, "vpn-sip call-timeout %u\n", c->call_timeout);
	if (c->max_call_s)
		sb_printf(out, "vpn-sip max-call-duration %u\n", c->max_call_s);
	for (size_t i = 0; i < c->n_trusted; i++) {
		char a[INET_ADDRSTRLEN], m[INET_ADDRSTRLEN];
		inet_ntop(AF_INET, &c->trusted[i].addr, a, sizeof(a));
		inet_ntop(AF_INET, &c->trusted[i].mask, m, sizeof(m));
		if (c->trusted[i].mask == 0xffffffffu)
			sb_printf(out, "vpn-sip trusted-source %s\n", a);
		else
			sb_printf(out, "vpn-sip trusted-source %s %s\n", a, m);
	}
	if (c->limits.source_rate)
		sb_printf(out, "vpn-sip rate-limit per-source %u burst %u\n", c->limits.source_rate,
			  c->limits.source_burst);
	if (c->limits.global_rate)
		sb_printf(out, "vpn-sip rate-limit global %u burst %u\n", c->limits.global_rate,
			  c->limits.global_burst);
}

static void write_tunnel(const struct config *cfg, const struct iface_cfg *ifc, struct strbuf *out)
{
	const struct vpnsip_tunnel *t = vpnsip_tunnel_get(ifc);

	if (!t)
		return;
	sb_printf(out, " vpn-sip local-number %s remote-number %s bandwidth %u", t->local_number,
		  t->remote_number, t->bandwidth);
	if (t->service_policy)
		sb_printf(out, " service-policy %s", t->service_policy);
	sb_putc(out, '\n');
}

/* ---- declarations -------------------------------------------------------- */

#define VS "VPN-SIP configuration\n"
#define NO "Negate a command or set its defaults\n" VS
#define BW "Bandwidth to negotiate with this peer\n64, 128, 256, 512 or 1000 kbps\n"

static const struct cli_cmd cfg_cmds[] = {
	{ "config", "vpn-sip enable", VS "Enable VPN-SIP", cmd_enable, 0 },
	{ "config", "no vpn-sip enable", NO "Enable VPN-SIP", cmd_enable, 0 },
	{ "config", "vpn-sip local-number WORD$number address ipv4 IFNAME$ifname",
	  VS "Local SIP number\nThe local SIP number\nAddress of the SIP user agent\nIPv4\n"
	  "Interface whose IPv4 address is used (follows DHCP)",
	  cmd_local_number, 0 },
	{ "config", "no vpn-sip local-number [LINE$rest]",
	  NO "Local SIP number\nThe number to remove (all of them without one)",
	  cmd_local_number, 0 },
	{ "config", "vpn-sip tunnel source IFNAME$ifname",
	  VS "VPN-SIP tunnels\nThe interface reserved as the tunnels' source\nLoopback interface",
	  cmd_tunnel_source, 0 },
	{ "config", "no vpn-sip tunnel source [IFNAME]",
	  NO "VPN-SIP tunnels\nThe interface reserved as the tunnels' source\nLoopback interface",
	  cmd_tunnel_source, 0 },
	{ "config", "vpn-sip logging", VS "System logging of VPN-SIP events", cmd_logging, 0 },
	{ "config", "no vpn-sip logging", NO "System logging of VPN-SIP events", cmd_logging, 0 },
	{ "config", "vpn-sip sip-server WORD$server",
	  VS "SIP server (registrar and outbound proxy) when DHCP option 120 gives none\n"
	  "ipv4:A.B.C.D[:PORT]",
	  cmd_sip_server, 0 },
	{ "config", "no vpn-sip sip-server [WORD]", NO "SIP server\nipv4:A.B.C.D[:PORT]",
	  cmd_sip_server, 0 },
	{ "config", "vpn-sip sip-domain WORD$domain",
	  VS "SIP domain (host part of From, To and Request-URIs)\nDomain name", cmd_sip_domain, 0 },
	{ "config", "no vpn-sip sip-domain [WORD]", NO "SIP domain\nDomain name", cmd_sip_domain, 0 },
	{ "config", "vpn-sip sip-credentials username WORD$user password [<0|6|7>$type] WORD$pass",
	  VS "Digest credentials of the registration\nDigest user name\nThe user name\n"
	  "Digest password\nSpecifies an UNENCRYPTED password will follow\n"
	  "Specifies an ENCRYPTED password will follow (AES, password encryption aes)\n"
	  "Specifies a HIDDEN password will follow\nThe password",
	  cmd_sip_credentials, CLI_SECRET },
	{ "config", "no vpn-sip sip-credentials [LINE]", NO "Digest credentials\nAnything",
	  cmd_sip_credentials, CLI_SECRET },
	{ "config", "vpn-sip request-uri <tel|sip>$form",
	  VS "Request-URI form of outgoing calls\ntel:NUMBER;phone-context=DOMAIN (default)\n"
	  "sip:NUMBER@DOMAIN",
	  cmd_request_uri, 0 },
	{ "config", "no vpn-sip request-uri [<tel|sip>]", NO "Request-URI form\n\n",
	  cmd_request_uri, 0 },
	{ "config", "vpn-sip fingerprint hash <sha1|sha224|sha256|sha384|sha512>$alg",
	  VS "Fingerprint sent in SDP\nHash function (received fingerprints may use any)\n"
	  "SHA-1 (default)\nSHA-224\nSHA-256\nSHA-384\nSHA-512",
	  cmd_fingerprint_hash, 0 },
	{ "config", "no vpn-sip fingerprint hash [WORD]", NO "Fingerprint sent in SDP\n"
	  "Hash function\nHash", cmd_fingerprint_hash, 0 },
	{ "config", "vpn-sip registration expires (10-86400)$seconds",
	  VS "SIP registration\nExpiry asked for in REGISTER (default 3600)\nSeconds",
	  cmd_expires, 0 },
	{ "config", "no vpn-sip registration expires [(10-86400)]",
	  NO "SIP registration\nExpiry\nSeconds", cmd_expires, 0 },
	{ "config", "vpn-sip call-timeout (5-300)$seconds",
	  VS "Time an outgoing call may stay unanswered before it is cancelled (default 30)\n"
	  "Seconds", cmd_call_timeout, 0 },
	{ "config", "no vpn-sip call-timeout [(5-300)]", NO "Unanswered call timeout\nSeconds",
	  cmd_call_timeout, 0 },
	{ "config", "vpn-sip max-call-duration (60-604800)$seconds",
	  VS "End every VPN-SIP call after this long (billing safety; default: no limit)\n"
	  "Seconds", cmd_max_call, 0 },
	{ "config", "no vpn-sip max-call-duration [(60-604800)]",
	  NO "Maximum call duration\nSeconds", cmd_max_call, 0 },
	{ "config", "vpn-sip trusted-source A.B.C.D$addr [A.B.C.D$mask]",
	  VS "Source besides the SIP server allowed to send SIP requests outside a dialog\n"
	  "Address (or network)\nMask (default 255.255.255.255)",
	  cmd_trusted_source, 0 },
	{ "config", "no vpn-sip trusted-source [A.B.C.D$addr [A.B.C.D$mask]]",
	  NO "Trusted source (every line without an address)\nAddress\nMask",
	  cmd_trusted_source, 0 },
	{ "config", "vpn-sip rate-limit <per-source|global>$scope (1-100000)$rate [burst (1-100000)$count]",
	  VS "Rate limit of SIP requests outside a dialog (over it: 503)\n"
	  "Each source (default 200/s, burst 2000)\nAll sources together (default 400/s, burst 4000)\n"
	  "Requests per second\nRequests allowed at once (default ten seconds' worth)\nRequests",
	  cmd_rate_limit, 0 },
	{ "config", "no vpn-sip rate-limit <per-source|global>$scope [LINE]",
	  NO "Rate limit of SIP requests outside a dialog\nEach source\nAll sources together\nAnything",
	  cmd_rate_limit, 0 },

	{ "config-if",
	  "vpn-sip local-number WORD$local remote-number WORD$remote bandwidth "
	  "(64-1000)$bw [service-policy WORD$policy]",
	  VS "Local SIP number of this tunnel\nThe local SIP number\n"
	  "SIP number of the peer behind this tunnel\nThe remote SIP number\n" BW
	  "Child policy of the VPN-SIP shaper\nPolicy-map name",
	  cmd_tunnel, 0 },
	/* The Cisco guide's older spelling; written back canonically. */
	{ "config-if",
	  "vpn-sip sip-local WORD$local sip-remote WORD$remote bandwidth "
	  "(64-1000)$bw [service-policy WORD$policy]",
	  VS "Local SIP number of this tunnel\nThe local SIP number\n"
	  "SIP number of the peer behind this tunnel\nThe remote SIP number\n" BW
	  "Child policy of the VPN-SIP shaper\nPolicy-map name",
	  cmd_tunnel, CLI_HIDDEN },
	{ "config-if", "no vpn-sip local-number [LINE]",
	  NO "Local SIP number of this tunnel\nAnything", cmd_tunnel, 0 },
	{ "config-if", "no vpn-sip sip-local [LINE]",
	  NO "Local SIP number of this tunnel\nAnything", cmd_tunnel, CLI_HIDDEN },
};

/* The SIP user agent's library, for "show version" (sip/ has no commands
 * of its own). */
static void add_sip_library_version(struct strbuf *out, void *arg)
{
	(void)arg;
	sb_printf(out, "%ssofia-sip %s", out->len ? ", " : "", sip_library_version());
}

void vpnsip_cli_init(void)
{
	sip_debug_register();
	vpnsip_debug_register();
	CLI_INSTALL(cfg_cmds);
	hook_register(show_version_library, add_sip_library_version, NULL, 20);
	hook_register(crypto_idle_time_missing, on_idle_time_missing, NULL, HOOK_PRIO_DEFAULT);
	config_section_register(450, "vpn-sip", write_global);
	iface_writer_register(190, write_tunnel);
	/* Last: a session it starts or ends acts on the tunnel's data plane,
	 * shaper and routes, which have followed the interface by then. */
	hook_register(iface_changed, on_iface_changed, NULL, HOOK_PRIO_LAST);
	hook_register(iface_deleted, on_iface_deleted, NULL, HOOK_PRIO_LAST);
	iface_guard_register(&guard);
	vpnsip_show_cli_init();
}
