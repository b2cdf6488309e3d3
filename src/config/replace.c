/* configure replace, and the reload of SIGHUP, which is the same thing:
 * the running configuration becomes what a file says, with nothing of the
 * old one left over (a line removed from the file is removed from the
 * router), or it does not change at all.
 *
 *  1. The file is checked whole first, in a separate process (vpnsipd -t -p:
 *     a fresh model, so objects kept outside the model such as access lists
 *     and IP SLA operations do not interfere).  Any bad line: nothing is
 *     applied, the report names each line.  The checker also prints the
 *     configuration the file gives, in the writers' own spelling, so that
 *     what is compared is canonical text on both sides.
 *  2. The difference is applied through the CLI as IOS does it: "no" lines
 *     for what the file no longer has (last first, inside the sub-modes
 *     they belong to), then the lines it adds, in its order.  Features
 *     whose objects live outside the model are handled by their own "no"
 *     commands like any other.
 *  3. The result is compared again (line by line within each block: the
 *     writers' order is canonical), and the difference applied again, up
 *     to REPLACE_PASSES passes (a "no" may remove more than one line, an
 *     object may need another first).  When the running configuration still
 *     differs, the old one is put back the same way. */
#include <errno.h>
#include <fcntl.h>
#include <poll.h>
#include <signal.h>
#include <spawn.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>

#include "config/config.h"

#define REPLACE_PASSES 5
#define CHECK_TIMEOUT_MS 20000 /* the main loop waits: a hung checker is killed */

extern char **environ;

/* ---- the text as a tree ---------------------------------------------------------------------- */

struct cnode {
	char *line;   /* without its indentation; a banner: all its lines */
	bool banner;
	struct cnode *kids;
	size_t nkids, cap;
};

static void cnode_free(struct cnode *n)
{
	for (size_t i = 0; i < n->nkids; i++)
		cnode_free(&n->kids[i]);
	free(n->kids);
	free(n->line);
}

static struct cnode *cnode_add(struct cnode *parent, char *line)
{
	xgrow(&parent->kids, &parent->cap, parent->nkids + 1, sizeof(*parent->kids));
	struct cnode *n = &parent->kids[parent->nkids++];
	memset(n, 0, sizeof(*n));
	n->line = line;
	return n;
}

/* Lines indented one space more than a line are its sub-mode's; "!" lines
 * and "end" carry nothing. */
static void tree_parse(const char *text, struct cnode *root)
{
	struct cnode *stack[16];
	size_t depth_of[16];
	size_t top = 0;
	const char *p = text;

	memset(root, 0, sizeof(*root));
	stack[0] = root;
	depth_of[0] = 0;
	while (*p) {
		size_t len = strcspn(p, "\n");
		size_t ind = strspn(p, " ");
		const char *body = p + ind;
		size_t blen = len > ind ? len - ind : 0;
		const char *next = p + len + (p[len] == '\n');

		if (blen == 0 || body[0] == '!' || (ind == 0 && blen == 3 && !strncmp(body, "end", 3))) {
			p = next;
			continue;
		}
		/* the parent: the closest line indented less */
		while (top > 0 && depth_of[top] >= ind + 1)
			top--;
		char *line = xstrndup(body, blen);
		bool banner = ind == 0 && !strncmp(line, "banner ", 7) && strstr(line, "^C");
		if (banner) {
			/* text up to the closing ^C, over as many lines as it has */
			const char *c = strstr(line, "^C") + 2;
			if (!strstr(c, "^C")) {
				struct strbuf sb = STRBUF_INIT;
				sb_puts(&sb, line);
				while (*next) {
					size_t l = strcspn(next, "\n");
					sb_putc(&sb, '\n');
					sb_add(&sb, next, l);
					bool closed = memmem(next, l, "^C", 2) != NULL;
					next += l + (next[l] == '\n');
					if (closed)
						break;
				}
				free(line);
				line = sb_steal(&sb);
			}
		}
		struct cnode *n = cnode_add(stack[top], line);
		n->banner = banner;
		if (top + 1 < ARRAY_SIZE(stack)) {
			stack[++top] = n;
			depth_of[top] = ind + 1;
		}
		p = next;
	}
}

static const struct cnode *cnode_find(const struct cnode *parent, const char *line)
{
	for (size_t i = 0; i < parent->nkids; i++)
		if (strcmp(parent->kids[i].line, line) == 0)
			return &parent->kids[i];
	return NULL;
}

/* ---- the difference as CLI lines --------------------------------------------------------------- */

static void put(struct strbuf *out, size_t depth, const char *line)
{
	sb_printf(out, "%*s%s\n", (int)depth, "", line);
}

static void put_subtree(struct strbuf *out, size_t depth, const struct cnode *n)
{
	if (n->banner) {
		sb_printf(out, "%s\n", n->line);
		return;
	}
	put(out, depth, n->line);
	for (size_t i = 0; i < n->nkids; i++)
		put_subtree(out, depth + 1, &n->kids[i]);
	if (n->nkids)
		put(out, depth + 1, "exit");
}

/* "no" of a line: a banner's text is not part of its "no". */
static void put_no(struct strbuf *out, size_t depth, const struct cnode *n)
{
	if (n->banner) {
		const char *c = strstr(n->line, " ^C");
		sb_printf(out, "%*sno %.*s\n", (int)depth, "", (int)(c - n->line), n->line);
		return;
	}
	sb_printf(out, "%*sno %s\n", (int)depth, "", n->line);
}

/* Does parent have a line "X" or "X ..."? */
static bool sets_same(const struct cnode *parent, const char *x)
{
	size_t n = strlen(x);

	for (size_t i = 0; i < parent->nkids; i++)
		if (!strncmp(parent->kids[i].line, x, n) &&
		    (!parent->kids[i].line[n] || parent->kids[i].line[n] == ' '))
			return true;
	return false;
}

/* What "old" has and "new" has not, last first; a sub-mode is entered for
 * the lines of it that go. */
static void diff_removals(const struct cnode *old, const struct cnode *new, size_t depth,
			  struct strbuf *out)
{
	for (size_t i = old->nkids; i-- > 0;) {
		const struct cnode *o = &old->kids[i];
		const struct cnode *n = cnode_find(new, o->line);
		if (!n) {
			/* A "no X" line shows a setting off that is on by
			 * default: "default X" unless the new text sets X
			 * itself (added below). */
			if (strncmp(o->line, "no ", 3) != 0)
				put_no(out, depth, o);
			else if (!sets_same(new, o->line + 3))
				sb_printf(out, "%*sdefault %s\n", (int)depth, "", o->line + 3);
		} else if (o->nkids) {
			struct strbuf inner = STRBUF_INIT;
			diff_removals(o, n, depth + 1, &inner);
			if (inner.len) {
				put(out, depth, o->line);
				sb_add(out, inner.buf, inner.len);
				put(out, depth + 1, "exit");
			}
			sb_free(&inner);
		}
	}
}

/* What "new" has and "old" has not, in new's order. */
static void diff_additions(const struct cnode *old, const struct cnode *new, size_t depth,
			   struct strbuf *out)
{
	for (size_t i = 0; i < new->nkids; i++) {
		const struct cnode *n = &new->kids[i];
		const struct cnode *o = old ? cnode_find(old, n->line) : NULL;
		if (!o) {
			put_subtree(out, depth, n);
		} else if (n->nkids) {
			struct strbuf inner = STRBUF_INIT;
			diff_additions(o, n, depth + 1, &inner);
			if (inner.len) {
				put(out, depth, n->line);
				sb_add(out, inner.buf, inner.len);
				put(out, depth + 1, "exit");
			}
			sb_free(&inner);
		}
	}
}

void config_diff(const char *old_text, const char *new_text, struct strbuf *out)
{
	struct cnode o, n;

	tree_parse(old_text, &o);
	tree_parse(new_text, &n);
	diff_removals(&o, &n, 0, out);
	diff_additions(&o, &n, 0, out);
	cnode_free(&o);
	cnode_free(&n);
}

/* ---- applying ----------------------------------------------------------------------------------- */

/* Run the lines in configuration mode; returns the number that failed
 * (each listed in failed with its message). */
static unsigned apply_lines(struct config_env *env, const char *user, const char *script,
			    struct strbuf *failed)
{
	struct cli_session *s = cli_session_new(env, 15);
	struct cli_exec enter = { .s = s };
	struct strbuf out = STRBUF_INIT;
	struct cli_result res = { .status = CLI_OK };
	unsigned errors = 0;

	cli_session_set_name(s, "configure replace");
	if (user)
		cli_session_set_user(s, user, 0, true);
	cli_enter(&enter, "config", NULL);
	for (const char *p = script; *p;) {
		size_t len = strcspn(p, "\n");
		char *line = xstrndup(p, len);
		p += len + (p[len] == '\n');
		/* the "exit" closing a block whose line failed would leave
		 * configuration mode */
		if (res.status != CLI_MORE_INPUT && strcmp(line + strspn(line, " "), "exit") == 0 &&
		    strcmp(cli_session_node(s), "config") == 0) {
			free(line);
			continue;
		}
		sb_reset(&out);
		config_exec_line(env, s, line, &out, &res);
		if (res.status != CLI_OK && res.status != CLI_MORE_INPUT) {
			errors++;
			if (failed) {
				const char *msg = out.len ? sb_str(&out) : "% Invalid input\n";
				sb_printf(failed, "%s\n%s%s", line, msg,
					  msg[strlen(msg) - 1] == '\n' ? "" : "\n");
			}
		}
		if (strcmp(cli_session_node(s), "exec") == 0)
			cli_enter(&enter, "config", NULL);
		free(line);
	}
	sb_free(&out);
	cli_session_free(s);
	return errors;
}

/* ---- checking the file in a separate process ------------------------------------------------- */

static bool read_into(int fd, struct strbuf *sb)
{
	char buf[8192];
	ssize_t n = read(fd, buf, sizeof(buf));

	if (n > 0)
		sb_add(sb, buf, (size_t)n);
	return n > 0 || (n < 0 && (errno == EINTR || errno == EAGAIN));
}

/* vpnsipd -t -p -f path [-D state]: the canonical text on its stdout, the
 * report on its stderr.  Returns its exit status, -1 when it could not run. */
static int run_checker(const struct config_env *env, const char *path, struct strbuf *canon,
		       struct strbuf *report)
{
	int outp[2] = { -1, -1 }, errp[2] = { -1, -1 };
	char *argv[] = { "vpnsipd", "-t", "-p", "-f", (char *)path, "-D", (char *)env->state_dir,
			 NULL };
	posix_spawn_file_actions_t fa;
	posix_spawnattr_t attr;
	sigset_t none, all;
	pid_t pid;
	int rc, status = 0;

	if (!env->state_dir)
		argv[5] = NULL;
	if (pipe2(outp, O_CLOEXEC) < 0 || pipe2(errp, O_CLOEXEC) < 0) {
		close(outp[0]);
		close(outp[1]);
		return -1;
	}
	posix_spawn_file_actions_init(&fa);
	posix_spawn_file_actions_addopen(&fa, 0, "/dev/null", O_RDONLY, 0);
	posix_spawn_file_actions_adddup2(&fa, outp[1], 1);
	posix_spawn_file_actions_adddup2(&fa, errp[1], 2);
	sigemptyset(&none);
	sigfillset(&all);
	posix_spawnattr_init(&attr);
	posix_spawnattr_setsigmask(&attr, &none);
	posix_spawnattr_setsigdefault(&attr, &all);
	posix_spawnattr_setflags(&attr, POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF);
	rc = posix_spawn(&pid, env->checker, &fa, &attr, argv, environ);
	posix_spawn_file_actions_destroy(&fa);
	posix_spawnattr_destroy(&attr);
	close(outp[1]);
	close(errp[1]);
	if (rc != 0) {
		close(outp[0]);
		close(errp[0]);
		errno = rc;
		return -1;
	}
	struct pollfd pf[2] = { { outp[0], POLLIN, 0 }, { errp[0], POLLIN, 0 } };
	struct timespec t0, t1;
	clock_gettime(CLOCK_MONOTONIC, &t0);
	while (pf[0].fd >= 0 || pf[1].fd >= 0) {
		clock_gettime(CLOCK_MONOTONIC, &t1);
		long spent = (t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000;
		if (spent > CHECK_TIMEOUT_MS) {
			kill(pid, SIGKILL);
			break;
		}
		if (poll(pf, 2, (int)(CHECK_TIMEOUT_MS - spent)) < 0 && errno != EINTR)
			break;
		for (int i = 0; i < 2; i++)
			if (pf[i].fd >= 0 && pf[i].revents && !read_into(pf[i].fd, i ? report : canon))
				pf[i].fd = -1;
	}
	close(outp[0]);
	close(errp[0]);
	while (waitpid(pid, &status, 0) < 0 && errno == EINTR)
		;
	return WIFEXITED(status) ? WEXITSTATUS(status) : -1;
}

/* ---- replace ---------------------------------------------------------------------------------- */

static void text_of(const struct config *cfg, struct strbuf *out)
{
	sb_reset(out);
	config_write(cfg, out);
}

/* Apply passes until there is no difference left; 0 when none is. */
static int converge(struct config_env *env, const char *user, const char *target,
		    struct strbuf *list, struct strbuf *failed, unsigned *passes, unsigned *commands)
{
	struct strbuf now = STRBUF_INIT, script = STRBUF_INIT;
	int rc = -1;

	for (*passes = 0; *passes < REPLACE_PASSES;) {
		text_of(env->cfg, &now);
		sb_reset(&script);
		config_diff(sb_str(&now), target, &script);
		if (!script.len) {
			rc = 0;
			break;
		}
		++*passes;
		sb_reset(failed);
		for (const char *p = sb_str(&script); *p; p++)
			*commands += *p == '\n';
		if (list)
			sb_printf(list, "!Pass %u\n!List of Commands:\n%send\n", *passes,
				  sb_str(&script));
		apply_lines(env, user, sb_str(&script), failed);
	}
	if (rc < 0) {
		text_of(env->cfg, &now);
		sb_reset(&script);
		config_diff(sb_str(&now), target, &script);
		if (!script.len)
			rc = 0;
	}
	sb_free(&now);
	sb_free(&script);
	return rc;
}

/* Each line of the checker's report that names a bad line, as the log
 * and the shell show it. */
static unsigned report_lines(const char *report, const char *path, struct strbuf *out, bool log)
{
	unsigned n = 0;

	for (const char *p = report; *p;) {
		size_t len = strcspn(p, "\n");
		char *line = xstrndup(p, len);
		p += len + (p[len] == '\n');
		/* the checker's summary line is ours to write */
		bool summary = !strncmp(line, path, strlen(path)) && line[strlen(path)] == ':' &&
			       line[strlen(path) + 1] == ' ' && strstr(line, " lines, ");
		if (!summary && *line && !strstr(line, ": " CONFIG_IGNORED_TAG)) {
			sb_printf(out, "%s\n", line);
			if (log && line[0] != ' ')
				log_msg("PARSER", SEV_ERR, "BADLINE", "%s", line);
			n += line[0] != ' ';
		}
		free(line);
	}
	return n;
}

int config_replace(struct config_env *env, const char *path, const struct config_replace_who *who,
		   bool list, struct strbuf *out)
{
	struct strbuf target = STRBUF_INIT, report = STRBUF_INIT, old = STRBUF_INIT;
	struct strbuf failed = STRBUF_INIT, listing = STRBUF_INIT;
	unsigned passes = 0, commands = 0, back_passes = 0, back_commands = 0;
	struct timespec t0, t1;
	int rc;

	clock_gettime(CLOCK_MONOTONIC, &t0);
	if (!env->checker) {
		sb_puts(out, "% configure replace is not available here\n");
		return -1;
	}
	rc = run_checker(env, path, &target, &report);
	if (rc != 0) {
		unsigned bad = report_lines(sb_str(&report), path, out, true);
		if (rc < 0 || rc > 1 || (!bad && !report.len))
			sb_printf(out, "%% Could not check %s%s%s\n", path, rc < 0 ? ": " : "",
				  rc < 0 ? strerror(errno) : "");
		sb_printf(out, "%% %s has errors: nothing was applied, the running configuration "
			       "is unchanged\n", path);
		log_msg("SYS", SEV_WARNING, "CONFIG_REPLACE",
			"%s: %u bad lines: not applied (requested by %s)", path, bad, who->who);
		rc = -1;
		goto out;
	}
	text_of(env->cfg, &old);
	if (env->batch)
		env->batch(true, env->cfg);
	rc = converge(env, who->user, sb_str(&target), list ? &listing : NULL, &failed, &passes,
		      &commands);
	if (rc < 0) {
		struct strbuf back_failed = STRBUF_INIT;
		/* the old configuration back, the same way */
		int back = converge(env, who->user, sb_str(&old), NULL, &back_failed, &back_passes,
				    &back_commands);
		sb_free(&back_failed);
		if (env->batch)
			env->batch(false, env->cfg);
		sb_puts(out, sb_str(&listing));
		if (failed.len)
			sb_printf(out, "%% These commands failed:\n%s", sb_str(&failed));
		else
			sb_printf(out, "%% Still different after %u passes\n", passes);
		if (back == 0)
			sb_printf(out, "%% Replace of the running configuration with %s failed: "
				       "the previous configuration was restored (%u passes)\n",
				  path, back_passes);
		else
			sb_printf(out, "%% Replace of the running configuration with %s failed, and "
				       "the previous configuration could not be restored entirely: "
				       "check show running-config\n", path);
		log_msg("SYS", SEV_ERR, "CONFIG_REPLACE",
			"Replace with %s requested by %s failed after %u passes; %s", path, who->who,
			passes, back == 0 ? "rolled back" : "rollback incomplete");
		goto out;
	}
	if (env->batch)
		env->batch(false, env->cfg);
	clock_gettime(CLOCK_MONOTONIC, &t1);
	sb_puts(out, sb_str(&listing));
	sb_printf(out, "Total number of passes: %u\nRollback Done\n", passes);
	log_msg("SYS", SEV_NOTICE, "CONFIG_REPLACE",
		"Running configuration replaced with %s: %u commands in %u passes (%ld ms)", path,
		commands, passes,
		(long)((t1.tv_sec - t0.tv_sec) * 1000 + (t1.tv_nsec - t0.tv_nsec) / 1000000));
	log_msg("SYS", SEV_NOTICE, "CONFIG_I", "Configured from %s by %s", path, who->who);
out:
	sb_free(&target);
	sb_free(&report);
	sb_free(&old);
	sb_free(&failed);
	sb_free(&listing);
	return rc;
}

/* ---- the command ---------------------------------------------------------------------------- */

struct replace_ask {
	char *file;
	bool list;
};

static int replace_from(struct cli_session *s, const char *file, bool list, struct strbuf *out)
{
	struct config_env *env = cli_session_app(s);
	struct config_replace_who who = { cli_session_who(s), cli_session_user(s) };

	return config_replace(env, file, &who, list, out);
}

static bool replace_answer(struct cli_session *s, const char *line, void *arg, struct strbuf *out)
{
	struct replace_ask *a = arg;

	if (line) {
		if (strcasecmp(line, "y") == 0 || strcasecmp(line, "yes") == 0)
			replace_from(s, a->file, a->list, out);
		else
			sb_puts(out, "% Configuration replace aborted\n");
	}
	free(a->file);
	free(a);
	return true;
}

static int cmd_configure_replace(struct cli_exec *x)
{
	const char *file = cli_arg(x, "file");

	/* vpnsipd -t, the walk and the fuzzer: nothing is replaced */
	if (cfg_env(x)->check_only)
		return CLI_OK;
	if (strcmp(cli_session_name(x->s), "startup-config") == 0 ||
	    strcmp(cli_session_name(x->s), "configure replace") == 0)
		return cli_error(x, "Not allowed while a configuration file is being applied");
	if (!cfg_env(x)->checker)
		return cli_error(x, "configure replace is not available here");
	if (cli_has(x, "force"))
		return replace_from(x->s, file, cli_has(x, "list"), x->out) == 0 ? CLI_OK
										  : CLI_ERR_FAILED;
	struct replace_ask *a = xcalloc(1, sizeof(*a));
	a->file = xstrdup(file);
	a->list = cli_has(x, "list");
	cli_read_more(x, "This will apply all necessary additions and deletions\n"
			 "to replace the current running configuration with the\n"
			 "contents of the specified configuration file, which is\n"
			 "assumed to be a complete configuration, not a partial\n"
			 "configuration. Enter Y if you are sure you want to proceed. ? [no]:",
		      replace_answer, a);
	return CLI_OK;
}

static const struct cli_cmd replace_cmds[] = {
	{ "exec", "configure replace WORD$file [list] [force]",
	  "\nReplace the running-config with a new config file\n"
	  "The configuration file (a complete configuration)\n"
	  "List the commands applied in each pass\n"
	  "Do not ask for confirmation",
	  cmd_configure_replace, CLI_PRIV },
};

void replace_cli_init(void)
{
	CLI_INSTALL(replace_cmds);
}
