#!/bin/sh
# Fetch the strongSwan headers matching the installed Debian libcharon and
# generate the config.h that Debian's build used.
#
#   sh tools/strongswan-headers.sh [OUTDIR]        (default: build/strongswan)
#
# Result (OUTDIR):
#   include/libstrongswan/ include/libcharon/ include/libipsec/   headers (*.h),
#                                  with Debian's patches applied
#   config.h                       defines matching Debian's configure run
#   debian/                        debian/rules, patches/series and the list
#                                  of Debian patches that touch headers
#   stamp                          source package version the above came from
#
# The source comes from Debian's source package of exactly the installed
# version, through a PRIVATE apt configuration (own source list, lists and
# cache under OUTDIR/apt); the machine's apt sources are only read, never
# changed.  The deb-src entries are derived from the machine's deb entries for
# its own release, so no registry host name is written into this repository.
#
# Idempotent: when OUTDIR/stamp names the installed version and the outputs
# exist, it prints nothing and does not touch the network.
#
# If the Debian part (.dsc/.debian.tar) of the exact installed revision cannot
# be downloaded but the upstream tarball can, it falls back to the newest
# available revision of the same upstream version, prints a loud warning with
# the changelog entries in between and records that in the stamp.  Set
# STRONGSWAN_HEADERS_STRICT=1 to make that an error instead.
set -eu

die() {
	echo "strongswan-headers: ERROR: $*" >&2
	exit 1
}
warn() {
	echo "strongswan-headers: WARNING: $*" >&2
}

top=$(cd "$(dirname "$0")/.." && pwd)
out=${1:-$top/build/strongswan}
case "$out" in /*) ;; *) out=$(pwd)/$out ;; esac

binpkg=strongswan-libcharon
# The source package and its version (differs from the binary version only
# for binNMUs; ${source:Version} is what apt-get source needs).
ver=$(dpkg-query -W -f='${Version}' "$binpkg" 2>/dev/null) ||
	die "$binpkg is not installed (run 'make deps')"
[ -n "$ver" ] || die "$binpkg is not installed (run 'make deps')"
srcpkg=$(dpkg-query -W -f='${source:Package}' "$binpkg")
srcver=$(dpkg-query -W -f='${source:Version}' "$binpkg")
upver=${srcver#*:}
upver=${upver%-*}

stamp=$out/stamp
if [ -f "$stamp" ] && [ -f "$out/config.h" ] &&
	[ -f "$out/include/libcharon/daemon.h" ] &&
	[ -f "$out/include/libstrongswan/library.h" ] &&
	[ -f "$out/include/libipsec/ipsec.h" ] &&
	[ "$(sed -n 's/^version=//p' "$stamp")" = "$srcver" ]; then
	exit 0
fi

for tool in apt-get apt-cache apt-config dpkg-source nm "${CC:-cc}"; do
	command -v "$tool" >/dev/null 2>&1 || die "'$tool' not found (run 'make deps')"
done

echo "strongswan-headers: fetching $srcpkg $srcver source into $out"
rm -rf "$out"
mkdir -p "$out"
log=$out/fetch.log
: >"$log"
fail() {
	echo "strongswan-headers: ERROR: $*" >&2
	echo "---- last lines of $log ----" >&2
	tail -n 25 "$log" >&2
	exit 1
}

# ---------------------------------------------------------------------------
# Private apt configuration.
apt=$out/apt
mkdir -p "$apt/sources.list.d" "$apt/lists/partial" "$apt/cache/archives/partial"
: >"$apt/sources.list"

# Where the machine's apt reads its sources (normally /etc/apt/sources.list
# and /etc/apt/sources.list.d/).
eval "$(apt-config shell SYS_LIST Dir::Etc::SourceList/f SYS_PARTS Dir::Etc::SourceParts/d)"
SYS_LIST=${SYS_LIST:-/etc/apt/sources.list}
SYS_PARTS=${SYS_PARTS:-/etc/apt/sources.list.d/}
codename=$(. /etc/os-release && echo "${VERSION_CODENAME:-}")
[ -n "$codename" ] || die "cannot tell the Debian release (VERSION_CODENAME in /etc/os-release)"

# One-line format: every "deb [opts] URI SUITE COMPONENTS" of this release
# (SUITE is the codename or codename-something: -updates, -security) becomes
# the same line with deb-src.
for f in "$SYS_LIST" "$SYS_PARTS"*.list; do
	[ -f "$f" ] || continue
	awk -v rel="$codename" '
	/^[ \t]*(deb|deb-src)[ \t]/ {
		n = split($0, w, /[ \t]+/)
		i = 1; if (w[1] == "") i = 2
		j = i + 1
		if (w[j] ~ /^\[/) { while (j <= n && w[j] !~ /\]$/) j++; j++ }
		suite = w[j + 1]
		if (suite != rel && index(suite, rel "-") != 1) next
		line = $0; sub(/^[ \t]*deb(-src)?[ \t]+/, "", line)
		print "deb-src " line
	}' "$f"
done | awk '!seen[$0]++' >"$apt/sources.list.d/vpnsip-derived.list"

# deb822 format: stanzas with "Types: deb" get "Types: deb-src"; Suites are
# reduced to this release's; disabled stanzas and other releases are dropped.
# Other fields (URIs, Components, Signed-By, also multi-line ones) are kept.
for f in "$SYS_PARTS"*.sources; do
	[ -f "$f" ] || continue
	awk -v rel="$codename" '
	function flush() {
		if (body != "" && types ~ /(^|[ \t])deb(-src)?([ \t]|$)/ && suites != "" && !disabled)
			printf "Types: deb-src\nSuites: %s\n%s\n", suites, body
		body = ""; types = ""; suites = ""; disabled = 0; skip = 0
	}
	/^#/ { next }
	/^[ \t]*$/ { flush(); next }
	/^[ \t]/ { if (!skip) body = body $0 "\n"; next }
	{
		skip = 0
		key = tolower($0); sub(/:.*/, "", key)
		val = $0; sub(/^[^:]*:[ \t]*/, "", val)
		if (key == "types") { types = val; skip = 1; next }
		if (key == "enabled") { if (tolower(val) == "no") disabled = 1; skip = 1; next }
		if (key == "suites") {
			n = split(val, s, /[ \t]+/)
			for (k = 1; k <= n; k++)
				if (s[k] == rel || index(s[k], rel "-") == 1)
					suites = suites (suites == "" ? "" : " ") s[k]
			skip = 1; next
		}
		body = body $0 "\n"
	}
	END { flush() }' "$f"
done >"$apt/sources.list.d/vpnsip-derived.sources"

[ -s "$apt/sources.list.d/vpnsip-derived.list" ] ||
	rm -f "$apt/sources.list.d/vpnsip-derived.list"
[ -s "$apt/sources.list.d/vpnsip-derived.sources" ] ||
	rm -f "$apt/sources.list.d/vpnsip-derived.sources"
ls "$apt/sources.list.d/"* >/dev/null 2>&1 ||
	die "no apt 'deb' entry for $codename found in $SYS_LIST or $SYS_PARTS to derive deb-src from"

# Running as root, apt drops to the _apt user for downloads; the build tree
# usually is not writable for it, so download as the caller (the files are
# checked against the signed indexes either way).
set -- -q \
	-o "Dir::Etc::SourceList=$apt/sources.list" \
	-o "Dir::Etc::SourceParts=$apt/sources.list.d" \
	-o "Dir::State::Lists=$apt/lists" \
	-o "Dir::Cache=$apt/cache" \
	-o "Dir::Cache::pkgcache=" -o "Dir::Cache::srcpkgcache=" \
	-o "APT::Sandbox::User=$(id -un)"

apt-get "$@" update >>"$log" 2>&1 || fail "apt-get update (private deb-src lists) failed"

dl=$out/dl
mkdir -p "$dl"
cd "$dl"
usedver=$srcver
if ! apt-get "$@" source --download-only "$srcpkg=$srcver" >>"$log" 2>&1; then
	# The exact Debian revision is not downloadable.  Use another revision of
	# the same upstream version only if the upstream tarball itself came
	# through (apt checked it against the installed version's signed index).
	orig=""
	for f in "$srcpkg"_"$upver".orig.tar.*; do
		case "$f" in *.asc) ;; *) [ -f "$f" ] && orig=$f ;; esac
	done
	[ -n "$orig" ] || fail "cannot download the $srcpkg $srcver source"
	[ "${STRONGSWAN_HEADERS_STRICT:-0}" = 1 ] &&
		fail "the Debian part of $srcpkg $srcver is not downloadable (STRONGSWAN_HEADERS_STRICT=1)"
	alt=""
	for v in $(apt-cache "$@" showsrc "$srcpkg" | sed -n 's/^Version: //p' | sort -u); do
		vu=${v#*:}
		[ "${vu%-*}" = "$upver" ] || continue
		dpkg --compare-versions "$v" lt "$srcver" || continue
		if [ -z "$alt" ] || dpkg --compare-versions "$v" gt "$alt"; then alt=$v; fi
	done
	[ -n "$alt" ] || fail "cannot download the Debian part of $srcpkg $srcver and no other $upver revision is available"
	apt-get "$@" source --download-only "$srcpkg=$alt" >>"$log" 2>&1 ||
		fail "cannot download $srcpkg $alt either"
	usedver=$alt
	warn "the Debian part of $srcpkg $srcver is not downloadable here;"
	warn "using upstream $upver (same tarball) with Debian's patches of $alt."
	warn "Debian changes between $alt and the installed $srcver (check for header changes):"
	cl=/usr/share/doc/$binpkg/changelog.Debian.gz
	if [ -r "$cl" ]; then
		gzip -dc "$cl" | awk -v alt="$alt" 'index($0, "(" alt ")") { exit } { print "    " $0 }' >&2
	fi
fi
dsc=""
for f in "$dl"/*.dsc; do [ -f "$f" ] && dsc=$f; done
[ -n "$dsc" ] || fail "no .dsc downloaded"

# dpkg-source unpacks the upstream tarball and applies debian/patches
# (3.0 quilt).  The .dsc's signature cannot be checked without Debian's
# keyring of developers; the files were verified by apt against the signed
# Sources index already.
src=$out/src
dpkg-source --no-copy -x "$dsc" "$src" >>"$log" 2>&1 || fail "dpkg-source -x failed"

# Which Debian patches change headers we use (recorded for the reader).
mkdir -p "$out/debian"
cp "$src/debian/rules" "$src/debian/changelog" "$out/debian/"
[ -f "$src/debian/patches/series" ] && cp "$src/debian/patches/series" "$out/debian/"
if [ -f "$src/debian/patches/series" ]; then
	grep -v '^[ \t]*#' "$src/debian/patches/series" | while read -r p _; do
		[ -n "$p" ] || continue
		sed -n 's,^+++ [^/]*/\(src/lib\(strongswan\|charon\|ipsec\)/.*\.h\).*,\1,p' \
			"$src/debian/patches/$p" | sed "s,^,$p: ,"
	done >"$out/debian/header-patches.txt"
fi

# Keep the headers only.
for lib in libstrongswan libcharon libipsec; do
	[ -d "$src/src/$lib" ] || fail "src/$lib missing from the source package"
	(cd "$src/src/$lib" && find . -name '*.h' -print) | while read -r h; do
		mkdir -p "$out/include/$lib/$(dirname "$h")"
		cp -p "$src/src/$lib/$h" "$out/include/$lib/$h"
	done
done

# ---------------------------------------------------------------------------
# config.h
#
# Only defines that headers (or code built against them) look at matter;
# each is derived as described next to it.  Feature switches come from
# debian/rules (CONFIGUREARGS) read against configure.ac's defaults.  HAVE_*
# are results of configure's probes: we repeat each probe with the same
# compiler and C library (same Debian release as the one Debian built on) and
# cross-check the ones that change what libstrongswan exports against its
# dynamic symbol table.
rules=$src/debian/rules
confac=$src/configure.ac
grep -q '^AC_DEFINE(\[CONFIG_H_INCLUDED\]' "$confac" ||
	fail "configure.ac no longer defines CONFIG_H_INCLUDED; review this script"
# AC_INIT([strongSwan],[5.9.8]) in configure.ac
swver=$(sed -n 's/^AC_INIT(\[strongSwan\],\[\([^]]*\)\]).*/\1/p' "$confac")
[ -n "$swver" ] || fail "cannot read the version from configure.ac"
[ "$swver" = "$upver" ] || fail "configure.ac says $swver, package says $upver"

# configure option given in debian/rules?  (whole word, not commented out)
rules_has() {
	sed 's/#.*//' "$rules" | grep -qE -e "(^|[[:space:]])$1([[:space:]\\\\]|\$)"
}
# configure.ac default of an ARG_ENABL_SET (off) / ARG_DISBL_SET (on) option
confac_default_on() {
	grep -q "^ARG_DISBL_SET(\\[$1\\]" "$confac"
}
feature() { # name -> true/false for Debian's build
	if rules_has "--disable-$1"; then echo false
	elif rules_has "--enable-$1"; then echo true
	elif confac_default_on "$1"; then echo true
	else echo false; fi
}

cc=${CC:-cc}
probe_dir=$out/probe
mkdir -p "$probe_dir"
# probe NAME: compile+link (and run with "run") the program on stdin
probe() {
	cat >"$probe_dir/p.c"
	"$cc" -D_GNU_SOURCE -o "$probe_dir/p" "$probe_dir/p.c" -lpthread >>"$log" 2>&1 || return 1
	[ "${1:-}" = run ] || return 0
	"$probe_dir/p"
}
probe_func() { # like AC_CHECK_FUNCS: link a call to an undeclared char f()
	printf 'char %s(void);\nint main(void) { return %s() != 0; }\n' "$1" "$1" | probe
}
probe_header() {
	printf '#include <%s>\nint main(void) { return 0; }\n' "$1" | probe
}
exports() { # does libstrongswan export symbol $1 itself?
	nm -D --defined-only "$libsw" | awk -v s="$1" '$3 == s { f = 1 } END { exit !f }'
}
libsw=/usr/lib/ipsec/libstrongswan.so.0
libch=/usr/lib/ipsec/libcharon.so.0
if [ ! -r "$libsw" ] || [ ! -r "$libch" ]; then fail "$libsw / $libch missing"; fi

def() { echo "#define $1${2:+ $2}"; }
undef() { echo "/* #undef $1 */"; }
mismatch=""

cfg=$out/config.h.tmp
{
	echo "/* strongSwan config.h for building against Debian's $srcpkg $srcver"
	echo " * (headers from Debian source $usedver).  Generated by"
	echo " * tools/strongswan-headers.sh; do not edit.  See docs/strongswan-build.md. */"
	echo "#ifndef VPNSIP_STRONGSWAN_CONFIG_H"
	echo "#define VPNSIP_STRONGSWAN_CONFIG_H"
	echo
	echo "/* configure.ac: AC_DEFINE([CONFIG_H_INCLUDED]); library.h refuses to build without */"
	def CONFIG_H_INCLUDED
	echo "/* configure.ac AC_INIT; the package versions these headers belong to */"
	def PACKAGE '"strongswan"'
	def PACKAGE_NAME '"strongSwan"'
	def PACKAGE_VERSION "\"$swver\""
	def PACKAGE_STRING "\"strongSwan $swver\""
	echo "#ifndef VERSION"
	def VERSION "\"$swver\""
	echo "#endif"
	def VPNSIP_STRONGSWAN_VERSION "\"$swver\""
	def VPNSIP_STRONGSWAN_DEB_VERSION "\"$ver\""
	def VPNSIP_STRONGSWAN_HEADERS_DEB_VERSION "\"$usedver\""
	echo "/* configure.ac AC_USE_SYSTEM_EXTENSIONS-style tests use _GNU_SOURCE */"
	echo "#ifndef _GNU_SOURCE"
	def _GNU_SOURCE
	echo "#endif"
	echo

	echo "/* Feature switches: debian/rules CONFIGUREARGS vs configure.ac defaults */"
	if [ "$(feature mediation)" = true ]; then
		echo "/* debian/rules --enable-mediation -> AC_DEFINE([ME]); changes ike_sa_t,"
		echo " * peer_cfg_t, peer_cfg_create_t, daemon_t, task and payload enums */"
		def ME
	else
		undef ME
	fi
	if [ "$(feature ikev1)" = true ]; then
		echo "/* ikev1: ARG_DISBL_SET (on by default), not disabled in debian/rules */"
		def USE_IKEV1
	else
		undef USE_IKEV1
	fi
	if [ "$(feature ikev2)" = true ]; then
		echo "/* ikev2: ARG_DISBL_SET (on by default), not disabled in debian/rules */"
		def USE_IKEV2
	else
		undef USE_IKEV2
	fi
	if rules_has "--with-capabilities=libcap"; then
		echo "/* debian/rules (linux) --with-capabilities=libcap -> CAPABILITIES,"
		echo " * CAPABILITIES_LIBCAP and the AC_CHECK_HEADER of sys/capability.h */"
		def CAPABILITIES
		def CAPABILITIES_LIBCAP
		probe_header sys/capability.h || fail "sys/capability.h missing (libcap-dev; run 'make deps')"
		def HAVE_SYS_CAPABILITY_H
	else
		undef CAPABILITIES
	fi
	echo "/* debian/rules sets no --with-printf-hooks: 'auto' picks glibc's"
	echo " * register_printf_specifier (AC_CHECK_FUNC) */"
	if probe_func register_printf_specifier; then def HAVE_PRINTF_SPECIFIER; else undef HAVE_PRINTF_SPECIFIER; fi
	echo "/* not set by debian/rules: DEBUG_LEVEL (debug.h default 4), USE_THREAD_IDS,"
	echo " * MONOLITHIC, STATIC_PLUGIN_CONSTRUCTORS, USE_VSTR, USE_BUILTIN_PRINTF,"
	echo " * LEAK_DETECTIVE, LOCK_PROFILER; CHARON_UDP_PORT/NATT_PORT default */"
	echo

	echo "/* configure.ac probes, repeated here with the same toolchain */"
	echo "/* AC_HEADER_STDBOOL */"
	if probe_header stdbool.h; then def HAVE_STDBOOL_H; def HAVE__BOOL; fi
	echo "/* AC_CHECK_HEADERS(sys/param.h ...) */"
	if probe_header sys/param.h; then def HAVE_SYS_PARAM_H; fi
	echo "/* AC_FUNC_ALLOCA */"
	if probe_header alloca.h; then def HAVE_ALLOCA_H; def HAVE_ALLOCA; fi
	echo "/* 'checking for __int128' (AC_COMPILE_IFELSE) */"
	if printf '#include <sys/types.h>\nint main(void) { __int128 x = 0; return (int)x; }\n' | probe; then
		def HAVE_INT128
	fi
	echo "/* AC_CHECK_FUNCS(clock_gettime) */"
	if probe_func clock_gettime; then def HAVE_CLOCK_GETTIME; fi
	echo "/* pthread_condattr_setclock(CLOCK_MONOTONIC) (AC_RUN_IFELSE) */"
	if printf '#include <pthread.h>\n#include <time.h>\nint main(void) { pthread_condattr_t a; pthread_condattr_init(&a); return pthread_condattr_setclock(&a, CLOCK_MONOTONIC); }\n' | probe run; then
		def HAVE_CONDATTR_CLOCK_MONOTONIC
	fi
	echo "/* GCC __sync operations (AC_RUN_IFELSE); atomics.h prefers __atomic */"
	if printf 'int main(void) { int r = 1; __sync_fetch_and_add(&r, 1); __sync_sub_and_fetch(&r, 1); __sync_val_compare_and_swap(&r, 1, 0); return r; }\n' | probe run; then
		def HAVE_GCC_SYNC_OPERATIONS
	fi
	echo "/* AC_CHECK_FUNCS(...); when absent libstrongswan exports its own"
	echo " * replacement (checked against nm -D of libstrongswan.so.0) */"
	for spec in closefrom:closefrom memrchr:memrchr fmemopen:fmemopen \
		sigwaitinfo:sigwaitinfo explicit_bzero:memwipe_noinline; do
		fn=${spec%%:*}
		repl=${spec#*:}
		macro=HAVE_$(echo "$fn" | tr '[:lower:]' '[:upper:]')
		if probe_func "$fn"; then
			def "$macro"
			exports "$repl" && mismatch="$mismatch $macro(library exports $repl)"
		else
			undef "$macro"
			exports "$repl" || mismatch="$mismatch !$macro(library lacks $repl)"
		fi
	done
	echo "/* other AC_CHECK_FUNCS results used by code, not by layouts */"
	for fn in backtrace dladdr prctl getpass getpwnam_r getgrnam_r getpwuid_r chown mmap setlinebuf strptime dirfd pthread_cancel pthread_rwlock_init pthread_spin_init sem_timedwait; do
		probe_func "$fn" && def "HAVE_$(echo "$fn" | tr '[:lower:]' '[:upper:]')"
	done
	echo
	echo "#endif /* VPNSIP_STRONGSWAN_CONFIG_H */"
} >"$cfg"
rm -rf "$probe_dir"

# Cross-check the feature switches against what the binaries contain.
nm -D --defined-only "$libch" | grep -q ' mediation_manager_create$' &&
	libme=true || libme=false
grep -q '^#define ME$' "$cfg" && hme=true || hme=false
[ "$libme" = "$hme" ] || mismatch="$mismatch ME(config.h=$hme,libcharon=$libme)"
for spec in USE_IKEV1:main_mode_create USE_IKEV2:ike_init_create; do
	macro=${spec%%:*}
	sym=${spec#*:}
	nm -D --defined-only "$libch" | grep -q " $sym\$" && inlib=true || inlib=false
	grep -q "^#define $macro\$" "$cfg" && inh=true || inh=false
	[ "$inlib" = "$inh" ] || mismatch="$mismatch $macro(config.h=$inh,libcharon=$inlib)"
done
[ -z "$mismatch" ] || fail "config.h disagrees with the installed libraries:$mismatch"
mv "$cfg" "$out/config.h"

# Drop the bulky parts; keep headers, config.h, the debian/ notes.
rm -rf "$src" "$dl" "$apt/lists" "$apt/cache"
{
	echo "version=$srcver"
	echo "package=$srcpkg"
	echo "debian-source=$usedver"
	echo "upstream=$swver"
} >"$stamp"
if [ "$usedver" != "$srcver" ]; then
	echo "strongswan-headers: done, WITH FALLBACK (see warning above): $out"
else
	echo "strongswan-headers: done: $out"
fi
