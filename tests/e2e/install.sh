#!/bin/sh
# make install into a temporary prefix (with DESTDIR), run the installed binary away
# from the source tree so it must find its own weights, then make uninstall.
set -u
BUILD="${BUILD:-build}"
tmp=$(mktemp -d)
trap 'rm -rf "$tmp"' EXIT
prefix=/opt/bertscope-test
fail() { echo "FAIL: $*"; exit 1; }
make -s --no-print-directory install BUILD="$BUILD" PREFIX="$prefix" DESTDIR="$tmp" >"$tmp/log" 2>&1 ||
    { cat "$tmp/log"; fail "make install"; }
root="$tmp$prefix"
for f in bin/bertscope share/man/man1/bertscope.1 share/bertscope/weights/brown-pos/model.safetensors \
         share/bertscope/weights/brown-sentiment/config.json share/bertscope/weights/vocab/vocab.txt \
         share/bertscope/demos/seed-article.session; do
    [ -e "$root/$f" ] || fail "make install did not install $f"
done
# DESTDIR is only a staging root: the binary looks beside itself, so it runs there too.
out=$(cd / && echo "This is a positive sentence." | "$root/bin/bertscope" infer --no-logits 2>"$tmp/err") ||
    { cat "$tmp/err"; fail "the installed binary did not run infer"; }
echo "$out" | grep -q '"input_ids"' || fail "no input_ids in the installed binary's output"
echo "$out" | grep -q 'brown-sentiment' || fail "the installed binary did not find its built-in model"
(cd / && "$root/bin/bertscope" --version) | grep -q '^bertscope ' || fail "--version"
make -s --no-print-directory uninstall PREFIX="$prefix" DESTDIR="$tmp" >/dev/null 2>&1 || fail "make uninstall"
[ ! -e "$root/bin/bertscope" ] && [ ! -e "$root/share/bertscope" ] && [ ! -e "$root/share/man/man1/bertscope.1" ] ||
    fail "make uninstall left files behind"
echo "install: ok"
