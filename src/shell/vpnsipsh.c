/* vpnsipsh: the operator's shell.  A thin client: the daemon parses, helps
 * and completes (one command tree, in one place); the shell draws prompts,
 * carets, the --More-- pager and terminal-monitor lines.
 *
 *   vpnsipsh [-S PATH] [-c CMD]...    (commands from -c, else from stdin when
 *                                       it is not a terminal, else interactive) */
#include <ctype.h>
#include <errno.h>
#include <getopt.h>
#include <poll.h>
#include <readline/history.h>
#include <readline/readline.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <termios.h>
#include <unistd.h>

#include "cli/cli.h"
#include "ctl/ctl.h"

static struct {
	int fd;
	struct strbuf in;
	char *prompt;
	unsigned term_length;
	bool interactive;
	bool closing;
	bool more_input; /* the daemon reads raw text lines */
	bool hide_input;
	bool quit_paging;
	unsigned paged_lines;
	struct termios saved_tty;
	bool tty_saved;
	char **completions;
	size_t ncompletions;
} S = { .fd = -1 };

static void die(const char *msg)
{
	fprintf(stderr, "vpnsipsh: %s\n", msg);
	exit(1);
}

static int connect_socket(const char *path)
{
	struct sockaddr_un sa = { .sun_family = AF_UNIX };
	int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);

	if (fd < 0 || strlen(path) >= sizeof(sa.sun_path))
		return -1;
	strcpy(sa.sun_path, path);
	if (connect(fd, (struct sockaddr *)&sa, sizeof(sa)) < 0) {
		close(fd);
		return -1;
	}
	return fd;
}

/* ---- output: the pager ----------------------------------------------------- */

static int read_key(void)
{
	struct termios raw, old;
	unsigned char c = 'q';

	tcgetattr(0, &old);
	raw = old;
	raw.c_lflag &= ~(unsigned)(ICANON | ECHO);
	raw.c_cc[VMIN] = 1;
	raw.c_cc[VTIME] = 0;
	tcsetattr(0, TCSANOW, &raw);
	if (read(0, &c, 1) != 1)
		c = 'q';
	tcsetattr(0, TCSANOW, &old);
	return c;
}

static void page_out(const char *text)
{
	const char *p = text;

	if (!S.interactive || S.term_length == 0) {
		fputs(text, stdout);
		return;
	}
	while (*p && !S.quit_paging) {
		size_t len = strcspn(p, "\n");
		fwrite(p, 1, len, stdout);
		p += len;
		if (*p == '\n') {
			fputc('\n', stdout);
			p++;
			if (++S.paged_lines >= S.term_length - 1 && *p) {
				fputs(" --More-- ", stdout);
				fflush(stdout);
				int k = read_key();
				fputs("\r          \r", stdout);
				if (k == ' ')
					S.paged_lines = 0;
				else if (k == '\r' || k == '\n')
					S.paged_lines = S.term_length - 2;
				else
					S.quit_paging = true;
			}
		}
	}
	fflush(stdout);
}

/* ---- requests ------------------------------------------------------------- */

struct reply {
	struct ctl_done done;
	struct strbuf out;
};

static void show_notify(const char *line);

/* Send one request and collect the reply (output and status). */
static int request(enum ctl_type type, const char *line, struct reply *r, bool stream_output)
{
	struct ctl_hdr h;
	char *payload;

	memset(r, 0, sizeof(*r));
	if (ctl_send(S.fd, type, 0, line, strlen(line)) < 0)
		return -1;
	S.paged_lines = 0;
	S.quit_paging = false;
	for (;;) {
		if (ctl_recv(S.fd, &S.in, &h, &payload) != 1)
			return -1;
		if (h.type == CTL_OUTPUT) {
			if (stream_output) {
				page_out(payload);
				/* a ping's marks come without a newline */
				fflush(stdout);
			} else
				sb_add(&r->out, payload, h.len);
		} else if (h.type == CTL_NOTIFY) {
			show_notify(payload);
		} else if (h.type == CTL_DONE && h.len >= sizeof(struct ctl_done)) {
			memcpy(&r->done, payload, sizeof(r->done));
			free(S.prompt);
			S.prompt = strdup(payload + sizeof(struct ctl_done));
			S.term_length = r->done.term_length;
			S.more_input = r->done.flags & CTL_DONE_MORE_INPUT;
			S.hide_input = r->done.flags & CTL_DONE_HIDE_INPUT;
			S.closing = r->done.flags & CTL_DONE_CLOSING;
			free(payload);
			return 0;
		}
		free(payload);
	}
}

static bool is_syntax_error(int status)
{
	return status == CLI_ERR_INVALID || status == CLI_ERR_INCOMPLETE ||
	       status == CLI_ERR_AMBIGUOUS;
}

static void render_status(const struct reply *r, const char *line, int prompt_width, bool echo,
			  FILE *to)
{
	struct cli_result res = { .status = r->done.status, .caret = r->done.caret };
	struct strbuf err = STRBUF_INIT;

	if (is_syntax_error(r->done.status)) {
		cli_render_error(&res, line, prompt_width, echo, &err);
		fputs(sb_str(&err), to);
	}
	sb_free(&err);
}

/* ---- non-interactive ------------------------------------------------------- */

static int run_line_batch(const char *line)
{
	struct reply r;

	if (request(CTL_EXEC, line, &r, true) < 0)
		die("lost the connection to vpnsipd");
	fflush(stdout);
	render_status(&r, line, 0, true, stderr);
	sb_free(&r.out);
	return r.done.status == CLI_OK || r.done.status == CLI_MORE_INPUT ? 0 : 1;
}

/* ---- interactive ----------------------------------------------------------- */

static void show_notify(const char *line)
{
	if (!S.interactive || RL_ISSTATE(RL_STATE_DONE) || !rl_line_buffer) {
		printf("%s\n", line);
		fflush(stdout);
		return;
	}
	/* Print above the line being typed, then redraw it. */
	char *saved = rl_copy_text(0, rl_end);
	int point = rl_point;
	rl_save_prompt();
	rl_replace_line("", 0);
	rl_redisplay();
	printf("\r%s\n", line);
	rl_restore_prompt();
	rl_replace_line(saved, 0);
	rl_point = point;
	rl_forced_update_display();
	free(saved);
}

static void after_request_prompt(void)
{
	rl_set_prompt(S.more_input ? "" : S.prompt);
}

static void read_hidden_line_and_send(void);

static void handle_line(char *line)
{
	struct reply r;

	if (!line) { /* Ctrl-D */
		printf("\n");
		S.closing = true;
		rl_callback_handler_remove();
		return;
	}
	if (*line && !S.more_input)
		add_history(line);
	if (request(CTL_EXEC, line, &r, true) < 0)
		die("lost the connection to vpnsipd");
	render_status(&r, line, (int)strlen(rl_prompt ? rl_prompt : ""), false, stdout);
	if (S.more_input && !S.hide_input && r.done.status == CLI_MORE_INPUT && S.prompt[0]) {
		/* the first time: IOS prints the instruction once */
		static char *shown;
		if (!shown || strcmp(shown, S.prompt) != 0) {
			printf("%s\n", S.prompt);
			free(shown);
			shown = strdup(S.prompt);
		}
	}
	sb_free(&r.out);
	free(line);
	if (S.closing) {
		rl_callback_handler_remove();
		return;
	}
	if (S.hide_input) {
		read_hidden_line_and_send();
		return;
	}
	after_request_prompt();
}

static void read_hidden_line_and_send(void)
{
	while (S.hide_input && !S.closing) {
		struct termios old, noecho;
		char buf[512];
		struct reply r;

		rl_callback_handler_remove();
		fputs(S.prompt, stdout);
		fflush(stdout);
		tcgetattr(0, &old);
		noecho = old;
		noecho.c_lflag &= ~(unsigned)ECHO;
		tcsetattr(0, TCSANOW, &noecho);
		if (!fgets(buf, sizeof(buf), stdin))
			buf[0] = '\0';
		tcsetattr(0, TCSANOW, &old);
		fputc('\n', stdout);
		buf[strcspn(buf, "\r\n")] = '\0';
		if (request(CTL_EXEC, buf, &r, true) < 0)
			die("lost the connection to vpnsipd");
		memset(buf, 0, sizeof(buf));
		sb_free(&r.out);
	}
	rl_callback_handler_install(S.more_input ? "" : S.prompt, handle_line);
}

static int on_question(int count, int key)
{
	struct reply r;
	char *upto;

	if (S.more_input) {
		rl_insert(count, key);
		return 0;
	}
	upto = strndup(rl_line_buffer, (size_t)rl_point);
	printf("?\n");
	if (request(CTL_HELP, upto, &r, false) < 0)
		die("lost the connection to vpnsipd");
	fputs(sb_str(&r.out), stdout);
	render_status(&r, upto, (int)strlen(rl_prompt), false, stdout);
	printf("\n");
	sb_free(&r.out);
	free(upto);
	rl_on_new_line();
	rl_redisplay();
	return 0;
}

static int on_ctrl_z(int count, int key)
{
	struct reply r;

	if (S.more_input)
		return 0;
	printf("^Z\n");
	if (request(CTL_EXEC, "end", &r, true) < 0)
		die("lost the connection to vpnsipd");
	sb_free(&r.out);
	rl_replace_line("", 0);
	rl_set_prompt(S.prompt);
	rl_on_new_line();
	rl_redisplay();
	return 0;
}

static char *completion_gen(const char *text, int state)
{
	static size_t i;

	if (!state)
		i = 0;
	while (i < S.ncompletions) {
		const char *c = S.completions[i++];
		if (strncasecmp(c, text, strlen(text)) == 0)
			return strdup(c);
	}
	return NULL;
}

static char **complete(const char *text, int start, int end)
{
	struct reply r;
	char *upto = strndup(rl_line_buffer, (size_t)end);

	rl_attempted_completion_over = 1;
	for (size_t i = 0; i < S.ncompletions; i++)
		free(S.completions[i]);
	free(S.completions);
	S.completions = NULL;
	S.ncompletions = 0;
	if (!S.more_input && request(CTL_COMPLETE, upto, &r, false) == 0) {
		for (const char *p = sb_str(&r.out); *p;) {
			size_t len = strcspn(p, "\n");
			S.completions = realloc(S.completions, (S.ncompletions + 1) * sizeof(char *));
			S.completions[S.ncompletions++] = strndup(p, len);
			p += len;
			if (*p)
				p++;
		}
		sb_free(&r.out);
	}
	free(upto);
	return rl_completion_matches(text, completion_gen);
}

static void restore_tty(void)
{
	if (S.tty_saved)
		tcsetattr(0, TCSANOW, &S.saved_tty);
}

static int interactive_loop(void)
{
	struct termios t;

	/* Ctrl-Z means "end" here, as on IOS: keep the terminal from turning
	 * it into SIGTSTP. */
	if (tcgetattr(0, &S.saved_tty) == 0) {
		S.tty_saved = true;
		atexit(restore_tty);
		t = S.saved_tty;
		t.c_cc[VSUSP] = _POSIX_VDISABLE;
		tcsetattr(0, TCSANOW, &t);
	}
	signal(SIGTSTP, SIG_IGN);
	rl_readline_name = "vpnsipsh";
	/* Escape sequences around every line confuse terminals that log
	 * sessions (and expect scripts); IOS sends none. */
	rl_variable_bind("enable-bracketed-paste", "off");
	rl_attempted_completion_function = complete;
	rl_bind_key('?', on_question);
	rl_bind_key(26, on_ctrl_z);
	rl_callback_handler_install(S.prompt, handle_line);
	while (!S.closing) {
		struct pollfd pf[2] = { { 0, POLLIN, 0 }, { S.fd, POLLIN, 0 } };
		if (poll(pf, 2, -1) < 0) {
			if (errno == EINTR)
				continue;
			break;
		}
		if (pf[1].revents) {
			struct ctl_hdr h;
			char *payload;
			if (ctl_recv(S.fd, &S.in, &h, &payload) != 1)
				die("lost the connection to vpnsipd");
			/* One read may have brought several frames: show them all,
			 * poll() will not wake again for bytes already read. */
			do {
				if (h.type == CTL_NOTIFY)
					show_notify(payload);
				free(payload);
			} while (ctl_take_frame(&S.in, &h, &payload) == 1);
		}
		if (pf[0].revents)
			rl_callback_read_char();
	}
	rl_callback_handler_remove();
	return 0;
}

int main(int argc, char **argv)
{
	const char *path = getenv("VPNSIP_SOCKET") ? getenv("VPNSIP_SOCKET") : CTL_DEFAULT_SOCKET;
	char **cmds = NULL;
	size_t ncmds = 0;
	int opt, failed = 0;
	struct reply r;

	while ((opt = getopt(argc, argv, "S:c:h")) != -1) {
		switch (opt) {
		case 'S':
			path = optarg;
			break;
		case 'c':
			cmds = realloc(cmds, (ncmds + 1) * sizeof(char *));
			cmds[ncmds++] = optarg;
			break;
		default:
			fprintf(stderr, "usage: vpnsipsh [-S PATH] [-c COMMAND]...\n");
			return 2;
		}
	}
	S.fd = connect_socket(path);
	if (S.fd < 0) {
		fprintf(stderr, "vpnsipsh: cannot connect to vpnsipd at %s: %s\n", path, strerror(errno));
		return 1;
	}
	S.interactive = ncmds == 0 && isatty(0) && isatty(1);
	/* A daemon that refuses the session may have sent why and closed
	 * before our HELLO: read it anyway. */
	signal(SIGPIPE, SIG_IGN);
	bool hello_lost = ctl_send(S.fd, CTL_HELLO, S.interactive ? CTL_F_INTERACTIVE : 0, "", 0) < 0;
	S.in = (struct strbuf)STRBUF_INIT;
	for (;;) {
		struct ctl_hdr h;
		char *payload;
		if (ctl_recv(S.fd, &S.in, &h, &payload) != 1)
			die(hello_lost ? "lost the connection to vpnsipd" : "no answer from vpnsipd");
		if (h.type == CTL_OUTPUT) {
			/* the daemon refuses the session: it says why */
			fputs(payload, stderr);
			free(payload);
			continue;
		}
		if (h.type != CTL_DONE || h.len < sizeof(struct ctl_done))
			die("no answer from vpnsipd");
		S.prompt = strdup(payload + sizeof(struct ctl_done));
		memcpy(&r.done, payload, sizeof(r.done));
		S.term_length = r.done.term_length;
		free(payload);
		if (r.done.flags & CTL_DONE_CLOSING) {
			free(cmds);
			return 1;
		}
		break;
	}
	if (S.interactive)
		return interactive_loop();

	if (ncmds) {
		for (size_t i = 0; i < ncmds && !S.closing; i++)
			failed |= run_line_batch(cmds[i]);
	} else {
		char *line = NULL;
		size_t cap = 0;
		ssize_t len;
		while (!S.closing && (len = getline(&line, &cap, stdin)) >= 0) {
			while (len && (line[len - 1] == '\n' || line[len - 1] == '\r'))
				line[--len] = '\0';
			failed |= run_line_batch(line);
		}
		free(line);
	}
	/* The last command still waits for an answer (erase's [confirm], a
	 * password): the daemon drops it when we leave, so say so. */
	if (S.more_input && !S.closing) {
		fprintf(stderr, "%% Not answered: %s\n", S.prompt && *S.prompt ? S.prompt : "input");
		failed = 1;
	}
	free(cmds);
	return failed ? 1 : 0;
}
