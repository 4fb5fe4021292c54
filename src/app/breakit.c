/*
 * breakit.c - runs the batch the wrong ways and compares with the correct run
 * (breakit.h). Outputs are compared per sentence for a sequence head, and per token for
 * the others, matching tokens by (segment, index within the segment) so that a shifted,
 * re-tokenized or truncated row still lines up with the correct one.
 */
#include "app/breakit.h"
#include "app/tokword.h"

#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bertscope/sbert.h"
#include "bertscope/utf8.h"

#define BRK_BUDGET 2e9 /* bytes one run of break it may use */

static int imin(int a, int b) { return a < b ? a : b; }
static int imax(int a, int b) { return a > b ? a : b; }

const char *brk_switch_name(brk_switch s)
{
    switch (s) {
    case BRK_NO_MASK: return "no attention mask";
    case BRK_LEFT_PAD: return "left padding";
    case BRK_TYPES_ZERO: return "token_type_ids all 0";
    case BRK_NO_LOWER: return "lower-casing off";
    case BRK_SHORT_MAX: return "short max_length";
    case BRK_POOL_NO_MASK: return "pooling without mask";
    default: return "?";
    }
}

/* One run: its batch and outputs, (B, C) for a sequence head, else (B, T, C). */
typedef struct run_out {
    bs_batch batch;
    float *y;
} run_out;

/* tok's piece for a special token id, as the text writes it ("[PAD]", RoBERTa's "<pad>");
 * dflt when tok has no such token. */
static const char *special_piece(const bs_tokenizer *tok, int id, const char *dflt)
{
    const char *p = bs_tokenizer_piece(tok, id);
    return p ? p : dflt;
}

static void run_free(run_out *o)
{
    bs_batch_free(&o->batch);
    free(o->y);
    memset(o, 0, sizeof *o);
}

static void set_err(brk_report *r, const char *what, const bs_error *e)
{
    int n = snprintf(r->error, sizeof r->error, "%s: %s", what, e->msg[0] ? e->msg : "failed");
    if (e->hint[0] && n > 0 && (size_t)n < sizeof r->error)
        snprintf(r->error + n, sizeof r->error - (size_t)n, " (hint: %s)", e->hint);
}

/* How a run is broken: the encoder without attention_mask, token_type_ids all 0, or
 * (a sentence-transformers model) its pooling without the mask, the encoder with it. */
enum { RUN_NO_MASK = 1, RUN_NO_TYPES = 2, RUN_POOL_NO_MASK = 4 };

/* Encodes with o, runs (broken as `how` says) and copies the outputs. Returns 0, or -1
 * with r->error set. */
static int do_run(brk_report *r, bs_run *run, const bs_tokenizer *tok, const bs_text *texts,
                  int B, const bs_encode_options *o, int how, run_out *out, const char *what)
{
    bs_error e = {0};
    memset(out, 0, sizeof *out);
    if (bs_encode_batch(tok, texts, B, o, &out->batch, &e) != BS_OK) {
        memset(&out->batch, 0, sizeof out->batch);
        set_err(r, what, &e);
        return -1;
    }
    const bs_batch *b = &out->batch;
    /* The run keeps every layer's activations and this report keeps two copies of the
     * outputs: refuse a batch that would need gigabytes (a masked LM's (B, T, V) logits
     * grow fastest) instead of exhausting memory. */
    const bs_config *c = r->cfg;
    double floats = (double)c->num_layers * b->B * c->num_heads * (double)b->T * b->T +
                    (double)(c->num_layers + 1) * b->B * b->T * c->hidden_size +
                    (double)b->B * b->T * c->intermediate_size +
                    3.0 * b->B * (double)b->T * r->C;
    if (floats * 4.0 > BRK_BUDGET) {
        snprintf(r->error, sizeof r->error,
                 "%s: the batch (%d, %d) needs about %.1f GB; break it runs up to %.1f GB "
                 "(hint: fewer or shorter sentences)",
                 what, b->B, b->T, floats * 4.0 / 1e9, BRK_BUDGET / 1e9);
        return -1;
    }
    if (bs_forward(run, b->input_ids, how & RUN_NO_MASK ? NULL : b->attention_mask,
                   how & RUN_NO_TYPES ? NULL : b->token_type_ids, b->B, b->T, &e) != BS_OK) {
        set_err(r, what, &e);
        return -1;
    }
    const bs_outputs *ou = bs_run_outputs(run);
    size_t n = r->head == BS_HEAD_SEQ || r->sentence
                   ? (size_t)b->B * (size_t)r->C
                   : (size_t)b->B * (size_t)b->T * (size_t)r->C;
    out->y = malloc((n ? n : 1) * sizeof *out->y);
    if (!out->y) {
        snprintf(r->error, sizeof r->error, "%s: out of memory", what);
        return -1;
    }
    if (r->sentence && (how & RUN_POOL_NO_MASK)) {
        /* the modules after the BERT on its last_hidden_state, as if mask were all 1 */
        size_t H = (size_t)c->hidden_size, L = (size_t)c->num_layers;
        float *scratch = malloc(bs_sbert_scratch_floats(r->sbert, b->B) * sizeof *scratch);
        if (!scratch) {
            snprintf(r->error, sizeof r->error, "%s: out of memory", what);
            return -1;
        }
        memcpy(out->y, bs_sbert_embed(r->sbert, ou->hidden + L * b->B * b->T * H, NULL, b->B,
                                      b->T, scratch), n * sizeof *out->y);
        free(scratch);
    } else if (r->sentence) {
        memcpy(out->y, ou->sentence_embedding, n * sizeof *out->y);
    } else if (r->head == BS_HEAD_BASE) {
        /* last_hidden_state: the last of the (L+1) hidden layers. */
        int L = r->cfg->num_layers;
        memcpy(out->y, ou->hidden + (size_t)L * n, n * sizeof *out->y);
    } else {
        memcpy(out->y, ou->logits, n * sizeof *out->y);
    }
    return 0;
}

static int argmax(const float *x, int C)
{
    int best = 0;
    for (int c = 1; c < C; c++)
        if (x[c] > x[best])
            best = c;
    return best;
}

static int add_flip(brk_outcome *oc, int row, int index, int pos, int label, int from, int to)
{
    brk_flip *f = realloc(oc->flips, (size_t)(oc->n_flips + 1) * sizeof *f);
    if (!f)
        return -1;
    oc->flips = f;
    f[oc->n_flips++] = (brk_flip){row, index, pos, label, from, to};
    return 0;
}

/* Compares two output vectors of C values: Δ into *d (max), flips recorded. */
static int compare_vec(const brk_report *r, brk_outcome *oc, const float *a, const float *b,
                       int row, int index, int pos, float *d)
{
    for (int c = 0; c < r->C; c++) {
        float x = fabsf(a[c] - b[c]);
        if (x > *d)
            *d = x;
    }
    if (r->head == BS_HEAD_BASE || r->regression)
        return 0;
    if (r->multi) {
        /* Sigmoid scores (multi-label, or one label): each label is on when its score
         * passes 0.5, as the text-classification pipeline's scores read. */
        for (int c = 0; c < r->C; c++) {
            double sa, sb;
            bs_scores(BS_SCORE_SIGMOID, a + c, 1, &sa);
            bs_scores(BS_SCORE_SIGMOID, b + c, 1, &sb);
            int on_a = sa > 0.5, on_b = sb > 0.5;
            if (on_a != on_b && add_flip(oc, row, index, pos, c, on_a, on_b))
                return -1;
        }
        return 0;
    }
    /* Softmax scores: the argmax of the logits is the softmax's (it is monotonic). */
    int fa = argmax(a, r->C), fb = argmax(b, r->C);
    if (fa != fb && add_flip(oc, row, index, pos, -1, fa, fb))
        return -1;
    return 0;
}

/* Position of the k-th token of segment seg in row b (specials and pads excluded), -1. */
static int find_token(const bs_batch *bt, int b, int seg, int k)
{
    const bs_token *tk = bt->tokens + (size_t)b * (size_t)bt->T;
    for (int t = 0; t < bt->T; t++) {
        if ((tk[t].flags & (BS_TOK_TEMPLATE | BS_TOK_PAD)) || tk[t].segment != seg)
            continue;
        if (k-- == 0)
            return t;
    }
    return -1;
}

static int compare(brk_report *r, brk_outcome *oc, const run_out *ok, const run_out *bad)
{
    int B = r->B;
    oc->drow = calloc((size_t)B, sizeof *oc->drow);
    oc->ncmp = calloc((size_t)B, sizeof *oc->ncmp);
    if (!oc->drow || !oc->ncmp)
        return -1;
    const bs_batch *ba = &ok->batch, *bb = &bad->batch;
    for (int b = 0; b < B; b++) {
        float d = 0;
        if (r->head == BS_HEAD_SEQ || r->sentence) {
            if (compare_vec(r, oc, ok->y + (size_t)b * (size_t)r->C,
                            bad->y + (size_t)b * (size_t)r->C, b, -1, -1, &d))
                return -1;
            oc->ncmp[b] = 1;
        } else {
            /* Every text token of the correct row that the broken row also has. */
            int counters[2] = {0, 0};
            const bs_token *tk = ba->tokens + (size_t)b * (size_t)ba->T;
            for (int t = 0; t < ba->T; t++) {
                if ((tk[t].flags & (BS_TOK_TEMPLATE | BS_TOK_PAD)) || tk[t].segment < 0 ||
                    tk[t].segment > 1)
                    continue;
                int k = counters[tk[t].segment]++;
                int u = find_token(bb, b, tk[t].segment, k);
                if (u < 0)
                    continue;
                const float *ya = ok->y + ((size_t)b * (size_t)ba->T + (size_t)t) * (size_t)r->C;
                const float *yb = bad->y + ((size_t)b * (size_t)bb->T + (size_t)u) * (size_t)r->C;
                if (compare_vec(r, oc, ya, yb, b, k + (tk[t].segment ? 1000000 : 0), t, &d))
                    return -1;
                oc->ncmp[b]++;
            }
        }
        oc->drow[b] = d;
        if (d > oc->dmax)
            oc->dmax = d;
    }
    /* Segment B's tokens were numbered from 1000000 to keep them apart; store the index
     * within the segment. */
    for (int i = 0; i < oc->n_flips; i++)
        if (oc->flips[i].index >= 1000000)
            oc->flips[i].index -= 1000000;
    return 0;
}

/* Rows with at least one pad in a batch. */
static int padded_rows(const bs_batch *bt)
{
    int n = 0;
    for (int b = 0; b < bt->B; b++)
        n += bt->length[b] < bt->T;
    return n;
}

/* A tokenizer on the same vocab with do_lower_case off (strip_accents then follows it,
 * as BertTokenizerFast(do_lower_case=False) does with strip_accents=None). */
static bs_tokenizer *cased_twin(const bs_tokenizer *tok)
{
    int V = bs_tokenizer_vocab_size(tok);
    size_t n = 0;
    for (int i = 0; i < V; i++)
        n += strlen(bs_tokenizer_piece(tok, i)) + 1;
    char *v = malloc(n + 1);
    if (!v)
        return NULL;
    size_t at = 0;
    for (int i = 0; i < V; i++) {
        const char *p = bs_tokenizer_piece(tok, i);
        size_t l = strlen(p);
        memcpy(v + at, p, l);
        at += l;
        v[at++] = '\n';
    }
    bs_tokenizer_settings s = *bs_tokenizer_get_settings(tok);
    s.do_lower_case = 0;
    if (s.src_strip_accents == BS_FROM_DEFAULT)
        s.strip_accents = -1;
    bs_tokenizer *out = NULL;
    bs_error e = {0};
    if (bs_tokenizer_from_vocab(&out, v, at, &s, &e) != BS_OK)
        out = NULL;
    free(v);
    return out;
}

/* One wrong run compared with the correct one. Returns 0 when compared (oc->ran set),
 * 1 when the wrong run itself cannot run (say lower-casing off makes a row longer than
 * the model's positions): that is reported on the switch's own line, not as a failure of
 * the whole panel; -1 when out of memory. */
static int wrong_run(brk_report *r, brk_outcome *oc, bs_run *run, const bs_tokenizer *tok,
                     const bs_text *texts, int B, const bs_encode_options *o, int how,
                     const run_out *ok, run_out *bad, const char *what)
{
    if (do_run(r, run, tok, texts, B, o, how, bad, what)) {
        snprintf(oc->why, sizeof oc->why, "could not run: %.480s", r->error);
        oc->failed = 1;
        r->error[0] = 0;
        run_free(bad);
        return 1;
    }
    if (compare(r, oc, ok, bad))
        return -1;
    oc->ran = 1;
    return 0;
}

void brk_report_free(brk_report *r)
{
    if (!r)
        return;
    for (int i = 0; i < BRK_COUNT; i++) {
        free(r->sw[i].drow);
        free(r->sw[i].ncmp);
        free(r->sw[i].flips);
    }
    bs_batch_free(&r->ref);
    memset(r, 0, sizeof *r);
}

int brk_compute(brk_report *r, const bs_model *m, bs_pool *pool, const bs_tokenizer *tok,
                const bs_text *texts, int B, const bs_encode_options *opt,
                int short_max_length)
{
    memset(r, 0, sizeof *r);
    r->B = B;
    r->cfg = bs_model_config(m);
    r->tok = tok;
    r->head = bs_model_head(m);
    r->C = r->head == BS_HEAD_MLM    ? r->cfg->vocab_size
           : r->head == BS_HEAD_BASE ? r->cfg->hidden_size
                                     : r->cfg->num_labels;
    /* Flips follow the scores the pipelines show (bs_head_score_fn): per label for a
     * sigmoid, the argmax for a softmax (token heads always), none for raw values. */
    bs_score_fn fn = bs_head_score_fn(r->cfg, r->head);
    r->multi = fn == BS_SCORE_SIGMOID;
    r->regression = r->head == BS_HEAD_SEQ && fn == BS_SCORE_NONE;
    if ((r->sbert = bs_model_sbert(m))) {
        r->sentence = 1;
        r->C = bs_sbert_dim(r->sbert);
    }
    r->opt = *opt;
    if (r->opt.padding == BS_PAD_NONE)
        r->opt.padding = BS_PAD_LONGEST;
    r->opt.padding_side = BS_SIDE_RIGHT;
    if (r->opt.max_length <= 0)
        r->opt.max_length = bs_tokenizer_default_max_length(tok, r->cfg->max_position);
    if (B <= 0) {
        snprintf(r->error, sizeof r->error, "no sentences to break");
        return -1;
    }
    /* Its switches compare labels per sentence or per token; a question-answering head's
     * prediction is a span, which they would misread as two labels per token. */
    if (r->head == BS_HEAD_QA) {
        snprintf(r->error, sizeof r->error, "break it compares labels, and a "
                 "question-answering head predicts a span: not covered yet");
        return -1;
    }
    if (r->head == BS_HEAD_PRETRAINING) { /* two outputs: not wired here */
        snprintf(r->error, sizeof r->error, "break it does not cover BertForPreTraining's two "
                 "outputs yet (--head mlm or nsp loads one of them)");
        return -1;
    }
    if (r->head == BS_HEAD_MC) { /* a softmax across rows: its comparison is per example */
        snprintf(r->error, sizeof r->error, "break it does not cover multiple choice yet");
        return -1;
    }
    if (r->head == BS_HEAD_DISC) { /* a sigmoid per token, labels of its own */
        snprintf(r->error, sizeof r->error, "break it does not cover ELECTRA's "
                 "discriminator (replaced or original per token) yet");
        return -1;
    }
    if (r->head == BS_HEAD_NSP) { /* its labels are not the config's: not wired here */
        snprintf(r->error, sizeof r->error, "break it does not cover next-sentence "
                 "prediction yet");
        return -1;
    }
    /* Its comparisons go sentence by sentence, one row each; overflowing tokens give a
     * sentence several rows, which the switches would then compare across. */
    if (opt->return_overflowing_tokens) {
        snprintf(r->error, sizeof r->error, "break it compares one row per sentence, and "
                 "return_overflowing_tokens is on (O turns it off)");
        return -1;
    }
    bs_run *run = NULL;
    bs_error e = {0};
    if (bs_run_create(&run, m, pool, &e) != BS_OK) {
        set_err(r, "correct run", &e);
        return -1;
    }
    run_out ok = {0}, bad = {0};
    if (do_run(r, run, tok, texts, B, &r->opt, 0, &ok, "correct run"))
        goto fail;
    const bs_batch *ref = &ok.batch;
    int npad = padded_rows(ref);
    int npairs = 0;
    for (int b = 0; b < B; b++)
        npairs += texts[b].b != NULL;

    /* 1. No attention mask: the pads become keys every token attends to. */
    brk_outcome *oc = &r->sw[BRK_NO_MASK];
    int rc = wrong_run(r, oc, run, tok, texts, B, &r->opt, RUN_NO_MASK, &ok, &bad,
                       "without attention_mask");
    if (rc < 0)
        goto fail;
    run_free(&bad);
    oc->changes_input = npad > 0;
    if (rc == 0 && npad)
        snprintf(oc->why, sizeof oc->why,
                 "without attention_mask the %s keys get real attention weight, so the %d "
                 "padded sentence%s change%s; rows without padding do not",
                 special_piece(tok, bs_tokenizer_pad_id(tok), "[PAD]"), npad,
                 npad == 1 ? "" : "s", npad == 1 ? "s" : "");
    else if (rc == 0)
        snprintf(oc->why, sizeof oc->why,
                 "no sentence is padded here: the mask is all ones, so leaving it out "
                 "changes nothing");

    /* 2. Left padding: the same tokens, moved right by the pads. */
    oc = &r->sw[BRK_LEFT_PAD];
    bs_encode_options lo = r->opt;
    lo.padding_side = BS_SIDE_LEFT;
    rc = wrong_run(r, oc, run, tok, texts, B, &lo, 0, &ok, &bad, "left padding");
    if (rc < 0)
        goto fail;
    run_free(&bad);
    oc->changes_input = npad > 0;
    /* RoBERTa counts positions from its pad id (padding_idx): left pads of that id take
     * padding_idx and move no token's position */
    const bs_family *fam = bs_model_family(m);
    int pads_keep = fam->positions == BS_POS_FROM_PADDING &&
                    bs_tokenizer_pad_id(tok) == r->cfg->pad_token_id;
    if (rc == 0 && npad && pads_keep && r->head == BS_HEAD_SEQ)
        snprintf(oc->why, sizeof oc->why,
                 "%s numbers positions from the ids: its pads take padding_idx, so left "
                 "padding moves no token's position; but the sequence head reads position 0, "
                 "which in the %d padded sentence%s is now a pad", fam->name, npad,
                 npad == 1 ? "" : "s");
    else if (rc == 0 && npad && pads_keep)
        snprintf(oc->why, sizeof oc->why,
                 "%s numbers positions from the ids: its pads take padding_idx, so left "
                 "padding moves no token's position (the %d padded sentence%s change by float "
                 "noise at most)", fam->name, npad, npad == 1 ? "" : "s");
    else if (rc == 0 && npad && fam->positions == BS_POS_FROM_PADDING)
        snprintf(oc->why, sizeof oc->why,
                 "the pad id %d is not %s's padding_idx %d, so its pads count as tokens: left "
                 "padding moves the tokens of the %d padded sentence%s to other position "
                 "embeddings", bs_tokenizer_pad_id(tok), fam->name, r->cfg->pad_token_id, npad,
                 npad == 1 ? "" : "s");
    else if (rc == 0 && npad)
        snprintf(oc->why, sizeof oc->why,
                 "%s's positions are absolute (0..T-1 from the left edge, Hugging Face does "
                 "not shift them): left padding moves the tokens of the %d padded sentence%s "
                 "to other position embeddings",
                 fam->name, npad, npad == 1 ? "" : "s");
    else if (rc == 0)
        snprintf(oc->why, sizeof oc->why,
                 "no sentence is padded here: left and right padding give the same batch");

    /* 3. token_type_ids all 0: segment B loses its embedding. */
    oc = &r->sw[BRK_TYPES_ZERO];
    rc = wrong_run(r, oc, run, tok, texts, B, &r->opt, RUN_NO_TYPES, &ok, &bad,
                   "token_type_ids all 0");
    if (rc < 0)
        goto fail;
    run_free(&bad);
    oc->changes_input = npairs > 0 && fam->token_type_ids;
    if (rc == 0 && !fam->token_type_ids)
        snprintf(oc->why, sizeof oc->why,
                 "%s takes no token_type_ids (its tokenizer returns none): nothing to zero",
                 fam->name);
    else if (rc == 0 && npairs)
        snprintf(oc->why, sizeof oc->why,
                 "segment B of the %d pair%s loses the token_type 1 embedding and reads as "
                 "part of segment A",
                 npairs, npairs == 1 ? "" : "s");
    else if (rc == 0)
        snprintf(oc->why, sizeof oc->why,
                 "no pair here: token_type_ids are already all 0, so nothing changes");

    /* 4. Lower-casing off on an uncased model. */
    oc = &r->sw[BRK_NO_LOWER];
    if (strcmp(bs_tokenizer_model(tok), "WordPiece")) {
        /* the twin below is a WordPiece tokenizer: no stand-in for a BPE/Unigram one */
        snprintf(oc->why, sizeof oc->why, "not shown for a %s tokenizer (WordPiece only)",
                 bs_tokenizer_model(tok));
    } else if (!bs_tokenizer_get_settings(tok)->do_lower_case) {
        snprintf(oc->why, sizeof oc->why,
                 "this tokenizer does not lower-case (a cased model): nothing to turn off");
    } else {
        bs_tokenizer *cased = cased_twin(tok);
        if (!cased) {
            snprintf(r->error, sizeof r->error, "lower-casing off: out of memory");
            goto fail;
        }
        rc = wrong_run(r, oc, run, cased, texts, B, &r->opt, 0, &ok, &bad,
                       "lower-casing off");
        bs_tokenizer_free(cased);
        if (rc < 0)
            goto fail;
        /* How the tokens changed: pieces that differ, and new [UNK]s. */
        int diff = 0, unk_ok = 0, unk_bad = 0, total = 0;
        for (int b = 0; rc == 0 && b < B; b++) {
            int la = ok.batch.length[b], lb = bad.batch.length[b];
            for (int t = 0; t < imax(la, lb); t++) {
                const bs_token *ta = t < la ? &ok.batch.tokens[(size_t)b * ok.batch.T + t] : NULL;
                const bs_token *tb = t < lb ? &bad.batch.tokens[(size_t)b * bad.batch.T + t] : NULL;
                diff += !ta || !tb || ta->id != tb->id;
                unk_ok += ta && (ta->flags & BS_TOK_UNK);
                unk_bad += tb && (tb->flags & BS_TOK_UNK);
            }
            total += la;
        }
        oc->changes_input = diff > 0;
        if (rc == 0 && diff)
            snprintf(oc->why, sizeof oc->why,
                     "an uncased vocab has no capitals: %d of %d positions get other ids "
                     "([UNK] %d -> %d) once capitals are kept",
                     diff, total, unk_ok, unk_bad);
        else if (rc == 0)
            snprintf(oc->why, sizeof oc->why,
                     "no capitals or accents in these sentences: the ids are the same");
        run_free(&bad);
    }

    /* 5. Truncation to a short max_length. */
    oc = &r->sw[BRK_SHORT_MAX];
    int longest = 0;
    for (int b = 0; b < B; b++)
        longest = imax(longest, ref->length[b]);
    int floor_len = npairs ? 4 : 3; /* [CLS] x [SEP] (+ y [SEP]): at least one text token each */
    int K = short_max_length > 0 ? short_max_length : imax(floor_len, longest / 2);
    oc->max_length = K;
    bs_encode_options so = r->opt;
    so.max_length = K;
    if (so.truncation == BS_TRUNC_NONE)
        so.truncation = BS_TRUNC_LONGEST_FIRST;
    rc = wrong_run(r, oc, run, tok, texts, B, &so, 0, &ok, &bad, "short max_length");
    if (rc < 0)
        goto fail;
    int cut = 0, rows_cut = 0;
    const char *cls = special_piece(tok, bs_tokenizer_cls_id(tok), "[CLS]");
    for (int b = 0; rc == 0 && b < B; b++) {
        cut += bad.batch.truncated[b];
        rows_cut += bad.batch.truncated[b] > 0;
    }
    run_free(&bad);
    oc->changes_input = cut > 0;
    char tail[96];
    if (r->head == BS_HEAD_SEQ)
        snprintf(tail, sizeof tail, "the %s vector now sees less text", cls);
    else
        snprintf(tail, sizeof tail, "cut tokens get no prediction, the rest less context");
    if (rc == 0 && cut)
        snprintf(oc->why, sizeof oc->why,
                 "max_length %d counts %s and %s: %d token%s cut from %d sentence%s; %s",
                 K, cls, special_piece(tok, bs_tokenizer_sep_id(tok), "[SEP]"), cut,
                 cut == 1 ? "" : "s", rows_cut, rows_cut == 1 ? "" : "s", tail);
    else if (rc == 0)
        snprintf(oc->why, sizeof oc->why,
                 "every sentence fits in max_length %d: nothing is cut", K);

    /* 6. A sentence-transformers model's pooling without the mask: the encoder ran
     * right, but the pads' vectors join the average (or the max). */
    oc = &r->sw[BRK_POOL_NO_MASK];
    if (!r->sentence) {
        snprintf(oc->why, sizeof oc->why, "not a sentence-transformers model: there is no "
                 "pooling step (BertModel's pooler reads [CLS] alone)");
    } else {
        rc = wrong_run(r, oc, run, tok, texts, B, &r->opt, RUN_POOL_NO_MASK, &ok, &bad,
                       "pooling without mask");
        run_free(&bad);
        if (rc < 0)
            goto fail;
        int modes = bs_sbert_step_at(r->sbert, 0)->pooling;
        char name[96];
        bs_pooling_name(modes, name, sizeof name);
        oc->changes_input = npad > 0 && modes != BS_POOLING_CLS;
        if (rc == 0 && modes == BS_POOLING_CLS)
            snprintf(oc->why, sizeof oc->why, "cls pooling takes position 0 alone: the mask "
                     "changes nothing (hand-written mean pooling is where it matters)");
        else if (rc == 0 && npad)
            snprintf(oc->why, sizeof oc->why,
                     "%s pooling without attention_mask counts the [PAD] positions' vectors "
                     "as words: the %d padded sentence%s change%s (the pads dilute the "
                     "average), rows without padding do not; the encoder itself had the mask",
                     name, npad, npad == 1 ? "" : "s", npad == 1 ? "s" : "");
        else if (rc == 0)
            snprintf(oc->why, sizeof oc->why, "no sentence is padded here: every position is "
                     "a token, so pooling with or without the mask is the same");
    }

    r->ref = ok.batch;
    memset(&ok.batch, 0, sizeof ok.batch);
    run_free(&ok);
    bs_run_free(run);
    r->ok = 1;
    return 0;
fail:
    run_free(&ok);
    run_free(&bad);
    bs_run_free(run);
    for (int i = 0; i < BRK_COUNT; i++) {
        free(r->sw[i].drow);
        free(r->sw[i].ncmp);
        free(r->sw[i].flips);
        memset(&r->sw[i], 0, sizeof r->sw[i]);
    }
    return -1;
}
/* A label's name: id2label, the word predicted (token_str) for MLM, or on/off. */
/* A label's name: id2label, a vocab piece for MLM, or on/off for multi-label. */
static const char *label_name(const brk_report *r, int id, char *buf, size_t n)
{
    if (r->head == BS_HEAD_MLM) {
        app_token_word(r->tok, id, buf, n); /* what the fill-mask pipeline shows */
    } else if (id >= 0 && id < r->cfg->num_labels && r->cfg->id2label) {
        snprintf(buf, n, "%s", r->cfg->id2label[id]);
    } else {
        snprintf(buf, n, "%d", id);
    }
    return buf;
}

/* Word-wraps text into at most max_rows rows; returns the rows used. */
static int wrap(app_grid *g, int x, int y, int xm, int max_rows, const char *s, int style)
{
    int rows = 0, width = xm - x;
    size_t n = strlen(s), i = 0;
    while (i < n && rows < max_rows && width > 0) {
        size_t end = grid_wrap_end(s, n, i, width, 1);
        grid_put(g, x, y + rows, xm, s + i, end - i, style);
        rows++;
        i = end;
        while (i < n && s[i] == ' ')
            i++;
    }
    return rows;
}

void brk_draw(app_grid *g, int x, int y, int w, int h, const brk_report *r, int sel_switch,
              int sel_row)
{
    if (w <= 0 || h <= 0)
        return;
    int xm = x + w, ym = y + h, row = y;
    grid_puts(g, x, row++, xm, "Break it  the same batch run the wrong way, against the correct run",
              ST_TITLE);
    if (!r->ok) {
        if (row < ym)
            wrap(g, x, row, xm, ym - row, r->error, ST_ERROR);
        return;
    }
    if (row < ym) {
        char line[256];
        snprintf(line, sizeof line,
                 "correct run: padding %s on the right, truncation %s, max_length %d; "
                 "Δ = largest |%s difference|",
                 bs_padding_name(r->opt.padding), bs_truncation_name(r->opt.truncation),
                 r->opt.max_length, r->sentence              ? "sentence_embedding"
                                    : r->head == BS_HEAD_BASE ? "hidden"
                                                              : "logit");
        row += wrap(g, x, row, xm, imin(2, ym - row), line, ST_DIM);
    }
    if (row < ym)
        grid_printf(g, x, row++, xm, ST_BOLD, "  %-24s Δ max      %s", "switch",
                    r->sentence ? "" : r->head == BS_HEAD_SEQ ? "labels that flip"
                                                              : "token labels that flip");
    for (int i = 0; i < BRK_COUNT && row < ym; i++) {
        const brk_outcome *oc = &r->sw[i];
        int st = i == sel_switch ? ST_SELECT : ST_NORMAL;
        char name[48];
        if (i == BRK_SHORT_MAX)
            snprintf(name, sizeof name, "max_length %d", oc->max_length);
        else
            snprintf(name, sizeof name, "%s", brk_switch_name((brk_switch)i));
        int c = grid_printf(g, x, row, xm, st, "%s %-24s ", i == sel_switch ? ">" : " ", name);
        if (!oc->ran) {
            grid_puts(g, c, row++, xm, oc->failed ? "could not run" : "does not apply",
                      oc->failed ? ST_ERROR : ST_DIM);
            continue;
        }
        c = grid_printf(g, c, row, xm, oc->dmax > 0 ? ST_NORMAL : ST_DIM, "%-10.4f ", oc->dmax);
        if (r->head == BS_HEAD_BASE || r->regression) {
            grid_puts(g, c, row++, xm, "(no labels)", ST_DIM);
            continue;
        }
        int total = 0;
        for (int b = 0; b < r->B; b++)
            total += oc->ncmp[b] * (r->multi ? r->C : 1);
        grid_printf(g, c, row++, xm, oc->n_flips ? ST_WARN : ST_DIM, "%d of %d", oc->n_flips,
                    total);
    }
    if (sel_switch < 0 || sel_switch >= BRK_COUNT || row >= ym)
        return;
    const brk_outcome *oc = &r->sw[sel_switch];
    row++;
    if (row < ym) {
        int c = grid_puts(g, x, row, xm, "why: ", ST_BOLD);
        row += wrap(g, c, row, xm, imin(3, ym - row), oc->why, ST_NORMAL);
    }
    if (!oc->ran || row >= ym)
        return;
    if (row < ym)
        grid_puts(g, x, row++, xm, "  sent Δ max      flips", ST_BOLD);
    int first = imax(0, imin(sel_row, r->B - 1));
    for (int b = first; b < r->B && row < ym; b++) {
        int c = grid_printf(g, x, row, xm, oc->drow[b] > 0 ? ST_NORMAL : ST_DIM, "  %-4d %-10.4f ",
                            b + 1, oc->drow[b]);
        int nf = 0;
        for (int i = 0; i < oc->n_flips; i++) {
            const brk_flip *f = &oc->flips[i];
            if (f->row != b)
                continue;
            char la[64], lb[64];
            if (nf++)
                c = grid_puts(g, c, row, xm, ", ", ST_DIM);
            if (f->pos >= 0) {
                const bs_token *t = &r->ref.tokens[(size_t)b * (size_t)r->ref.T + (size_t)f->pos];
                c = grid_puts(g, c, row, xm, t->piece ? t->piece : "?", ST_SELECT);
                c = grid_puts(g, c, row, xm, " ", ST_NORMAL);
            }
            if (f->label >= 0) {
                c = grid_printf(g, c, row, xm, ST_WARN, "%s %s",
                                label_name(r, f->label, la, sizeof la), f->to ? "on" : "off");
            } else {
                c = grid_printf(g, c, row, xm, ST_WARN, "%s->%s",
                                label_name(r, f->from, la, sizeof la),
                                label_name(r, f->to, lb, sizeof lb));
            }
        }
        if (!nf && r->head != BS_HEAD_BASE && !r->regression)
            grid_puts(g, c, row, xm, "none", ST_DIM);
        row++;
    }
}
