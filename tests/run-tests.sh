#!/bin/sh
# Runs every test binary given as arguments, then every tests/e2e/*.sh script, from the
# repository root; prints each one's result and a closing "N passed, N failed" line.
# Exit status 0 only if all passed.
passed=0
failed=0
failures=""
for t in "$@" tests/e2e/*.sh; do
    [ -e "$t" ] || continue
    case "$t" in
        *.sh) cmd="sh $t" ;;
        *) cmd="$t" ;;
    esac
    log="${BUILD:-build}/tests/$(basename "$t").log"
    mkdir -p "$(dirname "$log")"
    if BUILD="${BUILD:-build}" $cmd >"$log" 2>&1; then
        passed=$((passed + 1))
        printf 'PASS  %s\n' "$t"
    else
        failed=$((failed + 1))
        failures="$failures $t"
        printf 'FAIL  %s (log: %s)\n' "$t" "$log"
        tail -n 40 "$log" | sed 's/^/      /'
    fi
done
echo
[ -n "$failures" ] && echo "failed:$failures"
echo "$passed passed, $failed failed"
[ "$failed" -eq 0 ]
