"""QoS on real VPN-SIP sessions: two vpnsipd in the lab, Kamailio between
them, IKE and the user-space ESP data plane; a ping from lanA places the
call.  The negotiated b=AS (both sides configured to the value under test)
shapes Tunnel1 and the rate is measured where the carrier sees it: the
OUTER bytes rtrA's backup link puts on the NGN bridge (the bridge port's
rx counters, Ethernet header removed).  Also: the ESP size table follows
the SA's transforms, the outer DSCP on the wire (tcpdump), counters of
"show policy-map interface" against tc, the policy gone when the session
is cleared and never in running-config, priority and CBWFQ split under
congestion.  The full sweep (64..1000 kbps x UDP/TCP x sizes) is in
"make bench" (tools/bench_qos_session.py)."""
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
from lib.qos_session_util import HOST_B, Session, outer_rate  # noqa: E402

pytestmark = pytest.mark.netns

qoslab = labctl.lab_fixture(routers=2, up_args=["--no-primary-routes"], name="qoslab")


def tc_class_sent(lab, node, classid):
    out = lab.exec(node, "tc", "-s", "class", "show", "dev", "Tunnel1").stdout
    m = re.search(r"class htb %s .*?\n Sent (\d+) bytes (\d+) pkt" % re.escape(classid), out)
    assert m, out
    return int(m.group(1)), int(m.group(2))


def show_output(text):
    """(packets, bytes) output of the parent class-default."""
    m = re.search(r"\(pkts output/bytes output\) (\d+)/(\d+)", text)
    assert m, text
    return int(m.group(1)), int(m.group(2))


def capture_tos(lab, n, action):
    """tos of the first n ESP packets rtrA sends on the backup link."""
    cap = lab.popen("ngn", "tcpdump", "-l", "-n", "-v", "-i", "rtrA", "-c", str(n),
                    "udp port 4500 and src host 192.0.2.11 and greater 100",
                    stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    try:
        time.sleep(1.0)
        action()
        out = cap.communicate(timeout=15)[0]
    finally:
        if cap.poll() is None:
            cap.kill()
            cap.wait()
    return re.findall(r"\(tos (0x[0-9a-f]+)", out)


def measure(lab, kbps, mode, port, warmup=3.5):
    """The outer rate of a saturating run; a run whose source did not
    saturate the shaper (no overlimits: a stalled iperf3 on a busy machine)
    measures nothing and is repeated once."""
    for attempt in (1, 2):
        got, _, pkts, over = outer_rate(lab, kbps, mode, port + 20 * (attempt - 1),
                                        warmup=warmup)
        print(f"{kbps} kbps {mode}: outer {got / 1000:.1f} kbps ({pkts} packets, "
              f"{over} overlimits)")
        if over > 0:
            return got
    assert over > 0, "the source never saturated Tunnel1's shaper"
    return got


def correction(text):
    """The ESP/GSO correction show prints, in percent."""
    m = re.search(r"ESP/GSO correction: shaping at (\d+\.\d)% of the target", text)
    assert m, text
    return float(m.group(1))


def root_rate_kbit(lab, node="rtrA"):
    out = lab.exec(node, "tc", "class", "show", "dev", "Tunnel1").stdout
    m = re.search(r"class htb 1:1 root .*?rate (\d+)([KM]?)bit", out)
    assert m, out
    return int(m.group(1)) * {"": 0.001, "K": 1, "M": 1000}[m.group(2)]


def check_gso_correction(session, lab, kbps, port):
    """Bulk TCP with MSS 200: GSO packets of a few segments pass the size
    table whole, so the data plane's feedback must lower the shaped rate
    until the OUTER rate is within b=AS (measured after the loop settled:
    8 s into the run), without gross under-use; show keeps the target and
    prints the correction, which tc's 1:1 rate follows."""
    got = measure(lab, kbps, "tcp-200", port, warmup=8)
    assert 0.85 * kbps * 1000 <= got <= 1.05 * kbps * 1000, (kbps, got)
    text = session.sh("rtrA", "show policy-map interface Tunnel1")
    assert f"target shape rate {kbps * 1000}" in text, text
    corr = correction(text)
    assert 40.0 <= corr < 100.0, text
    assert abs(root_rate_kbit(lab) - kbps * corr / 100) <= 0.01 * kbps, (corr, root_rate_kbit(lab))


def test_session_shaping_esp_dscp_counters_and_removal(qoslab, build, tmp_path):
    lab = qoslab
    asan = "asan" in str(build)
    s = Session(lab, build, tmp_path, 256).start()
    try:
        s.up()
        for node in ("rtrA", "rtrB"):
            assert "ESP/GSO correction: shaping at 100.0% of the target" in \
                s.sh(node, "show policy-map interface Tunnel1")
            # the SA's transforms (AES-CBC-256 + HMAC-SHA256-128) replace the
            # default table: ICV 16, so 84-byte pings are 164 bytes outside
            assert "overhead accounting follows the SA: 36 fixed, 16 IV, block 16, ICV 16" \
                in s.log(node), s.log(node)[-2000:]
            pm = s.sh(node, "show policy-map interface Tunnel1")
            assert "ICV 16 bytes" in pm and "cir 256000" in pm, pm
            assert "VPN-SIP-Tunnel1" not in s.sh(node, "show running-config")

        # the outer DSCP is cs4 (tos 0x80) under the implicit policy
        tos = capture_tos(lab, 3, lambda: lab.ping("lanA", HOST_B, count=3, wait=1))
        assert tos == ["0x80"] * 3, tos

        # outer rate at b=AS 256: UDP small and large packets (and TCP)
        modes = ["udp-64", "udp-1400"] if not asan else ["udp-1400"]
        for i, mode in enumerate(modes):
            got = measure(lab, 256, mode, 5301 + i)
            assert 0.95 * 256000 <= got <= 1.05 * 256000, (mode, got)
        if not asan:
            check_gso_correction(s, lab, 256, 5305)

        # the counters of show move with traffic and match tc's own
        p0, b0 = show_output(s.sh("rtrA", "show policy-map interface Tunnel1"))
        lab.exec("lanA", "ping", "-c", "5", "-i", "0.2", "-s", "400", HOST_B)
        time.sleep(0.5)
        text = s.sh("rtrA", "show policy-map interface Tunnel1")
        p1, b1 = show_output(text)
        tb, tp = tc_class_sent(lab, "rtrA", "1:1")
        # tc counts what the size table gives; HTB's rate tables add the
        # constant part of ESP (36 + 16 + 16 + 2 = 70 bytes) per packet
        classes = lab.exec("rtrA", "tc", "class", "show", "dev", "Tunnel1").stdout
        assert "overhead 70" in classes, classes
        assert p1 >= p0 + 5 and b1 > b0, (p0, p1, text)
        assert (p1, b1) == (tp, tb + 70 * tp), (text, tp, tb)
        assert f"Packets marked {p1}" in text, text
        # 428-byte inner packets are charged 36 + 16 + 432 + 16 = 500 bytes
        assert b1 - b0 >= 5 * 500, (b0, b1)

        if not asan:
            # a new session at 1000 kbps: TCP saturating the tunnel
            s.set_bandwidth(1000)
            s.clear()
            s.up()
            assert "cir 1000000" in s.sh("rtrA", "show policy-map interface Tunnel1")
            assert "shaping at 100.0% of the target" in \
                s.sh("rtrA", "show policy-map interface Tunnel1")  # a new session: none
            got = measure(lab, 1000, "tcp-1400", 5310)
            assert 0.95 * 1000000 <= got <= 1.05 * 1000000, got
            check_gso_correction(s, lab, 1000, 5312)

        # clearing the session removes the implicit policy from tc, both sides
        s.clear()
        for node in ("rtrA", "rtrB"):
            assert "qdisc htb" not in s.tc_qdisc(node)
            assert "VPN-SIP-Tunnel1-Bandwidth removed" in s.log(node)
            assert "Service-policy output" not in s.sh(node, "show policy-map interface Tunnel1")
            assert "VPN-SIP-Tunnel1" not in s.sh(node, "show running-config")
    finally:
        s.stop()  # fails unless both exit 0 without a sanitizer report


CHILD = """class-map match-all VOICE
 match dscp ef
class-map match-all VIDEO
 match dscp af41
policy-map CHILD
 class VOICE
  priority percent 30
  set dscp ef
 class VIDEO
  bandwidth percent 40
  set dscp af41
"""


def iperf_json_rate(text, first=3, last=9):
    data = json.loads(text)
    iv = data["intervals"][first:last]
    return sum(i["sum"]["bytes"] for i in iv) * 8 / sum(i["sum"]["seconds"] for i in iv)


@pytest.mark.parametrize("build", ["build"], indirect=True, ids=["build"])
def test_session_priority_and_cbwfq_split(qoslab, build, tmp_path):
    """vpn-sip ... service-policy CHILD at b=AS 1000: three saturating UDP
    flows (EF, AF41, best effort); EF gets its 30 %, the rest splits 40:30
    (AF41 : class-default), within 10 %, counted as outer bytes; the outer
    DSCP follows the class (ef, af41, cs4).  Kernel scheduling: measured
    once, with the normal build."""
    lab = qoslab
    s = Session(lab, build, tmp_path, 1000, child="CHILD", extra=CHILD).start()
    try:
        s.up()
        tos = capture_tos(lab, 3, lambda: [lab.exec("lanA", "ping", "-c", "1", "-Q", q, HOST_B)
                                           for q in ("0xb8", "0x88", "0x00")])
        assert tos == ["0xb8", "0x88", "0x80"], tos
        servers, clients = [], []
        for port in (5401, 5402, 5403):
            servers.append(lab.popen("lanB", "iperf3", "-s", "-1", "-J", "-p", str(port),
                                     stdout=subprocess.PIPE, text=True))
        time.sleep(0.5)
        try:
            for port, q in ((5401, "0xb8"), (5402, "0x88"), (5403, "0x00")):
                clients.append(lab.popen("lanA", "iperf3", "-c", HOST_B, "-p", str(port), "-u",
                                         "-b", "1M", "-l", "1000", "-S", q, "-t", "11",
                                         stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
            for c in clients:
                c.wait(60)
            rates = [iperf_json_rate(sv.communicate(timeout=60)[0]) for sv in servers]
        finally:
            for p in clients + servers:
                if p.poll() is None:
                    p.kill()
                    p.wait()
        # 1000-byte payloads: 1028-byte inner packets, 36+16+1040+16 outside
        ef, af, be = (r * 1108 / 1000 for r in rates)
        print(f"EF {ef / 1000:.0f} kbps, AF41 {af / 1000:.0f} kbps, default {be / 1000:.0f} kbps"
              " (outer)")
        assert 0.9 * 300000 <= ef <= 1.1 * 300000, rates
        assert abs(af / (af + be) - 40 / 70) <= 0.1 * 40 / 70, rates
        assert 0.9 * 700000 <= af + be <= 1.05 * 700000, rates
        text = s.sh("rtrA", "show policy-map interface Tunnel1")
        assert "Priority: 30% (300 kbps)" in text and "bandwidth 40% (400 kbps)" in text, text
    finally:
        s.stop()  # fails unless both exit 0 without a sanitizer report


def test_static_output_policy_fails_the_session(qoslab, build, tmp_path):
    """The seed: a statically attached "service-policy output" on a VPN-SIP
    tunnel makes the session fail.  Caller side: traffic places no call and
    the reason is logged; callee side: the INVITE is refused (480) with the
    same log line; removing the static policy lets the next trigger through."""
    lab = qoslab
    extra = "policy-map STATIC\n class class-default\n  bandwidth percent 50\n"
    s = Session(lab, build, tmp_path, 256, extra=extra).start()
    sock = {n: os.path.join(lab.dir, n, "vpnsipd.sock") for n in ("rtrA", "rtrB")}

    def attach(node, on):
        r = lab.exec(node, os.path.join(str(build), "vpnsipsh"), "-S", sock[node],
                     "-c", "configure terminal", "-c", "interface Tunnel1",
                     "-c", ("" if on else "no ") + "service-policy output STATIC", "-c", "end")
        assert r.returncode == 0, r.stdout + r.stderr
        return r.stdout

    try:
        out = attach("rtrA", True)
        assert "% Warning: Tunnel1 carries VPN-SIP" in out, out
        assert not lab.ping("lanA", HOST_B, count=2, wait=1)
        labctl.wait_for(lambda: "SESSION_FAIL" in s.log("rtrA"), 10, what="SESSION_FAIL log")
        log = s.log("rtrA")
        assert re.search(r"%VPN_SIP-3-SESSION_FAIL: Tunnel1: VPN-SIP session fails: Tunnel1 has "
                         r"a statically configured service-policy output STATIC", log), log[-2000:]
        assert "CALL_OUT" not in log, log[-2000:]  # no call was placed (billing)
        assert "READY_TO_CONNECT" in s.sh("rtrA", "show vpn-sip session")

        # The callee with the static policy refuses A's call.
        attach("rtrA", False)
        attach("rtrB", True)
        time.sleep(5.5)  # A's trigger back-off after the failure
        assert not lab.ping("lanA", HOST_B, count=2, wait=1)
        labctl.wait_for(lambda: "CALL_REJECT" in s.log("rtrB"), 15, what="B rejects")
        assert re.search(r"VPN-SIP session fails: Tunnel1 has a statically configured "
                         r"service-policy output STATIC", s.log("rtrB")), s.log("rtrB")[-2000:]
        assert re.search(r"rejected 480 Temporarily Unavailable", s.log("rtrB"))
        assert "SESSION_UP" not in s.sh("rtrA", "show vpn-sip session")

        # Without the static policy, traffic brings the session up.
        attach("rtrB", False)
        s.up(timeout=60)
        assert "SESSION_UP" in s.sh("rtrA", "show vpn-sip session")
    finally:
        s.stop()
