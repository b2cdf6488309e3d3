/* Commands every mode has: exit and end in each config mode (installed when
 * the mode is registered), and in exec: configure terminal, terminal
 * settings, exit. */
#include <stdlib.h>
#include <string.h>

#include "cli/cli_int.h"

HOOK_DEFINE(cli_leave_config);

static void left_config(struct cli_session *s)
{
	hook_call(cli_leave_config, s);
}

static int cmd_exit(struct cli_exec *x)
{
	bool was_config = strcmp(cli_session_node(x->s), "config") == 0;

	cli_exit_mode(x->s);
	if (was_config)
		left_config(x->s);
	return CLI_OK;
}

static int cmd_end(struct cli_exec *x)
{
	cli_end(x->s);
	left_config(x->s);
	return CLI_OK;
}

static int cmd_configure_terminal(struct cli_exec *x)
{
	cli_enter(x, "config", NULL);
	return CLI_OK;
}

static int cmd_terminal_length(struct cli_exec *x)
{
	cli_set_term_length(x->s, (unsigned)cli_arg_long(x, "lines", 24));
	return CLI_OK;
}

static int cmd_terminal_monitor(struct cli_exec *x)
{
	cli_set_monitor(x->s, !cli_has(x, "no"));
	return CLI_OK;
}

static int cmd_terminal_history_size(struct cli_exec *x)
{
	cli_set_history_size(x->s, cli_has(x, "no") ? CLI_HISTORY_DEFAULT
						    : (unsigned)cli_arg_long(x, "count", CLI_HISTORY_DEFAULT));
	return CLI_OK;
}

static const struct cli_cmd exec_builtins[] = {
	{ "exec", "exit", "Exit from the EXEC", cmd_exit, 0 },
	{ "exec", "configure [terminal]",
	  "Enter configuration mode\nConfigure from the terminal", cmd_configure_terminal, CLI_PRIV },
	{ "exec", "terminal length (0-512)$lines",
	  "Set terminal line parameters\nSet number of lines on a screen\n"
	  "Number of lines on screen (0 for no pausing)",
	  cmd_terminal_length, 0 },
	{ "exec", "terminal [no] monitor",
	  "\nNegate a command or set its defaults\nCopy debug output to the current terminal line",
	  cmd_terminal_monitor, CLI_PRIV },
	{ "exec", "terminal history size (0-256)$count",
	  "\nEnable and control the command history function\nSet history buffer size\n"
	  "Size of history buffer",
	  cmd_terminal_history_size, 0 },
	{ "exec", "terminal no history size",
	  "\nNegate a command or set its defaults\nEnable and control the command history function\n"
	  "Set history buffer size (back to 10)",
	  cmd_terminal_history_size, 0 },
	{ "exec", "show users", "Show running system information\nDisplay information about terminal lines",
	  cli_cmd_show_users, 0 },
	{ "exec", "show history", "\nDisplay the session command history", cli_cmd_show_history, 0 },
};

void cli_builtin_install(struct cli_node *n)
{
	if (strcmp(n->name, "exec") == 0) {
		CLI_INSTALL(exec_builtins);
		return;
	}
	/* Per-mode copies: the declaration names its mode. */
	struct cli_cmd *cmds = xcalloc(2, sizeof(*cmds));
	cmds[0] = (struct cli_cmd){ n->name, "exit",
				    strcmp(n->name, "config") == 0 ? "Exit from configure mode"
								   : "Exit from current mode",
				    cmd_exit, CLI_NOLOG };
	cmds[1] = (struct cli_cmd){ n->name, "end", "Exit from configure mode", cmd_end, CLI_NOLOG };
	cli_install(cmds, 2);
	n->builtins = cmds;
}
