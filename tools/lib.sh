# Shared by tools/demo.sh and tools/bench.sh: a namespace and a scratch
# directory that are removed on exit, and a vpnsipd started inside.
# Sets: ns, dir, pid.  Caller: set -eu; cd to the repo; tool=NAME; . tools/lib.sh
: "${tool:?set tool=NAME before sourcing tools/lib.sh}"
ns=vpnsip-$tool-$$
dir=$(mktemp -d "/tmp/vpnsip-$tool.XXXXXX")
pid=""
cleanup() {
	[ -n "$pid" ] && kill "$pid" 2>/dev/null && wait "$pid" 2>/dev/null
	ip netns del "$ns" 2>/dev/null || true
	rm -rf "$dir"
}
trap cleanup EXIT INT TERM
ip netns add "$ns"
ip netns exec "$ns" ip link set lo up

# start_daemon CONFIG: vpnsipd in the namespace, socket and state in $dir.
start_daemon() {
	ip netns exec "$ns" build/vpnsipd -F -f "$1" -S "$dir/sock" -D "$dir/state" 2>"$dir/log" &
	pid=$!
	for _ in $(seq 2000); do
		build/vpnsipsh -S "$dir/sock" -c "show version" >/dev/null 2>&1 && return 0
		sleep 0.01
	done
	echo "vpnsipd did not start:" >&2
	cat "$dir/log" >&2
	return 1
}

stop_daemon() {
	kill "$pid"
	wait "$pid" || true
	pid=""
}
