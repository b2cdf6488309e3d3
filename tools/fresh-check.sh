#!/bin/sh
# make fresh-check: does the README's first command work on a clean Debian 12
# machine, the first time?
#
#   sh tools/fresh-check.sh [--test] [--deb] [--keep-log FILE]
#
# Builds a clean Debian 12 root with mmdebstrap (from this machine's own apt
# sources: no mirror name here), copies `git archive HEAD` into /root/vpnsip
# inside it and runs `make demo` there with chroot, as a newcomer would.
#   --test   also run `make test` in that root afterwards (long: the suite)
#   --deb    also `make deb` in that root, then install the package with
#            `apt-get install ./vpnsip_*.deb` on a second clean root and
#            check it: no test tool pulled in, the unit is there, the example
#            configuration passes `vpnsipd -t`
# Prints one line `fresh-check: PASS ...` or `fresh-check: FAIL ...` (exit
# 0/1) and the tail of the failing step's output.
#
# Everything runs inside a private mount and PID namespace (unshare): every
# mount (the root bound onto itself so that `ip netns exec` can remount /,
# proc, sys, dev, a tmpfs on /run) and every process started inside (the
# lab's Kamailio, daemons) dies with it, also when a step fails or this
# script is killed.  Only then is the root's directory removed.
#
# Environment: FRESH_DIR (parent of the scratch root, default /var/tmp),
# FRESH_SUITE (default bookworm), FRESH_REV (the commit to export, default HEAD).
set -eu
cd "$(dirname "$0")/.."
top=$(pwd)

run_test=0 run_deb=0 keep_log=""
while [ $# -gt 0 ]; do
	case "$1" in
	--test) run_test=1 ;;
	--deb) run_deb=1 ;;
	--keep-log) keep_log=$2; shift ;;
	*) echo "usage: $0 [--test] [--deb] [--keep-log FILE]" >&2; exit 2 ;;
	esac
	shift
done

[ "$(id -u)" = 0 ] || { echo "fresh-check: FAIL: needs root (mmdebstrap, chroot, mounts)"; exit 1; }
for tool in mmdebstrap unshare git; do
	command -v "$tool" >/dev/null || { echo "fresh-check: FAIL: '$tool' missing (run 'make deps')"; exit 1; }
done

suite=${FRESH_SUITE:-bookworm}
work=$(mktemp -d "${FRESH_DIR:-/var/tmp}/vpnsip-fresh.XXXXXX")
log=$work/log
t0=$(date +%s)

mounted_under() { # any mount left below $work in this (the host's) namespace?
	awk -v w="$work" '$5 == w || index($5, w "/") == 1 { found = 1 } END { exit !found }' \
		/proc/self/mountinfo
}
cleanup() {
	rc=$?
	[ -z "$keep_log" ] || [ ! -f "$log" ] || cp "$log" "$keep_log"
	if mounted_under; then
		# Never rm -rf across a mount (it could be the host's /dev or /sys).
		echo "fresh-check: mounts left under $work, not removing it" >&2
	else
		rm -rf "$work"
	fi
	exit "$rc"
}
trap cleanup EXIT
trap 'exit 1' INT TERM HUP

elapsed() { echo "$(($(date +%s) - t0)) s"; }
fail() {
	echo "---- last lines of the output ($1) ----"
	tail -n 40 "$log"
	echo "fresh-check: FAIL: $1 ($(elapsed))"
	exit 1
}

# A pristine root, kept as a tarball so that --deb can unpack a second one.
echo "fresh-check: building a clean $suite root (mmdebstrap)" >&2
mmdebstrap --quiet --variant=apt --include=make,git,ca-certificates \
	"$suite" "$work/root.tar" >"$log" 2>&1 || fail "mmdebstrap"
mkdir "$work/root"
tar -C "$work/root" -xf "$work/root.tar"
mkdir -p "$work/root/root/vpnsip"
git archive "${FRESH_REV:-HEAD}" | tar -x -C "$work/root/root/vpnsip"

# in_root ROOT COMMAND: run COMMAND with sh in a chroot of ROOT, inside a
# private mount + PID namespace that is gone when the command ends.
in_root() {
	unshare --mount --pid --fork --propagation private sh -eu -c '
		r=$1; shift
		mount --bind "$r" "$r"
		mount -t proc proc "$r/proc"
		mount --rbind /sys "$r/sys"
		mount --rbind /dev "$r/dev"
		mount -t tmpfs tmpfs "$r/run"
		mkdir -p "$r/run/netns" "$r/run/lock"
		cp /etc/resolv.conf "$r/etc/resolv.conf" 2>/dev/null || true
		exec chroot "$r" /usr/bin/env -i PATH=/usr/sbin:/usr/bin:/sbin:/bin \
			HOME=/root TERM=dumb LANG=C.UTF-8 sh -eu -c "$1"
	' in_root "$@"
}

echo "fresh-check: make demo in the clean root" >&2
in_root "$work/root" 'cd /root/vpnsip && make demo' >>"$log" 2>&1 ||
	fail "make demo on the first run"
what="make demo"

if [ "$run_test" = 1 ]; then
	echo "fresh-check: make test in the same root" >&2
	in_root "$work/root" 'cd /root/vpnsip && make test' >>"$log" 2>&1 ||
		fail "make test after make demo"
	what="$what, make test"
	grep -E '^=+ .*(passed|failed).* in ' "$log" | tail -n 1
fi

if [ "$run_deb" = 1 ]; then
	echo "fresh-check: make deb, then apt-get install on a second clean root" >&2
	in_root "$work/root" 'cd /root/vpnsip && make deb' >>"$log" 2>&1 || fail "make deb"
	deb=$(ls "$work"/root/root/vpnsip/build/deb/vpnsip_*.deb 2>/dev/null | head -n 1)
	[ -n "$deb" ] || fail "make deb left no build/deb/vpnsip_*.deb"
	mkdir "$work/root2"
	tar -C "$work/root2" -xf "$work/root.tar"
	cp "$deb" "$work/root2/root/"
	in_root "$work/root2" '
		cd /root
		apt-get update -qq
		DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends ./vpnsip_*.deb >/dev/null
		for t in kamailio sip-tester strongswan-charon clang tcpdump tshark iperf3 python3-pytest; do
			if dpkg-query -W -f="\${Status}" "$t" 2>/dev/null | grep -q "ok installed"; then
				echo "deb-check: test tool $t was pulled in"; exit 1
			fi
		done
		grep -q "^Type=notify" /lib/systemd/system/vpnsipd.service
		for f in /usr/share/doc/vpnsip/examples/*.conf; do
			/usr/sbin/vpnsipd -t -f "$f" || { echo "deb-check: vpnsipd -t $f failed"; exit 1; }
		done
		[ ! -e /etc/vpnsip/vpnsipd.conf ] || ! grep -q Loopback11 /etc/vpnsip/vpnsipd.conf
		echo "deb-check: installed, unit Type=notify, examples pass vpnsipd -t, no test tool"
	' >>"$log" 2>&1 || fail "installing the .deb on a clean root"
	what="$what, make deb + apt-get install"
fi

echo "fresh-check: PASS: $what on a clean $suite root ($(elapsed))"
