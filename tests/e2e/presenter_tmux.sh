#!/bin/sh
# presenter_tmux.sh - `bertscope replay` in a real terminal, as a teacher presents with
# it: the last caption stays until the presenter quits, a space pressed while the replay
# is busy or right after b is not lost, and without --step each caption stays long
# enough to be read.
#
# Uses its own tmux server (-L) so it never touches the user's sessions; every wait is
# bounded. Skips (exit 0) only when tmux is not installed.
set -u
BUILD="${BUILD:-build}"
BIN="$BUILD/bertscope"
. "$(dirname "$0")/lib/tmux.sh"

start() {
    $T -f /dev/null new-session -d -s e2e -x 100 -y 30 "TERM=xterm-256color $BIN replay $*" ||
        fail "tmux could not start"
    $T set-option -t e2e remain-on-exit on >/dev/null 2>&1
}

# Ends the session with q and checks that the program exits.
quit() {
    $T send-keys -t e2e q
    i=0
    while [ $i -lt 100 ]; do
        [ "$($T display-message -p -t e2e '#{pane_dead}' 2>/dev/null)" = 1 ] && break
        sleep 0.1
        i=$((i + 1))
    done
    [ $i -lt 100 ] || fail "q did not end the replay"
    $T kill-session -t e2e
}

cat >"$TMP/talk.session" <<'S'
bertscope-session 1
model brown-pos
sentences "One short sentence." "Two."
caption "first caption here"
pause
caption "second caption here"
wait 6000
caption "third caption here"
pause
caption "the conclusion stays"
S

# --step: a space during the 6 s wait acts at once (the waits up to the next pause are
# skipped) instead of being dropped.
start "$TMP/talk.session" --step
wait_for "first caption here"
$T send-keys -t e2e Space
wait_for "second caption here"
$T send-keys -t e2e Space
wait_for "third caption here" 25

# The end keeps the last caption, marked as the end; another space does not quit.
$T send-keys -t e2e Space
wait_for "the conclusion stays"
wait_for "end of the session"
$T send-keys -t e2e Space
sleep 0.5
screen | grep -qF "the conclusion stays" || fail "the last caption left the screen"
[ "$($T display-message -p -t e2e '#{pane_dead}')" = 0 ] || fail "a space at the end quit"

# b goes back to the pause before the end; one space goes on from there.
$T send-keys -t e2e b
wait_for "third caption here"
$T send-keys -t e2e Space
wait_for "the conclusion stays" 25
quit

# Without --step a caption stays long enough to be read: the first of two captions in a
# row is still on screen a second later (it used to go after a quarter of a second).
cat >"$TMP/auto.session" <<'S'
bertscope-session 1
model brown-pos
sentences "One short sentence."
caption "a caption that needs a few seconds to be read whole"
caption "the next caption"
S
start "$TMP/auto.session"
wait_for "a caption that needs a few seconds"
sleep 1
screen | grep -qF "a caption that needs a few seconds" ||
    fail "the first caption was replaced before it could be read"
wait_for "the next caption"
quit
echo "ok: presenter keys, last caption, reading time"
