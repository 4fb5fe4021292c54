/*
 * tokenizer.h - Hugging Face BertTokenizer(Fast) in C: normalisation, pre-tokenisation,
 * WordPiece, special tokens, pairs, truncation and padding, with offsets and a trace.
 *
 *     bs_tokenizer *tok;
 *     bs_error err = {0};
 *     if (bs_tokenizer_load(&tok, "weights/brown-pos", &err) != BS_OK) ...
 *     bs_text texts[2] = {{"This is a positive sentence.", 28, NULL, 0}, ...};
 *     bs_encode_options opt = bs_encode_defaults(tok);   // padding longest, right
 *     bs_batch batch = {0};
 *     bs_encode_batch(tok, texts, 2, &opt, &batch, &err);
 *     ... batch.input_ids[b * batch.T + t] ...
 *     bs_batch_free(&batch);
 *     bs_tokenizer_free(tok);
 *
 * Semantics follow docs/hf-semantics.md (T1-T11) and Hugging Face's `tokenizers` crate
 * (BertNormalizer, BertPreTokenizer, WordPiece, TemplateProcessing). A tokenizer is
 * immutable after loading and may be shared between threads. The character classes are
 * the crate's own (src/engine/tokenizer_tables.c, extracted from it), and
 * tests/fixtures/tokenizer/reference.json pins ids, type ids, masks and offsets to it;
 * added.json the added tokens, options.json the options below, hf_tests.json Hugging
 * Face's own tokenizer tests.
 * Added tokens (tokenizer/added_vocabulary.rs) come from tokenizer.json "added_tokens",
 * tokenizer_config.json "added_tokens_decoder" (or added_tokens.json),
 * "additional_special_tokens" and BERT's five specials ([PAD] [UNK] [CLS] [SEP] [MASK]) that
 * the vocab holds, with their lstrip / rstrip / single_word / normalized flags; each one
 * written in the text is one token (BS_TOK_ADDED, and BS_TOK_SPECIAL when special).
 * A tokenizer.json whose model is BPE or Unigram (RoBERTa, XLM-R, ALBERT, CamemBERT), or
 * a folder with only their slow files (vocab.json + merges.txt, a sentencepiece .model),
 * goes through the same API with that tokenizer.json's pipeline (docs/hf-semantics.md,
 * T13); bpe.json, unigram.json and spm.json pin it to the crate.
 */
#ifndef BERTSCOPE_TOKENIZER_H
#define BERTSCOPE_TOKENIZER_H

#include <stddef.h>
#include <stdint.h>

#include "bertscope/error.h"

typedef struct bs_tokenizer bs_tokenizer;

typedef enum { BS_TRUNC_NONE = 0, BS_TRUNC_LONGEST_FIRST, BS_TRUNC_ONLY_FIRST, BS_TRUNC_ONLY_SECOND } bs_truncation;
typedef enum { BS_PAD_NONE = 0, BS_PAD_LONGEST, BS_PAD_MAX_LENGTH } bs_padding;
typedef enum { BS_SIDE_RIGHT = 0, BS_SIDE_LEFT } bs_side;

/* Where a setting's value came from. */
typedef enum {
    BS_FROM_DEFAULT = 0,
    BS_FROM_TOKENIZER_CONFIG, /* tokenizer_config.json */
    BS_FROM_TOKENIZER_JSON,   /* tokenizer.json (wins over tokenizer_config.json) */
    BS_FROM_CALLER            /* set by the caller (options, command line) */
} bs_source;

const char *bs_source_name(bs_source s); /* "default", "tokenizer_config.json", ... */

typedef struct bs_tokenizer_settings {
    int do_lower_case;          /* default 1 */
    int strip_accents;          /* -1 = follow do_lower_case (HF's None) */
    int tokenize_chinese_chars; /* default 1 */
    int clean_text;             /* default 1 */
    int model_max_length;       /* from tokenizer_config.json; 0 when unknown */
    /* Baked-in defaults from tokenizer.json ("truncation"/"padding" objects); 0 = none. */
    int json_max_length;
    bs_source src_lower_case, src_strip_accents, src_chinese, src_clean, src_max_length;
    /* model_max_length was Hugging Face's "no limit" placeholder (e.g. 1e30): kept as 0. */
    int max_length_unlimited;
    /* tokenizer.json's baked-in "truncation"/"padding" (recorded; HF's __call__ replaces
     * them by its own arguments, except the padding side, which becomes the default). */
    bs_truncation json_truncation;
    bs_padding json_padding;    /* BatchLongest -> longest, Fixed -> max_length */
    int json_pad_length;        /* the Fixed length, 0 otherwise */
    bs_side padding_side;       /* default padding side: right unless tokenizer.json says */
    bs_source src_padding_side;
} bs_tokenizer_settings;

/* Loads dir/vocab.txt, dir/tokenizer_config.json and dir/tokenizer.json when present, and
 * the added tokens (special_tokens_map.json, added_tokens.json: see the file comment).
 * Warnings (cased vocab with lower-casing on, ...) are kept on the tokenizer.
 * Precedence, as BertTokenizerFast.__init__ does it: tokenizer.json's BertNormalizer flags
 * are the base, then do_lower_case / strip_accents / tokenize_chinese_chars from
 * tokenizer_config.json (or their __init__ defaults true / None / true when absent)
 * replace them wherever they differ; clean_text comes only from tokenizer.json. The
 * vocab comes from tokenizer.json's WordPiece "vocab" when there is one (as
 * BertTokenizerFast loads it), else from vocab.txt. Added tokens missing from the vocab
 * get the ids after it, in the order they are added, whatever id a file states (a
 * differing one is a warning), as the Rust crate assigns them. */
bs_status bs_tokenizer_load(bs_tokenizer **out, const char *dir, bs_error *err);

/* Builds a tokenizer from vocab.txt bytes (one piece a line, line number = id) and
 * settings; settings may be NULL for the defaults. For tests and fuzzing. */
bs_status bs_tokenizer_from_vocab(bs_tokenizer **out, const char *vocab, size_t len,
                                  const bs_tokenizer_settings *settings, bs_error *err);

void bs_tokenizer_free(bs_tokenizer *tok);

/* For a BPE/Unigram tokenizer, do_lower_case and strip_accents say whether its
 * tokenizer.json normalizer has a Lowercase / StripAccents step; the other flags are 0. */
const bs_tokenizer_settings *bs_tokenizer_get_settings(const bs_tokenizer *tok);
const bs_warnings *bs_tokenizer_warnings(const bs_tokenizer *tok);
/* The vocab and the added tokens with ids past it: len(tokenizer) in Hugging Face. */
int bs_tokenizer_vocab_size(const bs_tokenizer *tok);
const char *bs_tokenizer_piece(const bs_tokenizer *tok, int id); /* NULL if out of range */
int bs_tokenizer_id(const bs_tokenizer *tok, const char *piece); /* added first; -1 if absent */
/* The model of tokenizer.json: "WordPiece" (also for vocab.txt), "BPE" or "Unigram". */
const char *bs_tokenizer_model(const bs_tokenizer *tok);
/* 1 when the tokenizer returns token_type_ids (transformers' model_input_names): from
 * tokenizer_config.json's "model_input_names", else its tokenizer_class (RoBERTa, XLM-R,
 * CamemBERT, DistilBERT... return none), else whether the pair template types B. The
 * batch's token_type_ids are computed either way (zeros for such a tokenizer). */
int bs_tokenizer_returns_type_ids(const bs_tokenizer *tok);
/* A Unigram model's score (log probability) of piece id, and the score its Viterbi path
 * gives a character no piece covers (the lowest score minus 10); NAN for other models and
 * for ids past the model's vocab. */
double bs_tokenizer_score(const bs_tokenizer *tok, int id);
double bs_tokenizer_unk_score(const bs_tokenizer *tok);
/* Special ids: for WordPiece looked up in the vocab ([PAD], [UNK], [CLS], [SEP], [MASK]);
 * for BPE/Unigram the tokens tokenizer_config.json / special_tokens_map.json name
 * (pad_token, unk_token, cls_token, sep_token, mask_token), else the template's first and
 * last special, <pad>/<unk>/<mask> or their [BRACKET] forms; -1 if absent. */
int bs_tokenizer_pad_id(const bs_tokenizer *tok);
int bs_tokenizer_unk_id(const bs_tokenizer *tok);
int bs_tokenizer_cls_id(const bs_tokenizer *tok);
int bs_tokenizer_sep_id(const bs_tokenizer *tok);
int bs_tokenizer_mask_id(const bs_tokenizer *tok);

const char *bs_truncation_name(bs_truncation t); /* "none", "longest_first", ... */
const char *bs_padding_name(bs_padding p);       /* "none", "longest", "max_length" */
const char *bs_side_name(bs_side s);             /* "right", "left" */

/* The largest max_length a caller may ask for: as many positions as the largest
 * max_position_embeddings a config.json may declare (config.c), so no model the engine
 * loads is ever cut short by it, while a padded batch stays far below the tokenizer's
 * size limit. */
#define BS_MAX_LENGTH_MAX 65536
/* bs_encode_options.max_length when the caller gives none (HF's max_length=None). */
#define BS_MAX_LENGTH_UNSET (-1)

/* Option values from text, as every subcommand and the interface read them. Each
 * accepts its name (above) and Hugging Face's other spellings of the same value:
 * truncation: longest_first, only_first, only_second, none; also true (= longest_first),
 *             false and do_not_truncate (= none);
 * padding:    longest, max_length, none; also true (= longest), false and do_not_pad;
 * side:       right, left;
 * max_length: a decimal number from 0 to BS_MAX_LENGTH_MAX (digits only); 0 is a
 *             length like any other (HF's max_length=0), not "unset".
 * On anything else they leave *out alone and fail with BS_ERR_INPUT, naming the value
 * and the valid ones ("unknown padding 'x' (expected longest, max_length or none)"). */
bs_status bs_truncation_parse(const char *s, bs_truncation *out, bs_error *err);
bs_status bs_padding_parse(const char *s, bs_padding *out, bs_error *err);
bs_status bs_side_parse(const char *s, bs_side *out, bs_error *err);
bs_status bs_max_length_parse(const char *s, int *out, bs_error *err);
/* truncation side: right or left ("unknown truncation side 'x' (expected right or left)") */
bs_status bs_truncation_side_parse(const char *s, bs_side *out, bs_error *err);
/* pad_to_multiple_of: a decimal number from 1 to BS_MAX_LENGTH_MAX */
bs_status bs_pad_multiple_parse(const char *s, int *out, bs_error *err);
/* stride: a decimal number from 0 to BS_MAX_LENGTH_MAX */
bs_status bs_stride_parse(const char *s, int *out, bs_error *err);

typedef struct bs_encode_options {
    /* used by truncation and BS_PAD_MAX_LENGTH; BS_MAX_LENGTH_UNSET = not given, then
     * model_max_length when the tokenizer has one (0 and up are lengths as given) */
    int max_length;
    bs_truncation truncation;
    /* 1: the caller passed no truncation at all (HF's truncation=None), so that, as in
     * transformers, a max_length given without padding truncates longest_first, with
     * Hugging Face's warning. 0 (the default): truncation is exactly as set. */
    int truncation_unset;
    bs_padding padding;
    bs_side padding_side;
    /* which end truncation cuts: right (default) keeps the start, left keeps the end
     * (HF's truncation_side; the crate's TruncationDirection) */
    bs_side truncation_side;
    /* padding rounds the padded length up to a multiple of this (0 = off); with
     * truncation and padding both on, max_length must be a multiple of it (HF's error) */
    int pad_to_multiple_of;
    /* return_overflowing_tokens: what truncation cuts becomes rows of its own, each
     * overlapping the one before by stride tokens (Encoding::truncate); for a pair every
     * part of A meets every part of B. Off: the cut tokens are dropped. */
    int return_overflowing_tokens;
    int stride;               /* 0 .. ; must stay below the room truncation leaves */
    int add_special_tokens;   /* default 1 */
} bs_encode_options;

/* Defaults: no truncation, padding longest, right side, special tokens on, max_length
 * unset (model_max_length when truncation or padding to max_length needs one). */
bs_encode_options bs_encode_defaults(const bs_tokenizer *tok);
/* The smaller of model_max_length and max_position_embeddings (pass 0 if unknown);
 * BS_MAX_LENGTH_UNSET when neither is known (model_max_length absent or HF's 1e30). */
int bs_tokenizer_default_max_length(const bs_tokenizer *tok, int max_position_embeddings);

/* One input row: text A and optional text B (b == NULL for a single sequence). Bytes
 * need not be valid UTF-8 (invalid sequences decode to U+FFFD, then are cleaned). */
typedef struct bs_text {
    const char *a;
    size_t a_len;
    const char *b;
    size_t b_len;
    /* is_split_into_words: when a_words is set, text A is n_a_words words, the byte spans
     * [a_words[2i], a_words[2i + 1]) of a. Each word is tokenized on its own (normalized,
     * split at punctuation, WordPiece), its pieces take the word's index as word id and
     * offsets within the word, as the fast tokenizer encodes pre-split input. NULL: A is
     * one text. b_words likewise for B. */
    const size_t *a_words;
    int n_a_words;
    const size_t *b_words;
    int n_b_words;
} bs_text;

enum {
    BS_TOK_SPECIAL = 1u << 0,      /* [CLS], [SEP] added by the template, or written in text */
    BS_TOK_CONTINUATION = 1u << 1, /* a ## piece */
    BS_TOK_PAD = 1u << 2,          /* padding */
    BS_TOK_UNK = 1u << 3,          /* [UNK] */
    BS_TOK_TEMPLATE = 1u << 4,     /* added by the template ([CLS]/[SEP]), not in the text */
    BS_TOK_ADDED = 1u << 5         /* an added token written in the text (special or not) */
};

/* Hugging Face's special_tokens_mask of a token: 1 for what the template added ([CLS],
 * [SEP]) and for pads, 0 for text, special tokens written in the text included. Its
 * word_ids() is bs_token.word (None when -1) and its sequence_ids() bs_token.segment. */
#define BS_SPECIAL_TOKENS_MASK(k) (((k)->flags & (BS_TOK_TEMPLATE | BS_TOK_PAD)) != 0)

typedef struct bs_token {
    int32_t id;
    const char *piece;    /* points into the tokenizer's vocab; valid while it lives */
    int32_t char_start;   /* code-point offsets into its segment's original text; */
    int32_t char_end;     /*   (0, 0) for template specials and pads, as HF does */
    int32_t byte_start;   /* byte span into its segment's original bytes */
    int32_t byte_end;
    int32_t word;         /* word index within the segment (an added token in the text is a
                             word), -1 for template specials/pads */
    int8_t segment;       /* 0 = A, 1 = B, -1 = template special or pad */
    uint8_t flags;        /* BS_TOK_* */
    /* byte-level BPE with trim_offsets: the characters (and bytes) cut from the start of
     * the span because they are spaces ('Ġ'); the offsets above are already trimmed */
    uint16_t trim_lead;
    uint8_t trim_lead_bytes;
} bs_token;

/* A padded batch, row-major (B, T); B counts the overflowing rows too. All arrays are
 * owned by the batch and live in two
 * blocks (the (B, T) arrays, the (B) arrays): release them only with bs_batch_free. */
typedef struct bs_batch {
    int B, T;
    int32_t *input_ids;      /* (B, T) */
    int32_t *attention_mask; /* (B, T) 1 = real token, 0 = pad */
    int32_t *token_type_ids; /* (B, T) */
    bs_token *tokens;        /* (B, T) per-position detail */
    int *length;             /* (B) tokens before padding */
    int *truncated;          /* (B) tokens removed by truncation (all segments) */
    int *overflow_a;         /* (B) tokens removed from A */
    int *overflow_b;         /* (B) tokens removed from B */
    int *overflow_to_sample_mapping; /* (B) the input row each row comes from */
    /* the resolved max_length used, BS_MAX_LENGTH_UNSET when neither truncation nor
     * padding to max_length applied */
    int max_length;
    /* Hugging Face's warnings for this call (owned), in its words: a max_length without
     * truncation, truncation or padding to max_length with no length known (then not
     * done), a row longer than model_max_length that is not truncated. */
    bs_warnings warnings;
} bs_batch;

/* Encodes B rows. First the arguments are resolved as transformers'
 * _get_padding_truncation_strategies does (docs/hf-semantics.md, T8): with max_length unset,
 * truncation and padding to max_length use model_max_length, and when the tokenizer has
 * none (absent, or the 1e30 placeholder) they are not done and say so in warnings.
 * Without padding, rows keep their own lengths and T is the longest;
 * positions past a row's length are filled as pads (mask 0) so the arrays stay (B, T):
 * callers that want unpadded rows use length[b]. Returns BS_ERR_INPUT when
 * truncation cannot satisfy max_length (as HF errors), BS_ERR_LIMIT for absurd sizes.
 * As in the Rust crate: longest_first on a pair keeps the shorter text whole when it fits
 * in half of the room, else gives each half (the odd token to the longer, to B on a
 * tie), it does not remove one token at a time; a max_length smaller than the template's
 * specials (2, or 3 for a pair) truncates nothing; padding to a max_length shorter than
 * a row leaves that row as it is (T is then the longest row). */
bs_status bs_encode_batch(const bs_tokenizer *tok, const bs_text *texts, int B,
                          const bs_encode_options *opt, bs_batch *out, bs_error *err);
void bs_batch_free(bs_batch *batch);

/* --- Decode: ids back to text (docs/hf-semantics.md, T14) --------------------------- */

/* bs_tokenizer_decode's clean_up: the tokenizer's own clean_up_tokenization_spaces. */
#define BS_CLEAN_UP_DEFAULT (-1)

/* transformers' tokenizer.decode(ids, skip_special_tokens, clean_up_tokenization_spaces)
 * for a fast tokenizer: the crate's Tokenizer::decode with tokenizer.json's decoder
 * (ByteLevel, WordPiece, Metaspace, Replace, ByteFallback, Fuse, Strip, BPEDecoder,
 * Sequence; a folder without tokenizer.json gets the decoder transformers' converter
 * gives it), then clean_up_tokenization when clean_up is 1 (0: not; BS_CLEAN_UP_DEFAULT:
 * as the tokenizer says). Ids the tokenizer does not know are left out, as the crate
 * does. *out is UTF-8 the caller frees, *out_len bytes long (out_len may be NULL) and
 * NUL-terminated; NULL and 0 on error. The text may itself hold NUL bytes (ByteLevel's
 * token "\u0100" is byte 0), so callers measure it with *out_len, never strlen. */
bs_status bs_tokenizer_decode(const bs_tokenizer *tok, const int32_t *ids, int n,
                              int skip_special_tokens, int clean_up, char **out, size_t *out_len,
                              bs_error *err);
/* clean_up_tokenization_spaces: tokenizer_config.json's value when it has one, else 1 for
 * a WordPiece tokenizer (BertTokenizer's __init__ default) and 0 for the others
 * (PreTrainedTokenizerBase's since transformers 4.45); *src (may be NULL) says which. */
int bs_tokenizer_clean_up_spaces(const bs_tokenizer *tok, bs_source *src);
/* The fill-mask pipeline's strings for predicting id at position pos of a row ids[0..n)
 * (docs/hf-semantics.md, S3): *token_str = decode([id]); *sequence = the row with pos set
 * to id and every pad id removed, decoded with skip_special_tokens when the row holds one
 * mask token (with several, the others and the specials stay). Both owned by the caller,
 * their byte lengths in *token_len and *sequence_len (either may be NULL; the strings may
 * hold NUL bytes, as bs_tokenizer_decode's); NULL and 0 on error. */
bs_status bs_fill_mask_strings(const bs_tokenizer *tok, const int32_t *ids, int n, int pos,
                               int32_t id, char **token_str, size_t *token_len, char **sequence,
                               size_t *sequence_len, bs_error *err);
/* transformers' clean_up_tokenization(s[0..len)): " ." -> "." and the other nine
 * replacements of tokenization_utils_base.py, in its order; *out owned by the caller. */
bs_status bs_clean_up_tokenization(const char *s, size_t len, char **out, bs_error *err);

/* --- Trace: every stage of tokenizing one text, for the interface ------------------ */

typedef struct bs_trace_word {
    char *text;           /* the word after normalisation (UTF-8, owned) */
    int char_start, char_end; /* code-point span in the original text */
    int first_token, n_tokens; /* its pieces in bs_trace.tokens */
    int unk;              /* 1 if the word became [UNK] */
    char *unk_reason;     /* why, e.g. "longer than 100 characters" or
                             "no piece in the vocab matches '##ζ' at character 3" (owned) */
    /* WordPiece steps: at each step, the longest matching piece starting at char start;
     * a failed step (no piece at all) has id -1 and end == start and is the last one.
     * No steps for special tokens and for words over 100 characters. */
    int n_steps;
    struct { int start, end; int id; int left, right; } *steps; /* code-point span within
                                                                   the word (owned) */
    /* BPE: the steps are the merges in the order the model applies them (lowest rank
     * first): the characters [start, end) of the word as the model sees it ("Ġworld")
     * become piece id, joining pieces left and right. WordPiece: left = right = -1. */
    /* Byte-level BPE (a ByteLevel pre-tokenizer): the UTF-8 byte each character of text
     * stands for, in order (text "ĠcafÃ©" is 20 63 61 66 c3 a9: "é" is two bytes, two
     * symbols); owned, n_bytes == the characters of text. NULL (0) for other words. */
    uint8_t *bytes;
    int n_bytes;
} bs_trace_word;

/* For a BPE/Unigram tokenizer (bs_tokenizer_model not "WordPiece") the four stage texts
 * are all the text after tokenizer.json's normalizer, the words are the pre-tokenized
 * words as the model sees them ("Ġworld", "▁world"), a BPE word's steps are its merges
 * and a Unigram word has none. */
typedef struct bs_trace {
    char *cleaned;        /* after dropping controls and mapping whitespace */
    char *cjk_spaced;     /* after spacing CJK ideographs */
    /* The Rust crate strips accents BEFORE lower-casing (normalizers/bert.rs), so
     * accent_stripped is computed from cjk_spaced and lowercased from accent_stripped;
     * lowercased is the final normalized text. */
    char *lowercased;     /* after lower-casing (equal to accent_stripped when off) */
    char *accent_stripped;/* after NFD + drop Mn (equal to cjk_spaced when off) */
    int n_words;
    bs_trace_word *words; /* pre-tokenized words (special tokens in text are words too) */
    int n_tokens;
    bs_token *tokens;     /* the pieces, no template specials */
} bs_trace;

bs_status bs_tokenizer_trace(const bs_tokenizer *tok, const char *text, size_t len,
                             bs_trace *out, bs_error *err);
void bs_trace_free(bs_trace *trace);

#endif
