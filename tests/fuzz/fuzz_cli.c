/* libFuzzer target for the command engine and the configuration model.
 *
 * Each input is a configuration as a user would type or paste it: it is
 * split into lines and fed, line by line, through config_exec_line() in a
 * fresh session (priv 15, configuration mode, "vpnsipd -t" semantics:
 * check_only, nothing applied to the system).  Every line is also given to
 * "?" help (cli_help), TAB completion (cli_complete), the secret-masking
 * line logger and, when it fails, the IOS error renderer; at the end the
 * running configuration is generated.  Everything is freed per input so
 * that LeakSanitizer checks the engine and the model: every feature keeps
 * its part of the model in the configuration (routes, NAT, access lists,
 * IP SLA, track, crypto, ...), so config_free() leaves nothing behind and
 * the next input starts from an empty model.
 *
 * The words of each line also go through cli_ifname_canon() and
 * secret_type7_decode(), with two invariants checked (abort() on breach):
 *   - a canonical interface name is a fixed point of cli_ifname_canon();
 *   - a type-7 string that decodes re-encodes to itself (modulo hex case).
 *
 * And the running configuration, fed back line by line into a fresh model
 * (a second configuration beside the first, sharing nothing with it),
 * loads without an error and gives itself again (what "write memory" and
 * a reboot rely on).  FUZZ_CLI_ROUNDTRIP=0 in the environment turns this
 * check off (to look for crashes alone, about twice as fast).
 *
 * Mode selection by an optional first line (the line itself is not run):
 *   "#!exec"   start in exec mode at priv 15, do not re-enter config mode
 *   "#!user"   start in exec mode at priv 1 (the "enable" path)
 *   otherwise  start in config mode, and go back into it after "end" or
 *              "exit" as the startup-config loader does.
 *
 * Nothing is ever written: write memory is a no-op with check_only, and
 * startup_path lies in a directory that does not exist, so "erase
 * startup-config" (which unlinks startup_path even with check_only) and
 * "show startup-config" fail harmlessly. */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <time.h>

#include "cli/cli.h"
#include "config/config.h"
#include "config/secret.h"
#include "daemon/feature.h"
#include "log/debug.h"
#include "log/log.h"

#define STARTUP_PATH "/nonexistent/vpnsip-fuzz/startup-config"
#define STATE_DIR "/nonexistent/vpnsip-fuzz"
#define MAX_WORDS 8

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool roundtrip;

static void init_once(void)
{
	static bool done;

	if (done)
		return;
	done = true;
	roundtrip = !getenv("FUZZ_CLI_ROUNDTRIP") || strcmp(getenv("FUZZ_CLI_ROUNDTRIP"), "0") != 0;
	/* The logging settings stay the defaults: config_init() copies them
	 * into each model, and with check_only no command changes them.  (No
	 * log_init(): nothing goes to stderr.) */
	feature_cli_init_all();
}

/* A canonical interface name must canonicalise to itself. */
static void check_ifname(const char *w1, const char *w2)
{
	int used = 0, used2 = 0;
	char *canon = cli_ifname_canon(w1, w2, &used);

	if (canon) {
		char *again = cli_ifname_canon(canon, NULL, &used2);
		if (!again || used2 != 1 || strcmp(again, canon) != 0) {
			fprintf(stderr, "cli_ifname_canon('%s', '%s') = '%s', but of that: '%s'\n", w1,
				w2 ? w2 : "(null)", canon, again ? again : "(null)");
			abort();
		}
		free(again);
	}
	free(canon);
}

/* A type-7 string that decodes must re-encode to itself. */
static void check_type7(const char *enc)
{
	char *plain = secret_type7_decode(enc);

	if (plain) {
		unsigned seed = (unsigned)((enc[0] - '0') * 10 + (enc[1] - '0'));
		char *again = secret_type7_encode(plain, seed);
		if (strcasecmp(again, enc) != 0) {
			fprintf(stderr, "type 7 '%s' decodes but re-encodes as '%s'\n", enc, again);
			abort();
		}
		free(again);
		free(plain);
	}
}

static void exercise_words(const char *line)
{
	char *copy = strdup(line);
	char *words[MAX_WORDS];
	size_t n = 0;
	char *save = NULL;

	if (!copy)
		return;
	for (char *w = strtok_r(copy, " \t", &save); w && n < MAX_WORDS;
	     w = strtok_r(NULL, " \t", &save))
		words[n++] = w;
	for (size_t i = 0; i < n; i++) {
		check_ifname(words[i], NULL);
		if (i + 1 < n)
			check_ifname(words[i], words[i + 1]);
		check_type7(words[i]);
	}
	check_type7(line);
	free(copy);
}

static void enter_config(struct cli_session *s);

/* The configuration text without the "Last configuration change" line. */
static void body_of(struct config *cfg, struct strbuf *out)
{
	time_t saved = cfg->last_change;

	cfg->last_change = 0;
	config_write(cfg, out);
	cfg->last_change = saved;
}

static void check_roundtrip(struct config *cfg)
{
	struct config cfg2;
	struct config_env env2 = {
		.cfg = &cfg2,
		.startup_path = STARTUP_PATH,
		.state_dir = STATE_DIR,
		.check_only = true,
	};
	struct strbuf text = STRBUF_INIT, text2 = STRBUF_INIT, out = STRBUF_INIT;
	struct cli_session *s;
	struct cli_result res;
	char *save = NULL;

	body_of(cfg, &text);
	config_init(&cfg2);
	s = cli_session_new(&env2, 15);
	enter_config(s);
	char *copy = xstrdup(sb_str(&text));
	/* Line by line, empty ones included (a banner may hold some). */
	for (char *line = copy; line && *line; line = save) {
		save = strchr(line, '\n');
		if (save)
			*save++ = '\0';
		sb_reset(&out);
		config_exec_line(&env2, s, line, &out, &res);
		if (res.status != CLI_OK && res.status != CLI_MORE_INPUT) {
			fprintf(stderr, "running-config line '%s' does not load back (%d): %s\n%s",
				line, res.status, sb_str(&out), sb_str(&text));
			abort();
		}
		if (strcmp(cli_session_node(s), "exec") == 0)
			enter_config(s);
	}
	body_of(&cfg2, &text2);
	if (strcmp(sb_str(&text), sb_str(&text2)) != 0) {
		fprintf(stderr, "running-config does not round-trip:\n%s---- loads back as:\n%s",
			sb_str(&text), sb_str(&text2));
		abort();
	}
	free(copy);
	cli_session_free(s);
	config_free(&cfg2);
	sb_free(&text);
	sb_free(&text2);
	sb_free(&out);
}

static void enter_config(struct cli_session *s)
{
	struct cli_exec enter = { 0 };

	enter.s = s;
	cli_enter(&enter, "config", NULL);
}

static void run_line(struct config_env *env, struct cli_session *s, const char *line,
		     struct strbuf *out)
{
	struct cli_result res;
	char *loggable;

	/* "?" and TAB never change the session. */
	sb_reset(out);
	cli_help(s, line, out, &res);
	sb_reset(out);
	cli_complete(s, line, out);
	sb_reset(out);
	cli_session_prompt(s, config_hostname(env->cfg), out);

	loggable = cli_loggable_line(s, line);
	free(loggable);

	sb_reset(out);
	config_exec_line(env, s, line, out, &res);
	if (res.status == CLI_ERR_INVALID && res.caret >= 0 && (size_t)res.caret > strlen(line)) {
		fprintf(stderr, "caret %d beyond the end of '%s'\n", res.caret, line);
		abort();
	}
	cli_render_error(&res, line, 16, true, out);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size)
{
	struct config cfg;
	struct config_env env = {
		.cfg = &cfg,
		.startup_path = STARTUP_PATH,
		.state_dir = STATE_DIR,
		.check_only = true,
	};
	struct cli_session *s;
	struct strbuf out = STRBUF_INIT;
	char *text, *p;
	bool loader = true;
	int priv = 15;

	init_once();

	text = malloc(size + 1);
	if (!text)
		return 0;
	memcpy(text, data, size);
	text[size] = '\0';
	p = text;
	if (strncmp(p, "#!exec\n", 7) == 0) {
		loader = false;
		p += 7;
	} else if (strncmp(p, "#!user\n", 7) == 0) {
		loader = false;
		priv = 1;
		p += 7;
	}

	config_init(&cfg);
	s = cli_session_new(&env, priv);
	cli_session_set_name(s, "fuzz");
	if (loader)
		enter_config(s);

	while (p && !cli_session_closing(s)) {
		char *nl = strchr(p, '\n');
		size_t len;

		if (nl)
			*nl = '\0';
		len = strlen(p);
		while (len && p[len - 1] == '\r')
			p[--len] = '\0';
		exercise_words(p);
		run_line(&env, s, p, &out);
		if (loader && strcmp(cli_session_node(s), "exec") == 0 && !cli_session_closing(s))
			enter_config(s);
		p = nl ? nl + 1 : NULL;
	}

	sb_reset(&out);
	config_write(&cfg, &out);
	sb_reset(&out);
	config_show_running(&cfg, &out);
	if (roundtrip)
		check_roundtrip(&cfg);

	sb_free(&out);
	cli_session_free(s);
	config_free(&cfg);
	free(text);
	/* Global state some commands touch ("debug …", the log ring). */
	debug_all_off();
	log_buffer_clear();
	return 0;
}
