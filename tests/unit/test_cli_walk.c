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
 *   - nothing crashes (run this binary from the sanitizer build too).
 * WALK_VERBOSE=1 prints each line before it runs (to find a crash). */
#include <stdio.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli_int.h"
#include "config/config.h"
#include "harness.h"

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
		config_features_init();
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
	size_t instances, parse_errors, new_modes, skipped;
	struct strbuf parse_report;
};

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
	} else if (tn->leaf) {
		for (int v = 0; v < NVARIANTS; v++) {
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
	struct walk w = { .parse_report = STRBUF_INIT };
	bool *walked;
	size_t progress;

	verbose = getenv("WALK_VERBOSE") && strcmp(getenv("WALK_VERBOSE"), "1") == 0;
	features();
	cli_set_undefined_arg_hook(record_undefined);
	modes_init();
	walked = xcalloc(nmodes, sizeof(*walked));
	/* Walk every mode the walk knows a way into; walking finds more. */
	do {
		progress = 0;
		for (size_t i = 0; i < nmodes; i++)
			if (modes[i].known && !walked[i]) {
				walked[i] = true;
				progress++;
				walk_mode(&w, &modes[i]);
			}
	} while (progress);

	printf("    %zu instances in %zu modes (%zu exec commands skipped)\n", w.instances, nmodes,
	       w.skipped);
	for (size_t i = 0; i < nmodes; i++)
		if (!walked[i])
			harness_fail(__FILE__, __LINE__, "no command of the tree enters mode %s",
				     modes[i].node->name);
	if (w.parse_errors) {
		harness_fail(__FILE__, __LINE__,
			     "%zu instances built from their syntax do not parse:\n%s", w.parse_errors,
			     sb_str(&w.parse_report));
	}
	if (nundefined)
		harness_fail(__FILE__, __LINE__,
			     "%zu handlers ask for names their commands do not define:\n%s",
			     nundefined, sb_str(&undefined));
	cli_set_undefined_arg_hook(NULL);
	free(walked);
	modes_free();
	sb_free(&w.parse_report);
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
