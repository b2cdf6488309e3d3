/* The debug commands, generated from the registered flags: "debug PATH",
 * "no debug PATH", "undebug PATH", "undebug all", "show debugging"; and
 * the IOS debug commands vpnsipd refuses, each saying why. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "log/debug.h"
#include "log/log.h"

static int cmd_debug(struct cli_exec *x)
{
	/* The flag is found again by the words of the matched path. */
	struct strbuf path = STRBUF_INIT;
	struct debug_flag *f;
	size_t first = strcmp(x->argv[0], "no") == 0 ? 2 : 1;

	for (size_t i = first; i < x->argc; i++)
		sb_printf(&path, "%s%s", i > first ? " " : "", x->argv[i]);
	f = debug_find(sb_str(&path));
	sb_free(&path);
	if (!f)
		return cli_error(x, "No such debug flag");
	bool on = !(x->is_no || strcmp(x->argv[0], "undebug") == 0);
	debug_set(f, on);
	cli_out(x, "%s debugging is %s\n", f->title, on ? "on" : "off");
	return CLI_OK;
}

static int cmd_debug_refused(struct cli_exec *x)
{
	size_t first = strcmp(x->argv[0], "no") == 0 ? 2 : 1;
	struct strbuf path = STRBUF_INIT;
	int rc;

	for (size_t i = first; i < x->argc; i++)
		sb_printf(&path, "%s%s", i > first ? " " : "", x->argv[i]);
	for (struct debug_refused *r = debug_refused_list(); r; r = r->next)
		if (strcmp(r->path, sb_str(&path)) == 0) {
			rc = cli_error(x, "debug %s: %s", r->path, r->why);
			sb_free(&path);
			return rc;
		}
	rc = cli_error(x, "No such debug flag");
	sb_free(&path);
	return rc;
}

static int cmd_undebug_all(struct cli_exec *x)
{
	debug_all_off();
	cli_out(x, "All possible debugging has been turned off\n");
	return CLI_OK;
}

static int cmd_show_debugging(struct cli_exec *x)
{
	struct strbuf on = STRBUF_INIT;

	debug_show(&on);
	if (on.len)
		cli_out(x, "Debugging is on for:\n%s", sb_str(&on));
	else
		cli_out(x, "No debugging is on\n");
	sb_free(&on);
	return CLI_OK;
}

#define DEBUG_HELP "Debugging functions (see also 'undebug')"
#define UNDEBUG_HELP "Disable debugging functions (see also 'debug')"

static const struct cli_cmd debug_fixed_cmds[] = {
	{ "exec", "undebug all", UNDEBUG_HELP "\nDisable all debugging", cmd_undebug_all, CLI_PRIV },
	{ "exec", "no debug all", "Disable debugging functions\n" DEBUG_HELP "\nDisable all debugging",
	  cmd_undebug_all, CLI_PRIV },
	{ "exec", "show debugging", "\nState of each debugging option", cmd_show_debugging, 0 },
};

static struct cli_cmd *generated;
static char **generated_strings;
static size_t ngenerated, nstrings;

static const char *keep(char *s)
{
	generated_strings = xrealloc(generated_strings, (nstrings + 1) * sizeof(char *));
	generated_strings[nstrings++] = s;
	return s;
}

void debug_cli_init(void)
{
	size_t n = 0;

	for (struct debug_flag *f = debug_flags(); f; f = f->next)
		n++;
	for (struct debug_refused *r = debug_refused_list(); r; r = r->next)
		n++;
	generated = xcalloc(3 * n + 1, sizeof(*generated));
	for (struct debug_flag *f = debug_flags(); f; f = f->next) {
		generated[ngenerated++] = (struct cli_cmd){
			"exec", keep(xasprintf("debug %s", f->path)),
			keep(xasprintf(DEBUG_HELP "\n%s", f->help)), cmd_debug, CLI_PRIV | CLI_NOLOG };
		generated[ngenerated++] = (struct cli_cmd){
			"exec", keep(xasprintf("no debug %s", f->path)),
			keep(xasprintf("Disable debugging functions\n\n%s", f->help)), cmd_debug,
			CLI_PRIV | CLI_NOLOG };
		generated[ngenerated++] = (struct cli_cmd){
			"exec", keep(xasprintf("undebug %s", f->path)),
			keep(xasprintf(UNDEBUG_HELP "\n%s", f->help)), cmd_debug, CLI_PRIV | CLI_NOLOG };
	}
	for (struct debug_refused *r = debug_refused_list(); r; r = r->next) {
		generated[ngenerated++] = (struct cli_cmd){
			"exec", keep(xasprintf("debug %s", r->path)),
			keep(xasprintf(DEBUG_HELP "\n%s", r->help)), cmd_debug_refused, CLI_PRIV | CLI_NOLOG };
		generated[ngenerated++] = (struct cli_cmd){
			"exec", keep(xasprintf("no debug %s", r->path)),
			keep(xasprintf("Disable debugging functions\n\n%s", r->help)), cmd_debug_refused,
			CLI_PRIV | CLI_NOLOG };
		generated[ngenerated++] = (struct cli_cmd){
			"exec", keep(xasprintf("undebug %s", r->path)),
			keep(xasprintf(UNDEBUG_HELP "\n%s", r->help)), cmd_debug_refused,
			CLI_PRIV | CLI_NOLOG };
	}
	cli_install(generated, ngenerated);
	CLI_INSTALL(debug_fixed_cmds);
}

void debug_cli_reset(void)
{
	for (size_t i = 0; i < nstrings; i++)
		free(generated_strings[i]);
	free(generated_strings);
	free(generated);
	generated = NULL;
	generated_strings = NULL;
	ngenerated = nstrings = 0;
}
