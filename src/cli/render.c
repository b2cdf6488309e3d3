/* Drawing syntax errors the way IOS does.  Shared by the daemon (boot-time
 * and -t reports) and the shell (which knows how wide its prompt is). */
#include "cli/cli.h"

void cli_render_error(const struct cli_result *res, const char *line, int prompt_width,
		      bool echo_line, struct strbuf *out)
{
	switch (res->status) {
	case CLI_ERR_INVALID:
		if (echo_line)
			sb_printf(out, "%*s%s\n", prompt_width, "", line);
		if (res->caret >= 0)
			sb_printf(out, "%*s^\n", prompt_width + res->caret, "");
		sb_puts(out, "% Invalid input detected at '^' marker.\n");
		break;
	case CLI_ERR_INCOMPLETE:
		sb_puts(out, "% Incomplete command.\n");
		break;
	case CLI_ERR_AMBIGUOUS:
		sb_printf(out, "%% Ambiguous command:  \"%s\"\n", line);
		break;
	default:
		break;
	}
}
