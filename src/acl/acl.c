/* IPv4 access lists: see acl.h. */
#include "acl/acl.h"

#include <arpa/inet.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "config/config.h"
#include "util/hashmap.h"
#include "util/xalloc.h"

HOOK_DEFINE(acl_changed);

static void acl_free(struct acl *a);

/* The access lists of one configuration. */
struct acl_model {
	struct hashmap lists; /* name -> acl */
};

static void acl_model_free(void *ext)
{
	struct acl_model *m = ext;

	for (struct hashmap_entry *e = NULL; (e = hashmap_next(&m->lists, e));)
		acl_free(e->value);
	hashmap_clear(&m->lists);
	free(m);
}

static void acl_model_init(void *ext)
{
	struct acl_model *m = ext;

	hashmap_init(&m->lists, false);
}

const struct config_ext_type acl_ext = { "access-list", acl_model_free, acl_model_init };

static struct hashmap *lists_rw(struct config *cfg)
{
	struct acl_model *m = config_ext_get_or_create(cfg, &acl_ext, sizeof(*m));

	return &m->lists;
}

/* NULL while the configuration has no list. */
static struct hashmap *lists_of(const struct config *cfg)
{
	struct acl_model *m = config_ext_get(cfg, &acl_ext);

	return m ? &m->lists : NULL;
}

const struct acl *acl_find(const struct config *cfg, const char *name)
{
	struct hashmap *lists = lists_of(cfg);

	return lists && name ? hashmap_get(lists, name) : NULL;
}

static void changed(const char *name)
{
	hook_call(acl_changed, name);
}

static bool is_standard_number(long n)
{
	return (n >= 1 && n <= 99) || (n >= 1300 && n <= 1999);
}

static bool is_extended_number(long n)
{
	return (n >= 100 && n <= 199) || (n >= 2000 && n <= 2699);
}

static void entry_free(struct acl_entry *e)
{
	free(e->text);
}

static void acl_free(struct acl *a)
{
	for (size_t i = 0; i < a->n; i++)
		entry_free(&a->v[i]);
	free(a->v);
	free(a->name);
	free(a);
}

static struct acl *acl_get_or_create(struct hashmap *lists, const char *name, bool extended,
				      bool numbered)
{
	struct acl *a = hashmap_get(lists, name);

	if (a)
		return a;
	a = xcalloc(1, sizeof(*a));
	a->name = xstrdup(name);
	a->extended = extended;
	a->numbered = numbered;
	hashmap_put(lists, name, a);
	return a;
}

/* Insert keeping sequence order; seq 0: after the last one (+10). */
static void acl_insert(struct acl *a, struct acl_entry *e)
{
	size_t i;

	if (!e->seq)
		e->seq = (a->n ? a->v[a->n - 1].seq : 0) + 10;
	for (i = 0; i < a->n; i++) {
		if (a->v[i].seq == e->seq) { /* replace */
			entry_free(&a->v[i]);
			a->v[i] = *e;
			return;
		}
		if (a->v[i].seq > e->seq)
			break;
	}
	xgrow(&a->v, &a->cap, a->n + 1, sizeof(*a->v));
	memmove(&a->v[i + 1], &a->v[i], (a->n - i) * sizeof(*a->v));
	a->v[i] = *e;
	a->n++;
}

static bool same_entry(const struct acl_entry *x, const struct acl_entry *y)
{
	return x->permit == y->permit && x->remark == y->remark && x->proto == y->proto &&
	       x->src.addr.s_addr == y->src.addr.s_addr && x->src.wild.s_addr == y->src.wild.s_addr &&
	       x->dst.addr.s_addr == y->dst.addr.s_addr && x->dst.wild.s_addr == y->dst.wild.s_addr &&
	       x->sop == y->sop && x->dop == y->dop && memcmp(x->sport, y->sport, sizeof(x->sport)) == 0 &&
	       memcmp(x->dport, y->dport, sizeof(x->dport)) == 0 &&
	       (!x->remark || strcmp(x->text, y->text) == 0);
}

/* ---- parsing the matched arguments ------------------------------------------ */

static void parse_addr(struct cli_exec *x, char p, struct acl_addr *a)
{
	char any[8], host[8], addr[8], wild[8];

	snprintf(any, sizeof(any), "%cany", p);
	snprintf(host, sizeof(host), "%chost", p);
	snprintf(addr, sizeof(addr), "%caddr", p);
	snprintf(wild, sizeof(wild), "%cwild", p);
	memset(a, 0, sizeof(*a));
	if (cli_has(x, any)) {
		a->wild.s_addr = INADDR_BROADCAST;
	} else if (cli_arg(x, host)) {
		inet_pton(AF_INET, cli_arg(x, host), &a->addr);
	} else if (cli_arg(x, addr)) {
		inet_pton(AF_INET, cli_arg(x, addr), &a->addr);
		if (cli_arg(x, wild))
			inet_pton(AF_INET, cli_arg(x, wild), &a->wild);
	}
	a->addr.s_addr &= ~a->wild.s_addr;
}

static void parse_ports(struct cli_exec *x, char p, enum acl_portop *op, uint16_t port[2])
{
	char opn[8], p1[8], p2[8];

	snprintf(opn, sizeof(opn), "%cop", p);
	snprintf(p1, sizeof(p1), "%cp1", p);
	snprintf(p2, sizeof(p2), "%cp2", p);
	const char *o = cli_opt(x, opn); /* tcp and udp entries only */
	*op = !o ? PORT_ANY : !strcmp(o, "eq") ? PORT_EQ : !strcmp(o, "neq") ? PORT_NEQ :
	      !strcmp(o, "lt") ? PORT_LT : !strcmp(o, "gt") ? PORT_GT : PORT_RANGE;
	port[0] = (uint16_t)cli_arg_long(x, p1, 0);
	port[1] = (uint16_t)cli_arg_long(x, p2, 0);
}

/* The entry of any of the entry commands (numbered, named, remark); the
 * caller sets its sequence number. */
static int parse_entry(struct cli_exec *x, bool extended, struct acl_entry *e)
{
	memset(e, 0, sizeof(*e));
	if (cli_opt(x, "text")) {
		e->remark = true;
		e->text = xstrdup(cli_arg(x, "text"));
		return CLI_OK;
	}
	e->permit = strcmp(cli_arg(x, "action"), "permit") == 0;
	const char *proto = cli_opt(x, "proto"); /* extended syntaxes only */
	if (!extended && proto)
		return cli_error(x, "A standard access list matches source addresses only");
	if (extended && !proto)
		return cli_error(x, "An extended access list needs a protocol (ip, tcp, udp, icmp, 0-255)");
	e->proto = !proto || !strcmp(proto, "ip") ? -1 : !strcmp(proto, "tcp") ? 6 :
		   !strcmp(proto, "udp") ? 17 : !strcmp(proto, "icmp") ? 1 : atoi(proto);
	parse_addr(x, 's', &e->src);
	if (extended) {
		parse_addr(x, 'd', &e->dst);
		parse_ports(x, 's', &e->sop, e->sport);
		parse_ports(x, 'd', &e->dop, e->dport);
		if ((e->sop == PORT_RANGE && e->sport[0] > e->sport[1]) ||
		    (e->dop == PORT_RANGE && e->dport[0] > e->dport[1]))
			return cli_error(x, "Invalid port range");
	} else {
		e->dst.wild.s_addr = INADDR_BROADCAST;
	}
	return CLI_OK;
}

/* ---- numbered lists ------------------------------------------------------------ */

static int cmd_access_list(struct cli_exec *x)
{
	const char *num = cli_arg(x, "num");
	long n = cli_arg_long(x, "num", 0);
	struct hashmap *lists = lists_rw(cfg_of(x));
	struct acl_entry e;

	if (x->is_no) {
		struct acl *a = hashmap_del(lists, num);
		if (a) {
			acl_free(a);
			changed(num);
		}
		return CLI_OK;
	}
	bool ext = is_extended_number(n);
	if (!ext && !is_standard_number(n))
		return cli_error(x, "Access list %ld: numbers are 1-99 and 1300-1999 (standard), "
				    "100-199 and 2000-2699 (extended)", n);
	if (parse_entry(x, ext, &e) != CLI_OK)
		return CLI_ERR_FAILED;
	struct acl *a = acl_get_or_create(lists, num, ext, true);
	for (size_t i = 0; i < a->n; i++)
		if (same_entry(&a->v[i], &e)) {
			entry_free(&e);
			return CLI_OK; /* IOS: a duplicate line is not added */
		}
	acl_insert(a, &e);
	changed(num);
	return CLI_OK;
}

/* ---- named lists ----------------------------------------------------------------- */

static int cmd_ip_access_list(struct cli_exec *x)
{
	const char *name = cli_arg(x, "aclname");
	bool ext = strcmp(cli_arg(x, "kind"), "extended") == 0;
	struct hashmap *lists = lists_rw(cfg_of(x));
	struct acl *a;

	a = hashmap_get(lists, name);
	if (x->is_no) {
		if (!a)
			return cli_error(x, "Access list %s does not exist", name);
		hashmap_del(lists, name);
		acl_free(a);
		changed(name);
		return CLI_OK;
	}
	if (a && a->extended != ext)
		return cli_error(x, "%s is an %s access list", name, a->extended ? "extended" : "standard");
	long n = strtol(name, NULL, 10);
	if (n && ((ext && is_standard_number(n)) || (!ext && is_extended_number(n))))
		return cli_error(x, "Access list number %ld is reserved for %s lists", n,
				 ext ? "standard" : "extended");
	a = acl_get_or_create(lists, name, ext, false);
	cli_enter(x, ext ? "config-ext-nacl" : "config-std-nacl", name);
	return CLI_OK;
}

static struct acl *current_named(struct cli_exec *x)
{
	const char *name = cli_key(x, "config-ext-nacl");

	if (!name)
		name = cli_key(x, "config-std-nacl");
	struct hashmap *lists = lists_of(cfg_of(x));
	struct acl *a = name && lists ? hashmap_get(lists, name) : NULL;
	if (!a)
		cli_error(x, "Access list %s no longer exists", name ? name : "?");
	return a;
}

static int cmd_nacl_entry(struct cli_exec *x)
{
	struct acl *a = current_named(x);
	struct acl_entry e;

	if (!a)
		return CLI_ERR_FAILED;
	if (x->is_no) {
		unsigned seq = (unsigned)cli_arg_long(x, "seq", 0);
		struct acl_entry want;
		bool by_seq = seq && !cli_opt(x, "action") && !cli_opt(x, "text");
		if (!by_seq && parse_entry(x, a->extended, &want) != CLI_OK)
			return CLI_ERR_FAILED;
		for (size_t i = 0; i < a->n; i++) {
			if (by_seq ? a->v[i].seq == seq : same_entry(&a->v[i], &want)) {
				entry_free(&a->v[i]);
				memmove(&a->v[i], &a->v[i + 1], (a->n - i - 1) * sizeof(*a->v));
				a->n--;
				break;
			}
		}
		if (!by_seq)
			entry_free(&want);
		changed(a->name);
		return CLI_OK;
	}
	if (parse_entry(x, a->extended, &e) != CLI_OK)
		return CLI_ERR_FAILED;
	e.seq = (unsigned)cli_arg_long(x, "seq", 0);
	for (size_t i = 0; i < a->n; i++)
		if (same_entry(&a->v[i], &e) && (!e.seq || e.seq == a->v[i].seq)) {
			entry_free(&e);
			return CLI_OK;
		}
	acl_insert(a, &e);
	changed(a->name);
	return CLI_OK;
}

/* ---- text forms --------------------------------------------------------------------- */

static bool wild_len(struct in_addr wild, unsigned *len)
{
	struct in_addr mask = { ~wild.s_addr };

	return ipv4_mask_to_len(mask, len);
}

static void addr_text(const struct acl_addr *a, bool standard, struct strbuf *out)
{
	char s[INET_ADDRSTRLEN], w[INET_ADDRSTRLEN];

	if (a->wild.s_addr == INADDR_BROADCAST)
		sb_puts(out, " any");
	else if (a->wild.s_addr == 0)
		sb_printf(out, standard ? " %s" : " host %s", inet_ntop(AF_INET, &a->addr, s, sizeof(s)));
	else
		sb_printf(out, " %s %s", inet_ntop(AF_INET, &a->addr, s, sizeof(s)),
			  inet_ntop(AF_INET, &a->wild, w, sizeof(w)));
}

static void ports_text(enum acl_portop op, const uint16_t p[2], struct strbuf *out)
{
	static const char *const names[] = { "", "eq", "neq", "lt", "gt", "range" };

	if (op == PORT_ANY)
		return;
	sb_printf(out, " %s %u", names[op], p[0]);
	if (op == PORT_RANGE)
		sb_printf(out, " %u", p[1]);
}

static void proto_text(int proto, struct strbuf *out)
{
	switch (proto) {
	case -1: sb_puts(out, " ip"); break;
	case 1: sb_puts(out, " icmp"); break;
	case 6: sb_puts(out, " tcp"); break;
	case 17: sb_puts(out, " udp"); break;
	default: sb_printf(out, " %d", proto);
	}
}

static void entry_text(const struct acl *a, const struct acl_entry *e, struct strbuf *out)
{
	if (e->remark) {
		sb_printf(out, "remark %s", e->text);
		return;
	}
	sb_puts(out, e->permit ? "permit" : "deny");
	if (a->extended) {
		proto_text(e->proto, out);
		addr_text(&e->src, false, out);
		ports_text(e->sop, e->sport, out);
		addr_text(&e->dst, false, out);
		ports_text(e->dop, e->dport, out);
	} else {
		addr_text(&e->src, true, out);
	}
}

static void nft_addr(const char *dir, const struct acl_addr *a, struct strbuf *out)
{
	char s[INET_ADDRSTRLEN], m[INET_ADDRSTRLEN];
	unsigned len;

	if (a->wild.s_addr == INADDR_BROADCAST)
		return;
	if (wild_len(a->wild, &len)) {
		if (len == 32)
			sb_printf(out, " ip %s %s", dir, inet_ntop(AF_INET, &a->addr, s, sizeof(s)));
		else
			sb_printf(out, " ip %s %s/%u", dir, inet_ntop(AF_INET, &a->addr, s, sizeof(s)), len);
		return;
	}
	struct in_addr mask = { ~a->wild.s_addr };
	sb_printf(out, " ip %s & %s == %s", dir, inet_ntop(AF_INET, &mask, m, sizeof(m)),
		  inet_ntop(AF_INET, &a->addr, s, sizeof(s)));
}

static void nft_ports(const char *l4, const char *dir, enum acl_portop op, const uint16_t p[2],
		      struct strbuf *out)
{
	switch (op) {
	case PORT_ANY: return;
	case PORT_EQ: sb_printf(out, " %s %s %u", l4, dir, p[0]); return;
	case PORT_NEQ: sb_printf(out, " %s %s != %u", l4, dir, p[0]); return;
	case PORT_LT: sb_printf(out, " %s %s < %u", l4, dir, p[0]); return;
	case PORT_GT: sb_printf(out, " %s %s > %u", l4, dir, p[0]); return;
	case PORT_RANGE: sb_printf(out, " %s %s %u-%u", l4, dir, p[0], p[1]); return;
	}
}

void acl_entry_nft(const struct acl_entry *e, struct strbuf *out)
{
	nft_addr("saddr", &e->src, out);
	nft_addr("daddr", &e->dst, out);
	if (e->proto >= 0)
		sb_printf(out, " meta l4proto %d", e->proto);
	const char *l4 = e->proto == 6 ? "tcp" : e->proto == 17 ? "udp" : NULL;
	if (l4) {
		nft_ports(l4, "sport", e->sop, e->sport, out);
		nft_ports(l4, "dport", e->dop, e->dport, out);
	}
}

static bool addr_matches(const struct acl_addr *a, uint32_t addr_be)
{
	return ((addr_be ^ a->addr.s_addr) & ~a->wild.s_addr) == 0;
}

static bool port_matches(enum acl_portop op, const uint16_t p[2], uint16_t port)
{
	switch (op) {
	case PORT_ANY: return true;
	case PORT_EQ: return port == p[0];
	case PORT_NEQ: return port != p[0];
	case PORT_LT: return port < p[0];
	case PORT_GT: return port > p[0];
	case PORT_RANGE: return port >= p[0] && port <= p[1];
	}
	return false;
}

static bool entry_matches(const struct acl_entry *e, const uint8_t *pkt, size_t len)
{
	uint32_t src, dst;
	unsigned proto = pkt[9], ihl = (pkt[0] & 0x0f) * 4u;

	memcpy(&src, pkt + 12, 4);
	memcpy(&dst, pkt + 16, 4);
	if (!addr_matches(&e->src, src) || !addr_matches(&e->dst, dst))
		return false;
	if (e->proto >= 0 && (unsigned)e->proto != proto)
		return false;
	if (e->sop == PORT_ANY && e->dop == PORT_ANY)
		return true;
	/* ports: TCP or UDP, the first fragment (offset 0) with its header */
	bool first = (((unsigned)pkt[6] << 8 | pkt[7]) & 0x1fff) == 0;
	if ((proto != 6 && proto != 17) || !first || ihl < 20 || len < ihl + 4u)
		return false;
	uint16_t sport = (uint16_t)(pkt[ihl] << 8 | pkt[ihl + 1]);
	uint16_t dport = (uint16_t)(pkt[ihl + 2] << 8 | pkt[ihl + 3]);
	return port_matches(e->sop, e->sport, sport) && port_matches(e->dop, e->dport, dport);
}

bool acl_permits(const struct acl *a, const uint8_t *pkt, size_t len)
{
	if (!a || len < 20 || pkt[0] >> 4 != 4)
		return false;
	for (size_t i = 0; i < a->n; i++)
		if (!a->v[i].remark && entry_matches(&a->v[i], pkt, len))
			return a->v[i].permit;
	return false;
}

struct acl *acl_dup(const struct acl *a)
{
	struct acl *c = xcalloc(1, sizeof(*c));

	c->name = xstrdup(a->name);
	c->extended = a->extended;
	c->numbered = a->numbered;
	c->v = xcalloc(a->n ? a->n : 1, sizeof(*c->v));
	c->cap = a->n ? a->n : 1;
	for (size_t i = 0; i < a->n; i++) {
		c->v[i] = a->v[i];
		c->v[i].text = a->v[i].text ? xstrdup(a->v[i].text) : NULL;
	}
	c->n = a->n;
	return c;
}

void acl_release(struct acl *a)
{
	if (a)
		acl_free(a);
}

/* ---- running-config and show ------------------------------------------------------- */

static int acl_cmp(const void *x, const void *y)
{
	const struct acl *a = *(struct acl *const *)x, *b = *(struct acl *const *)y;
	long na = a->numbered ? strtol(a->name, NULL, 10) : 0, nb = b->numbered ? strtol(b->name, NULL, 10) : 0;

	if (na != nb)
		return na < nb ? -1 : 1;
	return strcmp(a->name, b->name);
}

static struct acl **sorted(const struct config *cfg, size_t *n)
{
	struct hashmap *lists = lists_of(cfg);
	struct acl **v;

	if (!lists) {
		*n = 0;
		return NULL;
	}
	v = (struct acl **)hashmap_values(lists, n);
	if (*n)
		qsort(v, *n, sizeof(*v), acl_cmp);
	return v;
}

static void write_named(const struct config *cfg, struct strbuf *out)
{
	size_t n;
	struct acl **v = sorted(cfg, &n);

	for (size_t i = 0; i < n; i++) {
		if (v[i]->numbered)
			continue;
		sb_printf(out, "ip access-list %s %s\n", v[i]->extended ? "extended" : "standard", v[i]->name);
		for (size_t j = 0; j < v[i]->n; j++) {
			sb_printf(out, " %u ", v[i]->v[j].seq);
			entry_text(v[i], &v[i]->v[j], out);
			sb_putc(out, '\n');
		}
	}
	free(v);
}

static void write_numbered(const struct config *cfg, struct strbuf *out)
{
	size_t n;
	struct acl **v = sorted(cfg, &n);

	for (size_t i = 0; i < n; i++) {
		if (!v[i]->numbered)
			continue;
		for (size_t j = 0; j < v[i]->n; j++) {
			sb_printf(out, "access-list %s ", v[i]->name);
			entry_text(v[i], &v[i]->v[j], out);
			sb_putc(out, '\n');
		}
	}
	free(v);
}

static int cmd_show_acl(struct cli_exec *x)
{
	const char *only = cli_arg(x, "aclname");
	size_t n;
	struct acl **v = sorted(cfg_of(x), &n);
	struct strbuf line = STRBUF_INIT;

	for (size_t i = 0; i < n; i++) {
		const struct acl *a = v[i];
		if (only && strcmp(only, a->name) != 0)
			continue;
		cli_out(x, "%s IP access list %s\n", a->extended ? "Extended" : "Standard", a->name);
		for (size_t j = 0; j < a->n; j++) {
			if (a->v[j].remark)
				continue;
			sb_reset(&line);
			entry_text(a, &a->v[j], &line);
			cli_out(x, "    %u %s\n", a->v[j].seq, sb_str(&line));
		}
	}
	sb_free(&line);
	free(v);
	return CLI_OK;
}

#define NO "Negate a command or set its defaults"
#define SRC_STD "<any$sany|host$sh A.B.C.D$shost|A.B.C.D$saddr [A.B.C.D$swild]>"
#define SRC_STD_HELP "Any source host\nA single host address\nAddress to match\n" \
		     "Address to match\nWildcard bits"
#define SRC "<any$sany|host$sh A.B.C.D$shost|A.B.C.D$saddr A.B.C.D$swild>"
#define SRC_HELP "Any source host\nA single source host\nSource address\nSource address\n" \
		 "Source wildcard bits"
#define DST "<any$dany|host$dh A.B.C.D$dhost|A.B.C.D$daddr A.B.C.D$dwild>"
#define DST_HELP "Any destination host\nA single destination host\nDestination address\n" \
		 "Destination address\nDestination wildcard bits"
#define SPORT "[<<eq|neq|lt|gt>$sop (0-65535)$sp1|range$sop (0-65535)$sp1 (0-65535)$sp2>]"
#define DPORT "[<<eq|neq|lt|gt>$dop (0-65535)$dp1|range$dop (0-65535)$dp1 (0-65535)$dp2>]"
#define PORT_HELP "Match only packets on a given port number\nMatch only packets not on a given port number\n" \
		  "Match only packets with a lower port number\nMatch only packets with a greater port number\n" \
		  "Port number\nMatch only packets in the range of port numbers\nPort number\nPort number"
#define ACTION "<permit|deny>$action"
#define ACTION_HELP "Specify packets to forward\nSpecify packets to reject"
#define PROTO_L4 "<tcp|udp>$proto"
#define PROTO_L4_HELP "Transmission Control Protocol\nUser Datagram Protocol"
#define PROTO_L3 "<ip|icmp|(0-255)>$proto"
#define PROTO_L3_HELP "Any Internet Protocol\nInternet Control Message Protocol\nAn IP protocol number"
#define AL "access-list (1-2699)$num "
#define AL_HELP "Add an access list entry\nIP access list number (standard 1-99, 1300-1999; " \
		"extended 100-199, 2000-2699)\n"

static const struct cli_cmd acl_cmds[] = {
	{ "config", AL ACTION " " SRC_STD, AL_HELP ACTION_HELP "\n" SRC_STD_HELP, cmd_access_list, 0 },
	{ "config", AL ACTION " " PROTO_L4 " " SRC " " SPORT " " DST " " DPORT,
	  AL_HELP ACTION_HELP "\n" PROTO_L4_HELP "\n" SRC_HELP "\n" PORT_HELP "\n" DST_HELP "\n" PORT_HELP,
	  cmd_access_list, 0 },
	{ "config", AL ACTION " " PROTO_L3 " " SRC " " DST,
	  AL_HELP ACTION_HELP "\n" PROTO_L3_HELP "\n" SRC_HELP "\n" DST_HELP, cmd_access_list, 0 },
	{ "config", AL "remark LINE$text", AL_HELP "Access list entry comment\nComment up to 100 characters",
	  cmd_access_list, 0 },
	{ "config", "no " AL "[LINE]", NO "\n\n\nIgnored: the whole list is removed", cmd_access_list, 0 },
	{ "config", "ip access-list <standard|extended>$kind WORD$aclname",
	  "Global IP configuration subcommands\nNamed access list\nStandard Access List\n"
	  "Extended Access List\nAccess list name", cmd_ip_access_list, 0 },
	{ "config", "no ip access-list <standard|extended>$kind WORD$aclname", NO, cmd_ip_access_list, 0 },
	{ "config-std-nacl", "[(1-2147483647)$seq] " ACTION " " SRC_STD,
	  "Sequence Number\n" ACTION_HELP "\n" SRC_STD_HELP, cmd_nacl_entry, 0 },
	{ "config-std-nacl", "[(1-2147483647)$seq] remark LINE$text",
	  "Sequence Number\nAccess list entry comment\nComment up to 100 characters", cmd_nacl_entry, 0 },
	{ "config-std-nacl", "no (1-2147483647)$seq", NO "\nSequence Number", cmd_nacl_entry, 0 },
	{ "config-std-nacl", "no " ACTION " " SRC_STD, NO, cmd_nacl_entry, 0 },
	{ "config-ext-nacl", "[(1-2147483647)$seq] " ACTION " " PROTO_L4 " " SRC " " SPORT " " DST " " DPORT,
	  "Sequence Number\n" ACTION_HELP "\n" PROTO_L4_HELP "\n" SRC_HELP "\n" PORT_HELP "\n" DST_HELP
	  "\n" PORT_HELP, cmd_nacl_entry, 0 },
	{ "config-ext-nacl", "[(1-2147483647)$seq] " ACTION " " PROTO_L3 " " SRC " " DST,
	  "Sequence Number\n" ACTION_HELP "\n" PROTO_L3_HELP "\n" SRC_HELP "\n" DST_HELP, cmd_nacl_entry, 0 },
	{ "config-ext-nacl", "[(1-2147483647)$seq] remark LINE$text",
	  "Sequence Number\nAccess list entry comment\nComment up to 100 characters", cmd_nacl_entry, 0 },
	{ "config-ext-nacl", "no (1-2147483647)$seq", NO "\nSequence Number", cmd_nacl_entry, 0 },
	{ "config-ext-nacl", "no " ACTION " " PROTO_L4 " " SRC " " SPORT " " DST " " DPORT, NO, cmd_nacl_entry, 0 },
	{ "config-ext-nacl", "no " ACTION " " PROTO_L3 " " SRC " " DST, NO, cmd_nacl_entry, 0 },
	{ "exec", "show access-lists [WORD$aclname]",
	  "Show running system information\nList access lists\nAccess list name or number", cmd_show_acl, 0 },
	{ "exec", "show ip access-lists [WORD$aclname]",
	  "\nIP information\nList IP access lists\nAccess list name or number", cmd_show_acl, 0 },
};

void acl_cli_init(void)
{
	cli_node_register("config-std-nacl", "(config-std-nacl)#", "config");
	cli_node_register("config-ext-nacl", "(config-ext-nacl)#", "config");
	CLI_INSTALL(acl_cmds);
	config_section_register(650, "ip access-list", write_named);
	config_section_register(720, "access-list", write_numbered);
}
