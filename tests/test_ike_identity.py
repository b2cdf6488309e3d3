"""Which IKEv2 profile and which identities a tunnel uses.

Three lab routers without primary routes: lanA reaches lanB and lanC only
through rtrA's tunnels.

(a) rtrA has two VPN-SIP tunnels on two IKEv2 profiles, the first in the
    configuration PSK (Tunnel1 to rtrB), the second certificates (Tunnel2
    to rtrC); rtrB and rtrC are vpnsipd with one profile each.  Each call
    offers the fingerprint of its tunnel's own profile, both come up and
    carry traffic; show crypto session detail's Phase1_id is the identity
    each peer presented (rtrC: its certificate's DN, not its number)."""
import os
import re
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lab"))
sys.path.insert(0, HERE)
import labctl  # noqa: E402
from lib.vpnsip_conf import Peer, lab_router_config  # noqa: E402

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
