/* Certificate maps ("crypto pki certificate map NAME SEQ"): the model's
 * commands and running-config lines, and the matching of a peer's
 * certificate against a map, on the main thread or (through a copy) in the
 * IKE engine's threads. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "crypto/pki_int.h"

#define MAP_NODE "ca-certificate-map"

/* ---- matching a certificate against a map ------------------------------------------------ */

/* "CN = orange" / "cn=orange" -> "cn=orange": lower case, no spaces around '='. */
static char *norm_name(const char *s)
{
	char *out = xmalloc(strlen(s) + 1), *o = out;

	for (; *s; s++) {
		if (*s == ' ' && (s[1] == '=' || s[1] == ' ' || (o > out && o[-1] == '=') ||
				  (o > out && o[-1] == ',')))
			continue;
		*o++ = (char)tolower((unsigned char)*s);
	}
	*o = '\0';
	return out;
}


static bool rule_holds(const struct pki_map_rule *r, const char *subject, const char *issuer)
{
	char *field = norm_name(r->field == PKI_MAP_SUBJECT_NAME ? subject : issuer);
	char *value = norm_name(r->value);
	bool eq = strcmp(field, value) == 0, co = strstr(field, value) != NULL, ok;

	switch (r->op) {
	case PKI_MAP_EQ: ok = eq; break;
	case PKI_MAP_NE: ok = !eq; break;
	case PKI_MAP_CO: ok = co; break;
	default: ok = !co; break;
	}
	free(field);
	free(value);
	return ok;
}

static bool map_match(const struct pki_cert_map *m, const uint8_t *der, size_t len)
{
	const unsigned char *p = der;
	X509 *x;
	bool ok = false;

	if (!m || !(x = d2i_X509(NULL, &p, (long)len)))
		return false;
	char *subject = pki_x509_name_text(X509_get_subject_name(x));
	char *issuer = pki_x509_name_text(X509_get_issuer_name(x));
	for (size_t i = 0; i < m->nentries && !ok; i++) {
		const struct pki_cert_map_entry *e = m->entries[i];
		ok = true;
		for (size_t k = 0; k < e->nrules && ok; k++)
			ok = rule_holds(&e->rules[k], subject, issuer);
	}
	free(subject);
	free(issuer);
	X509_free(x);
	return ok;
}

bool crypto_cert_map_match(const struct config *cfg, const char *map, const uint8_t *der,
			   size_t len)
{
	return map_match(crypto_cert_map_find(cfg, map), der, len);
}

struct pki_cert_map *crypto_cert_map_copy(const struct config *cfg, const char *map)
{
	const struct pki_cert_map *m = crypto_cert_map_find(cfg, map);
	struct pki_cert_map *c;

	if (!m)
		return NULL;
	c = xcalloc(1, sizeof(*c));
	c->name = xstrdup(m->name);
	c->entries = xcalloc(m->nentries ? m->nentries : 1, sizeof(*c->entries));
	c->nentries = c->capentries = m->nentries;
	for (size_t i = 0; i < m->nentries; i++) {
		const struct pki_cert_map_entry *e = m->entries[i];
		struct pki_cert_map_entry *ce = xcalloc(1, sizeof(*ce));
		ce->seq = e->seq;
		ce->rules = xcalloc(e->nrules ? e->nrules : 1, sizeof(*ce->rules));
		ce->nrules = ce->caprules = e->nrules;
		for (size_t k = 0; k < e->nrules; k++) {
			ce->rules[k] = e->rules[k];
			ce->rules[k].value = xstrdup(e->rules[k].value);
		}
		c->entries[i] = ce;
	}
	return c;
}

bool crypto_cert_map_copy_match(const struct pki_cert_map *m, const uint8_t *der, size_t len)
{
	return map_match(m, der, len);
}

void crypto_cert_map_copy_free(struct pki_cert_map *m)
{
	if (!m)
		return;
	for (size_t i = 0; i < m->nentries; i++)
		cert_map_entry_free(m->entries[i]);
	free(m->entries);
	free(m->name);
	free(m);
}

/* ---- the map commands ------------------------------------------------------------------------ */

static int entry_cmp(const void *a, const void *b)
{
	const struct pki_cert_map_entry *x = *(const struct pki_cert_map_entry *const *)a;
	const struct pki_cert_map_entry *y = *(const struct pki_cert_map_entry *const *)b;
	return x->seq < y->seq ? -1 : x->seq > y->seq;
}

static int cmd_cert_map(struct cli_exec *x)
{
	struct crypto_cfg *c = crypto_model_x(x);
	const char *name = cli_arg(x, "name");
	unsigned seq = (unsigned)cli_arg_long(x, "seq", 0);
	struct pki_cert_map *m = nl_get(&c->cert_maps, name);
	struct pki_cert_map_entry *e = NULL;
	size_t i;

	for (i = 0; m && i < m->nentries; i++)
		if (m->entries[i]->seq == seq) {
			e = m->entries[i];
			break;
		}
	if (x->is_no) {
		if (!m)
			return cli_error(x, "Certificate map %s does not exist", name);
		if (!cli_arg(x, "seq")) {
			crypto_free_object("cert-map", nl_del(&c->cert_maps, name));
			return pki_changed(x);
		}
		if (!e)
			return cli_error(x, "Certificate map %s %u does not exist", name, seq);
		cert_map_entry_free(e);
		memmove(&m->entries[i], &m->entries[i + 1], (m->nentries - i - 1) * sizeof(e));
		if (--m->nentries == 0)
			crypto_free_object("cert-map", nl_del(&c->cert_maps, name));
		return pki_changed(x);
	}
	if (!m) {
		m = xcalloc(1, sizeof(*m));
		m->name = xstrdup(name);
		nl_add(&c->cert_maps, name, m);
	}
	if (!e) {
		e = xcalloc(1, sizeof(*e));
		e->seq = seq;
		xgrow(&m->entries, &m->capentries, m->nentries + 1, sizeof(e));
		m->entries[m->nentries++] = e;
		qsort(m->entries, m->nentries, sizeof(e), entry_cmp);
		crypto_changed(cfg_of(x));
	}
	char *key = xasprintf("%s %u", name, seq);
	cli_enter(x, MAP_NODE, key);
	free(key);
	return CLI_OK;
}

static struct pki_cert_map_entry *cur_entry(struct cli_exec *x)
{
	const char *key = cli_key(x, MAP_NODE);
	char name[256];
	unsigned seq;
	struct pki_cert_map *m;

	if (key && sscanf(key, "%255s %u", name, &seq) == 2 &&
	    (m = nl_get(&crypto_model_x(x)->cert_maps, name)))
		for (size_t i = 0; i < m->nentries; i++)
			if (m->entries[i]->seq == seq)
				return m->entries[i];
	cli_error(x, "Certificate map %s no longer exists", key ? key : "?");
	return NULL;
}

static const char *const op_names[] = { "eq", "ne", "co", "nc" };

static int cmd_map_rule(struct cli_exec *x)
{
	struct pki_cert_map_entry *e = cur_entry(x);
	struct pki_map_rule r = { 0 };

	if (!e)
		return CLI_ERR_FAILED;
	r.field = cli_has(x, "subject-name") ? PKI_MAP_SUBJECT_NAME : PKI_MAP_ISSUER_NAME;
	for (size_t i = 0; i < ARRAY_SIZE(op_names); i++)
		if (strcmp(cli_arg(x, "op"), op_names[i]) == 0)
			r.op = (enum pki_map_op)i;
	r.value = (char *)cli_arg(x, "value");
	for (size_t i = 0; i < e->nrules; i++) {
		struct pki_map_rule *o = &e->rules[i];
		if (o->field == r.field && o->op == r.op && strcmp(o->value, r.value) == 0) {
			if (x->is_no) {
				free(o->value);
				memmove(o, o + 1, (e->nrules - i - 1) * sizeof(r));
				e->nrules--;
			}
			return pki_changed(x);
		}
	}
	if (x->is_no)
		return cli_error(x, "No such rule");
	r.value = xstrdup(r.value);
	xgrow(&e->rules, &e->caprules, e->nrules + 1, sizeof(r));
	e->rules[e->nrules++] = r;
	return pki_changed(x);
}


void pki_cert_maps_write(const struct crypto_cfg *c, struct strbuf *out)
{
	for (size_t i = 0; c && i < c->cert_maps.n; i++) {
		const struct pki_cert_map *m = c->cert_maps.v[i];
		for (size_t k = 0; k < m->nentries; k++) {
			const struct pki_cert_map_entry *e = m->entries[k];
			sb_printf(out, "crypto pki certificate map %s %u\n", m->name, e->seq);
			for (size_t r = 0; r < e->nrules; r++)
				sb_printf(out, " %s %s %s\n",
					  e->rules[r].field == PKI_MAP_SUBJECT_NAME ? "subject-name"
										   : "issuer-name",
					  op_names[e->rules[r].op], e->rules[r].value);
			sb_puts(out, "!\n");
		}
	}
}

static const struct cli_cmd cert_map_cmds[] = {
	{ "config", "crypto pki certificate map WORD$name (1-65535)$seq",
	  "\n\nActions on certificates\nCertificate map\nCertificate map tag\nSequence to insert to map",
	  cmd_cert_map, 0 },
	{ "config", "no crypto pki certificate map WORD$name [(1-65535)$seq]", NO_HELP, cmd_cert_map, 0 },
	{ MAP_NODE, "<subject-name|issuer-name> <eq|ne|co|nc>$op LINE$value",
	  "Subject name\nIssuer name\nequal\nnot equal\ncontains\ndoes not contain\nValue",
	  cmd_map_rule, 0 },
	{ MAP_NODE, "no <subject-name|issuer-name> <eq|ne|co|nc>$op LINE$value", NO_HELP, cmd_map_rule, 0 },
};

void pki_cert_map_cmds_init(void)
{
	cli_node_register(MAP_NODE, "(ca-certificate-map)#", "config");
	CLI_INSTALL(cert_map_cmds);
}
