/* "logging …" configuration, "service timestamps", "show logging",
 * "clear logging". */
#include <arpa/inet.h>
#include <stdio.h>
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

static long cli_opt_long_port(struct cli_exec *x, long dflt)
{
	const char *p = cli_opt(x, "portnum");

	return p ? strtol(p, NULL, 10) : dflt;
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

/* "logging host A [transport udp|tcp [port P]]": a host is an address,
 * transport and port (IOS keeps several per address); "no logging host A"
 * removes all of the address's, "no logging host A transport ..." one. */
static int cmd_logging_host(struct cli_exec *x)
{
	struct log_settings *ls = &cfg_of(x)->logging;
	const char *a4 = cli_opt(x, "addr"), *a6 = cli_opt(x, "addr6");
	const char *typed = a4 ? a4 : a6, *tr = cli_opt(x, "proto");
	struct log_host h = { .ipv6 = a6 != NULL };
	unsigned char bin[16];
	size_t i, kept = 0;

	if (!typed || inet_pton(h.ipv6 ? AF_INET6 : AF_INET, typed, bin) != 1)
		return cli_error(x, "Invalid logging host address");
	/* The address as inet_ntop writes it: one spelling per host. */
	inet_ntop(h.ipv6 ? AF_INET6 : AF_INET, bin, h.addr, sizeof(h.addr));
	h.transport = tr && strcmp(tr, "tcp") == 0 ? LOG_TRANSPORT_TCP : LOG_TRANSPORT_UDP;
	h.port = (uint16_t)cli_opt_long_port(x, h.transport == LOG_TRANSPORT_TCP ? LOG_PORT_TCP
										 : LOG_PORT_UDP);
	if (x->is_no) {
		for (i = 0; i < ls->n_hosts; i++) {
			const struct log_host *o = &ls->hosts[i];
			bool match = strcmp(o->addr, h.addr) == 0 &&
				     (!tr || (o->transport == h.transport && o->port == h.port));
			if (!match)
				ls->hosts[kept++] = *o;
		}
		ls->n_hosts = kept;
		apply(x);
		return CLI_OK;
	}
	for (i = 0; i < ls->n_hosts; i++)
		if (strcmp(ls->hosts[i].addr, h.addr) == 0 && ls->hosts[i].transport == h.transport &&
		    ls->hosts[i].port == h.port)
			return CLI_OK; /* already there */
	if (ls->n_hosts == LOG_HOSTS_MAX)
		return cli_error(x, "Too many logging hosts (at most %d); remove one first",
				 LOG_HOSTS_MAX);
	ls->hosts[ls->n_hosts++] = h;
	apply(x);
	return CLI_OK;
}

static int cmd_logging_facility(struct cli_exec *x)
{
	struct log_settings *ls = &cfg_of(x)->logging;
	int f = x->is_no ? LOG_DEFAULT_FACILITY : log_facility_parse(cli_opt(x, "fac"));

	if (f < 0)
		return cli_error(x, "Unknown facility");
	ls->facility = f;
	apply(x);
	return CLI_OK;
}

/* "service timestamps log|debug datetime [msec] [localtime]
 * [show-timezone] [year]", "... uptime", "no ..." (none). */
static int cmd_service_timestamps(struct cli_exec *x)
{
	struct log_settings *ls = &cfg_of(x)->logging;
	const char *kind = cli_opt(x, "kind");
	static const struct log_timestamps dflt = { .on = true, .msec = true, .localtime = true };
	struct log_timestamps ts = { .on = true };

	if (x->is_default) {
		ts = dflt;
	} else if (x->is_no) {
		ts.on = false;
	} else if (cli_has(x, "uptime")) {
		ts.uptime = true;
	} else {
		ts.msec = cli_has(x, "msec");
		ts.localtime = cli_has(x, "localtime");
		ts.show_timezone = cli_has(x, "show-timezone");
		ts.year = cli_has(x, "year");
	}
	if (!kind || strcmp(kind, "log") == 0)
		ls->ts_log = ts;
	if (!kind || strcmp(kind, "debug") == 0)
		ls->ts_debug = ts;
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

static void write_timestamps(struct strbuf *out, const char *kind, const struct log_timestamps *t)
{
	if (log_timestamps_default(t))
		return;
	if (!t->on) {
		sb_printf(out, "no service timestamps %s\n", kind);
		return;
	}
	sb_printf(out, "service timestamps %s %s", kind, t->uptime ? "uptime" : "datetime");
	if (!t->uptime)
		sb_printf(out, "%s%s%s%s", t->msec ? " msec" : "", t->localtime ? " localtime" : "",
			  t->show_timezone ? " show-timezone" : "", t->year ? " year" : "");
	sb_putc(out, '\n');
}

static void write_service_timestamps(const struct config *cfg, struct strbuf *out)
{
	write_timestamps(out, "debug", &cfg->logging.ts_debug);
	write_timestamps(out, "log", &cfg->logging.ts_log);
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
	if (ls->facility != LOG_DEFAULT_FACILITY)
		sb_printf(out, "logging facility %s\n", log_facility_name(ls->facility));
	for (size_t i = 0; i < ls->n_hosts; i++) {
		const struct log_host *h = &ls->hosts[i];
		sb_printf(out, "logging host %s%s", h->ipv6 ? "ipv6 " : "", h->addr);
		if (h->transport == LOG_TRANSPORT_TCP)
			sb_puts(out, " transport tcp");
		else if (h->port != LOG_PORT_UDP)
			sb_puts(out, " transport udp");
		if (h->port != (h->transport == LOG_TRANSPORT_TCP ? LOG_PORT_TCP : LOG_PORT_UDP))
			sb_printf(out, " port %u", h->port);
		sb_putc(out, '\n');
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
#define TRANSPORT_HELP                                                          \
	"Specify the transport protocol (default=UDP)\nUDP transport (port 514 by default)\n" \
	"TCP transport (port 601 by default)\nSpecify the port\nPort number"
#define FACILITIES                                                              \
	"<auth|cron|daemon|kern|local0|local1|local2|local3|local4|local5|local6|local7|lpr|" \
	"mail|news|syslog|user|uucp>$fac"
#define FACILITY_HELP                                                           \
	"Authorization system\nCron/at facility\nSystem daemons\nKernel\n"    \
	"Local use\nLocal use\nLocal use\nLocal use\nLocal use\nLocal use\n"      \
	"Local use\nLocal use\nLine printer system\nMail system\nUSENET news\n"  \
	"Syslog itself\nUser process\nUnix-to-Unix copy system"

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
	{ "config", "logging host A.B.C.D$addr [transport <udp|tcp>$proto [port (1-65535)$portnum]]",
	  "\nSet syslog server IP address and parameters\nIP address of the syslog server\n"
	  TRANSPORT_HELP,
	  cmd_logging_host, 0 },
	{ "config", "logging host ipv6 X:X::X:X$addr6 [transport <udp|tcp>$proto [port (1-65535)$portnum]]",
	  "\n\nIPv6 syslog server\nIPv6 address of the syslog server\n" TRANSPORT_HELP,
	  cmd_logging_host, 0 },
	{ "config", "logging A.B.C.D$addr", "\nIP address of the syslog server (old form of "
	  "logging host)", cmd_logging_host, CLI_HIDDEN },
	{ "config", "no logging host A.B.C.D$addr [transport <udp|tcp>$proto [port (1-65535)$portnum]]",
	  NO, cmd_logging_host, 0 },
	{ "config", "no logging host ipv6 X:X::X:X$addr6 [transport <udp|tcp>$proto [port (1-65535)$portnum]]",
	  NO "\n\nIPv6 syslog server\nIPv6 address of the syslog server\n" TRANSPORT_HELP,
	  cmd_logging_host, 0 },
	{ "config", "no logging A.B.C.D$addr", NO, cmd_logging_host, CLI_HIDDEN },
	{ "config", "logging facility " FACILITIES,
	  "\nFacility parameter for syslog messages\n" FACILITY_HELP, cmd_logging_facility, 0 },
	{ "config", "no logging facility [" FACILITIES "]", NO, cmd_logging_facility, 0 },
	{ "config", "service timestamps <log|debug>$kind datetime [msec] [localtime] [show-timezone] [year]",
	  "Modify use of network based services\nTimestamp debug/log messages\n"
	  "Timestamp log messages\nTimestamp debug messages\n"
	  "Timestamp with date and time\nInclude milliseconds in timestamp\n"
	  "Use local time zone for timestamps\nAdd time zone information to timestamp\n"
	  "Include year in timestamp",
	  cmd_service_timestamps, 0 },
	{ "config", "service timestamps <log|debug>$kind uptime",
	  "\n\n\n\nTimestamp with time since the daemon started", cmd_service_timestamps, 0 },
	{ "config", "no service timestamps [<log|debug>$kind] [LINE]",
	  NO "\n\n\nTimestamp log messages\nTimestamp debug messages\nFormat (ignored)",
	  cmd_service_timestamps, 0 },
	{ "exec", "show logging", "\nShow the contents of logging buffers", cmd_show_logging, 0 },
	{ "exec", "clear logging", "Reset functions\nClear logging buffer", cmd_clear_logging,
	  CLI_PRIV },
};

void log_cli_init(void)
{
	CLI_INSTALL(log_cmds);
	config_section_register(5, "service timestamps", write_service_timestamps);
	config_section_register(20, "logging", write_logging);
}
