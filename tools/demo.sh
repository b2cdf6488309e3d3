#!/bin/sh
# make demo: start vpnsipd on the example configuration in a network
# namespace of its own, show what it did, and take it all down again.
# (The end-to-end VPN-SIP demo arrives with the session feature.)
set -eu
cd "$(dirname "$0")/.."
export tool=demo # read by tools/lib.sh
# shellcheck source=tools/lib.sh
. tools/lib.sh
# the example's backup WAN port, a veth end inside the namespace
ip netns exec "$ns" ip link add bak0 type veth peer name bak0-peer
cp conf/vpnsipd.conf "$dir/vpnsipd.conf"
say() { printf '\n\033[1m== %s\033[0m\n' "$*"; }
say "vpnsipd -t: checking conf/vpnsipd.conf"
build/vpnsipd -t -f "$dir/vpnsipd.conf"
say "starting vpnsipd in namespace $ns"
start_daemon "$dir/vpnsipd.conf"
sh_() { printf '%s# %s\n' branch-A "$*"; build/vpnsipsh -S "$dir/sock" -c "$@"; }
say "the running configuration, generated from the model"
sh_ "show running-config"
say "what the daemon created in the kernel"
ip netns exec "$ns" ip -br addr | grep -v '^lo'
say "an operator session"
sh_ "show running-config | section Tunnel1"
printf 'branch-A# configure terminal\nbranch-A(config)# interface Tunnel1\nbranch-A(config-if)# ip adress 10.0.0.1 255.0.0.0\n'
build/vpnsipsh -S "$dir/sock" -c "configure terminal" -c "interface Tunnel1" \
	-c "ip adress 10.0.0.1 255.0.0.0" || true
sh_ "show logging | include CONFIG|START"
say "SIGTERM: orderly shutdown"
stop_daemon
ip netns exec "$ns" ip -br link | grep -v '^lo' || true
echo "(only bak0, which the daemon did not create, remains)"
