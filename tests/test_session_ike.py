"""IKE and IPsec options inside real VPN-SIP sessions (the call placed by
traffic, answered through Kamailio), not through the "test crypto ikev2
session" hook:

- rekeying started by vpnsipd: the CHILD SA when its volume ("set
  security-association lifetime kilobytes") or its time ("... seconds")
  runs out, the IKE SA at the IKEv2 profile's "lifetime"; and the peer
  rekeying the IKE SA.  The session, its call and its traffic stay; the new
  SPIs are what both ends show;
- NAT keepalives behind a real NAT (nftables SNAT in rtrA's namespace);
- the anti-replay window (its size reaches the data plane) and the DF bit
  of the outer header;
- IKE fragmentation (RFC 7383) between two vpnsipd with certificates.

The peer is SIPp and Debian's stock charon on rtrB (test_session_interop's
Peer), except for fragmentation: vpnsipd on both routers.  What is asserted
is seen on the wire (raw sockets or tshark in the lab's namespaces), in
charon's log and list of SAs, or in show output."""
import json
import os
import re
import signal
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lab"))
sys.path.insert(0, HERE)
import labctl  # noqa: E402
from conftest import TIMER_BOUND  # noqa: E402
from test_ike import CAPTURE, _send_udp, vpnsip_config  # noqa: E402
from test_ike_options import ike_header, keepalives, sniff  # noqa: E402
from test_session import Capture  # noqa: E402
from test_session_faults import call_id, configure, res_so_far, session_up  # noqa: E402
from test_session_interop import A_BAK, B_BAK, CHARON_PORT, HOST_B, peer_fixture  # noqa: E402

pytestmark = pytest.mark.netns

sessikelab = labctl.lab_fixture(routers=2, up_args=["--no-primary-routes"], name="sessikelab")

peer = peer_fixture("sessikelab")


@pytest.fixture
def nft(sessikelab):
    """nftables tables a test adds in lab namespaces, always removed (with
    the connections they saw: a NAT binding would outlive its rule)."""
    tables = []

    def add(node, family, name, body):
        sessikelab.exec(node, "nft", "-f", "-", check=True,
                        input="table %s %s {\n%s\n}\n" % (family, name, body))
        tables.append((node, family, name))

    def delete(node, family, name):
        sessikelab.exec(node, "nft", "delete", "table", family, name, check=True)
        tables.remove((node, family, name))

    add.delete = delete
    yield add
    for node, family, name in tables:
        sessikelab.exec(node, "nft", "delete", "table", family, name)
    for node in {t[0] for t in tables}:
        sessikelab.exec(node, "conntrack", "-F")


# ---- SPIs as each end shows them ----------------------------------------------------------


def our_spis(p):
    """(inbound, outbound) ESP SPI of Tunnel1 in show crypto ipsec sa."""
    out = p.sh("show crypto ipsec sa")
    i = re.search(r"inbound esp sas:\n\s+spi: 0x([0-9A-F]+)", out)
    o = re.search(r"outbound esp sas:\n\s+spi: 0x([0-9A-F]+)", out)
    return (int(i.group(1), 16) if i else None, int(o.group(1), 16) if o else None)


def peer_children(p):
    """[(in, out)] SPIs of charon's installed CHILD SAs (swanctl --list-sas)."""
    out = p.charon.list_sas()
    return [(int(m.group(1), 16), int(m.group(2), 16)) for m in re.finditer(
        r"net: #\d+, reqid \d+, INSTALLED,[^\n]*\n(?:[^\n]*\n)*?\s+in\s+([0-9a-f]{8})[^\n]*\n"
        r"\s+out\s+([0-9a-f]{8})", out)]


def our_ike_spis(p):
    m = re.search(r"Local spi: ([0-9A-F]{16})\s+Remote spi: ([0-9A-F]{16})",
                  p.sh("show crypto ikev2 sa detailed"))
    return (m.group(1).lower(), m.group(2).lower()) if m else None


def peer_ike_sas(p):
    """[(state, initiator SPI, responder SPI)] of charon's IKE SAs."""
    return re.findall(r"vpnsip: #\d+, (\w+), IKEv2, ([0-9a-f]{16})_i\*? ([0-9a-f]{16})_r",
                      p.charon.list_sas())


def spis_agree(p):
    """Our SPIs, when charon has exactly one CHILD SA and it is their
    mirror (its inbound SPI is our outbound one); else None."""
    ours = our_spis(p)
    return ours if ours[0] and peer_children(p) == [(ours[1], ours[0])] else None


def ike_spis_agree(p):
    ours = our_ike_spis(p)
    sas = peer_ike_sas(p)
    if ours and len(sas) == 1 and sas[0][0] == "ESTABLISHED" and set(sas[0][1:]) == set(ours):
        return ours
    return None


def ping_loss(out):
    m = re.search(r"(\d+) packets transmitted, (\d+) received", out)
    assert m, out
    return int(m.group(1)) - int(m.group(2)), int(m.group(1))


def no_bye_yet(uas):
    return not [m for m in res_so_far(uas) if m.is_request and m.method == "BYE"]


def hang_up(p, uas):
    """clear vpn-sip session: vpnsipd deletes the IKE SA it holds now (charon
    sees it go) and sends the BYE; SIPp's result."""
    p.sh("clear vpn-sip session")
    p.wait_state("READY_TO_CONNECT", timeout=15)
    labctl.wait_for(lambda: not peer_ike_sas(p), timeout=10,
                    what=lambda: "charon's IKE SA deleted by vpnsipd\n" + p.charon.list_sas())
    res = uas.wait(30)
    assert res.rc == 0 and len(res.received("BYE")) == 1, res.diagnostics()
    return res


# ---- rekeying -----------------------------------------------------------------------------


def test_peer_rekeys_the_ike_sa(peer, sessikelab):
    """charon rekeys the IKE SA: the CHILD SA moves to the new IKE SA, the
    session follows it (it stays up with its call and traffic, and clear
    vpn-sip session deletes the new IKE SA, not the old one's ghost)."""
    lab, p = sessikelab, peer()
    uas = session_up(p, lab)
    try:
        cid = call_id(p)
        spis = labctl.wait_for(lambda: spis_agree(p), timeout=5, what="both ends' SPIs")
        ike_old = labctl.wait_for(lambda: ike_spis_agree(p), timeout=5, what="IKE SPIs")
        p.charon.swanctl("--rekey", "--ike", "vpnsip")
        ike_new = labctl.wait_for(lambda: (s := ike_spis_agree(p)) and s != ike_old and s,
                                  timeout=10, what=lambda: "the new IKE SA at both ends\n%s\n%s" % (
                                      p.sh("show crypto ikev2 sa detailed"), p.charon.list_sas()))
        assert not set(ike_new) & set(ike_old), (ike_old, ike_new)
        clog = p.charon.log_text()
        assert re.search(r"IKE_SA vpnsip\[\d+\] rekeyed between", clog), clog[-3000:]
        # charon deleted the old IKE SA (ike_spis_agree: it lists one);
        # vpnsipd answered that delete (its libcharon's debug line), and the
        # old SA's end has reached the session
        labctl.wait_for(lambda: re.search(r"parsed INFORMATIONAL request \d+ \[ D \]", p.log()),
                        timeout=5, what=lambda: "vpnsipd got the old IKE SA's delete\n" + p.tail())
        time.sleep(1)
        assert lab.ping("lanA", HOST_B, count=3)
        assert p.state() == "SESSION_UP (I)" and call_id(p) == cid, p.tail()
        assert "Crypto tunnel is DOWN" not in p.log(), p.tail()
        assert spis_agree(p) == spis  # the same CHILD SA
        assert no_bye_yet(uas)
    except BaseException:
        uas.kill()
        raise
    hang_up(p, uas)


@TIMER_BOUND
def test_rekey_by_volume_and_lifetime(peer, sessikelab, tmp_path):
    """vpnsipd rekeys, each time its CREATE_CHILD_SA request on the wire and
    charon the responder (its log), while traffic flows and the call stays:

    - the CHILD SA after 90 % of "set security-association lifetime
      kilobytes 2560" (IOS's shortest; 2304 KB at the session's 1000 kbps
      take about 24 s);
    - the IKE SA at the IKEv2 profile's "lifetime 120" (the shortest);
    - the CHILD SA made by the first rekey, 108 s (90 %) after it was made,
      by "set security-association lifetime seconds 120" (the shortest).

    Both ends show the same new SPIs after each."""
    lab, p = sessikelab, peer()
    configure(p, "crypto ipsec profile IPROF", "set security-association lifetime kilobytes 2560",
              "set security-association lifetime seconds 120", "crypto ikev2 profile IPROF",
              "lifetime 120")
    assert "Security association lifetime: 2560 kilobytes/120 seconds" in \
        p.sh("show crypto ipsec profile IPROF")
    uas = session_up(p, lab, uas_timeout=240)
    pinger = None
    try:
        t_up, t_up_wall = time.monotonic(), time.time()
        cid = call_id(p)
        spis = [labctl.wait_for(lambda: spis_agree(p), timeout=5, what="both ends' SPIs")]
        ike_old = labctl.wait_for(lambda: ike_spis_agree(p), timeout=5, what="IKE SPIs")
        cap = Capture(lab, tmp_path / "rekey.pcap")

        def rekeyed(timeout):
            s = labctl.wait_for(lambda: (s := spis_agree(p)) and s[0] != spis[-1][0] and s,
                                timeout=timeout, interval=0.5,
                                what=lambda: "the CHILD SA rekeyed\n%s\n%s\n%s" % (
                                    p.sh("show crypto ipsec sa"), p.charon.list_sas(), p.tail()))
            spis.append(s)
            return time.monotonic() - t_up

        # 2200 x 1228 bytes each way, 80 a second (under the 1000 kbps
        # shaper with ESP's overhead): the soft limit (2359296 bytes) is
        # passed at the 1922nd packet, the old SA's hard one would be 213
        # packets (2.7 s) further; the new SA gets 278 (no second rekey).
        r = lab.exec("lanA", "ping", "-n", "-q", "-i", "0.0125", "-s", "1200", "-c", "2200",
                     HOST_B, timeout=60)
        volume_s = rekeyed(5)
        lost, sent = ping_loss(r.stdout)
        assert sent == 2200 and lost <= 10, r.stdout
        # Then light traffic all along (it also keeps the 60 s idle timer away).
        pinger = lab.popen("lanA", "ping", "-n", "-q", "-i", "0.5", HOST_B,
                           stdout=subprocess.PIPE, text=True)
        ike_new = labctl.wait_for(lambda: (s := ike_spis_agree(p)) and s != ike_old and s,
                                  timeout=130 - (time.monotonic() - t_up), interval=0.5,
                                  what=lambda: "the IKE SA rekeyed\n%s\n%s" % (
                                      p.sh("show crypto ikev2 sa detailed"), p.charon.list_sas()))
        ike_s = time.monotonic() - t_up
        assert not set(ike_new) & set(ike_old), (ike_old, ike_new)
        time_s = rekeyed(volume_s + 118 - (time.monotonic() - t_up))
        time.sleep(1)
        pinger.send_signal(signal.SIGINT)  # ping prints its statistics
        out, _ = pinger.communicate(timeout=10)
        ev = cap.stop()
        assert len({s[0] for s in spis}) == 3 and len({s[1] for s in spis}) == 3, spis
        reqs = [e for e in ev if e[3] == "CREATE_CHILD_SA request"]
        assert len(reqs) == 3 and all(e[1] == A_BAK and e[2] == B_BAK for e in reqs), ev
        # when they went (the wire's clock): the volume ran out after about
        # 24 s of traffic; the IKE SA 120 s after it was made (just before
        # the session was seen up); the second CHILD SA 108 s after the first
        # rekey made it
        at = [e[0] - t_up_wall for e in reqs]
        print("CREATE_CHILD_SA requests %.1f, %.1f, %.1f s after the session came up "
              "(seen %.1f, %.1f, %.1f s)" % (*at, volume_s, ike_s, time_s))
        assert 15 <= at[0] <= 32 and 110 <= at[1] <= 122 and 105 <= at[2] - at[0] <= 112, at
        # charon: CHILD SA (REKEY_SA, traffic selectors), IKE SA (a KE
        # payload, no traffic selectors), CHILD SA again
        clog = p.charon.log_text()
        parsed = [m.split() for m in
                  re.findall(r"parsed CREATE_CHILD_SA request \d+ \[ ([^\]]*)\]", clog)]
        assert len(parsed) == 3, clog[-4000:]
        for req, ike in zip(parsed, (False, True, False)):
            assert ("KE" in req and "TSi" not in req) if ike else \
                ("N(REKEY_SA)" in req and "TSi" in req), parsed
        assert re.search(r"IKE_SA vpnsip\[\d+\] rekeyed between", clog), clog[-3000:]
        for (i, o), n in zip(spis[1:], (2, 3)):
            assert "CHILD_SA net{%d} established with SPIs %08x_i %08x_o" % (n, o, i) in clog, \
                (spis, clog[-3000:])
        lost, sent = ping_loss(out)
        assert sent >= 180 and lost <= 2, out
        assert p.state() == "SESSION_UP (I)" and call_id(p) == cid, p.tail()
        assert "Crypto tunnel is DOWN" not in p.log(), p.tail()
        assert lab.ping("lanA", HOST_B, count=2)
        assert no_bye_yet(uas)
    except BaseException:
        uas.kill()
        raise
    finally:
        if pinger and pinger.poll() is None:
            pinger.kill()
            pinger.wait()
    hang_up(p, uas)


# ---- NAT keepalives ---------------------------------------------------------------------


@TIMER_BOUND
def test_nat_keepalive_in_session(peer, sessikelab, nft):
    """rtrA behind a real NAT (SNAT of its IKE/ESP port on bak0): NAT-D finds
    it, and 1-byte 0xFF keepalives go to the peer's port from the SDP at the
    profile's interval when nothing else was sent; without the profile's
    value the global "crypto isakmp nat keepalive" applies (changed live);
    with neither, none."""
    lab = sessikelab
    nft("rtrA", "ip", "vsnat",
        " chain post { type nat hook postrouting priority 100;\n"
        "  oifname \"bak0\" udp sport 500 snat to %s:40500\n"
        "  oifname \"bak0\" udp sport 4500 snat to %s:44500\n }" % (A_BAK, A_BAK))
    lab.exec("rtrA", "conntrack", "-F")
    p = peer()
    configure(p, "crypto ikev2 profile IPROF", "nat keepalive 5")
    uas = session_up(p, lab)
    try:
        out = p.sh("show crypto ikev2 sa detailed")
        assert "NAT-T is detected inside (keepalives on" in out, out
        assert re.search(r"Capabilities:SKN connid", p.sh("show crypto session detail"))
        # charon saw the NAT too
        assert re.search(r"remote host is behind NAT", p.charon.log_text()), p.charon.log_text()[-2000:]
        ka = keepalives(sniff(lab, "rtrB", A_BAK, 17))
        assert len(ka) >= 3, ka
        assert all(k["sport"] == 44500 and k["dport"] == CHARON_PORT for k in ka), ka
        gaps = [b["t"] - a["t"] for a, b in zip(ka, ka[1:])]
        assert all(4.0 <= g <= 6.0 for g in gaps), gaps
        # ESP rides the same mapping
        assert lab.ping("lanA", HOST_B, count=2)
        configure(p, "crypto ikev2 profile IPROF", "no nat keepalive", "exit",
                  "crypto isakmp nat keepalive 8")
        ka = keepalives(sniff(lab, "rtrB", A_BAK, 19))
        assert len(ka) >= 2, ka
        gaps = [b["t"] - a["t"] for a, b in zip(ka, ka[1:])]
        assert all(7.0 <= g <= 9.0 for g in gaps), gaps
        configure(p, "no crypto isakmp nat keepalive")
        time.sleep(1)
        assert not keepalives(sniff(lab, "rtrB", A_BAK, 10))
        assert p.state() == "SESSION_UP (I)" and "ESTABLISHED" in p.charon.list_sas()
    except BaseException:
        uas.kill()
        raise
    hang_up(p, uas)


# ---- anti-replay and the DF bit -----------------------------------------------------------


def capture_esp(lab, node, src, n, action, timeout=8):
    """The first n ESP packets from src seen on node's bak0 while action runs."""
    proc = lab.popen(node, sys.executable, "-c", CAPTURE, "bak0", src, str(n), str(timeout),
                     stdout=subprocess.PIPE, text=True)
    assert proc.stdout.readline().strip() == "ready"
    action()
    out, _ = proc.communicate(timeout=timeout + 5)
    return json.loads(out.strip().splitlines()[-1])


def counters(p):
    out = p.sh("show crypto ipsec sa")
    dec = int(re.search(r"#pkts decaps: (\d+)", out).group(1))
    rep = int(re.search(r"#replay drops (\d+)", out).group(1))
    return dec, rep, out


def inject(lab, p, payload):
    """payload sent again to vpnsipd's ESP port: the change in (decaps,
    replay drops)."""
    dec0, rep0, _ = counters(p)
    _send_udp(lab, "rtrB", A_BAK, 4500, [payload])
    time.sleep(0.5)
    dec1, rep1, out = counters(p)
    return dec1 - dec0, rep1 - rep0


REPLAY = {
    # (profile line, show crypto ipsec sa, an ESP packet 100 behind the
    # newest received is taken, a packet received before is taken again)
    "default": (None, "replay window: 64", False, False),
    "window-size 1024": ("set security-association replay window-size 1024",
                         "replay window: 1024", True, False),
    "disable": ("set security-association replay disable", "replay window: disabled",
                True, True),
}


@pytest.mark.parametrize("replay", list(REPLAY), ids=lambda r: r.replace(" ", "-"))
def test_replay_window_in_session(peer, sessikelab, nft, replay):
    """The profile's replay window reaches the data plane: an ESP packet of
    the peer that never arrived (dropped in rtrA's namespace, captured
    before), sent after 100 newer ones, is too old for a 64-packet window
    and taken by a 1024-packet one; a packet received once is refused again
    unless replay detection is off.  The default case also checks the DF
    bit of the outer header (copied; "crypto ipsec df-bit clear/set")."""
    lab, p = sessikelab, peer()
    line, shown, old_taken, again_taken = REPLAY[replay]
    if line:
        configure(p, "crypto ipsec profile IPROF", line)
    uas = session_up(p, lab)
    try:
        assert shown in p.sh("show crypto ipsec sa"), p.sh("show crypto ipsec sa")
        # One reply of the peer captured and dropped before vpnsipd reads it.
        nft("rtrA", "inet", "vsdrop", " chain in { type filter hook input priority 0;\n"
            "  ip saddr %s udp dport 4500 udp length > 100 drop\n }" % B_BAK)
        old = capture_esp(lab, "rtrA", B_BAK, 1, lambda: lab.ping("lanA", HOST_B, count=1))
        assert old, "no ESP captured"
        nft.delete("rtrA", "inet", "vsdrop")
        r = lab.exec("lanA", "ping", "-n", "-q", "-i", "0.01", "-c", "100", HOST_B, timeout=30)
        assert ping_loss(r.stdout) == (0, 100), r.stdout
        assert inject(lab, p, old[0]["payload"]) == ((1, 0) if old_taken else (0, 1))
        # a packet vpnsipd took (the one above, or a fresh one)
        seen = capture_esp(lab, "rtrA", B_BAK, 1, lambda: lab.ping("lanA", HOST_B, count=1))
        assert seen
        assert inject(lab, p, seen[0]["payload"]) == ((1, 0) if again_taken else (0, 1))
        if replay == "default":
            check_df_bit(lab, p)
        assert lab.ping("lanA", HOST_B, count=1)
        assert no_bye_yet(uas)
    except BaseException:
        uas.kill()
        raise
    hang_up(p, uas)


def check_df_bit(lab, p):
    def outer_df(mode):
        pkts = capture_esp(lab, "rtrB", A_BAK, 1, lambda: lab.exec(
            "lanA", "ping", "-n", "-c1", "-M", mode, "-s", "200", HOST_B))
        assert pkts, "no ESP captured"
        return pkts[0]["df"]
    assert "df-bit: copy" in p.sh("show crypto ipsec sa")
    assert outer_df("do") is True and outer_df("dont") is False
    configure(p, "interface Tunnel1", "crypto ipsec df-bit clear")
    assert "df-bit: clear" in p.sh("show crypto ipsec sa")
    assert outer_df("do") is False
    configure(p, "interface Tunnel1", "crypto ipsec df-bit set")
    assert outer_df("dont") is True


# ---- IKE fragmentation between two vpnsipd ------------------------------------------------

# UDP datagrams from a source on an interface until stdin closes: arrival
# time, IP total length and the start of the payload (test_ike_options.SNIFF
# with an end chosen by the test).
SNIFF_UNTIL = r"""
import json, select, socket, struct, sys, time
iface, want_src = sys.argv[1], sys.argv[2]
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
s.bind((iface, 0))
out = []; t0 = time.monotonic()
print("ready", flush=True)
while True:
    r, _, _ = select.select([s, sys.stdin], [], [], 1.0)
    if sys.stdin in r and not sys.stdin.readline():
        break
    if s not in r:
        continue
    ip = s.recv(65535)[14:]
    if len(ip) < 28 or ip[9] != 17 or socket.inet_ntoa(ip[12:16]) != want_src:
        continue
    ihl = (ip[0] & 15) * 4
    sport, dport = struct.unpack("!HH", ip[ihl:ihl+4])
    payload = ip[ihl+8:]
    out.append({"t": time.monotonic() - t0, "iplen": struct.unpack("!H", ip[2:4])[0],
                "sport": sport, "dport": dport, "head": payload[:40].hex(), "len": len(payload)})
print(json.dumps(out), flush=True)
"""


class Sniffer:
    def __init__(self, lab, node, src):
        self.p = lab.popen(node, sys.executable, "-c", SNIFF_UNTIL, "bak0", src,
                           stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True)
        assert self.p.stdout.readline().strip() == "ready"

    def stop(self):
        out, _ = self.p.communicate(input="", timeout=10)
        return json.loads(out.strip().splitlines()[-1])


def ike_auth(pkts, response):
    return [p for p in pkts if (h := ike_header(p)) and h[0] == 35 and h[1] == response]


def test_fragmentation_between_two_vpnsipd(sessikelab, build, tmp_path):
    """Two vpnsipd with self-signed certificates (the SDP fingerprints bind
    them): with "crypto ikev2 fragmentation mtu 576" on rtrA and "... mtu
    900" on rtrB each IKE_AUTH goes as SKF fragments (RFC 7383) no larger
    than its sender's mtu, the receiver puts them together, traffic passes."""
    lab = sessikelab
    lab.env["VPNSIPD"] = str(build / "vpnsipd")
    lab.env["VPNSIPSH"] = str(build / "vpnsipsh")
    lab.env["ASAN_OPTIONS"] = "abort_on_error=0:detect_leaks=1"
    lab.clear_knobs()
    mtu = {"rtrA": 576, "rtrB": 900}
    logs = {}
    for node, other, addr in (("rtrA", "rtrB", "10.255.0.1"), ("rtrB", "rtrA", "10.255.0.2")):
        conf = vpnsip_config(lab, node, other, addr, auth="rsa").replace(
            "crypto ikev2 profile IPROF",
            "crypto ikev2 fragmentation mtu %d\ncrypto ikev2 profile IPROF" % mtu[node], 1)
        (tmp_path / (node + ".conf")).write_text(conf)
        path = os.path.join(lab.dir, node, "vpnsipd.log")
        logs[node] = (path, os.path.getsize(path) if os.path.exists(path) else 0)
        lab.vpnsipd_start(node, str(tmp_path / (node + ".conf")))

    def log(node):
        path, start = logs[node]
        with open(path, errors="replace") as f:
            return f.read()[start:]
    try:
        labctl.wait_for(lambda: all(": registered" in lab.sh(n, "show vpn-sip registration-status",
                                                              check=False).stdout
                                    for n in ("rtrA", "rtrB")), timeout=20, what="both registered")
        to_b, to_a = Sniffer(lab, "rtrB", A_BAK), Sniffer(lab, "rtrA", B_BAK)
        try:
            labctl.wait_for(lambda: lab.ping("lanA", HOST_B, count=1, wait=1), timeout=40,
                            what=lambda: "ping through the VPN-SIP tunnel\nA:\n%s\nB:\n%s" % (
                                log("rtrA")[-3000:], log("rtrB")[-3000:]))
        finally:
            from_a, from_b = to_b.stop(), to_a.stop()
        req, resp = ike_auth(from_a, False), ike_auth(from_b, True)
        for pkts, limit in ((req, mtu["rtrA"]), (resp, mtu["rtrB"])):
            assert len(pkts) >= 2, pkts
            assert all(ike_header(x)[2] == 53 for x in pkts), pkts  # SKF
            sizes = [x["iplen"] for x in pkts]
            assert max(sizes) <= limit and max(sizes) > limit - 200, (limit, sizes)
        assert lab.ping("lanA", HOST_B, count=2)
        for node, other in (("rtrA", "rtrB"), ("rtrB", "rtrA")):
            out = lab.sh(node, "show crypto ikev2 sa detailed").stdout
            assert "Fragmentation configured (mtu %d), supported by the peer." % mtu[node] in out, out
            assert "Auth sign: RSA, Auth verify: RSA" in out, out
        assert "SESSION_UP" in lab.sh("rtrA", "show vpn-sip session").stdout
    finally:
        lab.vpnsipd_stop_nodes("rtrA", "rtrB")
