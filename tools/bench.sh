#!/bin/bash
# make bench [SESSIONS=N]: figures, never pass/fail.  Each part writes its
# JSON to build/bench/parts/; a part that fails prints why and the bench goes
# on (its figures stay null).  tools/bench_report.py merges the parts into
# build/bench/results.json, prints the table and writes build/bench/table.md.
#
#   control   tools/bench_control.sh: 1000 VPN-SIP tunnels (TUNNELS=N):
#             vpnsipd -t, boot, show running-config / show vpn-sip session,
#             RSS per configured tunnel
#   qos       tools/bench_qos.sh: shaper accuracy, veth and real sessions
#             (QOS_RATES shortens it)
#   ike       tests/bench_ike.py: single-tunnel iperf3 vpnsipd vs stock
#             strongSwan kernel-libipsec, IKE SA setup rate
#   lab       tools/bench_lab.py: setup latency with its breakdown and the
#             floor, aggregate shaped throughput, CLI latency under churn
#   scale     tools/bench_scale.py --sessions N (when it exists): N sessions
#             up at once (its JSON keys: see the script's docstring)
#   flood     tools/bench_flood.py: a legitimate call's setup latency idle and
#             while 2000 INVITE/s from untrusted sources hit the router, RSS
#             before and after
# BENCH_PARTS="control lab" runs a subset (the other parts' last results
# stay in build/bench/parts and are reported again, dated by results.json).  The labs use LAB_PREFIX (default
# vsbench) plus one letter per part, and are always taken down.
set -u
cd "$(dirname "$0")/.." || exit 1
SESSIONS=${SESSIONS:-1000}
export SESSIONS
prefix=${LAB_PREFIX:-vsbench}
parts_dir=build/bench/parts
mkdir -p "$parts_dir"
py=/usr/bin/python3

want() { case " ${BENCH_PARTS:-control qos ike lab scale flood} " in *" $1 "*) return 0 ;; esac; return 1; }
run() { # NAME CMD...
	local name=$1 t0
	shift
	want "$name" || return 0
	rm -f "$parts_dir/$name.json" # a part that runs again never leaves an old figure
	printf '\n== bench: %s\n' "$name" >&2
	t0=$(date +%s)
	if ! "$@"; then
		echo "bench: part '$name' failed; its figures are null" >&2
	fi
	echo "== bench: $name: $(($(date +%s) - t0)) s" >&2
}

if [ "$(id -u)" != 0 ]; then
	echo "bench: network namespaces need root" >&2
	exit 1
fi
run control tools/bench_control.sh "$parts_dir/control.json"
run qos env LAB_PREFIX="${prefix}q" tools/bench_qos.sh "$parts_dir/qos.json"
run ike env LAB_PREFIX="${prefix}i" "$py" tests/bench_ike.py "$parts_dir/ike.json"
run lab env LAB_PREFIX="${prefix}l" "$py" tools/bench_lab.py --json "$parts_dir/lab.json"
if [ -f tools/bench_scale.py ]; then
	run scale env LAB_PREFIX="${prefix}s" "$py" tools/bench_scale.py --sessions "$SESSIONS" \
		--json "$parts_dir/scale.json"
elif want scale; then
	echo "bench: tools/bench_scale.py is not there: the concurrency figures are null" >&2
fi
run flood env LAB_PREFIX="${prefix}f" "$py" tools/bench_flood.py --json "$parts_dir/flood.json"
"$py" tools/bench_report.py --sessions "$SESSIONS" "$parts_dir" build/bench/results.json \
	build/bench/table.md
