"""SNMP (docs/snmp.md): vpnsipd's AgentX subagent under a real snmpd, read
with snmpwalk/snmpget, notifications received by a real snmptrapd.

snmpd runs in vpnsipd's namespace as the master agent, its AgentX socket in
the test's directory, a community of the test's own, UDP on the namespace's
127.0.0.1.  The MIB is read by number (Debian ships no IETF MIB files);
mib/VPNSIP-MIB.txt names them:

  .1.3.6.1.3.1017.1.1.N.0     vpnsipRegistration scalars
  .1.3.6.1.3.1017.1.2.1.C.I   vpnsipSessionTable column C, tunnel ifIndex I
  .1.3.6.1.3.1017.0.N         notifications

Without the lab: the session table and registration against show's JSON,
snmpd's own IF-MIB rows for the Loopback/Tunnel devices (same ifIndex),
vpnsipd started before snmpd, snmpd restarted, "no snmp-server agentx".
With the lab (two vpnsipd, Kamailio): registered, a session up in the table,
sessionUp/sessionDown/registrationLost at snmptrapd."""
import json
import os
import re
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lab"))
import labctl  # noqa: E402

pytestmark = pytest.mark.netns

MIB = ".1.3.6.1.3.1017"
REG = MIB + ".1.1"
SESS = MIB + ".1.2.1"
COMMUNITY = "vpnsip-test-c0mm"
SNMP_PORT = 16161
TRAP_PORT = 16162
TOOLS_DIR = "/tmp/vpnsip-test-snmp-tools"
REG_STATES = {"off": 1, "registering": 2, "registered": 3, "failed": 4}

CONF = """hostname snmp-r1
interface Loopback0
 ip address 10.21.1.1 255.255.255.255
!
interface Loopback2
 ip address 10.2.2.2 255.255.255.255
 shutdown
!
interface Loopback11
 ip address 192.0.2.1 255.255.255.0
!
interface Tunnel1
 ip unnumbered Loopback0
 tunnel source Loopback11
 tunnel mode ipsec ipv4
 tunnel destination dynamic
 tunnel protection ipsec profile IPROF ikev2-profile IPROF
 vpn-sip local-number 0311111111 remote-number 0322222222 bandwidth 1000
!
interface Tunnel3
 ip unnumbered Loopback0
 tunnel source Loopback11
 tunnel mode ipsec ipv4
 tunnel destination dynamic
 tunnel protection ipsec profile IPROF ikev2-profile IPROF
 vpn-sip local-number 0311111111 remote-number 0333333333 bandwidth 512
!
vpn-sip enable
vpn-sip local-number 0311111111 address ipv4 Loopback0
vpn-sip tunnel source Loopback11
!
snmp-server agentx socket {sock}
!
"""


def snmp_env(workdir):
    """net-snmp tools' environment: no MIB files, persistent state (which
    snmpd writes as snmpd.conf) in a directory of its own, not
    /var/lib/snmp, and no configuration but the one given."""
    persist = os.path.join(str(workdir), "persist")
    os.makedirs(persist, exist_ok=True)
    env = dict(os.environ)
    env["MIBS"] = ""
    env["SNMP_PERSISTENT_DIR"] = persist
    env["SNMPCONFPATH"] = persist
    return env


class Snmpd:
    """snmpd as the AgentX master agent in namespace ns."""

    def __init__(self, ns, workdir, sock, trap_port=None):
        self.ns, self.dir, self.sock = ns, workdir, str(sock)
        self.dir.mkdir(parents=True, exist_ok=True)
        self.conf = self.dir / "snmpd.conf"
        lines = ["master agentx", "agentXSocket " + self.sock, "agentXPerms 0600 0700",
                 "agentaddress udp:127.0.0.1:%d" % SNMP_PORT,
                 "rocommunity %s 127.0.0.1" % COMMUNITY]
        if trap_port:
            lines.append("trap2sink 127.0.0.1:%d %s" % (trap_port, COMMUNITY))
        self.conf.write_text("\n".join(lines) + "\n")
        self.log = self.dir / "snmpd.log"
        self.proc = None

    def start(self):
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", self.ns, "snmpd", "-f", "-C", "-c", str(self.conf),
             "-Lf", str(self.log), "-p", str(self.dir / "snmpd.pid")],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=snmp_env(self.dir))
        labctl.wait_for(lambda: os.path.exists(self.sock) or self.proc.poll() is not None,
                        timeout=10, interval=0.05, what="snmpd's AgentX socket")
        assert self.proc.poll() is None, "snmpd exited:\n" + self.log.read_text(errors="replace")
        return self

    def stop(self):
        if self.proc and self.proc.poll() is None:
            self.proc.terminate()
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait()
        self.proc = None


class Snmptrapd:
    """snmptrapd on the namespace's 127.0.0.1:TRAP_PORT, logging to a file."""

    def __init__(self, ns, workdir):
        self.ns, self.dir = ns, workdir
        self.dir.mkdir(parents=True, exist_ok=True)
        conf = self.dir / "snmptrapd.conf"
        conf.write_text("authCommunity log %s\n" % COMMUNITY)
        self.log = self.dir / "snmptrapd.log"
        self.proc = subprocess.Popen(
            ["ip", "netns", "exec", ns, "snmptrapd", "-f", "-C", "-c", str(conf), "-On",
             "-Lf", str(self.log), "udp:127.0.0.1:%d" % TRAP_PORT],
            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, env=snmp_env(self.dir))
        labctl.wait_for(lambda: self.text() or self.proc.poll() is not None, timeout=10,
                        interval=0.05, what="snmptrapd started")
        assert self.proc.poll() is None, "snmptrapd exited:\n" + self.text()

    def text(self):
        return self.log.read_text(errors="replace") if self.log.exists() else ""

    def wait(self, pattern, timeout=15):
        return labctl.wait_for(lambda: re.search(pattern, self.text(), re.S), timeout=timeout,
                               interval=0.2, what=lambda: "trap /%s/ in\n%s" % (pattern, self.text()))

    def stop(self):
        if self.proc.poll() is None:
            self.proc.terminate()
            self.proc.wait(10)


def snmp(ns, tool, *oids):
    """snmpwalk/snmpget in ns: {numeric OID: value text}; value text keeps
    the type ("STRING: \\"Tunnel1\\"", "INTEGER: 1")."""
    p = subprocess.run(["ip", "netns", "exec", ns, tool, "-v2c", "-c", COMMUNITY, "-On",
                        "-t", "2", "-r", "1", "127.0.0.1:%d" % SNMP_PORT, *oids],
                       capture_output=True, text=True, timeout=60, env=snmp_env(TOOLS_DIR))
    out = {}
    for line in p.stdout.splitlines():
        m = re.match(r"^(\.[\d.]+) = (.*)$", line)
        if m:
            out[m.group(1)] = m.group(2)
    return out, p.stdout + p.stderr


def ifindex(ns, dev):
    out = subprocess.run(["ip", "netns", "exec", ns, "cat", "/sys/class/net/%s/ifindex" % dev],
                         capture_output=True, text=True).stdout.strip()
    return int(out)


def log_count(d, text):
    return d.log.read_text(errors="replace").count(text)


def wait_log(d, text, count=1, timeout=15):
    labctl.wait_for(lambda: log_count(d, text) >= count, timeout=timeout, interval=0.1,
                    what=lambda: "%dx %r in vpnsipd's log:\n%s" % (
                        count, text, d.log.read_text(errors="replace")[-3000:]))


def test_config_lines_and_errors(build, tmp_path):
    """The model: running-config, defaults, no forms, IOS-style errors."""
    conf = tmp_path / "c.conf"
    conf.write_text("snmp-server agentx socket /run/snmp/agentx\n"
                    "snmp-server enable traps vpn-sip\n"
                    "snmp-server agentx socket relative/path\n"
                    "snmp-server agentx socket /" + "x" * 107 + "\n"
                    "snmp-server enable traps bogus\n")
    p = subprocess.run([str(build / "vpnsipd"), "-t", "-p", "-f", str(conf)],
                       capture_output=True, text=True)
    assert p.returncode == 1, p.stdout + p.stderr
    assert "snmp-server agentx socket /run/snmp/agentx\nsnmp-server enable traps vpn-sip\n" \
        in p.stdout, p.stdout
    assert "c.conf:3: % Invalid AgentX socket relative/path: an absolute path of at most 107 " \
        "characters" in p.stderr, p.stderr
    assert "c.conf:4: % Invalid AgentX socket /xxx" in p.stderr, p.stderr
    assert re.search(r"c.conf:5: % Invalid input", p.stderr), p.stderr
    # net-snmp's default socket is the default: not printed; "no" removes.
    conf.write_text("snmp-server agentx socket /var/agentx/master\n")
    p = subprocess.run([str(build / "vpnsipd"), "-t", "-p", "-f", str(conf)],
                       capture_output=True, text=True)
    assert p.returncode == 0 and "\nsnmp-server agentx\n" in p.stdout, p.stdout + p.stderr
    conf.write_text("snmp-server agentx\nsnmp-server enable traps vpn-sip\n"
                    "no snmp-server agentx\nno snmp-server enable traps vpn-sip\n")
    p = subprocess.run([str(build / "vpnsipd"), "-t", "-p", "-f", str(conf)],
                       capture_output=True, text=True)
    assert p.returncode == 0 and "snmp-server" not in p.stdout, p.stdout + p.stderr


def test_agentx_subagent_tables_and_master_restart(build, daemon_factory, tmp_path):
    sock = tmp_path / "agentx.sock"
    d = daemon_factory(build, CONF.format(sock=sock)).start()
    ns = d.netns.name
    # vpnsipd first: no master agent yet, said once, retried.
    wait_log(d, "%%SNMP-4-AGENTX_DOWN: No AgentX master agent at %s" % sock)
    snmpd = Snmpd(ns, tmp_path / "snmpd", sock).start()
    try:
        wait_log(d, "%%SNMP-5-AGENTX_UP: Connected to the AgentX master agent at %s" % sock,
                 timeout=12)
        t1, t3 = ifindex(ns, "Tunnel1"), ifindex(ns, "Tunnel3")
        rows, raw = snmp(ns, "snmpwalk", MIB)
        # the session table: one row per VPN-SIP tunnel, by ifIndex
        want = {
            "%s.2.%d" % (SESS, t1): 'STRING: "Tunnel1"',
            "%s.3.%d" % (SESS, t1): "INTEGER: 1",                  # readyToConnect
            "%s.4.%d" % (SESS, t1): 'STRING: "0311111111"',
            "%s.5.%d" % (SESS, t1): 'STRING: "0322222222"',
            "%s.6.%d" % (SESS, t1): "IpAddress: 0.0.0.0",
            "%s.7.%d" % (SESS, t1): "Gauge32: 1000",
            "%s.8.%d" % (SESS, t1): "Gauge32: 0",
            "%s.9.%d" % (SESS, t1): "Gauge32: 0",
            "%s.10.%d" % (SESS, t1): "Gauge32: 0",
            "%s.2.%d" % (SESS, t3): 'STRING: "Tunnel3"',
            "%s.5.%d" % (SESS, t3): 'STRING: "0333333333"',
            "%s.7.%d" % (SESS, t3): "Gauge32: 512",
            REG + ".1.0": 'STRING: "0311111111"',
            REG + ".3.0": "Gauge32: 1",
            REG + ".4.0": "Gauge32: 0",
        }
        for oid, val in want.items():
            assert rows.get(oid) == val, (oid, val, raw)
        assert len([o for o in rows if o.startswith(SESS + ".")]) == 2 * 9, raw
        # registration state: what show's JSON says
        [num] = json.loads(d.sh("show vpn-sip registration-status json").stdout)["localNumbers"]
        assert rows[REG + ".2.0"] == "INTEGER: %d" % REG_STATES[num["state"]], (num, raw)
        # IF-MIB: snmpd's own rows from the kernel, same ifIndex as ours
        ifd, raw_if = snmp(ns, "snmpwalk", ".1.3.6.1.2.1.2.2.1.2")
        assert ifd.get(".1.3.6.1.2.1.2.2.1.2.%d" % t1) == 'STRING: "Tunnel1"', raw_if
        assert ifd.get(".1.3.6.1.2.1.2.2.1.2.%d" % ifindex(ns, "Loopback0")) == \
            'STRING: "Loopback0"', raw_if
        admin = ".1.3.6.1.2.1.2.2.1.7."                              # ifAdminStatus
        st, raw_st = snmp(ns, "snmpget", admin + str(ifindex(ns, "Loopback0")),
                          admin + str(ifindex(ns, "Loopback2")))
        assert list(st.values()) == ["INTEGER: 1", "INTEGER: 2"], raw_st  # up, down (shutdown)
        # a change is seen within the copy's second
        d.sh("configure terminal", "vpn-sip local-number 0388888888 address ipv4 Loopback0", "end")
        labctl.wait_for(lambda: snmp(ns, "snmpget", REG + ".3.0")[0].get(REG + ".3.0") ==
                        "Gauge32: 2", timeout=5, interval=0.3, what="two local numbers")

        # snmpd goes away and comes back: logged once each, served again
        snmpd.stop()
        wait_log(d, "%%SNMP-4-AGENTX_DOWN: Lost the AgentX master agent at %s" % sock)
        snmpd.start()
        wait_log(d, "%SNMP-5-AGENTX_UP", count=2, timeout=12)
        got, raw = snmp(ns, "snmpget", "%s.2.%d" % (SESS, t1))
        assert got == {"%s.2.%d" % (SESS, t1): 'STRING: "Tunnel1"'}, raw

        # no snmp-server agentx: the session closes, snmpd no longer has the MIB
        d.sh("configure terminal", "no snmp-server agentx", "end")
        wait_log(d, "%%SNMP-5-AGENTX_DOWN: Disconnected from the AgentX master agent at %s" % sock)
        got, raw = snmp(ns, "snmpget", REG + ".1.0")
        assert "No Such Object" in got.get(REG + ".1.0", ""), raw
        assert "snmp-server" not in d.running_config()
        time.sleep(6)  # no reconnect attempt after it (net-snmp's retry is 5 s)
        assert log_count(d, "%SNMP-5-AGENTX_UP") == 2
        d.sh("configure terminal", "snmp-server agentx socket %s" % sock, "end")
        wait_log(d, "%SNMP-5-AGENTX_UP", count=3)
        got, raw = snmp(ns, "snmpget", REG + ".1.0")
        assert got == {REG + ".1.0": 'STRING: "0311111111"'}, raw
        assert "NETSNMP" not in d.log.read_text(errors="replace")
    finally:
        snmpd.stop()
    d.assert_clean()


# ---- with the lab: registered, a session, notifications ------------------------------------

snmplab = labctl.lab_fixture(routers=2, up_args=["--no-primary-routes"], name="snmplab")


def test_session_table_and_traps(snmplab, build, tmp_path):
    import test_session as ts
    lab = snmplab
    r = ts.Routers(lab, build, tmp_path)
    ns = lab.ns("rtrA")
    sock = tmp_path / "agentx.sock"
    trapd = Snmptrapd(ns, tmp_path / "trapd")
    snmpd = Snmpd(ns, tmp_path / "snmpd", sock, trap_port=TRAP_PORT).start()
    try:
        out = ts.configure(lab, r, "rtrA", "snmp-server agentx socket %s" % sock,
                           "snmp-server enable traps vpn-sip")
        assert "%" not in out, out
        r.wait_log("rtrA", r"%SNMP-5-AGENTX_UP")
        got, raw = snmp(ns, "snmpget", REG + ".1.0", REG + ".2.0", REG + ".4.0")
        assert got == {REG + ".1.0": 'STRING: "%s"' % lab.number("rtrA"),
                       REG + ".2.0": "INTEGER: 3", REG + ".4.0": "Gauge32: 1"}, raw

        r.ping_through("rtrA")
        r.wait_state("rtrA", "SESSION_UP (I)")
        t1 = ifindex(ns, "Tunnel1")
        peer = lab.addr("rtrB")
        trapd.wait(r"\.1\.3\.6\.1\.6\.3\.1\.1\.4\.1\.0 = OID: %s\.0\.1\b.*"
                   r"%s\.2\.%d = STRING: \"Tunnel1\".*%s\.6\.%d = IpAddress: %s" % (
                       re.escape(MIB), re.escape(SESS), t1, re.escape(SESS), t1, re.escape(peer)))
        time.sleep(2.2)  # a call second or two, and a fresh copy
        rows, raw = snmp(ns, "snmpwalk", SESS)
        assert rows["%s.3.%d" % (SESS, t1)] == "INTEGER: 5", raw        # sessionUp
        assert rows["%s.5.%d" % (SESS, t1)] == 'STRING: "%s"' % lab.number("rtrB"), raw
        assert rows["%s.6.%d" % (SESS, t1)] == "IpAddress: %s" % peer, raw
        det = json.loads(r.sh("rtrA", "show vpn-sip session detail json"))["sessions"][0]
        assert rows["%s.8.%d" % (SESS, t1)] == "Gauge32: %d" % det["bandwidthNegotiatedKbps"], raw
        assert det["bandwidthNegotiatedKbps"] > 0, det
        assert int(rows["%s.9.%d" % (SESS, t1)].split()[-1]) >= 2, raw
        assert int(rows["%s.10.%d" % (SESS, t1)].split()[-1]) >= 1, raw

        r.sh("rtrA", "clear vpn-sip session")
        r.wait_state("rtrA", "READY_TO_CONNECT", timeout=10)
        trapd.wait(r"OID: %s\.0\.2\b.*%s\.10\.%d = Gauge32: [1-9]\d*.*"
                   r"%s\.1\.0 = STRING: \"cleared by operator\"" % (
                       re.escape(MIB), re.escape(SESS), t1, re.escape(MIB + ".1.3")))

        out = ts.configure(lab, r, "rtrA", "no vpn-sip enable")
        assert "%" not in out, out
        trapd.wait(r"OID: %s\.0\.3\b.*%s\.2\.0 = STRING: \"%s\"" % (
            re.escape(MIB), re.escape(MIB + ".1.3"), lab.number("rtrA")))
        got, raw = snmp(ns, "snmpget", REG + ".2.0")
        assert got == {REG + ".2.0": "INTEGER: 1"}, raw                 # off
    finally:
        snmpd.stop()
        trapd.stop()
        r.close()
