/*
 * cmd_bench.c - `bertscope bench`: forward-pass timing, the machine's sgemm peak for
 * comparison, and a writer of random bert-base-sized checkpoints for load-time tests.
 *
 *   bertscope bench [-m PATH | --config NAME] [--batch B] [--seq T] [-t N] [--runs R]
 *       one JSON line: batch, seq, threads, runs, median_ms, min_ms, gflops (at the
 *       median), plus cpu_ms, load_ms, first_ms (load + first forward), peak_rss_mb
 *   bertscope bench --sgemm-peak [-t N]
 *       one JSON line: sgemm GFLOP/s on BERT's largest GEMM shape (1024 x 3072 x 768)
 *   bertscope bench --write-checkpoint DIR [--config NAME] [--seed S]
 *       a random F32 BertModel folder (config.json, model.safetensors, vocab.txt)
 *
 * tools/bench.sh drives all three for docs/performance.md.
 */
#include <cblas.h>
#include <errno.h>
#include <limits.h>
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>
#include <sys/stat.h>
#include <time.h>

#include "app/pipeline.h"
#include "bertscope/model.h"
#include "cli/cli.h"

/* cblas.h pulls in complex.h */
#undef I

typedef struct {
    const char *model;
    const char *config;
    const char *write_dir;
    int sgemm_peak;
    int batch, seq, threads, runs;
    uint64_t seed;
    bs_precision precision;
} bench_opts;

static void usage(FILE *f)
{
    fprintf(f,
        "usage: bertscope bench [-m PATH | --config NAME] [--batch B] [--seq T] [-t N]\n"
        "                       [--runs R] [--precision f32|bf16|int8]\n"
        "       bertscope bench --sgemm-peak [-t N]\n"
        "       bertscope bench --write-checkpoint DIR [--config NAME] [--seed S]\n"
        "\n"
        "Times the forward pass on random ids (after one warm-up run) and prints one JSON\n"
        "line: batch, seq, threads, runs, median_ms, min_ms, gflops (at the median),\n"
        "cpu_ms (median CPU time of all threads per run), load_ms, first_ms (load + first\n"
        "forward) and peak_rss_mb.\n"
        "\n"
        "  -m PATH                 a model folder or config.json (default --config base)\n"
        "  --config NAME           a random model: tiny mini small base large\n"
        "  --batch B, --seq T      batch shape (default 1 x 128)\n"
        "  -t N                    engine threads (default: all cores)\n"
        "  --runs R                timed runs (default 10)\n"
        "  --precision P           the linear layers in f32 (default), bf16 or int8\n"
        "  --sgemm-peak            measure OpenBLAS sgemm GFLOP/s on a 1024x3072x768 GEMM\n"
        "  --write-checkpoint DIR  write a random F32 BertModel folder of the --config\n"
        "                          geometry (default base), for load-time measurements\n");
}

/* CPU time of the whole process (all threads). On a busy machine wall time includes
 * waiting for a core; at one thread, CPU time is what the wall time would be alone. */
static double cpu_ms(void)
{
    struct timespec ts;
    clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &ts);
    return ts.tv_sec * 1e3 + ts.tv_nsec / 1e6;
}

static double peak_rss_mb(void)
{
    struct rusage ru;
    getrusage(RUSAGE_SELF, &ru);
    return ru.ru_maxrss / 1024.0; /* Linux reports KiB */
}

static int cmp_double(const void *a, const void *b)
{
    double x = *(const double *)a, y = *(const double *)b;
    return (x > y) - (x < y);
}

static int parse_args(int argc, char **argv, bench_opts *o)
{
    memset(o, 0, sizeof *o);
    o->batch = 1;
    o->seq = 128;
    o->runs = 10;
    for (int i = 1; i < argc; i++) {
        const char *a = argv[i];
        long n;
        int has = i + 1 < argc;
        if (!strcmp(a, "-h") || !strcmp(a, "--help")) {
            usage(stdout);
            return 1;
        } else if (!strcmp(a, "--sgemm-peak")) {
            o->sgemm_peak = 1;
        } else if ((!strcmp(a, "-m") || !strcmp(a, "--model")) && has) {
            o->model = argv[++i];
        } else if (!strcmp(a, "--config") && has) {
            o->config = argv[++i];
        } else if (!strcmp(a, "--write-checkpoint") && has) {
            o->write_dir = argv[++i];
        } else if (!strcmp(a, "--batch") && has) {
            if (cli_parse_int(argv[++i], 1, 4096, &n))
                goto bad_value;
            o->batch = (int)n;
        } else if (!strcmp(a, "--seq") && has) {
            if (cli_parse_int(argv[++i], 1, 1 << 16, &n))
                goto bad_value;
            o->seq = (int)n;
        } else if (!strcmp(a, "--runs") && has) {
            if (cli_parse_int(argv[++i], 1, 100000, &n))
                goto bad_value;
            o->runs = (int)n;
        } else if ((!strcmp(a, "-t") || !strcmp(a, "--threads")) && has) {
            bs_error bad = {0};
            if (bs_threads_parse(argv[++i], &o->threads, &bad)) {
                cli_bad_value("bench", a, &bad);
                return -1;
            }
        } else if (!strcmp(a, "--precision") && has) {
            bs_error bad = {0};
            if (bs_precision_parse(argv[++i], &o->precision, &bad)) {
                cli_bad_value("bench", a, &bad);
                return -1;
            }
        } else if (!strcmp(a, "--seed") && has) {
            bs_error bad = {0};
            if (bs_seed_parse(argv[++i], &o->seed, &bad)) {
                cli_bad_value("bench", a, &bad);
                return -1;
            }
        } else {
            cli_errorf(a[0] == '-' && !has ? "option '%s' needs a value or is unknown"
                                           : "unknown option '%s'", a);
            fprintf(stderr, "hint: see 'bertscope bench --help'\n");
            return -1;
        }
        continue;
    bad_value:
        cli_errorf("invalid value '%s' for '%s'", argv[i], a);
        fprintf(stderr, "hint: see 'bertscope bench --help'\n");
        return -1;
    }
    if (o->model && o->config && !o->write_dir) {
        cli_errorf("-m and --config cannot be combined");
        return -1;
    }
    return 0;
}

/* ------------------------------------------------------------------ sgemm peak */

static int sgemm_peak(const bench_opts *o)
{
    const int M = 1024, N = 3072, K = 768; /* bert-base FFN at B x T = 1024 */
    /* OpenBLAS's own threading, as many threads as the engine would use */
    int threads = o->threads > 0 ? o->threads : openblas_get_num_procs();
    openblas_set_num_threads(threads);
    float *a = malloc((size_t)M * K * sizeof *a), *b = malloc((size_t)N * K * sizeof *b);
    float *c = malloc((size_t)M * N * sizeof *c);
    if (!a || !b || !c) {
        free(a), free(b), free(c);
        cli_errorf("out of memory");
        return EXIT_FAIL;
    }
    for (size_t i = 0; i < (size_t)M * K; i++)
        a[i] = (float)((i * 7919) % 1000) * 1e-3f - 0.5f;
    for (size_t i = 0; i < (size_t)N * K; i++)
        b[i] = (float)((i * 104729) % 1000) * 1e-3f - 0.5f;
    double best = 1e30;
    for (int r = 0; r < 6; r++) { /* first is the warm-up; the best of the rest */
        double t0 = app_now_ms();
        cblas_sgemm(CblasRowMajor, CblasNoTrans, CblasTrans, M, N, K, 1.0f, a, K, b, K, 0.0f,
                    c, N);
        double dt = app_now_ms() - t0;
        if (r && dt < best)
            best = dt;
    }
    double gflops = 2.0 * M * N * K / (best * 1e6);
    printf("{\"sgemm\": [%d, %d, %d], \"threads\": %d, \"best_ms\": %.3f, "
           "\"sgemm_peak_gflops\": %.1f}\n",
           M, N, K, threads, best, gflops);
    free(a), free(b), free(c);
    return EXIT_OK;
}

/* ------------------------------------------------------- random checkpoint writer */

static uint64_t xs_state;
static float rand_normal(void) /* sum of 4 uniforms: cheap, roughly normal, std 1 */
{
    float s = 0;
    for (int i = 0; i < 4; i++) {
        xs_state ^= xs_state << 13;
        xs_state ^= xs_state >> 7;
        xs_state ^= xs_state << 17;
        s += (float)(xs_state >> 40) / (float)(1u << 24) - 0.5f;
    }
    return s * 1.7320508f;
}

typedef struct {
    char name[96];
    int rank;
    long shape[2];
    int kind; /* 0 normal(0, 0.02), 1 ones (LayerNorm weight), 2 zeros (bias) */
} tspec;

static int cmp_tspec(const void *a, const void *b)
{
    return strcmp(((const tspec *)a)->name, ((const tspec *)b)->name);
}

static int write_checkpoint(const bench_opts *o)
{
    const char *name = o->config ? o->config : "base";
    bs_config cfg;
    bs_error err = {0};
    if (bs_config_builtin(&cfg, name, &err) != BS_OK) {
        cli_error(&err);
        return EXIT_USAGE;
    }
    long H = cfg.hidden_size, V = cfg.vocab_size; /* the biggest tensor: V x H */
    int L = cfg.num_layers;
    int cap = 0, n = 0; /* a weight and a bias per table entry and layer, at most */
    const bs_tensor_info *t;
    for (int i = 0; (t = bs_bert_tensor(i)) != NULL; i++)
        cap += 2 * (t->per_layer ? L : 1);
    tspec *ts = calloc((size_t)cap, sizeof *ts);
    if (!ts) {
        bs_config_free(&cfg);
        cli_errorf("out of memory");
        return EXIT_FAIL;
    }
#define T2(nm, a, b, k) (snprintf(ts[n].name, sizeof ts[n].name, "%s", nm), ts[n].rank = 2, \
                         ts[n].shape[0] = a, ts[n].shape[1] = b, ts[n].kind = k, n++)
#define T1(nm, a, k) (snprintf(ts[n].name, sizeof ts[n].name, "%s", nm), ts[n].rank = 1, \
                      ts[n].shape[0] = a, ts[n].kind = k, n++)
    char nm[96], base[80];
    /* BertModel's tensors, from the engine's table (the names the loader expects) */
    for (int i = 0; (t = bs_bert_tensor(i)) != NULL; i++)
        for (int l = 0; l < (t->per_layer ? L : 1); l++) {
            bs_bert_tensor_name(t, l, base, sizeof base);
            long rows = bs_config_dim(&cfg, t->rows), cols = bs_config_dim(&cfg, t->cols);
            snprintf(nm, sizeof nm, "%s.weight", base);
            if (t->kind == BS_TENSOR_LAYERNORM)
                T1(nm, cols, 1);
            else
                T2(nm, rows, cols, 0);
            snprintf(nm, sizeof nm, "%s.bias", base);
            if (t->kind == BS_TENSOR_LINEAR)
                T1(nm, rows, 2);
            else if (t->kind == BS_TENSOR_LAYERNORM)
                T1(nm, cols, 2);
        }
#undef T1
#undef T2
    qsort(ts, (size_t)n, sizeof *ts, cmp_tspec);

    /* header JSON: names sorted, offsets packed, padded with spaces to 8 bytes */
    size_t hcap = (size_t)n * 160 + 64, hlen = 0;
    char *hdr = malloc(hcap);
    int rc = EXIT_FAIL;
    FILE *f = NULL;
    float *buf = NULL;
    if (!hdr)
        goto oom;
    uint64_t off = 0;
    hlen += (size_t)snprintf(hdr + hlen, hcap - hlen, "{\"__metadata__\":{\"format\":\"pt\"}");
    for (int i = 0; i < n; i++) {
        uint64_t count = (uint64_t)ts[i].shape[0] *
                         (ts[i].rank == 2 ? (uint64_t)ts[i].shape[1] : 1);
        if (ts[i].rank == 2)
            hlen += (size_t)snprintf(hdr + hlen, hcap - hlen,
                                     ",\"%s\":{\"dtype\":\"F32\",\"shape\":[%ld,%ld],"
                                     "\"data_offsets\":[%llu,%llu]}", ts[i].name, ts[i].shape[0],
                                     ts[i].shape[1], (unsigned long long)off,
                                     (unsigned long long)(off + 4 * count));
        else
            hlen += (size_t)snprintf(hdr + hlen, hcap - hlen,
                                     ",\"%s\":{\"dtype\":\"F32\",\"shape\":[%ld],"
                                     "\"data_offsets\":[%llu,%llu]}", ts[i].name, ts[i].shape[0],
                                     (unsigned long long)off,
                                     (unsigned long long)(off + 4 * count));
        off += 4 * count;
    }
    hlen += (size_t)snprintf(hdr + hlen, hcap - hlen, "}");
    while (hlen % 8)
        hdr[hlen++] = ' ';

    if (mkdir(o->write_dir, 0755) != 0 && errno != EEXIST) {
        cli_errorf("cannot create '%s': %s", o->write_dir, strerror(errno));
        rc = EXIT_USAGE;
        goto out;
    }
    char path[PATH_MAX];
    snprintf(path, sizeof path, "%s/config.json", o->write_dir);
    if (!(f = fopen(path, "w")))
        goto io;
    fprintf(f,
            "{\n  \"architectures\": [\"BertModel\"],\n  \"model_type\": \"bert\",\n"
            "  \"vocab_size\": %d,\n  \"hidden_size\": %d,\n  \"num_hidden_layers\": %d,\n"
            "  \"num_attention_heads\": %d,\n  \"intermediate_size\": %d,\n"
            "  \"hidden_act\": \"gelu\",\n  \"max_position_embeddings\": %d,\n"
            "  \"type_vocab_size\": %d,\n  \"layer_norm_eps\": 1e-12,\n"
            "  \"initializer_range\": 0.02,\n  \"pad_token_id\": 0,\n"
            "  \"position_embedding_type\": \"absolute\",\n  \"torch_dtype\": \"float32\"\n}\n",
            cfg.vocab_size, cfg.hidden_size, cfg.num_layers, cfg.num_heads,
            cfg.intermediate_size, cfg.max_position, cfg.type_vocab_size);
    if (fclose(f) != 0) {
        f = NULL;
        goto io;
    }
    snprintf(path, sizeof path, "%s/model.safetensors", o->write_dir);
    if (!(f = fopen(path, "wb")))
        goto io;
    unsigned char n8[8];
    for (int i = 0; i < 8; i++)
        n8[i] = (unsigned char)((uint64_t)hlen >> (8 * i)); /* little-endian u64 */
    if (fwrite(n8, 1, 8, f) != 8 || fwrite(hdr, 1, hlen, f) != hlen)
        goto io;
    xs_state = 0x853C49E6748FEA9Bull ^ (o->seed * 0x9E3779B97F4A7C15ull);
    if (!(buf = malloc((size_t)V * H * sizeof *buf)))
        goto oom;
    for (int i = 0; i < n; i++) {
        size_t count = (size_t)ts[i].shape[0] * (ts[i].rank == 2 ? (size_t)ts[i].shape[1] : 1);
        for (size_t j = 0; j < count; j++)
            buf[j] = ts[i].kind == 1 ? 1.0f : ts[i].kind == 2 ? 0.0f : 0.02f * rand_normal();
        if (fwrite(buf, sizeof *buf, count, f) != count) /* x86-64 floats are little-endian */
            goto io;
    }
    if (fclose(f) != 0) {
        f = NULL;
        goto io;
    }
    f = NULL;
    /* the tokenizer of bert-base-uncased, so `infer -m DIR` needs nothing else */
    char src[PATH_MAX];
    snprintf(src, sizeof src, "%s/vocab/vocab.txt", cli_weights_dir());
    snprintf(path, sizeof path, "%s/vocab.txt", o->write_dir);
    FILE *in = fopen(src, "rb");
    if (in && (f = fopen(path, "wb"))) {
        char chunk[65536];
        size_t got;
        while ((got = fread(chunk, 1, sizeof chunk, in)) > 0)
            fwrite(chunk, 1, got, f);
        fclose(f);
        f = NULL;
    }
    if (in)
        fclose(in);
    printf("{\"wrote\": \"%s\", \"config\": \"%s\", \"tensors\": %d, \"bytes\": %llu}\n",
           o->write_dir, name, n, (unsigned long long)(8 + hlen + off));
    rc = EXIT_OK;
    goto out;
io:
    cli_errorf("cannot write '%s': %s", path, strerror(errno));
    rc = EXIT_FAIL;
    goto out;
oom:
    cli_errorf("out of memory");
out:
    if (f)
        fclose(f);
    free(buf);
    free(hdr);
    free(ts);
    bs_config_free(&cfg);
    return rc;
}

/* ------------------------------------------------------------------- forward bench */

static int bench_forward(const bench_opts *o)
{
    bs_error err = {0};
    bs_model *m = NULL;
    bs_pool *pool = NULL;
    bs_run *run = NULL;
    bs_load_options lo = bs_load_defaults();
    lo.seed = o->seed;
    lo.precision = o->precision;
    double t0 = app_now_ms();
    bs_status st;
    if (o->model) {
        char path[PATH_MAX];
        st = bs_model_load(&m, cli_model_path(o->model, path, sizeof path), &lo, &err);
    } else {
        st = bs_model_from_builtin(&m, o->config ? o->config : "base", &lo, &err);
    }
    if (st != BS_OK) {
        cli_error(&err);
        return cli_exit_code(st);
    }
    double load_ms = app_now_ms() - t0;
    const bs_config *c = bs_model_config(m);
    size_t BT = (size_t)o->batch * o->seq;
    int32_t *ids = malloc(BT * sizeof *ids);
    double *times = malloc((size_t)o->runs * 2 * sizeof *times);
    int rc = EXIT_FAIL;
    if (!ids || !times) {
        cli_errorf("out of memory");
        goto out;
    }
    uint64_t s = 0x2545F4914F6CDD1Dull;
    for (size_t i = 0; i < BT; i++) {
        s ^= s << 13, s ^= s >> 7, s ^= s << 17;
        ids[i] = (int32_t)(s % (uint64_t)c->vocab_size);
    }
    if ((st = bs_pool_create(&pool, o->threads, &err)) != BS_OK ||
        (st = bs_run_create(&run, m, pool, &err)) != BS_OK ||
        (st = bs_forward(run, ids, NULL, NULL, o->batch, o->seq, &err)) != BS_OK) {
        cli_error(&err);
        rc = cli_exit_code(st);
        goto out;
    }
    double first_ms = app_now_ms() - t0;
    double *cpu = times + o->runs;
    for (int r = 0; r < o->runs; r++) {
        double a = app_now_ms(), c0 = cpu_ms();
        bs_forward(run, ids, NULL, NULL, o->batch, o->seq, &err);
        times[r] = app_now_ms() - a;
        cpu[r] = cpu_ms() - c0;
    }
    qsort(times, (size_t)o->runs, sizeof *times, cmp_double);
    qsort(cpu, (size_t)o->runs, sizeof *cpu, cmp_double);
    int h = o->runs / 2;
    double median = o->runs % 2 ? times[h] : 0.5 * (times[h - 1] + times[h]);
    double cpu_median = o->runs % 2 ? cpu[h] : 0.5 * (cpu[h - 1] + cpu[h]);
    double flops = bs_forward_flops(c, bs_model_head(m), o->batch, o->seq);
    printf("{\"batch\": %d, \"seq\": %d, \"threads\": %d, \"runs\": %d, \"median_ms\": %.3f, "
           "\"min_ms\": %.3f, \"gflops\": %.2f, \"cpu_ms\": %.3f, \"load_ms\": %.1f, "
           "\"first_ms\": %.1f, "
           "\"peak_rss_mb\": %.1f, \"weights_mb\": %.1f, \"kernels\": \"%s\", "
           "\"precision\": \"%s\", \"lowp_mb\": %.1f}\n",
           o->batch, o->seq, bs_pool_threads(pool), o->runs, median, times[0],
           flops / (median * 1e6), cpu_median, load_ms, first_ms, peak_rss_mb(),
           bs_model_weight_bytes(m) / 1048576.0, bs_model_kernels(m),
           bs_precision_name(bs_model_precision(m)), bs_model_lowp_bytes(m) / 1048576.0);
    rc = EXIT_OK;
out:
    free(ids);
    free(times);
    bs_run_free(run);
    bs_pool_free(pool);
    bs_model_free(m);
    return rc;
}

int cmd_bench(int argc, char **argv)
{
    bench_opts o;
    int r = parse_args(argc, argv, &o);
    if (r == 1)
        return EXIT_OK;
    if (r < 0)
        return EXIT_USAGE;
    if (o.write_dir)
        return write_checkpoint(&o);
    if (o.sgemm_peak)
        return sgemm_peak(&o);
    return bench_forward(&o);
}
