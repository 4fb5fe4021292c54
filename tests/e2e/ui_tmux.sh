#!/bin/sh
# ui_tmux.sh - the visualizer end to end, as a person uses it: run the real binary in
# tmux, type, read the screen with capture-pane, resize, save, quit.
#
# Uses its own tmux server (lib/tmux.sh) so it never touches the user's sessions; every
# wait is bounded. Skips (exit 0) only when tmux is not installed.
set -u
BUILD="${BUILD:-build}"
BIN="$BUILD/bertscope"
# tmux, its own server and folder ($T, $TMP), fail and wait_for
. "$(dirname "$0")/lib/tmux.sh"

# Waits up to 10 s for the program to end, then checks it exited with status 0 (under
# the sanitizer build a leak or an error would make it non-zero), and closes the session.
wait_exit() {
    i=0
    dead=0
    while [ $i -lt 100 ]; do
        # The pane may read as dead before tmux has reaped the process: wait for a status.
        # (Some builds, the sanitizer one among them, leave the status unknown to tmux:
        # after 3 s dead without a status is accepted.)
        st=$($T display-message -p -t e2e '#{pane_dead}:#{pane_dead_status}' 2>/dev/null)
        case "$st" in
        1:?*)
            [ "$st" = "1:0" ] || fail "bertscope exited with status ${st#1:}"
            $T kill-session -t e2e
            return 0
            ;;
        1:)
            dead=$((${dead:-0} + 1))
            if [ "$dead" -ge 30 ]; then
                $T kill-session -t e2e
                return 0
            fi
            ;;
        esac
        sleep 0.1
        i=$((i + 1))
    done
    fail "the program did not quit"
}

# Starts the program in a W x H pane that stays on screen after it exits: start W H CMD.
start() {
    $T -f /dev/null new-session -d -s e2e -x "$1" -y "$2" "$3" || fail "tmux could not start"
    $T set-option -t e2e remain-on-exit on >/dev/null 2>&1
}

printf 'This is a positive sentence.\nIs it raining?\tNo.\n' >"$TMP/s.txt"
start 120 40 \
    "TERM=xterm-256color $BIN -m builtin:tiny --head tok --num-labels 5 --seed 3 --record $TMP/r.session $TMP/s.txt"

wait_for "Sentences (2)"
wait_for "input_ids (B, T) = (2, 9)"
# The whole explanation is on the x page (the main screen ends it in "… x all").
$T send-keys -t e2e x
wait_for "Sentence 2 is a pair"
$T send-keys -t e2e Escape
wait_for "input_ids (B, T) = (2, 9)"

# Add a sentence and type it: the batch grows and pads to the longest.
$T send-keys -t e2e a
$T send-keys -t e2e -l "Unbelievably long words appear here today."
wait_for "Sentences (3)"
wait_for "##bel"
wait_for "input_ids (B, T) = (3, 13)"
wait_for "T grew from 9 to 13"
$T send-keys -t e2e Escape
wait_for "q quit"

# Save: the file gets all three sentences, the pair kept with its TAB.
$T send-keys -t e2e w
wait_for "saved 3 sentences"
[ "$(wc -l <"$TMP/s.txt")" -eq 3 ] || fail "saved file has $(wc -l <"$TMP/s.txt") lines"
grep -q "^Unbelievably long words appear here today\.$" "$TMP/s.txt" || fail "typed sentence not saved"
grep -q "$(printf 'Is it raining?\tNo.')" "$TMP/s.txt" || fail "pair lost its TAB"

# A bracketed paste of two lines becomes two sentences after the selected one.
printf 'Pasted one.\nPasted two.' | $T load-buffer -
$T paste-buffer -p -t e2e
wait_for "Sentences (5)"
wait_for "Pasted two."
$T send-keys -t e2e Escape
$T send-keys -t e2e d
wait_for "Sentences (4)"
$T send-keys -t e2e k d
wait_for "Sentences (3)"
wait_for "Is it raining? │ No."

# Resize at any moment: small, tiny, back.
$T resize-window -t e2e -x 80 -y 24
wait_for "Tokens"
$T resize-window -t e2e -x 20 -y 5
wait_for "too small"
$T resize-window -t e2e -x 120 -y 40
wait_for "Shapes"

# Padding strategy and help.
$T send-keys -t e2e p
wait_for "padding max_length"
$T send-keys -t e2e '?'
wait_for "bertscope keys"
$T send-keys -t e2e Space
wait_for "Sentences (3)"

# q types in the editor, quits outside it.
$T send-keys -t e2e e
$T send-keys -t e2e q
wait_for "No.q"
$T send-keys -t e2e Escape
$T send-keys -t e2e q
wait_for "unsaved edits"
$T send-keys -t e2e q
wait_exit

# --record wrote the session: the starting batch, the typing, the keys.
grep -q '^sentences "This is a positive sentence." "Is it raining?\\tNo."$' "$TMP/r.session" ||
    fail "recording lacks the starting sentences: $(cat "$TMP/r.session")"
grep -q '^type "a*Unbelievably long words appear here today."$' "$TMP/r.session" ||
    fail "recording lacks the typing: $(cat "$TMP/r.session")"
grep -q '^key Esc$' "$TMP/r.session" || fail "recording lacks the keys"

# Hangul: uncased BERT splits it into conjoining jamo, whose vowels and finals a
# terminal draws with no width of their own. They must show (as escapes) and move no
# column: on every row the panel divider is where it is on the title row, before and
# after the selection scrolls the grid to its end (the columns a terminal counts: wc -L,
# in UTF-8).
printf '한국어 text\nplain words\n' >"$TMP/k.txt"
start 100 30 "TERM=xterm-256color $BIN -m builtin:tiny --head tok --num-labels 5 --seed 3 $TMP/k.txt"
wait_for '##\u1161'
divider_cols() { # the columns before the first divider on each row that has one
    $T capture-pane -p -t e2e | grep '│' | grep -v '^ padding' | sed 's/│.*//' |
        while IFS= read -r l; do
            printf '%s\n' "$l" | LC_ALL=C.UTF-8 wc -L
        done | sort -u
}
[ "$(divider_cols | wc -l)" -eq 1 ] || fail "the divider moves on Hangul rows: $(divider_cols)"
$T send-keys -t e2e Tab Right Right Right Right Right Right Right Right Right Right
wait_for 'pos ◀'
[ "$(divider_cols | wc -l)" -eq 1 ] || fail "the divider moves after scrolling: $(divider_cols)"
$T send-keys -t e2e q
wait_exit

# The default command opens even when a built-in model is missing or fails; with
# NO_COLOR set it draws with attributes only (no colour escapes on the screen).
start 100 30 "NO_COLOR=1 TERM=xterm-256color $BIN"
wait_for "bertscope"
wait_for "Sentences (3)"
if $T capture-pane -e -p -t e2e | grep -q "$(printf '\033')\[[0-9;]*3[0-7]m"; then
    fail "colour escapes on screen despite NO_COLOR"
fi
$T send-keys -t e2e q
wait_exit
echo "ok: typed, saved, resized, quit"
