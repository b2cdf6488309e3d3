/* "logging …" configuration, "show logging", "clear logging". */
#include <stdlib.h>
#include <string.h>

#include "config/config.h"

static void apply(struct cli_exec *x)
{
	if (!cfg_env(x)->check_only)
		log_set_settings(&cfg_of(x)->logging);
}

static enum log_severity level_arg(struct cli_exec *x, enum log_severity dflt)
{
	const char *lv = cli_arg(x, "level");
	int v = lv ? log_severity_parse(lv) : -1;

	return v < 0 ? dflt : (enum log_severity)v;
}

static int cmd_logging_buffered(struct cli_exec *x)
{
	struct log_settings *ls = &cfg_of(x)->logging;

	if (x->is_no) {
		ls->buffered = false;
		if (x->is_default) {
			ls->buffered = true;
			ls->buffer_size = LOG_DEFAULT_BUFFER_SIZE;
			ls->buffer_level = SEV_DEBUG;
		}
	} else {
		ls->buffered = true;
		ls->buffer_size = (size_t)cli_arg_long(x, "size", (long)ls->buffer_size);
		ls->buffer_level = level_arg(x, SEV_DEBUG);
	}
	apply(x);
	return CLI_OK;
}

static int cmd_logging_dest(struct cli_exec *x)
{
	struct log_settings *ls = &cfg_of(x)->logging;
	bool on = !x->is_no;
	const char *dest = cli_has(x, "monitor") ? "monitor" : cli_has(x, "console") ? "console" : "trap";

	if (strcmp(dest, "monitor") == 0) {
		ls->monitor = on || x->is_default;
		ls->monitor_level = on ? level_arg(x, SEV_DEBUG) : SEV_DEBUG;
	} else if (strcmp(dest, "console") == 0) {
		ls->console = on;
		ls->console_level = on ? level_arg(x, SEV_DEBUG) : SEV_DEBUG;
	} else {
		ls->trap = on || x->is_default;
		ls->trap_level = on ? level_arg(x, SEV_INFO) : SEV_INFO;
	}
	apply(x);
	return CLI_OK;
}

static int cmd_show_logging(struct cli_exec *x)
{
	log_show(x->out);
	return CLI_OK;
}

static int cmd_clear_logging(struct cli_exec *x)
{
	log_buffer_clear();
	return CLI_OK;
}

static void write_level(struct strbuf *out, enum log_severity lv, enum log_severity dflt)
{
	if (lv != dflt)
		sb_printf(out, " %s", log_severity_name(lv));
	sb_putc(out, '\n');
}

static void write_logging(const struct config *cfg, struct strbuf *out)
{
	const struct log_settings *ls = &cfg->logging;

	if (!ls->buffered) {
		sb_puts(out, "no logging buffered\n");
	} else if (ls->buffer_size != LOG_DEFAULT_BUFFER_SIZE || ls->buffer_level != SEV_DEBUG) {
		sb_printf(out, "logging buffered %zu", ls->buffer_size);
		write_level(out, ls->buffer_level, SEV_DEBUG);
	}
	if (ls->console) {
		sb_puts(out, "logging console");
		write_level(out, ls->console_level, SEV_DEBUG);
	}
	if (!ls->monitor) {
		sb_puts(out, "no logging monitor\n");
	} else if (ls->monitor_level != SEV_DEBUG) {
		sb_puts(out, "logging monitor");
		write_level(out, ls->monitor_level, SEV_DEBUG);
	}
	if (!ls->trap) {
		sb_puts(out, "no logging trap\n");
	} else if (ls->trap_level != SEV_INFO) {
		sb_puts(out, "logging trap");
		write_level(out, ls->trap_level, SEV_INFO);
	}
}

#define LEVELS "<emergencies|alerts|critical|errors|warnings|notifications|informational|debugging|(0-7)>$level"
#define LEVEL_HELP                                                              \
	"Immediately action needed           (severity=0)\n"                      \
	"Immediate action needed             (severity=1)\n"                      \
	"Critical conditions                 (severity=2)\n"                      \
	"Error conditions                    (severity=3)\n"                      \
	"Warning conditions                  (severity=4)\n"                      \
	"Normal but significant conditions   (severity=5)\n"                      \
	"Informational messages              (severity=6)\n"                      \
	"Debugging messages                  (severity=7)\n"                      \
	"Logging severity level"
#define NO "Negate a command or set its defaults"

static const struct cli_cmd log_cmds[] = {
	{ "config", "logging buffered [(4096-2147483647)$size] [" LEVELS "]",
	  "Modify message logging facilities\nSet buffered logging parameters\n"
	  "Logging buffer size\n" LEVEL_HELP,
	  cmd_logging_buffered, 0 },
	{ "config", "no logging buffered", NO, cmd_logging_buffered, 0 },
	{ "config", "logging <monitor|console|trap> [" LEVELS "]",
	  "\nSet terminal line (monitor) logging parameters\nSet console logging parameters\n"
	  "Set syslog server logging level\n" LEVEL_HELP,
	  cmd_logging_dest, 0 },
	{ "config", "no logging <monitor|console|trap>", NO, cmd_logging_dest, 0 },
	{ "exec", "show logging", "\nShow the contents of logging buffers", cmd_show_logging, 0 },
	{ "exec", "clear logging", "Reset functions\nClear logging buffer", cmd_clear_logging,
	  CLI_PRIV },
};

void log_cli_init(void);
void log_cli_init(void)
{
	CLI_INSTALL(log_cmds);
	config_section_register(20, "logging", write_logging);
}
