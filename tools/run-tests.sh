#!/bin/sh
# make test's pytest, in two parts that both always run:
#   1. every module not marked serial, on PYTEST_JOBS workers (default 3:
#      the tests mostly wait on protocol timers, so 2 cores carry 3;
#      pytest-xdist), a whole module per worker at a time, each worker
#      with labs of its own (tests/conftest.py);
#   2. the serial modules (rates, delays, floods: conftest.SERIAL_MODULES),
#      one at a time with nothing else running.
# Arguments go to both (a -k, a file).  Exit status: 0 when both parts
# pass; a part that selects nothing (pytest's 5) counts as passing unless
# both select nothing.  At the end, the slowest 15 tests of both parts.
set -u
cd "$(dirname "$0")/.."
JOBS=${PYTEST_JOBS:-3}
PYTEST="/usr/bin/python3 -m pytest -p no:cacheprovider"
start=$(date +%s)

out=$(mktemp -d)
trap 'rm -rf "$out"' EXIT
{ $PYTEST -n "$JOBS" --dist loadfile -m "not serial" --durations=15 "$@"; echo $? >"$out/rc1"; } |
	tee "$out/parallel"
rc1=$(cat "$out/rc1")
mid=$(date +%s)
{ $PYTEST -m serial --durations=15 "$@"; echo $? >"$out/rc2"; } | tee "$out/serial"
rc2=$(cat "$out/rc2")
end=$(date +%s)

# the two parts' lists as one
echo "slowest 15 of the whole run:"
grep -hE '^[0-9]+\.[0-9]+s (setup|call|teardown) ' "$out/parallel" "$out/serial" |
	sort -rn | head -15
echo "make test: parallel part ($JOBS workers) exit $rc1 in $((mid - start)) s," \
     "serial part exit $rc2 in $((end - mid)) s"
[ "$rc1" = 5 ] && [ "$rc2" = 5 ] && exit 5
for rc in "$rc1" "$rc2"; do
	case "$rc" in 0 | 5) ;; *) exit "$rc" ;; esac
done
exit 0
