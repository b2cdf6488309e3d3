#!/bin/bash
# make bench, QoS: the shaper accuracy table.  tools/bench_qos.sh OUT.json
# writes a JSON list of rows {where, mode, configured_bps, measured_bps, ...}.
#
# 1. A veth from the daemon's namespace to a peer, "shape average R" on it
#    (service-policy output), iperf3 saturating it; the rate is read from
#    the peer's interface counters (L2 bytes, what the shaper counts on
#    Ethernet), never from tc.
# 2. Real VPN-SIP sessions (tools/bench_qos_session.py): two vpnsipd in
#    the lab (LAB_PREFIX, default vsbq), a session negotiated at each b=AS,
#    iperf3 UDP/TCP at small and large sizes through Tunnel1; the OUTER rate
#    is read on the NGN bridge port of rtrA's backup link.
# QOS_RATES (kbit/s, default "64 128 256 512 1000") shortens the sweep.
set -eu
cd "$(dirname "$0")/.."
out=${1:?usage: tools/bench_qos.sh OUT.json}
export tool=bench-qos # read by tools/lib.sh
# shellcheck source=tools/lib.sh
. tools/lib.sh
ms() { date +%s%3N; }
peer=$ns-peer
trap 'ip netns del "$peer" 2>/dev/null; cleanup' EXIT INT TERM
ip netns add "$peer"
ip netns exec "$peer" ip link set lo up
qos_rates=${QOS_RATES:-64 128 256 512 1000}
# a short queue keeps iperf3's control connection moving at 64 kbps
printf 'policy-map S\n class class-default\n  shape average 64000\n  queue-limit 16 packets\n' \
	>"$dir/qos.conf"
printf 'interface Tunnel1\n ip address 192.0.2.1 255.255.255.0\n' >>"$dir/qos.conf"
start_daemon "$dir/qos.conf"
ip link add bq0 netns "$ns" type veth peer name bq1 netns "$peer"
ip netns exec "$ns" ip addr add 198.51.100.1/24 dev bq0
ip netns exec "$peer" ip addr add 198.51.100.2/24 dev bq1
# one packet per skb: the receiver's counters then see what was charged
ip netns exec "$ns" ip link set bq0 up gso_max_segs 1
ip netns exec "$peer" ip link set bq1 up
vsh() { build/vpnsipsh -S "$dir/sock" "$@" >/dev/null; }
vsh -c "configure terminal" -c "interface bq0" -c "service-policy output S" -c "end"
stat_of() { ip netns exec "$1" cat "/sys/class/net/$2/statistics/$3"; }
qos_json=""
for r in $qos_rates; do
	bps=$((r * 1000))
	win=$((r < 256 ? 10 : 5))
	vsh -c "configure terminal" -c "policy-map S" -c "class class-default" \
		-c "shape average $bps" -c "end"
	port=5200
	for mode in udp-1400 udp-64 tcp-1400; do
		port=$((port + 1))
		case $mode in
		udp-1400) set -- -u -b "$((r * 3))k" -l 1400 ;;
		udp-64) set -- -u -b "$((r * 3))k" -l 64 ;;
		*) set -- -l 1400 ;;
		esac
		ip netns exec "$peer" iperf3 -s -1 -p "$port" >/dev/null 2>&1 &
		spid=$!
		sleep 0.5
		ip netns exec "$ns" iperf3 -c 198.51.100.2 -p "$port" -t $((win + 4)) "$@" >/dev/null 2>&1 &
		cpid=$!
		sleep 3
		b0=$(stat_of "$peer" bq1 rx_bytes); t0=$(ms)
		sleep "$win"
		b1=$(stat_of "$peer" bq1 rx_bytes); t1=$(ms)
		wait "$cpid" || true
		kill "$spid" 2>/dev/null || true
		wait "$spid" 2>/dev/null || true
		got=$(((b1 - b0) * 8 * 1000 / (t1 - t0)))
		qos_json="$qos_json{\"where\": \"veth\", \"mode\": \"$mode\", \"configured_bps\": $bps, \"measured_bps\": $got},"
	done
done
stop_daemon
ip netns del "$peer"
trap cleanup EXIT INT TERM
# 2. real VPN-SIP sessions in the lab: the outer rate on the backup link
if QOS_RATES="$qos_rates" BUILD=build /usr/bin/python3 tools/bench_qos_session.py \
	--json "$dir/qos_session.json" >&2; then
	session_json=$(cat "$dir/qos_session.json")
	session_json=${session_json#[}
	session_json=${session_json%]}
	[ -n "$session_json" ] && qos_json="$qos_json$session_json,"
else
	echo "bench_qos: the VPN-SIP session sweep failed" >&2
fi
echo "[${qos_json%,}]" >"$out"
