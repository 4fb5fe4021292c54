/*
 * cli.h - subcommands and the helpers they share. Only src/cli prints errors and picks
 * exit codes: 0 success, 2 bad usage or bad input, 1 any other failure.
 */
#ifndef BERTSCOPE_CLI_H
#define BERTSCOPE_CLI_H

#include <stddef.h>
#include <stdio.h>

#include "bertscope/error.h"
#include "bertscope/tokenizer.h"

enum { EXIT_OK = 0, EXIT_FAIL = 1, EXIT_USAGE = 2 };

/* The program: picks the subcommand from argv (the interface when none is named), runs
 * it and returns the exit code (0, 2 bad usage or input, 1 otherwise). */
int cli_main(int argc, char **argv);

/* Subcommands: argv[0] is the subcommand's name. Each handles --help. */
int cmd_ui(int argc, char **argv);       /* bertscope [options] [FILE] (the interface) */
int cmd_tokenize(int argc, char **argv); /* bertscope tokenize */
int cmd_infer(int argc, char **argv);    /* bertscope infer */
int cmd_bench(int argc, char **argv);    /* bertscope bench */
int cmd_replay(int argc, char **argv);   /* bertscope replay */

/* Prints "bertscope: error: MSG" (and "hint: HINT" when set) to stderr. */
void cli_error(const bs_error *err);
void cli_errorf(const char *fmt, ...) __attribute__((format(printf, 1, 2)));
/* Maps an engine status to an exit code (input/limit/io problems -> 2, else 1). */
int cli_exit_code(bs_status st);

/* The folder holding the built-in weights (weights/ in the source tree, or
 * $(PREFIX)/share/bertscope/weights when installed; $BERTSCOPE_WEIGHTS overrides).
 * Returns a static string. */
const char *cli_weights_dir(void);
/* Resolves a model argument: a path as given, or the name of a built-in model
 * ("brown-pos") inside cli_weights_dir(). Writes into buf; returns buf. */
const char *cli_model_path(const char *arg, char *buf, size_t size);

/* Reads one line from f into a growing buffer (without the newline; a final "\r" is kept
 * as text, as HF keeps it). Returns the length, or -1 at end of file. The buffer is
 * owned by the caller (free *buf). */
long cli_read_line(FILE *f, char **buf, size_t *cap);

/* Longest text (bytes) a command tokenizes from one input line: the tokenizer needs
 * tens of bytes of memory per input byte, and 1 MiB is far past any model's positions. */
#define CLI_TEXT_MAX ((size_t)1 << 20)
/* len cut to at most max bytes, on a UTF-8 character boundary. */
size_t cli_cut_utf8(const char *s, size_t len, size_t max);

/* Parses a decimal int in [lo, hi]; returns 0 on success. */
int cli_parse_int(const char *s, long lo, long hi, long *out);

/* Reports an option value an engine parser (bs_padding_parse, ...) refused:
 * "bertscope: error: OPTION: MSG" and "hint: see 'bertscope CMD --help'" (cmd NULL for
 * the interface's own options). Returns EXIT_USAGE. */
int cli_bad_value(const char *cmd, const char *option, const bs_error *err);

/* Reads argv[*i] if it is --truncation [S] or --truncation=S, as tokenize and infer take
 * it: alone it is Hugging Face's truncation=True (longest_first); the next argument,
 * unless it starts with '-', is the strategy (bs_truncation_parse). Returns 0 when
 * argv[*i] is another option, 1 after reading it (*i on its last argument), or
 * -EXIT_USAGE after reporting a bad strategy (cli_bad_value). */
int cli_truncation_option(const char *cmd, int argc, char **argv, int *i, bs_truncation *out);

/* The encoding options tokenize and infer share, parsed in one place (cli_encode_option)
 * so that both commands spell and check them alike. */
typedef struct cli_encode_args {
    bs_padding padding;
    int max_length;            /* BS_MAX_LENGTH_UNSET unless --max-length */
    bs_truncation truncation;
    int truncation_given;      /* --truncation seen (else HF's "not explicitly activated") */
    bs_side truncation_side;
    bs_side padding_side;
    int padding_side_given;    /* else the tokenizer's default side (tokenizer.json) */
    int pad_to_multiple_of;    /* 0 = off */
    int return_length;
    int return_overflowing_tokens;
    int stride;
    int split_words;           /* --is-split-into-words */
    int no_special_tokens;     /* add_special_tokens=False */
    int json;                  /* each line a JSON string or a two-string array */
    int pair;                  /* each raw line is text A, a tab, text B */
} cli_encode_args;

/* Zeroes a and sets the defaults: the given padding, max_length unset. */
void cli_encode_args_init(cli_encode_args *a, bs_padding padding);
/* Reads argv[*i] if it is one of the encoding options (--padding, --padding-side,
 * --max-length, --truncation [S], --truncation-side, --pad-to-multiple-of,
 * --return-length, --return-overflowing-tokens, --stride, --is-split-into-words,
 * --no-special-tokens, --json, --pair). Returns 0 when it is another option, 1 after
 * reading it (*i on its last argument), or -EXIT_USAGE after reporting a missing or bad
 * value (with a hint naming 'bertscope CMD --help'). */
int cli_encode_option(const char *cmd, int argc, char **argv, int *i, cli_encode_args *a);
/* Checks the combination once every option is read; -EXIT_USAGE after reporting. */
int cli_encode_check(const cli_encode_args *a);
/* bs_encode_defaults(tok) with a's choices applied. */
bs_encode_options cli_encode_apply(const cli_encode_args *a, const bs_tokenizer *tok);

/* One input line as tokenize and infer read it (input.c). */
typedef struct cli_line {
    char *text;    /* owned: the line's decoded text(s); t.a and t.b point into it */
    size_t *words; /* owned: word spans with --is-split-into-words, else NULL */
    bs_text t;
    long lineno;   /* from 1 */
    /* A --json dataset row {"tokens": [...], "ner_tags": [...]}: one label id per word
     * (owned, NULL otherwise); string labels are named by names[id] (owned, NULL for
     * integer labels). */
    int *labels;
    char **names;
    int n_names;
} cli_line;

typedef struct cli_reader {
    FILE *in;
    const cli_encode_args *args;
    int strict_utf8;  /* a line that is not valid UTF-8 is a bad line (else U+FFFD) */
    long lineno;      /* of the last line read */
    char *buf;
    size_t cap;
    int tab_noted;    /* the note about a tab without --pair was printed */
    int dataset_rows; /* with --json, an object line is a dataset row of words and labels */
} cli_reader;

enum { CLI_READ_OK = 0, CLI_READ_EOF = 1, CLI_READ_NOMEM = -1, CLI_READ_BAD = -2 };
/* Reads the next line into *out (free with cli_line_free): raw text, a --pair line
 * (text A, a tab, text B) or a --json line; texts past CLI_TEXT_MAX are cut with a note,
 * and --is-split-into-words spans are made. Returns CLI_READ_OK, CLI_READ_EOF,
 * CLI_READ_NOMEM, or CLI_READ_BAD with why[] saying what is wrong with line r->lineno
 * (without the line number; *out is then empty). With --json and r->dataset_rows, a
 * line that is an object is a dataset row of words and labels (it needs
 * --is-split-into-words, as run_ner.py passes it). A tab in a raw line without --pair is
 * kept as text (whitespace to the tokenizer, as a Python string holding it would be)
 * and noted once on stderr. */
int cli_reader_next(cli_reader *r, cli_line *out, char *why, size_t why_size);
void cli_line_free(cli_line *l);
/* Frees the reader's buffer (not the FILE). */
void cli_reader_free(cli_reader *r);

/* is_split_into_words as the command line writes it: the words of a text are its
 * space-separated fields (two spaces make an empty word, as an empty string in a list
 * would be). Fills t->a_words / t->b_words (t->b_words only for a pair) with byte spans
 * in one malloc'd block, returned (free it after the last use of t), or NULL when out of
 * memory. */
size_t *cli_split_words(bs_text *t);

/* len(input_ids) of row r as return_length gives it: the row's own length when the
 * batch is not padded (padding none: rows may differ), else the padded width T. */
int cli_row_length(const bs_batch *b, int r, bs_padding padding);

/* Prints each of a batch's warnings ("bertscope: warning: ...") to stderr the first time
 * its kind is seen (its first 24 characters), as transformers logs each once per
 * tokenizer; *seen keeps what was printed (free with bs_warnings_free). */
void cli_warn_once(const bs_warnings *w, bs_warnings *seen);

#endif
