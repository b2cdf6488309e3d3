"""Which IKEv2 profile and which identities a tunnel uses.

Three lab routers without primary routes: lanA reaches lanB and lanC only
through rtrA's tunnels.

(a) rtrA has two VPN-SIP tunnels on two IKEv2 profiles, the first in the
    configuration PSK (Tunnel1 to rtrB), the second certificates (Tunnel2
    to rtrC); rtrB and rtrC are vpnsipd with one profile each.  Each call
    offers the fingerprint of its tunnel's own profile, both come up and
    carry traffic; show crypto session detail's Phase1_id is the identity
    each peer presented (rtrC: its certificate's DN, not its number).
(b) Stock charon initiating to vpnsipd presenting ID_IPV4_ADDR, ID_FQDN,
    ID_RFC822_ADDR or KEY_ID: accepted when a "match identity remote" line
    takes it (IKE up, traffic, Phase1_id the identity), its key found by
    that identity alone; refused AUTHENTICATION_FAILED (and logged with the
    identity and the profile) when no line does.
(c) A VPN-SIP call from SIPp with stock charon presenting ID_FQDN: accepted
    by "match identity remote fqdn domain"; another domain is refused
    AUTHENTICATION_FAILED."""
import os
import re
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lab"))
sys.path.insert(0, HERE)
import labctl  # noqa: E402
from lib.ike_peer import StockCharon, psk_conn  # noqa: E402
from lib.vpnsip_conf import Peer, lab_router_config  # noqa: E402
from test_session_interop import (A_BAK, B_BAK, HOST_B, LAN_A, LAN_B, NUM_A, NUM_B,  # noqa: E402
                                  peer_fixture, peer_sdp, sdp_lines, uas_answering)
from conftest import TIMER_BOUND  # noqa: E402

pytestmark = pytest.mark.netns

identlab = labctl.lab_fixture(routers=3, up_args=["--no-primary-routes"], name="identlab")

PSK = "vpnsip-identity-key-0123456789"


def lan_net(lab, node):
    """The /29 of node's LAN as "A.B.C.D MASK"."""
    host = lab.addr(node.replace("rtr", "lan"))
    a, b, c, d = host.split(".")
    return "%s.%s.%s.%d 255.255.255.248" % (a, b, c, int(d) & ~7)


def two_profile_config(lab):
    """rtrA: Tunnel1 to rtrB on PSKPROF (the first profile), by the IPsec
    profile's "set ikev2-profile"; Tunnel2 to rtrC on CERTPROF, named on
    the tunnel protection line."""
    a, b, c = (lab.number(n) for n in ("rtrA", "rtrB", "rtrC"))
    return f"""hostname rtrA
crypto pki trustpoint selfCert
 enrollment selfsigned
 subject-name CN=rtrA
 revocation-check none
 rsakeypair myRSA
crypto pki enroll selfCert
crypto ikev2 keyring keys
 peer rtrB
  identity key-id {b}
  pre-shared-key {PSK}
crypto ikev2 profile PSKPROF
 match identity remote any
 identity local key-id {a}
 authentication remote pre-share
 authentication local pre-share
 keyring local keys
 nat force-encap
crypto ikev2 profile CERTPROF
 match identity remote any
 authentication local rsa-sig
 authentication remote rsa-sig
 pki trustpoint selfCert
 nat force-encap
crypto ipsec transform-set TS esp-aes 256 esp-sha256-hmac
 mode tunnel
crypto ipsec profile IPSK
 set transform-set TS
 set ikev2-profile PSKPROF
crypto ipsec profile ICERT
 set transform-set TS
interface bak0
 ip address {lab.addr("rtrA")} 255.255.255.0
interface Tunnel1
 ip address 10.255.0.1 255.255.255.252
 tunnel source bak0
 tunnel mode ipsec ipv4
 tunnel destination dynamic
 tunnel protection ipsec profile IPSK
 vpn-sip local-number {a} remote-number {b} bandwidth 1000
interface Tunnel2
 ip address 10.255.0.5 255.255.255.252
 tunnel source bak0
 tunnel mode ipsec ipv4
 tunnel destination dynamic
 tunnel protection ipsec profile ICERT ikev2-profile CERTPROF
 vpn-sip local-number {a} remote-number {c} bandwidth 1000
vpn-sip enable
vpn-sip local-number {a} address ipv4 bak0
vpn-sip logging
vpn-sip sip-server ipv4:192.0.2.1
vpn-sip sip-domain {lab.domain}
ip route {lan_net(lab, "rtrB")} Tunnel1
ip route {lan_net(lab, "rtrC")} Tunnel2
"""


def peer_config(lab, node, tun_addr, auth):
    """rtrB (PSK) or rtrC (its own self-signed certificate): one VPN-SIP
    tunnel to rtrA, lanA behind it."""
    if auth == "rsa":
        crypto = dict(auth="rsa", trustpoint="selfCert", subject="CN=" + node,
                      local_auth_first=True)
    else:
        crypto = dict(keyring=[Peer("rtrA", PSK, key_id=lab.number("rtrA"))])
    return lab_router_config(lab, node, "rtrA", tun_addr,
                             tail="ip route %s Tunnel1\n" % lan_net(lab, "rtrA"), **crypto)


class Routers:
    """vpnsipd on the given nodes with the given configurations; logs
    from this start on."""

    def __init__(self, lab, build, tmp_path, confs):
        self.lab = lab
        lab.env["VPNSIPD"] = str(build / "vpnsipd")
        lab.env["VPNSIPSH"] = str(build / "vpnsipsh")
        lab.env["ASAN_OPTIONS"] = "abort_on_error=0:detect_leaks=1"
        lab.clear_knobs()
        self.logs, self.nodes = {}, []
        for node, text in confs.items():
            path = tmp_path / (node + ".conf")
            path.write_text(text)
            log = os.path.join(lab.dir, node, "vpnsipd.log")
            self.logs[node] = (log, os.path.getsize(log) if os.path.exists(log) else 0)
            lab.vpnsipd_start(node, str(path))
            self.nodes.append(node)

    def log(self, node):
        path, start = self.logs[node]
        with open(path, errors="replace") as f:
            return f.read()[start:]

    def tail(self, node, n=3000):
        return "".join(ln for ln in self.log(node).splitlines(True) if ": IKEv2-" not in ln)[-n:]

    def sh(self, node, cmd):
        p = self.lab.sh(node, cmd, check=False)
        return p.stdout + p.stderr

    def enable(self, cmd, node="rtrA"):
        """A privileged command (the test hooks)."""
        p = self.lab.exec(node, self.lab.env["VPNSIPSH"], "-S",
                          os.path.join(self.lab.dir, node, "vpnsipd.sock"), "-c", "enable", "-c", cmd)
        return p.stdout + p.stderr

    def wait_registered(self):
        labctl.wait_for(lambda: all(": registered" in self.sh(n, "show vpn-sip registration-status")
                                    for n in self.nodes), timeout=20,
                        what=lambda: "all registered\n" + self.tail("rtrA"))

    def close(self):
        self.lab.vpnsipd_stop_nodes(*self.nodes)


@pytest.fixture
def routers(identlab, build, tmp_path):
    made = []

    def make(confs):
        r = Routers(identlab, build, tmp_path, confs)
        made.append(r)
        return r
    yield make
    labctl.close_each(made, Routers.close)


def test_two_tunnels_on_a_psk_and_a_certificate_profile(routers, identlab):
    lab = identlab
    r = routers({"rtrA": two_profile_config(lab),
                 "rtrB": peer_config(lab, "rtrB", "10.255.0.2", "psk"),
                 "rtrC": peer_config(lab, "rtrC", "10.255.0.6", "rsa")})
    r.wait_registered()
    host_b, host_c = lab.addr("lanB"), lab.addr("lanC")
    for host, peer in ((host_b, "rtrB"), (host_c, "rtrC")):
        labctl.wait_for(lambda: lab.ping("lanA", host, count=1, wait=1), timeout=40,
                        what=lambda: "ping %s through rtrA's tunnel to %s\nA:\n%s\n%s:\n%s" % (
                            host, peer, r.tail("rtrA"), peer, r.tail(peer)))
    assert lab.ping("lanA", host_b, count=2) and lab.ping("lanA", host_c, count=2)
    alog = r.log("rtrA")
    # Each call offered its own profile's kind of fingerprint.
    assert "CALL_FAIL" not in alog and "CALL_REJECT" not in alog, r.tail("rtrA")
    out = r.sh("rtrA", "show crypto session detail")
    blocks = {m.group(1): m.group(0) for m in
              re.finditer(r"Interface: (Tunnel\d)\n(?:.*\n)*?(?=Interface: |\Z)", out)}
    assert "Profile: PSKPROF" in blocks["Tunnel1"] and "UP-ACTIVE" in blocks["Tunnel1"], out
    assert "Profile: CERTPROF" in blocks["Tunnel2"] and "UP-ACTIVE" in blocks["Tunnel2"], out
    # Phase1_id: the identity each peer presented, not its SIP number.
    assert "Phase1_id: %s\n" % lab.number("rtrB") in blocks["Tunnel1"], out
    assert "Phase1_id: CN=rtrC\n" in blocks["Tunnel2"], out
    sa = r.sh("rtrA", "show crypto ikev2 sa detailed")
    assert "Auth sign: PSK, Auth verify: PSK" in sa and "Auth sign: RSA, Auth verify: RSA" in sa, sa


# ---- (b) the identity a stock peer presents -----------------------------------

# vpnsipd answers (the test hook's responder session on port 50001, its
# peer's number 0399999999 in no keyring, no address line): the only key
# there is is the keyring peer of the identity charon presents.
KEY = "vpnsip-identity-key-abcdefghij"
SESSION = ("test crypto ikev2 session Tunnel1 responder peer %s port 4600 local-port 50001 "
           "local-id %s remote-id 0399999999" % (B_BAK, NUM_A))

IDENTITY_CASES = {
    # case: (charon's identity, its keyring identity line, match line, Phase1_id)
    "address": (B_BAK, "address " + B_BAK, "address 192.0.2.0 255.255.255.0", B_BAK),
    "fqdn": ("fqdn:rtrb.example.net", "fqdn rtrb.example.net", "fqdn domain example.net",
             "rtrb.example.net"),
    "email": ("email:ike@rtrb.example.net", "email ike@rtrb.example.net",
              "email domain example.net", "ike@rtrb.example.net"),
    "key-id": ("keyid:" + NUM_B, "key-id " + NUM_B, "key-id " + NUM_B, NUM_B),
}


def responder_config(keyring_identity, match):
    return f"""hostname rtrA
crypto ikev2 keyring keys
 peer rtrB
  identity {keyring_identity}
  pre-shared-key {KEY}
crypto ikev2 profile IPROF
 match identity remote {match}
 identity local fqdn rtra.example.net
 authentication remote pre-share
 authentication local pre-share
 keyring local keys
 nat force-encap
crypto ipsec transform-set TS esp-aes 256 esp-sha256-hmac
 mode tunnel
crypto ipsec profile IPROF
 set transform-set TS
 set ikev2-profile IPROF
 set security-association idle-time 600
interface bak0
 ip address {A_BAK} 255.255.255.0
interface Tunnel1
 ip address 10.255.0.1 255.255.255.252
 tunnel source bak0
 tunnel mode ipsec ipv4
 tunnel destination dynamic
 tunnel protection ipsec profile IPROF ikev2-profile IPROF
ip route 203.0.113.8 255.255.255.248 Tunnel1
"""


@pytest.fixture
def responder(identlab, build, tmp_path):
    """make(keyring identity, match line, charon's identity): vpnsipd's
    responder session up, charon configured to initiate to it."""
    made = []

    def make(keyring_identity, match, peer_id):
        lab = identlab
        r = Routers(lab, build, tmp_path, {"rtrA": responder_config(keyring_identity, match)})
        made.append(r)
        r.charon = StockCharon(lab, "rtrB", tmp_path / "charon", port_nat_t=4600).start()
        r.charon.load(psk_conn("vpnsip", B_BAK, A_BAK, peer_id, "fqdn:rtra.example.net", KEY,
                               LAN_B, LAN_A, remote_port=50001, local_port=4600))
        out = r.enable(SESSION)
        assert "%" not in out, out
        return r

    def close(r):
        try:
            r.close()
        finally:
            r.charon.kill()
    yield make
    labctl.close_each(made, close)


@pytest.mark.parametrize("case", sorted(IDENTITY_CASES))
def test_peer_identity_accepted_and_its_key_found(responder, identlab, case):
    peer_id, keyring_id, match, phase1 = IDENTITY_CASES[case]
    r = responder(keyring_id, match, peer_id)
    res = r.charon.initiate("net")
    assert res.returncode == 0, res.stdout + res.stderr + r.tail("rtrA")
    labctl.wait_for(lambda: "Crypto tunnel is UP" in r.log("rtrA"), timeout=10,
                    what=lambda: "IKE up\n" + r.tail("rtrA"))
    assert identlab.ping("lanA", HOST_B, count=2)
    out = r.sh("rtrA", "show crypto session detail")
    assert "Phase1_id: %s\n" % phase1 in out, out
    sa = r.sh("rtrA", "show crypto ikev2 sa detailed")
    assert "Local id: rtra.example.net\n" in sa and "Remote id: %s\n" % phase1 in sa, sa
    assert "IDENTITY_MISMATCH" not in r.log("rtrA")


def test_peer_identity_refused(responder, identlab):
    """No match line takes fqdn rtrb.example.org (the keyring has its key):
    IKE_AUTH refused AUTHENTICATION_FAILED, and the log says which identity
    and which profile."""
    r = responder("fqdn rtrb.example.org", "fqdn domain example.net", "fqdn:rtrb.example.org")
    res = r.charon.initiate("net", timeout=10)
    assert res.returncode != 0, res.stdout
    assert "received AUTHENTICATION_FAILED notify error" in r.charon.log_text()
    alog = r.log("rtrA")
    assert re.search(r"%IKEV2-3-IDENTITY_MISMATCH: Tunnel1: peer 192\.0\.2\.12:4600 presented fqdn "
                     r"rtrb\.example\.org: no match identity remote of IKEv2 profile IPROF accepts it: "
                     r"IKE_AUTH refused", alog), r.tail("rtrA")
    labctl.wait_for(lambda: "%IKEV2-3-AUTH_FAILED: Tunnel1: IKE_AUTH failed: identity not accepted "
                    "(fqdn rtrb.example.org)" in r.log("rtrA"), timeout=10,
                    what=lambda: "the session's failure\n" + r.tail("rtrA"))
    assert "Crypto tunnel is UP" not in r.log("rtrA")
    assert not identlab.ping("lanA", HOST_B, count=1)


def test_peer_key_found_only_by_its_identity(responder, identlab):
    """Matched, but no keyring peer has that identity: no key to verify
    its AUTH with."""
    r = responder("fqdn other.example.net", "fqdn domain example.net", "fqdn:rtrb.example.net")
    res = r.charon.initiate("net", timeout=10)
    assert res.returncode != 0, res.stdout
    assert "received AUTHENTICATION_FAILED notify error" in r.charon.log_text()
    assert "Crypto tunnel is UP" not in r.log("rtrA")
    assert "IDENTITY_MISMATCH" not in r.log("rtrA")


# ---- (c) a VPN-SIP peer presenting an FQDN ------------------------------------

peer = peer_fixture("identlab")


def configure(lab, node, *lines):
    args = [lab.env["VPNSIPSH"], "-S", os.path.join(lab.dir, node, "vpnsipd.sock"),
            "-c", "configure terminal"]
    for ln in lines:
        args += ["-c", ln]
    p = lab.exec(node, *args, "-c", "end")
    assert p.returncode == 0 and "%" not in p.stdout, p.stdout + p.stderr


@TIMER_BOUND
def test_vpnsip_peer_presenting_an_fqdn(peer, identlab, tmp_path):
    lab, p = identlab, peer()
    psk = "demo-vpnsip-shared-key-0123456789"  # conf/demo/rtrA.conf's key for NUM_B
    configure(lab, "rtrA", "crypto ikev2 keyring keys", " peer rtrB-fqdn",
              "  identity fqdn rtrb.example.net", "  pre-shared-key " + psk,
              "crypto ikev2 profile IPROF", " match identity remote fqdn domain example.net")
    keys = {"ruri": lab.tel_uri(NUM_A), "caller": NUM_B, "domain": lab.domain}
    lab.register("rtrB", contact_port=5070)

    def call(hold_ms):
        c = lab.sipp_bg("rtrB", "vs_uac_offer.xml", port=5070, keys=keys, timeout=60,
                        subst={"SDP": peer_sdp("active")}, duration_ms=hold_ms)
        ok = labctl.wait_for(lambda: [m for m in labctl.parse_sipp_messages(c.args[0])
                                      if m.direction == "received" and m.code == 200
                                      and m.method == "INVITE"], timeout=10,
                             what=lambda: "vpnsipd's 200 OK\n" + p.log()[-2000:])[0]
        m = [ln for ln in sdp_lines(ok) if ln.startswith("m=application ")]
        return c, int(m[0].split()[1])

    def charon_as(ident, port):
        p.charon.swanctl("--terminate", "--ike", "vpnsip", "--force", check=False)
        p.charon.load(psk_conn("vpnsip", B_BAK, A_BAK, ident, NUM_A, psk, LAN_B, LAN_A,
                               remote_port=port, local_port=4600))

    c, port = call(hold_ms=15000)
    try:
        p.wait_state("NEGOTIATING_IKE (R)", timeout=10)
        charon_as("fqdn:rtrb.example.net", port)
        r = p.charon.initiate("net")
        assert r.returncode == 0, r.stdout + r.stderr + p.tail()
        p.wait_state("SESSION_UP (R)")
        assert lab.ping("lanA", HOST_B, count=2)
        out = p.sh("show crypto session detail")
        assert "Phase1_id: rtrb.example.net\n" in out, out
        p.wait_state("READY_TO_CONNECT", timeout=40)
    finally:
        res = c.wait(60)
    assert res.rc == 0, res.diagnostics() + p.tail()

    # Another domain: refused with AUTHENTICATION_FAILED, and said so.
    c, port = call(hold_ms=12000)
    try:
        p.wait_state("NEGOTIATING_IKE (R)", timeout=10)
        charon_as("fqdn:rtrb.example.org", port)
        r = p.charon.initiate("net", timeout=10)
        assert r.returncode != 0 and not p.established(), r.stdout
        assert "received AUTHENTICATION_FAILED notify error" in p.charon.log_text()
        p.wait_log(r"%IKEV2-3-IDENTITY_MISMATCH: Tunnel1: peer 192\.0\.2\.12:4600 presented fqdn "
                   r"rtrb\.example\.org: no match identity remote of IKEv2 profile IPROF accepts it",
                   timeout=10)
        assert "SESSION_UP" not in p.sh("show vpn-sip session")
        p.wait_state("READY_TO_CONNECT", timeout=40)
    finally:
        c.wait(60)
    assert p.log().count("Crypto tunnel is UP") == 1, p.tail()


def test_vpnsipd_calls_and_refuses_the_answerers_identity(peer, identlab):
    """vpnsipd calls and starts IKE; the answering peer presents fqdn
    rtrb.example.org in its IKE_AUTH response while the profile accepts
    only fqdn domain example.net: vpnsipd, the initiator, refuses it with
    the identity and the profile in the log, the session never comes up
    and the call ends with our BYE."""
    lab, p = identlab, peer()
    psk = "demo-vpnsip-shared-key-0123456789"  # conf/demo/rtrA.conf's key for NUM_B
    configure(lab, "rtrA", "crypto ikev2 profile IPROF",
              " match identity remote fqdn domain example.net")
    p.charon.swanctl("--terminate", "--ike", "vpnsip", "--force", check=False)
    p.charon.load(psk_conn("vpnsip", B_BAK, A_BAK, "fqdn:rtrb.example.org", NUM_A, psk, LAN_B,
                           LAN_A, remote_port=4500, local_port=4600))
    uas = uas_answering(lab, 60)
    try:
        lab.ping("lanA", HOST_B, count=1, wait=1)
        p.wait_log(r"%IKEV2-3-IDENTITY_MISMATCH: Tunnel1: .*fqdn rtrb\.example\.org.*IPROF",
                   timeout=30)
        p.wait_state("READY_TO_CONNECT", timeout=40)
    finally:
        res = uas.wait(60)
    assert res.rc == 0 and res.received("BYE"), res.diagnostics() + p.tail()
    assert "SESSION_UP" not in p.log() and "Crypto tunnel is UP" not in p.log(), p.tail()
