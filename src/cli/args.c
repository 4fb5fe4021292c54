/* args.c - subcommand dispatch, --version, --help and the helpers of cli.h. */
#include "cli/cli.h"

#include "bertscope/utf8.h"

#include <errno.h>
#include <limits.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

static const struct {
    const char *name;
    int (*fn)(int, char **);
    const char *summary;
} commands[] = {
    {"tokenize", cmd_tokenize, "print the tokens, ids, masks and offsets of stdin lines"},
    {"infer", cmd_infer, "run the model on stdin lines and print shapes, logits and predictions"},
    {"bench", cmd_bench, "measure forward-pass speed"},
    {"replay", cmd_replay, "replay a session file: in the terminal, headless, or checked"},
};

static void usage(FILE *f)
{
    fprintf(f, "usage: bertscope [-m PATH]... [options] [FILE]   open the visualizer\n"
               "       bertscope COMMAND [options]\n\ncommands:\n");
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
        fprintf(f, "  %-10s %s\n", commands[i].name, commands[i].summary);
    fprintf(f, "\n'bertscope COMMAND --help' and 'bertscope --help-ui' describe the options;\n"
               "see also man bertscope\n");
}

/* Levenshtein distance of a and b, both short (command names), capped at 9. */
static int edit_distance(const char *a, const char *b)
{
    size_t la = strlen(a), lb = strlen(b);
    if (la > 31 || lb > 31)
        return 9;
    int d[32][32];
    for (size_t i = 0; i <= la; i++)
        d[i][0] = (int)i;
    for (size_t j = 0; j <= lb; j++)
        d[0][j] = (int)j;
    for (size_t i = 1; i <= la; i++)
        for (size_t j = 1; j <= lb; j++) {
            int best = d[i - 1][j - 1] + (a[i - 1] != b[j - 1]);
            if (d[i - 1][j] + 1 < best)
                best = d[i - 1][j] + 1;
            if (d[i][j - 1] + 1 < best)
                best = d[i][j - 1] + 1;
            /* a swap of two neighbours ("infre") is one typo, not two */
            if (i > 1 && j > 1 && a[i - 1] == b[j - 2] && a[i - 2] == b[j - 1] &&
                d[i - 2][j - 2] + 1 < best)
                best = d[i - 2][j - 2] + 1;
            d[i][j] = best;
        }
    return d[la][lb];
}

/* The command arg is probably a typo of, or NULL. A bare argument is the interface's
 * sentence file, which may not exist yet (w creates it): only a word that is no file,
 * has no '/' or '.', and is within two typos of a command counts. */
static const char *mistyped_command(const char *arg)
{
    struct stat st;
    if (arg[0] == '-' || strchr(arg, '/') || strchr(arg, '.') || stat(arg, &st) == 0)
        return NULL;
    const char *best = NULL;
    int best_d = 3;
    for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++) {
        int d = edit_distance(arg, commands[i].name);
        if (d < best_d) {
            best_d = d;
            best = commands[i].name;
        }
    }
    return best;
}

int cli_main(int argc, char **argv)
{
    if (argc >= 2) {
        if (!strcmp(argv[1], "--version")) {
            printf("bertscope %s\n", BS_VERSION);
            return EXIT_OK;
        }
        if (!strcmp(argv[1], "--help") || !strcmp(argv[1], "-h") || !strcmp(argv[1], "help")) {
            usage(stdout);
            return EXIT_OK;
        }
        for (size_t i = 0; i < sizeof commands / sizeof commands[0]; i++)
            if (!strcmp(argv[1], commands[i].name))
                return commands[i].fn(argc - 1, argv + 1);
        const char *near = mistyped_command(argv[1]);
        if (near) {
            cli_errorf("unknown command '%s'; did you mean '%s'?", argv[1], near);
            fprintf(stderr, "hint: 'bertscope --help' lists the commands; a sentence file "
                            "of that name opens in the interface once it exists\n");
            return EXIT_USAGE;
        }
    }
    return cmd_ui(argc, argv);
}

void cli_error(const bs_error *err)
{
    fprintf(stderr, "bertscope: error: %s\n", err->msg[0] ? err->msg : "unknown error");
    if (err->hint[0])
        fprintf(stderr, "hint: %s\n", err->hint);
}

void cli_errorf(const char *fmt, ...)
{
    va_list ap;
    va_start(ap, fmt);
    fputs("bertscope: error: ", stderr);
    vfprintf(stderr, fmt, ap);
    fputc('\n', stderr);
    va_end(ap);
}

int cli_bad_value(const char *cmd, const char *option, const bs_error *err)
{
    fprintf(stderr, "bertscope: error: %s: %s\nhint: see 'bertscope %s%s--help'\n", option,
            err->msg, cmd ? cmd : "", cmd ? " " : "");
    return EXIT_USAGE;
}

int cli_truncation_option(const char *cmd, int argc, char **argv, int *i, bs_truncation *out)
{
    const char *a = argv[*i], *v = NULL;
    if (!strncmp(a, "--truncation=", 13))
        v = a + 13;
    else if (strcmp(a, "--truncation"))
        return 0;
    else if (*i + 1 < argc && argv[*i + 1][0] != '-')
        v = argv[++*i];
    bs_error err = {0};
    if (!v)
        *out = BS_TRUNC_LONGEST_FIRST;
    else if (bs_truncation_parse(v, out, &err))
        return -cli_bad_value(cmd, "--truncation", &err);
    return 1;
}

static int count_fields(const char *s, size_t n)
{
    int k = 1;
    for (size_t i = 0; i < n; i++)
        k += s[i] == ' ';
    return k;
}

static int split_fields(const char *s, size_t n, size_t *spans)
{
    int k = 0;
    size_t start = 0;
    for (size_t i = 0; i <= n; i++)
        if (i == n || s[i] == ' ') {
            spans[2 * k] = start;
            spans[2 * k++ + 1] = i;
            start = i + 1;
        }
    return k;
}

size_t *cli_split_words(bs_text *t)
{
    int na = count_fields(t->a, t->a_len), nb = t->b ? count_fields(t->b, t->b_len) : 0;
    size_t *spans = malloc(((size_t)na + (size_t)nb) * 2 * sizeof *spans);
    if (!spans)
        return NULL;
    t->n_a_words = split_fields(t->a, t->a_len, spans);
    t->a_words = spans;
    if (t->b) {
        t->n_b_words = split_fields(t->b, t->b_len, spans + 2 * na);
        t->b_words = spans + 2 * na;
    }
    return spans;
}

void cli_warn_once(const bs_warnings *w, bs_warnings *seen)
{
    for (int i = 0; i < w->count; i++) {
        int k = 0;
        while (k < seen->count && strncmp(seen->items[k], w->items[i], 24))
            k++;
        if (k < seen->count)
            continue;
        fprintf(stderr, "bertscope: warning: %s\n", w->items[i]);
        bs_warn(seen, "%s", w->items[i]);
    }
}

int cli_exit_code(bs_status st)
{
    switch (st) {
    case BS_OK: return EXIT_OK;
    case BS_ERR_INPUT:
    case BS_ERR_LIMIT:
    case BS_ERR_IO: return EXIT_USAGE;
    default: return EXIT_FAIL;
    }
}

static int is_dir(const char *p)
{
    struct stat st;
    return stat(p, &st) == 0 && S_ISDIR(st.st_mode);
}

const char *cli_weights_dir(void)
{
    static char dir[PATH_MAX];
    if (dir[0])
        return dir;
    const char *env = getenv("BERTSCOPE_WEIGHTS");
    if (env && *env) {
        snprintf(dir, sizeof dir, "%s", env);
        return dir;
    }
    char exe[PATH_MAX];
    ssize_t n = readlink("/proc/self/exe", exe, sizeof exe - 1);
    if (n > 0) {
        exe[n] = '\0';
        char *slash = strrchr(exe, '/');
        if (slash)
            *slash = '\0';
        /* build/bertscope in the source tree, then PREFIX/bin/bertscope when installed */
        const char *rel[] = {"/../weights", "/../share/bertscope/weights"};
        for (size_t i = 0; i < 2; i++) {
            char cand[PATH_MAX + 64];
            snprintf(cand, sizeof cand, "%s%s", exe, rel[i]);
            if (is_dir(cand) && realpath(cand, dir))
                return dir;
        }
    }
    snprintf(dir, sizeof dir, "%s/weights", BS_DATADIR);
    return dir;
}

const char *cli_model_path(const char *arg, char *buf, size_t size)
{
    struct stat st;
    if (strchr(arg, '/') || stat(arg, &st) == 0) {
        snprintf(buf, size, "%s", arg);
        return buf;
    }
    snprintf(buf, size, "%s/%s", cli_weights_dir(), arg);
    if (stat(buf, &st) != 0)
        snprintf(buf, size, "%s", arg); /* let the loader name the missing path */
    return buf;
}

long cli_read_line(FILE *f, char **buf, size_t *cap)
{
    size_t len = 0;
    int c;
    if (!*buf || *cap == 0) {
        *cap = 256;
        *buf = malloc(*cap);
        if (!*buf)
            return -1;
    }
    while ((c = getc(f)) != EOF) {
        if (c == '\n')
            break;
        if (len + 1 >= *cap) {
            size_t ncap = *cap * 2;
            char *nb = realloc(*buf, ncap);
            if (!nb)
                return -1;
            *buf = nb;
            *cap = ncap;
        }
        (*buf)[len++] = (char)c;
    }
    if (c == EOF && len == 0)
        return -1;
    (*buf)[len] = '\0';
    return (long)len;
}

int cli_parse_int(const char *s, long lo, long hi, long *out)
{
    if (!s || !*s)
        return -1;
    errno = 0;
    char *end;
    long v = strtol(s, &end, 10);
    if (errno || *end || v < lo || v > hi)
        return -1;
    *out = v;
    return 0;
}

size_t cli_cut_utf8(const char *s, size_t len, size_t max)
{
    if (len <= max)
        return len;
    /* The last character boundary at or before max, as the tokenizer's decoder sees
     * them (an ill-formed subpart is one character there too). */
    size_t n = 0;
    uint32_t cp;
    for (size_t i = 0; i <= max; i = bs_utf8_next(s, len, i, &cp))
        n = i;
    return n;
}

int cli_row_length(const bs_batch *b, int r, bs_padding padding)
{
    return padding == BS_PAD_NONE ? b->length[r] : b->T;
}

void cli_encode_args_init(cli_encode_args *a, bs_padding padding)
{
    memset(a, 0, sizeof *a);
    a->padding = padding;
    a->max_length = BS_MAX_LENGTH_UNSET;
}

int cli_encode_option(const char *cmd, int argc, char **argv, int *i, cli_encode_args *a)
{
    const char *o = argv[*i], *v = *i + 1 < argc ? argv[*i + 1] : NULL;
    bs_error err = {0};
    int r;
    bs_status st = BS_OK;
    /* the flags */
    int *flag = !strcmp(o, "--return-length")               ? &a->return_length
                : !strcmp(o, "--return-overflowing-tokens") ? &a->return_overflowing_tokens
                : !strcmp(o, "--is-split-into-words")       ? &a->split_words
                : !strcmp(o, "--no-special-tokens")         ? &a->no_special_tokens
                : !strcmp(o, "--json")                      ? &a->json
                : !strcmp(o, "--pair")                      ? &a->pair
                                                            : NULL;
    if (flag) {
        *flag = 1;
        return 1;
    }
    if ((r = cli_truncation_option(cmd, argc, argv, i, &a->truncation))) {
        if (r > 0)
            a->truncation_given = 1;
        return r;
    }
    /* the options with a value */
    if (strcmp(o, "--padding") && strcmp(o, "--padding-side") && strcmp(o, "--max-length") &&
        strcmp(o, "--truncation-side") && strcmp(o, "--pad-to-multiple-of") &&
        strcmp(o, "--stride"))
        return 0;
    if (!v) {
        cli_errorf("option '%s' needs a value", o);
        fprintf(stderr, "hint: see 'bertscope %s --help'\n", cmd);
        return -EXIT_USAGE;
    }
    if (!strcmp(o, "--padding"))
        st = bs_padding_parse(v, &a->padding, &err);
    else if (!strcmp(o, "--padding-side")) {
        st = bs_side_parse(v, &a->padding_side, &err);
        a->padding_side_given = 1;
    } else if (!strcmp(o, "--max-length"))
        st = bs_max_length_parse(v, &a->max_length, &err);
    else if (!strcmp(o, "--truncation-side"))
        st = bs_truncation_side_parse(v, &a->truncation_side, &err);
    else if (!strcmp(o, "--pad-to-multiple-of"))
        st = bs_pad_multiple_parse(v, &a->pad_to_multiple_of, &err);
    else
        st = bs_stride_parse(v, &a->stride, &err);
    if (st != BS_OK)
        return -cli_bad_value(cmd, o, &err);
    ++*i;
    return 1;
}

int cli_encode_check(const cli_encode_args *a)
{
    if (a->json && a->pair) {
        cli_errorf("--json and --pair do not go together");
        fprintf(stderr, "hint: with --json, write a pair as [\"text A\", \"text B\"]\n");
        return -EXIT_USAGE;
    }
    return 0;
}

bs_encode_options cli_encode_apply(const cli_encode_args *a, const bs_tokenizer *tok)
{
    bs_encode_options eo = bs_encode_defaults(tok);
    eo.padding = a->padding;
    eo.truncation = a->truncation;
    /* as transformers resolves them: an unset max_length is model_max_length, or none */
    eo.max_length = a->max_length;
    eo.truncation_unset = !a->truncation_given;
    eo.truncation_side = a->truncation_side;
    eo.pad_to_multiple_of = a->pad_to_multiple_of;
    eo.stride = a->stride;
    eo.return_overflowing_tokens = a->return_overflowing_tokens;
    eo.add_special_tokens = !a->no_special_tokens;
    if (a->padding_side_given)
        eo.padding_side = a->padding_side;
    return eo;
}
