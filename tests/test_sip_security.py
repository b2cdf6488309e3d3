"""Only the carrier may call (docs/security.md), in the lab with real
Kamailio as the SIP server, in both builds.

- A request outside a dialog from an address that is neither the SIP server
  nor a "vpn-sip trusted-source" gets no answer at all (an INVITE claiming
  the peer's number in P-Asserted-Identity, OPTIONS, MESSAGE, and the
  RFC 4475-style torture datagrams), one log line, a counter in "show
  vpn-sip sip statistics"; with the source configured the same INVITE is
  answered.
- Our 200 OK that is never acknowledged (and no IKE follows) releases the
  tunnel after the offer timeout, not after the 30 s IKE limit.
- An offer whose c= address is loopback, unspecified, link-local,
  multicast, broadcast, one of ours or the broadcast of one of our subnets
  gets 488 and a log line naming the rule.
- Token buckets: per source and global, 503 above them, counters.
- A flood of 2000 INVITE/s from untrusted sources: a legitimate call
  through the SIP server still comes up, every datagram is counted, one log
  line, and the daemon's memory stays within 10%.
"""
import base64
import ipaddress
import json
import os
import re
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lab"))
import labctl  # noqa: E402
from test_sip import Vpnsipd, conf_for, field, offer, sipp_call  # noqa: E402
from test_sip_dialog import torture_cases  # noqa: E402

pytestmark = pytest.mark.netns

sec_lab = labctl.lab_fixture(routers=2, name="sec_lab",
                             prefix=os.environ.get("LAB_PREFIX", "vslt") + "g")

LABDIR = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lab")
# Extra addresses of rtrB on the NGN link: untrusted sources of the flood.
FLOOD_SOURCES = ["192.0.2.%d" % i for i in range(200, 210)]


@pytest.fixture
def daemons(sec_lab, build, tmp_path):
    made = []
    for r in sec_lab.routers():
        sec_lab.exec(r, "ip", "addr", "replace", sec_lab.addr(r) + "/24", "dev", "bak0")
    sec_lab.clear_knobs()

    def make(node, conf_text):
        d = Vpnsipd(sec_lab, build, node, conf_text, tmp_path)
        made.append(d)
        return d
    yield make
    for d in made:
        d.stop()
    for a in FLOOD_SOURCES:
        sec_lab.exec("rtrB", "ip", "addr", "del", a + "/24", "dev", "bak0")
    for r in sec_lab.routers():
        sec_lab.exec(r, "ip", "addr", "replace", sec_lab.addr(r) + "/24", "dev", "bak0")


def config_out(d, *lines):
    """Configuration lines through vpnsipsh; its output (errors included)."""
    args = [d.lab.env["VPNSIPSH"], "-S", os.path.join(d.lab.dir, d.node, "vpnsipd.sock"),
            "-c", "configure terminal"]
    for ln in lines:
        args += ["-c", ln]
    r = d.lab.exec(d.node, *args, "-c", "end")
    return r.stdout + r.stderr


def stats(d):
    return d.sh("show vpn-sip sip statistics")


def stat(d, name):
    v = field(stats(d), name)
    assert v is not None, stats(d)
    return int(v.split()[0])


def raw_invite(lab, n, sdp=None, caller=None, method="INVITE", pai="peer", port=5071):
    """An INVITE (or another method) from rtrB straight to rtrA, From
    caller (default rtrB's number), claiming rtrB's number (the configured
    peer) in P-Asserted-Identity unless pai is None."""
    a, b, dom = lab.addr("rtrA"), lab.addr("rtrB"), lab.domain
    caller = caller or lab.number("rtrB")
    pai = lab.number("rtrB") if pai == "peer" else pai
    body = (sdp or offer(lab, "rtrB")).replace("\n      ", "\r\n") + "\r\n" if method == "INVITE" else ""
    hdrs = ["Via: SIP/2.0/UDP %s:%d;branch=z9hG4bK-sec-%s" % (b, port, n),
            "Max-Forwards: 70",
            "From: <sip:%s@%s>;tag=s-%s" % (caller, dom, n),
            "To: <sip:%s@%s>" % (lab.number("rtrA"), dom),
            "Call-ID: sec-%s@%s" % (n, b),
            "CSeq: 1 %s" % method,
            "Contact: <sip:%s@%s:%d>" % (caller, b, port)]
    if pai:
        hdrs.append("P-Asserted-Identity: <sip:%s@%s>" % (pai, dom))
    if body:
        hdrs.append("Content-Type: application/sdp")
    hdrs.append("Content-Length: %d" % len(body))
    return ("%s sip:%s@%s SIP/2.0\r\n" % (method, lab.number("rtrA"), a)
            + "\r\n".join(hdrs) + "\r\n\r\n" + body).encode("latin-1")


def send_raw(lab, cases, wait=0.3, last_wait=None, port=5071):
    """Send {name: bytes} from rtrB:port to rtrA:5060 one after the other;
    returns {name: [status codes]} matched by Call-ID (and every answer)."""
    payload = json.dumps([{"name": k, "data": base64.b64encode(v).decode()}
                          for k, v in cases.items()])
    args = [sys.executable, os.path.join(LABDIR, "sip_raw.py"), lab.addr("rtrB"), port,
            lab.addr("rtrA"), 5060, wait]
    if last_wait is not None:
        args.append(last_wait)
    r = lab.exec("rtrB", *args, input=payload, timeout=120)
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    by_cid = {}
    for name, raw in cases.items():
        m = re.search(rb"Call-ID: ([^\r\n]+)", raw)
        if m:
            by_cid[m.group(1).decode()] = name
    codes = {name: [] for name in cases}
    every = []
    for after, answers in got.items():
        for first, cid in answers:
            every.append((after, first, cid))
            m = re.match(r"SIP/2\.0 (\d{3}) ", first)
            if m and cid in by_cid:
                codes[by_cid[cid]].append(int(m.group(1)))
    return codes, every


# ------------------------------------------------------------ untrusted sources
def test_untrusted_source_gets_no_answer(sec_lab, daemons):
    lab = sec_lab
    a = daemons("rtrA", conf_for(lab, "rtrA", lab.number("rtrB"), 1000))
    a.wait_registered()
    assert "Source filter          : kernel" in stats(a), stats(a)
    assert re.search(r"Trusted sources\s+: 192\.0\.2\.1 \(SIP server\)", stats(a)), stats(a)
    cases = {"invite": raw_invite(lab, 1), "options": raw_invite(lab, 2, method="OPTIONS"),
             "message": raw_invite(lab, 3, method="MESSAGE")}
    cases.update({"torture-" + k: v for k, v in torture_cases(lab).items()})
    codes, every = send_raw(lab, cases, wait=0.1, last_wait=2)
    # Not a 100 Trying, not a 400 to a malformed one: nothing at all.
    assert every == [], every
    assert field(a.session(), "Session status") == "READY_TO_CONNECT"
    assert field(a.session(), "SIP Handle") == "0x0"
    dropped = stat(a, "Untrusted, dropped")
    # The torture set's "big-status-response" is a response: the SIP stack
    # takes responses (and discards one that answers nothing, silently).
    assert dropped == len(cases) - 1, stats(a)
    assert re.search(r"Last untrusted\s+: \S+ from %s:5071" % re.escape(lab.addr("rtrB")), stats(a))
    assert "Untrusted requests    : %d dropped, 0 refused" % dropped in a.sh("show vpn-sip sip")
    log = a.log()
    assert log.count("%SIP-4-UNTRUSTED") == 1, log[-3000:]
    assert re.search(r"%%SIP-4-UNTRUSTED: INVITE from %s:5071 dropped without an answer"
                     % re.escape(lab.addr("rtrB")), log), log[-3000:]
    assert "CALL_REJECT" not in log and "BAD_MSG" not in log

    # The operator names rtrB: its INVITE is a call now (answered 200, the
    # caller taken from P-Asserted-Identity: a trusted hop).
    a.configure("vpn-sip trusted-source %s" % lab.addr("rtrB"))
    assert "vpn-sip trusted-source %s\n" % lab.addr("rtrB") in a.sh("show running-config")
    assert re.search(r"%s \(trusted-source\)" % re.escape(lab.addr("rtrB")), stats(a)), stats(a)
    codes, _ = send_raw(lab, {"options": raw_invite(lab, 4, method="OPTIONS"),
                              "invite": raw_invite(lab, 5, caller="0399999999")}, wait=1)
    assert codes["options"] == [200], codes
    assert 200 in codes["invite"], codes
    # PAI says rtrB's number, From an unknown one: PAI is what counts.
    codes, _ = send_raw(lab, {"invite": raw_invite(lab, 6, caller="0399999999", pai=False)},
                        wait=1)
    assert 603 in codes["invite"], codes
    a.configure("no vpn-sip trusted-source %s" % lab.addr("rtrB"))
    assert "trusted-source" not in a.sh("show running-config")
    codes, every = send_raw(lab, {"options": raw_invite(lab, 7, method="OPTIONS")}, wait=1)
    # (the 603 above is retransmitted until an ACK that never comes)
    assert codes["options"] == [] and not [e for e in every if "sec-7@" in e[2]], every
    assert stat(a, "Served") == 3, stats(a)


def test_dialog_peer_let_in_while_the_call_lasts(sec_lab, daemons):
    """The peer of a call may send in-dialog requests straight to us (a SIP
    server that does not Record-Route): its Contact address passes the
    kernel filter while the call lasts.  A request outside a dialog from
    it still is not served: the user agent answers 403."""
    lab = sec_lab
    a = daemons("rtrA", conf_for(lab, "rtrA", lab.number("rtrB"), 1000))
    a.wait_registered()
    assert lab.register("rtrB", contact_port=5070).rc == 0
    call = sipp_call(lab, offer(lab, "rtrB"), hold_ms=4000, bg=True)
    try:
        a.wait_state("NEGOTIATING_IKE (R)")
        assert stat(a, "Dialog peers let in") == 1, stats(a)
        codes, _ = send_raw(lab, {"options": raw_invite(lab, 30, method="OPTIONS")}, wait=1)
        assert codes["options"] == [403], codes
        assert stat(a, "Untrusted, refused") == 1, stats(a)
        assert "OPTIONS from %s:5071 refused 403" % lab.addr("rtrB") in a.log()
    finally:
        res = call.wait(30)
    assert res.rc == 0, res.diagnostics()
    a.wait_state("READY_TO_CONNECT")
    labctl.wait_for(lambda: stat(a, "Dialog peers let in") == 0, 5, what=stats(a))
    codes, every = send_raw(lab, {"options": raw_invite(lab, 31, method="OPTIONS")}, wait=1)
    assert codes["options"] == [] and not [e for e in every if "sec-31@" in e[2]], every
    assert stat(a, "Untrusted, dropped") == 1, stats(a)


def test_trusted_source_command_errors(sec_lab, daemons):
    lab = sec_lab
    a = daemons("rtrA", conf_for(lab, "rtrA", lab.number("rtrB"), 1000))
    out = config_out(a, "vpn-sip trusted-source 198.51.100.7 255.255.255.0",
                     "vpn-sip trusted-source 198.51.100.0 255.0.255.0",
                     "vpn-sip trusted-source 0.0.0.0 0.0.0.0")
    assert "% Inconsistent address and mask" in out, out
    assert "% Invalid mask 255.0.255.0" in out, out
    assert "would let anyone call" in out, out
    a.configure("vpn-sip trusted-source 198.51.100.0 255.255.255.0", "vpn-sip trusted-source 203.0.113.5",
                "vpn-sip rate-limit per-source 50", "vpn-sip rate-limit global 70 burst 90")
    run = a.sh("show running-config")
    assert "vpn-sip trusted-source 198.51.100.0 255.255.255.0\nvpn-sip trusted-source 203.0.113.5\n" \
        "vpn-sip rate-limit per-source 50 burst 500\nvpn-sip rate-limit global 70 burst 90\n" in run, run
    s = stats(a)
    assert "Per-source limit       : 50/s, burst 500;" in s and "Global limit           : 70/s, burst 90;" in s, s
    a.configure("no vpn-sip trusted-source", "no vpn-sip rate-limit per-source", "no vpn-sip rate-limit global")
    run = a.sh("show running-config")
    assert "trusted-source" not in run and "rate-limit" not in run, run


# ------------------------------------------------------------ an answer nobody acknowledges
def test_unacknowledged_answer_releases_the_tunnel(sec_lab, daemons):
    """rtrB (a trusted source here) sends an INVITE and never the ACK, nor
    IKE: after the offer timeout (10 s) the tunnel is free again, well
    before the 30 s IKE limit."""
    lab = sec_lab
    a = daemons("rtrA", conf_for(lab, "rtrA", lab.number("rtrB"), 1000,
                                 extra="vpn-sip trusted-source %s" % lab.addr("rtrB")))
    a.wait_registered()
    t0 = time.monotonic()
    codes, _ = send_raw(lab, {"invite": raw_invite(lab, 10)}, wait=1)
    assert 200 in codes["invite"], codes
    assert "READY_TO_CONNECT" not in a.session()
    a.wait_state("READY_TO_CONNECT", timeout=20)
    took = time.monotonic() - t0
    assert 9 <= took <= 14, took
    assert stat(a, "Answers not acknowledged") == 1, stats(a)
    assert re.search(r"%%VPN_SIP-4-NO_ACK: Tunnel1: the call from %s .* not acknowledged within 10 s"
                     % lab.number("rtrB"), a.log()), a.log()[-3000:]
    # A call through the SIP server works afterwards.
    assert lab.register("rtrB", contact_port=5070).rc == 0
    res = sipp_call(lab, offer(lab, "rtrB"), hold_ms=500)
    assert res.rc == 0, res.diagnostics() + a.log()[-2000:]
    a.wait_state("READY_TO_CONNECT")


# ------------------------------------------------------------ c= address rules
BAD_ADDRESSES = {
    "127.0.0.1": "loopback (127.0.0.0/8)",
    "0.0.0.0": "unspecified (0.0.0.0/8)",
    "169.254.10.1": "link-local (169.254.0.0/16)",
    "224.0.0.5": "multicast (224.0.0.0/4)",
    "255.255.255.255": "reserved or broadcast (240.0.0.0/4)",
    "rtrA": "one of ours",
    # rtrA's bak0 address is A/24 without brd: the kernel's broadcast anyway.
    "rtrA-broadcast": "the broadcast of one of our subnets",
}


def bad_address(lab, addr):
    if addr == "rtrA":
        return lab.addr("rtrA")
    if addr == "rtrA-broadcast":
        return str(ipaddress.ip_interface(lab.addr("rtrA") + "/24").network.broadcast_address)
    return addr


def test_offer_address_rules(sec_lab, daemons):
    lab = sec_lab
    a = daemons("rtrA", conf_for(lab, "rtrA", lab.number("rtrB"), 1000))
    a.wait_registered()
    assert lab.register("rtrB", contact_port=5070).rc == 0
    good = offer(lab, "rtrB")
    for addr, rule in BAD_ADDRESSES.items():
        addr = bad_address(lab, addr)
        sdp = good.replace("c=IN IP4 %s" % lab.addr("rtrB"), "c=IN IP4 %s" % addr)
        assert sdp != good
        res = sipp_call(lab, sdp, expect=488)
        assert res.rc == 0, addr + ": " + res.diagnostics() + a.log()[-2000:]
        assert "READY_TO_CONNECT" in a.session(), addr
        assert re.search(r"CALL_REJECT: Call from %s .* rejected 488 Not Acceptable Here: "
                         r"c= address is %s: %s" % (lab.number("rtrB"), re.escape(rule), re.escape(addr)),
                         a.log()), (addr, a.log()[-2000:])
    assert stat(a, "Refused c= address") == len(BAD_ADDRESSES), stats(a)
    # The same offer with rtrB's own address is a call.
    res = sipp_call(lab, good, hold_ms=500)
    assert res.rc == 0, res.diagnostics() + a.log()[-2000:]
    a.wait_state("READY_TO_CONNECT")


# ------------------------------------------------------------ token buckets
@pytest.mark.serial
def test_rate_limits(sec_lab, daemons):
    lab = sec_lab
    a = daemons("rtrA", conf_for(lab, "rtrA", lab.number("rtrB"), 1000, extra="""
vpn-sip trusted-source %s
vpn-sip rate-limit per-source 1 burst 3
vpn-sip rate-limit global 1 burst 2""" % lab.addr("rtrB")))
    a.wait_registered()
    cases = {"o%d" % i: raw_invite(lab, 20 + i, method="OPTIONS") for i in range(6)}
    codes, _ = send_raw(lab, cases, wait=0.02, last_wait=2)
    got = [codes["o%d" % i] for i in range(6)]
    # 2 within both buckets, the 3rd over the global one, the rest over
    # the per-source one (at 1/s, the few ms of the test refill nothing).
    assert got == [[200], [200], [503], [503], [503], [503]], got
    assert stat(a, "Served") == 2, stats(a)
    assert re.search(r"Global limit\s+: 1/s, burst 2; 1 over it", stats(a)), stats(a)
    assert re.search(r"Per-source limit\s+: 1/s, burst 3; 3 over it", stats(a)), stats(a)
    log = a.log()
    assert log.count("%SIP-4-RATE_LIMIT") == 1, log[-2000:]
    assert "OPTIONS from %s:5071 refused 503: over the global rate limit" % lab.addr("rtrB") in log


# ------------------------------------------------------------ a flood
def rss_kb(lab, node):
    pid = open(os.path.join(lab.dir, node, "vpnsipd.pid")).read().strip()
    with open("/proc/%s/status" % pid) as f:
        return int(re.search(r"^VmRSS:\s+(\d+) kB", f.read(), re.M).group(1))


@pytest.mark.serial
def test_untrusted_flood(sec_lab, daemons):
    """2000 INVITE/s from ten untrusted addresses for 6 s while SIPp calls
    through the SIP server: the call is answered, every datagram of the
    flood is counted and none answered, one log line, memory within 10%."""
    lab = sec_lab
    a = daemons("rtrA", conf_for(lab, "rtrA", lab.number("rtrB"), 1000))
    a.wait_registered()
    assert lab.register("rtrB", contact_port=5070).rc == 0
    for src in FLOOD_SOURCES:
        lab.exec("rtrB", "ip", "addr", "add", src + "/24", "dev", "bak0", "nodad", check=True)
    res = sipp_call(lab, offer(lab, "rtrB"), hold_ms=300)   # warm-up: allocations of one call
    assert res.rc == 0, res.diagnostics()
    a.wait_state("READY_TO_CONNECT")
    before = rss_kb(lab, "rtrA")
    flood = lab.popen("rtrB", sys.executable, os.path.join(LABDIR, "sip_flood.py"), lab.addr("rtrA"),
                      5060, 2000, 6, *FLOOD_SOURCES, stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(2)
        call = sipp_call(lab, offer(lab, "rtrB"), hold_ms=1000)
    finally:
        out, _ = flood.communicate(timeout=60)
    assert call.rc == 0, call.diagnostics() + a.log()[-3000:]
    sent = json.loads(out)
    assert sent["sent"] >= 10000, sent
    a.wait_state("READY_TO_CONNECT")
    labctl.wait_for(lambda: stat(a, "Untrusted, dropped") >= sent["sent"], 5,
                    what="every flood datagram counted: %s" % stats(a))
    assert stat(a, "Untrusted, dropped") == sent["sent"], (sent, stats(a))
    assert stat(a, "Untrusted, refused") == 0
    time.sleep(1)
    after = rss_kb(lab, "rtrA")
    assert after <= before * 1.1, (before, after)
    log = a.log()
    assert log.count("%SIP-4-UNTRUSTED") == 1, log[-3000:]
    assert "CALL_REJECT" not in log


@pytest.mark.serial
def test_trusted_flood_memory_returns(sec_lab, daemons, build):
    """2000 INVITE/s for 5 s from a trusted network, from a number no
    tunnel has: the global bucket refuses most (503), the rest get 603, a
    call through the SIP server (not counted in the global bucket) comes
    up meanwhile, the log stays bounded, and once sofia-sip has dropped
    the transactions (timer H, 32 s) the memory goes back (malloc_trim),
    all but a tenth of what the flood took."""
    lab = sec_lab
    a = daemons("rtrA", conf_for(lab, "rtrA", lab.number("rtrB"), 1000,
                                 extra="vpn-sip trusted-source 192.0.2.192 255.255.255.192"))
    a.wait_registered()
    assert lab.register("rtrB", contact_port=5070).rc == 0
    for src in FLOOD_SOURCES:
        lab.exec("rtrB", "ip", "addr", "add", src + "/24", "dev", "bak0", "nodad", check=True)
    res = sipp_call(lab, offer(lab, "rtrB"), hold_ms=300)
    assert res.rc == 0, res.diagnostics()
    a.wait_state("READY_TO_CONNECT")
    time.sleep(1)
    before = rss_kb(lab, "rtrA")
    flood = lab.popen("rtrB", sys.executable, os.path.join(LABDIR, "sip_flood.py"), lab.addr("rtrA"),
                      5060, 2000, 5, *FLOOD_SOURCES, stdout=subprocess.PIPE, text=True)
    try:
        time.sleep(1.5)
        call = sipp_call(lab, offer(lab, "rtrB"), hold_ms=500)
    finally:
        out, _ = flood.communicate(timeout=60)
    sent = json.loads(out)["sent"]
    assert call.rc == 0, call.diagnostics() + a.log()[-3000:]
    a.wait_state("READY_TO_CONNECT")

    def counted():
        s = stats(a)
        glob = int(re.search(r"Global limit\s+: .*; (\d+) over it", s).group(1))
        busy = int(re.search(r"; (\d+) INVITEs refused when full", s).group(1))
        return glob, stat(a, "Served"), busy, s
    # sofia-sip may still be reading the backlog of its socket
    labctl.wait_for(lambda: sum(counted()[:3]) >= sent * 0.98, 15,
                    what="the flood counted: %d sent, %s" % (sent, counted()[3]))
    glob, served, busy, s = counted()
    # the global burst (4000) and 400/s pass, the rest is over the limit
    assert glob > 1000 and served > 4000 and glob + served + busy <= sent + 10, (sent, s)
    peak = rss_kb(lab, "rtrA")
    if "asan" in str(build):
        # ASan's allocator keeps freed memory in its quarantine: no figure.
        return
    # what the flood took goes back, all but a tenth (what sofia-sip's
    # grown hash tables and the heap's fragments keep; more than the 10 %
    # of the small idle figure on some machines)
    assert peak > before * 1.5, (before, peak)  # the flood took memory to give back
    limit = max(before * 1.1, before + (peak - before) * 0.1)
    labctl.wait_for(lambda: rss_kb(lab, "rtrA") <= limit, 90,
                    what=lambda: "RSS back to %d kB (before %d kB, peak %d kB, now %d kB)"
                    % (limit, before, peak, rss_kb(lab, "rtrA")))
    log = a.log()
    lines = log.count("%VPN_SIP-4-CALL_REJECT: Call from")
    assert lines <= 20 * 3, lines
    assert re.search(r"%VPN_SIP-4-CALL_REJECT: \d+ messages suppressed", log), log[-2000:]
