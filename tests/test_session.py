"""VPN-SIP sessions end to end: two vpnsipd in the lab, real
Kamailio as the carrier, no primary routes (lanA reaches lanB only through
Tunnel1).  The configurations are the demo's (conf/demo/rtrX.conf).

What is checked is what an operator or the carrier observes: packets through
the tunnel, SIP and IKE on the NGN wire (tshark on the ngn0 bridge), the
carrier's CDRs, show output and the daemons' logs."""
import datetime
import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(HERE, "lab"))
import labctl  # noqa: E402
from conftest import TIMER_BOUND  # noqa: E402

pytestmark = pytest.mark.netns

sesslab = labctl.lab_fixture(routers=2, up_args=["--no-primary-routes"], name="sesslab")

HOST = {"rtrA": "203.0.113.10", "rtrB": "203.0.113.2"}  # the far LAN host, from rtrX's LAN
LAN = {"rtrA": "lanA", "rtrB": "lanB"}
PEER = {"rtrA": "rtrB", "rtrB": "rtrA"}


def demo_conf(node, tmp_path, psk=None, extra=""):
    text = open(os.path.join(TOP, "conf", "demo", node + ".conf")).read()
    if psk:
        text = re.sub(r"pre-shared-key \S+", "pre-shared-key " + psk, text)
    text = text.replace("\nend\n", "\n" + extra + "end\n")
    p = tmp_path / (node + ".conf")
    p.write_text(text)
    return str(p)


class Routers:
    """vpnsipd (this build) on rtrA and rtrB with the demo configurations."""

    def __init__(self, lab, build, tmp_path, psk_b=None, extra=""):
        self.lab, self.build = lab, build
        lab.env["VPNSIPD"] = str(build / "vpnsipd")
        lab.env["VPNSIPSH"] = str(build / "vpnsipsh")
        lab.env["ASAN_OPTIONS"] = "abort_on_error=0:detect_leaks=1"
        lab.clear_knobs()
        self.logs = {}
        self.running = set()
        for node in ("rtrA", "rtrB"):
            conf = demo_conf(node, tmp_path, psk=psk_b if node == "rtrB" else None, extra=extra)
            path = os.path.join(lab.dir, node, "vpnsipd.log")
            self.logs[node] = (path, os.path.getsize(path) if os.path.exists(path) else 0)
            lab.vpnsipd_start(node, conf)
            self.running.add(node)
        labctl.wait_for(lambda: self.registered("rtrA") and self.registered("rtrB"),
                        timeout=15, what="both registered")
        # libcharon's "generating INFORMATIONAL request N [ D ]": which
        # INFORMATIONAL on the wire is a delete (Capture.deletes)
        for node in ("rtrA", "rtrB"):
            out = self.sh(node, "debug crypto ikev2 packet")
            assert "debugging is on" in out, out

    def log_sources(self):
        """{backup address: its router's log} for Capture."""
        return {self.lab.addr(n): (lambda n=n: self.log(n)) for n in ("rtrA", "rtrB")}

    def registered(self, node):
        return ": registered" in self.sh(node, "show vpn-sip registration-status")

    def sh(self, node, cmd):
        p = self.lab.sh(node, cmd, check=False)
        return p.stdout + p.stderr

    def log(self, node):
        path, start = self.logs[node]
        with open(path, errors="replace") as f:
            return f.read()[start:]

    def wait_log(self, node, pattern, timeout=20):
        return labctl.wait_for(lambda: re.search(pattern, self.log(node)), timeout=timeout,
                               interval=0.2,
                               what=lambda: "%s log /%s/\n%s" % (node, pattern, self.tail(node)))

    def tail(self, node, n=3000):
        """The end of node's log without libcharon's debug lines (diagnostics)."""
        lines = [ln for ln in self.log(node).splitlines(True) if ": IKEv2-" not in ln]
        return "".join(lines)[-n:]

    def state(self, node):
        m = re.search(r"Session status: (\S+(?: \([IR]\))?)", self.sh(node, "show vpn-sip session"))
        return m.group(1) if m else None

    def wait_state(self, node, state, timeout=20):
        return labctl.wait_for(lambda: (self.state(node) or "").startswith(state), timeout=timeout,
                               interval=0.2, what=lambda: "%s in %s (now %s)\n%s" % (
                                   node, state, self.state(node), self.tail(node)))

    def ping_through(self, src, timeout=30):
        """Ping the far LAN host from src's LAN until it answers (the first
        packet triggers the call)."""
        lan = LAN[src]
        return labctl.wait_for(lambda: self.lab.ping(lan, HOST[src], count=1, wait=1),
                               timeout=timeout, what=lambda: "ping %s -> %s\nA:\n%s\nB:\n%s" % (
                                   lan, HOST[src], self.tail("rtrA"), self.tail("rtrB")))

    def call_id(self, node):
        m = re.search(r"SIP callID\s*: (\S+)", self.sh(node, "show vpn-sip session detail"))
        return m.group(1) if m else None

    def stop(self, node):
        """SIGTERM; fails unless vpnsipd exits 0 without a sanitizer report."""
        if node in self.running:
            self.running.discard(node)
            self.lab.vpnsipd_stop(node)

    def close(self):
        nodes = [n for n in ("rtrA", "rtrB") if n in self.running]
        self.running.clear()
        self.lab.vpnsipd_stop_nodes(*nodes)


@pytest.fixture
def routers(sesslab, build, tmp_path):
    made = []

    def make(**kw):
        r = Routers(sesslab, build, tmp_path, **kw)
        made.append(r)
        return r

    yield make
    try:
        labctl.close_each(made, Routers.close)
    finally:
        sesslab.clear_knobs()


IKE_GENERATED = re.compile(r"generating INFORMATIONAL request (\d+) \[([^\]]*)\]")


def delete_msgids(log):
    """Message IDs of the INFORMATIONAL requests libcharon built with a
    Delete payload: "generating INFORMATIONAL request N [ D ]" (vpnsipd's
    log under debug crypto ikev2 packet, or a stock charon's).  The SK
    payload is encrypted, so the wire alone cannot tell a delete from a DPD."""
    return {int(m.group(1)) for m in IKE_GENERATED.finditer(log) if "D" in m.group(2).split()}


class Capture:
    """tshark on the NGN bridge: every SIP message and IKE exchange.  Events
    are (time, src, dst, what, Call-ID, IKE message ID).  logs: {address:
    function returning that router's log}; stop() then sets deletes:
    {address: message IDs of the INFORMATIONAL requests with a Delete
    payload it sent meanwhile} (see delete_msgids)."""

    def __init__(self, lab, path, logs=None):
        self.lab, self.path = lab, str(path)
        self.logs = logs or {}
        self.marks = {a: len(f()) for a, f in self.logs.items()}
        self.deletes = {}
        self.p = subprocess.Popen(["ip", "netns", "exec", lab.ns("ngn"), "tshark", "-q", "-i", "ngn0",
                                   "-f", "udp port 5060 or udp port 4500", "-w", self.path],
                                  stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        labctl.wait_for(lambda: os.path.exists(self.path) and os.path.getsize(self.path) > 0,
                        timeout=10, what="tshark started")

    def stop(self):
        time.sleep(0.5)
        self.p.send_signal(signal.SIGINT)
        self.p.wait(timeout=10)
        out = subprocess.run(["tshark", "-r", self.path, "-Y", "sip.Method || sip.Status-Code || isakmp",
                              "-T", "fields", "-E", "separator=|", "-e", "frame.time_epoch",
                              "-e", "ip.src", "-e", "ip.dst", "-e", "sip.Method", "-e", "sip.Status-Code",
                              "-e", "sip.CSeq.method", "-e", "isakmp.exchangetype", "-e", "isakmp.flag_r",
                              "-e", "sip.Call-ID", "-e", "isakmp.messageid"],
                             capture_output=True, text=True).stdout
        self.deletes = {a: delete_msgids(f()[self.marks[a]:]) for a, f in self.logs.items()}
        events = []
        for line in out.splitlines():
            t, src, dst, method, code, cseq, exch, resp, cid, msgid = (line.split("|") + [""] * 10)[:10]
            if method:
                what = method
            elif code:
                what = "%s %s" % (code, cseq)
            elif exch:
                what = {"34": "IKE_SA_INIT", "35": "IKE_AUTH", "36": "CREATE_CHILD_SA",
                        "37": "INFORMATIONAL"}.get(exch, exch) + (" response" if resp == "1" else " request")
            else:
                continue
            events.append((float(t), src, dst, what, cid, int(msgid, 16) if msgid else None))
        return events


def first(events, what, src=None):
    for e in events:
        if e[3] == what and (src is None or e[1] == src):
            return e
    return None


SEED_LINES = [
    r"^VPN-SIP session current status$",
    r"^\s*Interface: Tunnel1$",
    r"^\s*Session status: SESSION_UP \(%s\)$",
    r"^\s*Uptime\s*: \d\d:\d\d:\d\d$",
    r"^\s*Remote number\s*: %s$",
    r"^\s*Local number\s*: %s$",
    r"^\s*Remote address:port: %s:\d+$",
    r"^\s*Local address:port : %s:\d+$",
    r"^\s*Crypto conn handle: 0x[0-9A-F]{8}$",
    r"^\s*SIP Handle\s*: 0x[0-9A-F]{8}$",
    r"^\s*SIP callID\s*: \S+$",
    r"^\s*Configured/Negotiated bandwidth: 1000/1000 kbps$",
]


def check_seed_layout(lab, r, node, role):
    """show vpn-sip session detail, field by field in the seed's order."""
    out = r.sh(node, "show vpn-sip session detail")
    lines = [l for l in out.splitlines() if l.strip()]
    me, peer = lab.number(node), lab.number(PEER[node])
    pats = list(SEED_LINES)
    pats[2] = pats[2] % role
    pats[4] = pats[4] % peer
    pats[5] = pats[5] % me
    pats[6] = pats[6] % re.escape(lab.addr(PEER[node]))
    pats[7] = pats[7] % re.escape(lab.addr(node))
    assert len(lines) == len(pats), out
    for line, pat in zip(lines, pats):
        assert re.match(pat, line), (pat, line, out)
    # remote-number filter: this tunnel, or nothing.
    assert "Interface: Tunnel1" in r.sh(node, "show vpn-sip session remote-number %s" % peer)
    assert "Interface:" not in r.sh(node, "show vpn-sip session remote-number 0300000000")
    return out


def teardown_order(events, deletes, deleter=None, bye_from=None):
    """The delete (the INFORMATIONAL request carrying a Delete payload:
    its message ID is one the sender's libcharon generated with D, see
    Capture.deletes) comes before the BYE on the wire (TS-1017 4.2):
    deleter's first delete (any router's if None) before the first BYE a
    router sends (bye_from's if given); returns both events."""
    routers = {"192.0.2.11", "192.0.2.12"}
    dels = [e for e in events if e[3] == "INFORMATIONAL request" and e[1] in routers
            and e[5] in deletes.get(e[1], ())]
    d = next((e for e in dels if deleter is None or e[1] == deleter), None)
    b = next((e for e in events if e[3] == "BYE" and e[1] in routers
              and (bye_from is None or e[1] == bye_from)), None)
    assert d and b, ("no delete or no BYE", deletes, events)
    assert d[0] < b[0], ("BYE before the SA delete", events)
    # Whoever sent a BYE had seen a delete (its own or the peer's) first.
    for e in events:
        if e[3] == "BYE" and e[1] in routers:
            assert any(x[0] < e[0] and e[1] in (x[1], x[2]) for x in dels), \
                ("BYE without a delete before it", deletes, events)
    return d, b


@TIMER_BOUND
@pytest.mark.parametrize("caller", ["rtrA", "rtrB"])
def test_full_cycle_idle_teardown(routers, sesslab, caller, tmp_path):
    """Traffic triggers the call (INVITE/200/ACK through Kamailio), IKE comes
    up on the SDP's ports, the ping passes, both routers show the session in
    the seed's layout; silence: the idle timer deletes the SAs, then BYE; the
    carrier's CDR ends the call; READY_TO_CONNECT; new traffic calls again."""
    lab, r = sesslab, routers()
    callee = PEER[caller]
    assert r.state(caller) == "READY_TO_CONNECT"
    cap = Capture(lab, tmp_path / "setup.pcap")
    t0 = time.monotonic()
    r.ping_through(caller)
    setup_s = time.monotonic() - t0
    ev = cap.stop()
    kam = "192.0.2.1"
    inv, ok, ack = first(ev, "INVITE", lab.addr(caller)), first(ev, "200 INVITE", kam), first(ev, "ACK", lab.addr(caller))
    ike = first(ev, "IKE_SA_INIT request", lab.addr(caller))
    assert inv and ok and ack and ike, ev
    assert inv[0] < ok[0] < ack[0] <= ike[0] + 0.05, ev
    assert ike[2] == lab.addr(callee), ev  # IKE straight to the peer's SDP address
    assert r.wait_state(caller, "SESSION_UP (I)") and r.wait_state(callee, "SESSION_UP (R)")
    check_seed_layout(lab, r, caller, "I")
    check_seed_layout(lab, r, callee, "R")
    cid = r.call_id(caller)
    assert cid and cid == r.call_id(callee)  # a proxy: one Call-ID end to end
    assert lab.wait_cdr(cid, "ANSWER")
    out = r.sh(caller, "show crypto session detail")
    assert "UP-ACTIVE" in out and "Capabilities:S" in out, out
    assert lab.ping(LAN[caller], HOST[caller], count=3)
    print("setup (first reply) %.2f s" % setup_s)

    # Silence: the idle timer (60 s) of whichever side fires first.
    cap = Capture(lab, tmp_path / "teardown.pcap", r.log_sources())
    r.wait_log(caller, r"SESSION_DOWN", timeout=100)
    r.wait_log(callee, r"SESSION_DOWN", timeout=10)
    r.wait_state(caller, "READY_TO_CONNECT", timeout=10)
    r.wait_state(callee, "READY_TO_CONNECT", timeout=10)
    ev = cap.stop()
    # Both idle timers may expire together: then both sides delete and BYE.
    teardown_order(ev, cap.deletes)
    end = lab.wait_cdr(cid, "END")
    assert end["reason"] == "bye" and int(end["duration_ms"]) >= 55000, end
    # The side whose idle timer expired first records "idle timeout", the
    # other "SAs deleted by the peer" (or its own idle timeout, if both).
    logs = r.log(caller) + r.log(callee)
    assert re.search(r"CDR: Tunnel1 (to|from) \d+ call-id %s .* cause idle timeout" % re.escape(cid),
                     logs), logs[-3000:]
    hist = r.sh(caller, "show vpn-sip call-history")
    assert re.search(r"(idle timeout|SAs deleted by the peer)", hist) and lab.number(callee) in hist, hist

    # A new trigger brings it up again with a new call.
    r.ping_through(caller)
    r.wait_state(caller, "SESSION_UP (I)")
    assert r.call_id(caller) != cid


def test_operator_clear_and_peer_hangup(routers, sesslab, tmp_path):
    """clear vpn-sip session: SA delete, then BYE, on the wire; the peer sees
    its SAs deleted and the BYE.  Then the peer clears (hang-up from the
    other side)."""
    lab, r = sesslab, routers()
    r.ping_through("rtrA")
    r.wait_state("rtrB", "SESSION_UP (R)")
    cid = r.call_id("rtrA")
    cap = Capture(lab, tmp_path / "clear.pcap", r.log_sources())
    r.sh("rtrA", "clear vpn-sip session remote-number %s" % lab.number("rtrB"))
    r.wait_state("rtrA", "READY_TO_CONNECT", timeout=10)
    r.wait_state("rtrB", "READY_TO_CONNECT", timeout=10)
    ev = cap.stop()
    d, b = teardown_order(ev, cap.deletes, lab.addr("rtrA"), lab.addr("rtrA"))
    assert first(ev, "INFORMATIONAL response", lab.addr("rtrB"))[0] < b[0], ev
    assert lab.wait_cdr(cid, "END")["reason"] == "bye"
    assert "cleared by operator" in r.log("rtrA")
    assert re.search(r"SESSION_DOWN: Tunnel1: session with %s down: SAs deleted by the peer" %
                     lab.number("rtrA"), r.log("rtrB")), r.log("rtrB")[-2000:]
    assert "UP-ACTIVE" not in r.sh("rtrA", "show crypto session")
    assert "UP-ACTIVE" not in r.sh("rtrB", "show crypto session")

    # Up again (from A), hung up by B this time, by interface.
    r.ping_through("rtrA")
    r.wait_state("rtrA", "SESSION_UP (I)")
    cid2 = r.call_id("rtrA")
    cap = Capture(lab, tmp_path / "clear2.pcap", r.log_sources())
    r.sh("rtrB", "clear vpn-sip session interface Tunnel1")
    r.wait_state("rtrA", "READY_TO_CONNECT", timeout=10)
    ev = cap.stop()
    teardown_order(ev, cap.deletes, lab.addr("rtrB"), lab.addr("rtrB"))
    assert lab.wait_cdr(cid2, "END")
    assert "UP-ACTIVE" not in r.sh("rtrA", "show crypto session")


def test_call_rejected_backoff(routers, sesslab):
    """Kamailio rejects every call to B: A hangs up, returns to READY, and
    redials with a growing back-off while traffic keeps coming (5 s, 10 s,
    ...), never in a tight loop; every attempt is logged."""
    lab, r = sesslab, routers()
    nb = lab.number("rtrB")
    lab.reject(nb, 486, "Busy Here")
    before = len([c for c in lab.cdr() if c["event"] == "START" and c.get("to") == nb])
    pinger = lab.popen("lanA", "ping", "-i", "0.2", "-W", "1", HOST["rtrA"])
    try:
        time.sleep(22)
    finally:
        pinger.kill()
        pinger.wait()
    starts = [c for c in lab.cdr() if c["event"] == "START" and c.get("to") == nb][before:]
    # attempts at ~0, 5, 15 s: 3 in 22 s (a tight loop would be hundreds)
    assert 2 <= len(starts) <= 4, starts
    gaps = [b["ts"] - a["ts"] for a, b in zip(starts, starts[1:])]
    assert all(g >= 4.5 for g in gaps), gaps
    if len(gaps) >= 2:
        assert gaps[1] >= gaps[0] * 1.5, gaps
    log = r.log("rtrA")
    assert len(re.findall(r"CALL_OUT: Tunnel1: calling %s" % nb, log)) == len(starts), log[-3000:]
    assert re.search(r"CALL_FAIL: Tunnel1: call with %s failed: rejected 486 .*attempt 2" % nb, log), log[-3000:]
    assert r.state("rtrA") == "READY_TO_CONNECT"
    hist = r.sh("rtrA", "show vpn-sip call-history")
    assert "rejected 486" in hist, hist


def test_fingerprint_mismatch(routers, sesslab):
    """B holds another PSK for A: the PSK fingerprint in A's SDP does not
    match B's key, IKE_AUTH fails, the call is hung up, both return to
    READY_TO_CONNECT and the failure is logged with its reason."""
    lab, r = sesslab, routers(psk_b="another-key-that-does-not-match-0000")
    assert not lab.ping("lanA", HOST["rtrA"], count=1, wait=1)
    r.wait_log("rtrA", r"CALL_OUT: Tunnel1")
    r.wait_log("rtrA", r"CALL_FAIL: Tunnel1: call with %s failed" % lab.number("rtrB"), timeout=40)
    r.wait_state("rtrA", "READY_TO_CONNECT", timeout=10)
    r.wait_state("rtrB", "READY_TO_CONNECT", timeout=10)
    assert "UP-ACTIVE" not in r.sh("rtrA", "show crypto session")
    logs = r.log("rtrA") + r.log("rtrB")
    assert re.search(r"AUTH_FAILED|fingerprint|IKE (authentication )?failed", logs), logs[-4000:]
    assert not lab.ping("lanA", HOST["rtrA"], count=1, wait=1)


def trigger_queue(r, node):
    """(queued, dropped) of Tunnel1's trigger queue, from show interfaces."""
    out = r.sh(node, "show interfaces Tunnel1")
    m = re.search(r"Trigger queue: (\d+) packets queued, (\d+) dropped \(max 32 packets, 65536 bytes\)",
                  out)
    assert m, out
    return int(m.group(1)), int(m.group(2))


def test_trigger_packet_delivered(routers, sesslab):
    """The packet that triggers the call waits for the SA and leaves through
    it: one ping, never retransmitted, is answered."""
    lab, r = sesslab, routers()
    assert r.state("rtrA") == "READY_TO_CONNECT"
    p = lab.exec("lanA", "ping", "-n", "-c", "1", "-W", "5", HOST["rtrA"], timeout=20)
    assert p.returncode == 0 and " 1 received" in p.stdout, p.stdout + r.tail("rtrA")
    r.wait_state("rtrA", "SESSION_UP (I)")
    assert trigger_queue(r, "rtrA") == (1, 0)
    # The answer found the callee's SA in place: nothing waited there.
    assert trigger_queue(r, "rtrB") == (0, 0)


UDP_SINK = r"""
import json, socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], int(sys.argv[2])))
s.settimeout(0.2)
print("ready", flush=True)
got, end = [], time.monotonic() + float(sys.argv[3])
while time.monotonic() < end:
    try:
        got.append(int(s.recv(100)))
        end = min(end, time.monotonic() + 3)  # 3 s quiet after a datagram: done
    except socket.timeout:
        pass
print(json.dumps(got), flush=True)
"""

UDP_BURST = r"""
import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
for i in range(int(sys.argv[3])):
    s.sendto(b"%d" % i, (sys.argv[1], int(sys.argv[2])))
"""


def test_trigger_queue_bounded(routers, sesslab):
    """50 datagrams at once into the idle tunnel: the first 32 wait for the
    SA and arrive in order, the 18 beyond the bound are dropped and counted."""
    lab, r = sesslab, routers()
    lab.exec("rtrB", "ping", "-n", "-c", "1", "-W", "1", HOST["rtrA"])  # rtrB knows lanB's MAC
    sink = lab.popen("lanB", sys.executable, "-c", UDP_SINK, HOST["rtrA"], "9999", "30",
                     stdout=subprocess.PIPE, text=True)
    try:
        assert sink.stdout.readline().strip() == "ready"
        lab.exec("lanA", sys.executable, "-c", UDP_BURST, HOST["rtrA"], "9999", "50", check=True)
        out, _ = sink.communicate(timeout=40)
    finally:
        if sink.poll() is None:
            sink.kill()
            sink.wait()
    got = json.loads(out.strip().splitlines()[-1])
    assert got == list(range(32)), got
    r.wait_state("rtrA", "SESSION_UP (I)")
    assert trigger_queue(r, "rtrA") == (32, 18)


def test_trigger_queue_dropped_when_the_call_fails(routers, sesslab):
    """The call is rejected: the packet that waited for it is dropped and
    counted at once, and traffic in the back-off does not wait.  A call the
    carrier never answers: vpnsipd stops with a packet still waiting (the
    ASan build: nothing leaks)."""
    lab, r = sesslab, routers()
    nb = lab.number("rtrB")
    lab.reject(nb, 486, "Busy Here")
    assert not lab.ping("lanA", HOST["rtrA"], count=1, wait=1)
    r.wait_log("rtrA", r"CALL_FAIL: Tunnel1: call with %s failed: rejected 486" % nb)
    backoff_over = time.monotonic() + 5.5  # "next call not before 5 s"
    assert trigger_queue(r, "rtrA") == (1, 1)
    assert not lab.ping("lanA", HOST["rtrA"], count=1, wait=1)  # in the back-off
    assert trigger_queue(r, "rtrA") == (1, 2)
    assert "UP-ACTIVE" not in r.sh("rtrA", "show crypto session")

    lab.unreject(nb)
    lab.drop("INVITE")
    time.sleep(max(0, backoff_over - time.monotonic()))
    assert not lab.ping("lanA", HOST["rtrA"], count=1, wait=1)
    r.wait_state("rtrA", "CALLING")
    assert trigger_queue(r, "rtrA") == (2, 2)
    r.stop("rtrA")  # exit 0, no sanitizer report


def test_glare_lower_number_answers(routers, sesslab, tmp_path):
    """Call collision, forced: Kamailio drops every INVITE until both
    routers are calling, then lets the retransmissions through, so each
    INVITE reaches a router that is itself calling; it also drops 486
    answers, so that rtrA is still calling when rtrB's INVITE arrives
    whichever INVITE gets through first.  Both INVITEs left (the NGN
    wire); the higher number refuses the lower one's INVITE; the lower
    number (rtrA, docs/sip.md) gives up its own call and answers rtrB's:
    one session, rtrA responder, rtrB initiator, one answered call (rtrB's
    Call-ID), and rtrA's INVITE never gets a 2xx."""
    lab, r = sesslab, routers()
    a, b, kam = lab.addr("rtrA"), lab.addr("rtrB"), lab.addr("ngn")
    assert lab.number("rtrA") < lab.number("rtrB")
    before = len(lab.cdr())
    cap = Capture(lab, tmp_path / "glare.pcap")
    lab.drop("INVITE")
    lab.drop("486:INVITE")
    try:
        try:
            for node in ("rtrA", "rtrB"):
                out = r.sh(node, "vpn-sip call interface Tunnel1")
                assert "%" not in out, out
            r.wait_state("rtrA", "CALLING", timeout=5)
            r.wait_state("rtrB", "CALLING", timeout=5)
        finally:
            lab.undrop("INVITE")
        r.wait_state("rtrA", "SESSION_UP (R)", timeout=30)
        r.wait_state("rtrB", "SESSION_UP (I)", timeout=30)
    finally:
        lab.undrop("486:INVITE")
    ev = cap.stop()
    inv_a, inv_b = first(ev, "INVITE", a), first(ev, "INVITE", b)
    assert inv_a and inv_b and inv_a[4] != inv_b[4], ev
    cid_a, cid_b = inv_a[4], inv_b[4]
    # rtrB's INVITE reached rtrA, which answered it; rtrA's call was never
    # answered (if its INVITE reached rtrB before rtrA gave it up, rtrB
    # refused it)
    assert any(e[3] == "INVITE" and e[1] == kam and e[2] == a and e[4] == cid_b for e in ev), ev
    assert any(e[3] == "200 INVITE" and e[1] == a and e[4] == cid_b for e in ev), ev
    assert not any(e[3] == "200 INVITE" and e[4] == cid_a for e in ev), ev
    assert all(e[3][0] in "13456" for e in ev
               if e[1] == b and e[4] == cid_a and e[3].endswith(" INVITE")), ev
    assert r.call_id("rtrA") == r.call_id("rtrB") == cid_b
    answered = [c for c in lab.cdr()[before:] if c["event"] == "ANSWER"]
    assert [c["callid"] for c in answered] == [cid_b], lab.cdr()[before:]
    assert re.search(r"GLARE: Tunnel1: call collision with %s: taking the incoming call"
                     % lab.number("rtrB"), r.log("rtrA")), r.log("rtrA")[-3000:]
    assert "GLARE" not in r.log("rtrB")
    assert lab.ping("lanA", HOST["rtrA"], count=2)


def test_sigterm_during_session(routers, sesslab, tmp_path):
    """SIGTERM while a session is up: SAs deleted, then BYE, the carrier's
    CDR ends the call, the peer returns to READY_TO_CONNECT, the daemon
    leaves nothing behind."""
    lab, r = sesslab, routers()
    r.ping_through("rtrA")
    r.wait_state("rtrB", "SESSION_UP (R)")
    cid = r.call_id("rtrA")
    cap = Capture(lab, tmp_path / "term.pcap", r.log_sources())
    r.stop("rtrA")
    r.wait_state("rtrB", "READY_TO_CONNECT", timeout=10)
    ev = cap.stop()
    teardown_order(ev, cap.deletes, lab.addr("rtrA"), lab.addr("rtrA"))
    assert lab.wait_cdr(cid, "END")["reason"] == "bye"
    log = r.log("rtrA")
    assert log.index("Crypto tunnel is DOWN") < log.index("CALL_END"), log[-3000:]
    assert "vpnsipd stopped" in log
    assert "Tunnel1" not in lab.exec("rtrA", "ip", "-br", "link").stdout
    assert lab.number("rtrA") not in lab.registrations()


def cdr_lines(lab, node):
    """The records of node's call-history file (the state directory), parsed."""
    path = os.path.join(lab.dir, node, "vpnsipd.state", "call-history.jsonl")
    with open(path) as f:
        return [json.loads(ln) for ln in f if ln.startswith("{") and ln.endswith("}\n")]


def utc(text):
    t = datetime.datetime.fromisoformat(text.replace("Z", "+00:00"))
    assert text.endswith("Z") and t.utcoffset() == datetime.timedelta(0), text
    return t


def test_call_history_survives_restart(routers, sesslab, tmp_path):
    """Each side appends the call to its call-history file (one JSON line,
    the documented fields, UTC times); rtrA restarted with a cut line
    appended to its file: the record is still in show vpn-sip call-history,
    the bad line is skipped with one log line, and the summary's seconds
    per remote number and day are the file's."""
    lab, r = sesslab, routers()
    na, nb = lab.number("rtrA"), lab.number("rtrB")
    r.ping_through("rtrA")
    r.wait_state("rtrB", "SESSION_UP (R)")
    assert lab.ping(LAN["rtrA"], HOST["rtrA"], count=2)
    cid = r.call_id("rtrA")
    r.sh("rtrA", "clear vpn-sip session remote-number %s" % nb)
    r.wait_state("rtrA", "READY_TO_CONNECT", timeout=10)
    r.wait_state("rtrB", "READY_TO_CONNECT", timeout=10)

    mine = [c for c in cdr_lines(lab, "rtrA") if c["call_id"] == cid]
    assert len(mine) == 1, cdr_lines(lab, "rtrA")
    c = mine[0]
    assert (c["tunnel"], c["direction"], c["local_number"], c["remote_number"], c["cause"]) == \
        ("Tunnel1", "outgoing", na, nb, "cleared by operator"), c
    start, answer, end = utc(c["start"]), utc(c["answer"]), utc(c["end"])
    assert start <= answer <= end, c
    assert abs((end - datetime.datetime.now(datetime.timezone.utc)).total_seconds()) < 60, c
    assert c["duration"] == int((end - answer).total_seconds()), c
    assert c["bytes_in"] > 0 and c["bytes_out"] > 0, c  # the pings went through
    theirs = [x for x in cdr_lines(lab, "rtrB") if x["call_id"] == cid]
    assert len(theirs) == 1 and theirs[0]["direction"] == "incoming" and \
        theirs[0]["remote_number"] == na, cdr_lines(lab, "rtrB")

    # A crash cut the last line: the restart skips it, says so once, and
    # still shows the call.
    path = os.path.join(lab.dir, "rtrA", "vpnsipd.state", "call-history.jsonl")
    with open(path, "a") as f:
        f.write('{"tunnel":"Tunnel1","direction":"outg')
    with open(path) as f:  # the other build's run may have left its cut line
        bad = sum(1 for ln in f.read().split("\n") if ln and not ln.endswith("}"))
    r.stop("rtrA")
    lab.vpnsipd_start("rtrA", str(tmp_path / "rtrA.conf"))
    r.running.add("rtrA")
    hist = r.sh("rtrA", "show vpn-sip call-history")
    assert "call-id %s" % cid in hist and "cleared by operator" in hist, hist
    assert len(re.findall(r"CDR_FILE: Call history \S+: %d unreadable line\(s\) skipped" % bad,
                          r.log("rtrA"))) == 1, r.tail("rtrA")

    # Billing: call seconds per remote number and UTC day of the answer.
    day = answer.strftime("%Y-%m-%d")
    on_day = [x for x in cdr_lines(lab, "rtrA") if x["remote_number"] == nb and
              utc(x["answer"] or x["start"]).strftime("%Y-%m-%d") == day]
    summary = r.sh("rtrA", "show vpn-sip call-history summary")
    m = re.search(r"^%s\s+%s\s+(\d+)\s+(\d+)\s+(\d+)\s" % (re.escape(nb), day), summary, re.M)
    assert m, summary
    assert (int(m.group(1)), int(m.group(2)), int(m.group(3))) == (
        len(on_day), sum(1 for x in on_day if x["answer"]), sum(x["duration"] for x in on_day)), \
        (summary, on_day)
    assert re.search(r"^%s\s+%s\s" % (re.escape(nb), day[:7]), summary, re.M), summary


def configure(lab, r, node, *lines):
    """Configuration commands on node's vpnsipd (one vpnsipsh session)."""
    args = [str(r.build / "vpnsipsh"), "-S", os.path.join(lab.dir, node, "vpnsipd.sock"),
            "-c", "configure terminal"]
    for ln in lines:
        args += ["-c", ln]
    p = lab.exec(node, *args, "-c", "end")
    return p.stdout + p.stderr


def running(r, node):
    out = r.sh(node, "show running-config")
    return "\n".join(l for l in out.splitlines()
                     if not l.startswith(("Current configuration", "! Last configuration")))


NO_IDLE = "crypto ipsec profile IPROF\n set security-association idle-time 600\n"


@TIMER_BOUND
def test_max_call_duration(routers, sesslab, tmp_path):
    """vpn-sip max-call-duration 60 on the caller (the idle timer is 600 s
    and traffic keeps flowing): after 60 s the caller deletes the SAs, then
    sends BYE; the cause is logged and recorded; the carrier's CDR ends the
    call after about 60 s; the callee was not the one that ended it."""
    lab, r = sesslab, routers(extra=NO_IDLE)
    out = configure(lab, r, "rtrA", "vpn-sip max-call-duration 60")
    assert "%" not in out, out
    assert "vpn-sip max-call-duration 60" in r.sh("rtrA", "show running-config")
    r.ping_through("rtrA")
    r.wait_state("rtrA", "SESSION_UP (I)")
    r.wait_state("rtrB", "SESSION_UP (R)")
    cid = r.call_id("rtrA")
    t_up = time.monotonic()
    pinger = lab.popen("lanA", "ping", "-q", "-i", "1", HOST["rtrA"],
                       stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        cap = Capture(lab, tmp_path / "maxcall.pcap", r.log_sources())
        r.wait_log("rtrA", r"CALL_CLEAR: Tunnel1: ending the call with %s \(maximum call duration "
                   r"reached\)" % lab.number("rtrB"), timeout=75)
        t_clear = time.monotonic()
    finally:
        # The next echo would place a new call: stop it before waiting for
        # the end of this one (a state poll could see the next session).
        pinger.kill()
        pinger.wait()
    try:
        r.wait_log("rtrA", r"SESSION_DOWN: Tunnel1: session with %s down" % lab.number("rtrB"),
                   timeout=10)
        r.wait_log("rtrB", r"SESSION_DOWN: Tunnel1: session with %s down" % lab.number("rtrA"),
                   timeout=10)
    finally:
        ev = cap.stop()
    # About 60 s after the call started (it started just before t_up).
    assert 50 <= t_clear - t_up <= 62, t_clear - t_up
    d, b = teardown_order(ev, cap.deletes, lab.addr("rtrA"), lab.addr("rtrA"))
    resp = first(ev, "INFORMATIONAL response", lab.addr("rtrB"))
    assert resp and resp[0] < b[0], ev
    end = lab.wait_cdr(cid, "END")
    assert end["reason"] == "bye" and 58000 <= int(end["duration_ms"]) <= 63000, end
    la, lb = r.log("rtrA"), r.log("rtrB")
    assert re.search(r"CDR: Tunnel1 to %s call-id %s .* duration (59|60) s .* cause maximum call duration "
                     r"reached" % (lab.number("rtrB"), re.escape(cid)), la), la[-3000:]
    assert re.search(r"SESSION_DOWN: Tunnel1: session with %s down: maximum call duration reached"
                     % lab.number("rtrB"), la), la[-3000:]
    assert "maximum call duration" not in lb and "SAs deleted by the peer" in lb, lb[-3000:]
    assert "maximum call duration reached" in r.sh("rtrA", "show vpn-sip call-history")


REMOVALS = {
    # what the operator removes: (config lines on rtrA, lines that restore it)
    "tunnel-line": (["interface Tunnel1", "no vpn-sip local-number"],
                    ["interface Tunnel1",
                     "vpn-sip local-number 0311111111 remote-number 0322222222 bandwidth 1000"]),
    "interface": (["no interface Tunnel1"], None),
    "vpn-sip-enable": (["no vpn-sip enable"], ["vpn-sip enable"]),
}


@pytest.mark.parametrize("what", list(REMOVALS))
def test_config_removed_during_session(routers, sesslab, tmp_path, what):
    """The configuration of a session goes while it is up: the SAs are
    deleted, then BYE (on the wire), the call ends at the carrier, the peer
    returns to READY_TO_CONNECT, the daemon does not crash, the running
    configuration shows exactly the removal; restored, traffic calls again."""
    lab, r = sesslab, routers()
    removal, restore = REMOVALS[what]
    run0 = running(r, "rtrA")
    r.ping_through("rtrA")
    r.wait_state("rtrB", "SESSION_UP (R)")
    cid = r.call_id("rtrA")
    cap = Capture(lab, tmp_path / "removal.pcap", r.log_sources())
    out = configure(lab, r, "rtrA", *removal)
    assert "%" not in out, out
    r.wait_state("rtrB", "READY_TO_CONNECT", timeout=10)
    ev = cap.stop()
    teardown_order(ev, cap.deletes, lab.addr("rtrA"), lab.addr("rtrA"))
    end = lab.wait_cdr(cid, "END")
    assert end["reason"] == "bye", end
    la = r.log("rtrA")
    cause = "VPN-SIP disabled" if what == "vpn-sip-enable" else "configuration removed"
    assert re.search(r"CDR: Tunnel1 to %s call-id %s .* cause %s" % (
        lab.number("rtrB"), re.escape(cid), cause), la), la[-3000:]
    assert "UP-ACTIVE" not in r.sh("rtrA", "show crypto session")
    assert "UP-ACTIVE" not in r.sh("rtrB", "show crypto session")
    show = r.sh("rtrA", "show vpn-sip session detail")
    run = running(r, "rtrA")
    if what == "vpn-sip-enable":
        assert "Session status: READY_TO_CONNECT" in show, show
        assert "\nvpn-sip enable\n" not in run and "vpn-sip local-number 0311111111 remote" in run
        # Disabled: the number is unregistered, traffic places no call.
        labctl.wait_for(lambda: lab.number("rtrA") not in lab.registrations(), timeout=10,
                        what="unregistered")
        assert not lab.ping("lanA", HOST["rtrA"], count=1, wait=1)
        time.sleep(1)
        assert len(lab.cdr_for(cid, "START")) == 1
    else:
        assert "Interface: Tunnel1" not in show, show  # the session is gone
        assert "vpn-sip local-number 0311111111 remote" not in run, run
        if what == "interface":
            assert "interface Tunnel1" not in run, run
            assert "Tunnel1" not in lab.exec("rtrA", "ip", "-br", "link").stdout
            restore = [ln for ln in run0.split("interface Tunnel1\n", 1)[1].split("!\n", 1)[0]
                       .splitlines()]
            restore = ["interface Tunnel1"] + [ln.strip() for ln in restore if ln.strip()]
            extra = ["exit", "ip route 203.0.113.8 255.255.255.248 Tunnel1"]
            restore = restore + extra
    # Still alive and consistent: restored, the running-config is the same
    # again and traffic calls again.
    out = configure(lab, r, "rtrA", *restore)
    assert "%" not in out, out
    assert running(r, "rtrA") == run0
    labctl.wait_for(lambda: r.registered("rtrA"), timeout=15, what="registered again")
    r.ping_through("rtrA")
    r.wait_state("rtrA", "SESSION_UP (I)")
    assert r.call_id("rtrA") != cid
