/*
 * family.c - the table of encoder families (see bertscope/family.h).
 *
 * Read from Hugging Face's modeling_bert.py, modeling_distilbert.py,
 * modeling_roberta.py (which modeling_xlm_roberta.py and modeling_camembert.py copy),
 * modeling_electra.py, modeling_albert.py and their configuration_*.py and
 * tokenization_*.py: each row is what one model_type's classes and tokenizer do
 * differently; each architecture's tensor names and heads are below it, once.
 */
#include "bertscope/family.h"

#include "bertscope/tokenizer.h"

#include <stdio.h>
#include <string.h>

static const bs_family families[] = {
    /* model_type, name, classes, tokenizer, arch, prefix, types in, type emb,
     * positions, wordpiece, pooler, nsp */
    {"bert", "BERT", "Bert", "BertTokenizerFast", BS_ARCH_BERT, "bert.", 1, 1, BS_POS_ARANGE,
     1, 1, 1},
    {"distilbert", "DistilBERT", "DistilBert", "DistilBertTokenizerFast", BS_ARCH_DISTILBERT,
     "distilbert.", 0, 0, BS_POS_ARANGE, 1, 0, 0},
    {"roberta", "RoBERTa", "Roberta", "RobertaTokenizerFast", BS_ARCH_ROBERTA, "roberta.", 0,
     1, BS_POS_FROM_PADDING, 0, 1, 0},
    /* XLMRobertaModel and CamembertModel keep RobertaModel's prefix "roberta." */
    {"xlm-roberta", "XLM-RoBERTa", "XLMRoberta", "XLMRobertaTokenizerFast", BS_ARCH_ROBERTA,
     "roberta.", 0, 1, BS_POS_FROM_PADDING, 0, 1, 0},
    {"camembert", "CamemBERT", "Camembert", "CamembertTokenizerFast", BS_ARCH_ROBERTA,
     "roberta.", 0, 1, BS_POS_FROM_PADDING, 0, 1, 0},
    /* ElectraTokenizer is BertTokenizer: WordPiece, token_type_ids */
    {"electra", "ELECTRA", "Electra", "ElectraTokenizerFast", BS_ARCH_ELECTRA, "electra.", 1, 1,
     BS_POS_ARANGE, 1, 0, 0},
    /* AlbertTokenizer: sentencepiece Unigram, with token_type_ids; sentence-order
     * prediction, not next-sentence */
    {"albert", "ALBERT", "Albert", "AlbertTokenizerFast", BS_ARCH_ALBERT, "albert.", 1, 1,
     BS_POS_ARANGE, 0, 1, 0},
};
#define N_FAMILIES (int)(sizeof families / sizeof families[0])

const bs_family *bs_family_find(const char *model_type)
{
    for (int i = 0; i < N_FAMILIES; i++)
        if (!strcmp(model_type, families[i].model_type))
            return &families[i];
    return NULL;
}

/* transformers' model types (CONFIG_MAPPING_NAMES) whose names contain one of the
 * families' and would be matched before it: without them ".../deberta-v3-base" would read
 * as BERT. A model type whose name holds none of ours (longformer, say) is not listed:
 * a path naming it beside one of ours is read as ours here, as that other model by
 * transformers when its name is the longer. */
static const char *const other_types[] = {
    "bert-generation", "convbert",  "deberta",     "deberta-v2",           "flaubert",
    "hubert",          "ibert",     "megatron-bert", "mobilebert",         "modernbert",
    "qdqbert",         "rembert",   "retribert",   "roberta-prelayernorm", "roc_bert",
    "squeezebert",     "visual_bert", "wav2vec2-bert", "xlm-roberta-xl",
};

/* Whether model type `name`, n long, found in the path, goes before the best so far:
 * AutoConfig tries the model types longest first and, within one length, in
 * CONFIG_MAPPING_NAMES' order, which is alphabetical ("deberta" before "electra" and
 * "roberta"). */
static int goes_first(const char *name, size_t n, const char *best, size_t best_len)
{
    return n > best_len || (n == best_len && best && strcmp(name, best) < 0);
}

const bs_family *bs_family_from_path(const char *path, const char **other)
{
    const bs_family *fam = NULL;
    const char *best = NULL;
    size_t best_len = 0;
    *other = NULL;
    for (int i = 0; i < N_FAMILIES; i++) {
        const char *name = families[i].model_type;
        size_t n = strlen(name);
        if (strstr(path, name) && goes_first(name, n, best, best_len)) {
            fam = &families[i];
            best = name;
            best_len = n;
        }
    }
    for (size_t i = 0; i < sizeof other_types / sizeof other_types[0]; i++) {
        const char *name = other_types[i];
        size_t n = strlen(name);
        if (strstr(path, name) && goes_first(name, n, best, best_len)) {
            fam = NULL;
            *other = name;
            best = name;
            best_len = n;
        }
    }
    return fam;
}

const bs_family *bs_family_at(int i)
{
    return i >= 0 && i < N_FAMILIES ? &families[i] : NULL;
}

const char *bs_family_list(void)
{
    static char list[128];
    if (!list[0]) {
        size_t k = 0;
        for (int i = 0; i < N_FAMILIES && k < sizeof list; i++)
            k += (size_t)snprintf(list + k, sizeof list - k, "%s%s", i ? ", " : "",
                                  families[i].model_type);
    }
    return list;
}

/* What f's own tokenizer is and the files that hold it, for messages. */
static const char *tokenizer_files(const bs_family *f)
{
    if (f->wordpiece)
        return "a WordPiece vocabulary (vocab.txt, or tokenizer.json)";
    if (!strcmp(f->model_type, "roberta"))
        return "a byte-level BPE (vocab.json + merges.txt, or tokenizer.json)";
    return "a sentencepiece model (sentencepiece.bpe.model or spiece.model, or tokenizer.json)";
}

bs_status bs_family_fallback_vocab(const bs_family *f, const char *path, bs_error *err)
{
    if (!f || f->wordpiece)
        return BS_OK;
    bs_fail(err, BS_ERR_INPUT, "'%s' has no tokenizer, and %s's ids are not "
            "bert-base-uncased's: its %s is %s", path, f->name, f->tokenizer_class,
            tokenizer_files(f));
    bs_hint(err, "copy those files from the checkpoint's Hub folder next to config.json");
    return BS_ERR_INPUT;
}

bs_status bs_family_tokenizer_fits(const bs_family *f, const bs_tokenizer *tok,
                                   const char *path, bs_error *err)
{
    const char *model = bs_tokenizer_model(tok);
    /* a WordPiece vocabulary numbers its pieces as BERT's do: run on a BPE or sentencepiece
     * family's embeddings, every id would name another piece. Which BPE or Unigram goes
     * with which model only the checkpoint knows (CamemBERT's sentencepiece, a RoBERTa
     * with its own), so those are not second-guessed. */
    if (!f || f->wordpiece || strcmp(model, "WordPiece"))
        return BS_OK;
    bs_fail(err, BS_ERR_INPUT, "'%s' holds a WordPiece vocabulary, but %s's %s is %s: "
            "those files are missing", path, f->name, f->tokenizer_class, tokenizer_files(f));
    bs_hint(err, "copy them from the checkpoint's Hub folder next to config.json");
    return BS_ERR_INPUT;
}

const char *bs_family_class(const bs_family *f, const char *suffix, char *buf, size_t size)
{
    snprintf(buf, size, "%s%s", f ? f->class_prefix : "Bert", suffix);
    return buf;
}

/* BertModel's tensor names (bs_bert_tensor) as DistilBERT's Transformer names them
 * (modeling_distilbert.py: Embeddings, MultiHeadSelfAttention, FFN, TransformerBlock)
 * and ALBERT's (modeling_albert.py: AlbertAttention, AlbertLayer, a Linear pooler);
 * NULL: absent. RoBERTa's and ELECTRA's are BERT's. */
static const struct {
    const char *bert, *distilbert, *albert;
} renames[] = {
    {"embeddings.token_type_embeddings", NULL, "embeddings.token_type_embeddings"},
    {"attention.self.query", "attention.q_lin", "attention.query"},
    {"attention.self.key", "attention.k_lin", "attention.key"},
    {"attention.self.value", "attention.v_lin", "attention.value"},
    {"attention.output.dense", "attention.out_lin", "attention.dense"},
    {"attention.output.LayerNorm", "sa_layer_norm", "attention.LayerNorm"},
    {"intermediate.dense", "ffn.lin1", "ffn"},
    {"output.dense", "ffn.lin2", "ffn_output"},
    {"output.LayerNorm", "output_layer_norm", "full_layer_layer_norm"},
    {"pooler.dense", NULL, "pooler"},
};

const char *bs_family_tensor(const bs_family *f, const char *bert_name)
{
    if (!f || (f->arch != BS_ARCH_DISTILBERT && f->arch != BS_ARCH_ALBERT))
        return bert_name;
    for (size_t i = 0; i < sizeof renames / sizeof renames[0]; i++)
        if (!strcmp(bert_name, renames[i].bert))
            return f->arch == BS_ARCH_ALBERT ? renames[i].albert : renames[i].distilbert;
    return bert_name; /* the embeddings and their LayerNorm keep BERT's names */
}

int bs_family_layer_name(const bs_family *f, int layer, const char *name, char *buf,
                         size_t size)
{
    if (f && f->arch == BS_ARCH_ALBERT)
        return snprintf(buf, size, "encoder.albert_layer_groups.%d.albert_layers.0.%s", layer,
                        name);
    const char *stack = f && f->arch == BS_ARCH_DISTILBERT ? "transformer" : "encoder";
    return snprintf(buf, size, "%s.layer.%d.%s", stack, layer, name);
}

static const bs_family_heads heads[] = {
    [BS_ARCH_BERT] = {NULL, BS_POOL_TANH, "classifier", "cls.predictions.transform.dense",
                      "cls.predictions.transform.LayerNorm", "cls.predictions.decoder",
                      "cls.predictions.bias", "cls.predictions.decoder.bias", 0},
    /* DistilBertForSequenceClassification: classifier(ReLU(pre_classifier(h[:, 0])));
     * DistilBertForMaskedLM: vocab_projector(vocab_layer_norm(act(vocab_transform(h)))) */
    [BS_ARCH_DISTILBERT] = {"pre_classifier", BS_POOL_RELU, "classifier", "vocab_transform",
                            "vocab_layer_norm", "vocab_projector", "vocab_projector.bias", NULL,
                            0},
    /* RobertaClassificationHead: out_proj(tanh(dense(h[:, 0]))); RobertaLMHead:
     * decoder(layer_norm(gelu(dense(h)))) + bias, gelu whatever hidden_act says */
    [BS_ARCH_ROBERTA] = {"classifier.dense", BS_POOL_TANH, "classifier.out_proj",
                         "lm_head.dense", "lm_head.layer_norm", "lm_head.decoder",
                         "lm_head.bias", "lm_head.decoder.bias", 1},
    /* ElectraClassificationHead: out_proj(gelu(dense(h[:, 0]))); the generator
     * (ElectraForMaskedLM): generator_lm_head(LayerNorm(gelu(dense(h)))), dense H -> E
     * and the head tied to the (V, E) word embeddings; the discriminator
     * (ElectraForPreTraining): dense_prediction(act(dense(h))).squeeze(-1), act the
     * config's hidden_act */
    [BS_ARCH_ELECTRA] = {"classifier.dense", BS_POOL_GELU, "classifier.out_proj",
                         "generator_predictions.dense", "generator_predictions.LayerNorm",
                         "generator_lm_head", "generator_lm_head.bias", NULL, 1,
                         "embeddings_project", 0, "discriminator_predictions.dense",
                         "discriminator_predictions.dense_prediction"},
    /* AlbertForSequenceClassification: classifier(pooler) as BERT's; AlbertMLMHead:
     * decoder(LayerNorm_E(act(dense_H->E(h)))) + bias, act the config's hidden_act */
    [BS_ARCH_ALBERT] = {NULL, BS_POOL_TANH, "classifier", "predictions.dense",
                        "predictions.LayerNorm", "predictions.decoder", "predictions.bias",
                        "predictions.decoder.bias", 0, "encoder.embedding_hidden_mapping_in",
                        1},
};

const bs_family_heads *bs_family_heads_of(const bs_family *f)
{
    return &heads[f ? f->arch : BS_ARCH_BERT];
}
