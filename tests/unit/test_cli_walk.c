/* Every command can be typed: a walk over the whole command tree.
 *
 * For every mode and every spelling of every command installed in it (each
 * path from the mode's root to a command in its trie), the walk builds
 * instances from the tokens (keywords as spelled, a valid value for each
 * argument type, at both ends of a range) and runs them in a fresh model
 * with "vpnsipd -t" semantics (check_only: nothing reaches the system),
 * after the lines that enter the mode, found by the walk itself.  "no"
 * commands also run as "default".  Asserted for each instance:
 *   - it parses (the matcher accepts what the syntax declares);
 *   - no handler asks cli_arg() for a name its command's syntax does not
 *     define (the hook records each case, with the mode and the syntax);
 *   - when it ran, the running-config reads back into a fresh model line
 *     by line without an error and gives itself again;
 *   - nothing crashes (run this binary from the sanitizer build too).
 * And invalid instances of every syntax: each argument beyond its type or
 * range (a number below the minimum, above the maximum, too big for any
 * number; malformed addresses, prefixes and masks; a word no keyword
 * starts with), and the command cut before its last word.  Each
 * must not run as that spelling of the command: it is refused by the
 * matcher (with the caret inside the line) or by its handler with a "% "
 * message, or the matcher takes it as another spelling or command; a cut
 * command is incomplete unless the cut line is a command itself.
 * WALK_VERBOSE=1 prints each line before it runs (to find a crash). */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_int.h"
#include "config/config.h"
#include "daemon/feature.h"
#include "harness.h"

/* In the sanitizer build: allocation stacks of 4 frames in reports (the
 * default 30 costs a third of this walk's time; the place of an error is
 * reported in full either way). */
const char *__asan_default_options(void);
const char *__asan_default_options(void)
{
	return "malloc_context_size=4";
}

static struct config cfg;
static struct config_env env = { .cfg = &cfg, .startup_path = "/nonexistent/vpnsip-walk/startup",
				 .state_dir = "/nonexistent/vpnsip-walk", .check_only = true };
static bool verbose;

/* Once per process: the features' registries are not meant to be filled
 * twice. */
static void features(void)
{
	static bool done;

	if (!done)
		feature_cli_init_all();
	done = true;
}

/* ---- undefined argument names ------------------------------------------- */

static struct strbuf undefined = STRBUF_INIT;
static size_t nundefined;

static void record_undefined(const struct cli_exec *x, const char *name, bool strict)
{
	char *entry = xasprintf("  %s: '%s' asks for '%s'%s\n", x->cmd->node, x->cmd->syntax, name,
				strict ? "" : " (no command of its handler defines it)");

	if (!strstr(sb_str(&undefined), entry)) {
		sb_puts(&undefined, entry);
		nundefined++;
	}
	free(entry);
}

/* ---- instances ---------------------------------------------------------- */

/* Three sets of values: numbers and names most handlers accept, other
 * spellings (range maxima, another interface type), and names and numbers
 * no other instance uses: some features keep their objects outside the
 * model (access lists, IP SLA operations), so a "fresh" model still has
 * what earlier instances created, and a name may already be taken by an
 * object of another kind. */
#define NVARIANTS 3

static unsigned long uniq;

static void put_value(struct strbuf *sb, const struct tnode *tn, const char *name, int variant)
{
	switch (tn->type) {
	case TOK_KEYWORD:
		sb_puts(sb, tn->text);
		return;
	case TOK_WORD:
		if (variant == 2)
			sb_printf(sb, "w%lu", uniq);
		else
			sb_puts(sb, variant == 0 ? "1234" : "walk1");
		return;
	case TOK_LINE:
		sb_puts(sb, variant == 0 ? "1234" : "walk line");
		return;
	case TOK_IPV4:
		if (name && strstr(name, "mask"))
			sb_puts(sb, variant == 1 ? "255.255.255.255" : "255.255.255.0");
		else if (name && strstr(name, "wild"))
			sb_puts(sb, "0.0.0.255");
		else
			sb_puts(sb, variant == 1 ? "198.51.100.7" : "192.0.2.1");
		return;
	case TOK_IPV4_PREFIX:
		sb_puts(sb, variant == 1 ? "198.51.100.0/32" : "192.0.2.0/24");
		return;
	case TOK_IPV6:
		sb_puts(sb, "2001:db8::1");
		return;
	case TOK_IPV6_PREFIX:
		sb_puts(sb, "2001:db8::/64");
		return;
	case TOK_IFNAME:
		if (variant == 2)
			sb_printf(sb, "Loopback%lu", uniq);
		else
			sb_puts(sb, variant == 0 ? "Tunnel1" : "Loopback1");
		return;
	case TOK_RANGE:
		if (variant == 2)
			sb_printf(sb, "%ld",
				  tn->min + (long)(uniq % (unsigned long)(tn->max - tn->min + 1)));
		else
			sb_printf(sb, "%ld", variant == 0 ? tn->min : tn->max);
		return;
	}
}

static char *instance(struct tnode *const *path, const struct leaf *leaf, int variant)
{
	struct strbuf sb = STRBUF_INIT;

	uniq++;
	for (size_t i = 0; i < leaf->ntok; i++) {
		if (i)
			sb_putc(&sb, ' ');
		put_value(&sb, path[i], leaf->names[i], variant);
	}
	return sb_steal(&sb);
}

/* ---- the walk ----------------------------------------------------------- */

struct mode_entry {
	struct cli_node *node;
	char **lines; /* from exec, privileged */
	size_t nlines;
	bool known;
};

static struct mode_entry *modes;
static size_t nmodes;

static struct mode_entry *mode_of(const char *name)
{
	for (size_t i = 0; i < nmodes; i++)
		if (strcmp(modes[i].node->name, name) == 0)
			return &modes[i];
	return NULL;
}

struct walk {
	struct mode_entry *mode;
	enum { PASS_ROUNDTRIP, PASS_INVALID, PASS_ALL } pass;
	size_t instances, parse_errors, new_modes, skipped;
	struct strbuf parse_report;
	size_t invalid, invalid_accepted, roundtrips, roundtrip_errors;
	struct strbuf invalid_report, roundtrip_report;
};

/* A finding once per command and kind (a command has many instances). */
static void report_once(struct strbuf *report, size_t *count, const char *entry)
{
	if (!strstr(sb_str(report), entry)) {
		sb_puts(report, entry);
		(*count)++;
	}
}

/* The session is in mode, or in a sub-mode of it whose lines fall back to
 * it (an IP SLA operation that exists enters its type's mode at once). */
static bool within(const char *name, const struct cli_node *mode)
{
	for (const struct cli_node *n = cli_node_find(name); n; n = n->parent)
		if (n == mode)
			return true;
	return false;
}

static struct cli_session *session_in(const struct mode_entry *m, struct strbuf *out)
{
	struct cli_session *s;
	struct cli_result res;

	config_free(&cfg);
	config_init(&cfg);
	s = cli_session_new(&env, 15);
	cli_session_set_name(s, "walk");
	for (size_t i = 0; i < m->nlines; i++) {
		sb_reset(out);
		config_exec_line(&env, s, m->lines[i], out, &res);
	}
	return s;
}

/* ---- the running-config round trip ---------------------------------------- */

static void body_of(struct config *c, struct strbuf *out)
{
	time_t saved = c->last_change;

	c->last_change = 0;
	config_write(c, out);
	c->last_change = saved;
}

/* The running-config read back into a fresh model, line by line as the
 * startup-config loader does: NULL when it loads and gives itself again,
 * else why not. */
static char *roundtrip_failure(void)
{
	struct config cfg2;
	struct config_env env2 = env;
	struct strbuf text = STRBUF_INIT, text2 = STRBUF_INIT, out = STRBUF_INIT;
	struct cli_result res;
	char *why = NULL, *copy, *next;
	struct cli_session *s;
	struct cli_exec enter = { 0 };

	env2.cfg = &cfg2;
	body_of(&cfg, &text);
	config_init(&cfg2);
	s = cli_session_new(&env2, 15);
	enter.s = s;
	cli_enter(&enter, "config", NULL);
	copy = xstrdup(sb_str(&text));
	for (char *line = copy; line && *line && !why; line = next) {
		next = strchr(line, '\n');
		if (next)
			*next++ = '\0';
		sb_reset(&out);
		config_exec_line(&env2, s, line, &out, &res);
		if (res.status != CLI_OK && res.status != CLI_MORE_INPUT)
			why = xasprintf("line '%s' does not read back: %s", line, sb_str(&out));
		if (strcmp(cli_session_node(s), "exec") == 0)
			cli_enter(&enter, "config", NULL);
	}
	if (!why) {
		body_of(&cfg2, &text2);
		if (strcmp(sb_str(&text), sb_str(&text2)) != 0)
			why = xasprintf("reads back as another configuration:\n%s---- was:\n%s",
					sb_str(&text2), sb_str(&text));
	}
	free(copy);
	cli_session_free(s);
	config_free(&cfg2);
	sb_free(&text);
	sb_free(&text2);
	sb_free(&out);
	return why;
}

/* Access lists live outside the model (see above): lines appended to the
 * same list by instance after instance make it, and every round trip,
 * grow without end, and a list of one kind keeps the next instance from
 * making one of the other under its name.  The lists the instances can
 * name go after each one that may have made or changed one. */
static void forget_access_lists(const struct mode_entry *m, const char *line)
{
	static const char *const names[] = { "1234", "walk1" };
	static const int numbers[] = { 1, 99, 100, 199, 1300, 1999, 2000, 2699 };
	struct strbuf out = STRBUF_INIT;
	struct cli_result res;
	struct cli_session *s;
	struct cli_exec enter = { 0 };

	if (!strstr(m->node->name, "nacl") && !strstr(line, "access-list"))
		return;
	s = cli_session_new(&env, 15);
	enter.s = s;
	cli_enter(&enter, "config", NULL);
	for (size_t i = 0; i < ARRAY_SIZE(names); i++)
		for (int k = 0; k < 2; k++) {
			char *l = xasprintf("no ip access-list %s %s", k ? "extended" : "standard",
					    names[i]);
			sb_reset(&out);
			config_exec_line(&env, s, l, &out, &res);
			free(l);
		}
	for (size_t i = 0; i < ARRAY_SIZE(numbers); i++) {
		char *l = xasprintf("no access-list %d", numbers[i]);
		sb_reset(&out);
		config_exec_line(&env, s, l, &out, &res);
		free(l);
	}
	cli_session_free(s);
	sb_free(&out);
}

static void run_instance(struct walk *w, const struct leaf *leaf, const char *line)
{
	struct strbuf out = STRBUF_INIT;
	struct cli_session *s = session_in(w->mode, &out);
	struct cli_result res;

	if (!within(cli_session_node(s), w->mode->node)) {
		harness_fail(__FILE__, __LINE__, "the lines into %s end in %s", w->mode->node->name,
			     cli_session_node(s));
		cli_session_free(s);
		sb_free(&out);
		return;
	}
	if (verbose) {
		printf("    [%s] %s\n", w->mode->node->name, line);
		fflush(stdout);
	}
	sb_reset(&out);
	config_exec_line(&env, s, line, &out, &res);
	w->instances++;
	if (res.status == CLI_ERR_INVALID || res.status == CLI_ERR_INCOMPLETE ||
	    res.status == CLI_ERR_AMBIGUOUS) {
		w->parse_errors++;
		sb_printf(&w->parse_report, "  %s: '%s' (from '%s'): status %d\n",
			  w->mode->node->name, line, leaf->cmd->syntax, res.status);
	}
	if (w->pass == PASS_ROUNDTRIP && res.status == CLI_OK && res.cmd) {
		char *why = roundtrip_failure();
		w->roundtrips++;
		if (why) {
			char *entry = xasprintf("  %s: '%s' (after '%s'): %s\n", w->mode->node->name,
						leaf->cmd->syntax, line, why);
			char *key = xasprintf("  %s: '%s' (", w->mode->node->name, leaf->cmd->syntax);
			if (!strstr(sb_str(&w->roundtrip_report), key))
				report_once(&w->roundtrip_report, &w->roundtrip_errors, entry);
			free(key);
			free(entry);
			free(why);
		}
	}
	forget_access_lists(w->mode, line);
	/* A command that enters a mode the walk has no way into yet. */
	struct mode_entry *now = mode_of(cli_session_node(s));
	if (now && !now->known && res.status == CLI_OK) {
		now->known = true;
		now->nlines = w->mode->nlines + 1;
		now->lines = xcalloc(now->nlines, sizeof(char *));
		for (size_t i = 0; i < w->mode->nlines; i++)
			now->lines[i] = xstrdup(w->mode->lines[i]);
		now->lines[w->mode->nlines] = xstrdup(line);
		w->new_modes++;
	}
	cli_session_free(s);
	sb_free(&out);
}

/* ---- invalid instances ---------------------------------------------------- */

/* Values no argument of the token's type accepts ("" ends the list). */
static void bad_values(const struct tnode *tn, const char *name, char out[][48], size_t *n)
{
	*n = 0;
	switch (tn->type) {
	case TOK_RANGE:
		if (tn->min > -1000000000L)
			snprintf(out[(*n)++], 48, "%ld", tn->min - 1);
		if (tn->max < 1000000000000L)
			snprintf(out[(*n)++], 48, "%ld", tn->max + 1);
		snprintf(out[(*n)++], 48, "%s", "99999999999999999999999");
		return;
	case TOK_IPV4:
		snprintf(out[(*n)++], 48, "%s", "256.0.2.1");
		snprintf(out[(*n)++], 48, "%s", "192.0.2");
		if (name && strstr(name, "mask"))
			snprintf(out[(*n)++], 48, "%s", "255.0.255.0");
		return;
	case TOK_IPV4_PREFIX:
		snprintf(out[(*n)++], 48, "%s", "192.0.2.0/33");
		snprintf(out[(*n)++], 48, "%s", "300.0.2.0/24");
		return;
	case TOK_IPV6:
		snprintf(out[(*n)++], 48, "%s", "2001:db8::1::2");
		return;
	case TOK_IPV6_PREFIX:
		snprintf(out[(*n)++], 48, "%s", "2001:db8::/129");
		snprintf(out[(*n)++], 48, "%s", "2001:db8::");
		return;
	case TOK_KEYWORD:
		snprintf(out[(*n)++], 48, "%s", "zqxv");
		return;
	case TOK_WORD:
	case TOK_LINE:
	case TOK_IFNAME: /* Linux device names are words too */
		return;
	}
}

static void run_invalid(struct walk *w, const struct leaf *leaf, const char *line, bool cut)
{
	struct strbuf out = STRBUF_INIT;
	struct cli_session *s = session_in(w->mode, &out);
	struct cli_result res;
	const char *why = NULL;

	if (verbose) {
		printf("    [%s] (invalid) %s\n", w->mode->node->name, line);
		fflush(stdout);
	}
	/* Does the matcher take the line as this very spelling?  (A word in
	 * place of a keyword may be another spelling's argument.) */
	struct word *words;
	size_t nwords = split_words(line, &words);
	struct match_result mr;
	match_words(w->mode->node, 15, words, nwords, line, false, &mr);
	bool same = mr.status == CLI_OK && mr.leaf == leaf;
	match_result_free(&mr);
	free(words);

	sb_reset(&out);
	config_exec_line(&env, s, line, &out, &res);
	w->invalid++;
	switch (res.status) {
	case CLI_ERR_INVALID:
		if (res.caret < 0 || (size_t)res.caret > strlen(line))
			why = "refused with the caret outside the line";
		break;
	case CLI_ERR_INCOMPLETE:
	case CLI_ERR_AMBIGUOUS:
		break;
	case CLI_ERR_FAILED:
	case CLI_ERR_UNSUPPORTED:
		if (strncmp(sb_str(&out), "% ", 2) != 0 && !strstr(sb_str(&out), "\n% "))
			why = "refused without a \"% \" message";
		break;
	case CLI_OK:
	case CLI_MORE_INPUT:
		if (cut && res.cmd == leaf->cmd)
			why = "runs although cut short";
		else if (!cut && same)
			why = "runs with a value its syntax refuses";
		break;
	}
	if (why) {
		char *entry = xasprintf("  %s: '%s': '%s' %s%s%s\n", w->mode->node->name,
					leaf->cmd->syntax, line, why, out.len ? ": " : "",
					out.len ? sb_str(&out) : "");
		char *key = xasprintf("  %s: '%s': ", w->mode->node->name, leaf->cmd->syntax);
		if (!strstr(sb_str(&w->invalid_report), key))
			report_once(&w->invalid_report, &w->invalid_accepted, entry);
		free(key);
		free(entry);
	}
	forget_access_lists(w->mode, line);
	cli_session_free(s);
	sb_free(&out);
}

static void invalid_instances(struct walk *w, struct tnode *const *path, const struct leaf *leaf)
{
	char bad[8][48];
	size_t nbad;

	for (size_t i = 0; i < leaf->ntok; i++) {
		bad_values(path[i], leaf->names[i], bad, &nbad);
		for (size_t b = 0; b < nbad; b++) {
			struct strbuf sb = STRBUF_INIT;
			for (size_t k = 0; k < leaf->ntok; k++) {
				if (k)
					sb_putc(&sb, ' ');
				if (k == i)
					sb_puts(&sb, bad[b]);
				else
					put_value(&sb, path[k], leaf->names[k], 0);
			}
			run_invalid(w, leaf, sb_str(&sb), false);
			sb_free(&sb);
		}
	}
	/* Cut before the last word: incomplete, unless that is a command. */
	if (leaf->ntok >= 2 && !path[leaf->ntok - 2]->leaf) {
		struct strbuf sb = STRBUF_INIT;
		for (size_t k = 0; k + 1 < leaf->ntok; k++) {
			if (k)
				sb_putc(&sb, ' ');
			put_value(&sb, path[k], leaf->names[k], 0);
		}
		run_invalid(w, leaf, sb_str(&sb), true);
		sb_free(&sb);
	}
}

/* Exec commands that act on the system even without a running daemon (the
 * kernel's connection tracking; the test hooks drive tc and libcharon): a
 * unit test leaves the machine alone.  The others find no daemon state to
 * act on here (no IKE, no SIP, no DHCP client) and refuse or do nothing. */
static const char *const exec_skipped[] = {
	"clear ip nat ", "test ",
};

static bool skipped(const struct walk *w, const struct tnode *tn)
{
	if (strcmp(w->mode->node->name, "exec") != 0)
		return false;
	for (size_t i = 0; i < ARRAY_SIZE(exec_skipped); i++)
		if (strncmp(tn->leaf->cmd->syntax, exec_skipped[i], strlen(exec_skipped[i])) == 0)
			return true;
	return false;
}

static void walk_tree(struct walk *w, struct tnode *tn, struct tnode ***path, size_t *cap,
		      size_t depth)
{
	if (tn->leaf && skipped(w, tn)) {
		w->skipped++;
	} else if (tn->leaf && w->pass == PASS_INVALID) {
		invalid_instances(w, *path, tn->leaf);
	} else if (tn->leaf) {
		/* The round-trip pass leaves out the variant with new names:
		 * objects kept outside the model (see above) pile up with it,
		 * and every round trip would read them all. */
		for (int v = 0; v < (w->pass == PASS_ROUNDTRIP ? NVARIANTS - 1 : NVARIANTS); v++) {
			char *line = instance(*path, tn->leaf, v);
			run_instance(w, tn->leaf, line);
			if (strncmp(line, "no ", 3) == 0) {
				char *dflt = xasprintf("default %s", line + 3);
				run_instance(w, tn->leaf, dflt);
				free(dflt);
			}
			free(line);
		}
	}
	for (size_t i = 0; i < tn->nkids; i++) {
		xgrow(path, cap, depth + 1, sizeof(**path));
		(*path)[depth] = tn->kids[i];
		walk_tree(w, tn->kids[i], path, cap, depth + 1);
	}
}

static void walk_mode(struct walk *w, struct mode_entry *m)
{
	struct tnode **path = NULL;
	size_t cap = 0;

	w->mode = m;
	walk_tree(w, &m->node->root, &path, &cap, 0);
	free(path);
}

static void modes_init(void)
{
	nmodes = 0;
	for (struct cli_node *n = cli_nodes(); n; n = n->next)
		nmodes++;
	modes = xcalloc(nmodes, sizeof(*modes));
	nmodes = 0;
	for (struct cli_node *n = cli_nodes(); n; n = n->next)
		modes[nmodes++].node = n;
	mode_of("exec")->known = true;
}

static void modes_free(void)
{
	for (size_t i = 0; i < nmodes; i++) {
		for (size_t k = 0; k < modes[i].nlines; k++)
			free(modes[i].lines[k]);
		free(modes[i].lines);
	}
	free(modes);
	modes = NULL;
	nmodes = 0;
}

TEST(every_command_of_every_mode_runs)
{
	struct walk w = { .parse_report = STRBUF_INIT, .invalid_report = STRBUF_INIT,
			  .roundtrip_report = STRBUF_INIT };
	bool *walked;
	size_t progress;

	verbose = getenv("WALK_VERBOSE") && strcmp(getenv("WALK_VERBOSE"), "1") == 0;
	features();
	cli_set_undefined_arg_hook(record_undefined);
	modes_init();
	walked = xcalloc(nmodes, sizeof(*walked));
	/* Three passes: the valid instances with the round trip after each,
	 * the invalid ones, then all valid ones (with new names: last, as
	 * they pile up outside the model).  Each walks every mode the walk
	 * knows a way into; walking finds more. */
	for (int pass = PASS_ROUNDTRIP; pass <= PASS_ALL; pass++) {
		w.pass = pass;
		memset(walked, 0, nmodes * sizeof(*walked));
		do {
			progress = 0;
			for (size_t i = 0; i < nmodes; i++)
				if (modes[i].known && !walked[i]) {
					walked[i] = true;
					progress++;
					walk_mode(&w, &modes[i]);
				}
		} while (progress);
	}

	printf("    %zu instances in %zu modes (%zu exec commands skipped), %zu round trips, "
	       "%zu invalid instances\n", w.instances, nmodes, w.skipped, w.roundtrips, w.invalid);
	for (size_t i = 0; i < nmodes; i++)
		if (!walked[i])
			harness_fail(__FILE__, __LINE__, "no command of the tree enters mode %s",
				     modes[i].node->name);
	if (w.parse_errors) {
		harness_fail(__FILE__, __LINE__,
			     "%zu instances built from their syntax do not parse:\n%s", w.parse_errors,
			     sb_str(&w.parse_report));
	}
	if (w.invalid_accepted)
		harness_fail(__FILE__, __LINE__,
			     "%zu commands take an invalid instance (or refuse it unclearly):\n%s",
			     w.invalid_accepted, sb_str(&w.invalid_report));
	if (w.roundtrip_errors)
		harness_fail(__FILE__, __LINE__,
			     "%zu commands leave a running-config that does not read back as itself:\n%s",
			     w.roundtrip_errors, sb_str(&w.roundtrip_report));
	if (nundefined)
		harness_fail(__FILE__, __LINE__,
			     "%zu handlers ask for names their commands do not define:\n%s",
			     nundefined, sb_str(&undefined));
	cli_set_undefined_arg_hook(NULL);
	free(walked);
	modes_free();
	sb_free(&w.parse_report);
	sb_free(&w.invalid_report);
	sb_free(&w.roundtrip_report);
	sb_free(&undefined);
	config_free(&cfg);
}

/* ---- the command table, for the static audit ------------------------------
 * tests/test_cli_args.py compares the names each handler's source asks for
 * with the names the commands bound to it define.  It needs the table as
 * installed (syntax macros expanded, generated commands included) with each
 * handler's address, relative to cli_install() so that nm can name it. */

static void dump_tree(FILE *f, const struct cli_node *node, const struct tnode *tn)
{
	if (tn->leaf && !tn->leaf->cmd->fn)
		harness_fail(__FILE__, __LINE__, "%s: '%s' has no handler", node->name,
			     tn->leaf->cmd->syntax);
	if (tn->leaf && f) {
		const struct cli_cmd *c = tn->leaf->cmd;
		fprintf(f, "%td\t%s\t%s\t", (char *)(uintptr_t)c->fn - (char *)(uintptr_t)cli_install,
			node->name, c->syntax);
		for (size_t i = 0; i < tn->leaf->ndefined; i++)
			fprintf(f, "%s%s", i ? " " : "", tn->leaf->defined[i]);
		fputc('\n', f);
	}
	for (size_t i = 0; i < tn->nkids; i++)
		dump_tree(f, node, tn->kids[i]);
}

TEST(command_table)
{
	const char *path = getenv("CLI_DUMP");
	FILE *f = path ? fopen(path, "w") : NULL;

	if (path && !f)
		harness_fail(__FILE__, __LINE__, "cannot write %s", path);
	features();
	for (const struct cli_node *n = cli_nodes(); n; n = n->next)
		dump_tree(f, n, &n->root);
	if (f)
		fclose(f);
}
