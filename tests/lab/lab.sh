#!/bin/bash
# vpnsip carrier-network lab: network namespaces joined by veth pairs,
# Kamailio as the NGN SIP server, dnsmasq for DHCP (options 120/125) and DNS.
# See docs/lab.md for the topology, the address plan and every command.
#
#   lab.sh up [--routers N] [--no-primary-routes] [--backup static|dhcp|none]
#             [--auth] [--sip-option domain|ipv4]
#   lab.sh down | status
#   lab.sh exec NODE CMD...          run CMD inside NODE's namespace
#   lab.sh addr NODE [IFACE] [-6]    print NODE's main (or IFACE's) address
#   lab.sh number NODE               the phone number of router NODE
#   lab.sh fail-primary [--drop] [ROUTER...] | restore-primary [ROUTER...]
#   lab.sh kam reject NUMBER|* CODE [REASON] | unreject NUMBER|*
#   lab.sh kam regreject NUMBER|* CODE [REASON] | unregreject NUMBER|*
#   lab.sh kam delay NUMBER|* MS | undelay NUMBER|*
#   lab.sh kam drop TYPE | undrop TYPE   (TYPE: METHOD, CODE or CODE:METHOD)
#   lab.sh kam auth on|off | user NUMBER PASSWORD | clear | restart
#   lab.sh kam registrations | rpc CMD [ARGS...]
#   lab.sh cdr                       print the call detail records
#   lab.sh kam2 start|stop|registrations|cdr|rpc ...
#                                    a second SIP server (Kamailio at 192.0.2.2):
#                                    the kam commands against it
#   lab.sh dhcp-sip domain|ipv4 [ADDRESS...]
#                                    switch the encoding of DHCP option 120 (ipv4:
#                                    the addresses it gives, default 192.0.2.1)
#   lab.sh dhcp-router on|off        DHCP option 3 (default off: no default route)
#   lab.sh dhcp-host ROUTER [ADDRESS [LEASE]]
#                                    what dnsmasq gives ROUTER's bak0 (default: its
#                                    plan address, an infinite lease)
#   lab.sh dnsmasq stop|start        the DHCP and DNS server goes away, comes back
#   lab.sh dhcp ROUTER [--apply]     run the lab's DHCP client on bak0
#   lab.sh vpnsipd start NODE CONFIG [ARGS...] | stop NODE | log NODE
#                                    (stop exits 1 and says why when vpnsipd
#                                    did not exit 0 within VPNSIPD_STOP_WAIT s
#                                    or its log has a sanitizer report)
#   lab.sh sh NODE CMD...            build/vpnsipsh -S NODE's socket -c "CMD..."
#
# Environment: LAB_PREFIX (default vs: namespaces vs-ngn, vs-rtrA, ...),
# LAB_DIR (default /tmp/vpnsip-lab.$LAB_PREFIX), LAB_SIP_DOMAIN
# (example.ne.jp), VPNSIPD / VPNSIPSH (build/vpnsipd, build/vpnsipsh),
# VPNSIPD_STOP_WAIT (seconds from SIGTERM to SIGKILL, default 20),
# LAB_SAVE_LOGS (a directory: `down` copies the lab's logs there first).
set -eu

HERE=$(cd "$(dirname "$0")" && pwd)
TOP=$(cd "$HERE/../.." && pwd)
LAB_PREFIX=${LAB_PREFIX:-vs}
LAB_DIR=${LAB_DIR:-/tmp/vpnsip-lab.$LAB_PREFIX}
LAB_SIP_DOMAIN=${LAB_SIP_DOMAIN:-example.ne.jp}
VPNSIPD=${VPNSIPD:-$TOP/build/vpnsipd}
VPNSIPSH=${VPNSIPSH:-$TOP/build/vpnsipsh}
# vpnsipd's own shutdown takes up to 5 s (sessions end) plus 3 s (SIP
# unregisters), and the sanitizer build's leak check comes after that
VPNSIPD_STOP_WAIT=${VPNSIPD_STOP_WAIT:-20}
MAX_ROUTERS=26
PYTHON=${LAB_PYTHON:-/usr/bin/python3}
[ -x "$PYTHON" ] || PYTHON=python3
# RFC 5612: the enterprise number reserved for documentation
VIVSO_ENTERPRISE=${LAB_VIVSO_ENTERPRISE:-32473}

case "$LAB_PREFIX" in
*[!A-Za-z0-9_]* | "") echo "lab: LAB_PREFIX must be [A-Za-z0-9_]+" >&2; exit 2 ;;
esac

die() { echo "lab: $*" >&2; exit 1; }
say() { echo "lab: $*" >&2; }

ns() { echo "$LAB_PREFIX-$1"; }
in_ns() { local n=$1; shift; ip netns exec "$(ns "$n")" "$@"; }

# ---------------------------------------------------------------- address plan
letter() { # 1 -> A ... 26 -> Z
	local o
	o=$(printf '%03o' $((64 + $1)))
	# shellcheck disable=SC2059
	printf "\\$o"
}
router_index() {
	case "$1" in
	rtr[A-Z])
		local c
		c=$(printf '%d' "'${1#rtr}")
		echo $((c - 64))
		;;
	*) die "not a router: $1" ;;
	esac
}
number_of() { # router index -> phone number
	local i=$1 d
	if [ "$i" -le 9 ]; then d=$i$i$i$i$i$i$i$i; else d=$i$i$i$i; fi
	echo "03$d"
}
password_of() { echo "pw$1"; }
mac_of() { printf '02:76:73:00:02:%02x' "$1"; }

NGN4=192.0.2.1
NGN6=2001:db8:0:1::1
# the second SIP server (kam2): option 120 moving to another server
NGN4_2=192.0.2.2
NGN6_2=2001:db8:0:1::2
INET4=198.51.100.1
INET6=2001:db8:100::1
bak4() { echo "192.0.2.$((10 + $1))"; }
bak6() { echo "2001:db8:0:1::$((10 + $1))"; }
wan4() { echo "198.51.100.$((4 * $1 + 2))"; }
gw4() { echo "198.51.100.$((4 * $1 + 1))"; }
wan6() { echo "2001:db8:100:$1::2"; }
gw6() { echo "2001:db8:100:$1::1"; }
lan4() { echo "203.0.113.$((8 * ($1 - 1) + 1))"; }    # router side, /29
host4() { echo "203.0.113.$((8 * ($1 - 1) + 2))"; }   # LAN host
lannet4() { echo "203.0.113.$((8 * ($1 - 1)))/29"; }
lan6() { echo "2001:db8:200:$1::1"; }
host6() { echo "2001:db8:200:$1::2"; }
lannet6() { echo "2001:db8:200:$1::/64"; }

# ---------------------------------------------------------------- lab state
load_state() {
	[ -f "$LAB_DIR/state" ] || die "no lab is up (LAB_PREFIX=$LAB_PREFIX)"
	# shellcheck disable=SC1091
	. "$LAB_DIR/state"
}

routers() {
	local i
	for i in $(seq 1 "$ROUTERS"); do echo "rtr$(letter "$i")"; done
}

lab_namespaces() { # every namespace of this prefix, whatever state says
	ip netns list 2>/dev/null | awk '{print $1}' |
		grep -E "^${LAB_PREFIX}-(ngn|inet|rtr[A-Z]|lan[A-Z])\$" || true
}

node_exists() { ip netns list 2>/dev/null | awk '{print $1}' | grep -qx "$(ns "$1")"; }

alive() { # PID: running and not a zombie (our daemons' parent may not reap them)
	local st
	[ -r "/proc/$1/stat" ] || return 1
	st=$(sed 's/.*) //' "/proc/$1/stat" 2>/dev/null | cut -d' ' -f1) || return 1
	[ -n "$st" ] && [ "$st" != Z ] && [ "$st" != X ]
}

pidfile_alive() { [ -f "$1" ] && alive "$(cat "$1" 2>/dev/null)"; }

kill_pidfile() { # kill_pidfile FILE [SECONDS]: TERM, wait (default 5 s), then KILL
	local f=$1 pid n=0 max=$((${2:-5} * 20))
	[ -f "$f" ] || return 0
	pid=$(cat "$f" 2>/dev/null || true)
	rm -f "$f"
	case "$pid" in '' | *[!0-9]*) return 0 ;; esac
	kill -TERM "$pid" 2>/dev/null || return 0
	while alive "$pid" && [ $n -lt $max ]; do sleep 0.05; n=$((n + 1)); done
	kill -KILL "$pid" 2>/dev/null || true
}

# ---------------------------------------------------------------- down
cmd_down() {
	local n pids pid
	if [ -n "${LAB_SAVE_LOGS:-}" ] && [ -d "$LAB_DIR" ]; then
		mkdir -p "$LAB_SAVE_LOGS"
		find "$LAB_DIR" -name '*.log' -exec cp {} "$LAB_SAVE_LOGS"/ \; 2>/dev/null || true
	fi
	# our daemons first (orderly: vpnsipd before the carrier it talks to),
	# then anything still running inside our namespaces (SIPp, ping ...
	# started by tests).  A test stops its vpnsipd itself, checking how it
	# ended (vpnsipd stop); here it only gets the time its shutdown needs.
	for f in "$LAB_DIR"/*/vpnsipd.pid; do
		[ -e "$f" ] && kill_pidfile "$f" "$VPNSIPD_STOP_WAIT"
	done
	for f in "$LAB_DIR"/*/*.pid; do
		[ -e "$f" ] && kill_pidfile "$f"
	done
	for n in $(lab_namespaces); do
		pids=$(ip netns pids "$n" 2>/dev/null || true)
		for pid in $pids; do kill -TERM "$pid" 2>/dev/null || true; done
	done
	for n in $(lab_namespaces); do
		for _ in 1 2 3 4 5 6 7 8 9 10; do
			pids=$(ip netns pids "$n" 2>/dev/null || true)
			[ -z "$pids" ] && break
			sleep 0.1
		done
		for pid in $(ip netns pids "$n" 2>/dev/null || true); do
			kill -KILL "$pid" 2>/dev/null || true
		done
		# deleting a namespace destroys the veth ends in it (and their peers)
		ip netns del "$n" 2>/dev/null || true
	done
	case "$LAB_DIR" in
	/tmp/* | /run/* | /var/tmp/*) rm -rf "$LAB_DIR" ;;
	*) [ -f "$LAB_DIR/state" ] && rm -rf "$LAB_DIR" ;;
	esac
	return 0
}

# ---------------------------------------------------------------- up
new_ns() {
	local n=$1
	ip netns add "$(ns "$n")"
	in_ns "$n" ip link set lo up
	# quiet, deterministic IPv6: no DAD, no RA/autoconf
	in_ns "$n" sysctl -qw net.ipv6.conf.all.accept_dad=0 net.ipv6.conf.default.accept_dad=0 \
		net.ipv6.conf.all.accept_ra=0 net.ipv6.conf.default.accept_ra=0 \
		net.ipv6.conf.all.autoconf=0 net.ipv6.conf.default.autoconf=0 \
		net.ipv6.conf.all.keep_addr_on_down=1 net.ipv6.conf.default.keep_addr_on_down=1
	mkdir -p "$LAB_DIR/$n"
}

# veth NODE1 IF1 NODE2 IF2: a veth pair created directly inside the two
# namespaces (never visible in the root namespace)
veth() {
	ip -n "$(ns "$1")" link add "$2" type veth peer name "$4" netns "$(ns "$3")"
}

inet_routes() { # (re)install inet's routes towards router $1
	local i=$1 r
	r=rtr$(letter "$i")
	ip -n "$(ns inet)" route replace "$(lannet4 "$i")" via "$(wan4 "$i")" dev "$r"
	ip -n "$(ns inet)" -6 route replace "$(lannet6 "$i")" via "$(wan6 "$i")" dev "$r"
}

option120_hex() { # encoding -> hex bytes for dnsmasq (RFC 3361)
	case "$1" in
	domain)
		# encoding 0, then the domain in RFC 1035 label form
		printf '00'
		echo "$LAB_SIP_DOMAIN" | tr '.' '\n' | while read -r label; do
			printf ':%02x' "${#label}"
			printf '%s' "$label" | od -An -tx1 -v | tr -s ' \n' '::' | sed 's/:$//'
		done
		printf ':00\n'
		;;
	ipv4)
		local a
		printf '01'
		for a in ${SIP_ADDRS:-$NGN4}; do
			echo "$a" | tr '.' '\n' | while read -r o; do printf ':%02x' "$o"; done
		done
		echo
		;;
	*) die "option 120 encoding must be domain or ipv4" ;;
	esac
}

option125_hex() { # RFC 3925: enterprise, data-len, sub-option 1 = "vpnsip-lab"
	local sub="vpnsip-lab" subhex ent
	subhex=$(printf '%s' "$sub" | od -An -tx1 -v | tr -s ' \n' '::' | sed 's/^://; s/:$//')
	ent=$(printf '%08x' "$VIVSO_ENTERPRISE" | sed 's/../&:/g; s/:$//')
	printf '%s:%02x:01:%02x:%s\n' "$ent" $((${#sub} + 2)) "${#sub}" "$subhex"
}

write_dhcp_opts() {
	{
		echo "option:dns-server,$NGN4"
		echo "option:domain-name,$LAB_SIP_DOMAIN"
		echo "120,$(option120_hex "$SIP_OPTION")"
		echo "125,$(option125_hex)"
		# no router option unless asked: the backup link gives no default route
		if [ "${DHCP_ROUTER:-off}" = on ]; then
			echo "option:router,$NGN4"
		else
			echo "option:router"
		fi
	} >"$LAB_DIR/ngn/dhcp-opts"
}

# dnsmasq's dhcp-hostsfile (re-read on SIGHUP): each router's bak0 gets
# its plan address with an infinite lease, or what dhcp-host set
# (ngn/dhcp-hosts.override: "ROUTER ADDRESS LEASE" lines)
write_dhcp_hosts() {
	local d=$LAB_DIR/ngn i r a l o
	for i in $(seq 1 "$ROUTERS"); do
		r=rtr$(letter "$i")
		a=$(bak4 "$i")
		l=infinite
		o=$(awk -v r="$r" '$1 == r {print $2, $3}' "$d/dhcp-hosts.override" 2>/dev/null || true)
		if [ -n "$o" ]; then
			a=${o% *}
			l=${o#* }
		fi
		echo "$(mac_of "$i"),$a,$r,$l"
	done >"$d/dhcp-hosts"
}

start_dnsmasq() {
	local d=$LAB_DIR/ngn
	{
		echo "no-resolv"
		echo "no-hosts"
		echo "no-poll"
		# answer only from the lab's own records (NXDOMAIN for the rest)
		echo "local=/#/"
		echo "bind-interfaces"
		echo "interface=ngn0"
		echo "listen-address=$NGN4"
		echo "except-interface=lo"
		echo "host-record=$LAB_SIP_DOMAIN,$NGN4,$NGN6"
		echo "host-record=sip.$LAB_SIP_DOMAIN,$NGN4,$NGN6"
		echo "srv-host=_sip._udp.$LAB_SIP_DOMAIN,sip.$LAB_SIP_DOMAIN,5060,0,0"
		echo "srv-host=_sip._tcp.$LAB_SIP_DOMAIN,sip.$LAB_SIP_DOMAIN,5060,0,0"
		echo "dhcp-authoritative"
		echo "dhcp-range=192.0.2.200,192.0.2.249,255.255.255.0,1h"
		echo "dhcp-hostsfile=$d/dhcp-hosts"
		echo "dhcp-optsfile=$d/dhcp-opts"
		echo "dhcp-leasefile=$d/dnsmasq.leases"
		echo "log-dhcp"
		echo "log-queries"
		echo "log-facility=$d/dnsmasq.log"
	} >"$d/dnsmasq.conf"
	write_dhcp_hosts
	write_dhcp_opts
	ip netns exec "$(ns ngn)" setsid dnsmasq --keep-in-foreground --conf-file="$d/dnsmasq.conf" \
		--user=root --group=root --pid-file="$d/dnsmasq.pid.dnsmasq" \
		</dev/null >>"$d/dnsmasq.log" 2>&1 &
	echo $! >"$d/dnsmasq.pid"
	for _ in $(seq 1 50); do
		if in_ns ngn ss -Hlun 2>/dev/null | grep -q ':67 '; then return 0; fi
		pidfile_alive "$d/dnsmasq.pid" || break
		sleep 0.1
	done
	tail -20 "$d/dnsmasq.log" >&2 || true
	die "dnsmasq did not start"
}

# The Kamailio the kam commands act on: 1, the NGN's SIP server
# (LAB_DIR/ngn, 192.0.2.1), or 2, a second one (LAB_DIR/ngn2, 192.0.2.2)
kam_instance() {
	case "$1" in
	1) KAM_DIR=$LAB_DIR/ngn KAM4=$NGN4 KAM6=$NGN6 ;;
	2) KAM_DIR=$LAB_DIR/ngn2 KAM4=$NGN4_2 KAM6=$NGN6_2 ;;
	esac
}
kam_instance 1

kamcmd_() { in_ns ngn kamcmd -s "unix:$KAM_DIR/kamailio.ctl" "$@"; }

# knobs persist in $LAB_DIR/ngn/knobs ("TYPE KEY VALUE" lines; TYPE s or i)
# and are re-applied after a Kamailio restart
knob_apply() { # TYPE KEY VALUE
	if [ "$1" = i ]; then
		kamcmd_ htable.seti knobs "s:$2" "$3" >/dev/null
	else
		kamcmd_ htable.sets knobs "s:$2" "s:$3" >/dev/null
	fi
}
knob_set() { # TYPE KEY VALUE
	local f=$KAM_DIR/knobs
	touch "$f"
	awk -v k="$2" '$2 != k' "$f" >"$f.new" && mv "$f.new" "$f"
	printf '%s %s %s\n' "$1" "$2" "$3" >>"$f"
	knob_apply "$1" "$2" "$3"
}
knob_del() { # KEY
	local f=$KAM_DIR/knobs
	touch "$f"
	awk -v k="$1" '$2 != k' "$f" >"$f.new" && mv "$f.new" "$f"
	kamcmd_ htable.delete knobs "s:$1" >/dev/null 2>&1 || true
}
cred_set() { # NUMBER PASSWORD
	local f=$KAM_DIR/creds
	touch "$f"
	awk -v k="$1" '$1 != k' "$f" >"$f.new" && mv "$f.new" "$f"
	printf '%s %s\n' "$1" "$2" >>"$f"
	kamcmd_ htable.sets cred "s:$1" "s:$2" >/dev/null
}

start_kamailio() {
	local d=$KAM_DIR t k v
	mkdir -p "$d/run"
	rm -f "$d/kam.fifo" "$d/kamailio.ctl"
	mkfifo "$d/kam.fifo"
	ip netns exec "$(ns ngn)" setsid "$PYTHON" "$HERE/logsplit.py" "$d/kam.fifo" "$d/kamailio.log" "$d/cdr.log" \
		</dev/null >/dev/null 2>>"$d/logsplit.err" &
	echo $! >"$d/logsplit.pid"
	touch "$d/cdr.log"
	ip netns exec "$(ns ngn)" setsid kamailio -DD -E -f "$HERE/kamailio.cfg" -Y "$d/run" -w "$d" \
		-m 64 -M 8 -a no \
		-l "udp:$KAM4:5060" -l "tcp:$KAM4:5060" \
		-l "udp:[$KAM6]:5060" -l "tcp:[$KAM6]:5060" \
		-A "SIPDOMAIN=\"$LAB_SIP_DOMAIN\"" -A "CTLSOCK=\"unix:$d/kamailio.ctl\"" \
		</dev/null >"$d/kam.fifo" 2>&1 &
	echo $! >"$d/kamailio.pid"
	for _ in $(seq 1 100); do
		if [ -S "$d/kamailio.ctl" ] && kamcmd_ core.uptime >/dev/null 2>&1; then
			break
		fi
		if ! pidfile_alive "$d/kamailio.pid"; then
			sleep 0.2
			tail -30 "$d/kamailio.log" >&2 || true
			die "kamailio exited"
		fi
		sleep 0.1
	done
	kamcmd_ core.uptime >/dev/null 2>&1 || die "kamailio does not answer on $d/kamailio.ctl"
	if [ -f "$d/creds" ]; then
		while read -r k v; do
			kamcmd_ htable.sets cred "s:$k" "s:$v" >/dev/null
		done <"$d/creds"
	fi
	if [ -f "$d/knobs" ]; then
		while read -r t k v; do knob_apply "$t" "$k" "$v"; done <"$d/knobs"
	fi
}

stop_kamailio() {
	local d=$KAM_DIR
	kill_pidfile "$d/kamailio.pid"
	# logsplit ends at EOF once every kamailio process is gone
	for _ in $(seq 1 30); do
		pidfile_alive "$d/logsplit.pid" || break
		sleep 0.1
	done
	kill_pidfile "$d/logsplit.pid"
}

up_cleanup() {
	local rc=$?
	if [ "$rc" -ne 0 ]; then
		say "up failed, cleaning up"
		cmd_down
	fi
}

cmd_up() {
	local i r l primary_routes=1 backup=static auth=0 sip_option=domain routers_n=2
	while [ $# -gt 0 ]; do
		case "$1" in
		--routers) routers_n=${2:?}; shift ;;
		--routers=*) routers_n=${1#*=} ;;
		--no-primary-routes) primary_routes=0 ;;
		--backup) backup=${2:?}; shift ;;
		--backup=*) backup=${1#*=} ;;
		--auth) auth=1 ;;
		--sip-option) sip_option=${2:?}; shift ;;
		--sip-option=*) sip_option=${1#*=} ;;
		*) die "up: unknown option $1" ;;
		esac
		shift
	done
	case "$routers_n" in '' | *[!0-9]*) die "--routers needs a number" ;; esac
	if [ "$routers_n" -lt 1 ] || [ "$routers_n" -gt $MAX_ROUTERS ]; then
		die "--routers must be 1..$MAX_ROUTERS"
	fi
	case "$backup" in static | dhcp | none) ;; *) die "--backup static|dhcp|none" ;; esac
	case "$sip_option" in domain | ipv4) ;; *) die "--sip-option domain|ipv4" ;; esac

	# recover from an earlier run or crash with the same prefix
	if [ -n "$(lab_namespaces)" ] || [ -e "$LAB_DIR" ]; then
		say "removing the previous lab $LAB_PREFIX"
		cmd_down
	fi
	# any failure from here on removes what was built
	trap up_cleanup EXIT
	trap 'exit 130' INT TERM

	mkdir -p "$LAB_DIR"
	ROUTERS=$routers_n PRIMARY_ROUTES=$primary_routes BACKUP=$backup SIP_OPTION=$sip_option
	cat >"$LAB_DIR/state" <<-EOF
		ROUTERS=$ROUTERS
		PRIMARY_ROUTES=$PRIMARY_ROUTES
		BACKUP=$BACKUP
		SIP_OPTION=$SIP_OPTION
		LAB_SIP_DOMAIN=$LAB_SIP_DOMAIN
	EOF

	new_ns ngn
	ip -n "$(ns ngn)" link add ngn0 type bridge
	ip -n "$(ns ngn)" addr add "$NGN4/24" dev ngn0
	ip -n "$(ns ngn)" addr add "$NGN6/64" dev ngn0 nodad
	ip -n "$(ns ngn)" link set ngn0 up

	new_ns inet
	in_ns inet sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1
	ip -n "$(ns inet)" addr add "$INET4/32" dev lo
	ip -n "$(ns inet)" addr add "$INET6/128" dev lo

	for i in $(seq 1 "$ROUTERS"); do
		l=$(letter "$i")
		r=rtr$l
		new_ns "$r"
		new_ns "lan$l"
		in_ns "$r" sysctl -qw net.ipv4.ip_forward=1 net.ipv6.conf.all.forwarding=1 \
			net.ipv4.conf.all.ignore_routes_with_linkdown=1 \
			net.ipv4.conf.default.ignore_routes_with_linkdown=1 \
			net.ipv6.conf.all.ignore_routes_with_linkdown=1 \
			net.ipv6.conf.default.ignore_routes_with_linkdown=1

		# backup WAN: bak0 <-> port rtrX of the NGN bridge
		veth "$r" bak0 ngn "$r"
		ip -n "$(ns "$r")" link set bak0 address "$(mac_of "$i")"
		ip -n "$(ns ngn)" link set "$r" master ngn0 up
		ip -n "$(ns "$r")" addr add "$(bak6 "$i")/64" dev bak0 nodad
		ip -n "$(ns "$r")" link set bak0 up

		# primary WAN: wan0 <-> rtrX in inet, a routed /30
		veth "$r" wan0 inet "$r"
		ip -n "$(ns inet)" addr add "$(gw4 "$i")/30" dev "$r"
		ip -n "$(ns inet)" addr add "$(gw6 "$i")/64" dev "$r" nodad
		ip -n "$(ns inet)" link set "$r" up
		ip -n "$(ns "$r")" addr add "$(wan4 "$i")/30" dev wan0
		ip -n "$(ns "$r")" addr add "$(wan6 "$i")/64" dev wan0 nodad
		ip -n "$(ns "$r")" link set wan0 up
		# the internet: always reachable through the primary
		ip -n "$(ns "$r")" route add 198.51.100.0/24 via "$(gw4 "$i")" dev wan0
		ip -n "$(ns "$r")" -6 route add 2001:db8:100::/48 via "$(gw6 "$i")" dev wan0
		if [ "$PRIMARY_ROUTES" = 1 ]; then
			# the other LANs through the primary (a plain static route)
			ip -n "$(ns "$r")" route add 203.0.113.0/24 via "$(gw4 "$i")" dev wan0
			ip -n "$(ns "$r")" -6 route add 2001:db8:200::/48 via "$(gw6 "$i")" dev wan0
		fi
		inet_routes "$i"

		# LAN: lan0 <-> eth0 of the LAN host
		veth "$r" lan0 "lan$l" eth0
		ip -n "$(ns "$r")" addr add "$(lan4 "$i")/29" dev lan0
		ip -n "$(ns "$r")" addr add "$(lan6 "$i")/64" dev lan0 nodad
		ip -n "$(ns "$r")" link set lan0 up
		ip -n "$(ns "lan$l")" addr add "$(host4 "$i")/29" dev eth0
		ip -n "$(ns "lan$l")" addr add "$(host6 "$i")/64" dev eth0 nodad
		ip -n "$(ns "lan$l")" link set eth0 up
		# (a default route inside the lab: it points at the router namespace)
		ip -n "$(ns "lan$l")" route add default via "$(lan4 "$i")" dev eth0
		ip -n "$(ns "lan$l")" -6 route add default via "$(lan6 "$i")" dev eth0
	done

	start_dnsmasq
	start_kamailio
	for i in $(seq 1 "$ROUTERS"); do
		cred_set "$(number_of "$i")" "$(password_of "$(number_of "$i")")"
	done
	[ "$auth" = 1 ] && knob_set i auth 1

	for i in $(seq 1 "$ROUTERS"); do
		r=rtr$(letter "$i")
		case "$BACKUP" in
		static) ip -n "$(ns "$r")" addr add "$(bak4 "$i")/24" dev bak0 ;;
		dhcp) in_ns "$r" "$PYTHON" "$HERE/dhcpc.py" bak0 --apply >"$LAB_DIR/$r/dhcp.json" ||
			die "DHCP on $r failed" ;;
		none) ;;
		esac
	done
	# fault hook for the lab's own self-test: fail after everything started
	[ "${LAB_FAULT:-}" = up ] && die "up: failing on purpose (LAB_FAULT=up)"
	trap - EXIT INT TERM
	say "up: prefix $LAB_PREFIX, $ROUTERS routers, state in $LAB_DIR"
}

# ---------------------------------------------------------------- status
cmd_status() {
	local n d i r
	if [ ! -f "$LAB_DIR/state" ]; then
		echo "lab $LAB_PREFIX: down"
		n=$(lab_namespaces)
		if [ -n "$n" ]; then echo "stale namespaces (run down):" "$n"; fi
		return 0
	fi
	load_state
	echo "lab $LAB_PREFIX: up, $ROUTERS routers, dir $LAB_DIR, domain $LAB_SIP_DOMAIN"
	echo "primary routes: $PRIMARY_ROUTES, backup addressing: $BACKUP, option 120: $SIP_OPTION"
	echo "namespaces: $(lab_namespaces | tr '\n' ' ')"
	d=$LAB_DIR/ngn
	for n in kamailio dnsmasq; do
		if pidfile_alive "$d/$n.pid"; then
			echo "$n: running (pid $(cat "$d/$n.pid"))"
		else
			echo "$n: NOT running"
		fi
	done
	for i in $(seq 1 "$ROUTERS"); do
		r=rtr$(letter "$i")
		printf '%s: number %s bak0 %s wan0 %s primary %s' "$r" "$(number_of "$i")" \
			"$(bak4 "$i")" "$(wan4 "$i")" \
			"$(ip -n "$(ns inet)" -br link show "$r" | awk '{print $2}')"
		if pidfile_alive "$LAB_DIR/$r/vpnsipd.pid"; then
			printf ' vpnsipd %s' "$(cat "$LAB_DIR/$r/vpnsipd.pid")"
		fi
		echo
	done
	if [ -f "$LAB_DIR/ngn/knobs" ] && [ -s "$LAB_DIR/ngn/knobs" ]; then
		echo "knobs:"
		sed 's/^/  /' "$LAB_DIR/ngn/knobs"
	fi
}

# ---------------------------------------------------------------- addresses
cmd_addr() {
	pick() { if [ "$fam" = 6 ]; then "$2" "$3"; else "$1" "$3"; fi; }
	local node=${1:?addr NODE [IFACE] [-6]} ifc="" fam=4 i
	shift
	for a in "$@"; do
		case "$a" in -6) fam=6 ;; -4) fam=4 ;; *) ifc=$a ;; esac
	done
	load_state
	case "$node" in
	ngn) if [ $fam = 6 ]; then echo "$NGN6"; else echo "$NGN4"; fi ;;
	inet)
		if [ -n "$ifc" ]; then
			i=$(router_index "$ifc")
			pick gw4 gw6 "$i"
		else
			if [ $fam = 6 ]; then echo "$INET6"; else echo "$INET4"; fi
		fi
		;;
	rtr[A-Z])
		i=$(router_index "$node")
		case "${ifc:-bak0}" in
		bak0)
			if [ $fam = 6 ]; then bak6 "$i"; else
				# the DHCP-assigned address may differ in --backup dhcp|none labs
				ip -n "$(ns "$node")" -4 -o addr show dev bak0 | awk '{split($4, a, "/"); print a[1]; f=1} END {if (!f) exit 1}' ||
					bak4 "$i"
			fi
			;;
		wan0) pick wan4 wan6 "$i" ;;
		lan0) pick lan4 lan6 "$i" ;;
		*) die "unknown interface $ifc" ;;
		esac
		;;
	lan[A-Z])
		i=$(router_index "rtr${node#lan}")
		pick host4 host6 "$i"
		;;
	*) die "unknown node $node" ;;
	esac
}

check_node() {
	load_state
	node_exists "$1" || die "no such node: $1"
}

# ---------------------------------------------------------------- primary path
cmd_fail_primary() {
	local mode="link" r i rs=""
	load_state
	while [ $# -gt 0 ]; do
		case "$1" in
		--drop) mode="drop" ;;
		--link) mode="link" ;;
		*) rs="$rs $1" ;;
		esac
		shift
	done
	[ -n "$rs" ] || rs=$(routers)
	for r in $rs; do
		i=$(router_index "$r")
		[ "$i" -le "$ROUTERS" ] || die "no such router: $r"
		if [ $mode = link ]; then
			# inet's end goes down: the router sees NO-CARRIER on wan0 and, with
			# ignore_routes_with_linkdown, stops using its primary routes
			ip -n "$(ns inet)" link set "$r" down
		else
			# blackhole: links and routes stay up, inet drops the traffic
			in_ns inet nft -f - <<-EOF
				table inet vslab {
					chain fwdrop { type filter hook forward priority 0; policy accept; }
					chain indrop { type filter hook input priority 0; policy accept; }
				}
				add rule inet vslab fwdrop iifname "$r" drop
				add rule inet vslab fwdrop oifname "$r" drop
				add rule inet vslab indrop iifname "$r" drop
			EOF
		fi
	done
}

cmd_restore_primary() {
	local r i rs="$*"
	load_state
	[ -n "$rs" ] || rs=$(routers)
	for r in $rs; do
		i=$(router_index "$r")
		[ "$i" -le "$ROUTERS" ] || die "no such router: $r"
		ip -n "$(ns inet)" link set "$r" up
		inet_routes "$i"
		if in_ns inet nft list table inet vslab >/dev/null 2>&1; then
			for h in $(in_ns inet nft -a list table inet vslab |
				awk -v r="\"$r\"" '$0 ~ r && /handle/ {print $NF}'); do
				for c in fwdrop indrop; do
					in_ns inet nft delete rule inet vslab "$c" handle "$h" 2>/dev/null || true
				done
			done
		fi
	done
}

# ---------------------------------------------------------------- kamailio knobs
cmd_kam() {
	local what=${1:?kam reject|unreject|regreject|unregreject|delay|undelay|drop|undrop|auth|user|clear|restart|registrations|rpc}
	shift
	load_state
	case "$what" in
	reject | regreject)
		[ $# -ge 2 ] || die "kam $what NUMBER|* CODE [REASON]"
		local num=$1 code=$2
		shift 2
		case "$code" in [3-6][0-9][0-9]) ;; *) die "bad SIP code $code" ;; esac
		knob_set s "$what:$num" "$code${1:+ $*}"
		;;
	unreject | unregreject) knob_del "${what#un}:${1:?NUMBER}" ;;
	delay)
		[ $# -eq 2 ] || die "kam delay NUMBER|* MS"
		case "$2" in '' | *[!0-9]*) die "delay in integer ms" ;; esac
		knob_set i "delay:$1" "$2"
		;;
	undelay) knob_del "delay:${1:?NUMBER}" ;;
	drop) knob_set i "drop:${1:?TYPE}" 1 ;;
	undrop) knob_del "drop:${1:?TYPE}" ;;
	auth)
		case "${1:-}" in
		on) knob_set i auth 1 ;;
		off) knob_del auth ;;
		*) die "kam auth on|off" ;;
		esac
		;;
	user) cred_set "${1:?NUMBER}" "${2:?PASSWORD}" ;;
	clear)
		local k
		if [ -f "$KAM_DIR/knobs" ]; then
			awk '{print $2}' "$KAM_DIR/knobs" | while read -r k; do knob_del "$k"; done
		fi
		;;
	restart) stop_kamailio; start_kamailio ;;
	stop) stop_kamailio ;;
	start) start_kamailio ;;
	registrations) kamcmd_ ul.dump brief ;;
	cdr) cat "$KAM_DIR/cdr.log" ;;
	rpc) kamcmd_ "$@" ;;
	*) die "kam: unknown command $what" ;;
	esac
}

# ---------------------------------------------------------------- vpnsipd
vpnsipd_paths() { # NODE -> sets D SOCK STATE
	D=$LAB_DIR/$1
	SOCK=$D/vpnsipd.sock
	STATE=$D/vpnsipd.state
}

# _supervise DIR CMD...: runs inside the node's namespace as vpnsipd's parent,
# so that its exit status is known: vpnsipd.pid is the daemon's pid,
# vpnsipd.status its exit status once it has ended (128+N: signal N).
cmd_supervise() {
	local d=$1 pid rc=0
	shift
	"$@" </dev/null >>"$d/vpnsipd.log" 2>&1 &
	pid=$!
	# down's SIGTERM to every process of the namespace is for the daemon
	trap '' TERM INT HUP
	echo "$pid" >"$d/vpnsipd.pid.new" && mv "$d/vpnsipd.pid.new" "$d/vpnsipd.pid"
	wait "$pid" || rc=$?
	echo "$rc" >"$d/vpnsipd.status.new" && mv "$d/vpnsipd.status.new" "$d/vpnsipd.status"
}

# vpnsipd_stop NODE: SIGTERM, wait VPNSIPD_STOP_WAIT s for the exit (then
# SIGKILL); fails, saying why, unless the daemon exited 0 and the part of its
# log written since its start has no ASan, LeakSanitizer or UBSan report.
vpnsipd_stop() {
	local node=$1 pid n=0 max st start why="" found
	vpnsipd_paths "$node"
	[ -f "$D/vpnsipd.pid" ] || return 0
	pid=$(cat "$D/vpnsipd.pid" 2>/dev/null || true)
	case "$pid" in '' | *[!0-9]*) die "vpnsipd in $node: bad pid file" ;; esac
	kill -TERM "$pid" 2>/dev/null || true
	max=$((VPNSIPD_STOP_WAIT * 10))
	while [ ! -f "$D/vpnsipd.status" ] && alive "$pid" && [ $n -lt $max ]; do
		sleep 0.1
		n=$((n + 1))
	done
	if alive "$pid"; then
		kill -KILL "$pid" 2>/dev/null || true
		why="did not exit within $VPNSIPD_STOP_WAIT s of SIGTERM (killed)"
	fi
	# the supervisor writes the status right after the daemon has gone
	for _ in $(seq 1 50); do
		[ -f "$D/vpnsipd.status" ] && break
		sleep 0.1
	done
	if [ -f "$D/vpnsipd.status" ]; then
		st=$(cat "$D/vpnsipd.status")
		if [ -z "$why" ] && [ "$st" != 0 ]; then
			if [ "$st" -gt 128 ] 2>/dev/null; then
				why="killed by signal $((st - 128))"
			else
				why="exited with status $st"
			fi
		fi
	else
		why="${why:-exit status unknown (its supervisor is gone)}"
	fi
	start=$(cat "$D/vpnsipd.logstart" 2>/dev/null || echo 0)
	found=$(tail -c +$((start + 1)) "$D/vpnsipd.log" 2>/dev/null |
		grep -E 'ERROR: (AddressSanitizer|LeakSanitizer)|runtime error:' | head -20 || true)
	rm -f "$D/vpnsipd.pid" "$D/vpnsipd.status" "$SOCK"
	[ -z "$why" ] && [ -z "$found" ] && return 0
	{
		echo "lab: vpnsipd in $node: ${why:-exited 0}${found:+, with a sanitizer report}"
		if [ -n "$found" ]; then
			echo "$found"
			echo "--- the report ($D/vpnsipd.log) ---"
			tail -c +$((start + 1)) "$D/vpnsipd.log" |
				sed -n '/ERROR: \(AddressSanitizer\|LeakSanitizer\)\|runtime error:/,$p' | head -80
		else
			echo "--- the end of $D/vpnsipd.log ---"
			tail -c +$((start + 1)) "$D/vpnsipd.log" | tail -30
		fi
	} >&2
	return 1
}

cmd_vpnsipd() {
	local what=${1:?vpnsipd start|stop|log} node=${2:?NODE}
	shift 2
	check_node "$node"
	vpnsipd_paths "$node"
	case "$what" in
	start)
		local conf=${1:?vpnsipd start NODE CONFIG [ARGS...]}
		shift
		[ -x "$VPNSIPD" ] || die "no vpnsipd binary at $VPNSIPD (set VPNSIPD)"
		[ -r "$conf" ] || die "cannot read $conf"
		conf=$(cd "$(dirname "$conf")" && pwd)/$(basename "$conf")
		if pidfile_alive "$D/vpnsipd.pid"; then
			die "vpnsipd already running in $node"
		fi
		mkdir -p "$STATE"
		rm -f "$SOCK" "$D/vpnsipd.pid" "$D/vpnsipd.status"
		# stop scans the log from here on (the file collects every run)
		touch "$D/vpnsipd.log"
		stat -c %s "$D/vpnsipd.log" >"$D/vpnsipd.logstart"
		ip netns exec "$(ns "$node")" setsid "$HERE/lab.sh" _supervise "$D" \
			"$VPNSIPD" -F -f "$conf" -S "$SOCK" -D "$STATE" "$@" </dev/null >/dev/null 2>&1 &
		for _ in $(seq 1 100); do
			[ -S "$SOCK" ] && { echo "$SOCK"; return 0; }
			if [ -f "$D/vpnsipd.status" ]; then
				tail -20 "$D/vpnsipd.log" >&2 || true
				rm -f "$D/vpnsipd.pid" "$D/vpnsipd.status"
				die "vpnsipd exited"
			fi
			sleep 0.1
		done
		vpnsipd_stop "$node" || true
		die "vpnsipd in $node did not create $SOCK"
		;;
	stop) vpnsipd_stop "$node" ;;
	log) cat "$D/vpnsipd.log" ;;
	*) die "vpnsipd start|stop|log" ;;
	esac
}

cmd_sh() {
	local node=${1:?sh NODE CMD...}
	shift
	check_node "$node"
	vpnsipd_paths "$node"
	in_ns "$node" "$VPNSIPSH" -S "$SOCK" -c "$*"
}

# ---------------------------------------------------------------- main
cmd=${1:-}
[ $# -gt 0 ] && shift
case "$cmd" in
up) cmd_up "$@" ;;
down) cmd_down ;;
status) cmd_status ;;
exec)
	node=${1:?exec NODE CMD...}
	shift
	check_node "$node"
	in_ns "$node" "$@"
	;;
addr) cmd_addr "$@" ;;
number)
	load_state
	number_of "$(router_index "${1:?number ROUTER}")"
	;;
password)
	echo "pw${1:?password NUMBER}"
	;;
fail-primary) cmd_fail_primary "$@" ;;
restore-primary) cmd_restore_primary "$@" ;;
kam) cmd_kam "$@" ;;
kam2)
	load_state
	kam_instance 2
	case "${1:-}" in
	start)
		# its address beside the first server's on the NGN bridge
		ip -n "$(ns ngn)" addr replace "$NGN4_2/24" dev ngn0
		ip -n "$(ns ngn)" addr replace "$NGN6_2/64" dev ngn0 nodad
		mkdir -p "$KAM_DIR"
		;;
	esac
	cmd_kam "$@"
	if [ "${1:-}" = stop ]; then
		ip -n "$(ns ngn)" addr del "$NGN4_2/24" dev ngn0 2>/dev/null || true
		ip -n "$(ns ngn)" addr del "$NGN6_2/64" dev ngn0 2>/dev/null || true
	fi
	;;
cdr)
	load_state
	cat "$LAB_DIR/ngn/cdr.log"
	;;
dhcp-sip)
	load_state
	case "${1:-}" in domain | ipv4) ;; *) die "dhcp-sip domain|ipv4 [ADDRESS...]" ;; esac
	SIP_OPTION=$1
	shift
	[ "$SIP_OPTION" = ipv4 ] || [ $# -eq 0 ] || die "dhcp-sip: addresses only with ipv4"
	for a in "$@"; do
		case "$a" in *[!0-9.]* | "") die "dhcp-sip: not an IPv4 address: $a" ;; esac
	done
	sed -i "/^SIP_OPTION=/d; /^SIP_ADDRS=/d" "$LAB_DIR/state"
	SIP_ADDRS="$*"
	printf 'SIP_OPTION=%s\nSIP_ADDRS="%s"\n' "$SIP_OPTION" "$SIP_ADDRS" >>"$LAB_DIR/state"
	write_dhcp_opts
	kill -HUP "$(cat "$LAB_DIR/ngn/dnsmasq.pid")"
	;;
dhcp-router)
	load_state
	case "${1:-}" in on | off) ;; *) die "dhcp-router on|off" ;; esac
	sed -i '/^DHCP_ROUTER=/d' "$LAB_DIR/state"
	echo "DHCP_ROUTER=$1" >>"$LAB_DIR/state"
	DHCP_ROUTER=$1
	write_dhcp_opts
	kill -HUP "$(cat "$LAB_DIR/ngn/dnsmasq.pid")"
	;;
dhcp-host)
	load_state
	r=${1:?dhcp-host ROUTER [ADDRESS [LEASE]]}
	[ "$(router_index "$r")" -le "$ROUTERS" ] || die "no such router: $r"
	f=$LAB_DIR/ngn/dhcp-hosts.override
	touch "$f"
	awk -v r="$r" '$1 != r' "$f" >"$f.new" && mv "$f.new" "$f"
	if [ -n "${2:-}" ]; then
		case "$2" in *[!0-9.]*) die "dhcp-host: not an IPv4 address: $2" ;; esac
		case "${3:-infinite}" in infinite | [0-9]*) ;; *) die "dhcp-host: lease: infinite or a time (120, 2m, 1h)" ;; esac
		echo "$r $2 ${3:-infinite}" >>"$f"
	fi
	write_dhcp_hosts
	kill -HUP "$(cat "$LAB_DIR/ngn/dnsmasq.pid")"
	;;
dnsmasq)
	load_state
	case "${1:-}" in
	stop) kill_pidfile "$LAB_DIR/ngn/dnsmasq.pid" ;;
	start) pidfile_alive "$LAB_DIR/ngn/dnsmasq.pid" || start_dnsmasq ;;
	*) die "dnsmasq stop|start" ;;
	esac
	;;
dhcp)
	node=${1:?dhcp ROUTER [--apply]}
	shift
	check_node "$node"
	in_ns "$node" "$PYTHON" "$HERE/dhcpc.py" bak0 "$@"
	;;
vpnsipd) cmd_vpnsipd "$@" ;;
_supervise) cmd_supervise "$@" ;;
sh) cmd_sh "$@" ;;
dir) echo "$LAB_DIR" ;;
"" | -h | --help | help) sed -n '2,/^set -eu/p' "$0" | sed '$d; s/^# \{0,1\}//' ;;
*) die "unknown command: $cmd (try: lab.sh help)" ;;
esac
