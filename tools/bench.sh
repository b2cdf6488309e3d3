#!/bin/bash
# make bench: figures, never pass/fail.  Today: the control plane (config
# load with N tunnels, show running-config latency, memory per configured
# tunnel).  Session, IKE and data-plane figures join as those features land.
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
  "throughput_mbps_single": null, "throughput_ratio_vs_strongswan": null,
  "qos_shaper_accuracy": [${qos_json%,}]
}
JSON
echo "results: build/bench/results.json"
