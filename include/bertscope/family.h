/*
 * family.h - the encoder families bertscope runs: what differs between BERT,
 * DistilBERT, RoBERTa (with XLM-RoBERTa and CamemBERT, the same architecture), ELECTRA
 * and ALBERT, as
 * one table (src/engine/family.c) that the config parser, the loader, the forward pass,
 * `infer`, the interface and the Python pane all read.
 *
 * A family is a model_type of config.json. Its architecture (bs_arch) decides the
 * tensors and the forward pass; the rest (class names, tokenizer class, whether the
 * tokenizer returns token_type_ids) is what a user sees. Everything here is static
 * data: pointers stay valid for the life of the program.
 *
 * When a family is added, it is added to the table in family.c (and, when its forward
 * pass differs, to bert.c where bs_arch is switched on).
 */
#ifndef BERTSCOPE_FAMILY_H
#define BERTSCOPE_FAMILY_H

#include <stddef.h>

#include "bertscope/error.h"

typedef enum {
    BS_ARCH_BERT = 0,   /* modeling_bert.py */
    BS_ARCH_DISTILBERT, /* modeling_distilbert.py: no token types, no pooler */
    BS_ARCH_ROBERTA,    /* modeling_roberta.py (xlm_roberta, camembert copy it) */
    BS_ARCH_ELECTRA,    /* modeling_electra.py: embeddings of embedding_size, projected */
    BS_ARCH_ALBERT,     /* modeling_albert.py: projected embeddings, layers sharing weights */
} bs_arch;

/* The activation after a sequence head's own first layer (bs_family_heads.seq_pool). */
typedef enum { BS_POOL_TANH = 0, BS_POOL_RELU, BS_POOL_GELU } bs_pool_act;

/* How position_ids are made when the caller passes none (Hugging Face's default). */
typedef enum {
    BS_POS_ARANGE = 0,   /* 0 .. T-1 for every row (BERT, DistilBERT) */
    BS_POS_FROM_PADDING, /* create_position_ids_from_input_ids: padding_idx + the count of
                          * non-pad ids up to and including t; padding_idx at pads */
} bs_pos_rule;

typedef struct bs_family {
    const char *model_type;      /* config.json's "model_type": "distilbert" */
    const char *name;            /* for people: "DistilBERT" */
    const char *class_prefix;    /* "DistilBert", as in DistilBertForMaskedLM */
    const char *tokenizer_class; /* AutoTokenizer's fast class: "DistilBertTokenizerFast" */
    bs_arch arch;
    const char *prefix;          /* the base model's prefix in task checkpoints: "distilbert." */
    /* "token_type_ids" is in the tokenizer's model_input_names, so tokenizer(...) returns
     * them and the model is given them. DistilBERT's and RoBERTa's tokenizers return
     * input_ids and attention_mask only. */
    int token_type_ids;
    int type_embeddings;         /* the model has embeddings.token_type_embeddings */
    bs_pos_rule positions;
    int wordpiece;               /* its tokenizer is WordPiece (BERT's), else BPE/Unigram */
    int pooler;                  /* the base model has a pooler (pooler_output) */
    int nsp;                     /* a next-sentence head exists (BertForNextSentencePrediction) */
} bs_family;

/* The family of a model_type ("bert", "distilbert", "roberta", "xlm-roberta",
 * "camembert", "electra", "albert"), or NULL. */
const bs_family *bs_family_find(const char *model_type);
/* AutoConfig.from_pretrained's fallback for a config.json without model_type: the family
 * whose model_type is the longest of those the path (as the user gave it) contains, as
 * transformers tries every model type it knows from the longest down. NULL when none is
 * in it; when a longer model type bertscope does not run is ("deberta" in
 * ".../deberta-v3-base/config.json"), NULL with *other set to it (else *other NULL). */
const bs_family *bs_family_from_path(const char *path, const char **other);
/* Family i of the table (0 is BERT), NULL past the end. */
const bs_family *bs_family_at(int i);
/* The supported model_types, comma separated, for messages: "bert, distilbert, ...". */
const char *bs_family_list(void);
/* BS_OK when a folder of family f without a tokenizer may fall back to
 * bert-base-uncased's WordPiece vocabulary (f's tokenizer is WordPiece); otherwise
 * BS_ERR_INPUT saying why not (those ids would be another vocabulary's) and what f's
 * tokenizer files are. err may be NULL. */
bs_status bs_family_fallback_vocab(const bs_family *f, const char *path, bs_error *err);
/* BS_OK when tok (loaded from path) can be f's tokenizer; BS_ERR_INPUT when it is a
 * WordPiece vocabulary and f's tokenizer is not (a RoBERTa folder with a vocab.txt only),
 * saying which files f's tokenizer needs. f NULL: BS_OK. err may be NULL. */
struct bs_tokenizer;
bs_status bs_family_tokenizer_fits(const bs_family *f, const struct bs_tokenizer *tok,
                                   const char *path, bs_error *err);
/* Hugging Face's class for a head suffix: "DistilBert" + "ForSequenceClassification"
 * into buf; "Model" for the base model. Returns buf. */
const char *bs_family_class(const bs_family *f, const char *suffix, char *buf, size_t size);

/* The name a BertModel tensor (bs_bert_tensor's name, without ".weight"/".bias") has
 * in this family, below the family's prefix, or NULL when the family has no such
 * tensor (DistilBERT's token_type_embeddings, its pooler). Per-layer tensors are
 * named within their layer; bs_family_layer_name puts the layer's path before. */
const char *bs_family_tensor(const bs_family *f, const char *bert_name);
/* "encoder.layer.3." (BERT, RoBERTa) or "transformer.layer.3." (DistilBERT) + name;
 * ALBERT's layer groups "encoder.albert_layer_groups.G.albert_layers.0." (layer is then
 * the group: its layers share one set of weights). */
int bs_family_layer_name(const bs_family *f, int layer, const char *name, char *buf,
                         size_t size);

/* The heads' tensor names (below no prefix) of an architecture. */
typedef struct bs_family_heads {
    /* the sequence head's first layer on the first token, or NULL where it is BERT's
     * pooler: "pre_classifier" (then ReLU), "classifier.dense" (then tanh, or GELU) */
    const char *seq_pool;
    bs_pool_act seq_pool_act;
    const char *seq_classifier;  /* "classifier", "classifier.out_proj" */
    /* "cls.predictions.transform.dense", "vocab_transform", ...: (E, H), E the
     * embedding width (ELECTRA's embedding_size, H elsewhere), then the norm over E and
     * the decoder (V, E) */
    const char *mlm_dense;
    const char *mlm_norm;
    const char *mlm_decoder;     /* its weight, tied to the word embeddings unless stored */
    const char *mlm_bias;        /* the output bias, full tensor name */
    const char *mlm_bias_alt;    /* its tied second spelling, or NULL */
    int mlm_gelu;                /* 1: the transform's activation is always GELU (erf),
                                  * 0: config's hidden_act / activation */
    /* the Linear(E, H) from the embeddings to the encoder, below the prefix:
     * "embeddings_project" (ELECTRA, when E != H), "encoder.embedding_hidden_mapping_in"
     * (ALBERT, always); NULL: none (E is H) */
    const char *project;
    int project_always;
    /* ELECTRA's discriminator (ElectraDiscriminatorPredictions): dense (H, H), the
     * config's hidden_act, then dense_prediction (1, H), one logit per token; NULL: the
     * family has none (--head disc is refused) */
    const char *disc_dense;
    const char *disc_prediction;
} bs_family_heads;
const bs_family_heads *bs_family_heads_of(const bs_family *f);

#endif
