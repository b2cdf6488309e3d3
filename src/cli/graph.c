/* Modes and the per-mode command trie.  Every linear spelling of every
 * installed command is a path from the mode's root; shared prefixes are
 * shared nodes, so matching costs O(words x branching), independent of how
 * many commands exist. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/cli_int.h"

static struct cli_node *nodes;

struct planned {
	char *words;
	char *feature;
	unsigned flags;
	struct planned *next;
};
static struct planned *planned_list;

struct cli_node *cli_node_find(const char *name)
{
	for (struct cli_node *n = nodes; n; n = n->next)
		if (strcmp(n->name, name) == 0)
			return n;
	return NULL;
}

struct cli_node *cli_nodes(void)
{
	return nodes;
}

static void ensure_builtin_nodes(void)
{
	if (!nodes) {
		cli_node_register("exec", "", NULL);
		cli_node_register("config", "(config)#", "exec");
	}
}

void cli_node_register(const char *name, const char *prompt, const char *parent)
{
	struct cli_node *n;

	if (strcmp(name, "exec") != 0)
		ensure_builtin_nodes();
	if (cli_node_find(name))
		return;
	n = xcalloc(1, sizeof(*n));
	n->name = xstrdup(name);
	n->prompt = xstrdup(prompt);
	n->parent = parent ? cli_node_find(parent) : NULL;
	if (parent && !n->parent) {
		fprintf(stderr, "cli: mode %s: unknown parent %s\n", name, parent);
		abort();
	}
	n->root.min_priv = 99;
	n->root.all_hidden = true;
	n->next = nodes;
	nodes = n;
	cli_builtin_install(n);
}

static bool same_token(const struct tnode *tn, const struct tok *t)
{
	if (tn->type != t->type)
		return false;
	if (t->type == TOK_RANGE)
		return tn->min == t->min && tn->max == t->max;
	return strcmp(tn->text, t->text) == 0;
}

static struct tnode *child_for(struct tnode *parent, const struct tok *t)
{
	struct tnode *tn;

	for (size_t i = 0; i < parent->nkids; i++)
		if (same_token(parent->kids[i], t))
			return parent->kids[i];
	tn = xcalloc(1, sizeof(*tn));
	tn->type = t->type;
	tn->text = xstrdup(t->text);
	tn->min = t->min;
	tn->max = t->max;
	tn->help = xstrdup(t->help);
	tn->min_priv = 99;
	tn->all_hidden = true;
	/* Keep children sorted (keywords first, alphabetically) so that ? lists
	 * them the way IOS does. */
	xgrow(&parent->kids, &parent->capkids, parent->nkids + 1, sizeof(*parent->kids));
	size_t pos = parent->nkids;
	while (pos > 0) {
		struct tnode *prev = parent->kids[pos - 1];
		bool prev_kw = prev->type == TOK_KEYWORD, new_kw = tn->type == TOK_KEYWORD;
		if (prev_kw && !new_kw)
			break;
		if (prev_kw == new_kw && strcmp(prev->text, tn->text) <= 0)
			break;
		parent->kids[pos] = prev;
		pos--;
	}
	parent->kids[pos] = tn;
	parent->nkids++;
	return tn;
}

static void add_name(char ***names, size_t *n, size_t *cap, const char *name)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*names)[i], name) == 0)
			return;
	xgrow(names, cap, *n + 1, sizeof(**names));
	(*names)[(*n)++] = xstrdup(name);
}

static void install_one(const struct cli_cmd *c)
{
	struct cli_node *node;
	struct tokseq *seqs = NULL;
	char *err = NULL;
	int n;
	int priv = (c->flags & CLI_PRIV) ? 15 : 1;
	bool hidden = (c->flags & CLI_HIDDEN) != 0;

	ensure_builtin_nodes();
	node = cli_node_find(c->node);
	if (!node) {
		fprintf(stderr, "cli: '%s': unknown mode %s\n", c->syntax, c->node);
		abort();
	}
	n = syntax_expand(c->syntax, c->help, &seqs, &err);
	if (n < 0) {
		fprintf(stderr, "cli: '%s': %s\n", c->syntax, err);
		abort();
	}
	if (strncmp(c->syntax, "no ", 3) == 0)
		node->has_no = true;
	char **defined = NULL;
	size_t ndefined = 0, capdefined = 0;
	for (int i = 0; i < n; i++)
		for (size_t k = 0; k < seqs[i].n; k++)
			add_name(&defined, &ndefined, &capdefined, seqs[i].v[k].name);
	for (int i = 0; i < n; i++) {
		struct tnode *tn = &node->root;
		if (seqs[i].n == 0) {
			fprintf(stderr, "cli: '%s': an empty spelling\n", c->syntax);
			abort();
		}
		for (size_t k = 0; k < seqs[i].n; k++) {
			if (tn->type == TOK_LINE && tn != &node->root) {
				fprintf(stderr, "cli: '%s': LINE must be last\n", c->syntax);
				abort();
			}
			tn = child_for(tn, &seqs[i].v[k]);
			if (!tn->help[0] && seqs[i].v[k].help[0]) {
				free(tn->help);
				tn->help = xstrdup(seqs[i].v[k].help);
			}
		}
		for (size_t a = 0; a < seqs[i].n; a++)
			for (size_t b = a + 1; b < seqs[i].n; b++)
				if (strcmp(seqs[i].v[a].name, seqs[i].v[b].name) == 0 &&
				    strcmp(seqs[i].v[a].name, "no") != 0) {
					fprintf(stderr, "cli: '%s': two arguments named '%s'\n",
						c->syntax, seqs[i].v[a].name);
					abort();
				}
		if (tn->leaf) {
			if (tn->leaf->cmd == c)
				continue; /* [a|a]-style duplicates of the same command */
			fprintf(stderr, "cli: '%s' clashes with '%s' in mode %s\n", c->syntax,
				tn->leaf->cmd->syntax, node->name);
			abort();
		}
		tn->leaf = xcalloc(1, sizeof(*tn->leaf));
		tn->leaf->cmd = c;
		tn->leaf->ntok = seqs[i].n;
		tn->leaf->names = xcalloc(seqs[i].n, sizeof(char *));
		for (size_t k = 0; k < seqs[i].n; k++)
			tn->leaf->names[k] = xstrdup(seqs[i].v[k].name);
		tn->leaf->ndefined = ndefined;
		tn->leaf->defined = xcalloc(ndefined, sizeof(char *));
		for (size_t k = 0; k < ndefined; k++)
			tn->leaf->defined[k] = xstrdup(defined[k]);
		/* Propagate visibility up the path. */
		struct tnode *p = &node->root;
		for (size_t k = 0;; k++) {
			if (priv < p->min_priv)
				p->min_priv = priv;
			if (!hidden)
				p->all_hidden = false;
			if (k == seqs[i].n)
				break;
			p = child_for(p, &seqs[i].v[k]);
		}
	}
	for (size_t k = 0; k < ndefined; k++)
		free(defined[k]);
	free(defined);
	tokseq_free(seqs, n);
}

/* "no X" takes its help from "X" wherever its declaration left it out. */
static void fill_no_help(struct tnode *no_tn, const struct tnode *pos_tn)
{
	for (size_t i = 0; i < no_tn->nkids; i++) {
		struct tnode *k = no_tn->kids[i];
		for (size_t j = 0; j < pos_tn->nkids; j++) {
			const struct tnode *k2 = pos_tn->kids[j];
			if (k2->type != k->type || strcmp(k2->text, k->text) != 0)
				continue;
			if (!k->help[0] && k2->help[0]) {
				free(k->help);
				k->help = xstrdup(k2->help);
			}
			fill_no_help(k, k2);
		}
	}
}

unsigned cli_tree_generation;

void cli_install(const struct cli_cmd *cmds, size_t n)
{
	cli_tree_generation++;
	for (size_t i = 0; i < n; i++)
		install_one(&cmds[i]);
	for (struct cli_node *node = nodes; node; node = node->next)
		for (size_t i = 0; i < node->root.nkids; i++)
			if (node->root.kids[i]->type == TOK_KEYWORD &&
			    strcmp(node->root.kids[i]->text, "no") == 0)
				fill_no_help(node->root.kids[i], &node->root);
}

void cli_planned(const char *words, const char *feature, unsigned flags)
{
	struct planned *p = xcalloc(1, sizeof(*p));

	p->flags = flags;
	p->words = xstrdup(words);
	p->feature = xstrdup(feature);
	p->next = planned_list;
	planned_list = p;
}

/* The feature a line belongs to when its leading words name a planned
 * feature (full words, case-insensitive), else NULL. */
const char *cli_planned_match(const struct word *w, size_t nwords, unsigned *flags)
{
	const struct planned *best = NULL;
	size_t best_words = 0;

	/* The longest entry wins: "ip sla schedule" over "ip sla". */
	for (struct planned *p = planned_list; p; p = p->next) {
		const char *s = p->words;
		size_t i = 0;
		bool ok = true;
		while (*s && ok) {
			size_t len = strcspn(s, " ");
			ok = i < nwords && w[i].len == len && strncasecmp(w[i].s, s, len) == 0;
			s += len;
			s += strspn(s, " ");
			i++;
		}
		if (ok && i > best_words) {
			best = p;
			best_words = i;
		}
	}
	if (!best)
		return NULL;
	*flags = best->flags;
	return best->feature;
}

static size_t check_help_rec(const struct cli_node *node, const struct tnode *tn,
			     struct strbuf *path, struct strbuf *out)
{
	size_t missing = 0;

	for (size_t i = 0; i < tn->nkids; i++) {
		const struct tnode *k = tn->kids[i];
		size_t len = path->len;
		sb_printf(path, "%s%s", len ? " " : "", k->text);
		if (!k->help[0]) {
			sb_printf(out, "%s: %s\n", node->name, sb_str(path));
			missing++;
		}
		missing += check_help_rec(node, k, path, out);
		path->len = len;
		path->buf[len] = '\0';
	}
	return missing;
}

size_t cli_check_help(struct strbuf *out)
{
	size_t missing = 0;

	for (struct cli_node *n = nodes; n; n = n->next) {
		struct strbuf path = STRBUF_INIT;
		sb_puts(&path, "");
		missing += check_help_rec(n, &n->root, &path, out);
		sb_free(&path);
	}
	return missing;
}

static void tnode_free(struct tnode *tn, bool self)
{
	for (size_t i = 0; i < tn->nkids; i++)
		tnode_free(tn->kids[i], true);
	free(tn->kids);
	if (tn->leaf) {
		for (size_t k = 0; k < tn->leaf->ntok; k++)
			free(tn->leaf->names[k]);
		free(tn->leaf->names);
		for (size_t k = 0; k < tn->leaf->ndefined; k++)
			free(tn->leaf->defined[k]);
		free(tn->leaf->defined);
		free(tn->leaf);
	}
	free(tn->text);
	free(tn->help);
	if (self)
		free(tn);
}

void cli_reset(void)
{
	while (nodes) {
		struct cli_node *n = nodes;
		nodes = n->next;
		tnode_free(&n->root, false);
		free(n->name);
		free(n->prompt);
		free(n->builtins);
		free(n);
	}
	while (planned_list) {
		struct planned *p = planned_list;
		planned_list = p->next;
		free(p->words);
		free(p->feature);
		free(p);
	}
}
