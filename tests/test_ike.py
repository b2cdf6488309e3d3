"""IKEv2 engine and user-space IPsec data plane against stock strongSwan.

vpnsipd runs on rtrA, Debian's stock charon (its own swanctl config, kernel-
libipsec for ESP) on rtrB; the lab has no primary routes, so lanA reaches
lanB only through Tunnel1.  The sessions are driven through the hidden test
hook "test crypto ikev2 session" (docs/ike.md) until the VPN-SIP
orchestrator drives ike.h itself."""
import hashlib
import json
import os
import re
import subprocess
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lab"))
sys.path.insert(0, HERE)
import labctl  # noqa: E402
from lib.ike_peer import StockCharon, cert_conn, make_self_signed, psk_conn  # noqa: E402
from lib.vpnsip_conf import Peer, Tunnel, lab_router_config, router_config  # noqa: E402
from conftest import TIMER_BOUND  # noqa: E402

pytestmark = pytest.mark.netns

ikelab = labctl.lab_fixture(routers=2, up_args=["--no-primary-routes"], name="ikelab")

PSK = "vpnsip-interop-key-0123456789"
NUM_A, NUM_B = "0311111111", "0322222222"
A_BAK, B_BAK = "192.0.2.11", "192.0.2.12"
LAN_A, LAN_B = "203.0.113.0/29", "203.0.113.8/29"
HOST_B = "203.0.113.10"


def fp_text(data, algo="sha1"):
    d = hashlib.new(algo, data).hexdigest().upper()
    return ":".join(d[i:i + 2] for i in range(0, len(d), 2))


def a_config(profile_extra="", ikev2_extra="", iface_extra="", dest="dynamic", psk=PSK):
    return router_config(hostname="rtrA", local_id=NUM_A, ikev2_extra=ikev2_extra,
                         keyring=[Peer("rtrB", psk, key_id=NUM_B),
                                  Peer("rtrB-addr", psk, address=B_BAK)],
                         ipsec_extra=profile_extra,
                         tunnels=[Tunnel(1, "10.255.0.1", dest=dest, extra=iface_extra)])


class Pair:
    """vpnsipd (this build) on rtrA, stock charon on rtrB."""

    def __init__(self, lab, build, tmp, a_conf, peer_port_nat_t=4500, peer_conf=None):
        self.lab, self.build = lab, build
        lab.env["VPNSIPD"] = str(build / "vpnsipd")
        lab.env["VPNSIPSH"] = str(build / "vpnsipsh")
        lab.env["ASAN_OPTIONS"] = "abort_on_error=0:detect_leaks=1"
        if os.environ.get("IKE_TEST_DEBUG"):
            lab.env["VPNSIP_IKE_DEBUG"] = "1"
        conf = tmp / "a.conf"
        conf.write_text(a_conf)
        lab.exec("rtrA", "ip", "route", "flush", LAN_B)
        self.alog = os.path.join(lab.dir, "rtrA", "vpnsipd.log")
        self.log_start = os.path.getsize(self.alog) if os.path.exists(self.alog) else 0
        lab.vpnsipd_start("rtrA", str(conf))
        if callable(peer_conf):
            peer_conf = peer_conf()
        self.peer = StockCharon(lab, "rtrB", tmp / "peer", port_nat_t=peer_port_nat_t).start()
        self.peer.load(peer_conf or psk_conn("vpnsip", B_BAK, A_BAK, NUM_B, NUM_A, PSK,
                                             LAN_B, LAN_A, remote_port=4500))
        # Tunnel1 is the way to lanB (the routing feature is another branch).
        lab.exec("rtrA", "ip", "route", "replace", LAN_B, "dev", "Tunnel1", check=True)

    def sh(self, *cmds):
        args = []
        for c in cmds:
            args += ["-c", c]
        p = self.lab.exec("rtrA", str(self.build / "vpnsipsh"), "-S",
                          os.path.join(self.lab.dir, "rtrA", "vpnsipd.sock"), *args)
        return p.stdout + p.stderr

    def log(self):
        with open(self.alog, errors="replace") as f:
            text = f.read()
        # This daemon's lines only (the file may hold earlier runs).
        return text[self.log_start:] if len(text) >= self.log_start else text

    def wait_log(self, pattern, timeout=20):
        return labctl.wait_for(lambda: re.search(pattern, self.log()), timeout=timeout,
                               interval=0.2, what="log line /%s/\n%s" % (pattern, self.log()[-3000:]))

    def start_session(self, role="initiator", lport=0, pport=4500, fp=None, vpn_sip=True):
        cmd = (f"test crypto ikev2 session Tunnel1 {role} peer {B_BAK} port {pport} "
               f"local-port {lport} local-id {NUM_A} remote-id {NUM_B}")
        if fp:
            cmd += " fingerprint %s %s" % fp
        if vpn_sip:
            cmd += " vpn-sip"
        out = self.sh("enable", cmd)
        assert "%" not in out, out
        return out

    def wait_up(self, timeout=20):
        self.wait_log(r"SESSION_STATUS: Crypto tunnel is UP", timeout)

    def counters(self):
        out = self.sh("show crypto ipsec sa interface Tunnel1")
        enc = int(re.search(r"#pkts encaps: (\d+)", out).group(1))
        dec = int(re.search(r"#pkts decaps: (\d+)", out).group(1))
        rep = int(re.search(r"#replay drops (\d+)", out).group(1))
        return enc, dec, rep, out

    def dataplane(self):
        out = self.sh("show crypto ipsec dataplane")
        m = re.search(r"unknown SPI (\d+), truncated (\d+), garbage (\d+)", out)
        return tuple(int(x) for x in m.groups()), out

    def close(self):
        """vpnsipd first (it deletes its SAs with the peer still there to
        answer), then the peer; vpnsipd must end cleanly."""
        try:
            self.lab.vpnsipd_stop("rtrA")
        finally:
            self.peer.kill()


@pytest.fixture
def pair_factory(ikelab, build, tmp_path):
    made = []

    def make(a_conf=None, **kw):
        p = Pair(ikelab, build, tmp_path, a_conf or a_config(), **kw)
        made.append(p)
        return p

    yield make
    labctl.close_each(made, Pair.close)


def test_psk_initiator_ping_and_fingerprint(pair_factory, ikelab):
    pair = pair_factory()
    pair.start_session(fp=("sha-1", fp_text(PSK.encode())))
    pair.wait_up()
    assert ikelab.ping("lanA", HOST_B, count=3)
    out = pair.sh("show crypto session detail")
    assert "Session status: UP-ACTIVE" in out, out
    assert re.search(r"IKEv2 SA: local 192\.0\.2\.11/4500 remote 192\.0\.2\.12/4500 Active", out), out
    assert "Capabilities:S" in out, out
    assert "Phase1_id: %s" % NUM_B in out, out
    enc, dec, _, sa = pair.counters()
    assert enc >= 3 and dec >= 3, sa
    assert "ESTABLISHED" in pair.peer.list_sas()
    out = pair.sh("show crypto ikev2 sa detailed")
    assert "READY" in out and "Tunnel1" in out, out
    # Stop: INFORMATIONAL delete, answered by the peer.
    out = pair.sh("enable", "test crypto ikev2 stop Tunnel1 3000")
    assert "%" not in out, out
    pair.wait_log(r"Crypto tunnel is DOWN\. Interface: Tunnel1  \(stopped\)")
    labctl.wait_for(lambda: "ESTABLISHED" not in pair.peer.list_sas(), timeout=5,
                    what="the peer deleted its IKE SA")
    assert not ikelab.ping("lanA", HOST_B, count=1)


def test_crypto_json(pair_factory, ikelab):
    """show crypto session/ikev2 sa ... json (docs/json.md) of an established
    session: the values the text shows, parsed with json.loads."""
    pair = pair_factory()
    doc = json.loads(pair.sh("show crypto session json"))
    assert doc == {"sessions": []} or all(s["status"] == "DOWN" for s in doc["sessions"]), doc
    pair.start_session(fp=("sha-1", fp_text(PSK.encode())))
    pair.wait_up()
    assert ikelab.ping("lanA", HOST_B, count=3)
    text = pair.sh("show crypto session detail")
    [s] = json.loads(pair.sh("show crypto session detail json"))["sessions"]
    assert s["interface"] == "Tunnel1" and s["status"] == "UP-ACTIVE", s
    assert s["peer"] == B_BAK and s["peerPort"] == 4500 and s["phase1Id"] == NUM_B, s
    assert s["ikev2Sa"] == {"local": {"address": A_BAK, "port": 4500},
                            "remote": {"address": B_BAK, "port": 4500}, "state": "Active"}, s
    assert s["lastFailure"] is None and s["activeSas"] == 2 and s["profile"] == "IPROF", s
    assert "S" in s["capabilities"] and "N" in s["capabilities"], s
    assert "Capabilities:%s connid:%d " % (s["capabilities"], s["connId"]) in text, text
    assert s["inbound"]["packets"] >= 3 and s["outbound"]["packets"] >= 3, s
    brief = json.loads(pair.sh("show crypto session interface Tunnel1 json"))["sessions"]
    assert [b["interface"] for b in brief] == ["Tunnel1"] and "profile" not in brief[0], brief
    text = pair.sh("show crypto ikev2 sa detailed")
    [sa] = json.loads(pair.sh("show crypto ikev2 sa detailed json"))["sas"]
    assert sa["status"] == "READY" and sa["interface"] == "Tunnel1" and sa["vpnSip"], sa
    assert sa["tunnelId"] == s["connId"] and sa["initiator"] is True, (sa, s)
    assert sa["local"] == {"address": A_BAK, "port": 4500}, sa
    assert sa["vpnSipPeerNumber"] == NUM_B and NUM_B in sa["remoteId"], sa
    assert "Remote id: %s\n" % sa["remoteId"] in text, text
    assert "Local spi: %s       Remote spi: %s" % (sa["localSpi"], sa["remoteSpi"]) in text, text
    assert "Encr: %s, PRF: %s, Hash: %s, DH Grp: %s" % (
        sa["encryption"], sa["prf"], sa["hash"], sa["dhGroup"]) in text, text
    assert sa["activeSeconds"] >= 0 and sa["lifeSeconds"] > 0, sa


def test_fingerprint_mismatch_fails_ike_auth(pair_factory, ikelab):
    pair = pair_factory()
    wrong = fp_text(b"not-the-key")
    pair.start_session(fp=("sha-1", wrong))
    m = pair.wait_log(r"%IKEV2-3-FINGERPRINT_MISMATCH: Tunnel1: peer 0322222222 at 192\.0\.2\.12:4500: "
                      r"pre-shared key SHA-1 fingerprint does not match the SDP fingerprint")
    assert m
    pair.wait_log(r"%IKEV2-3-AUTH_FAILED: Tunnel1: IKE_AUTH failed: fingerprint mismatch")
    assert pair.log().count("AUTH_FAILED") == 1, pair.log()
    time.sleep(1)
    assert "Crypto tunnel is UP" not in pair.log()
    assert not ikelab.ping("lanA", HOST_B, count=1)
    assert PSK not in pair.log()  # no secrets in the log


def rsa_a_config():
    return router_config(hostname="rtrA", auth="rsa", trustpoint="Self", subject="CN=rtrA",
                         rsa_bits=2048, tunnels=[Tunnel(1, "10.255.0.1")])


def a_cert_der(lab):
    """vpnsipd's self-signed certificate (made at boot by the trustpoint)."""
    path = os.path.join(lab.dir, "rtrA", "vpnsipd.state", "pki", "certs", "Self.crt")
    labctl.wait_for(lambda: os.path.exists(path), timeout=10, what="the self-signed certificate")
    return path, subprocess.run(["openssl", "x509", "-in", path, "-outform", "DER"], check=True,
                                capture_output=True).stdout


@pytest.fixture
def rsa_pair(pair_factory, ikelab, tmp_path):
    """vpnsipd with its self-signed certificate, stock charon with its own
    (identity: subject DN), each pinning the other's certificate."""
    peer_dir = tmp_path / "peer"
    _, b_crt, b_der = make_self_signed(peer_dir, "rtrB")
    made = {}

    def conf(**kw):
        a_crt, a_der = a_cert_der(ikelab)
        made["a_der"] = a_der
        kw.setdefault("remote_port", 4500)
        return cert_conn("vpnsip", B_BAK, A_BAK, "CN=rtrB", "CN=rtrA", b_crt, a_crt, LAN_B, LAN_A,
                         **kw)

    def make(role="initiator", a_conf=None):
        kw = {}
        if role == "responder":
            kw = dict(remote_port=50001, local_port=4600)
        pair = pair_factory(a_conf or rsa_a_config(), peer_conf=lambda: conf(**kw),
                            **({"peer_port_nat_t": 4600} if role == "responder" else {}))
        pair.a_der, pair.b_der = made["a_der"], b_der
        return pair
    return make


def test_rsa_self_signed_initiator(rsa_pair, ikelab):
    pair = rsa_pair()
    # What the SDP carries: a=fingerprint over each certificate's DER.
    out = pair.sh("show crypto pki certificates Self")
    shown = re.search(r"Fingerprint SHA1: ([0-9A-F ]+)", out).group(1).replace(" ", "")
    assert shown == fp_text(pair.a_der).replace(":", ""), out
    pair.start_session(fp=("sha-1", fp_text(pair.b_der)))
    pair.wait_up()
    assert ikelab.ping("lanA", HOST_B, count=2)
    assert "ESTABLISHED" in pair.peer.list_sas()
    assert "Auth sign: RSA, Auth verify: RSA" in pair.sh("show crypto ikev2 sa"), pair.sh("show crypto ikev2 sa")
    plog = pair.peer.log_text()
    # The stock peer found our public key by our identity, the subject DN.
    assert re.search(r"authentication of 'CN=rtrA' with RSA.* successful", plog), plog[-3000:]


def test_rsa_self_signed_responder(rsa_pair, ikelab):
    pair = rsa_pair(role="responder")
    pair.start_session(role="responder", lport=50001, pport=4600,
                       fp=("sha-256", fp_text(pair.b_der, "sha256")))
    r = pair.peer.initiate("net")
    assert r.returncode == 0, r.stdout + r.stderr + pair.log()[-3000:]
    pair.wait_up()
    assert ikelab.ping("lanA", HOST_B, count=2)
    out = pair.sh("show crypto session detail")
    assert re.search(r"IKEv2 SA: local 192\.0\.2\.11/50001 remote 192\.0\.2\.12/4600 Active", out), out


def test_rsa_wrong_certificate_fingerprint(rsa_pair, ikelab, tmp_path):
    pair = rsa_pair()
    _, _, other = make_self_signed(tmp_path / "other", "rtrB")  # same name, other key
    pair.start_session(fp=("sha-1", fp_text(other)))
    pair.wait_log(r"%IKEV2-3-FINGERPRINT_MISMATCH: Tunnel1: peer 192\.0\.2\.12:4500: certificate "
                  r"SHA-1 fingerprint does not match the SDP fingerprint")
    pair.wait_log(r"Tunnel1.*fingerprint mismatch \(certificate\)|AUTH_FAILED: Tunnel1")
    time.sleep(1)
    assert "Crypto tunnel is UP" not in pair.log()
    assert "ESTABLISHED" not in pair.peer.list_sas()
    assert not ikelab.ping("lanA", HOST_B, count=1)


def test_responder_on_session_port_with_peer_port_not_4500(pair_factory, ikelab):
    # The peer starts from its NAT-T port (4600) as a VPN-SIP peer does: from
    # 500 it would float both ends to 4500 (RFC 7296 2.23).
    conn = psk_conn("vpnsip", B_BAK, A_BAK, NUM_B, NUM_A, PSK, LAN_B, LAN_A, remote_port=50001,
                    local_port=4600)
    pair = pair_factory(peer_port_nat_t=4600, peer_conf=conn)
    pair.start_session(role="responder", lport=50001, pport=4600)
    r = pair.peer.initiate("net")
    assert r.returncode == 0, r.stdout + r.stderr + pair.log()[-3000:]
    pair.wait_up()
    assert ikelab.ping("lanA", HOST_B, count=2)
    out = pair.sh("show crypto session detail")
    assert re.search(r"IKEv2 SA: local 192\.0\.2\.11/50001 remote 192\.0\.2\.12/4600 Active", out), out
    assert "Session port: udp 50001" in out, out
    # The session's own socket: IKE and ESP on 50001.
    ss = ikelab.exec("rtrA", "ss", "-uanp").stdout
    assert ":50001 " in ss, ss


def test_trigger_once_and_queue(pair_factory, ikelab):
    pair = pair_factory()
    # No session: packets into Tunnel1 are the VPN-SIP trigger; they wait
    # in the tunnel's trigger queue (no session comes in the ping's time).
    assert not ikelab.ping("lanA", HOST_B, count=3, wait=1)
    pair.wait_log(r"%IPSEC-6-TRIGGER: Tunnel1: packet without IPsec SA")
    assert pair.log().count("TRIGGER: Tunnel1") == 1, pair.log()
    out = pair.sh("show interfaces Tunnel1")
    assert "Trigger queue: 3 packets queued, 0 dropped (max 32 packets, 65536 bytes)" in out, out
    # The session's outbound SA sends them (late for ping, but sent).
    pair.start_session()
    pair.wait_up()
    out = pair.sh("show crypto ipsec sa interface Tunnel1")
    m = re.search(r"#trigger drops (\d+) \(triggers (\d+)\)", out)
    assert m and int(m.group(1)) == 0 and int(m.group(2)) == 1, out
    assert labctl.wait_for(lambda: pair.counters()[:2] == (3, 3), timeout=5,
                           what=lambda: pair.counters()[3])


def _send_udp(lab, node, dst, port, payloads_hex):
    script = ("import socket,sys\n"
              "s=socket.socket(socket.AF_INET,socket.SOCK_DGRAM)\n"
              "for h in sys.argv[3:]:\n"
              "    s.sendto(bytes.fromhex(h),(sys.argv[1],int(sys.argv[2])))\n")
    lab.exec(node, sys.executable, "-c", script, dst, str(port), *payloads_hex, check=True)


def test_garbage_truncated_forged_esp_dropped(pair_factory, ikelab):
    pair = pair_factory()
    pair.start_session()
    pair.wait_up()
    assert ikelab.ping("lanA", HOST_B, count=1)
    spi_in = re.search(r"inbound esp sas:\n\s+spi: 0x([0-9A-F]+)", pair.counters()[3]).group(1).lower()
    before, _ = pair.dataplane()
    payloads = [
        "ab",                                   # garbage, too short for ESP
        "000000ff",                             # SPI in the reserved range
        spi_in + "0000",                        # truncated ESP of a live SA
        spi_in + "00001000" + "00" * 64,        # forged: right SPI, bad ICV
        "deadbeef00000001" + "11" * 80,         # unknown SPI
        "00000000" + "22" * 8,                  # non-ESP marker, no IKE header
    ]
    _send_udp(ikelab, "rtrB", A_BAK, 4500, payloads)
    time.sleep(0.5)
    after, out = pair.dataplane()
    assert after[0] > before[0] and after[1] > before[1] and after[2] > before[2], out
    sa = pair.counters()[3]
    assert int(re.search(r"#recv errors (\d+)", sa).group(1)) >= 1, sa  # the forged one
    pair.wait_log(r"RECVD_PKT_INV_SPI")
    assert ikelab.ping("lanA", HOST_B, count=2)  # still working


def test_ike_ports_accept_only_tunnel_source_addresses(pair_factory, ikelab):
    """The UDP ports take IKE and ESP-in-UDP only on the tunnels' source
    addresses (docs/security.md): a datagram to another address of the
    router is dropped by the kernel; one to the source address reaches the
    data plane; without an IPsec tunnel no address is accepted."""
    pair = pair_factory(a_config(iface_extra="interface bak0\n ip address %s 255.255.255.0\n" % A_BAK))
    other = "192.0.2.111"
    ikelab.exec("rtrA", "ip", "addr", "add", other + "/24", "dev", "bak0", "nodad", check=True)
    try:
        out = pair.sh("show crypto ipsec dataplane")
        assert "UDP ports accept IKE/ESP on: %s\n" % A_BAK in out, out
        kernel = lambda o: int(re.search(r"dropped by the kernel: (\d+)", o).group(1))  # noqa: E731
        before, out = pair.dataplane()
        k0 = kernel(out)
        _send_udp(ikelab, "rtrB", other, 4500, ["00000000" + "22" * 8] * 3)
        _send_udp(ikelab, "rtrB", other, 500, ["00000000" + "22" * 8] * 2)
        time.sleep(0.5)
        after, out = pair.dataplane()
        assert after[2] == before[2], out                 # the data plane saw nothing
        assert kernel(out) >= k0 + 5, out
        _send_udp(ikelab, "rtrB", A_BAK, 4500, ["00000000" + "22" * 8] * 3)
        time.sleep(0.5)
        after, out = pair.dataplane()
        assert after[2] == before[2] + 3, out             # these reached it (garbage)
        # A tunnel without a source: every address again (the filter is removed).
        pair.sh("configure terminal", "interface Tunnel1", "no tunnel source", "end")
        out = pair.sh("show crypto ipsec dataplane")
        assert "UDP ports accept IKE/ESP on: every address\n" in out, out
        _send_udp(ikelab, "rtrB", other, 4500, ["00000000" + "22" * 8] * 2)
        time.sleep(0.5)
        after, out = pair.dataplane()
        assert after[2] == before[2] + 5, out
        assert "PORT_FILTER" not in pair.log(), pair.log()[-2000:]
        before = after
        # No IPsec tunnel left: no address takes IKE.
        pair.sh("configure terminal", "interface Tunnel1", "no tunnel protection ipsec profile",
                "no tunnel mode ipsec ipv4", "end")
        pair.sh("configure terminal", "no interface Tunnel1", "end")
        out = pair.sh("show crypto ipsec dataplane")
        assert "UDP ports accept IKE/ESP on: no address" in out, out
        _send_udp(ikelab, "rtrB", A_BAK, 4500, ["00000000" + "22" * 8] * 2)
        time.sleep(0.5)
        assert pair.dataplane()[0][2] == before[2]
    finally:
        ikelab.exec("rtrA", "ip", "addr", "del", other + "/24", "dev", "bak0")
        pair.close()   # it removes bak0's address: the next tests need it
        ikelab.exec("rtrA", "ip", "addr", "replace", A_BAK + "/24", "dev", "bak0")


def test_invalid_spi_recovery_notifies_peer(pair_factory, ikelab):
    """crypto isakmp invalid-spi-recovery: ESP with an unknown SPI from a
    peer we have an IKE SA with is answered with N(INVALID_SPI) in an
    INFORMATIONAL of that SA; at most one a second however many arrive."""
    pair = pair_factory()
    pair.start_session()
    pair.wait_up()
    bogus = "deadbeef00000001" + "11" * 80
    # Off (the default): counted and logged, nothing sent.
    _send_udp(ikelab, "rtrB", A_BAK, 4500, [bogus])
    pair.wait_log(r"RECVD_PKT_INV_SPI.*spi=0xDEADBEEF")
    time.sleep(1.5)
    assert "N(INVAL_SPI)" not in pair.peer.log_text()
    pair.sh("enable", "configure terminal", "crypto isakmp invalid-spi-recovery", "end")
    _send_udp(ikelab, "rtrB", A_BAK, 4500, [bogus] * 50)
    pair.wait_log(r"INVALID_SPI_NOTIFY: Tunnel1: sent INVALID_SPI notify for SPI 0xDEADBEEF to 192\.0\.2\.12")
    labctl.wait_for(lambda: re.search(r"parsed INFORMATIONAL request \d+ \[ N\(INVAL_SPI\) \]",
                                      pair.peer.log_text()), timeout=5,
                    what="the stock peer received N(INVALID_SPI)\n" + pair.peer.log_text()[-2000:])
    time.sleep(1)
    # 50 packets in well under a second: one notification.
    assert pair.log().count("INVALID_SPI_NOTIFY") == 1, pair.log()
    assert pair.peer.log_text().count("N(INVAL_SPI)") == 1
    # The IKE SA survived it and traffic still passes.
    assert "ESTABLISHED" in pair.peer.list_sas()
    assert ikelab.ping("lanA", HOST_B, count=1)


CAPTURE = r"""
import socket, struct, sys, json, time
iface, want_src, n, timeout = sys.argv[1], sys.argv[2], int(sys.argv[3]), float(sys.argv[4])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
s.bind((iface, 0)); s.settimeout(0.2)
out = []; end = time.time() + timeout
print("ready", flush=True)
while time.time() < end and len(out) < n:
    try: f = s.recv(65535)
    except socket.timeout: continue
    ip = f[14:]
    if len(ip) < 28 or ip[9] != 17: continue
    ihl = (ip[0] & 15) * 4
    src = socket.inet_ntoa(ip[12:16])
    sport, dport = struct.unpack("!HH", ip[ihl:ihl+4])
    payload = ip[ihl+8:]
    if src != want_src or sport == 500 or payload[:4] == b"\0\0\0\0" or len(payload) < 40: continue
    out.append({"df": bool(ip[6] & 0x40), "tos": ip[1], "sport": sport, "dport": dport, "payload": payload.hex()})
print(json.dumps(out), flush=True)
"""


def capture(lab, node, iface, src, n, action, timeout=8):
    p = lab.popen(node, sys.executable, "-c", CAPTURE, iface, src, str(n), str(timeout),
                  stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready"
    action()
    out, _ = p.communicate(timeout=timeout + 5)
    return json.loads(out.strip().splitlines()[-1])


def test_show_interfaces_counters_and_outer_dscp(pair_factory, ikelab):
    pair = pair_factory()
    # Before the session: the trigger (its packet queued) shows on the interface.
    assert not ikelab.ping("lanA", HOST_B, count=1, wait=1)
    pair.start_session()
    pair.wait_up()
    # The outer DSCP copies the inner one (EF = 46 -> TOS 0xb8; ECN not copied).
    pkts = capture(ikelab, "rtrB", "bak0", A_BAK, 1,
                   lambda: ikelab.exec("lanA", "ping", "-c1", "-Q", "0xb9", HOST_B))
    assert pkts and pkts[0]["tos"] == 0xb8, pkts
    pkts = capture(ikelab, "rtrB", "bak0", A_BAK, 1,
                   lambda: ikelab.exec("lanA", "ping", "-c1", "-Q", "0x28", HOST_B))  # AF11
    assert pkts and pkts[0]["tos"] == 0x28, pkts
    pkts = capture(ikelab, "rtrB", "bak0", A_BAK, 1,
                   lambda: ikelab.exec("lanA", "ping", "-c1", HOST_B))
    assert pkts and pkts[0]["tos"] == 0, pkts
    assert ikelab.ping("lanA", HOST_B, count=2)
    out = pair.sh("show interfaces Tunnel1")
    assert "Tunnel protocol/transport IPSEC/IP" in out, out
    assert 'Tunnel protection via IPSec (profile "IPROF")' in out, out
    m = re.search(r"IPsec data plane \(user-space\): SA up\n\s+(\d+) packets input, (\d+) bytes \(decrypted\)\n"
                  r"\s+(\d+) packets output, (\d+) bytes \(encrypted\)\n"
                  r"\s+(\d+) encrypt errors, (\d+) decrypt errors, (\d+) replay drops\n"
                  r"\s+(\d+) triggers, \d+ MSS clamped\n"
                  r"\s+Trigger queue: (\d+) packets queued, (\d+) dropped", out)
    assert m, out
    pin, bin_, pout, bout, enc_err, dec_err, rep, trig, tqueued, tdrop = (int(x) for x in m.groups())
    assert pin >= 5 and pout >= 5 and bin_ >= 84 * 5 and bout >= 84 * 5, out
    # The ping before the session waited in the queue and left with the SA.
    assert enc_err == dec_err == rep == 0 and (tqueued, tdrop, trig) == (1, 0, 1), out
    enc, dec, _, _ = pair.counters()
    assert (enc, dec) == (pout, pin), out


def test_child_rekey_keeps_traffic(pair_factory, ikelab):
    pair = pair_factory()
    pair.start_session()
    pair.wait_up()
    assert ikelab.ping("lanA", HOST_B, count=1)
    spi0 = re.search(r"current outbound spi: (0x[0-9A-F]+)", pair.counters()[3]).group(1)
    pinger = ikelab.popen("lanA", "ping", "-n", "-i", "0.2", "-c", "40", HOST_B,
                          stdout=subprocess.PIPE, text=True)
    time.sleep(2)
    pair.peer.swanctl("--rekey", "--child", "net")
    out, _ = pinger.communicate(timeout=30)
    spi1 = re.search(r"current outbound spi: (0x[0-9A-F]+)", pair.counters()[3]).group(1)
    assert spi1 != spi0
    loss = int(re.search(r"(\d+)% packet loss", out).group(1))
    assert loss <= 5, out
    # No PFS by default (TS-1017 4.3): neither the peer's rekey request nor
    # vpnsipd's answer carried a KE payload.
    plog = pair.peer.log_text()
    req = re.findall(r"generating CREATE_CHILD_SA request \d+ \[ ([^\]]*)\]", plog)
    resp = re.findall(r"parsed CREATE_CHILD_SA response \d+ \[ ([^\]]*)\]", plog)
    assert req and resp, plog[-4000:]
    assert all("N(REKEY_SA)" in p.split() and "SA" in p.split() for p in req), req
    assert not [p for p in req + resp if "KE" in p.split()], (req, resp)


@TIMER_BOUND
def test_idle_timeout_reported(pair_factory, ikelab):
    pair = pair_factory(a_config(profile_extra=" set security-association idle-time 60\n"))
    pair.start_session()
    pair.wait_up()
    assert ikelab.ping("lanA", HOST_B, count=1)
    t0 = time.monotonic()
    pair.wait_log(r"%IPSEC-5-IDLE: Tunnel1: IPsec SA idle timer expired", timeout=75)
    assert time.monotonic() - t0 >= 55


def test_static_destination_initiates(pair_factory, ikelab):
    # IOS SVTI: no remote identity, the PSK found by the peer's address.
    conn = psk_conn("vpnsip", B_BAK, A_BAK, NUM_B, NUM_A, PSK, LAN_B, LAN_A, remote_port=500)
    pair = pair_factory(a_config(dest=B_BAK), peer_conf=conn)
    pair.wait_up(timeout=40)
    assert ikelab.ping("lanA", HOST_B, count=2)
    # shutdown deletes its IKE SA (the peer sees it go); no shutdown brings
    # it back
    pair.sh("configure terminal", "interface Tunnel1", "shutdown", "end")
    labctl.wait_for(lambda: "ESTABLISHED" not in pair.peer.list_sas(), timeout=10,
                    what=lambda: "the peer's IKE SA deleted\n" + pair.peer.list_sas())
    assert "READY" not in pair.sh("show crypto ikev2 sa")
    pair.sh("configure terminal", "interface Tunnel1", "no shutdown", "end")
    labctl.wait_for(lambda: pair.log().count("Crypto tunnel is UP") >= 2, timeout=40,
                    what=lambda: "the tunnel up again\n" + pair.log()[-3000:])
    assert "ESTABLISHED" in pair.peer.list_sas()
    # the lab's hand-made route to lanB went with the link
    ikelab.exec("rtrA", "ip", "route", "replace", LAN_B, "dev", "Tunnel1", check=True)
    assert ikelab.ping("lanA", HOST_B, count=2)


def vpnsip_config(lab, node, peer_node, tun_addr, auth="psk"):
    lan_peer = lab.addr(peer_node.replace("rtr", "lan"))
    net = ".".join(lan_peer.split(".")[:3] + [str(int(lan_peer.split(".")[3]) & ~7)])
    if auth == "rsa":
        # The Cisco guide's self-signed example: no keyring, no CA.
        crypto = dict(auth="rsa", trustpoint="selfCert", subject="CN=" + node,
                      local_auth_first=True)
    else:
        crypto = dict(keyring=[Peer("peer", PSK, key_id=lab.number(peer_node))])
    return lab_router_config(lab, node, peer_node, tun_addr,
                             tail=f"ip route {net} 255.255.255.248 Tunnel1\n", **crypto)


@pytest.mark.parametrize("auth", ["psk", "rsa"])
def test_vpnsip_end_to_end_two_vpnsipd(ikelab, build, tmp_path, auth):
    """Traffic into Tunnel1 triggers the SIP call (Kamailio), the SDPs carry
    ports and PSK or certificate fingerprints, IKE binds to them, and lanA
    reaches lanB."""
    lab = ikelab
    lab.env["VPNSIPD"] = str(build / "vpnsipd")
    lab.env["VPNSIPSH"] = str(build / "vpnsipsh")
    lab.env["ASAN_OPTIONS"] = "abort_on_error=0:detect_leaks=1"
    logs = {}
    for node, peer, addr in (("rtrA", "rtrB", "10.255.0.1"), ("rtrB", "rtrA", "10.255.0.2")):
        conf = tmp_path / (node + ".conf")
        conf.write_text(vpnsip_config(lab, node, peer, addr, auth))
        path = os.path.join(lab.dir, node, "vpnsipd.log")
        logs[node] = (path, os.path.getsize(path) if os.path.exists(path) else 0)
        lab.vpnsipd_start(node, str(conf))

    def log(node):
        path, start = logs[node]
        with open(path, errors="replace") as f:
            return f.read()[start:]
    try:
        labctl.wait_for(lambda: ": registered" in lab.sh("rtrB", "show vpn-sip registration-status").stdout
                        and ": registered" in lab.sh("rtrA", "show vpn-sip registration-status").stdout,
                        timeout=15, what="both registered\nA:\n%s" % log("rtrA")[-2000:])
        ok = labctl.wait_for(lambda: lab.ping("lanA", HOST_B, count=1, wait=1), timeout=40,
                             what="ping through the VPN-SIP tunnel\nA:\n%s\nB:\n%s" % (
                                 log("rtrA")[-3000:], log("rtrB")[-3000:]))
        assert ok
        assert "TRIGGER: Tunnel1" in log("rtrA")
        assert "Crypto tunnel is UP" in log("rtrA") and "Crypto tunnel is UP" in log("rtrB")
        out = lab.sh("rtrA", "show crypto session detail").stdout
        assert "Capabilities:S" in out and "UP-ACTIVE" in out, out
        assert "SESSION_UP" in lab.sh("rtrA", "show vpn-sip session detail").stdout
        # QoS: the implicit bandwidth policy shapes the session (docs/qos.md)
        for node in ("rtrA", "rtrB"):
            assert "VPN-SIP-Tunnel1-Bandwidth attached" in log(node), log(node)[-2000:]
            qos = lab.sh(node, "show policy-map interface Tunnel1").stdout
            assert "Service-policy output: VPN-SIP-Tunnel1-Bandwidth" in qos, qos
        if auth == "rsa":
            # Each side pinned the other's self-signed certificate by the
            # a=fingerprint of the SDP; our identities are the subject DNs.
            sa = lab.sh("rtrA", "show crypto ikev2 sa detailed").stdout
            assert "Auth sign: RSA, Auth verify: RSA" in sa, sa
    finally:
        lab.vpnsipd_stop_nodes("rtrA", "rtrB")
