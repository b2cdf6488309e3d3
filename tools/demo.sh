#!/bin/sh
# make demo: the VPN-SIP backup path end to end, in the lab (docs/lab.md).
#
# Two routers run vpnsipd with conf/demo/rtrX.conf (PSK; DEMO_AUTH=cert for
# the self-signed certificate variant).  The lab has no primary routes, so a
# ping from lanA to lanB's host goes into Tunnel1: the data plane triggers
# the SIP call through Kamailio (the carrier), IKEv2 comes up on the ports
# and fingerprints of the SDPs, the ping passes.  Then silence: the IPsec
# idle timer ends the session in TS-1017 4.2 order (SA delete, then BYE) and
# the carrier's CDR closes the call.  The lab is removed at the end.
#
# Environment: LAB_PREFIX (default vsdemo), DEMO_AUTH=psk|cert, VPNSIPD,
# VPNSIPSH (default build/vpnsipd, build/vpnsipsh).
set -eu
cd "$(dirname "$0")/.."
export LAB_PREFIX="${LAB_PREFIX:-vsdemo}"
lab=tests/lab/lab.sh
case "${DEMO_AUTH:-psk}" in
psk) suffix="" ;;
cert) suffix="-cert" ;;
*) echo "demo: DEMO_AUTH must be psk or cert" >&2; exit 2 ;;
esac
t0=$(date +%s)
capture=""
cleanup() {
	[ -n "$capture" ] && kill "$capture" 2>/dev/null
	$lab down >/dev/null 2>&1 || true
}
trap cleanup EXIT INT TERM

say() { printf '\n\033[1m== [%3ds] %s\033[0m\n' "$(($(date +%s) - t0))" "$*"; }
sh_() { # NODE COMMAND: as an operator would type it
	printf '%s# %s\n' "$1" "$2"
	$lab sh "$1" "$2"
}
wait_for() { # SECONDS WHAT COMMAND...: poll until COMMAND succeeds
	deadline=$(($(date +%s) + $1)); what=$2; shift 2
	while ! "$@" >/dev/null 2>&1; do
		if [ "$(date +%s)" -ge "$deadline" ]; then
			echo "demo: timed out waiting for $what" >&2
			for r in rtrA rtrB; do echo "--- $r log" >&2; $lab vpnsipd log "$r" | tail -30 >&2; done
			exit 1
		fi
		sleep 0.2
	done
}
registered() { $lab sh "$1" "show vpn-sip registration-status" | grep -q ": registered"; }
both_registered() { registered rtrA && registered rtrB; }
both_down() { log_has rtrA SESSION_DOWN && log_has rtrB SESSION_DOWN; }
state_is() { $lab sh "$1" "show vpn-sip session" | grep -q "Session status: $2"; }
log_has() { $lab vpnsipd log "$1" | grep -q "$2"; }
vlog() { # NODE PATTERN: the daemon's log lines that matter here
	$lab vpnsipd log "$1" | grep -E "$2" | sed "s/^/  $1: /"
}

say "the lab: NGN with Kamailio, two routers, two LAN hosts, no primary routes"
$lab up --no-primary-routes
dir=$($lab dir)

say "starting vpnsipd on rtrA and rtrB (conf/demo/rtrA$suffix.conf, rtrB$suffix.conf)"
$lab vpnsipd start rtrA "conf/demo/rtrA$suffix.conf" >/dev/null
$lab vpnsipd start rtrB "conf/demo/rtrB$suffix.conf" >/dev/null
wait_for 15 "the SIP registrations" both_registered
sh_ rtrA "show vpn-sip registration-status"
sh_ rtrB "show vpn-sip registration-status"
sh_ rtrA "show vpn-sip session"

# The carrier-side view of the wire: SIP and IKE/ESP-in-UDP on the NGN.
capture_start() { # FILE
	ip netns exec "$LAB_PREFIX-ngn" tshark -q -i ngn0 -f "udp port 5060 or udp port 4500" \
		-w "$1" >/dev/null 2>&1 &
	capture=$!
	wait_for 10 "the packet capture" test -s "$1"
}
capture_stop() {
	sleep 0.5
	kill "$capture" 2>/dev/null || true
	wait "$capture" 2>/dev/null || true
	capture=""
}
flow() { # FILE FILTER: one line per SIP message or IKE exchange, in wire order
	tshark -r "$1" -Y "$2" -T fields -E separator='|' -e frame.time_relative -e ip.src -e ip.dst \
		-e sip.Method -e sip.Status-Code -e sip.CSeq.method -e isakmp.exchangetype \
		-e isakmp.flag_r 2>/dev/null |
		awk -F'|' '{
			if ($4 != "") what = "SIP " $4;
			else if ($5 != "") what = "SIP " $5 " (" $6 ")";
			else {
				x = $7; n = x;
				if (x == 34) n = "IKE_SA_INIT"; else if (x == 35) n = "IKE_AUTH";
				else if (x == 36) n = "CREATE_CHILD_SA"; else if (x == 37) n = "INFORMATIONAL";
				what = "IKE " n (($8 == "1" || $8 == "True") ? " response" : " request");
			}
			printf "  %8.3f s  %-11s -> %-11s %s\n", $1, $2, $3, what
		}'
}
capture_start "$dir/setup.pcap"

say "lanA pings lanB's host 203.0.113.10: the first packet into Tunnel1 places the call"
ts=$(date +%s%N)
wait_for 30 "the ping through Tunnel1" $lab exec lanA ping -c 1 -W 1 203.0.113.10
te=$(date +%s%N)
echo "$ts $te" | awk '{ printf "first reply after %.1f s (call, answer, IKE_SA_INIT, IKE_AUTH)\n", ($2 - $1) / 1e9 }'
$lab exec lanA ping -c 3 -i 0.3 203.0.113.10
capture_stop

say "on the wire (NGN): INVITE/200/ACK through Kamailio, then IKE on the SDP's ports"
flow "$dir/setup.pcap" 'sip.Method || sip.Status-Code || isakmp'
say "the call at the carrier: Kamailio's call-detail records"
$lab cdr | grep -E "START|ANSWER" | tail -2

say "the session on both routers"
sh_ rtrA "show vpn-sip session detail"
sh_ rtrB "show vpn-sip session detail"
sh_ rtrA "show crypto session detail"
sh_ rtrB "show crypto session detail"
vlog rtrA "TRIGGER|CALL_OUT|NEGOTIATED|SESSION_UP|Crypto tunnel is UP"
vlog rtrB "CALL_IN|NEGOTIATED|SESSION_UP|Crypto tunnel is UP"

say "silence: the IPsec idle timer (60 s) ends the session"
capture_start "$dir/teardown.pcap"
wait_for 100 "the idle teardown on rtrA and rtrB" both_down
wait_for 10 "READY_TO_CONNECT" state_is rtrA READY_TO_CONNECT
vlog rtrA "IDLE|CALL_CLEAR|Crypto tunnel is DOWN|CALL_END|SESSION_DOWN|CDR"
vlog rtrB "Crypto tunnel is DOWN|CALL_END|SESSION_DOWN|CDR"

capture_stop
say "on the wire (NGN): the SA delete (IKE INFORMATIONAL) comes before the BYE"
flow "$dir/teardown.pcap" 'isakmp.exchangetype == 37 || sip.Method == "BYE" || sip.CSeq.method == "BYE"'

say "the call's end at the carrier"
$lab cdr | grep -E "END|CALL " | tail -2
sh_ rtrA "show vpn-sip session"
sh_ rtrA "show vpn-sip call-history"

say "SIGTERM to both daemons, the lab goes down"
$lab vpnsipd stop rtrA >/dev/null
$lab vpnsipd stop rtrB >/dev/null
$lab down >/dev/null 2>&1
trap - EXIT INT TERM
say "done in $(($(date +%s) - t0)) s"
