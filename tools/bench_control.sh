#!/bin/bash
# make bench, control plane: a configuration of TUNNELS (default 1000) real
# VPN-SIP tunnels (one IKEv2 keyring peer per remote number, tunnel
# protection, a vpn-sip line per tunnel, a static route through each
# tunnel), loaded by vpnsipd in a private namespace whose backup interface
# (bak0, one end of a veth pair) leads nowhere: registration never succeeds,
# so every session stays configured and idle.
#
# Measures: `vpnsipd -t` (parse + check) time, boot time (start until the
# control socket answers, and until every TunnelN exists in the kernel;
# median of BENCH_BOOTS, default 3),
# `show running-config`, `show vpn-sip session` and its json form latency (mean of
# BENCH_SHOW_REPS, default 10), RSS with an empty configuration, with the
# global VPN-SIP configuration and no tunnel, and with all tunnels; the
# SNMP walk of the VPN-SIP session table through a real snmpd (AgentX
# master in the namespace, docs/snmp.md): snmpwalk (one GETNEXT per value)
# and snmpbulkwalk.
# Writes JSON to $1 (a figure that could not be measured is null).
set -eu
cd "$(dirname "$0")/.."
out=${1:?usage: tools/bench_control.sh OUT.json}
N=${TUNNELS:-1000}
REPS=${BENCH_SHOW_REPS:-10}
export tool=bench-ctl # read by tools/lib.sh
# shellcheck source=tools/lib.sh
. tools/lib.sh
ms() { date +%s%3N; }
rss() { awk '/VmRSS/ {print $2}' "/proc/$1/status"; }
ip netns exec "$ns" ip link add bak0 type veth peer name bakpeer
ip netns exec "$ns" ip link set bakpeer up

# global part: keyring first (tunnels refer to the profile), then tunnels,
# then the global vpn-sip lines and routes, in running-config order; the
# text comes from the tests' configuration builder (tests/lib/vpnsip_conf.py).
write_conf() { # N FILE
	/usr/bin/python3 - "$1" >"$2" <<-'EOF'
		import sys
		sys.path.insert(0, "tests")
		from lib.vpnsip_conf import Peer, Tunnel, router_config
		n, me = int(sys.argv[1]), "0311111111"
		remote = ["05%08d" % i for i in range(n + 1)]
		sys.stdout.write(router_config(
		    hostname="bench", local_id=me, nat_force_encap=False, bak0="192.0.2.11",
		    keyring=[Peer("p%d" % i, "bench-key-%06d-0123456789abcdef" % i, key_id=remote[i])
		             for i in range(1, n + 1)],
		    tunnels=[Tunnel(i, "10.%d.%d.%d" % (i // 16384, i // 64 % 256, i % 64 * 4 + 1), me, remote[i])
		             for i in range(1, n + 1)],
		    numbers=[me], domain="example.ne.jp", vpnsip_logging=False,
		    tail="".join("ip route 10.%d.%d.0 255.255.255.0 Tunnel%d\n" % (128 + i // 256, i % 256, i)
		                 for i in range(1, n + 1)) + "end\n"))
	EOF
}
write_conf "$N" "$dir/big.conf"
write_conf 0 "$dir/base.conf"
: >"$dir/empty.conf"

json_num() { [ -n "${1:-}" ] && echo "$1" || echo null; }
vsh() { build/vpnsipsh -S "$dir/sock" -c "$1"; }
# mean latency of REPS runs of a show command, in ms with one decimal
show_mean() {
	local t0 t1
	t0=$(date +%s%N)
	for _ in $(seq "$REPS"); do vsh "$1" >/dev/null; done
	t1=$(date +%s%N)
	awk "BEGIN {printf \"%.1f\", ($t1 - $t0) / 1e6 / $REPS}"
}

parse_ms="" tuns=0 rc_ms="" sess_ms="" rss_empty="" rss_base="" rss_big=""
rc_lines="" sess_lines="" walk_ms="" bulk_ms="" walk_rows="" json_ms="" json_entries=""

# The session table through snmpd: sets walk_ms, bulk_ms, walk_rows.
SNMP_C=vpnsip-bench
snmp_walks() {
	local snmpd_pid t0 t1 table=.1.3.6.1.3.1017.1.2
	command -v snmpd >/dev/null || return 0
	printf 'master agentx\nagentXSocket %s\nagentaddress udp:127.0.0.1:16161\nrocommunity %s 127.0.0.1\n' \
		"$dir/agentx" "$SNMP_C" >"$dir/snmpd.conf"
	mkdir -p "$dir/snmp-state" # snmpd's persistent state (its own snmpd.conf)
	MIBS= SNMP_PERSISTENT_DIR="$dir/snmp-state" ip netns exec "$ns" snmpd -f -C -c "$dir/snmpd.conf" \
		-Lf "$dir/snmpd.log" &
	snmpd_pid=$!
	for _ in $(seq 500); do [ -S "$dir/agentx" ] && break; sleep 0.01; done
	build/vpnsipsh -S "$dir/sock" -c "configure terminal" -c "snmp-server agentx socket $dir/agentx" \
		-c end >/dev/null
	for _ in $(seq 1500); do grep -q "SNMP-5-AGENTX_UP" "$dir/log" && break; sleep 0.01; done
	if grep -q "SNMP-5-AGENTX_UP" "$dir/log"; then
		walk() { MIBS= ip netns exec "$ns" "$1" -v2c -c "$SNMP_C" -On -t 10 127.0.0.1:16161 "$table"; }
		t0=$(date +%s%N)
		walk_rows=$(walk snmpwalk | grep -c "^$table\.1\.2\." || true)
		t1=$(date +%s%N)
		walk_ms=$(((t1 - t0) / 1000000))
		t0=$(date +%s%N)
		walk snmpbulkwalk >/dev/null || true
		t1=$(date +%s%N)
		bulk_ms=$(((t1 - t0) / 1000000))
	else
		echo "bench_control: vpnsipd did not connect to snmpd" >&2
	fi
	kill "$snmpd_pid" 2>/dev/null || true
	wait "$snmpd_pid" 2>/dev/null || true
}
t0=$(ms)
if build/vpnsipd -t -f "$dir/big.conf" >"$dir/t.out" 2>&1; then
	t1=$(ms)
	parse_ms=$((t1 - t0))
else
	echo "bench_control: vpnsipd -t rejected the configuration:" >&2
	tail -5 "$dir/t.out" >&2
fi

start_daemon "$dir/empty.conf" && rss_empty=$(rss "$pid") && stop_daemon
start_daemon "$dir/base.conf" && rss_base=$(rss "$pid") && stop_daemon

# boot BOOTS times (default 3; the machine is shared: the median is reported)
median() { tr ' ' '\n' | grep . | sort -n | awk '{v[NR] = $1} END {if (NR) print v[int((NR + 1) / 2)]}'; }
boots="" tunboots=""
for b in $(seq "${BENCH_BOOTS:-3}"); do
	t0=$(ms)
	start_daemon "$dir/big.conf" || break
	t1=$(ms)
	boots="$boots $((t1 - t0))"
	for _ in $(seq 3000); do
		tuns=$(ip netns exec "$ns" ip -br link | grep -c '^Tunnel' || true)
		[ "$tuns" -ge "$N" ] && break
		sleep 0.01
	done
	[ "$tuns" -ge "$N" ] && tunboots="$tunboots $(($(ms) - t0))"
	if [ "$b" -lt "${BENCH_BOOTS:-3}" ]; then
		stop_daemon
		continue
	fi
	sleep 1 # let the post-boot work (registration attempts, timers) settle
	rss_big=$(rss "$pid")
	rc_ms=$(show_mean "show running-config")
	rc_lines=$(vsh "show running-config" | wc -l)
	sess_ms=$(show_mean "show vpn-sip session")
	sess_lines=$(vsh "show vpn-sip session" | grep -c 'Interface: Tunnel' || true)
	json_ms=$(show_mean "show vpn-sip session json")
	json_entries=$(vsh "show vpn-sip session json" |
		python3 -c 'import json, sys; print(len(json.load(sys.stdin)["sessions"]))' || true)
	snmp_walks
	grep -E '%[A-Z_]+-[0-3]-' "$dir/log" | head -3 >&2 || true
	stop_daemon
done
boot_ms=$(echo "$boots" | median)
tuns_ms=$(echo "$tunboots" | median)
echo "bench_control: boots (ms):$boots; until every TunnelN:$tunboots" >&2
per_tunnel=""
if [ -n "$rss_big" ] && [ -n "$rss_base" ] && [ "$N" -gt 0 ]; then
	per_tunnel=$(awk "BEGIN {printf \"%.1f\", ($rss_big - $rss_base) / $N}")
fi
cat >"$out" <<JSON
{
  "tunnels_configured": $N,
  "config_parse_1000_tunnels_ms": $(json_num "$parse_ms"),
  "config_load_1000_tunnels_ms": $(json_num "$boot_ms"),
  "config_load_all_tun_devices_ms": $(json_num "$tuns_ms"),
  "tun_devices_created": $(json_num "$tuns"),
  "show_running_config_ms": $(json_num "$rc_ms"),
  "show_running_config_lines": $(json_num "$rc_lines"),
  "show_session_1000_configured_ms": $(json_num "$sess_ms"),
  "show_session_1000_configured_listed": $(json_num "$sess_lines"),
  "show_session_json_1000_configured_ms": $(json_num "$json_ms"),
  "show_session_json_1000_configured_entries": $(json_num "$json_entries"),
  "snmp_walk_session_table_1000_ms": $(json_num "$walk_ms"),
  "snmp_bulkwalk_session_table_1000_ms": $(json_num "$bulk_ms"),
  "snmp_walk_session_table_rows": $(json_num "$walk_rows"),
  "rss_empty_config_kib": $(json_num "$rss_empty"),
  "rss_vpnsip_no_tunnel_kib": $(json_num "$rss_base"),
  "rss_1000_tunnels_kib": $(json_num "$rss_big"),
  "rss_per_configured_tunnel_kib": $(json_num "$per_tunnel")
}
JSON
cat "$out"
