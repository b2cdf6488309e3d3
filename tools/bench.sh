#!/bin/bash
# make bench: figures, never pass/fail.  Today: the control plane (config
# load with N tunnels, show running-config latency, memory per configured
# tunnel), then the IPsec data plane and IKE (tests/bench_ike.py: iperf3
# through one tunnel, vpnsipd vs stock strongSwan kernel-libipsec in the
# same lab run, and the IKE SA setup rate).
set -eu
cd "$(dirname "$0")/.."
N=${TUNNELS:-1000}
export tool=bench # read by tools/lib.sh
# shellcheck source=tools/lib.sh
. tools/lib.sh
mkdir -p build/bench
ms() { date +%s%3N; }
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }

{
	echo "hostname bench"
	echo "interface Loopback0"
	echo " ip address 10.255.0.1 255.255.255.255"
	for i in $(seq 1 "$N"); do
		echo "interface Tunnel$i"
		echo " description VPN-SIP peer $i"
		echo " ip unnumbered Loopback0"
	done
	echo "end"
} >"$dir/big.conf"
: >"$dir/empty.conf"

t0=$(ms); build/vpnsipd -t -f "$dir/big.conf" 2>/dev/null; t1=$(ms)
parse_ms=$((t1 - t0))

start_daemon "$dir/empty.conf"
rss_base=$(rss "$pid")
stop_daemon

t0=$(ms); start_daemon "$dir/big.conf"; t1=$(ms)
load_ms=$((t1 - t0))
rss_big=$(rss "$pid")
tuns=$(ip netns exec "$ns" ip -br link | grep -c '^Tunnel' || true)
t0=$(ms)
for _ in $(seq 20); do build/vpnsipsh -S "$dir/sock" -c "show running-config" >/dev/null; done
t1=$(ms)
show_ms=$(( (t1 - t0) / 20 ))
stop_daemon
per_tunnel=$(( (rss_big - rss_base) / N ))

# QoS: the shaper accuracy table (tools/bench_qos.sh sets qos_table and
# qos_json).
# shellcheck source=tools/bench_qos.sh
. tools/bench_qos.sh

printf '\n%-44s %12s\n' "vpnsip benchmark ($(nproc) cores, $(free -g | awk '/Mem/ {print $2}') GiB)" "$(date -u +%F)"
printf '%-44s %12s\n' "configured tunnels" "$N"
printf '%-44s %12s\n' "TUN devices created" "$tuns"
printf '%-44s %9s ms\n' "parse only (vpnsipd -t)" "$parse_ms"
printf '%-44s %9s ms\n' "boot: load + apply to the kernel" "$load_ms"
printf '%-44s %9s ms\n' "show running-config (mean of 20)" "$show_ms"
printf '%-44s %8s KiB\n' "RSS, empty configuration" "$rss_base"
printf '%-44s %8s KiB\n' "RSS per configured tunnel" "$per_tunnel"
printf '\nQoS shaper accuracy (veth: L2 rate at the receiver; session: a real VPN-SIP\n'
printf 'session at b=AS, outer L3 rate on the backup link)\n'
printf '%-8s %-10s %10s %10s %7s\n' where mode configured measured ratio
printf '%b' "$qos_table"

# IPsec figures (a lab of network namespaces: root only; never fails).
ike_json=build/bench/ike.json
echo '{}' >"$ike_json"
if [ "$(id -u)" = 0 ]; then
	printf '\n'
	LAB_PREFIX=${LAB_PREFIX:-vsbench} /usr/bin/python3 tests/bench_ike.py "$ike_json" ||
		echo "bench: IPsec figures unavailable" >&2
fi
ike() { /usr/bin/python3 -c 'import json,sys; v=json.load(open(sys.argv[1])).get(sys.argv[2]); print("null" if v is None else v)' "$ike_json" "$1"; }

cat >build/bench/results.json <<JSON
{
  "date": "$(date -u +%FT%TZ)",
  "tunnels_configured": $N,
  "config_parse_1000_tunnels_ms": $parse_ms,
  "config_load_1000_tunnels_ms": $load_ms,
  "show_running_config_ms": $show_ms,
  "rss_base_kib": $rss_base,
  "rss_per_configured_tunnel_kib": $per_tunnel,
  "sessions_target": null, "sessions_up": null, "all_up_seconds": null,
  "setup_latency_ms_p50": null, "setup_latency_ms_p95": null, "floor_latency_ms_p50": null,
  "rss_per_session_kib": null, "show_session_ms": null,
  "throughput_mbps_single": $(ike throughput_mbps_single),
  "throughput_mbps_strongswan": $(ike throughput_mbps_strongswan),
  "throughput_ratio_vs_strongswan": $(ike throughput_ratio_vs_strongswan),
  "ike_setup_rate_per_s": $(ike ike_setup_rate_per_s),
  "ike_setup_latency_ms_p50": $(ike ike_setup_latency_ms_p50),
  "qos_shaper_accuracy": [${qos_json%,}]
}
JSON
echo "results: build/bench/results.json"
