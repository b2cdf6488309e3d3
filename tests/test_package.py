"""Deployment: the systemd unit, the daemon's service-manager protocol, its
journal logging, the strongSwan library check, the example configurations,
`make install` and the Debian package.

The unit is tested for real: `systemd-analyze verify`, and its exact
ExecStart command line run the way systemd runs it -- NOTIFY_SOCKET set to a
socket this test listens on, in a network namespace of its own, with
/usr/sbin/vpnsipd, /etc/vpnsip, /var/lib and /run, and for the journal test
/dev/log, provided by overlays in a private mount namespace (so the
machine's own directories are never written)."""
import os
import re
import shlex
import shutil
import signal
import socket
import struct
import subprocess
import threading
import time

import pytest

from conftest import ROOT, Netns

UNIT = ROOT / "conf" / "systemd" / "vpnsipd.service"
EXAMPLES = sorted((ROOT / "conf" / "examples").glob("*.conf"))
PSK_EXAMPLE = ROOT / "conf" / "examples" / "ntt-ngn-psk.conf"
SBIN_VPNSIPD = "/usr/sbin/vpnsipd"
RUN_SOCK = "/run/vpnsip/vpnsipd.sock"

# A test tool in a router package's Depends is a defect; these must never
# appear, whatever `make deps-list` says.
NEVER_DEPENDS = {"kamailio", "sip-tester", "strongswan-charon", "strongswan-swanctl",
                 "clang", "tcpdump", "tshark", "python3", "openssl", "iperf3"}


def unit():
    """The unit file as sections of key -> list of values (keys may repeat,
    which configparser does not allow)."""
    sections, cur = {}, None
    for line in UNIT.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith("#"):
            continue
        if line.startswith("["):
            cur = sections.setdefault(line.strip("[]"), {})
            continue
        k, _, v = line.partition("=")
        cur.setdefault(k, []).append(v)
    return sections


def exec_start():
    argv = shlex.split(unit()["Service"]["ExecStart"][0])
    assert argv[0] == SBIN_VPNSIPD, argv
    return argv


def strongswan_deb_version():
    cfg = (ROOT / "build" / "strongswan" / "config.h").read_text()
    return re.search(r'^#define VPNSIP_STRONGSWAN_DEB_VERSION "(.*)"$', cfg, re.M).group(1)


def deps_sets():
    out = subprocess.run(["make", "-s", "--no-print-directory", "deps-list"], cwd=ROOT,
                         capture_output=True, text=True, check=True).stdout
    sets = {}
    for line in out.splitlines():
        name, _, pkgs = line.partition(":")
        sets[name] = set(pkgs.split())
    return sets


# ---- the unit file ----------------------------------------------------------

def overlay_script(tmp, build, devlog=None):
    """Shell lines that give this mount namespace the build's vpnsipd (and
    DHCP hook) in /usr/sbin, a writable /etc and /var/lib, an empty /run and,
    with devlog, /dev/log bound to that socket."""
    lines = ["set -eu"]
    for lower in ("/usr/sbin", "/etc", "/var/lib") + (("/dev",) if devlog else ()):
        name = lower.strip("/").replace("/", "-")
        upper, work = tmp / ("up-" + name), tmp / ("work-" + name)
        upper.mkdir(parents=True, exist_ok=True)
        work.mkdir(parents=True, exist_ok=True)
        lines.append("mount -t overlay overlay -o lowerdir=%s,upperdir=%s,workdir=%s %s"
                     % (lower, upper, work, lower))
    lines.append("mount -t tmpfs tmpfs /run")
    if devlog:
        lines.append("touch /dev/log && mount --bind %s /dev/log" % shlex.quote(str(devlog)))
    up = tmp / "up-usr-sbin"
    shutil.copy2(build / "vpnsipd", up / "vpnsipd")
    shutil.copy2(build / "vpnsip-dhcp-hook", up / "vpnsip-dhcp-hook")
    return "\n".join(lines)


def test_unit_file_settings():
    u = unit()
    svc = u["Service"]
    assert svc["Type"] == ["notify"]
    assert exec_start()[1:] == ["-F"]
    assert svc["ExecReload"] == ["/bin/kill -HUP $MAINPID"]
    assert svc["Restart"] == ["on-failure"]
    assert "network-online.target" in u["Unit"]["After"][0].split()
    assert "network-online.target" in u["Unit"]["Wants"][0].split()
    assert set(svc["CapabilityBoundingSet"][0].split()) == {
        "CAP_NET_ADMIN", "CAP_NET_BIND_SERVICE", "CAP_NET_RAW"}
    assert svc["ProtectSystem"] == ["strict"]
    assert svc["ReadWritePaths"] == ["/etc/vpnsip"]
    assert svc["StateDirectory"] == ["vpnsip"]
    assert svc["RuntimeDirectory"] == ["vpnsip"]
    assert svc["PrivateTmp"] == ["yes"] and svc["NoNewPrivileges"] == ["yes"]
    # What vpnsipd needs must not be taken away.
    for key in ("PrivateDevices", "ProtectKernelTunables", "PrivateNetwork", "IPAddressDeny"):
        assert key not in svc, key
    assert "AF_NETLINK" in svc["RestrictAddressFamilies"][0].split()
    assert "AF_PACKET" in svc["RestrictAddressFamilies"][0].split()  # dhclient
    # The man pages it names exist.
    for ref in u["Unit"]["Documentation"][0].split():
        m = re.fullmatch(r"man:([a-z]+)\((\d)\)", ref)
        assert m and (ROOT / "docs" / ("%s.%s" % m.groups())).is_file(), ref


@pytest.mark.netns
def test_unit_verifies(tmp_path):
    """systemd-analyze verify with /usr/sbin/vpnsipd present (an overlay in a
    private mount namespace); any message fails, not only the exit status."""
    build = ROOT / "build"
    script = overlay_script(tmp_path, build) + "\nexec systemd-analyze verify --man=no %s" % UNIT
    r = subprocess.run(["unshare", "-m", "--propagation", "private", "sh", "-c", script],
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0 and not r.stdout.strip() and not r.stderr.strip(), r.stdout + r.stderr


# ---- the daemon as systemd runs it ------------------------------------------

class Notify:
    """The service manager's side of sd_notify(3): a datagram socket that
    records each message with the sender's pid and the time it came."""

    def __init__(self, path):
        self.path = str(path)
        self.sock = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
        self.sock.bind(self.path)
        self.sock.setsockopt(socket.SOL_SOCKET, socket.SO_PASSCRED, 1)
        self.messages = []  # (time, pid, {key: value})

    def wait(self, pred, timeout, what, after=0):
        """The first message from index `after` on that pred accepts, as
        (index, pid, fields)."""
        deadline = time.time() + timeout
        while True:
            for i, m in enumerate(self.messages[after:], after):
                if pred(m[2]):
                    return i, m[1], m[2]
            left = deadline - time.time()
            if left <= 0:
                raise AssertionError("no %s in %s" % (what, [m[2] for m in self.messages]))
            self.sock.settimeout(left)
            try:
                data, anc, _, _ = self.sock.recvmsg(4096, socket.CMSG_SPACE(12))
            except socket.timeout:
                continue
            pid = None
            for level, typ, cdata in anc:
                if level == socket.SOL_SOCKET and typ == socket.SCM_CREDENTIALS:
                    pid = struct.unpack("iII", cdata[:12])[0]
            fields = dict(l.split("=", 1) for l in data.decode().splitlines() if "=" in l)
            self.messages.append((time.time(), pid, fields))

    def close(self):
        self.sock.close()


class UnitRun:
    """The unit's ExecStart in a new network namespace and a private mount
    namespace where /etc/vpnsip/vpnsipd.conf is the PSK example."""

    def __init__(self, build, tmp, journal=False, extra=""):
        self.tmp, self.journal = tmp, journal
        self.ns = Netns()
        self.proc = None
        try:
            # The example's NGN port (eth1) exists; nothing answers DHCP.
            self.ns.run("ip", "link", "add", "eth1", "type", "veth", "peer", "name", "eth1peer",
                        check=True)
            self.ns.run("ip", "link", "set", "eth1", "up", check=True)
            self.ns.run("ip", "link", "set", "eth1peer", "up", check=True)
            self.notify = Notify(tmp / "notify.sock")
            # Read as it comes, as a syslog daemon does: a unix datagram
            # socket queues only net.unix.max_dgram_qlen (10) datagrams,
            # after which syslog(3) blocks the daemon.
            self.syslog = socket.socket(socket.AF_UNIX, socket.SOCK_DGRAM)
            self.syslog.bind(str(tmp / "devlog.sock"))
            self.syslog.settimeout(0.2)
            self.syslog_got, self.syslog_stop = [], threading.Event()
            self.syslog_thread = threading.Thread(target=self._read_syslog, daemon=True)
            self.syslog_thread.start()
            script = overlay_script(tmp, build, devlog=tmp / "devlog.sock")
            conf = tmp / "up-etc" / "vpnsip"
            conf.mkdir(parents=True)
            text = PSK_EXAMPLE.read_text()
            assert text.endswith("\nend\n")
            (conf / "vpnsipd.conf").write_text(text[:-len("end\n")] + extra + "end\n")
            self.log = tmp / "stderr.log"
            self.logf = open(self.log, "w")
            env = dict(os.environ)
            env.pop("JOURNAL_STREAM", None)
            env["NOTIFY_SOCKET"] = self.notify.path
            env.setdefault("ASAN_OPTIONS", "abort_on_error=0:detect_leaks=1")
            if journal:
                st = os.fstat(self.logf.fileno())
                env["JOURNAL_STREAM"] = "%d:%d" % (st.st_dev, st.st_ino)
            self.proc = subprocess.Popen(
                ["ip", "netns", "exec", self.ns.name, "unshare", "-m", "--propagation", "private",
                 "sh", "-c", script + '\nexec "$@"', "sh"] + exec_start(),
                stdout=self.logf, stderr=subprocess.STDOUT, env=env)
        except BaseException:
            self.stop()
            raise

    def sh(self, *cmds):
        """vpnsipsh in the daemon's mount namespace (its /run).  -r: the
        daemon's root directory too (entering a mount namespace resets the
        root to the namespace's, which is not the tests' when they run in
        a chroot, as make fresh-check does)."""
        args = ["nsenter", "-t", str(self.proc.pid), "-m", "-r", "--",
                str(ROOT / "build" / "vpnsipsh"),
                "-S", RUN_SOCK]
        for c in cmds:
            args += ["-c", c]
        return subprocess.run(args, capture_output=True, text=True, timeout=30)

    def _read_syslog(self):
        while not self.syslog_stop.is_set():
            try:
                self.syslog_got.append(self.syslog.recv(65536).decode(errors="replace"))
            except (socket.timeout, OSError):
                continue

    def syslog_lines(self):
        time.sleep(0.3)  # what is in the socket's queue
        return list(self.syslog_got)

    def log_text(self):
        return self.log.read_text(errors="replace")

    def stop(self):
        rc = None
        if self.proc:
            if self.proc.poll() is None:
                self.proc.send_signal(signal.SIGTERM)
                try:
                    self.proc.wait(30)
                except subprocess.TimeoutExpired:
                    self.proc.kill()
                    self.proc.wait()
            rc = self.proc.returncode
            self.logf.close()
        if hasattr(self, "syslog_thread"):
            self.syslog_stop.set()
            self.syslog_thread.join()
        for s in ("notify", "syslog"):
            if hasattr(self, s):
                getattr(self, s).close()
        self.ns.delete()
        return rc


@pytest.mark.netns
def test_notify_ready_status_reload_stop(build, tmp_path):
    """READY=1 comes from the main process once the boot file is applied and
    the control socket answers; STATUS= carries the registration state and
    follows it; SIGHUP is RELOADING=1 ... READY=1; SIGTERM is STOPPING=1 and
    exit 0.  Plain -F (no journal): every line on stderr and to syslog."""
    # 10000 more lines make the boot load last a while (about 0.3 s, longer
    # in the sanitizer build): a READY=1 sent before its end would be seen.
    extra = "".join("access-list 100 permit ip host 10.%d.%d.1 any\n" % (i // 250, i % 250)
                    for i in range(10000))
    run = UnitRun(build, tmp_path, extra=extra)
    try:
        i_ready, pid, ready = run.notify.wait(lambda f: f.get("READY") == "1", 60, "READY=1")
        # At the moment READY=1 arrives: the boot file is applied, and the
        # control socket answers with it.
        assert re.search(r"%SYS-5-CONFIG_LOAD: Loaded /etc/vpnsip/vpnsipd.conf: 10100 lines, "
                         r"10050 applied, 0 errors", run.log_text()), run.log_text()
        r = run.sh("show running-config")
        assert r.returncode == 0, r.stdout + r.stderr
        assert "hostname branch-a" in r.stdout and "vpn-sip max-call-duration 14400" in r.stdout
        assert pid == run.proc.pid, "READY=1 not from the main process"
        status = [m[2]["STATUS"] for m in run.notify.messages[:i_ready + 1] if "STATUS" in m[2]][-1]
        assert status == "SIP 0311111111 not registered: no IPv4 address on GigabitEthernet0/1", status

        # The registration state changes: an address and a SIP server.
        r = run.sh("configure terminal", "interface GigabitEthernet0/1", "no ip address dhcp",
                   "ip address 192.0.2.11 255.255.255.0", "exit",
                   "vpn-sip sip-server ipv4:192.0.2.1", "end")
        assert r.returncode == 0, r.stdout + r.stderr
        # Nothing answers at 192.0.2.1: registering, then failed.
        run.notify.wait(lambda f: re.fullmatch(
            r"SIP 0311111111 (registering at 192\.0\.2\.1|not registered \((\d+ |local timeout: ).+\), "
            r"retrying)",
            f.get("STATUS", "")), 15, "STATUS= registering or failed")

        n = len(run.notify.messages)
        os.kill(run.proc.pid, signal.SIGHUP)  # what ExecReload does
        i, _, _ = run.notify.wait(lambda f: f.get("RELOADING") == "1", 15, "RELOADING=1", after=n)
        # Re-applying 10,100 lines takes seconds under ASan on a loaded machine.
        run.notify.wait(lambda f: f.get("READY") == "1", 90, "READY=1 after RELOADING=1",
                        after=i + 1)

        run.proc.send_signal(signal.SIGTERM)
        run.notify.wait(lambda f: f.get("STOPPING") == "1", 15, "STOPPING=1")
        assert run.proc.wait(30) == 0, run.log_text()
        log, syslog = run.log_text(), run.syslog_lines()
        # Not the journal: timestamped lines on stderr, and syslog too.
        assert re.search(r"^\w{3} [ \d]\d \d\d:\d\d:\d\d\.\d{3}: %SYS-5-START: ", log, re.M), log
        assert any(" vpnsipd[%d]: %%SYS-5-START: " % run.proc.pid in s for s in syslog), syslog
    finally:
        rc = run.stop()
    assert rc == 0


@pytest.mark.netns
def test_journal_gets_each_line_once(build, tmp_path):
    """With stderr the journal (JOURNAL_STREAM names it), each line goes
    there once with a <N> severity prefix and no timestamp, and nothing to
    syslog (/dev/log is a socket this test reads)."""
    run = UnitRun(build, tmp_path, journal=True)
    try:
        run.notify.wait(lambda f: f.get("READY") == "1", 30, "READY=1")
        assert run.sh("show version").returncode == 0
        run.proc.send_signal(signal.SIGTERM)
        assert run.proc.wait(30) == 0, run.log_text()
        lines = [l for l in run.log_text().splitlines() if l.strip()]
        assert any(l.startswith("<5>%SYS-5-START: vpnsipd ") for l in lines), lines
        stop = [i for i, l in enumerate(lines) if l.startswith("<5>%SYS-5-STOP: ")]
        assert stop, lines
        lines = lines[:stop[0] + 1]  # LeakSanitizer's summary may follow (build/asan)
        # Every line of vpnsipd's carries its severity, none a timestamp,
        # none comes twice.  (Its children share the stream: dhclient's
        # hook may print an error of its own.)
        lines = [l for l in lines if re.search(r"%[A-Z0-9_]+-\d-[A-Z0-9_]+: ", l)]
        for l in lines:
            m = re.match(r"<(\d)>%[A-Z0-9_]+-(\d)-[A-Z0-9_]+: ", l)
            assert m and m.group(1) == m.group(2), l
        assert len(lines) == len(set(lines)), lines
        # Informational (the trap level) goes, debugging does not.
        assert not any(l.startswith("<7>") for l in lines), lines
        # dhclient (the example's NGN port) logs to syslog itself: its own
        # lines, once; none of vpnsipd's.
        assert not [l for l in run.syslog_lines() if " vpnsipd[" in l], run.syslog_lines()
    finally:
        run.stop()


# ---- the strongSwan library check ---------------------------------------------

@pytest.mark.netns
def test_mismatched_libcharon_is_refused(build, tmp_path, netns):
    """A libcharon.so.0 whose build ID differs from the one linked (one byte
    of the ID changed in a copy, put first with LD_LIBRARY_PATH: RUNPATH
    comes after it) makes vpnsipd refuse to start, saying what to install."""
    lib = tmp_path / "lib"
    lib.mkdir()
    real = "/usr/lib/ipsec/libcharon.so.0"
    with open(real, "rb") as f:
        data = bytearray(f.read())
    out = subprocess.run(["readelf", "-n", real], capture_output=True, text=True).stdout
    build_id = bytes.fromhex(re.search(r"Build ID: ([0-9a-f]+)", out).group(1))
    at = data.find(build_id)
    assert at > 0 and data.find(build_id, at + 1) < 0
    data[at] ^= 0xff
    (lib / "libcharon.so.0").write_bytes(bytes(data))
    env = dict(os.environ, LD_LIBRARY_PATH=str(lib))
    env.pop("JOURNAL_STREAM", None)
    r = netns.run(str(build / "vpnsipd"), "-F", "-f", "/dev/null", "-S", str(tmp_path / "s"),
                  "-D", str(tmp_path / "state"), env=env, timeout=30)
    assert r.returncode == 1, r.stdout + r.stderr
    text = r.stdout + r.stderr
    assert "%%SYS-2-STRONGSWAN: %s/libcharon.so.0 is not the strongSwan library" % lib in text, text
    assert "Install strongswan-libcharon, libstrongswan and libcharon-extra-plugins %s" \
        % strongswan_deb_version() in text, text
    assert not (tmp_path / "s").exists()
    # The same binary with the right library starts (the check is no veto).
    env.pop("LD_LIBRARY_PATH")
    r = subprocess.run(["ip", "netns", "exec", netns.name, str(build / "vpnsipd"), "-t",
                        "-f", "/dev/null"], capture_output=True, text=True, env=env)
    assert r.returncode == 0, r.stderr


# ---- the example configurations -----------------------------------------------

@pytest.mark.parametrize("example", EXAMPLES, ids=lambda p: p.name)
def test_example_checks_clean(build, example):
    """vpnsipd -t: exit 0 and nothing but the summary line (no warning, no
    error); the example has what a real NGN backup needs."""
    r = subprocess.run([str(build / "vpnsipd"), "-t", "-f", str(example)], capture_output=True,
                       text=True, timeout=60)
    assert r.returncode == 0, r.stderr
    lines = r.stderr.splitlines()
    assert len(lines) == 1 and re.fullmatch(
        r"%s: \d+ lines, \d+ applied, 0 errors, 0 unsupported, 0 ignored" % re.escape(str(example)),
        lines[0]), r.stderr
    text = example.read_text()
    for needed in (r"^ ip dhcp client request sip-server-address$", r"^ ip address dhcp$",
                   r"^ tunnel destination dynamic$", r"^ vpn-sip local-number \d+ remote-number \d+ ",
                   r"^vpn-sip enable$", r"^ip sla 1$", r"^ip sla schedule 1 life forever",
                   r"^track 1 ip sla 1 ", r"^ip route \S+ \S+ \S+ track 1$",
                   r"^ip route \S+ \S+ Tunnel1 2\d\d$", r"^ set security-association idle-time \d+$",
                   r"^vpn-sip max-call-duration \d+$"):
        assert re.search(needed, text, re.M), needed
    assert "vpn-sip sip-server" not in text  # the server comes from DHCP option 120


def test_examples_pair():
    assert [p.name for p in EXAMPLES] == ["ntt-ngn-cert.conf", "ntt-ngn-psk.conf"]
    assert "authentication local rsa-sig" in (ROOT / "conf/examples/ntt-ngn-cert.conf").read_text()
    assert "authentication local pre-share" in PSK_EXAMPLE.read_text()


# ---- make install ---------------------------------------------------------------

def test_make_install_has_no_live_config(tmp_path):
    dest = tmp_path / "root"
    r = subprocess.run(["make", "-s", "--no-print-directory", "install", "DESTDIR=%s" % dest],
                       cwd=ROOT, capture_output=True, text=True, timeout=600)
    assert r.returncode == 0, r.stdout + r.stderr
    etc = dest / "etc" / "vpnsip"
    assert etc.is_dir() and (etc.stat().st_mode & 0o777) == 0o700
    assert list(etc.iterdir()) == [], list(etc.iterdir())
    doc = dest / "usr/local/share/doc/vpnsip/examples"
    assert sorted(p.name for p in doc.iterdir()) == [p.name for p in EXAMPLES]
    for f in ("usr/local/sbin/vpnsipd", "usr/local/bin/vpnsipsh",
              "usr/local/libexec/vpnsip/vpnsip-dhcp-hook",
              "usr/local/share/man/man8/vpnsipd.8", "usr/local/share/man/man1/vpnsipsh.1",
              "usr/local/share/snmp/mibs/VPNSIP-MIB.txt"):
        assert (dest / f).is_file(), f
    unit_text = (dest / "usr/local/lib/systemd/system/vpnsipd.service").read_text()
    assert "\nExecStart=/usr/local/sbin/vpnsipd -F\n" in unit_text


# ---- package sets ------------------------------------------------------------------

def test_deps_sets():
    sets = deps_sets()
    assert {"openssl", "kamailio", "sip-tester", "tshark", "tcpdump", "clang",
            "strongswan-charon", "systemd"} <= sets["test"]
    # build-essential: dpkg-buildpackage checks for it besides Build-Depends
    assert {"debhelper", "build-essential", "libsystemd-dev", "libsofia-sip-ua-dev",
            "libjson-c-dev"} <= sets["build"]
    assert {"isc-dhcp-client", "strongswan-libcharon", "libsofia-sip-ua0",
            "libsystemd0", "libjson-c5"} <= sets["runtime"]
    assert not (sets["runtime"] & NEVER_DEPENDS)
    # debian/control's Build-Depends are build packages (and only those).
    control = (ROOT / "debian" / "control").read_text()
    bd = re.search(r"^Build-Depends:(.*?)^\S", control, re.M | re.S).group(1)
    names = {d.strip().split()[0] for d in bd.split(",") if d.strip()} - {"debhelper-compat"}
    assert names <= sets["build"], names - sets["build"]
    # DEB_PACKAGES is computed from the three sets: a fragment that adds to
    # it directly is lost (libseccomp-dev was, and a clean root could not
    # build), so every fragment names its set.
    for frag in sorted((ROOT / "mk").glob("*.mk")) + [ROOT / "tests" / "lab" / "lab.mk"]:
        assert not re.search(r"^\s*DEB_PACKAGES\s*[+:]?=", frag.read_text(), re.M), frag
    assert {"libseccomp-dev", "libcap-dev"} <= sets["build"]
    assert {"libseccomp2", "libcap2"} <= sets["runtime"]
    # SNMP: net-snmp's agent library; snmpd and its tools for the tests
    assert "libsnmp-dev" in sets["build"] and "libsnmp40" in sets["runtime"]
    assert {"snmpd", "snmp", "snmptrapd"} <= sets["test"]


# ---- the Debian package --------------------------------------------------------------

@pytest.fixture(scope="module")
def deb():
    r = subprocess.run(["make", "-s", "--no-print-directory", "deb"], cwd=ROOT,
                       capture_output=True, text=True, timeout=1800)
    assert r.returncode == 0, r.stdout + r.stderr
    debs = sorted((ROOT / "build" / "deb").glob("vpnsip_*.deb"))
    assert len(debs) == 1, debs
    return debs[0]


def test_deb_contents(deb, tmp_path):
    files = subprocess.run(["dpkg-deb", "-c", str(deb)], capture_output=True, text=True,
                           check=True).stdout
    paths = {l.split()[-1].lstrip(".") for l in files.splitlines()}
    for f in ("/usr/sbin/vpnsipd", "/usr/bin/vpnsipsh", "/usr/libexec/vpnsip/vpnsip-dhcp-hook",
              "/lib/systemd/system/vpnsipd.service", "/usr/share/man/man8/vpnsipd.8.gz",
              "/usr/share/man/man1/vpnsipsh.1.gz",
              "/usr/share/doc/vpnsip/examples/ntt-ngn-psk.conf",
              "/usr/share/doc/vpnsip/examples/ntt-ngn-cert.conf", "/etc/vpnsip/"):
        assert f in paths, f
    assert "/etc/vpnsip/vpnsipd.conf" not in paths
    assert re.search(r"^drwx------ root/root .* \./etc/vpnsip/$", files, re.M), files
    conffiles = subprocess.run(["dpkg-deb", "-f", str(deb), "Conffiles"], capture_output=True,
                               text=True).stdout
    assert "vpnsipd.conf" not in conffiles

    depends = subprocess.run(["dpkg-deb", "-f", str(deb), "Depends"], capture_output=True,
                             text=True, check=True).stdout
    names = {d.strip().split()[0] for d in re.split(r"[,|]", depends) if d.strip()}
    sets = deps_sets()
    test_only = sets["test"] - sets["runtime"] - sets["build"]
    assert not (names & (test_only | NEVER_DEPENDS)), names & (test_only | NEVER_DEPENDS)
    ver = strongswan_deb_version()
    for p in ("strongswan-libcharon", "libstrongswan", "libcharon-extra-plugins",
              "libstrongswan-standard-plugins"):
        assert "%s (= %s)" % (p, ver) in depends, depends
    for p in ("isc-dhcp-client", "libsofia-sip-ua0", "libsystemd0", "libnftables1", "libjson-c5",
              "libsnmp40"):
        assert p in names, depends

    x = tmp_path / "x"
    subprocess.run(["dpkg-deb", "-x", str(deb), str(x)], check=True)
    unit_text = (x / "lib/systemd/system/vpnsipd.service").read_text()
    assert "\nType=notify\n" in unit_text and "\nExecStart=/usr/sbin/vpnsipd -F\n" in unit_text
    assert unit_text == UNIT.read_text()
    for ex in ("ntt-ngn-psk.conf", "ntt-ngn-cert.conf"):
        r = subprocess.run([str(x / "usr/sbin/vpnsipd"), "-t", "-f",
                            str(x / "usr/share/doc/vpnsip/examples" / ex)],
                           capture_output=True, text=True, timeout=60)
        assert r.returncode == 0 and "0 errors, 0 unsupported" in r.stderr, r.stderr
    # The installed daemon finds the hook where the package puts it.
    strings = (x / "usr/sbin/vpnsipd").read_bytes()
    assert b"/usr/libexec/vpnsip" in strings
    # The unit is enabled and started by the maintainer scripts (debhelper).
    ctl = tmp_path / "ctl"
    subprocess.run(["dpkg-deb", "-e", str(deb), str(ctl)], check=True)
    assert "deb-systemd-helper" in (ctl / "postinst").read_text()
