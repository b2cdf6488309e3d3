/* The model's lifetime, running-config generation from the registered
 * sections, and the per-line bookkeeping shared by shells and the loader. */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "config/config.h"
#include "config/secret.h"
#include "log/debug.h"

static struct debug_flag debug_config = {
	.path = "config changes",
	.help = "Configuration\nEach configuration change as it is applied",
	.title = "Configuration changes",
};

struct section {
	int order;
	const char *name;
	config_writer_fn fn;
};

static struct section *sections;
static size_t nsections, capsections;

void config_section_register(int order, const char *name, config_writer_fn fn)
{
	size_t i;

	for (i = 0; i < nsections; i++)
		if (strcmp(sections[i].name, name) == 0)
			return;
	xgrow(&sections, &capsections, nsections + 1, sizeof(*sections));
	for (i = nsections; i > 0 && sections[i - 1].order > order; i--)
		sections[i] = sections[i - 1];
	sections[i] = (struct section){ order, name, fn };
	nsections++;
}

struct config_ext {
	const struct config_ext_type *type;
	struct config_ext *next;
	void *data;
};

void *config_ext_get(const struct config *cfg, const struct config_ext_type *type)
{
	for (struct config_ext *e = cfg->ext; e; e = e->next)
		if (e->type == type)
			return e->data;
	return NULL;
}

void *config_ext_get_or_create(struct config *cfg, const struct config_ext_type *type,
			       size_t size)
{
	void *data = config_ext_get(cfg, type);

	if (data)
		return data;
	struct config_ext *e = xcalloc(1, sizeof(*e));
	e->type = type;
	e->data = xcalloc(1, size);
	e->next = cfg->ext;
	cfg->ext = e;
	if (type->init)
		type->init(e->data);
	return e->data;
}

void config_init(struct config *cfg)
{
	memset(cfg, 0, sizeof(*cfg));
	log_get_settings(&cfg->logging);
	iface_table_init(&cfg->ifaces);
}

void config_free(struct config *cfg)
{
	free(cfg->sys.hostname);
	free(cfg->sys.banner_motd);
	free(cfg->sys.enable_secret);
	if (cfg->sys.enable_password)
		explicit_bzero(cfg->sys.enable_password, strlen(cfg->sys.enable_password));
	free(cfg->sys.enable_password);
	free(cfg->last_change_by);
	iface_table_free(&cfg->ifaces);
	while (cfg->ext) {
		struct config_ext *e = cfg->ext;
		cfg->ext = e->next;
		if (e->type->free)
			e->type->free(e->data);
		else
			free(e->data);
		free(e);
	}
	memset(cfg, 0, sizeof(*cfg));
}

const char *config_hostname(const struct config *cfg)
{
	return cfg->sys.hostname ? cfg->sys.hostname : "Router";
}

void config_write(const struct config *cfg, struct strbuf *out)
{
	sb_puts(out, "!\n");
	if (cfg->last_change) {
		char when[64];
		struct tm tm;
		localtime_r(&cfg->last_change, &tm);
		strftime(when, sizeof(when), "%H:%M:%S %Z %a %b %e %Y", &tm);
		sb_printf(out, "! Last configuration change at %s by %s\n!\n", when,
			  cfg->last_change_by ? cfg->last_change_by : "console");
	}
	for (size_t i = 0; i < nsections; i++) {
		size_t before = out->len;
		sections[i].fn(cfg, out);
		/* IOS separates blocks with "!" lines. */
		if (out->len > before && strcmp(out->buf + out->len - 2, "!\n") != 0)
			sb_puts(out, "!\n");
	}
	sb_puts(out, "end\n");
}

static bool masking; /* main thread only, like the model */

bool config_write_masked(void)
{
	return masking;
}

void config_show_running_masked(const struct config *cfg, struct strbuf *out)
{
	masking = true;
	config_show_running(cfg, out);
	masking = false;
}

static const struct config_secret_codec *secret_codec;

void config_secret_set_codec(const struct config_secret_codec *codec)
{
	secret_codec = codec;
}

void config_secret_write(const struct config *cfg, const char *plain, struct strbuf *out)
{
	if (masking) {
		sb_puts(out, "<removed>");
	} else if (secret_codec) {
		secret_codec->write(cfg, plain, out);
	} else if (cfg->sys.password_encryption) {
		char *enc = secret_type7_encode(plain, (unsigned)strlen(plain));
		sb_printf(out, "7 %s", enc);
		free(enc);
	} else {
		sb_puts(out, plain);
	}
}

char *config_secret_decode(struct cli_exec *x, const char *type, const char *text)
{
	char *plain;

	if (secret_codec)
		return secret_codec->decode(x, type, text);
	if (!type || strcmp(type, "0") == 0)
		return xstrdup(text);
	if (strcmp(type, "7") == 0 && (plain = secret_type7_decode(text)) && *plain)
		return plain;
	cli_error(x, "Invalid encrypted password");
	return NULL;
}

void config_show_running(const struct config *cfg, struct strbuf *out)
{
	struct strbuf body = STRBUF_INIT;

	config_write(cfg, &body);
	sb_printf(out, "Building configuration...\n\nCurrent configuration : %zu bytes\n", body.len);
	sb_add(out, body.buf, body.len);
	sb_free(&body);
}

void config_exec_line(struct config_env *env, struct cli_session *s, const char *line,
		      struct strbuf *out, struct cli_result *res)
{
	char *loggable = NULL;

	/* Decide what may be logged before the line runs: after it, the
	 * session may be in another mode. */
	if (debug_on(&debug_config))
		loggable = cli_loggable_line(s, line);
	cli_execute(s, line, out, res);
	if (res->status == CLI_OK && res->config_node && res->cmd &&
	    !(res->cmd->flags & CLI_NOLOG)) {
		struct config *cfg = env->cfg;
		cfg->last_change = time(NULL);
		free(cfg->last_change_by);
		cfg->last_change_by = xstrdup(cli_session_user(s));
		if (loggable)
			log_debug_line("CONFIG: %s: %s", cli_session_name(s), loggable);
	}
	free(loggable);
}

void config_debug_register(void)
{
	debug_register(&debug_config);
}
