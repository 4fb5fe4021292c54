#!/bin/sh
# stress_tmux.sh - the visualizer under terminal abuse, in tmux: a storm of resizes
# (1x1 up to 300x100, and odd shapes such as 300x1 and 1x100) while a sentence is being
# typed, then 100 KB pasted at once, as one line and as many lines. The program must
# survive all of it (no crash, no hang), the typed sentence must come out byte for byte
# when saved, and the over-long paste must be cut with a visible note rather than grow
# without bound.
#
# Own tmux server (-L); remain-on-exit keeps a crashed pane visible and a wrapper shell
# records the exit status; every wait is bounded. Skips (exit 0) only when tmux is not
# installed.
set -u
BUILD="${BUILD:-build}"
BIN="$BUILD/bertscope"
if ! command -v tmux >/dev/null 2>&1; then
    echo "SKIP: tmux is not installed (apt-get install tmux)"
    exit 0
fi
[ -x "$BIN" ] || { echo "FAIL: $BIN is missing (make first)"; exit 1; }

TMP="$(mktemp -d)"
T="tmux -S $TMP/tmux.sock" # our own socket folder: no stale socket can be met
cleanup() { $T kill-server >/dev/null 2>&1; rm -rf "$TMP"; }
trap cleanup EXIT INT TERM

fail() {
    echo "FAIL: $1"
    echo "--- pane dead: $($T display-message -p -t st '#{pane_dead}' 2>/dev/null), exit status: $(cat "$TMP/status" 2>/dev/null)"
    echo "--- screen:"
    $T capture-pane -p -t st 2>/dev/null | head -n 50
    exit 1
}

alive() {
    [ "$($T display-message -p -t st '#{pane_dead}' 2>/dev/null)" = 0 ] ||
        fail "bertscope died ($1)"
}

# Waits up to $2 tenths of a second (default 150) for a fixed string on the screen.
wait_for() {
    i=0
    n=${2:-150}
    while [ $i -lt "$n" ]; do
        alive "waiting for '$1'"
        if $T capture-pane -p -J -t st 2>/dev/null | grep -qF -- "$1"; then
            return 0
        fi
        sleep 0.1
        i=$((i + 1))
    done
    fail "timed out waiting for '$1'"
}

printf 'The first sentence.\n' >"$TMP/s.txt"
# The shell around bertscope records its exit status (128 + N for a signal).
$T -f /dev/null new-session -d -s st -x 120 -y 40 \
    "TERM=xterm-256color $BIN -m builtin:tiny --seed 1 $TMP/s.txt; echo \$? >$TMP/status" ||
    fail "tmux could not start"
$T set-option -t st remain-on-exit on >/dev/null 2>&1
$T set-option -t st window-size manual >/dev/null 2>&1
wait_for "Sentences (1)"

# --- typing through a resize storm -----------------------------------------------------
# 48 chunks typed one after another, each followed at once by a resize: keys and
# SIGWINCH arrive interleaved, often mid-redraw.
sizes="1x1 2x1 1x2 300x100 3x3 80x24 300x1 1x100 20x5 40x10 299x99 7x2 120x40 10x50 300x100
       1x1 160x48 33x7 2x2 250x80 5x1 1x5 90x30 300x100"
$T send-keys -t st a
typed=""
k=0
for round in 1 2; do
    for s in $sizes; do
        chunk="w$k-typed;ok,"
        [ $((k % 5)) -eq 4 ] && chunk="caf$(printf '\303\251') #$k. "
        typed="$typed$chunk"
        $T send-keys -t st -l -- "$chunk"
        $T resize-window -t st -x "${s%x*}" -y "${s#*x}" 2>/dev/null ||
            fail "tmux refused size $s"
        k=$((k + 1))
    done
    alive "resize storm round $round"
done
$T resize-window -t st -x 200 -y 50
wait_for "w47-typed;ok," 200
$T send-keys -t st Escape
wait_for "q quit"
$T send-keys -t st w
wait_for "saved 2 sentences"
line2=$(sed -n 2p "$TMP/s.txt")
if [ "$line2" != "$typed" ]; then
    echo "typed: $typed"
    echo "saved: $line2"
    fail "the typed sentence did not survive the resize storm intact"
fi
echo "ok: typed $(printf '%s' "$typed" | wc -c) bytes through 48 resizes (1x1 to 300x100), saved intact"

# --- 100 KB pasted at once as one line: cut to the sentence bound with a note ---------
awk 'BEGIN { for (i = 0; i < 10240; i++) printf "abcdefghi "; }' >"$TMP/one.txt"
[ "$(wc -c <"$TMP/one.txt")" -eq 102400 ] || fail "paste file is not 100 KB"
$T load-buffer -b big "$TMP/one.txt"
$T paste-buffer -p -b big -t st
wait_for "cut to" 300
alive "100 KB one-line paste"
$T send-keys -t st Escape
wait_for "Sentences (3)" 300
$T send-keys -t st w
wait_for "saved 3 sentences" 300
len3=$(sed -n 3p "$TMP/s.txt" | wc -c)
[ "$len3" -gt 1000 ] && [ "$len3" -le 2001 ] ||
    fail "the pasted sentence holds $len3 bytes; expected it cut to at most 2000"
[ "$(sed -n 2p "$TMP/s.txt")" = "$typed" ] || fail "the typed sentence changed after the paste"
echo "ok: 100 KB one-line paste cut to $((len3 - 1)) bytes with a note"

# --- 100 KB pasted at once as 2048 lines: the batch bound, with a note ------------------
awk 'BEGIN { for (i = 0; i < 2048; i++) printf "pasted line %05d of the flood ...........\n", i; }' \
    >"$TMP/many.txt"
$T load-buffer -b many "$TMP/many.txt"
$T resize-window -t st -x 300 -y 100
$T paste-buffer -p -b many -t st
$T resize-window -t st -x 1 -y 1
$T resize-window -t st -x 120 -y 40
# Texts specific to this step: "at most 512 positions" and "saved 3 sentences" from the
# steps before may still be on screen.
wait_for "the batch is full" 600
alive "100 KB many-line paste"
$T send-keys -t st Escape
$T send-keys -t st w
wait_for "saved 256 sentences" 600
n=$(wc -l <"$TMP/s.txt")
[ "$n" -ge 4 ] && [ "$n" -le 256 ] || fail "saved $n sentences; expected the batch bound (256) to hold"
[ "$(sed -n 2p "$TMP/s.txt")" = "$typed" ] || fail "the typed sentence changed after the flood"
echo "ok: 100 KB in 2048 lines kept to $n sentences with a note"

# --- it still answers, and quits cleanly -------------------------------------------------
$T send-keys -t st '?'
wait_for "bertscope keys"
$T send-keys -t st Space
$T send-keys -t st q
i=0
while [ $i -lt 100 ]; do
    [ "$($T display-message -p -t st '#{pane_dead}' 2>/dev/null)" = 1 ] && break
    sleep 0.1
    i=$((i + 1))
done
[ "$($T display-message -p -t st '#{pane_dead}' 2>/dev/null)" = 1 ] || fail "q did not quit"
st=$(cat "$TMP/status" 2>/dev/null)
[ "$st" = 0 ] || fail "bertscope exited with status '$st'"
echo "ok: survived the storm and quit with status 0"
