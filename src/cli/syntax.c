/* Compiling command declarations: a syntax string with optional parts and
 * alternatives becomes the list of its linear spellings, each a sequence of
 * typed tokens carrying their help text. */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_int.h"

struct parser {
	const char *p;
	char **help;  /* help lines in order of appearance */
	size_t nhelp;
	size_t next_help;
	char *err;
};

static void seq_push(struct tokseq *s, const struct tok *t)
{
	xgrow(&s->v, &s->cap, s->n + 1, sizeof(*s->v));
	s->v[s->n++] = *t;
}

static struct tok tok_dup(const struct tok *t)
{
	struct tok c = *t;

	c.text = xstrdup(t->text);
	c.name = xstrdup(t->name);
	c.help = xstrdup(t->help);
	return c;
}

static void tok_free(struct tok *t)
{
	free(t->text);
	free(t->name);
	free(t->help);
}

void tokseq_free(struct tokseq *seqs, int n)
{
	for (int i = 0; i < n; i++) {
		for (size_t k = 0; k < seqs[i].n; k++)
			tok_free(&seqs[i].v[k]);
		free(seqs[i].v);
	}
	free(seqs);
}

/* A set of alternative sequences (the expansion of a piece of syntax). */
struct seqset {
	struct tokseq *v;
	int n, cap;
};

static void set_add(struct seqset *set, struct tokseq seq)
{
	size_t cap = (size_t)set->cap;

	xgrow(&set->v, &cap, (size_t)set->n + 1, sizeof(*set->v));
	set->cap = (int)cap;
	set->v[set->n++] = seq;
}

static struct tokseq seq_copy(const struct tokseq *s)
{
	struct tokseq c = { 0 };

	for (size_t i = 0; i < s->n; i++) {
		struct tok t = tok_dup(&s->v[i]);
		seq_push(&c, &t);
	}
	return c;
}

/* set = set x other (every sequence of set followed by every one of other). */
static void set_product(struct seqset *set, const struct seqset *other)
{
	struct seqset res = { 0 };

	for (int i = 0; i < set->n; i++)
		for (int j = 0; j < other->n; j++) {
			struct tokseq s = seq_copy(&set->v[i]);
			for (size_t k = 0; k < other->v[j].n; k++) {
				struct tok t = tok_dup(&other->v[j].v[k]);
				seq_push(&s, &t);
			}
			set_add(&res, s);
		}
	tokseq_free(set->v, set->n);
	*set = res;
}

static void set_free(struct seqset *set)
{
	tokseq_free(set->v, set->n);
	set->v = NULL;
	set->n = set->cap = 0;
}

static bool is_upper_ident(const char *s)
{
	if (!isupper((unsigned char)*s))
		return false;
	for (; *s; s++)
		if (!isupper((unsigned char)*s) && !isdigit((unsigned char)*s) && *s != '_' &&
		    *s != '-' && *s != '.')
			return false;
	return true;
}

static bool classify(struct parser *ps, const char *spell, struct tok *t)
{
	memset(t, 0, sizeof(*t));
	if (spell[0] == '(') {
		char *end;
		t->type = TOK_RANGE;
		t->min = strtol(spell + 1, &end, 10);
		if (*end != '-')
			goto bad;
		t->max = strtol(end + 1, &end, 10);
		if (strcmp(end, ")") != 0 || t->max < t->min)
			goto bad;
		t->text = xasprintf("<%ld-%ld>", t->min, t->max);
		return true;
	}
	if (strcmp(spell, "LINE") == 0)
		t->type = TOK_LINE;
	else if (strcmp(spell, "A.B.C.D") == 0)
		t->type = TOK_IPV4;
	else if (strcmp(spell, "A.B.C.D/M") == 0)
		t->type = TOK_IPV4_PREFIX;
	else if (strcmp(spell, "X:X::X:X") == 0)
		t->type = TOK_IPV6;
	else if (strcmp(spell, "X:X::X:X/M") == 0)
		t->type = TOK_IPV6_PREFIX;
	else if (strcmp(spell, "IFNAME") == 0)
		t->type = TOK_IFNAME;
	else if (is_upper_ident(spell))
		t->type = TOK_WORD;
	else {
		for (const char *c = spell; *c; c++)
			if (!islower((unsigned char)*c) && !isdigit((unsigned char)*c) &&
			    !strchr("-_.:*", *c)) /* "*": clear ip nat translation * */
				goto bad;
		t->type = TOK_KEYWORD;
	}
	t->text = xstrdup(spell);
	return true;
bad:
	free(ps->err);
	ps->err = xasprintf("bad token '%s'", spell);
	return false;
}

static void skip_ws(struct parser *ps)
{
	while (*ps->p == ' ' || *ps->p == '\t')
		ps->p++;
}

static bool parse_alts(struct parser *ps, char close, struct seqset *out);

/* One sequence up to '|' or the closing character. */
static bool parse_seq(struct parser *ps, char close, struct seqset *out)
{
	struct tokseq empty = { 0 };

	set_add(out, empty);
	for (;;) {
		skip_ws(ps);
		char c = *ps->p;
		if (c == '\0' || c == '|' || c == close) {
			if (c == '\0' && close) {
				ps->err = xasprintf("missing '%c'", close);
				return false;
			}
			return true;
		}
		if (c == ']' || c == '>') {
			ps->err = xasprintf("unexpected '%c'", c);
			return false;
		}
		struct seqset piece = { 0 };
		if (c == '<' || c == '[') {
			ps->p++;
			if (!parse_alts(ps, c == '<' ? '>' : ']', &piece)) {
				set_free(&piece);
				return false;
			}
			ps->p++; /* the closing character */
			if (*ps->p == '$') {
				/* <a|b>$name names whichever alternative matched */
				const char *start = ++ps->p;
				while (*ps->p && !strchr(" \t|]>", *ps->p))
					ps->p++;
				for (int i = 0; i < piece.n; i++)
					if (piece.v[i].n) {
						free(piece.v[i].v[0].name);
						piece.v[i].v[0].name =
							xstrndup(start, (size_t)(ps->p - start));
					}
			}
			if (c == '[') {
				struct tokseq none = { 0 };
				set_add(&piece, none);
			}
		} else {
			const char *start = ps->p;
			while (*ps->p && !strchr(" \t|]>", *ps->p))
				ps->p++;
			char *spell = xstrndup(start, (size_t)(ps->p - start));
			char *dollar = strchr(spell, '$');
			struct tok t;
			if (dollar)
				*dollar = '\0';
			if (!classify(ps, spell, &t)) {
				free(spell);
				return false;
			}
			t.name = xstrdup(dollar ? dollar + 1 : spell);
			if (ps->next_help < ps->nhelp)
				t.help = xstrdup(ps->help[ps->next_help]);
			else
				t.help = xstrdup("");
			ps->next_help++;
			struct tokseq one = { 0 };
			seq_push(&one, &t);
			set_add(&piece, one);
			free(spell);
		}
		set_product(out, &piece);
		set_free(&piece);
	}
}

static bool parse_alts(struct parser *ps, char close, struct seqset *out)
{
	for (;;) {
		struct seqset alt = { 0 };
		if (!parse_seq(ps, close, &alt)) {
			set_free(&alt);
			return false;
		}
		for (int i = 0; i < alt.n; i++)
			set_add(out, alt.v[i]);
		free(alt.v);
		if (*ps->p == '|') {
			ps->p++;
			continue;
		}
		if (*ps->p != close) {
			ps->err = xasprintf("missing '%c'", close ? close : '?');
			return false;
		}
		return true;
	}
}

int syntax_expand(const char *syntax, const char *help, struct tokseq **out, char **err)
{
	struct parser ps = { .p = syntax };
	struct seqset set = { 0 };
	char *helpcopy = xstrdup(help ? help : "");
	size_t caph = 0;
	int n;

	/* Split into lines in place; empty lines mean "help given elsewhere". */
	for (char *line = helpcopy;;) {
		char *nl = strchr(line, '\n');
		xgrow(&ps.help, &caph, ps.nhelp + 1, sizeof(*ps.help));
		ps.help[ps.nhelp++] = line;
		if (!nl)
			break;
		*nl = '\0';
		line = nl + 1;
	}
	if (ps.nhelp == 1 && ps.help[0][0] == '\0')
		ps.nhelp = 0; /* no help at all: every token's help comes from elsewhere */
	if (!parse_alts(&ps, '\0', &set)) {
		*err = ps.err ? ps.err : xstrdup("malformed syntax");
		set_free(&set);
		n = -1;
	} else if (ps.nhelp > ps.next_help) {
		*err = xasprintf("%zu help lines for %zu tokens", ps.nhelp, ps.next_help);
		set_free(&set);
		n = -1;
	} else {
		*out = set.v;
		n = set.n;
	}
	free(helpcopy);
	free(ps.help);
	return n;
}
