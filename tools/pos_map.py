#!/usr/bin/env python3
"""Brown corpus tags -> the 12 universal POS tags (Petrov, Das & McDonald 2011).

This reproduces NLTK's `taggers/universal_tagset/en-brown.map` (the table behind
`nltk.corpus.brown.tagged_words(tagset="universal")`) as rules plus two small tables,
so that no data file has to be shipped:

  1. A tag is compared upper-cased (NLTK's str2tuple upper-cases Brown's tags).
  2. "FW-..." (foreign word) is always X, whatever follows.
  3. The trailing modifiers -HL (headline), -TL (title) and -NC (cited word) are dropped,
     repeatedly ("NN-TL-HL" -> "NN"); "---HL" is the dash "--" in a headline.
  4. A compound written with "+" (a contraction or fused form) is looked up whole in
     COMPOUND.  NLTK does NOT take the first part for these: pronoun/noun/wh-word + verb
     contractions ("PPSS+MD" I'll, "NN+BEZ" man's, "WDT+BEZ" what's) are PRT, verb-led
     fusions ("VB+PPO" lemme, "MD+HV") are VERB, "DO+PPSS" (d'you) is X.  A compound not in
     the table falls back to its first part, which is what NLTK's table does for every
     non-contraction pair ("IN+IN", "JJ+JJ", "NN+NN").
  5. "*" after a verb tag marks negation ("BEDZ*" wasn't) and is dropped; "*" alone
     (not, n't) is ADV.
  6. Anything still unknown is X, as NLTK's map_tag returns 'X' for unknown tags.

`tools/train_brown.py --check-pos-map REF` compares this against a "TAG<TAB>UNIV" file.
"""

UNIVERSAL = ("ADJ", "ADP", "ADV", "CONJ", "DET", "NOUN", "NUM", "PRON", "PRT", "VERB",
             "X", ".")

# Simple tags (after rules 1-3 and 5).  Possessives ($) are listed one by one because the
# map is not uniform about them: NP$ is NOUN, PP$ is DET, AP$/JJ$/RB$ are PRT.
BASE = {
    # punctuation
    ".": ".", ",": ".", ":": ".", "(": ".", ")": ".", "--": ".", "``": ".", "''": ".",
    "'": ".",
    # determiners, quantifiers, articles
    "AT": "DET", "ABX": "DET", "DT": "DET", "DTI": "DET", "DTS": "DET", "DTX": "DET",
    "DT$": "DET", "WDT": "DET", "PP$": "DET", "WP$": "DET",
    "ABL": "PRT", "ABN": "PRT", "AP": "ADJ", "AP$": "PRT",
    # nouns
    "NN": "NOUN", "NNS": "NOUN", "NN$": "NOUN", "NNS$": "NOUN", "NP": "NOUN",
    "NPS": "NOUN", "NP$": "NOUN", "NPS$": "NOUN", "NR": "NOUN", "NRS": "NOUN",
    "NR$": "NOUN", "PN": "NOUN", "PN$": "NOUN", "CD$": "NOUN",
    # pronouns
    "PPS": "PRON", "PPSS": "PRON", "PPO": "PRON", "PPL": "PRON", "PPLS": "PRON",
    "PP$$": "PRON", "WPS": "PRON", "WPO": "PRON",
    # verbs: lexical, be, do, have, modals
    "VB": "VERB", "VBD": "VERB", "VBG": "VERB", "VBN": "VERB", "VBZ": "VERB",
    "BE": "VERB", "BED": "VERB", "BEDZ": "VERB", "BEG": "VERB", "BEM": "VERB",
    "BEN": "VERB", "BER": "VERB", "BEZ": "VERB",
    "DO": "VERB", "DOD": "VERB", "DOZ": "VERB",
    "HV": "VERB", "HVD": "VERB", "HVG": "VERB", "HVN": "VERB", "HVZ": "VERB",
    "MD": "VERB",
    # adjectives, numbers
    "JJ": "ADJ", "JJR": "ADJ", "JJS": "ADJ", "JJT": "ADJ", "OD": "ADJ", "JJ$": "PRT",
    "CD": "NUM",
    # adverbs and qualifiers
    "RB": "ADV", "RBR": "ADV", "RBT": "ADV", "RN": "ADV", "QL": "ADV", "QLP": "ADV",
    "WQL": "ADV", "WRB": "ADV", "*": "ADV", "RB$": "PRT",
    # function words
    "IN": "ADP", "CS": "ADP", "CC": "CONJ", "TO": "PRT", "RP": "PRT", "UH": "PRT",
    "EX": "PRT",
    "NIL": "X",
}

# Compounds whose universal tag is not their first part's (rule 4).  Pronoun/noun/wh +
# verb contractions are PRT in NLTK's map
# (_CONTRACTION_HEADS); the few fused forms led by the same heads that are not
# contractions ("NN+NN", "RB+CS" so as) keep their head's tag and are listed here.
COMPOUND = {
    "DO+PPSS": "X", "WDT+BER+PP": "X", "WDT+DO+PPS": "X",
    "RP+IN": "PRT", "TO+VB": "PRT", "WRB+IN": "PRT",
    "JJR+CS": "ADJ", "AP+AP": "ADJ",
    "RB+CS": "ADV", "NN+NN": "NOUN", "NN+IN": "NOUN",
}
_CONTRACTION_HEADS = {"NN", "NNS", "NP", "NR", "PN", "PPS", "PPSS", "EX", "DT", "DTS",
                      "WDT", "WPS", "WRB", "RB"}


def _strip_modifiers(tag):
    while True:
        for suffix in ("-HL", "-TL", "-NC"):
            if tag.endswith(suffix) and len(tag) > len(suffix):
                tag = tag[: -len(suffix)]
                break
        else:
            return tag


def _simple(tag):
    if tag in BASE:
        return BASE[tag]
    if len(tag) > 1 and tag.endswith("*") and tag[:-1] in BASE:
        return BASE[tag[:-1]]
    return None


def brown_to_universal(tag):
    """Universal tag (one of UNIVERSAL) for one Brown tag such as 'nn-tl' or 'ppss+md'."""
    t = tag.upper()
    if t.startswith("FW-"):
        return "X"
    t = _strip_modifiers(t)
    if "+" in t:
        if t in COMPOUND:
            return COMPOUND[t]
        head = t.split("+")[0]
        if head in _CONTRACTION_HEADS:
            return "PRT"
        u = _simple(head)
        return u if u is not None else "X"
    u = _simple(t)
    return u if u is not None else "X"


def check_against(path):
    """Compare with a reference map file ("TAG<TAB>UNIV" lines); returns the mismatches."""
    bad = []
    with open(path, encoding="utf-8") as f:
        for line in f:
            line = line.strip()
            if not line:
                continue
            fine, coarse = line.split("\t")
            got = brown_to_universal(fine)
            if got != coarse.upper():
                bad.append((fine, coarse, got))
    return bad
