/* System-wide commands: hostname, banner, privilege (enable secret /
 * password, enable, disable), service password-encryption, and the
 * running/startup configuration commands. */
#include <ctype.h>
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/time.h>
#include <sys/utsname.h>
#include <time.h>
#include <unistd.h>

#include <openssl/crypto.h>

#include "config/config.h"
#include "config/secret.h"
#include "vpnsip/version.h"

/* ---- hostname ------------------------------------------------------------ */

static bool hostname_valid(const char *h)
{
	size_t n = strlen(h);

	if (n == 0 || n > 63 || !isalpha((unsigned char)h[0]) || !isalnum((unsigned char)h[n - 1]))
		return false;
	for (; *h; h++)
		if (!isalnum((unsigned char)*h) && *h != '-')
			return false;
	return true;
}

static int cmd_hostname(struct cli_exec *x)
{
	struct config *cfg = cfg_of(x);
	const char *name = cli_arg(x, "name");

	if (x->is_no) {
		free(cfg->sys.hostname);
		cfg->sys.hostname = NULL;
		return CLI_OK;
	}
	if (!hostname_valid(name))
		return cli_error(x, "Hostname contains one or more illegal characters.");
	free(cfg->sys.hostname);
	cfg->sys.hostname = xstrdup(name);
	return CLI_OK;
}

/* ---- banner motd ----------------------------------------------------------- */

/* The delimiter show running-config writes around text: "^C" as IOS shows
 * it, or, when the text holds "^C" itself, the first character of these
 * that it does not hold (the text would end early on reading it back).
 * NULL when the text holds them all. */
static const char *banner_delimiter(const char *text)
{
	static const char candidates[] = "#%$&@~!|+=*";
	static char one[2];

	if (!strstr(text, "^C"))
		return "^C";
	for (const char *c = candidates; *c; c++)
		if (!strchr(text, *c)) {
			one[0] = *c;
			return one;
		}
	return NULL;
}

static bool banner_store(struct config *cfg, char *text, struct strbuf *out)
{
	if (!banner_delimiter(text)) {
		sb_puts(out, "% Banner text holds ^C and every other delimiter (#%$&@~!|+=*); "
			     "not stored\n");
		free(text);
		return false;
	}
	free(cfg->sys.banner_motd);
	cfg->sys.banner_motd = text;
	return true;
}

struct banner_read {
	char *delim;
	struct strbuf text;
};

static bool banner_more(struct cli_session *s, const char *line, void *arg, struct strbuf *out)
{
	struct banner_read *br = arg;
	struct config *cfg = ((struct config_env *)cli_session_app(s))->cfg;
	const char *end;

	if (!line) {
		sb_free(&br->text);
		free(br->delim);
		free(br);
		return true;
	}
	end = strstr(line, br->delim);
	sb_add(&br->text, line, end ? (size_t)(end - line) : strlen(line));
	if (!end) {
		sb_putc(&br->text, '\n');
		return false;
	}
	banner_store(cfg, sb_steal(&br->text), out);
	free(br->delim);
	free(br);
	return true;
}

static int cmd_banner_motd(struct cli_exec *x)
{
	struct config *cfg = cfg_of(x);
	struct banner_read *br;
	size_t dlen;
	const char *end;

	if (x->is_no) {
		free(cfg->sys.banner_motd);
		cfg->sys.banner_motd = NULL;
		return CLI_OK;
	}
	const char *text = cli_arg(x, "text");
	/* The first character delimits the text; "^C" as shown by show
	 * running-config stands for Ctrl-C, as on IOS. */
	dlen = strncmp(text, "^C", 2) == 0 ? 2 : 1;
	end = strstr(text + dlen, (char[3]){ text[0], dlen == 2 ? text[1] : '\0', '\0' });
	if (end) {
		char *body = xstrndup(text + dlen, (size_t)(end - text - dlen));
		if (!banner_delimiter(body)) {
			free(body);
			return cli_error(x, "Banner text holds ^C and every other delimiter "
					    "(#%%$&@~!|+=*)");
		}
		free(cfg->sys.banner_motd);
		cfg->sys.banner_motd = body;
		return CLI_OK;
	}
	br = xcalloc(1, sizeof(*br));
	br->delim = xstrndup(text, dlen);
	sb_puts(&br->text, text + dlen);
	sb_putc(&br->text, '\n');
	{
		char *prompt = xasprintf("Enter TEXT message.  End with the character '%s'.",
					 br->delim);
		cli_read_more(x, prompt, banner_more, br);
		free(prompt);
	}
	return CLI_OK;
}

/* ---- privilege --------------------------------------------------------------- */

static int cmd_service_password_encryption(struct cli_exec *x)
{
	cfg_of(x)->sys.password_encryption = !x->is_no;
	return CLI_OK;
}

static int cmd_enable_secret(struct cli_exec *x)
{
	struct system_cfg *sys = &cfg_of(x)->sys;
	char *stored;

	if (x->is_no) {
		free(sys->enable_secret);
		sys->enable_secret = NULL;
		return CLI_OK;
	}
	const char *type = cli_arg(x, "type");
	const char *secret = cli_arg(x, "value");
	if (!type || strcmp(type, "0") == 0) {
		char *hash = secret_hash_type9(secret);
		if (!hash)
			return cli_error(x, "Could not hash the secret");
		stored = xasprintf("9 %s", hash);
		free(hash);
	} else {
		int t = atoi(type);
		if (!secret_hash_valid(t, secret))
			return cli_error(x, "Invalid encrypted secret: %s", "not a type-5/9 hash");
		stored = xasprintf("%d %s", t, secret);
	}
	free(sys->enable_secret);
	sys->enable_secret = stored;
	return CLI_OK;
}

static int cmd_enable_password(struct cli_exec *x)
{
	struct system_cfg *sys = &cfg_of(x)->sys;
	char *plain;

	if (x->is_no) {
		free(sys->enable_password);
		sys->enable_password = NULL;
		return CLI_OK;
	}
	plain = config_secret_decode(x, cli_arg(x, "type"), cli_arg(x, "value"));
	if (!plain)
		return CLI_ERR_FAILED;
	if (sys->enable_password)
		explicit_bzero(sys->enable_password, strlen(sys->enable_password));
	free(sys->enable_password);
	sys->enable_password = plain;
	return CLI_OK;
}

struct enable_try {
	int attempts;
};

static bool enable_password_ok(struct config *cfg, const char *pw)
{
	if (cfg->sys.enable_secret)
		return secret_verify(cfg->sys.enable_secret, pw);
	return cfg->sys.enable_password && strcmp(cfg->sys.enable_password, pw) == 0;
}

static bool enable_more(struct cli_session *s, const char *line, void *arg, struct strbuf *out)
{
	struct enable_try *t = arg;
	struct config_env *env = cli_session_app(s);

	if (!line) { /* the session ended while asking */
		free(t);
		return true;
	}
	if (enable_password_ok(env->cfg, line)) {
		cli_session_set_priv(s, 15);
		free(t);
		return true;
	}
	if (++t->attempts >= 3) {
		sb_puts(out, "% Bad secrets\n");
		log_msg("SYS", SEV_NOTICE, "AUTH_FAIL", "enable failed by %s", cli_session_who(s));
		free(t);
		return true;
	}
	return false;
}

static int cmd_enable(struct cli_exec *x)
{
	struct config *cfg = cfg_of(x);

	if (!cfg->sys.enable_secret && !cfg->sys.enable_password) {
		/* root's shell is the console; anyone else is a vty, where IOS
		 * refuses enable without a password */
		if (!cli_session_trusted(x->s))
			return cli_error(x, "No password set");
		cli_session_set_priv(x->s, 15);
		return CLI_OK;
	}
	cli_read_secret(x, "Password: ", enable_more, xcalloc(1, sizeof(struct enable_try)));
	return CLI_OK;
}

static int cmd_disable(struct cli_exec *x)
{
	cli_session_set_priv(x->s, 1);
	return CLI_OK;
}

/* ---- configuration files ------------------------------------------------------ */

static int cmd_show_running(struct cli_exec *x)
{
	struct config *cfg = cfg_of(x);
	const char *ifname = cli_arg(x, "ifname");

	if (ifname) {
		struct iface_cfg *ifc = iface_find(&cfg->ifaces, ifname);
		struct strbuf body = STRBUF_INIT;
		if (!ifc)
			return cli_error(x, "Interface %s not configured", ifname);
		sb_puts(&body, "!\n");
		iface_write_one(cfg, ifc, &body);
		sb_puts(&body, "end\n");
		cli_out(x, "Building configuration...\n\nCurrent configuration : %zu bytes\n%s",
			body.len, sb_str(&body));
		sb_free(&body);
		return CLI_OK;
	}
	/* below privilege 15 (the read-only group): no secret, not even a
	 * hash or an encrypted one */
	if (cli_session_priv(x->s) < 15)
		config_show_running_masked(cfg, x->out);
	else
		config_show_running(cfg, x->out);
	return CLI_OK;
}

/* Writing or erasing the startup file while it is being read (a "do write"
 * line in it) or checked (-t) would destroy it. */
static bool startup_file_busy(struct cli_exec *x)
{
	if (cfg_env(x)->check_only || strcmp(cli_session_name(x->s), "startup-config") == 0) {
		cli_error(x, "Not allowed while the startup configuration is being loaded or checked");
		return true;
	}
	return false;
}

static int cmd_write_memory(struct cli_exec *x)
{
	struct config_env *env = cfg_env(x);

	if (startup_file_busy(x))
		return CLI_ERR_FAILED;
	cli_out(x, "Building configuration...\n");
	if (config_save_file(env->cfg, env->startup_path) < 0)
		return cli_error(x, "Could not write %s: %s", env->startup_path, strerror(errno));
	log_msg("SYS", SEV_NOTICE, "CONFIG_SAVED", "Configuration saved to %s by %s",
		env->startup_path, cli_session_who(x->s));
	cli_out(x, "[OK]\n");
	config_archive_after_write(x);
	return CLI_OK;
}

static int cmd_show_startup(struct cli_exec *x)
{
	struct config_env *env = cfg_env(x);
	FILE *f = fopen(env->startup_path, "r");
	char buf[4096];
	size_t n;
	struct strbuf body = STRBUF_INIT;

	if (!f) {
		if (errno == ENOENT)
			return cli_error(x, "startup-config is not present");
		return cli_error(x, "Could not read %s: %s", env->startup_path, strerror(errno));
	}
	while ((n = fread(buf, 1, sizeof(buf), f)) > 0)
		sb_add(&body, buf, n);
	fclose(f);
	cli_out(x, "Using %zu bytes\n%s", body.len, sb_str(&body));
	sb_free(&body);
	return CLI_OK;
}

static bool erase_startup(struct config_env *env, struct cli_session *s, struct strbuf *out)
{
	if (unlink(env->startup_path) < 0 && errno != ENOENT) {
		sb_printf(out, "%% Could not erase %s: %s\n", env->startup_path, strerror(errno));
		return false;
	}
	sb_puts(out, "[OK]\nErase of nvram: complete\n");
	log_msg("SYS", SEV_NOTICE, "NV_ERASE", "startup-config erased by %s", cli_session_who(s));
	return true;
}

/* IOS's [confirm]: Return or "y" erases, anything else keeps the file; a
 * script that ends before answering keeps it too. */
static bool erase_confirm(struct cli_session *s, const char *line, void *arg, struct strbuf *out)
{
	if (!line)
		return true;
	if (!*line || strcasecmp(line, "y") == 0 || strcasecmp(line, "yes") == 0)
		erase_startup(cli_session_app(s), s, out);
	else
		sb_puts(out, "% Erase of nvram aborted\n");
	return true;
}

static int cmd_erase_startup(struct cli_exec *x)
{
	if (startup_file_busy(x))
		return CLI_ERR_FAILED;
	if (cli_has(x, "force"))
		return erase_startup(cfg_env(x), x->s, x->out) ? CLI_OK : CLI_ERR_FAILED;
	cli_read_more(x, "Erasing the nvram filesystem will remove all configuration files! "
			 "Continue? [confirm]",
		      erase_confirm, NULL);
	return CLI_OK;
}

/* When the daemon started, for "uptime is". */
static time_t started_wall;
HOOK_DEFINE(show_version_library);

static struct timespec started_mono;
__attribute__((constructor)) static void system_start_clock(void)
{
	started_wall = time(NULL);
	clock_gettime(CLOCK_MONOTONIC, &started_mono);
}

static void plural(struct strbuf *out, long n, const char *unit, bool comma)
{
	sb_printf(out, "%s%ld %s%s", comma ? ", " : "", n, unit, n == 1 ? "" : "s");
}

static int cmd_show_version(struct cli_exec *x)
{
	struct strbuf up = STRBUF_INIT;
	struct timespec now;
	struct utsname u;
	struct tm tm;
	char when[64];

	clock_gettime(CLOCK_MONOTONIC, &now);
	long s = (long)(now.tv_sec - started_mono.tv_sec);
	/* IOS: "uptime is 1 week, 2 days, 3 hours, 4 minutes" */
	bool any = false;
	if (s >= 7 * 86400) {
		plural(&up, s / (7 * 86400), "week", any);
		any = true;
	}
	if (s >= 86400) {
		plural(&up, s / 86400 % 7, "day", any);
		any = true;
	}
	if (s >= 3600) {
		plural(&up, s / 3600 % 24, "hour", any);
		any = true;
	}
	plural(&up, s / 60 % 60, "minute", any);
	localtime_r(&started_wall, &tm);
	strftime(when, sizeof(when), "%H:%M:%S %Z %a %b %e %Y", &tm);
	if (uname(&u) < 0)
		memset(&u, 0, sizeof(u));
	cli_out(x, "vpnsip Software, Version %s\n"
		   "SIP-triggered VPN (TTC TS-1017 / RFC 6193) router daemon\n"
		   "License: GPL-2.0-or-later\n\n",
		VPNSIP_VERSION);
	cli_out(x, "%s uptime is %s\n", config_hostname(cfg_of(x)), sb_str(&up));
	cli_out(x, "System started at %s\n", when);
	cli_out(x, "Kernel: %s %s %s\n", u.sysname, u.release, u.machine);
	struct strbuf libs = STRBUF_INIT;
	hook_call(show_version_library, &libs);
	cli_out(x, "%s%s%s\n", sb_str(&libs), libs.len ? ", " : "",
		OpenSSL_version(OPENSSL_VERSION));
	sb_free(&libs);
	sb_free(&up);
	return CLI_OK;
}

/* "08:30:01.123 UTC Mon Dec 7 2026", as IOS. */
static int cmd_show_clock(struct cli_exec *x)
{
	struct timeval tv;
	struct tm tm;
	char hms[16], rest[64];

	gettimeofday(&tv, NULL);
	localtime_r(&tv.tv_sec, &tm);
	strftime(hms, sizeof(hms), "%H:%M:%S", &tm);
	strftime(rest, sizeof(rest), "%Z %a %b %-d %Y", &tm);
	cli_out(x, "%s.%03d %s\n", hms, (int)(tv.tv_usec / 1000), rest);
	return CLI_OK;
}

/* ---- show tech-support ------------------------------------------------------- */

/* What a support case needs, in one output: each show under IOS's banner.
 * The running configuration is the masked one whatever the privilege: no
 * pre-shared key, password or secret hash leaves in a support file. */
static const char *const tech_support_shows[] = {
	"show version",
	"show clock",
	"show running-config",
	"show users",
	"show logging",
	"show debugging",
	"show archive",
	"show interfaces",
	"show ip interface brief",
	"show ip route",
	"show track",
	"show ip sla statistics",
	"show ip sla configuration",
	"show access-lists",
	"show ip nat statistics",
	"show ip nat translations",
	"show dhcp lease",
	"show vpn-sip sip",
	"show vpn-sip sip statistics",
	"show vpn-sip registration-status",
	"show vpn-sip sip registrar",
	"show vpn-sip sip dhcp",
	"show vpn-sip session brief",
	"show vpn-sip session detail",
	"show vpn-sip call-history",
	"show crypto session detail",
	"show crypto ikev2 sa detailed",
	"show crypto ipsec sa",
	"show crypto ipsec dataplane",
	"show crypto pki trustpoints",
	"show policy-map interface",
};

static int cmd_show_tech_support(struct cli_exec *x)
{
	for (size_t i = 0; i < ARRAY_SIZE(tech_support_shows); i++) {
		const char *cmd = tech_support_shows[i];
		cli_out(x, "%s------------------ %s ------------------\n\n", i ? "\n\n" : "", cmd);
		if (strcmp(cmd, "show running-config") == 0)
			config_show_running_masked(cfg_of(x), x->out);
		else
			cli_run_exec(x, cmd);
	}
	return CLI_OK;
}

/* ---- running-config ------------------------------------------------------------ */

static void write_system(const struct config *cfg, struct strbuf *out)
{
	if (cfg->sys.password_encryption)
		sb_puts(out, "service password-encryption\n!\n");
	sb_printf(out, "hostname %s\n!\n", config_hostname(cfg));
	if (cfg->sys.enable_secret && config_write_masked())
		sb_printf(out, "enable secret %.1s <removed>\n", cfg->sys.enable_secret);
	else if (cfg->sys.enable_secret)
		sb_printf(out, "enable secret %s\n", cfg->sys.enable_secret);
	if (cfg->sys.enable_password) {
		sb_puts(out, "enable password ");
		config_secret_write(cfg, cfg->sys.enable_password, out);
		sb_putc(out, '\n');
	}
	if (cfg->sys.enable_secret || cfg->sys.enable_password)
		sb_puts(out, "!\n");
}

static void write_banner(const struct config *cfg, struct strbuf *out)
{
	const char *delim = cfg->sys.banner_motd ? banner_delimiter(cfg->sys.banner_motd) : NULL;

	if (delim)
		sb_printf(out, "banner motd %s%s%s\n!\n", delim, cfg->sys.banner_motd, delim);
}

#define NO "Negate a command or set its defaults"

static const struct cli_cmd system_cmds[] = {
	{ "config", "hostname WORD$name", "Set system's network name\nThis system's network name",
	  cmd_hostname, 0 },
	{ "config", "no hostname [WORD$name]", NO, cmd_hostname, 0 },
	{ "config", "banner motd LINE$text",
	  "Define a login banner\nSet Message of the Day banner\n"
	  "c banner-text c, where 'c' is a delimiting character",
	  cmd_banner_motd, 0 },
	{ "config", "no banner motd", NO, cmd_banner_motd, 0 },
	{ "config", "service password-encryption",
	  "Modify use of network based services\nEncrypt system passwords",
	  cmd_service_password_encryption, 0 },
	{ "config", "no service password-encryption", NO, cmd_service_password_encryption, 0 },
	{ "config", "enable secret [<0|5|9>$type] WORD$value",
	  "Modify enable password parameters\nAssign the privileged level secret\n"
	  "Specifies an UNENCRYPTED password will follow\n"
	  "Specifies a MD5 HASHED secret will follow\n"
	  "Specifies a SCRYPT HASHED secret will follow\nThe secret",
	  cmd_enable_secret, CLI_SECRET },
	{ "config", "no enable secret", NO, cmd_enable_secret, 0 },
	{ "config", "enable password [<0|6|7>$type] WORD$value",
	  "\nAssign the privileged level password\n"
	  "Specifies an UNENCRYPTED password will follow\n"
	  "Specifies an ENCRYPTED password will follow (AES, password encryption aes)\n"
	  "Specifies a HIDDEN password will follow\nThe password",
	  cmd_enable_password, CLI_SECRET },
	{ "config", "no enable password", NO, cmd_enable_password, 0 },

	{ "exec", "enable", "Turn on privileged commands", cmd_enable, 0 },
	{ "exec", "disable", "Turn off privileged commands", cmd_disable, CLI_PRIV },
	{ "exec", "show running-config [interface IFNAME$ifname]",
	  "Show running system information\nCurrent operating configuration\n"
	  "Show interface configuration\nInterface name",
	  cmd_show_running, 0 },
	{ "exec", "show startup-config", "\nContents of startup configuration", cmd_show_startup,
	  CLI_PRIV },
	{ "exec", "show version", "\nSystem hardware and software status", cmd_show_version, 0 },
	{ "exec", "show clock", "\nDisplay the system clock", cmd_show_clock, 0 },
	{ "exec", "show tech-support",
	  "\nShow system information for Tech-Support (every show; secrets removed)",
	  cmd_show_tech_support, CLI_PRIV },
	{ "exec", "write [memory]",
	  "Write running configuration to memory, network, or terminal\n"
	  "Write to NV memory",
	  cmd_write_memory, CLI_PRIV },
	{ "exec", "copy running-config startup-config",
	  "Copy from one file to another\ncopy from current system configuration\n"
	  "copy to startup configuration",
	  cmd_write_memory, CLI_PRIV },
	{ "exec", "erase startup-config [force]",
	  "Erase a filesystem\nErase contents of configuration memory\n"
	  "Do not ask for confirmation (scripts)",
	  cmd_erase_startup, CLI_PRIV },
};

void system_cli_init(void)
{
	config_debug_register();
	CLI_INSTALL(system_cmds);
	config_section_register(10, "system", write_system);
	config_section_register(900, "banner", write_banner);
}
