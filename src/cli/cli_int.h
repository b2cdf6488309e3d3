/* Internals of the command engine: the token types, the per-mode command
 * trie and the matcher shared by execute, help and completion. */
#ifndef VPNSIP_CLI_INT_H
#define VPNSIP_CLI_INT_H

#include "cli/cli.h"

enum tok_type {
	TOK_KEYWORD,
	TOK_WORD,
	TOK_LINE,
	TOK_IPV4,
	TOK_IPV4_PREFIX,
	TOK_IPV6,
	TOK_IPV6_PREFIX,
	TOK_RANGE,
	TOK_IFNAME,
};

struct tok {
	enum tok_type type;
	char *text; /* keyword, or the spelling shown by ? ("WORD", "<1-10>") */
	long min, max;
	char *name; /* argument name ($name) */
	char *help;
};

/* One installed spelling of a command: the tokens along its trie path. */
struct leaf {
	const struct cli_cmd *cmd;
	size_t ntok;
	char **names; /* argument names by position */
	/* Every name the command's syntax defines, over all its spellings:
	 * the names cli_arg() may be asked for. */
	char **defined;
	size_t ndefined;
};

struct tnode {
	enum tok_type type;
	char *text;
	long min, max;
	char *help;
	struct tnode **kids;
	size_t nkids, capkids;
	struct leaf *leaf;
	int min_priv;    /* lowest privilege that can reach a command below */
	bool all_hidden; /* only hidden commands below */
};

struct cli_node {
	char *name;
	char *prompt;
	struct cli_node *parent;
	struct tnode root;
	bool has_no; /* some "no …" command exists: offer "default" */
	struct cli_cmd *builtins; /* exit/end declared for this mode */
	struct cli_node *next;
};

struct cli_node *cli_node_find(const char *name);
/* Every registered mode (tests walk the command trees). */
struct cli_node *cli_nodes(void);
/* Counts cli_install() calls: what was computed from the tries is stale
 * when it changed. */
extern unsigned cli_tree_generation;
void cli_builtin_install(struct cli_node *n);
/* show users, show history: the engine's view of its sessions. */
int cli_cmd_show_users(struct cli_exec *x);
int cli_cmd_show_history(struct cli_exec *x);

/* ---- syntax compilation (syntax.c) ---- */
struct tokseq {
	struct tok *v;
	size_t n, cap;
};
/* Expand a syntax string into every linear spelling (optional parts and
 * alternatives multiplied out).  Returns the number of sequences, or -1 with
 * *err set on a malformed declaration. */
int syntax_expand(const char *syntax, const char *help, struct tokseq **out, char **err);
void tokseq_free(struct tokseq *seqs, int n);

/* ---- word splitting ---- */
struct word {
	const char *s; /* into the line */
	size_t len;
	size_t off;
};
size_t split_words(const char *line, struct word **out);

/* ---- matching (match.c) ---- */
enum match_class {
	MC_NONE = 0,
	MC_WORD,    /* WORD / LINE: anything */
	MC_VAR,     /* a typed variable that validates */
	MC_HIDDEN_PARTIAL, /* prefix of a keyword only hidden commands use: any
			    * visible keyword it abbreviates wins */
	MC_PARTIAL, /* keyword prefix */
	MC_EXACT,   /* keyword spelled out */
};

struct match_step {
	struct tnode *tn;
	size_t word;     /* first word index */
	size_t nwords;   /* words consumed */
	char *value;     /* expanded value (owned) */
};

struct match_result {
	enum cli_status status;
	size_t bad_word;     /* for INVALID/AMBIGUOUS */
	size_t caret_extra;  /* chars into the bad word where it went wrong */
	struct leaf *leaf;
	struct match_step *steps;
	size_t nsteps;
	/* For help: trie nodes reached after the last complete word. */
	struct tnode **ends;
	size_t nends, capends;
};

/* Match words[0..nwords) in node.  For help (want_ends), collects the trie
 * nodes reached after all words instead of requiring a complete command. */
void match_words(struct cli_node *node, int priv, const struct word *w, size_t nwords,
		 const char *line, bool want_ends, struct match_result *r);
void match_result_free(struct match_result *r);
enum match_class tok_match_word(const struct tnode *tn, const struct word *w, size_t nleft,
				size_t *consumed, char **value);
/* The planned feature a line belongs to when its leading words name one
 * (graph.c), else NULL. */
const char *cli_planned_match(const struct word *w, size_t nwords, unsigned *flags);

#endif
