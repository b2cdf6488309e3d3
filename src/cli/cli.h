/* The IOS-style command engine.
 *
 * Features declare their commands as data next to the code they configure:
 *
 *   static const struct cli_cmd hostname_cmds[] = {
 *       { "config", "hostname WORD$name", "Set system's network name\n"
 *         "This system's network name", cmd_hostname },
 *       { "config", "no hostname [WORD]", "Negate a command or set its defaults\n"
 *         "Set system's network name\nThis system's network name", cmd_no_hostname },
 *   };
 *   CLI_INSTALL(hostname_cmds);
 *
 * Syntax tokens:
 *   keyword        lower-case word, matched by unique prefix ("conf" = "configure")
 *   WORD, NAME…    any single word (upper-case identifiers)
 *   LINE           the rest of the line, verbatim
 *   A.B.C.D        IPv4 address        A.B.C.D/M   IPv4 prefix
 *   X:X::X:X       IPv6 address        X:X::X:X/M  IPv6 prefix
 *   (1-65535)      integer range
 *   IFNAME         interface name: IOS names with abbreviations ("tun1",
 *                  "Tunnel 1", "gi0/1") or Linux device names ("bak0")
 *   <a|b|WORD>     one of            [ ... ]     optional
 *   TOKEN$name     names the argument for cli_arg(); a keyword's name
 *                  defaults to the keyword itself
 * Help: one line per token, in order of appearance, '\n'-separated.  An empty
 * line reuses the help another command gave the same token.
 *
 * "default X" runs the "no X" command with cli_exec.is_default set; "do X"
 * runs an exec command from any config mode; a line that does not parse in a
 * sub-mode is tried in the parent modes (leaving the sub-mode), as IOS does. */
#ifndef VPNSIP_CLI_CLI_H
#define VPNSIP_CLI_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "util/hook.h"
#include "util/strbuf.h"
#include "util/xalloc.h"

struct cli_exec;
struct cli_session;

enum cli_status {
	CLI_OK = 0,
	CLI_ERR_INVALID,     /* % Invalid input detected at '^' marker. */
	CLI_ERR_INCOMPLETE,  /* % Incomplete command. */
	CLI_ERR_AMBIGUOUS,   /* % Ambiguous command:  "…" */
	CLI_ERR_FAILED,      /* the command refused: its message is in the output */
	CLI_ERR_UNSUPPORTED, /* a planned feature that is not built yet */
	CLI_MORE_INPUT,      /* the command reads more lines (banner text) */
};

typedef int (*cli_fn)(struct cli_exec *x);

#define CLI_PRIV 0x1    /* exec command that needs privileged mode (enable) */
#define CLI_SECRET 0x2  /* its arguments are secrets: masked wherever lines are logged */
#define CLI_HIDDEN 0x4  /* accepted, never offered by ? or TAB (old spellings) */
#define CLI_NOLOG 0x8   /* do not log the line as a configuration change */
/* Accepted and changes nothing: a line of a pasted IOS configuration that
 * has no meaning here.  Its handler says why in one "% Ignored: ..." line;
 * the configuration loader counts such lines apart from errors. */
#define CLI_IGNORED 0x10

struct cli_cmd {
	const char *node;   /* the mode it belongs to: "exec", "config", "config-if", … */
	const char *syntax;
	const char *help;
	cli_fn fn;
	unsigned flags;
};

/* Register a mode.  prompt is appended to the hostname ("(config-if)#"). */
void cli_node_register(const char *name, const char *prompt, const char *parent);

/* Install commands; aborts with a clear message on a malformed declaration
 * (a programming error, caught by the unit tests at the latest). */
void cli_install(const struct cli_cmd *cmds, size_t n);
#define CLI_INSTALL(arr) cli_install(arr, ARRAY_SIZE(arr))

/* Lines that name a feature that is planned but not built yet are reported
 * as unsupported (with the feature's name) rather than as invalid input; the
 * lines of a sub-mode block they open are reported the same way. */
#define CLI_PLANNED_GLOBAL 0x1 /* a global line: leaves interface (sub-)modes */
#define CLI_PLANNED_BLOCK 0x2  /* opens a sub-mode block (its lines follow) */
void cli_planned(const char *words, const char *feature, unsigned flags);

/* Every installed command must have complete help: returns the number of
 * tokens without help and lists them in out. */
size_t cli_check_help(struct strbuf *out);
/* Drop every installed command and mode (tests, fuzzing). */
void cli_reset(void);

/* ---- sessions -------------------------------------------------------- */

struct cli_session *cli_session_new(void *app, int priv);
void cli_session_free(struct cli_session *s);
void *cli_session_app(struct cli_session *s);
/* "HOST>", "HOST#", "HOST(config-if)#" */
void cli_session_prompt(struct cli_session *s, const char *hostname, struct strbuf *out);
int cli_session_priv(const struct cli_session *s);
void cli_session_set_priv(struct cli_session *s, int priv);
bool cli_session_closing(const struct cli_session *s);
const char *cli_session_node(const struct cli_session *s);
/* Per-session terminal settings, owned by the engine for the shell's sake. */
unsigned cli_session_term_length(const struct cli_session *s);
bool cli_session_monitor(const struct cli_session *s);
/* Name used in log messages about this session ("vty0", "console"). */
void cli_session_set_name(struct cli_session *s, const char *name);
const char *cli_session_name(const struct cli_session *s);
/* The Unix user behind a shell's session (from the control socket's peer
 * credentials), after cli_session_set_name().  who: "alice on vty3 (pid
 * 1234)", what logs of changes name; trusted: root, for whom "enable" needs
 * no password when none is configured (as on a console).  Sessions without
 * a user (the startup file, unit tests) are trusted and named by name. */
void cli_session_set_user(struct cli_session *s, const char *user, long pid, bool trusted);
const char *cli_session_user(const struct cli_session *s);
const char *cli_session_who(const struct cli_session *s);
bool cli_session_trusted(const struct cli_session *s);
/* Exec commands (typed, or "do" in a configuration mode) are matched and
 * checked but not run: for files checked with vpnsipd -t. */
void cli_session_set_exec_dry_run(struct cli_session *s, bool on);

struct cli_result {
	enum cli_status status;
	int caret;          /* byte offset into the line for CLI_ERR_INVALID, else -1 */
	const char *prompt; /* for CLI_MORE_INPUT: what to show while reading */
	bool hide_input;    /* for CLI_MORE_INPUT: a password, do not echo */
	const struct cli_cmd *cmd; /* the command that ran, if one did */
	bool config_node;          /* it ran in a configuration mode */
};

/* Run one line in the session's current mode.  Output (including the "% …"
 * error text, never the caret line, which the caller draws under its own
 * echo of the line) is appended to out. */
void cli_execute(struct cli_session *s, const char *line, struct strbuf *out,
		 struct cli_result *res);

/* "?" at the end of line: IOS help listing (or an error). */
void cli_help(struct cli_session *s, const char *line, struct strbuf *out,
	      struct cli_result *res);
/* TAB: the keywords that complete the last (partial) word, one per line. */
void cli_complete(struct cli_session *s, const char *line, struct strbuf *out);

/* Render an error the way IOS does, with the caret under the line as it
 * was echoed after a prompt of prompt_width columns. */
void cli_render_error(const struct cli_result *res, const char *line, int prompt_width,
		      bool echo_line, struct strbuf *out);

/* ---- inside a command handler ----------------------------------------- */

struct cli_exec {
	struct cli_session *s;
	struct strbuf *out;
	const struct cli_cmd *cmd;
	bool is_no;      /* matched a "no …" command */
	bool is_default; /* typed as "default …" */
	const char *line;
	/* matched arguments */
	size_t argc;
	const char **argn; /* names */
	const char **argv; /* values: keywords expanded, IFNAMEs canonical */
	/* Every name the command's syntax defines, over all its spellings
	 * (NULL for an exec built by hand: no check). */
	const char *const *defined;
	size_t ndefined;
};

/* The value of argument name, or NULL when that optional part was absent.
 * The command that ran must define name in some spelling of its syntax:
 * asking for another is a programming error (a value the handler may use
 * can never be there), reported through the hook below. */
const char *cli_arg(const struct cli_exec *x, const char *name);
/* The same for a handler shared by several commands, asking for a name
 * only some of them define: NULL also when the command that ran has no
 * such argument.  cli_has() and cli_arg_long() ask the same way.  Some
 * command bound to the same handler must define name. */
const char *cli_opt(const struct cli_exec *x, const char *name);
bool cli_has(const struct cli_exec *x, const char *name);
/* Integer argument (ranges are validated by the parser). */
long cli_arg_long(const struct cli_exec *x, const char *name, long dflt);
/* A name asked for that the rules above refuse: debug and sanitizer builds
 * (VPNSIP_DEBUG) abort with the command and the name; release builds carry
 * on with NULL.  Tests replace the report to collect every case; NULL: the
 * build's default. */
typedef void (*cli_undefined_arg_fn)(const struct cli_exec *x, const char *name, bool strict);
void cli_set_undefined_arg_hook(cli_undefined_arg_fn fn);

/* Run an exec command (one that answers at once: a show) from inside a
 * handler, its output into x's, as if typed in exec mode at the session's
 * privilege; not recorded in the history.  show tech-support. */
int cli_run_exec(struct cli_exec *x, const char *line);

/* The session's command history (show history): IOS keeps the last 10
 * lines; terminal history size sets 0 to CLI_HISTORY_MAX. */
#define CLI_HISTORY_DEFAULT 10
#define CLI_HISTORY_MAX 256
void cli_set_history_size(struct cli_session *s, unsigned n);

/* IOS's elapsed time, for idle and "last clearing" columns: "00:00:05",
 * then "2d03h", then "1w2d". */
void cli_elapsed_text(uint64_t ms, char *buf, size_t n);
/* Hours, minutes and seconds however long ("123:04:05"): the uptime of
 * VPN-SIP and crypto sessions. */
void cli_hms_text(uint64_t ms, char *buf, size_t n);

/* "% text" + newline into the output; returns CLI_ERR_FAILED. */
int cli_error(struct cli_exec *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
void cli_out(struct cli_exec *x, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Enter a sub-mode; key identifies the object it edits (kept as a name, not
 * a pointer: the object may be deleted from another shell meanwhile). */
void cli_enter(struct cli_exec *x, const char *node, const char *key);
/* The key of the innermost frame of that mode, or NULL. */
const char *cli_key(const struct cli_exec *x, const char *node);
const char *cli_session_key(const struct cli_session *s, const char *node);
/* Leave modes: one level, or to exec. */
void cli_exit_mode(struct cli_session *s);
void cli_end(struct cli_session *s);
void cli_close(struct cli_session *s);
void cli_set_term_length(struct cli_session *s, unsigned n);
void cli_set_monitor(struct cli_session *s, bool on);
/* A session left configuration mode with exit, end or Ctrl-Z (IOS logs
 * CONFIG_I); on the thread that runs the session (the daemon's main
 * thread).  Subscriber: the daemon's control socket. */
HOOK_DECLARE(cli_leave_config, (struct cli_session *s), (s));

/* Read following lines raw until fn returns true (banner text, pasted
 * certificates). fn gets NULL when the input ends before that. */
typedef bool (*cli_more_fn)(struct cli_session *s, const char *line, void *arg,
			    struct strbuf *out);
void cli_read_more(struct cli_exec *x, const char *prompt, cli_more_fn fn, void *arg);
/* The same for one secret line (a password): the shell does not echo it. */
void cli_read_secret(struct cli_exec *x, const char *prompt, cli_more_fn fn, void *arg);

/* A command that finishes later (ping waits for its replies): the handler
 * sets up what it waits for, calls cli_defer() last and returns CLI_OK.
 * What it adds with cli_deferred_printf() reaches the shell as it comes;
 * cli_deferred_end() (from a loop callback, never from the handler) gives
 * the shell its prompt back, and the session runs its next line only then.
 * When the session ends first, cancel(arg) runs instead and d is gone.
 * cli_can_defer() is false where nobody can wait (a configuration file,
 * vpnsipd -t, unit tests): such a handler answers at once. */
struct cli_deferred;
typedef void (*cli_cancel_fn)(void *arg);
bool cli_can_defer(const struct cli_exec *x);
struct cli_deferred *cli_defer(struct cli_exec *x, cli_cancel_fn cancel, void *arg);
void cli_deferred_printf(struct cli_deferred *d, const char *fmt, ...)
	__attribute__((format(printf, 2, 3)));
void cli_deferred_end(struct cli_deferred *d, enum cli_status status);
/* The server's side: where a deferred command's output and end go. */
struct cli_defer_ops {
	void (*output)(void *ctx, const char *text, size_t len);
	void (*end)(void *ctx, enum cli_status status);
};
void cli_session_set_defer(struct cli_session *s, const struct cli_defer_ops *ops, void *ctx);
bool cli_session_deferred(const struct cli_session *s);

/* The line as it may be logged: secrets of CLI_SECRET commands masked.
 * Returns a newly allocated string. */
char *cli_loggable_line(struct cli_session *s, const char *line);

/* ---- interface names ---------------------------------------------------- */

/* Canonical interface name for words (one or two of them: "tun 1"), or
 * NULL.  IOS types are expanded ("gi0/1" -> "GigabitEthernet0/1"); other
 * words are Linux device names, kept as typed. */
char *cli_ifname_canon(const char *w1, const char *w2, int *consumed);
/* Does a canonical name have an IOS type ("Tunnel1", "GigabitEthernet0/1")? */
bool cli_ifname_is_ios(const char *canon);

/* The IOS interface types, with their help for "interface ?". */
struct cli_iftype {
	const char *name;
	const char *help;
};
const struct cli_iftype *cli_iftypes(size_t *n);

#endif
