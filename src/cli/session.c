/* CLI sessions: the mode stack, privilege, and running a line (with "do",
 * "default", output modifiers, falling back to parent modes, and planned
 * features), plus "?" help and TAB completion over the same matcher. */
#include <ctype.h>
#include <stdarg.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli/cli_int.h"
#include "cli/filter.h"
#include "util/hashmap.h"

#define CLI_MAX_DEPTH 8

struct frame {
	struct cli_node *node;
	char *key;
};

struct cli_session {
	void *app;
	int priv;
	struct frame stack[CLI_MAX_DEPTH]; /* [0] is exec */
	int depth;
	bool closing;
	unsigned term_length;
	bool monitor;
	char *name;
	cli_more_fn more_fn;
	void *more_arg;
	char *more_prompt;
	bool more_hidden;
	bool unsupported_block; /* inside a sub-mode block of a planned feature */
	bool exec_dry_run;      /* exec commands are checked, never run */
	char *user;             /* who is behind the session, for logs */
	char *who;
	long pid;               /* the shell's process (0: unknown) */
	bool trusted;           /* root: enable needs no password when none is set */
	uint64_t active_ms;     /* the last request (CLOCK_MONOTONIC), for show users */
	struct cli_session *prev_shell, *next_shell; /* show users: sessions with a user */
	/* show history: the newest lines run, oldest first */
	char **history;
	unsigned history_n, history_size;
	/* Commands that finish later: the server's sink, and the one running. */
	const struct cli_defer_ops *defer_ops;
	void *defer_ctx;
	struct cli_deferred *deferred;
};

/* The sessions of shells (a user set), in the order they came. */
static struct cli_session *shells, *shells_tail;

static uint64_t mono_ms(void)
{
	struct timespec ts;

	clock_gettime(CLOCK_MONOTONIC, &ts);
	return (uint64_t)ts.tv_sec * 1000 + (uint64_t)ts.tv_nsec / 1000000;
}

struct cli_deferred {
	struct cli_session *s;
	cli_cancel_fn cancel;
	void *arg;
};

struct cli_session *cli_session_new(void *app, int priv)
{
	struct cli_session *s = xcalloc(1, sizeof(*s));

	s->app = app;
	s->priv = priv;
	s->stack[0].node = cli_node_find("exec");
	s->depth = 1;
	s->term_length = 24;
	s->name = xstrdup("vty");
	s->history_size = CLI_HISTORY_DEFAULT;
	s->active_ms = mono_ms();
	return s;
}

void cli_session_free(struct cli_session *s)
{
	if (!s)
		return;
	if (s->more_fn)
		s->more_fn(s, NULL, s->more_arg, NULL);
	if (s->deferred) {
		struct cli_deferred *d = s->deferred;
		s->deferred = NULL;
		d->cancel(d->arg);
		free(d);
	}
	for (int i = 0; i < s->depth; i++)
		free(s->stack[i].key);
	if (s->user) {
		if (s->prev_shell)
			s->prev_shell->next_shell = s->next_shell;
		else
			shells = s->next_shell;
		if (s->next_shell)
			s->next_shell->prev_shell = s->prev_shell;
		else
			shells_tail = s->prev_shell;
	}
	for (unsigned i = 0; i < s->history_n; i++)
		free(s->history[i]);
	free(s->history);
	free(s->name);
	free(s->user);
	free(s->who);
	free(s->more_prompt);
	free(s);
}

void *cli_session_app(struct cli_session *s) { return s->app; }

/* ---- commands that finish later ---------------------------------------- */

void cli_session_set_defer(struct cli_session *s, const struct cli_defer_ops *ops, void *ctx)
{
	s->defer_ops = ops;
	s->defer_ctx = ctx;
}

bool cli_session_deferred(const struct cli_session *s)
{
	return s->deferred != NULL;
}

bool cli_can_defer(const struct cli_exec *x)
{
	return x->s->defer_ops && !x->s->deferred && !x->s->exec_dry_run;
}

struct cli_deferred *cli_defer(struct cli_exec *x, cli_cancel_fn cancel, void *arg)
{
	struct cli_deferred *d;

	if (!cli_can_defer(x))
		return NULL;
	d = xcalloc(1, sizeof(*d));
	d->s = x->s;
	d->cancel = cancel;
	d->arg = arg;
	x->s->deferred = d;
	return d;
}

void cli_deferred_printf(struct cli_deferred *d, const char *fmt, ...)
{
	struct strbuf sb = STRBUF_INIT;
	va_list ap;

	va_start(ap, fmt);
	sb_vprintf(&sb, fmt, ap);
	va_end(ap);
	d->s->defer_ops->output(d->s->defer_ctx, sb_str(&sb), sb.len);
	sb_free(&sb);
}

void cli_deferred_end(struct cli_deferred *d, enum cli_status status)
{
	struct cli_session *s = d->s;

	s->deferred = NULL;
	free(d);
	s->defer_ops->end(s->defer_ctx, status);
}
int cli_session_priv(const struct cli_session *s) { return s->priv; }
void cli_session_set_priv(struct cli_session *s, int priv) { s->priv = priv; }
bool cli_session_closing(const struct cli_session *s) { return s->closing; }
unsigned cli_session_term_length(const struct cli_session *s) { return s->term_length; }
bool cli_session_monitor(const struct cli_session *s) { return s->monitor; }
void cli_set_term_length(struct cli_session *s, unsigned n) { s->term_length = n; }
void cli_set_monitor(struct cli_session *s, bool on) { s->monitor = on; }
void cli_close(struct cli_session *s) { s->closing = true; }
const char *cli_session_name(const struct cli_session *s) { return s->name; }

void cli_session_set_name(struct cli_session *s, const char *name)
{
	free(s->name);
	s->name = xstrdup(name);
}

void cli_session_set_user(struct cli_session *s, const char *user, long pid, bool trusted)
{
	if (!s->user) { /* a shell from now on: listed by show users */
		s->prev_shell = shells_tail;
		if (shells_tail)
			shells_tail->next_shell = s;
		else
			shells = s;
		shells_tail = s;
	}
	s->pid = pid;
	free(s->user);
	free(s->who);
	s->user = xstrdup(user);
	s->who = pid > 0 ? xasprintf("%s on %s (pid %ld)", user, s->name, pid)
			 : xasprintf("%s on %s", user, s->name);
	s->trusted = trusted;
}

const char *cli_session_user(const struct cli_session *s)
{
	return s->user ? s->user : s->name;
}

const char *cli_session_who(const struct cli_session *s)
{
	return s->who ? s->who : s->name;
}

bool cli_session_trusted(const struct cli_session *s)
{
	return s->user ? s->trusted : true;
}

void cli_session_set_exec_dry_run(struct cli_session *s, bool on)
{
	s->exec_dry_run = on;
}

const char *cli_session_node(const struct cli_session *s)
{
	return s->stack[s->depth - 1].node->name;
}

void cli_session_prompt(struct cli_session *s, const char *hostname, struct strbuf *out)
{
	const struct cli_node *n = s->stack[s->depth - 1].node;

	if (s->more_fn)
		return; /* raw text lines have no prompt */
	if (s->depth == 1)
		sb_printf(out, "%s%c", hostname, s->priv >= 15 ? '#' : '>');
	else
		sb_printf(out, "%s%s", hostname, n->prompt);
}

static void pop_to(struct cli_session *s, int depth)
{
	while (s->depth > depth) {
		s->depth--;
		free(s->stack[s->depth].key);
		s->stack[s->depth].key = NULL;
	}
}

void cli_exit_mode(struct cli_session *s)
{
	if (s->depth > 1)
		pop_to(s, s->depth - 1);
	else
		s->closing = true;
}

void cli_end(struct cli_session *s)
{
	pop_to(s, 1);
}

void cli_enter(struct cli_exec *x, const char *node, const char *key)
{
	struct cli_session *s = x->s;
	struct cli_node *n = cli_node_find(node);
	int d;

	if (!n)
		return;
	/* The new mode sits right under its parent mode in the stack. */
	for (d = s->depth - 1; d > 0; d--)
		if (s->stack[d].node == n->parent)
			break;
	pop_to(s, d + 1);
	if (s->depth >= CLI_MAX_DEPTH)
		return;
	s->stack[s->depth].node = n;
	s->stack[s->depth].key = key ? xstrdup(key) : NULL;
	s->depth++;
}

const char *cli_session_key(const struct cli_session *s, const char *node)
{
	for (int d = s->depth - 1; d > 0; d--)
		if (strcmp(s->stack[d].node->name, node) == 0)
			return s->stack[d].key;
	return NULL;
}

const char *cli_key(const struct cli_exec *x, const char *node)
{
	return cli_session_key(x->s, node);
}

void cli_read_secret(struct cli_exec *x, const char *prompt, cli_more_fn fn, void *arg)
{
	cli_read_more(x, prompt, fn, arg);
	x->s->more_hidden = true;
}

void cli_read_more(struct cli_exec *x, const char *prompt, cli_more_fn fn, void *arg)
{
	x->s->more_hidden = false;
	x->s->more_fn = fn;
	x->s->more_arg = arg;
	free(x->s->more_prompt);
	x->s->more_prompt = xstrdup(prompt);
}

/* ---- arguments ---------------------------------------------------------- */

#ifdef VPNSIP_DEBUG
static void abort_undefined_arg(const struct cli_exec *x, const char *name, bool strict)
{
	fprintf(stderr, "cli: the handler of '%s' (mode %s) asks for argument '%s', which %s\n",
		x->cmd->syntax, x->cmd->node, name,
		strict ? "that syntax does not define"
		       : "no command bound to that handler defines");
	abort();
}
#define DEFAULT_UNDEFINED_ARG_HOOK abort_undefined_arg
#else
#define DEFAULT_UNDEFINED_ARG_HOOK NULL
#endif

static cli_undefined_arg_fn undefined_arg_hook = DEFAULT_UNDEFINED_ARG_HOOK;

void cli_set_undefined_arg_hook(cli_undefined_arg_fn fn)
{
	undefined_arg_hook = fn ? fn : DEFAULT_UNDEFINED_ARG_HOOK;
}

static bool leaf_defines(const struct leaf *l, const char *name)
{
	for (size_t i = 0; i < l->ndefined; i++)
		if (strcmp(l->defined[i], name) == 0)
			return true;
	return false;
}

/* Does a command of the trie below tn, bound to fn, define name? */
static bool handler_defines(const struct tnode *tn, cli_fn fn, const char *name)
{
	if (tn->leaf && tn->leaf->cmd->fn == fn && leaf_defines(tn->leaf, name))
		return true;
	for (size_t i = 0; i < tn->nkids; i++)
		if (handler_defines(tn->kids[i], fn, name))
			return true;
	return false;
}

static const char *lookup(const struct cli_exec *x, const char *name)
{
	for (size_t i = 0; i < x->argc; i++)
		if (strcmp(x->argn[i], name) == 0)
			return x->argv[i];
	return NULL;
}

/* Does a command of any mode bound to fn define name?  A search of every
 * trie, remembered per handler and name (optional arguments not typed ask
 * this on every run of a command). */
static bool any_handler_defines(cli_fn fn, const char *name)
{
	static struct hashmap known; /* "fn name" -> (void *)1 yes, 2 no */
	static unsigned generation;
	static bool ready;
	char key[160];
	void *v;

	if (!ready || generation != cli_tree_generation) {
		if (ready)
			hashmap_clear(&known);
		hashmap_init(&known, false);
		generation = cli_tree_generation;
		ready = true;
	}
	snprintf(key, sizeof(key), "%p %s", (void *)(uintptr_t)fn, name);
	v = hashmap_get(&known, key);
	if (!v) {
		bool yes = false;
		for (const struct cli_node *n = cli_nodes(); n && !yes; n = n->next)
			yes = handler_defines(&n->root, fn, name);
		v = (void *)(uintptr_t)(yes ? 1 : 2);
		hashmap_put(&known, key, v);
	}
	return v == (void *)1;
}

/* Absent: an optional part not typed, or a name the command lacks.  The
 * checks cost a search, so they run only where a report is wanted. */
static void check_defined(const struct cli_exec *x, const char *name, bool strict)
{
	if (!undefined_arg_hook || !x->cmd || !x->defined)
		return;
	for (size_t i = 0; i < x->ndefined; i++)
		if (strcmp(x->defined[i], name) == 0)
			return;
	/* A handler may serve commands of several modes. */
	if (!strict && any_handler_defines(x->cmd->fn, name))
		return;
	undefined_arg_hook(x, name, strict);
}

const char *cli_arg(const struct cli_exec *x, const char *name)
{
	const char *v = lookup(x, name);

	if (!v)
		check_defined(x, name, true);
	return v;
}

const char *cli_opt(const struct cli_exec *x, const char *name)
{
	const char *v = lookup(x, name);

	if (!v)
		check_defined(x, name, false);
	return v;
}

bool cli_has(const struct cli_exec *x, const char *name)
{
	return cli_opt(x, name) != NULL;
}

long cli_arg_long(const struct cli_exec *x, const char *name, long dflt)
{
	const char *v = cli_opt(x, name);

	return v ? strtol(v, NULL, 10) : dflt;
}

int cli_error(struct cli_exec *x, const char *fmt, ...)
{
	va_list ap;

	sb_puts(x->out, "% ");
	va_start(ap, fmt);
	sb_vprintf(x->out, fmt, ap);
	va_end(ap);
	sb_putc(x->out, '\n');
	return CLI_ERR_FAILED;
}

void cli_out(struct cli_exec *x, const char *fmt, ...)
{
	va_list ap;

	va_start(ap, fmt);
	sb_vprintf(x->out, fmt, ap);
	va_end(ap);
}

/* ---- command history (show history) ------------------------------------- */

static void masked_line(const struct match_result *m, struct strbuf *sb);

static void history_trim(struct cli_session *s, unsigned keep)
{
	if (s->history_n <= keep)
		return;
	unsigned drop = s->history_n - keep;
	for (unsigned i = 0; i < drop; i++)
		free(s->history[i]);
	memmove(s->history, s->history + drop, keep * sizeof(*s->history));
	s->history_n = keep;
}

/* The line as typed, a secret command's as logged (m: the command
 * matched, NULL when none did). */
static void history_add(struct cli_session *s, const char *line, const struct match_result *m)
{
	struct strbuf sb = STRBUF_INIT;

	if (!s->history_size)
		return;
	if (m && m->leaf && (m->leaf->cmd->flags & CLI_SECRET))
		masked_line(m, &sb);
	else
		sb_puts(&sb, line + strspn(line, " \t"));
	while (sb.len && (sb.buf[sb.len - 1] == '\n' || sb.buf[sb.len - 1] == '\r'))
		sb.buf[--sb.len] = '\0';
	history_trim(s, s->history_size - 1);
	if (!s->history)
		s->history = xcalloc(CLI_HISTORY_MAX, sizeof(*s->history));
	s->history[s->history_n++] = sb_steal(&sb);
}

void cli_set_history_size(struct cli_session *s, unsigned n)
{
	s->history_size = n > CLI_HISTORY_MAX ? CLI_HISTORY_MAX : n;
	history_trim(s, s->history_size);
}

int cli_cmd_show_history(struct cli_exec *x)
{
	for (unsigned i = 0; i < x->s->history_n; i++)
		cli_out(x, "  %s\n", x->s->history[i]);
	return CLI_OK;
}

void cli_elapsed_text(uint64_t ms, char *buf, size_t n)
{
	unsigned long long t = ms / 1000;

	if (t < 86400)
		snprintf(buf, n, "%02llu:%02llu:%02llu", t / 3600, t / 60 % 60, t % 60);
	else if (t < 7 * 86400)
		snprintf(buf, n, "%llud%02lluh", t / 86400, t / 3600 % 24);
	else
		snprintf(buf, n, "%lluw%llud", t / (7 * 86400), t / 86400 % 7);
}

void cli_hms_text(uint64_t ms, char *buf, size_t n)
{
	unsigned long long t = ms / 1000;

	snprintf(buf, n, "%02llu:%02llu:%02llu", t / 3600, t / 60 % 60, t % 60);
}

/* The shells connected now: line, Unix user, privilege, idle time, the
 * shell's pid; "*" marks the session asking. */
int cli_cmd_show_users(struct cli_exec *x)
{
	uint64_t now = mono_ms();

	cli_out(x, "    %-10s %-16s %4s  %-9s %s\n", "Line", "User", "Priv", "Idle", "Location");
	for (const struct cli_session *s = shells; s; s = s->next_shell) {
		char idle[32], where[32] = "";
		cli_elapsed_text(s == x->s ? 0 : now - s->active_ms, idle, sizeof(idle));
		if (s->pid > 0)
			snprintf(where, sizeof(where), "pid %ld", s->pid);
		cli_out(x, "%c   %-10s %-16s %4d  %-9s %s\n", s == x->s ? '*' : ' ', s->name, s->user,
			s->priv, idle, where);
	}
	return CLI_OK;
}

/* ---- resolving a line: do, default, the output modifier ----------------- */

struct resolved {
	struct cli_node *node;
	int priv;
	char *text;        /* the command words (without "do", without "| …") */
	char *cut_line;    /* the line, cut where the output modifier starts */
	size_t text_off;   /* where text starts in the line */
	const char *pipe;  /* what follows '|', or NULL */
	size_t pipe_off;
	bool via_do;
	struct word *w;
	size_t nw;
	bool is_default;
	bool ambiguous_default;
};

static bool is_config_node(const struct cli_node *n)
{
	return strcmp(n->name, "exec") != 0;
}

/* Root keyword children of node that an abbreviation could mean. */
static size_t root_prefix_matches(const struct cli_node *n, int priv, const struct word *w)
{
	size_t count = 0;

	for (size_t i = 0; i < n->root.nkids; i++) {
		const struct tnode *k = n->root.kids[i];
		if (k->type == TOK_KEYWORD && k->min_priv <= priv && !k->all_hidden &&
		    w->len <= strlen(k->text) && strncasecmp(k->text, w->s, w->len) == 0)
			count++;
	}
	return count;
}

static void resolve(struct cli_session *s, const char *line, struct cli_node *node,
		    struct resolved *r)
{
	const char *p = line;
	size_t len;

	memset(r, 0, sizeof(*r));
	r->node = node;
	r->priv = s->priv;
	p += strspn(p, " \t");
	len = strcspn(p, " \t");
	if (is_config_node(node) && len == 2 && strncasecmp(p, "do", 2) == 0) {
		r->via_do = true;
		r->node = cli_node_find("exec");
		r->priv = 15;
		p += 2;
		p += strspn(p, " \t");
	}
	r->text_off = (size_t)(p - line);
	r->text = xstrdup(p);
	if (!is_config_node(r->node)) {
		/* Output modifiers belong to exec commands only: a '|' at the
		 * start of a word. */
		for (char *c = r->text; *c; c++)
			if (*c == '|' && (c == r->text || c[-1] == ' ' || c[-1] == '\t')) {
				*c = '\0';
				r->pipe = line + r->text_off + (size_t)(c - r->text) + 1;
				r->pipe_off = (size_t)(r->pipe - line);
				break;
			}
	}
	r->cut_line = xstrdup(line);
	if (r->pipe)
		r->cut_line[r->pipe_off - 1] = '\0';
	r->nw = split_words(r->text, &r->w);
	for (size_t i = 0; i < r->nw; i++)
		r->w[i].off += r->text_off;
	/* The words keep pointing into r->text; offsets are into line. */
	if (r->nw && r->node->has_no && r->w[0].len <= 7 &&
	    strncasecmp(r->w[0].s, "default", r->w[0].len) == 0) {
		size_t others = root_prefix_matches(r->node, r->priv, &r->w[0]);
		if (r->w[0].len == 7 || others == 0) {
			r->is_default = true;
			r->w[0].s = "no";
			r->w[0].len = 2;
		} else {
			r->ambiguous_default = true;
		}
	}
}

static void resolved_free(struct resolved *r)
{
	free(r->text);
	free(r->cut_line);
	free(r->w);
}

static void set_error(struct cli_result *res, const struct match_result *m,
		      const struct resolved *r)
{
	res->status = m->status;
	res->caret = -1;
	if (m->status == CLI_ERR_INVALID && m->bad_word < r->nw)
		res->caret = (int)(r->w[m->bad_word].off + m->caret_extra);
}

static int run_leaf(struct cli_session *s, const struct match_result *m, const struct resolved *r,
		    const char *line, struct strbuf *out)
{
	struct cli_exec x = { 0 };
	const struct cli_cmd *cmd = m->leaf->cmd;
	int rc;

	x.s = s;
	x.out = out;
	x.cmd = cmd;
	x.line = line;
	x.is_no = strncmp(cmd->syntax, "no ", 3) == 0;
	x.is_default = r->is_default;
	x.argc = m->nsteps;
	x.argn = xcalloc(m->nsteps + 1, sizeof(char *));
	x.argv = xcalloc(m->nsteps + 1, sizeof(char *));
	for (size_t i = 0; i < m->nsteps; i++) {
		x.argn[i] = m->leaf->names[i];
		x.argv[i] = m->steps[i].value;
	}
	x.defined = (const char *const *)m->leaf->defined;
	x.ndefined = m->leaf->ndefined;
	rc = cmd->fn ? cmd->fn(&x) : CLI_OK;
	free(x.argn);
	free(x.argv);
	return rc;
}

int cli_run_exec(struct cli_exec *x, const char *line)
{
	struct cli_session *s = x->s;
	struct resolved r;
	struct match_result m;
	int rc;

	resolve(s, line, cli_node_find("exec"), &r);
	match_words(r.node, r.priv, r.w, r.nw, r.cut_line, false, &m);
	if (m.status != CLI_OK || r.pipe) {
		sb_printf(x->out, "%% Not available: %s\n", line);
		rc = CLI_ERR_FAILED;
	} else {
		rc = run_leaf(s, &m, &r, line, x->out);
	}
	match_result_free(&m);
	resolved_free(&r);
	return rc;
}

void cli_execute(struct cli_session *s, const char *line, struct strbuf *out,
		 struct cli_result *res)
{
	struct resolved r;
	struct match_result m;
	struct cli_node *node = s->stack[s->depth - 1].node;
	const char *p;

	res->status = CLI_OK;
	res->caret = -1;
	res->prompt = NULL;
	res->cmd = NULL;
	res->config_node = false;
	res->hide_input = false;
	s->active_ms = mono_ms();

	if (s->more_fn) {
		cli_more_fn fn = s->more_fn;
		if (fn(s, line, s->more_arg, out)) {
			s->more_fn = NULL;
		} else {
			res->status = CLI_MORE_INPUT;
			res->prompt = s->more_prompt;
			res->hide_input = s->more_hidden;
		}
		return;
	}
	p = line + strspn(line, " \t\r\n");
	if (!*p || *p == '!')
		return; /* blank lines and comments */

	resolve(s, line, node, &r);
	if (r.ambiguous_default || r.nw == 0)
		history_add(s, line, NULL);
	if (r.ambiguous_default) {
		res->status = CLI_ERR_AMBIGUOUS;
		resolved_free(&r);
		return;
	}
	if (r.nw == 0) {
		res->status = r.via_do || r.pipe ? CLI_ERR_INCOMPLETE : CLI_OK;
		resolved_free(&r);
		return;
	}
	match_words(r.node, r.priv, r.w, r.nw, r.cut_line, false, &m);

	/* Not a command of this sub-mode: try the enclosing modes, and leave
	 * the sub-mode when one of them takes it. */
	if (m.status != CLI_OK && !r.via_do && s->depth > 2) {
		for (int d = s->depth - 2; d >= 1; d--) {
			struct resolved r2;
			struct match_result m2;
			resolve(s, line, s->stack[d].node, &r2);
			if (r2.nw && !r2.ambiguous_default) {
				match_words(r2.node, r2.priv, r2.w, r2.nw, r2.cut_line, false, &m2);
				if (m2.status == CLI_OK) {
					pop_to(s, d + 1);
					match_result_free(&m);
					resolved_free(&r);
					m = m2;
					r = r2;
					break;
				}
				/* Report the error that got furthest into the line. */
				if (m2.status != CLI_OK && m.status != CLI_OK &&
				    (m2.bad_word > m.bad_word ||
				     (m2.bad_word == m.bad_word && m2.caret_extra > m.caret_extra))) {
					match_result_free(&m);
					resolved_free(&r);
					m = m2;
					r = r2;
					continue;
				}
				match_result_free(&m2);
			}
			resolved_free(&r2);
		}
	}

	history_add(s, line, m.status == CLI_OK ? &m : NULL);
	if (m.status != CLI_OK) {
		unsigned pflags = 0;
		const char *feature = cli_planned_match(r.w, r.nw, &pflags);
		if (feature || (s->unsupported_block && is_config_node(r.node))) {
			if (feature) {
				sb_printf(out, "%% Unsupported: %s is not built yet\n", feature);
				/* A global line typed in a sub-mode leaves it, as IOS
				 * does; only a line that opens a block makes the
				 * following lines part of it. */
				if (is_config_node(r.node) && !r.via_do) {
					if ((pflags & CLI_PLANNED_GLOBAL) && s->depth > 2)
						pop_to(s, 2);
					s->unsupported_block = (pflags & CLI_PLANNED_BLOCK) != 0;
				}
			} else {
				sb_puts(out, "% Unsupported: line of an unsupported block\n");
			}
			res->status = CLI_ERR_UNSUPPORTED;
		} else {
			set_error(res, &m, &r);
		}
		match_result_free(&m);
		resolved_free(&r);
		return;
	}

	if (is_config_node(r.node))
		s->unsupported_block = false;
	res->cmd = m.leaf->cmd;
	res->config_node = is_config_node(r.node);
	if (s->exec_dry_run && !is_config_node(r.node)) {
		/* checked, not run: "do clear ..." in a file being checked
		 * must not touch the system */
		match_result_free(&m);
		resolved_free(&r);
		return;
	}
	if (r.pipe) {
		struct cli_filter f;
		size_t bad;
		int fst = cli_filter_parse(r.pipe, &f, &bad);
		if (fst != CLI_OK) {
			res->status = (enum cli_status)fst;
			res->caret = (int)(r.pipe_off + bad);
		} else {
			struct strbuf tmp = STRBUF_INIT;
			int rc = run_leaf(s, &m, &r, line, &tmp);
			cli_filter_apply(&f, sb_str(&tmp), out);
			cli_filter_free(&f);
			sb_free(&tmp);
			res->status = rc == CLI_OK ? CLI_OK : CLI_ERR_FAILED;
		}
	} else {
		int rc = run_leaf(s, &m, &r, line, out);
		res->status = rc == CLI_OK ? CLI_OK : (enum cli_status)rc;
		if (rc == CLI_OK && s->more_fn) {
			res->status = CLI_MORE_INPUT;
			res->prompt = s->more_prompt;
			res->hide_input = s->more_hidden;
		}
	}
	match_result_free(&m);
	resolved_free(&r);
}

/* ---- help and completion ------------------------------------------------ */

struct help_item {
	const char *word;
	const char *help;
};

static int help_cmp(const void *a, const void *b)
{
	const struct help_item *x = a, *y = b;

	return strcmp(x->word, y->word);
}

static void add_item(struct help_item **items, size_t *n, size_t *cap, const char *word,
		     const char *help)
{
	for (size_t i = 0; i < *n; i++)
		if (strcmp((*items)[i].word, word) == 0)
			return;
	xgrow(items, cap, *n + 1, sizeof(**items));
	(*items)[(*n)++] = (struct help_item){ word, help };
}

static bool line_ends_in_space(const char *line)
{
	size_t len = strlen(line);

	return len == 0 || line[len - 1] == ' ' || line[len - 1] == '\t';
}

/* Collect what may follow (partial == NULL) or what the partial word may
 * become, across the trie nodes reached. */
static void collect(const struct match_result *m, int priv, const char *partial,
		    struct help_item **items, size_t *n, size_t *cap, bool *cr)
{
	size_t plen = partial ? strlen(partial) : 0;

	for (size_t e = 0; e < m->nends; e++) {
		const struct tnode *tn = m->ends[e];
		if (tn->leaf && !((tn->leaf->cmd->flags & CLI_PRIV) && priv < 15) && cr)
			*cr = true;
		for (size_t i = 0; i < tn->nkids; i++) {
			const struct tnode *k = tn->kids[i];
			if (k->min_priv > priv || k->all_hidden)
				continue;
			if (k->type == TOK_IFNAME) {
				size_t ntypes;
				const struct cli_iftype *types = cli_iftypes(&ntypes);
				for (size_t t = 0; t < ntypes; t++)
					if (!partial || strncasecmp(types[t].name, partial, plen) == 0)
						add_item(items, n, cap, types[t].name, types[t].help);
				if (!partial)
					add_item(items, n, cap, "WORD", "Linux network device name");
				continue;
			}
			if (partial && (k->type != TOK_KEYWORD || strncasecmp(k->text, partial, plen) != 0))
				continue;
			add_item(items, n, cap, k->text, k->help);
		}
	}
}

void cli_help(struct cli_session *s, const char *line, struct strbuf *out,
	      struct cli_result *res)
{
	struct cli_node *node = s->stack[s->depth - 1].node;
	struct resolved r;
	struct match_result m;
	struct help_item *items = NULL;
	size_t n = 0, cap = 0, width = 0;
	bool at_space = line_ends_in_space(line), cr = false;
	const char *partial = NULL;
	size_t nmatch;

	res->status = CLI_OK;
	res->caret = -1;
	res->prompt = NULL;
	res->cmd = NULL;
	res->config_node = false;
	s->active_ms = mono_ms();
	if (s->more_fn)
		return;
	resolve(s, line, node, &r);
	if (r.pipe) {
		/* "show … | ?" or "show … | inc?" */
		struct word *pw;
		size_t npw = split_words(r.pipe, &pw);
		if (npw == 0 || (npw == 1 && !at_space)) {
			char *pfx = npw ? xstrndup(pw[0].s, pw[0].len) : NULL;
			cli_filter_help(out, pfx);
			free(pfx);
		} else
			sb_puts(out, "  LINE  Regular Expression\n");
		free(pw);
		resolved_free(&r);
		return;
	}
	nmatch = r.nw;
	if (!at_space && r.nw) {
		nmatch = r.nw - 1;
		partial = xstrndup(r.w[nmatch].s, r.w[nmatch].len);
		if (r.is_default && nmatch == 0) {
			free((char *)partial);
			partial = xstrdup("default");
		}
	}
	match_words(r.node, r.priv, r.w, nmatch, r.cut_line, true, &m);
	if (m.status != CLI_OK) {
		/* "interface tunnel ?": the interface number is next */
		if (m.status == CLI_ERR_INCOMPLETE && at_space && r.nw) {
			char *last = xstrndup(r.w[r.nw - 1].s, r.w[r.nw - 1].len);
			int used;
			char *canon = cli_ifname_canon(last, NULL, &used);
			free(canon);
			free(last);
			if (used == -1) {
				sb_puts(out, "  <0-2147483647>  Interface number\n");
				goto done;
			}
		}
		set_error(res, &m, &r);
		goto done;
	}
	collect(&m, r.priv, partial, &items, &n, &cap, at_space ? &cr : NULL);
	if (nmatch == 0 && is_config_node(r.node)) {
		if (r.node->has_no && (!partial || strncasecmp("default", partial, strlen(partial)) == 0))
			add_item(&items, &n, &cap, "default", "Set a command to its defaults");
		if (!partial || strncasecmp("do", partial, strlen(partial)) == 0)
			add_item(&items, &n, &cap, "do", "To run exec commands in config mode");
	}
	if (partial) {
		if (n)
			qsort(items, n, sizeof(*items), help_cmp);
		if (!n) {
			sb_puts(out, "% Unrecognized command\n");
			res->status = CLI_ERR_FAILED;
		}
		for (size_t i = 0; i < n; i++)
			sb_printf(out, "%s  ", items[i].word);
		if (n)
			sb_putc(out, '\n');
		goto done;
	}
	if (cr && !is_config_node(r.node))
		add_item(&items, &n, &cap, "|", "Output modifiers");
	for (size_t i = 0; i < n; i++)
		if (strlen(items[i].word) > width)
			width = strlen(items[i].word);
	for (size_t i = 0; i < n; i++)
		sb_printf(out, "  %-*s  %s\n", (int)width, items[i].word, items[i].help);
	if (cr)
		sb_puts(out, "  <cr>\n");
	if (!n && !cr)
		res->status = CLI_ERR_INCOMPLETE;
done:
	free((char *)partial);
	free(items);
	match_result_free(&m);
	resolved_free(&r);
}

void cli_complete(struct cli_session *s, const char *line, struct strbuf *out)
{
	struct cli_node *node = s->stack[s->depth - 1].node;
	struct resolved r;
	struct match_result m;
	struct help_item *items = NULL;
	size_t n = 0, cap = 0;
	char *partial;

	s->active_ms = mono_ms();
	if (s->more_fn || line_ends_in_space(line))
		return;
	resolve(s, line, node, &r);
	if (r.pipe || !r.nw) {
		resolved_free(&r);
		return;
	}
	partial = xstrndup(r.w[r.nw - 1].s, r.w[r.nw - 1].len);
	if (r.is_default && r.nw == 1) {
		free(partial);
		partial = xstrdup("default");
	}
	match_words(r.node, r.priv, r.w, r.nw - 1, r.cut_line, true, &m);
	if (m.status == CLI_OK)
		collect(&m, r.priv, partial, &items, &n, &cap, NULL);
	if (r.nw == 1 && is_config_node(r.node) && r.node->has_no &&
	    strncasecmp("default", partial, strlen(partial)) == 0)
		add_item(&items, &n, &cap, "default", "");
	if (n)
		qsort(items, n, sizeof(*items), help_cmp);
	for (size_t i = 0; i < n; i++)
		sb_printf(out, "%s\n", items[i].word);
	free(items);
	free(partial);
	match_result_free(&m);
	resolved_free(&r);
}

/* ---- logging a line without its secrets ------------------------------- */

/* A CLI_SECRET command's words with every argument but keywords and
 * numbers as "*****". */
static void masked_line(const struct match_result *m, struct strbuf *sb)
{
	for (size_t i = 0; i < m->nsteps; i++) {
		const struct tnode *tn = m->steps[i].tn;
		sb_printf(sb, "%s%s", i ? " " : "",
			  tn->type == TOK_KEYWORD || tn->type == TOK_RANGE ? m->steps[i].value : "*****");
	}
}

char *cli_loggable_line(struct cli_session *s, const char *line)
{
	struct cli_node *node = s->stack[s->depth - 1].node;
	struct resolved r;
	struct match_result m;
	struct strbuf sb = STRBUF_INIT;

	resolve(s, line, node, &r);
	match_words(r.node, r.priv, r.w, r.nw, r.cut_line, false, &m);
	if (m.status != CLI_OK || !(m.leaf->cmd->flags & CLI_SECRET)) {
		/* Unknown lines are logged by their first words only: they may
		 * be a secret mistyped. */
		if (m.status != CLI_OK) {
			for (size_t i = 0; i < r.nw && i < 2; i++)
				sb_printf(&sb, "%s%.*s", i ? " " : "", (int)r.w[i].len, r.w[i].s);
			if (r.nw > 2)
				sb_puts(&sb, " …");
		} else {
			sb_puts(&sb, line + strspn(line, " \t"));
		}
	} else {
		masked_line(&m, &sb);
	}
	match_result_free(&m);
	resolved_free(&r);
	return sb_steal(&sb);
}
