/*
 * test_fuzz_regress.c - replays committed fuzz inputs in make check, through the very
 * entry points the libFuzzer targets use (tests/fuzz/fuzz_*.c are compiled in here, each
 * LLVMFuzzerTestOneInput renamed), without clang or libFuzzer:
 *
 *   tests/fuzz/regress/<target>/<file>   every crash, leak or timeout a fuzz run found,
 *                                        kept after the fix (a regression test);
 *   tests/fuzz/corpus/<target>/<file>    the seed corpus, so a seed that stops parsing
 *                                        cleanly is noticed too.
 *
 * A target "fails" an input by crashing or aborting (the targets abort on a broken
 * invariant), so under make check SANITIZE=1 any ASan/UBSan report fails too. Each
 * input runs in a child process: a crash names its input and hides no other.
 * Adding a target means adding one INCLUDE_TARGET line and one table row below.
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <unistd.h>

#include <cmocka.h>

/* Each target as its own pair of functions; their file-scope statics have distinct
 * names across the targets, so one translation unit holds them all. */
#define LLVMFuzzerTestOneInput fuzz_config_one
#include "../tests/fuzz/fuzz_config.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_model_one
#include "../tests/fuzz/fuzz_model.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_safetensors_one
#include "../tests/fuzz/fuzz_safetensors.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_sbert_one
#define LLVMFuzzerInitialize fuzz_sbert_init
#include "../tests/fuzz/fuzz_sbert.c"
#undef LLVMFuzzerTestOneInput
#undef LLVMFuzzerInitialize
#define LLVMFuzzerTestOneInput fuzz_session_one
#include "../tests/fuzz/fuzz_session.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_spm_one
#define LLVMFuzzerInitialize fuzz_spm_init
#include "../tests/fuzz/fuzz_spm.c"
#undef LLVMFuzzerTestOneInput
#undef LLVMFuzzerInitialize
#define LLVMFuzzerTestOneInput fuzz_tokconfig_one
#define LLVMFuzzerInitialize fuzz_tokconfig_init
#include "../tests/fuzz/fuzz_tokconfig.c"
#undef LLVMFuzzerTestOneInput
#undef LLVMFuzzerInitialize
#define LLVMFuzzerTestOneInput fuzz_tokenizer_one
#define LLVMFuzzerInitialize fuzz_tokenizer_init
#include "../tests/fuzz/fuzz_tokenizer.c"
#undef LLVMFuzzerTestOneInput
#undef LLVMFuzzerInitialize
#define LLVMFuzzerTestOneInput fuzz_tokjson_one
#define LLVMFuzzerInitialize fuzz_tokjson_init
#include "../tests/fuzz/fuzz_tokjson.c"
#undef LLVMFuzzerTestOneInput
#undef LLVMFuzzerInitialize
#define LLVMFuzzerTestOneInput fuzz_torchbin_one
#include "../tests/fuzz/fuzz_torchbin.c"
#undef LLVMFuzzerTestOneInput
#define LLVMFuzzerTestOneInput fuzz_vocab_one
#include "../tests/fuzz/fuzz_vocab.c"
#undef LLVMFuzzerTestOneInput

typedef struct target {
    const char *name;
    int (*init)(int *, char ***);
    int (*one)(const uint8_t *, size_t);
} target;

static const target targets[] = {
    {"fuzz_config", NULL, fuzz_config_one},
    {"fuzz_model", NULL, fuzz_model_one},
    {"fuzz_safetensors", NULL, fuzz_safetensors_one},
    {"fuzz_sbert", fuzz_sbert_init, fuzz_sbert_one},
    {"fuzz_session", NULL, fuzz_session_one},
    {"fuzz_spm", fuzz_spm_init, fuzz_spm_one},
    {"fuzz_tokconfig", fuzz_tokconfig_init, fuzz_tokconfig_one},
    {"fuzz_tokenizer", fuzz_tokenizer_init, fuzz_tokenizer_one},
    {"fuzz_tokjson", fuzz_tokjson_init, fuzz_tokjson_one},
    {"fuzz_torchbin", NULL, fuzz_torchbin_one},
    {"fuzz_vocab", NULL, fuzz_vocab_one},
};
enum { NTARGETS = sizeof targets / sizeof targets[0] };

static int cmp_names(const void *a, const void *b)
{
    return strcmp(*(char *const *)a, *(char *const *)b);
}

/* Runs every regular file of dir through t (in name order), each named on stderr when
 * verbose; returns how many, and counts the crashes in *failed. A missing folder is no
 * input. */
static int replay_dir(const target *t, const char *dir, int verbose, int *failed)
{
    DIR *d = opendir(dir);
    if (!d)
        return 0;
    char **names = NULL;
    int n = 0, cap = 0;
    struct dirent *e;
    while ((e = readdir(d))) {
        if (e->d_name[0] == '.' || !strcmp(e->d_name, "README.md"))
            continue;
        if (n == cap) {
            cap = cap ? 2 * cap : 32;
            names = realloc(names, (size_t)cap * sizeof *names);
            assert_non_null(names);
        }
        names[n] = strdup(e->d_name);
        assert_non_null(names[n]);
        n++;
    }
    closedir(d);
    qsort(names, (size_t)n, sizeof *names, cmp_names);
    int done = 0;
    for (int i = 0; i < n; i++) {
        char path[1024];
        snprintf(path, sizeof path, "%s/%s", dir, names[i]);
        struct stat sb;
        if (stat(path, &sb) != 0 || !S_ISREG(sb.st_mode)) {
            free(names[i]);
            continue;
        }
        FILE *f = fopen(path, "rb");
        assert_non_null(f);
        /* libFuzzer hands over an exactly-sized heap copy: so do we, so that ASan sees
         * a read one byte past the input. */
        uint8_t *buf = malloc(sb.st_size ? (size_t)sb.st_size : 1);
        assert_non_null(buf);
        size_t got = fread(buf, 1, (size_t)sb.st_size, f);
        fclose(f);
        assert_int_equal(got, (size_t)sb.st_size);
        if (verbose)
            fprintf(stderr, "  %s <- %s (%zu bytes)\n", t->name, path, got);
        /* Each input in its own process, so that one crash names its input and does
         * not hide the others. */
        fflush(NULL);
        pid_t pid = fork();
        assert_true(pid >= 0);
        if (pid == 0) {
            t->one(buf, got);
            _exit(0);
        }
        int st = 0;
        waitpid(pid, &st, 0);
        if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) {
            fprintf(stderr, "FAILED: %s crashed on %s (%s %d)\n", t->name, path,
                    WIFSIGNALED(st) ? "signal" : "exit status",
                    WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
            (*failed)++;
        }
        free(buf);
        free(names[i]);
        done++;
    }
    free(names);
    return done;
}

static void test_fuzz_regress_target(void **state)
{
    const target *t = *state;
    char dir[512];
    snprintf(dir, sizeof dir, "tests/fuzz/corpus/%s", t->name);
    int failed = 0;
    int seeds = replay_dir(t, dir, 0, &failed);
    snprintf(dir, sizeof dir, "tests/fuzz/regress/%s", t->name);
    int crashes = replay_dir(t, dir, 1, &failed);
    fprintf(stderr, "%s: %d seeds, %d regression inputs\n", t->name, seeds, crashes);
    if (failed)
        fail_msg("%s: %d input(s) crashed, listed above", t->name, failed);
    /* Every target has a committed seed corpus; none found means the test ran from the
     * wrong folder and checked nothing. */
    assert_true(seeds > 0);
}

static int setup(void **state)
{
    (void)state;
    for (int i = 0; i < NTARGETS; i++)
        if (targets[i].init)
            targets[i].init(NULL, NULL);
    return 0;
}

static int teardown(void **state)
{
    (void)state;
    /* fuzz_tokconfig's and fuzz_tokjson's private folders (dir, tj_dir) and
     * fuzz_tokenizer's vocabulary (tok). */
    static const char *const files[] = {"vocab.txt", "tokenizer_config.json", "tokenizer.json"};
    const char *dirs[] = {dir, tj_dir};
    for (size_t d = 0; d < 2; d++) {
        for (size_t i = 0; i < 3; i++) {
            char p[256];
            snprintf(p, sizeof p, "%s/%s", dirs[d], files[i]);
            remove(p);
        }
        remove(dirs[d]);
    }
    spm_cleanup(); /* fuzz_spm's folder */
    bs_tokenizer_free(tok);
    tok = NULL;
    return 0;
}

int main(void)
{
    static struct CMUnitTest tests[NTARGETS];
    static char names[NTARGETS][64];
    for (int i = 0; i < NTARGETS; i++) {
        snprintf(names[i], sizeof names[i], "test_fuzz_regress_%s", targets[i].name + 5);
        tests[i] = (struct CMUnitTest){names[i], test_fuzz_regress_target, NULL, NULL,
                                       (void *)&targets[i]};
    }
    return _cmocka_run_group_tests("fuzz_regress", tests, NTARGETS, setup, teardown);
}
