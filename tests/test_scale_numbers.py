"""One peer daemon with many local numbers: the peer rtrB has
several global "vpn-sip local-number" lines, each registered on its own with
the real Kamailio, and one tunnel per number towards rtrA; rtrA has one
tunnel per peer number.  Traffic through every tunnel at the same moment
brings every session up.  The configurations are the ones tools/bench_scale.py
measures with (imported from it), so the benchmark's setup is tested too.

Observed: Kamailio's location table, packets through each tunnel (ICMP from
rtrA's namespace to the far tunnel address), show output of both daemons,
IOS-style configuration errors, the binding gone after "no vpn-sip
local-number N"."""
import json
import os
import re
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(HERE, "lab"))
sys.path.insert(0, os.path.join(TOP, "tools"))
import labctl  # noqa: E402
import bench_scale as bs  # noqa: E402

pytestmark = pytest.mark.netns

scalelab = labctl.lab_fixture(routers=2, up_args=["--no-primary-routes"], name="scalelab")

R, P = bs.R, bs.P


class Pair:
    """vpnsipd (this build) on rtrA (R) and rtrB (P) with n tunnels."""

    def __init__(self, lab, build, tmp_path, n):
        self.lab, self.build, self.n = lab, build, n
        lab.env["VPNSIPD"] = str(build / "vpnsipd")
        lab.env["VPNSIPSH"] = str(build / "vpnsipsh")
        lab.env["ASAN_OPTIONS"] = "abort_on_error=0:detect_leaks=1"
        lab.clear_knobs()
        self.logs, self.running = {}, set()
        for node, text in ((P, bs.p_config(lab, n)), (R, bs.r_config(lab, n))):
            conf = tmp_path / ("%s-%d.conf" % (node, n))
            conf.write_text(text)
            path = os.path.join(lab.dir, node, "vpnsipd.log")
            self.logs[node] = (path, os.path.getsize(path) if os.path.exists(path) else 0)
            lab.vpnsipd_start(node, str(conf))
            self.running.add(node)

    def sh(self, node, *cmds):
        args = [str(self.build / "vpnsipsh"), "-S", os.path.join(self.lab.dir, node, "vpnsipd.sock")]
        for c in cmds:
            args += ["-c", c]
        p = subprocess.run(args, capture_output=True, text=True, timeout=60)
        return p.stdout + p.stderr

    def cfg(self, node, *lines):
        return self.sh(node, "configure terminal", *lines, "end")

    def log(self, node):
        path, start = self.logs[node]
        with open(path, errors="replace") as f:
            f.seek(start)
            return f.read()

    def registered(self, node):
        return self.sh(node, "show vpn-sip registration-status").count(": registered")

    def wait_registered(self, timeout=30):
        labctl.wait_for(lambda: self.registered(P) == self.n and self.registered(R) == 1,
                        timeout=timeout, interval=0.2,
                        what="registrations\n" + self.sh(P, "show vpn-sip registration-status"))

    def probe(self, timeout=60):
        """One echo to the far end of every tunnel at once, repeated until
        each answers, then 3 more each (tools/bench_scale.py's prober)."""
        targets = [bs.tun_addrs(i)[1] for i in range(1, self.n + 1)]
        p = subprocess.run(["ip", "netns", "exec", self.lab.ns(R), sys.executable,
                            os.path.join(TOP, "tools", "bench_scale.py"), "--probe"],
                           input=json.dumps({"targets": targets, "timeout": timeout}),
                           capture_output=True, text=True, timeout=timeout + 60)
        assert p.returncode == 0, p.stderr
        return json.loads(p.stdout)

    def sessions(self, node):
        """{tunnel: {"status":, "remote":, "local":}} from show vpn-sip session."""
        out = self.sh(node, "show vpn-sip session")
        res = {}
        for block in out.split("\nInterface: ")[1:]:
            name = block.split("\n", 1)[0].strip()
            res[name] = {
                "status": re.search(r"Session status: (.*)", block).group(1).strip(),
                "remote": re.search(r"Remote number\s*: (\S+)", block).group(1),
                "local": re.search(r"Local number\s*: (\S+)", block).group(1),
            }
        return res

    def close(self):
        """SIGTERM both; fails unless each exits 0 without a sanitizer report."""
        nodes = [n for n in (R, P) if n in self.running]
        self.running.clear()
        self.lab.vpnsipd_stop_nodes(*nodes)


@pytest.fixture
def pair(scalelab, build, tmp_path):
    made = []

    def make(n):
        p = Pair(scalelab, build, tmp_path, n)
        made.append(p)
        return p
    yield make
    labctl.close_each(made, Pair.close)


def bound_numbers(lab):
    """Numbers with a binding in Kamailio's location table."""
    return {re.sub(r"^sip:|@.*$", "", a) for a in lab.registrations()}


def test_three_numbers_registered_and_up_at_once(scalelab, pair):
    lab = scalelab
    pr = pair(3)
    pr.wait_registered()
    nums = [bs.peer_number(i) for i in (1, 2, 3)]
    # One REGISTER dialog per number: three bindings at the carrier.
    labctl.wait_for(lambda: set(nums) <= bound_numbers(lab), timeout=10,
                    what="3 bindings in Kamailio: %s" % bound_numbers(lab))
    regs = pr.sh(P, "show vpn-sip registration-status").splitlines()
    assert [l.split(" : ")[0] for l in regs] == \
        ["SIP registration of local number %s" % n for n in nums], regs
    assert all(": registered 192.0.2.12" in l for l in regs), regs
    registrar = pr.sh(P, "show vpn-sip sip registrar")
    assert all(n in registrar for n in nums), registrar

    res = pr.probe()
    assert all(x is not None for x in res["latency_ms"]), (res, pr.log(R)[-3000:], pr.log(P)[-3000:])
    assert all(g >= 1 for g in res["traffic"]), res

    me = lab.number(R)
    rs, ps = pr.sessions(R), pr.sessions(P)
    for i, n in enumerate(nums, 1):
        t = "Tunnel%d" % i
        assert rs[t] == {"status": "SESSION_UP (I)", "remote": n, "local": me}, rs
        assert ps[t] == {"status": "SESSION_UP (R)", "remote": me, "local": n}, ps
    # Each call came from rtrA's number to one of rtrB's (the carrier's view).
    starts = [c for c in lab.cdr() if c.get("event") == "START" and c.get("from") == me]
    assert set(nums) <= {c.get("to") for c in starts}, starts
    # rtrB answered the calls to 0500000002/3 on ports of their own (all
    # three come from one address), the first on 4500.
    detail = pr.sh(R, "show vpn-sip session detail")
    ports = re.findall(r"Remote address:port: 192\.0\.2\.12:(\d+)", detail)
    assert len(ports) == 3 and len(set(ports)) == 3, detail
    # Those own ports show where IOS shows its VPN-SIP PAT entries, one row
    # each (4500 <-> the port of rtrB's answer, towards rtrA's IKE endpoint).
    nat = pr.sh(P, "show ip nat translations")
    rows = re.findall(r"^udp +192\.0\.2\.12:4500 +192\.0\.2\.12:(\d+) +(\S+) +(\S+) *$", nat, re.M)
    assert sorted(r[0] for r in rows) == sorted(p for p in ports if p != "4500"), nat
    assert all(r[1] == r[2] and r[1].startswith("192.0.2.11:") for r in rows), nat


def test_number_config_errors_and_unregister(scalelab, pair):
    lab = scalelab
    pr = pair(3)
    pr.wait_registered()
    me = lab.number(R)
    # A tunnel's local number must be one of the global numbers.
    out = pr.cfg(P, "interface Tunnel9", "vpn-sip local-number 0599999999 remote-number %s "
                 "bandwidth 64" % me)
    assert "% The local number must be one of the global ones: 0599999999 is not configured " \
           "with \"vpn-sip local-number\"" in out, out
    # One tunnel per (local, remote) pair; the same remote with another local is fine.
    out = pr.cfg(P, "interface Tunnel9", "vpn-sip local-number %s remote-number %s bandwidth 64"
                 % (bs.peer_number(2), me))
    assert "%% Remote number %s is already used by Tunnel2 (local number %s)" \
        % (me, bs.peer_number(2)) in out, out
    # Every number on the one address interface.
    out = pr.cfg(P, "vpn-sip local-number 0599999999 address ipv4 lan0")
    assert "% Every VPN-SIP local number uses the address of bak0" in out, out
    # A number in use by a tunnel cannot go.
    out = pr.cfg(P, "no vpn-sip local-number %s" % bs.peer_number(3))
    assert "%% Tunnel3 has VPN-SIP local number %s" % bs.peer_number(3) in out, out
    run = pr.sh(P, "show running-config")
    assert "0599999999" not in run and run.count("remote-number %s" % me) == 3, run
    assert [l for l in run.splitlines() if l.startswith("vpn-sip local-number")] == \
        ["vpn-sip local-number %s address ipv4 bak0" % bs.peer_number(i) for i in (1, 2, 3)], run

    # Removing a number (its tunnel first) unregisters it at the carrier.
    n3 = bs.peer_number(3)
    assert n3 in bound_numbers(lab)
    out = pr.cfg(P, "interface Tunnel3", "no vpn-sip local-number", "exit",
                 "no vpn-sip local-number %s" % n3)
    assert "%" not in out, out
    labctl.wait_for(lambda: n3 not in bound_numbers(lab), timeout=10,
                    what="%s's binding gone: %s" % (n3, bound_numbers(lab)))
    assert {bs.peer_number(1), bs.peer_number(2)} <= bound_numbers(lab)
    regs = pr.sh(P, "show vpn-sip registration-status")
    assert n3 not in regs and regs.count(": registered") == 2, regs
    # Added back: registered again.
    out = pr.cfg(P, "vpn-sip local-number %s address ipv4 bak0" % n3)
    assert "%" not in out, out
    labctl.wait_for(lambda: n3 in bound_numbers(lab), timeout=10, what="%s bound again" % n3)


def test_twenty_sessions_at_once(scalelab, pair):
    pr = pair(20)
    pr.wait_registered()
    res = pr.probe(timeout=90)
    assert all(x is not None for x in res["latency_ms"]), (res, pr.log(R)[-3000:])
    assert all(g >= 1 for g in res["traffic"]), res
    rs = pr.sessions(R)
    assert len(rs) == 20 and all(s["status"] == "SESSION_UP (I)" for s in rs.values()), rs
    ps = pr.sessions(P)
    assert sorted(s["local"] for s in ps.values()) == [bs.peer_number(i) for i in range(1, 21)]
    assert all(s["status"] == "SESSION_UP (R)" for s in ps.values()), ps
