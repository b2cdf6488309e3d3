/* The startup configuration on disk: applying a file line by line as IOS
 * does at boot, and writing the running configuration atomically. */
#include <errno.h>
#include <fcntl.h>
#include <glob.h>
#include <libgen.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "config/config.h"

static void report_line(struct strbuf *report, const char *path, unsigned lineno,
			const char *line, const struct cli_result *res, const char *output)
{
	if (!report)
		return;
	switch (res->status) {
	case CLI_ERR_INVALID:
	case CLI_ERR_INCOMPLETE:
	case CLI_ERR_AMBIGUOUS: {
		struct strbuf msg = STRBUF_INIT;
		cli_render_error(res, line, 2, false, &msg);
		/* "% Invalid input…" first, with the line and caret under it */
		const char *last = strrchr(sb_str(&msg), '%');
		sb_printf(report, "%s:%u: %s", path, lineno, last ? last : "% error\n");
		sb_printf(report, "  %s\n", line);
		if (res->caret >= 0)
			sb_printf(report, "%*s^\n", 2 + res->caret, "");
		sb_free(&msg);
		break;
	}
	default: {
		/* The command's own message(s), each tagged with the line (an
		 * ignored line's "% Ignored: why" too). */
		const char *p = output && *output ? output : "% command failed\n";
		while (*p) {
			size_t len = strcspn(p, "\n");
			sb_printf(report, "%s:%u: %.*s\n", path, lineno, (int)len, p);
			p += len;
			if (*p)
				p++;
		}
		break;
	}
	}
}

int config_load_file(struct config_env *env, const char *path, struct strbuf *report,
		     struct config_load_stats *st)
{
	FILE *f = fopen(path, "r");
	struct cli_session *s;
	char *line = NULL;
	size_t cap = 0;
	ssize_t len;
	struct cli_result res;
	struct strbuf out = STRBUF_INIT;
	struct cli_exec enter = { 0 };

	memset(st, 0, sizeof(*st));
	if (!f)
		return -1;
	s = cli_session_new(env, 15);
	cli_session_set_name(s, "startup-config");
	cli_session_set_exec_dry_run(s, env->check_only);
	enter.s = s;
	cli_enter(&enter, "config", NULL);
	while ((len = getline(&line, &cap, f)) >= 0) {
		while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
			line[--len] = '\0';
		st->lines++;
		sb_reset(&out);
		config_exec_line(env, s, line, &out, &res);
		switch (res.status) {
		case CLI_OK:
		case CLI_MORE_INPUT:
			if (res.cmd && (res.cmd->flags & CLI_IGNORED)) {
				st->ignored++;
				report_line(report, path, st->lines, line, &res, sb_str(&out));
			} else if (res.cmd) {
				st->applied++;
			}
			break;
		case CLI_ERR_UNSUPPORTED:
			st->unsupported++;
			report_line(report, path, st->lines, line, &res, sb_str(&out));
			break;
		default:
			st->errors++;
			report_line(report, path, st->lines, line, &res, sb_str(&out));
			break;
		}
		/* A file is all configuration: after "end", carry on in config. */
		if (strcmp(cli_session_node(s), "exec") == 0)
			cli_enter(&enter, "config", NULL);
	}
	/* Text still being read (an unterminated banner) is cut off here. */
	if (res.status == CLI_MORE_INPUT && st->lines) {
		st->errors++;
		if (report)
			sb_printf(report, "%s:%u: %% unterminated multi-line text\n", path, st->lines);
	}
	free(line);
	sb_free(&out);
	fclose(f);
	cli_session_free(s);
	return (int)(st->errors + st->unsupported);
}

static int fsync_dir_of(const char *path)
{
	char *copy = xstrdup(path);
	int fd = open(dirname(copy), O_RDONLY | O_DIRECTORY | O_CLOEXEC);
	int rc = -1;

	if (fd >= 0) {
		rc = fsync(fd);
		close(fd);
	}
	free(copy);
	return rc;
}

/* ".vpnsipd-tmp.BASE." in the directory of path: the name says whose it
 * is, so that the clean-up at start never touches an operator's file. */
static char *temp_template(const char *path)
{
	char *dcopy = xstrdup(path), *bcopy = xstrdup(path);
	char *t = xasprintf("%s/" CONFIG_TEMP_PREFIX "%s.XXXXXX", dirname(dcopy), basename(bcopy));

	free(dcopy);
	free(bcopy);
	return t;
}

int config_file_write_atomic(const char *path, const void *data, size_t len, mode_t mode)
{
	char *tmp = temp_template(path);
	int fd = mkostemp(tmp, O_CLOEXEC | O_NOFOLLOW), saved;
	size_t off = 0;

	if (fd < 0)
		goto fail;
	/* Secrets: the mode is set before any byte is written. */
	if (fchmod(fd, mode) < 0)
		goto fail_fd;
	while (off < len) {
		ssize_t n = write(fd, (const char *)data + off, len - off);
		if (n < 0) {
			if (errno == EINTR)
				continue;
			goto fail_fd;
		}
		off += (size_t)n;
	}
	if (fsync(fd) < 0)
		goto fail_fd;
	if (close(fd) < 0) {
		fd = -1;
		goto fail_unlink;
	}
	fd = -1;
	if (rename(tmp, path) < 0)
		goto fail_unlink;
	fsync_dir_of(path);
	free(tmp);
	return 0;
fail_fd:
	saved = errno;
	close(fd);
	errno = saved;
fail_unlink:
	saved = errno;
	unlink(tmp);
	errno = saved;
fail:
	saved = errno;
	free(tmp);
	errno = saved;
	return -1;
}

int config_save_file(const struct config *cfg, const char *path)
{
	struct strbuf body = STRBUF_INIT;
	int rc, saved;

	config_write(cfg, &body);
	rc = config_file_write_atomic(path, body.buf, body.len, 0600);
	saved = errno;
	sb_free(&body);
	errno = saved;
	return rc;
}

static void remove_matching(const char *pattern)
{
	glob_t g;

	if (glob(pattern, GLOB_NOSORT | GLOB_PERIOD, NULL, &g) == 0) {
		for (size_t i = 0; i < g.gl_pathc; i++) {
			struct stat st;
			/* regular files only: never a directory or a link someone
			 * put there */
			if (lstat(g.gl_pathv[i], &st) == 0 && S_ISREG(st.st_mode))
				unlink(g.gl_pathv[i]);
		}
		globfree(&g);
	}
}

void config_remove_stale_temp_files(const char *path)
{
	char *tmpl = temp_template(path);

	/* What a write killed half-way leaves: never the file itself, nor
	 * any other file beside it ("startup.conf.backup" is the operator's). */
	tmpl[strlen(tmpl) - 6] = '\0';
	char *pattern = xasprintf("%s??????", tmpl);
	remove_matching(pattern);
	free(pattern);
	free(tmpl);
}

void config_remove_stale_temp_dir(const char *dir)
{
	char *pattern = xasprintf("%s/" CONFIG_TEMP_PREFIX "*", dir);

	remove_matching(pattern);
	free(pattern);
}

int config_state_dir_prepare(const char *dir)
{
	static const char *const subs[] = { "", "/pki/keys", "/pki/certs", "/pki/ca" };
	int fd = open(dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
	struct stat st;

	if (fd < 0)
		return -1;
	/* Master key, private keys, leases: owner only, also for a directory
	 * an older version or an operator created with a wider mode. */
	if (fstat(fd, &st) == 0 && (st.st_mode & 07777) != 0700) {
		if (fchmod(fd, 0700) < 0) {
			int e = errno;
			close(fd);
			errno = e;
			return -1;
		}
		log_msg("SYS", SEV_NOTICE, "STATE_DIR", "State directory %s was mode %04o: now 0700", dir,
			(unsigned)(st.st_mode & 07777));
	}
	close(fd);
	for (size_t i = 0; i < ARRAY_SIZE(subs); i++) {
		char *d = xasprintf("%s%s", dir, subs[i]);
		config_remove_stale_temp_dir(d);
		free(d);
	}
	return 0;
}
