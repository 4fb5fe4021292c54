/*
 * pyview.c - generates the transformers code for the current state (pyview.h).
 */
#include "app/sbuf.h"
#include "app/pyview.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "bertscope/sbert.h"
#include "bertscope/utf8.h"



/* A Python string literal for UTF-8 bytes: escapes quotes, backslashes and controls;
 * bytes that are not UTF-8 become \ufffd, which is what bertscope reads them as. */
static void py_str(sbuf *b, const char *s, size_t n)
{
    sb_add(b, "\"", 1);
    for (size_t i = 0; i < n;) {
        unsigned char c = (unsigned char)s[i];
        uint32_t cp;
        size_t j = bs_utf8_next(s, n, i, &cp);
        if (c == '"' || c == '\\') {
            sb_add(b, "\\", 1);
            sb_add(b, s + i, 1);
        } else if (c == '\n') {
            sb_add(b, "\\n", 2);
        } else if (c == '\r') {
            sb_add(b, "\\r", 2);
        } else if (c == '\t') {
            sb_add(b, "\\t", 2);
        } else if (c < 0x20 || c == 0x7f) {
            sb_printf(b, "\\x%02x", c);
        } else if (cp == 0xFFFD && !(j - i == 3 && memcmp(s + i, "\xEF\xBF\xBD", 3) == 0)) {
            sb_add(b, "\\ufffd", 6);
        } else if (cp >= 0x80 && cp < 0xA0) {
            sb_printf(b, "\\x%02x", (unsigned)cp); /* C1 controls: invisible on screen */
        } else {
            sb_add(b, s + i, j - i);
        }
        i = j;
    }
    sb_add(b, "\"", 1);
}

int py_full_rows(const bs_batch *batch)
{
    int k = 0;
    for (int b = 0; b < batch->B; b++) {
        int full = 1;
        for (int t = 0; t < batch->T; t++)
            full &= batch->attention_mask[(size_t)b * (size_t)batch->T + (size_t)t] != 0;
        k += full;
    }
    return k;
}

/* Tokens that transformers' word_ids() maps to a word (not [CLS]/[SEP]/[PAD]). */
static int word_tokens(const bs_batch *batch, int b)
{
    /* The first piece of each word: what HF's token-classification recipe labels (the
     * other pieces, like the specials and pads, get -100). */
    int n = 0;
    const bs_token *row = batch->tokens + (size_t)b * (size_t)batch->T;
    for (int t = 0; t < batch->T; t++)
        n += row[t].word >= 0 && (t == 0 || row[t - 1].word != row[t].word ||
                                  row[t - 1].segment != row[t].segment);
    return n;
}

/* The output's last dimension and its name. */
static int out_dim(const py_spec *s)
{
    if (bs_head_masked_lm(s->head))
        return s->cfg->vocab_size;
    if (s->head == BS_HEAD_BASE)
        return s->cfg->hidden_size;
    if (s->head == BS_HEAD_NSP)
        return 2;
    return s->cfg->num_labels;
}

static void shape(sbuf *b, const py_spec *s, int B, int T)
{
    if (s->head == BS_HEAD_QA || s->head == BS_HEAD_DISC) /* start/end_logits; a logit
                                                             * per token */
        sb_printf(b, "torch.Size([%d, %d])", B, T);
    else if (s->head == BS_HEAD_SEQ || s->head == BS_HEAD_NSP)
        sb_printf(b, "torch.Size([%d, %d])", B, out_dim(s));
    else
        sb_printf(b, "torch.Size([%d, %d, %d])", B, T, out_dim(s));
}

/* The keyword arguments after the texts: padding, truncation, max_length. */
static void call_args(sbuf *b, const py_spec *s, int with_padding)
{
    if (with_padding && s->padding == BS_PAD_LONGEST)
        sb_add(b, ", padding=True", 14);
    else if (with_padding && s->padding == BS_PAD_MAX_LENGTH)
        sb_add(b, ", padding=\"max_length\"", 22);
    if (s->truncation == BS_TRUNC_LONGEST_FIRST)
        sb_add(b, ", truncation=True", 17);
    else if (s->truncation != BS_TRUNC_NONE)
        sb_printf(b, ", truncation=\"%s\"", bs_truncation_name(s->truncation));
    if (s->max_length > 0 &&
        (s->truncation != BS_TRUNC_NONE || (with_padding && s->padding == BS_PAD_MAX_LENGTH)))
        sb_printf(b, ", max_length=%d", s->max_length);
    if (with_padding && s->padding != BS_PAD_NONE && s->pad_multiple > 0)
        sb_printf(b, ", pad_to_multiple_of=%d", s->pad_multiple);
    if (s->overflow)
        sb_printf(b, ", stride=%d, return_overflowing_tokens=True", s->stride);
    if (s->split_words)
        sb_lit(b, ", is_split_into_words=True");
}

/* One pooling mode as users write it with transformers on `h` (last_hidden_state) and
 * `mask` (attention_mask.unsqueeze(-1).float()), as sentence-transformers' Pooling
 * computes it. */
static void pooling_code(sbuf *b, int mode, int B, int H)
{
    switch (mode) {
    case BS_POOLING_CLS:
        sb_printf(b, "emb = h[:, 0]  # the [CLS] position: torch.Size([%d, %d])\n", B, H);
        break;
    case BS_POOLING_MAX:
        sb_printf(b, "emb = h.masked_fill(mask == 0, -1e9).max(dim=1).values  # pads can "
                     "never win: torch.Size([%d, %d])\n", B, H);
        break;
    case BS_POOLING_MEAN_SQRT:
        sb_printf(b, "emb = (h * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9).sqrt()"
                     "  # torch.Size([%d, %d])\n", B, H);
        break;
    case BS_POOLING_WEIGHTED:
        sb_lit(b, "w = mask * torch.arange(1, h.shape[1] + 1).view(1, -1, 1)  # position t "
                  "weighs t + 1\n");
        sb_printf(b, "emb = (h * w).sum(dim=1) / w.sum(dim=1).clamp(min=1e-9)  # "
                     "torch.Size([%d, %d])\n", B, H);
        break;
    case BS_POOLING_LAST:
        sb_lit(b, "last = batch[\"attention_mask\"].flip(1).argmax(dim=1)  # from the end\n");
        sb_printf(b, "emb = h[torch.arange(h.shape[0]), h.shape[1] - 1 - last]  # the last "
                     "real token: torch.Size([%d, %d])\n", B, H);
        break;
    default: /* mean */
        sb_printf(b, "emb = (h * mask).sum(dim=1) / mask.sum(dim=1).clamp(min=1e-9)  "
                     "# torch.Size([%d, %d])\n", B, H);
        break;
    }
}

/* A sentence-transformers model: SentenceTransformer(folder).encode, then the same
 * embedding with transformers alone (the pooling by hand, with the mask; Dense from its
 * weights; Normalize), and the mistake break it shows (the mean without the mask). */
static void sbert_code(sbuf *b, const py_spec *s, const bs_batch *bt)
{
    const bs_sbert *sb = s->sbert;
    int B = bt->B, H = s->cfg->hidden_size, D = bs_sbert_dim(sb);
    char mods[256] = "";
    for (int i = 0, at = 0; i < bs_sbert_steps(sb) && at < (int)sizeof mods; i++) {
        const bs_sbert_step *st = bs_sbert_step_at(sb, i);
        char name[96];
        bs_pooling_name(st->pooling, name, sizeof name);
        at += snprintf(mods + at, sizeof mods - (size_t)at, "%s%s", i ? ", " : "",
                       st->kind == BS_SBERT_POOLING ? "Pooling "
                       : st->kind == BS_SBERT_DENSE ? "Dense" : "Normalize");
        if (st->kind == BS_SBERT_POOLING && at < (int)sizeof mods)
            at += snprintf(mods + at, sizeof mods - (size_t)at, "%s", name);
    }
    sb_printf(b, "\n# A sentence-transformers folder (modules.json: %s): what\n"
                 "# SentenceTransformer.encode returns\n"
                 "from sentence_transformers import SentenceTransformer\n"
                 "st_model = SentenceTransformer(", mods);
    py_str(b, s->sbert_path, strlen(s->sbert_path));
    sb_printf(b, ")\nembeddings = st_model.encode(texts, convert_to_tensor=True)  "
                 "# torch.Size([%d, %d])\n", B, D);
    sb_printf(b, "print(st_model.similarity(embeddings, embeddings))  # cosine, "
                 "torch.Size([%d, %d])\n", B, B);
    if (bs_sbert_max_seq_length(sb) >= 0)
        sb_printf(b, "# encode() cuts each text to max_seq_length %d (truncation=True, "
                     "max_length=%d)\n", bs_sbert_max_seq_length(sb),
                  bs_sbert_max_seq_length(sb));
    int imported = 0; /* load_file */
    sb_lit(b, "\n# The same with transformers alone, on the outputs above:\n"
              "h = outputs.last_hidden_state\n");
    sb_printf(b, "mask = batch[\"attention_mask\"].unsqueeze(-1).float()  # torch.Size([%d, "
                 "%d, 1])\n", B, bt->T);
    for (int i = 0; i < bs_sbert_steps(sb); i++) {
        const bs_sbert_step *st = bs_sbert_step_at(sb, i);
        if (st->kind == BS_SBERT_POOLING) {
            int single = 0;
            for (int m = 1; m <= BS_POOLING_LAST; m <<= 1)
                single += (st->pooling & m) != 0;
            if (single == 1) {
                pooling_code(b, st->pooling, B, H);
            } else { /* Pooling concatenates its modes, in its forward's order */
                sb_lit(b, "parts = []\n");
                for (int m = 1; m <= BS_POOLING_LAST; m <<= 1)
                    if (st->pooling & m) {
                        pooling_code(b, m, B, H);
                        sb_lit(b, "parts.append(emb)\n");
                    }
                sb_printf(b, "emb = torch.cat(parts, dim=1)  # torch.Size([%d, %d])\n", B,
                          st->out);
            }
        } else if (st->kind == BS_SBERT_DENSE) {
            int bin = !strcmp(st->weights, "pytorch_model.bin");
            if (!bin && !imported++)
                sb_lit(b, "from safetensors.torch import load_file\n");
            sb_printf(b, "dense = torch.nn.Linear(%d, %d, bias=%s)  # %s/config.json\n",
                      st->in, st->out, st->bias ? "True" : "False", st->path);
            sb_printf(b, "dense.load_state_dict({k.removeprefix(\"linear.\"): v for k, v in "
                         "%s(\"%s/%s/%s\"%s).items()})\n", bin ? "torch.load" : "load_file",
                      s->sbert_path, st->path, st->weights, bin ? ", weights_only=True" : "");
            sb_printf(b, "emb = torch.nn.%s()(dense(emb))  # torch.Size([%d, %d])\n",
                      st->activation, B, st->out);
        } else {
            sb_printf(b, "emb = torch.nn.functional.normalize(emb, p=2, dim=1)  # unit "
                         "length: torch.Size([%d, %d])\n", B, st->in);
        }
    }
    if (bs_sbert_step_at(sb, 0)->pooling & (BS_POOLING_MEAN | BS_POOLING_MEAN_SQRT |
                                           BS_POOLING_WEIGHTED | BS_POOLING_MAX))
        sb_lit(b, "# Not h.mean(dim=1): without the mask the [PAD] positions are averaged in\n"
                  "# (break it, v, shows by how much)\n");
}

/* s's tokenizer's piece for special token id (bs_tokenizer_mask_id(s->tok), ...), else
 * dflt (BERT's name) */
static const char *special(const py_spec *s, int (*id_of)(const bs_tokenizer *),
                           const char *dflt)
{
    const char *p = s->tok ? bs_tokenizer_piece(s->tok, id_of(s->tok)) : NULL;
    return p ? p : dflt;
}

/* How to read a sequence classifier's logits: every row, one per sentence. Inside the
 * model the attention_mask keeps [PAD] out of every attention, so a padded sentence's
 * row is its prediction as if it ran alone; nothing is to be filtered. */
static void seq_right_way(sbuf *b, const py_spec *s, int B)
{
    sb_printf(b, "\n# A sequence classifier gives one row per sentence: keep every row. The\n"
                 "# attention_mask already kept %s out of the model, so a padded sentence's\n"
                 "# row is its prediction as if it ran alone\n",
              special(s, bs_tokenizer_pad_id, "[PAD]"));
    sb_printf(b, "pred = outputs.logits.argmax(dim=-1)  # torch.Size([%d]): one class per "
                 "sentence\n", B);
    sb_lit(b, "print([model.config.id2label[i] for i in pred.tolist()])\n");
}

/* A question-answering model's answers: the pipeline that picks them from start_logits
 * and end_logits, and bertscope's answers (bs_qa_answers) for comparison. */
static void qa_answers_code(sbuf *b, const py_spec *s, int n_pairs)
{
    const bs_batch *bt = s->batch;
    sb_lit(b, "print(outputs.end_logits.shape)  # ");
    shape(b, s, bt->B, bt->T);
    if (!n_pairs) {
        sb_lit(b, "\n\n# A question-answering model answers a question from a context: write\n"
                  "# the question, a tab, then the context (text_pair)\n");
        return;
    }
    sb_printf(b, "\n\n# The answer as the question-answering pipeline picks it from the logits:\n"
                 "# the best span of the context (start <= end, at most max_answer_len=%d\n"
                 "# tokens), score softmax(start)[s] * softmax(end)[e], both softmaxes over the\n"
                 "# context tokens and %s alone, widened to whole words\n"
                 "from transformers import pipeline\n\n"
                 "qa = pipeline(\"question-answering\", model=model, tokenizer=tokenizer)\n"
                 "for question, context in zip(texts, pairs):\n"
                 "    if context is not None:\n"
                 "        print(qa(question=question, context=context))\n",
              BS_QA_MAX_ANSWER_LEN, special(s, bs_tokenizer_cls_id, "[CLS]"));
    for (int i = 0; s->qa && i < bt->B; i++) {
        sb_printf(b, "# %s %d (bertscope): ", s->overflow ? "row" : "sentence", i + 1);
        if (!s->qa_found[i]) {
            sb_lit(b, "no answer (no context)\n");
            continue;
        }
        const bs_qa_answer *a = &s->qa[i];
        sb_printf(b, "score %.4f, start %d, end %d, answer ", a->score, a->char_start,
                  a->char_end);
        py_str(b, s->qa_text[i], strlen(s->qa_text[i]));
        sb_lit(b, "\n");
    }
    if (s->overflow || s->truncation != BS_TRUNC_NONE) {
        /* the pipeline's defaults: min(model_max_length, 384), min(that // 2, 128) */
        int mml = s->tok ? bs_tokenizer_get_settings(s->tok)->model_max_length : 0;
        int msl = mml > 0 && mml < 384 ? mml : 384, ds = msl / 2 < 128 ? msl / 2 : 128;
        sb_printf(b, "# (the pipeline cuts long contexts its own way: max_seq_len %d, "
                     "doc_stride\n# %d, only_second; the rows above are this batch's)\n", msl,
                  ds);
    }
}

/* BertForMultipleChoice after the tokenizer call on the flat lists (every choice a
 * (prompt, choice) row, all padded together), as run_swag.py's collator and the model
 * docs write it: the rows viewed as (B, K, T), the (B, K) logits, softmax per example. */
static void mc_code(sbuf *b, const py_spec *s)
{
    const bs_batch *bt = s->batch;
    int K = s->choices;
    if (K <= 0 || bt->B % K) {
        sb_lit(b, "# the sentences do not make examples of equal numbers of choices: the\n"
                  "# (B, K, T) view below needs them (set choices K)\n");
        return;
    }
    int E = bt->B / K;
    sb_printf(b, "# every %d rows are one example's choices: view them as (B, K, T)\n"
                 "batch = {k: v.view(%d, %d, -1) for k, v in batch.items()}\n"
                 "print(batch[\"input_ids\"].shape)  # torch.Size([%d, %d, %d])\n",
              K, E, K, E, K, bt->T);
    sb_printf(b, "\nwith torch.no_grad():\n    outputs = model(**batch)  # inside: view(-1, %d) "
                 "-> (%d, %d), classifier -> (%d, 1)\n", bt->T, bt->B, bt->T, bt->B);
    sb_printf(b, "print(outputs.logits.shape)  # torch.Size([%d, %d])\n", E, K);
    sb_lit(b, "probs = outputs.logits.softmax(dim=-1)  # over each example's choices\n"
              "print(probs.argmax(dim=-1).tolist())  # the chosen choice of each example\n");
    for (int e = 0; s->probs && e < E; e++) {
        int best = 0;
        for (int k = 1; k < K; k++)
            if (s->probs[e * K + k] > s->probs[e * K + best])
                best = k;
        sb_printf(b, "# example %d (bertscope): choice %d (index %d), probs [", e + 1, best + 1,
                  best);
        for (int k = 0; k < K; k++)
            sb_printf(b, "%s%.4f", k ? ", " : "", s->probs[e * K + k]);
        sb_lit(b, "]\n");
    }
}

/* ELECTRA's discriminator as Hugging Face's ElectraForPreTraining example reads it: a
 * logit per token, 1 = "this token was replaced" where the logit is above 0. */
static void disc_code(sbuf *b, const bs_batch *bt)
{
    int real = 0;
    for (int i = 0; i < bt->B; i++)
        real += bt->length[i];
    sb_lit(b, "\n# The discriminator asks of every token: was it replaced? One logit each\n"
              "# (dense_prediction's (B, T, 1) squeezed); AutoModelForPreTraining builds the\n"
              "# same class\n");
    sb_printf(b, "predictions = torch.round((torch.sign(outputs.logits) + 1) / 2)  "
                 "# torch.Size([%d, %d]): 1 replaced\n", bt->B, bt->T);
    sb_lit(b, "probs = outputs.logits.sigmoid()  # the probability of \"replaced\", > 0.5 = 1\n");
    sb_lit(b, "for i, ids in enumerate(batch[\"input_ids\"]):\n"
              "    keep = batch[\"attention_mask\"][i].bool()  # a pad's verdict means nothing\n"
              "    tokens = tokenizer.convert_ids_to_tokens(ids[keep])\n"
              "    print([(t, round(p, 2)) for t, p in zip(tokens, probs[i, keep].tolist())])\n");
    sb_printf(b, "real = outputs.logits[batch[\"attention_mask\"].bool()]  "
                 "# torch.Size([%d]): every real position\n", real);
}

char *py_generate(const py_spec *s)
{
    sbuf b = {0};
    const bs_batch *bt = s->batch;
    /* QuestionAnsweringPipeline's own class, run_swag.py's; the others by their family's
     * class (DistilBertForSequenceClassification, XLMRobertaForMaskedLM, ...) */
    char fcls[96];
    const char *cls = s->head == BS_HEAD_QA   ? "AutoModelForQuestionAnswering"
                      : s->head == BS_HEAD_MC ? "AutoModelForMultipleChoice"
                                              : bs_family_head_class(s->cfg ? s->cfg->family
                                                                            : NULL,
                                                                     s->head, fcls, sizeof fcls);
    /* No model (tokenizer only): the tokenizer part alone. */
    int nomodel = !s->cfg;
    const char *mpath = s->model_path ? s->model_path : s->tokenizer_path;
    int builtin = !nomodel && strncmp(mpath, "builtin:", 8) == 0;
    int n_pairs = 0;
    for (int i = 0; i < s->n; i++)
        n_pairs += memchr(s->lines[i], '\t', s->lens[i]) != NULL;
    int ragged = 0;
    for (int i = 1; i < bt->B; i++)
        ragged |= bt->length[i] != bt->length[0];
    int loop = s->padding == BS_PAD_NONE && ragged;
    int mixed = n_pairs > 0 && n_pairs < s->n;

    if (nomodel)
        sb_lit(&b, "from transformers import AutoTokenizer\n\n");
    else
        sb_lit(&b, "import torch\n");
    if (builtin)
        sb_printf(&b, "from transformers import BertConfig, BertTokenizerFast, %s\n\n", cls);
    else if (!nomodel)
        sb_printf(&b, "from transformers import AutoTokenizer, %s\n\n", cls);
    if (builtin) {
        const bs_config *c = s->cfg;
        char vpath[1100];
        snprintf(vpath, sizeof vpath, "%s/vocab.txt", s->tokenizer_path);
        sb_lit(&b, "tokenizer = BertTokenizerFast(");
        py_str(&b, vpath, strlen(vpath));
        sb_lit(&b, ")\n");
        sb_printf(&b, "# %s: a shape-only model, random weights (numbers will differ)\n",
                  mpath);
        sb_printf(&b, "config = BertConfig(hidden_size=%d, num_hidden_layers=%d, "
                      "num_attention_heads=%d,\n                    intermediate_size=%d",
                  c->hidden_size, c->num_layers, c->num_heads, c->intermediate_size);
        if (s->head == BS_HEAD_SEQ || s->head == BS_HEAD_TOK)
            sb_printf(&b, ", num_labels=%d", c->num_labels);
        sb_printf(&b, ")\nmodel = %s(config)\n",
                  s->head == BS_HEAD_QA   ? "AutoModelForQuestionAnswering.from_config"
                  : s->head == BS_HEAD_MC ? "AutoModelForMultipleChoice.from_config"
                                          : cls);
    } else {
        sb_lit(&b, "tokenizer = AutoTokenizer.from_pretrained(");
        py_str(&b, s->tokenizer_path, strlen(s->tokenizer_path));
        sb_lit(&b, ")\n");
    }
    if (nomodel) {
        sb_lit(&b, "# no model loaded: the tokenizer alone\n");
    } else if (!builtin) {
        sb_printf(&b, "model = %s.from_pretrained(", cls);
        py_str(&b, mpath, strlen(mpath));
        if (s->random_head && (s->head == BS_HEAD_SEQ || s->head == BS_HEAD_TOK))
            sb_printf(&b, ", num_labels=%d)\n# the classifier is newly initialised (random): "
                          "its logits will not match bertscope's\n",
                      s->cfg->num_labels);
        else
            sb_lit(&b, ")\n");
    }
    if (!nomodel)
        sb_lit(&b, "model.eval()  # dropout off\n");
    if (s->side == BS_SIDE_LEFT && s->padding != BS_PAD_NONE)
        sb_lit(&b, "tokenizer.padding_side = \"left\"\n");
    if (s->truncation_side == BS_SIDE_LEFT && s->truncation != BS_TRUNC_NONE)
        sb_lit(&b, "tokenizer.truncation_side = \"left\"  # keep the end of a cut text\n");
    sb_lit(&b, "\n");

    /* The sentences: A in texts, B in pairs (None for a single sentence). */
    sb_lit(&b, "texts = [\n");
    for (int i = 0; i < s->n; i++) {
        const char *tab = memchr(s->lines[i], '\t', s->lens[i]);
        sb_lit(&b, "    ");
        py_str(&b, s->lines[i], tab ? (size_t)(tab - s->lines[i]) : s->lens[i]);
        sb_lit(&b, ",\n");
    }
    sb_lit(&b, "]\n");
    if (n_pairs) {
        sb_lit(&b, "pairs = [\n");
        for (int i = 0; i < s->n; i++) {
            const char *tab = memchr(s->lines[i], '\t', s->lens[i]);
            sb_lit(&b, "    ");
            if (tab)
                py_str(&b, tab + 1, s->lens[i] - (size_t)(tab - s->lines[i]) - 1);
            else
                sb_lit(&b, "None");
            sb_lit(&b, ",\n");
        }
        sb_lit(&b, "]\n");
    }
    if (s->split_words) {
        sb_lit(&b, "texts = [t.split(\" \") for t in texts]  # is_split_into_words: word lists\n");
        if (n_pairs)
            sb_lit(&b, "pairs = [p.split(\" \") if p is not None else None for p in pairs]\n");
    }
    sb_lit(&b, "\n");

    const char *out = s->head == BS_HEAD_BASE ? "last_hidden_state"
                      : s->head == BS_HEAD_QA ? "start_logits" /* QuestionAnsweringModelOutput */
                      : s->head == BS_HEAD_PRETRAINING ? "prediction_logits" /* and no logits */
                                                       : "logits";
    if (loop && s->head == BS_HEAD_MC && !nomodel) { /* no (B, K, T) to run, as on screen */
        sb_lit(&b, "# multiple choice stacks each example's choices into one (B, K, T) tensor:\n"
                   "# padding off leaves rows of different lengths, so nothing runs\n"
                   "# (padding=True pads them to one T)\n");
        char *r = b.oom ? NULL : b.s;
        if (!r)
            free(b.s);
        return r;
    }
    if (loop) {
        sb_lit(&b, "# padding off and rows of different lengths: one tensor cannot hold them\n"
                   "# (return_tensors=\"pt\" raises), so run one sentence at a time\n");
        if (s->overflow) /* a sentence's own rows differ in length too */
            sb_lit(&b, "# NOTE: with return_overflowing_tokens a long sentence gives rows of\n"
                       "# different lengths, and return_tensors=\"pt\" raises for it as well:\n"
                       "# pad (padding=True) to run them; the rows below are bertscope's\n");
        sb_printf(&b, "for i, text in enumerate(texts):\n    inputs = tokenizer(text%s",
                  n_pairs ? ", pairs[i]" : "");
        call_args(&b, s, 0);
        if (nomodel) {
            sb_lit(&b, ", return_tensors=\"pt\")\n    print(inputs[\"input_ids\"].shape)\n");
            for (int i = 0; i < bt->B; i++)
                sb_printf(&b, "# %s %d: torch.Size([1, %d])\n", s->overflow ? "row" : "sentence",
                          i + 1, bt->length[i]);
        } else {
            sb_lit(&b, ", return_tensors=\"pt\")\n    with torch.no_grad():\n"
                       "        outputs = model(**inputs)\n");
            sb_printf(&b, "    print(outputs.%s.shape)\n", out);
            for (int i = 0; i < bt->B; i++) {
                sb_printf(&b, "# %s %d: ", s->overflow ? "row" : "sentence", i + 1);
                shape(&b, s, 1, bt->length[i]);
                sb_lit(&b, "\n");
            }
        }
        char *r = b.oom ? NULL : b.s;
        if (!r)
            free(b.s);
        return r;
    }
    if (mixed) {
        sb_lit(&b, "# pairs and single sentences cannot share one tokenizer call: encode each\n"
                   "# row, then pad them together\n"
                   "rows = [tokenizer(a, b");
        call_args(&b, s, 0);
        sb_lit(&b, ") for a, b in zip(texts, pairs)]\nbatch = tokenizer.pad(rows");
        if (s->padding == BS_PAD_LONGEST)
            sb_lit(&b, ", padding=True");
        else if (s->padding == BS_PAD_MAX_LENGTH)
            sb_printf(&b, ", padding=\"max_length\", max_length=%d", s->max_length);
        sb_lit(&b, ", return_tensors=\"pt\")\n");
    } else {
        sb_printf(&b, "batch = tokenizer(texts%s", n_pairs ? ", text_pair=pairs" : "");
        call_args(&b, s, 1);
        sb_lit(&b, ", return_tensors=\"pt\")\n");
    }
    sb_printf(&b, "print(batch[\"input_ids\"].shape)  # torch.Size([%d, %d])\n", bt->B, bt->T);
    if (!nomodel && s->head == BS_HEAD_MC) {
        mc_code(&b, s);
        nomodel = 1; /* done: the generic outputs and filter below are not this head's */
    }
    if (s->cfg && !s->cfg->family->token_type_ids) /* model_input_names (family.h) */
        sb_printf(&b, "print(list(batch.keys()))  # ['input_ids', 'attention_mask']: %s "
                      "takes no token_type_ids\n", s->cfg->family->name);
    if (nomodel) {
        char *r = b.oom ? NULL : b.s;
        if (!r)
            free(b.s);
        return r;
    }
    if (s->overflow) { /* not an input of the model: forward() would refuse it */
        sb_lit(&b, "sample = batch.pop(\"overflow_to_sample_mapping\")  # row -> sentence: [");
        for (int i = 0; i < bt->B && i < 16; i++)
            sb_printf(&b, "%s%d", i ? ", " : "", bt->overflow_to_sample_mapping[i]);
        sb_printf(&b, "%s", bt->B > 16 ? ", ...]\n" : "]\n");
    }
    sb_lit(&b, "\nwith torch.no_grad():\n    outputs = model(**batch)\n");
    sb_printf(&b, "print(outputs.%s.shape)  # ", out);
    shape(&b, s, bt->B, bt->T);
    sb_lit(&b, "\n");
    if (s->head == BS_HEAD_PRETRAINING) /* BertForPreTrainingOutput's second output */
        sb_printf(&b, "print(outputs.seq_relationship_logits.shape)  # torch.Size([%d, 2])\n",
                  bt->B);
    if (s->head == BS_HEAD_QA)
        qa_answers_code(&b, s, n_pairs);
    if (s->head == BS_HEAD_DISC)
        disc_code(&b, bt);

    if (bs_head_masked_lm(s->head)) {
        /* A masked LM is read where the input says [MASK] (written in the text). */
        const char *mask = special(s, bs_tokenizer_mask_id, "[MASK]");
        int n_mask = 0;
        for (size_t i = 0; i < (size_t)bt->B * (size_t)bt->T; i++)
            n_mask += (bt->tokens[i].flags & BS_TOK_SPECIAL) && bt->tokens[i].piece &&
                      strcmp(bt->tokens[i].piece, mask) == 0;
        sb_printf(&b, "\n# A masked LM is read at the %s positions:\n"
                      "masked = outputs.%s[batch[\"input_ids\"] == tokenizer.mask_token_id]",
                  mask, out);
        sb_printf(&b, "  # torch.Size([%d, %d])\n", n_mask, out_dim(s));
        sb_lit(&b, "print(tokenizer.convert_ids_to_tokens(masked.argmax(dim=-1).tolist()))\n");
        /* the words the predictions panel shows: fill-mask's token_str */
        sb_lit(&b, "print([tokenizer.decode([i]) for i in masked.argmax(dim=-1).tolist()])"
                   "  # token_str\n");
    } else if (s->head == BS_HEAD_TOK) {
        int real = 0;
        for (int i = 0; i < bt->B; i++)
            real += bt->length[i];
        sb_printf(&b, "\n# Per-word predictions, as Hugging Face's token-classification recipe "
                      "labels\n# them: the first piece of each word. %s, %s, %s (word_ids() None)\n"
                      "# and the later %spieces of a word are the positions labelled -100\n",
                  special(s, bs_tokenizer_cls_id, "[CLS]"),
                  special(s, bs_tokenizer_sep_id, "[SEP]"),
                  special(s, bs_tokenizer_pad_id, "[PAD]"),
                  s->tok && strcmp(bs_tokenizer_model(s->tok), "WordPiece") ? "" : "## ");
        sb_printf(&b, "%s", s->overflow ? "for i in range(len(batch[\"input_ids\"])):  # rows\n"
                                        : "for i in range(len(texts)):\n");
        sb_lit(&b, "    ids = batch.word_ids(i)\n"
                   "    keep = [t for t, w in enumerate(ids) if w is not None and "
                   "(t == 0 or ids[t - 1] != w)]\n"
                   "    pred = outputs.logits[i, keep].argmax(dim=-1)\n"
                   "    print(pred.shape)\n");
        for (int i = 0; i < bt->B; i++)
            sb_printf(&b, "# %s %d: torch.Size([%d])\n", s->overflow ? "row" : "sentence",
                      i + 1, word_tokens(bt, i));
        sb_lit(&b, "# or every real position at once (specials included), flattened:\n");
        sb_printf(&b, "real = outputs.logits[batch[\"attention_mask\"].bool()]  "
                      "# torch.Size([%d, %d])\n",
                  real, out_dim(s));
    }
    if (s->head == BS_HEAD_SEQ)
        seq_right_way(&b, s, bt->B);
    if (s->sbert)
        sbert_code(&b, s, bt);
    if (s->head == BS_HEAD_NSP || s->head == BS_HEAD_PRETRAINING)
        sb_printf(&b, "\n# Index 0 says B follows A (isNext), 1 that B is a random sentence "
                      "(notNext)\npred = outputs.%s.softmax(dim=-1)  # torch.Size([%d, 2])\n"
                      "print([\"isNext\" if p[0] >= p[1] else \"notNext\" for p in pred])\n",
                  s->head == BS_HEAD_NSP ? "logits" : "seq_relationship_logits", bt->B);
    int k = py_full_rows(bt);
    if (k != bt->B) {
        sb_lit(&b, "\n# Not this (the seed article's filter): .all(dim=1) keeps only the sentences\n"
                   "# with no padding at all, it does not drop pad positions\n");
        sb_printf(&b, "wrong = outputs.%s[batch[\"attention_mask\"].bool().all(dim=1)]  # ", out);
        shape(&b, s, k, bt->T);
        sb_lit(&b, "\n# dropped: sentence");
        int first = 1;
        int dropped = bt->B - k;
        if (dropped > 1)
            sb_lit(&b, "s");
        for (int i = 0; i < bt->B; i++) {
            int full = 1;
            for (int t = 0; t < bt->T; t++)
                full &= bt->attention_mask[(size_t)i * (size_t)bt->T + (size_t)t] != 0;
            if (!full) {
                sb_printf(&b, "%s%d", first ? " " : ", ", i + 1);
                first = 0;
            }
        }
        sb_printf(&b, " (padded), so %d of %d rows %s left\n", k, bt->B, k == 1 ? "is" : "are");
    }
    char *r = b.oom ? NULL : b.s;
    if (!r)
        free(b.s);
    return r;
}

/* The mark of code left below the panel (rest: what was not drawn), at the right end
 * of the title line, so the end of the code (the filter, the right way) is known to be
 * there. */
static void py_more_mark(app_grid *g, int x, int y, int xm, const char *rest)
{
    if (!*rest)
        return;
    int lines = 1;
    for (const char *q = rest; *q; q++)
        lines += *q == '\n' && q[1];
    char buf[64];
    int n = snprintf(buf, sizeof buf, " %d more line%s: PgDn ↓ ", lines, lines > 1 ? "s" : "");
    int tw = grid_text_width(buf, (size_t)n);
    grid_puts(g, xm - tw > x ? xm - tw : x, y, xm, buf, ST_BOLD);
}

void py_draw(app_grid *g, int x, int y, int w, int h, const char *text, int scroll)
{
    if (w <= 0 || h <= 0)
        return;
    int xm = x + w, ym = y + h, row = y;
    grid_puts(g, x, row++, xm, "Python  (transformers code for this screen; scroll with PgUp/PgDn)",
              ST_TITLE);
    const char *p = text ? text : "";
    for (int line = 0; *p && row < ym; line++) {
        const char *e = strchr(p, '\n');
        size_t n = e ? (size_t)(e - p) : strlen(p);
        if (line >= scroll) {
            size_t k = strspn(p, " ");
            int st = k < n && p[k] == '#' ? ST_DIM : ST_NORMAL;
            /* A line wider than the panel goes on below after a dim "» ", so nothing of
             * the code is hidden. */
            size_t i = 0;
            int first = 1;
            while (row < ym && (first || i < n)) {
                int c = x;
                if (!first)
                    c = grid_puts(g, c, row, xm, "» ", ST_DIM);
                size_t j = grid_wrap_end(p, n, i, xm - c, 0);
                if (j == i && i < n) { /* one character wider than the panel: cut */
                    uint32_t cp;
                    j = bs_utf8_next(p, n, i, &cp);
                }
                grid_put(g, c, row++, xm, p + i, j - i, st);
                if (j == i)
                    break; /* the panel is narrower than one character */
                i = j;
                first = 0;
            }
        }
        p = e ? e + 1 : p + n;
    }
    py_more_mark(g, x, y, xm, p);
}
