#ifndef VPNSIP_CLI_FILTER_H
#define VPNSIP_CLI_FILTER_H

#include <regex.h>
#include <stdbool.h>

#include "cli/cli.h"

enum cli_filter_kind {
	FILTER_INCLUDE,
	FILTER_EXCLUDE,
	FILTER_BEGIN,
	FILTER_SECTION,
	FILTER_COUNT,
};

struct cli_filter {
	enum cli_filter_kind kind;
	bool has_re;
	regex_t re;
};

/* Parse what follows the '|'.  Returns CLI_OK or a CLI_ERR_* with the offset
 * of the bad word in *bad_off. */
int cli_filter_parse(const char *spec, struct cli_filter *f, size_t *bad_off);
void cli_filter_apply(const struct cli_filter *f, const char *in, struct strbuf *out);
void cli_filter_free(struct cli_filter *f);
/* "?" after '|' (prefix NULL) or mid-word (prefix = the partial word). */
void cli_filter_help(struct strbuf *out, const char *prefix);

#endif
