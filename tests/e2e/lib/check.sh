# check.sh - sourced by end-to-end scripts that compare bertscope's output with committed
# references: a failure count and ok/fail lines, od(1) readers of the references' raw
# .bin arrays, and a column comparison to a tolerance.
fails=0
fail() { echo "FAIL: $*"; fails=$((fails + 1)); }
ok() { echo "ok: $*"; }
od_floats() { od -An -v -f "$1" | tr -s ' \t' '\n' | sed '/^$/d'; }
od_ints() { od -An -v -i "$1" | tr -s ' \t' '\n' | sed '/^$/d'; }
# the input_ids of a file of JSON rows, in order, are those of a reference's ids.bin
same_ids() { # ROWS_JSONL IDS_BIN
    [ -s "$1" ] && [ "$(jq -r '.input_ids[]' "$1")" = "$(od_ints "$2")" ]
}
# two files of one number a line, equal to TOL, line by line
close() { # GOT WANT TOL
    [ "$(wc -l <"$1")" -eq "$(wc -l <"$2")" ] &&
        paste "$1" "$2" | awk -v tol="$3" '{ d = $1 - $2; if (d < 0) d = -d;
            if (d > tol) { print "  row " NR ": " $1 " vs " $2; bad = 1 } } END { exit bad }'
}
