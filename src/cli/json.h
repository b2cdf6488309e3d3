/* Machine-readable show output: FRR's trailing "json" keyword.
 *
 * A show command that offers it declares "[json]" last in its syntax and
 * asks cli_has(x, "json"); it then builds one json-c document from the
 * same model its text is printed from and hands it to cli_out_json().
 * The schemas are in docs/json.md. */
#ifndef VPNSIP_CLI_JSON_H
#define VPNSIP_CLI_JSON_H

#include <stdint.h>

#include <json-c/json.h>

#include "cli/cli.h"

#define CLI_JSON_HELP "JavaScript Object Notation"

/* Write doc (pretty-printed, one trailing newline) and release it. */
void cli_out_json(struct cli_exec *x, struct json_object *doc);

/* Add key to obj; a NULL string becomes JSON null. */
void json_add_str(struct json_object *obj, const char *key, const char *val);
void json_add_int(struct json_object *obj, const char *key, int64_t val);
void json_add_u64(struct json_object *obj, const char *key, uint64_t val);
void json_add_bool(struct json_object *obj, const char *key, bool val);

#endif
