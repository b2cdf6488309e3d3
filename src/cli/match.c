/* Matching typed words against a mode's trie.
 *
 * At each position only the best class of match goes on (a spelled-out
 * keyword beats an abbreviation, which beats a typed variable, which beats a
 * free WORD), as IOS does; two different abbreviations at the best class
 * make the input ambiguous (an abbreviation of a keyword only hidden
 * commands use ranks below a visible one).  Several surviving paths are
 * followed depth first, and the deepest error wins, so the caret lands where
 * the input really stopped making sense. */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli_int.h"

#define CONSUMED_INCOMPLETE SIZE_MAX

size_t split_words(const char *line, struct word **out)
{
	size_t n = 0, cap = 0;
	struct word *w = NULL;
	const char *p = line;

	for (;;) {
		while (*p == ' ' || *p == '\t' || *p == '\r' || *p == '\n')
			p++;
		if (!*p)
			break;
		const char *start = p;
		while (*p && *p != ' ' && *p != '\t' && *p != '\r' && *p != '\n')
			p++;
		xgrow(&w, &cap, n + 1, sizeof(*w));
		w[n++] = (struct word){ start, (size_t)(p - start), (size_t)(start - line) };
	}
	*out = w;
	return n;
}

static bool parse_long(const char *s, size_t len, long *v)
{
	char buf[24], *end;

	if (!len || len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	if (!isdigit((unsigned char)buf[0]) && !(buf[0] == '-' && isdigit((unsigned char)buf[1])))
		return false;
	errno = 0;
	*v = strtol(buf, &end, 10);
	return !errno && *end == '\0';
}

static bool valid_addr(int af, const char *s, size_t len, bool prefix)
{
	char buf[64];
	unsigned char bin[16];
	const char *slash;

	if (len >= sizeof(buf))
		return false;
	memcpy(buf, s, len);
	buf[len] = '\0';
	slash = strchr(buf, '/');
	if (prefix) {
		long m;
		if (!slash || !parse_long(slash + 1, strlen(slash + 1), &m) || m < 0 ||
		    m > (af == AF_INET ? 32 : 128))
			return false;
		buf[slash - buf] = '\0';
	} else if (slash) {
		return false;
	}
	return inet_pton(af, buf, bin) == 1;
}

enum match_class tok_match_word(const struct tnode *tn, const struct word *w, size_t nleft,
				size_t *consumed, char **value)
{
	long v;

	*consumed = 1;
	*value = NULL;
	switch (tn->type) {
	case TOK_KEYWORD: {
		size_t kl = strlen(tn->text);
		if (w->len > kl || strncasecmp(w->s, tn->text, w->len) != 0)
			return MC_NONE;
		*value = xstrdup(tn->text);
		return w->len == kl ? MC_EXACT : MC_PARTIAL;
	}
	case TOK_WORD:
		*value = xstrndup(w->s, w->len);
		return MC_WORD;
	case TOK_LINE:
		*consumed = nleft;
		*value = NULL; /* filled from the raw line by the caller */
		return MC_WORD;
	case TOK_IPV4:
	case TOK_IPV4_PREFIX:
		if (!valid_addr(AF_INET, w->s, w->len, tn->type == TOK_IPV4_PREFIX))
			return MC_NONE;
		*value = xstrndup(w->s, w->len);
		return MC_VAR;
	case TOK_IPV6:
	case TOK_IPV6_PREFIX:
		if (!valid_addr(AF_INET6, w->s, w->len, tn->type == TOK_IPV6_PREFIX))
			return MC_NONE;
		*value = xstrndup(w->s, w->len);
		return MC_VAR;
	case TOK_RANGE:
		if (!parse_long(w->s, w->len, &v) || v < tn->min || v > tn->max)
			return MC_NONE;
		*value = xstrndup(w->s, w->len);
		return MC_VAR;
	case TOK_IFNAME: {
		char *w1 = xstrndup(w->s, w->len);
		char *w2 = nleft > 1 ? xstrndup(w[1].s, w[1].len) : NULL;
		int used;
		char *canon = cli_ifname_canon(w1, w2, &used);
		free(w1);
		free(w2);
		if (used < 0) {
			*consumed = CONSUMED_INCOMPLETE;
			return MC_VAR;
		}
		if (!canon)
			return MC_NONE;
		*consumed = (size_t)used;
		*value = canon;
		return MC_VAR;
	}
	}
	return MC_NONE;
}

struct dfs {
	int priv;
	const struct word *w;
	size_t n;
	const char *line;
	bool want_ends;
	struct match_step *path;
	size_t depth, cap;
	struct match_result *r;
	size_t nfound;
	bool have_err;
};

static void record_error(struct dfs *d, enum cli_status st, size_t word, size_t extra)
{
	struct match_result *r = d->r;

	if (d->have_err && (word < r->bad_word || (word == r->bad_word && extra <= r->caret_extra)))
		return;
	d->have_err = true;
	r->bad_word = word;
	r->caret_extra = extra;
	if (r->leaf == NULL && d->nfound == 0)
		r->status = st;
}

static void record_found(struct dfs *d, struct tnode *tn)
{
	struct match_result *r = d->r;

	if (d->want_ends) {
		xgrow(&r->ends, &r->capends, r->nends + 1, sizeof(*r->ends));
		r->ends[r->nends++] = tn;
		d->nfound++;
		return;
	}
	if (d->nfound && r->leaf && r->leaf->cmd == tn->leaf->cmd)
		return; /* the same command reached along two spellings */
	d->nfound++;
	if (d->nfound > 1)
		return;
	r->leaf = tn->leaf;
	r->nsteps = d->depth;
	r->steps = xcalloc(d->depth + 1, sizeof(*r->steps));
	for (size_t i = 0; i < d->depth; i++) {
		r->steps[i] = d->path[i];
		r->steps[i].value = xstrdup(d->path[i].value);
	}
}

/* Longest prefix of the word that some visible keyword child shares: the
 * caret goes under the first character past it. */
static size_t common_prefix(const struct tnode *tn, int priv, const struct word *w)
{
	size_t best = 0;

	for (size_t i = 0; i < tn->nkids; i++) {
		const struct tnode *k = tn->kids[i];
		size_t j = 0;
		if (k->type != TOK_KEYWORD || k->min_priv > priv || k->all_hidden)
			continue;
		while (j < w->len && k->text[j] && tolower((unsigned char)w->s[j]) == k->text[j])
			j++;
		if (j > best)
			best = j;
	}
	return best;
}

struct cand {
	struct tnode *tn;
	size_t consumed;
	char *value;
};

static void visit(struct dfs *d, struct tnode *tn, size_t wi)
{
	struct cand *c = NULL;
	size_t nc = 0, capc = 0;
	enum match_class best = MC_NONE;
	size_t npartial_kw = 0;

	if (wi == d->n) {
		if (d->want_ends)
			record_found(d, tn);
		else if (tn->leaf && !((tn->leaf->cmd->flags & CLI_PRIV) && d->priv < 15))
			record_found(d, tn);
		else
			record_error(d, CLI_ERR_INCOMPLETE, d->n, 0);
		return;
	}
	for (size_t i = 0; i < tn->nkids; i++) {
		struct tnode *k = tn->kids[i];
		size_t used;
		char *val;
		enum match_class mc;
		if (k->min_priv > d->priv)
			continue;
		mc = tok_match_word(k, &d->w[wi], d->n - wi, &used, &val);
		/* Hidden commands (pasted IOS boilerplate, old spellings) never
		 * make an abbreviation of a visible command ambiguous. */
		if (mc == MC_PARTIAL && k->all_hidden)
			mc = MC_HIDDEN_PARTIAL;
		if (mc == MC_NONE || mc < best) {
			free(val);
			continue;
		}
		if (mc > best) {
			for (size_t j = 0; j < nc; j++)
				free(c[j].value);
			nc = 0;
			npartial_kw = 0;
			best = mc;
		}
		if (mc == MC_PARTIAL || mc == MC_HIDDEN_PARTIAL)
			npartial_kw++;
		xgrow(&c, &capc, nc + 1, sizeof(*c));
		c[nc++] = (struct cand){ k, used, val };
	}
	if (!nc) {
		record_error(d, CLI_ERR_INVALID, wi, common_prefix(tn, d->priv, &d->w[wi]));
	} else if ((best == MC_PARTIAL || best == MC_HIDDEN_PARTIAL) && npartial_kw > 1) {
		record_error(d, CLI_ERR_AMBIGUOUS, wi, d->w[wi].len);
	} else {
		for (size_t j = 0; j < nc; j++) {
			if (c[j].consumed == CONSUMED_INCOMPLETE) {
				/* "interface tunnel": the number is missing */
				record_error(d, CLI_ERR_INCOMPLETE, d->n, 0);
				continue;
			}
			if (c[j].tn->type == TOK_LINE) {
				const char *raw = d->line + d->w[wi].off;
				size_t len = strlen(raw);
				while (len && isspace((unsigned char)raw[len - 1]))
					len--;
				free(c[j].value);
				c[j].value = xstrndup(raw, len);
			}
			xgrow(&d->path, &d->cap, d->depth + 1, sizeof(*d->path));
			d->path[d->depth++] = (struct match_step){ c[j].tn, wi, c[j].consumed, c[j].value };
			visit(d, c[j].tn, wi + c[j].consumed);
			d->depth--;
		}
	}
	for (size_t j = 0; j < nc; j++)
		free(c[j].value);
	free(c);
}

void match_words(struct cli_node *node, int priv, const struct word *w, size_t nwords,
		 const char *line, bool want_ends, struct match_result *r)
{
	struct dfs d = { .priv = priv, .w = w, .n = nwords, .line = line, .want_ends = want_ends, .r = r };

	memset(r, 0, sizeof(*r));
	r->status = CLI_ERR_INVALID;
	visit(&d, &node->root, 0);
	if (d.nfound == 1 || (want_ends && d.nfound)) {
		r->status = CLI_OK;
	} else if (d.nfound > 1) {
		r->status = CLI_ERR_AMBIGUOUS;
		r->bad_word = 0;
	}
	free(d.path);
}

void match_result_free(struct match_result *r)
{
	for (size_t i = 0; i < r->nsteps; i++)
		free(r->steps[i].value);
	free(r->steps);
	free(r->ends);
	memset(r, 0, sizeof(*r));
}
