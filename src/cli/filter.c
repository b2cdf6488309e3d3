/* Output modifiers: "| include RE", "| exclude RE", "| begin RE",
 * "| section RE", "| count [RE]".  Applied by the daemon to a command's
 * whole output, as IOS does. */
#include <regex.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cli/filter.h"

static const struct {
	const char *name;
	const char *help;
	enum cli_filter_kind kind;
} filters[] = {
	{ "begin", "Begin with the line that matches", FILTER_BEGIN },
	{ "count", "Count number of lines which match regexp", FILTER_COUNT },
	{ "exclude", "Exclude lines that match", FILTER_EXCLUDE },
	{ "include", "Include lines that match", FILTER_INCLUDE },
	{ "section", "Filter a section of output", FILTER_SECTION },
};

void cli_filter_help(struct strbuf *out, const char *prefix)
{
	size_t plen = prefix ? strlen(prefix) : 0;

	for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++)
		if (!prefix || strncasecmp(filters[i].name, prefix, plen) == 0) {
			if (prefix)
				sb_printf(out, "%s  ", filters[i].name);
			else
				sb_printf(out, "  %-8s %s\n", filters[i].name, filters[i].help);
		}
	if (prefix)
		sb_putc(out, '\n');
}

int cli_filter_parse(const char *spec, struct cli_filter *f, size_t *bad_off)
{
	const char *p = spec, *word;
	size_t len;
	int found = -1;

	memset(f, 0, sizeof(*f));
	p += strspn(p, " \t");
	word = p;
	len = strcspn(p, " \t");
	*bad_off = (size_t)(word - spec);
	if (!len)
		return CLI_ERR_INCOMPLETE;
	for (size_t i = 0; i < sizeof(filters) / sizeof(filters[0]); i++)
		if (strncasecmp(filters[i].name, word, len) == 0 && strlen(filters[i].name) >= len) {
			if (found >= 0)
				return CLI_ERR_AMBIGUOUS;
			found = (int)i;
		}
	if (found < 0)
		return CLI_ERR_INVALID;
	f->kind = filters[found].kind;
	p = word + len;
	p += strspn(p, " \t");
	len = strlen(p);
	while (len && (p[len - 1] == ' ' || p[len - 1] == '\t' || p[len - 1] == '\n'))
		len--;
	if (!len) {
		if (f->kind == FILTER_COUNT)
			return CLI_OK;
		return CLI_ERR_INCOMPLETE;
	}
	char *re = strndup(p, len);
	int rc = regcomp(&f->re, re, REG_EXTENDED | REG_NOSUB);
	free(re);
	if (rc != 0) {
		*bad_off = (size_t)(p - spec);
		return CLI_ERR_INVALID;
	}
	f->has_re = true;
	return CLI_OK;
}

void cli_filter_free(struct cli_filter *f)
{
	if (f->has_re)
		regfree(&f->re);
	f->has_re = false;
}

static bool line_matches(const struct cli_filter *f, const char *line)
{
	return !f->has_re || regexec(&f->re, line, 0, NULL, 0) == 0;
}

void cli_filter_apply(const struct cli_filter *f, const char *in, struct strbuf *out)
{
	bool begun = false, in_section = false;
	const char *header = NULL;
	size_t header_len = 0;
	unsigned long count = 0;

	for (const char *p = in; *p;) {
		const char *nl = strchr(p, '\n');
		size_t len = nl ? (size_t)(nl - p) : strlen(p);
		char *line = strndup(p, len);
		bool m = line_matches(f, line);
		bool indented = line[0] == ' ';

		switch (f->kind) {
		case FILTER_INCLUDE:
			if (m)
				sb_printf(out, "%s\n", line);
			break;
		case FILTER_EXCLUDE:
			if (!m)
				sb_printf(out, "%s\n", line);
			break;
		case FILTER_BEGIN:
			if (m)
				begun = true;
			if (begun)
				sb_printf(out, "%s\n", line);
			break;
		case FILTER_COUNT:
			if (m)
				count++;
			break;
		case FILTER_SECTION:
			/* A top-level line that matches opens a section that runs
			 * over its indented lines; an indented line that matches
			 * is shown under its section's header. */
			if (!indented) {
				header = p;
				header_len = len;
				in_section = m;
				if (m)
					sb_printf(out, "%s\n", line);
			} else if (in_section) {
				sb_printf(out, "%s\n", line);
			} else if (m) {
				if (header) {
					sb_add(out, header, header_len);
					sb_putc(out, '\n');
					header = NULL;
				}
				sb_printf(out, "%s\n", line);
			}
			break;
		}
		free(line);
		p += len;
		if (*p == '\n')
			p++;
	}
	if (f->kind == FILTER_COUNT)
		sb_printf(out, "Number of lines which match regexp = %lu\n", count);
}
