#!/bin/sh
# recover_tmux.sh - nothing typed is lost: the visualizer killed with unsaved edits (its
# terminal closed, SIGHUP, SIGTERM) writes the sentences to a recovery file, never over
# the sentence file, and the next start says where it is.
#
# Uses its own tmux server (-L) and a HOME of its own; every wait is bounded. Skips
# (exit 0) only when tmux is not installed.
set -u
BUILD="${BUILD:-build}"
BIN="$(cd "$(dirname "$BUILD/bertscope")" && pwd)/bertscope"
. "$(dirname "$0")/lib/tmux.sh"

# Waits up to 10 s for a file to exist.
wait_file() {
    i=0
    while [ $i -lt 100 ]; do
        [ -s "$1" ] && return 0
        sleep 0.1
        i=$((i + 1))
    done
    fail "no recovery file '$1'"
}

# exec: the pane's process is bertscope itself, so its pid gets the signals.
start() {
    $T -f /dev/null new-session -d -s e2e -x 120 -y 40 \
        "exec env HOME=$TMP/home XDG_STATE_HOME= TERM=xterm-256color $BIN -m builtin:tiny $*" ||
        fail "tmux could not start"
}

mkdir -p "$TMP/home" "$TMP/work"
printf 'This is a positive sentence.\n' >"$TMP/work/s.txt"

# 1. A sentence file, and the terminal closes (tmux kills the session: SIGHUP).
start "$TMP/work/s.txt"
wait_for "Sentences (1)"
$T send-keys -t e2e a
$T send-keys -t e2e -l "Typed by hand and never saved."
wait_for "Sentences (2)"
wait_for "never saved."
$T kill-session -t e2e
wait_file "$TMP/work/s.txt.recover"
grep -qx "Typed by hand and never saved." "$TMP/work/s.txt.recover" ||
    fail "the recovery file lacks the typed sentence: $(cat "$TMP/work/s.txt.recover")"
grep -qx "This is a positive sentence." "$TMP/work/s.txt.recover" ||
    fail "the recovery file lacks the first sentence"
[ "$(cat "$TMP/work/s.txt")" = "This is a positive sentence." ] ||
    fail "the sentence file was changed: $(cat "$TMP/work/s.txt")"

# The next start says where the sentences are.
start "$TMP/work/s.txt"
wait_for "unsaved sentences of an interrupted session are in '$TMP/work/s.txt.recover'"
$T send-keys -t e2e q
sleep 0.5
$T kill-session -t e2e 2>/dev/null

# A second loss does not overwrite the first recovery file.
start "$TMP/work/s.txt"
wait_for "Sentences (1)"
$T send-keys -t e2e a
$T send-keys -t e2e -l "A second try."
wait_for "A second try."
$T kill-session -t e2e
wait_file "$TMP/work/s.txt.recover.2"
grep -qx "Typed by hand and never saved." "$TMP/work/s.txt.recover" ||
    fail "the first recovery file was overwritten"
grep -qx "A second try." "$TMP/work/s.txt.recover.2" || fail "second recovery file wrong"

# 2. No sentence file, and SIGTERM: the state folder holds the sentences.
start
wait_for "Sentences (3)"
$T send-keys -t e2e a
$T send-keys -t e2e -l "No file for this one."
wait_for "No file for this one."
pid=$($T display-message -p -t e2e '#{pane_pid}')
kill -TERM "$pid"
rec="$TMP/home/.local/state/bertscope/unsaved.txt"
wait_file "$rec"
grep -qx "No file for this one." "$rec" ||
    fail "the recovery file lacks the sentence: $(cat "$rec")"
$T kill-session -t e2e 2>/dev/null
start
wait_for "unsaved sentences of an interrupted session are in '$rec'"
$T send-keys -t e2e q
echo "ok: hang-up and SIGTERM keep the unsaved sentences, the next start says where"
