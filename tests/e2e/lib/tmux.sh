# tmux.sh - sourced by end-to-end scripts that drive bertscope in a real terminal: a tmux
# server of their own (-S, so the user's sessions are never touched), a temporary folder,
# and bounded waits on what the screen shows. The caller sets BIN (the binary) first and
# names its tmux session e2e. Exits 0 (skip) when tmux is not installed.
if ! command -v tmux >/dev/null 2>&1; then
    echo "SKIP: tmux is not installed (apt-get install tmux)"
    exit 0
fi
[ -x "$BIN" ] || { echo "FAIL: $BIN is missing (make first)"; exit 1; }

TMP="$(mktemp -d)"
# The server's socket lives in our own fresh folder (-S), so a socket left behind by a
# killed run elsewhere in /tmp/tmux-UID can never be met again; -u: UTF-8 even when the
# locale is unset.
T="tmux -u -S $TMP/tmux.sock"
cleanup() { $T kill-server >/dev/null 2>&1; rm -rf "$TMP"; }
trap cleanup EXIT INT TERM
# A session that outlives the others keeps the server up: a new session started right
# after the last one closed could meet the old server on its way out.
$T -f /dev/null new-session -d -s keep "sleep 3600" ||
    { echo "FAIL: tmux could not start"; exit 1; }

fail() {
    echo "FAIL: $1"
    echo "--- screen:"
    $T capture-pane -p -t e2e 2>/dev/null
    exit 1
}

# The screen of session e2e, wrapped lines joined.
screen() { $T capture-pane -p -J -t e2e 2>/dev/null; }

# Waits up to $2 tenths of a second (default 100: 10 s) for a fixed string on the screen.
wait_for() {
    i=0
    while [ $i -lt "${2:-100}" ]; do
        screen | grep -qF -- "$1" && return 0
        sleep 0.1
        i=$((i + 1))
    done
    fail "timed out waiting for '$1'"
}
