"""IKEv2 options of static tunnels applied to libcharon, checked on the wire
against stock strongSwan: CA chains and "match certificate" for static
rsa-sig tunnels, and the IKE identities in "show crypto ikev2 sa
detailed".  The options a VPN-SIP session has are checked inside real
sessions: DPD in test_session_faults.py, NAT keepalives, IKE fragmentation,
replay and rekeying in test_session_ike.py.  The packet sniffer here is
shared with them.

Same lab layout as tests/test_ike.py (vpnsipd on rtrA, stock charon on
rtrB, LAB_PREFIX respected); packets are captured on the peer's bak0 with
a raw socket, so what is asserted is what went on the wire."""
import contextlib
import json
import os
import re
import subprocess
import sys

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lab"))
sys.path.insert(0, HERE)
import labctl  # noqa: E402
from lib.ike_peer import cert_conn, make_self_signed  # noqa: E402
from lib.vpnsip_conf import Tunnel, router_config  # noqa: E402
from test_ike import (A_BAK, B_BAK, HOST_B, LAN_A, LAN_B, Pair,  # noqa: E402
                      a_cert_der, a_config, fp_text)

pytestmark = pytest.mark.netns

optlab = labctl.lab_fixture(routers=2, up_args=["--no-primary-routes"], name="optlab")

# UDP datagrams from one source, with arrival time, IP total length and
# the start of the payload (IKE header after the non-ESP marker on 4500).
SNIFF = r"""
import socket, struct, sys, json, time
iface, want_src, timeout = sys.argv[1], sys.argv[2], float(sys.argv[3])
s = socket.socket(socket.AF_PACKET, socket.SOCK_RAW, socket.htons(0x0800))
s.bind((iface, 0)); s.settimeout(0.2)
out = []; t0 = time.monotonic(); end = t0 + timeout
print("ready", flush=True)
while time.monotonic() < end:
    try: f = s.recv(65535)
    except socket.timeout: continue
    ip = f[14:]
    if len(ip) < 28 or ip[9] != 17: continue
    ihl = (ip[0] & 15) * 4
    if socket.inet_ntoa(ip[12:16]) != want_src: continue
    sport, dport = struct.unpack("!HH", ip[ihl:ihl+4])
    payload = ip[ihl+8:]
    out.append({"t": time.monotonic() - t0, "iplen": struct.unpack("!H", ip[2:4])[0],
                "sport": sport, "dport": dport, "head": payload[:40].hex(), "len": len(payload)})
print(json.dumps(out), flush=True)
"""


def sniff(lab, node, src, seconds, action=None, iface="bak0"):
    p = lab.popen(node, sys.executable, "-c", SNIFF, iface, src, str(seconds),
                  stdout=subprocess.PIPE, text=True)
    assert p.stdout.readline().strip() == "ready"
    if action:
        action()
    out, _ = p.communicate(timeout=seconds + 10)
    return json.loads(out.strip().splitlines()[-1])


def ike_header(pkt):
    """(exchange type, is response, next payload) of an IKE packet, or None
    (ESP, keepalive)."""
    b = bytes.fromhex(pkt["head"])
    if pkt["dport"] != 500 and pkt["sport"] != 500:
        if len(b) < 4 or b[:4] != b"\0\0\0\0":
            return None
        b = b[4:]
    if len(b) < 28:
        return None
    return b[18], bool(b[19] & 0x20), b[16]


def dpd_requests(pkts):
    """Times of INFORMATIONAL requests (DPD: an empty SK payload)."""
    return [p["t"] for p in pkts if (h := ike_header(p)) and h[0] == 37 and not h[1]]


def keepalives(pkts):
    return [p for p in pkts if p["len"] == 1 and p["head"] == "ff"]


@pytest.fixture
def pairs(optlab, build, tmp_path):
    made = []

    def make(a_conf=None, sub="p", **kw):
        d = tmp_path / sub
        d.mkdir(exist_ok=True)
        p = Pair(optlab, build, d, a_conf or a_config(), **kw)
        made.append(p)
        return p

    yield make
    labctl.close_each(made, Pair.close)


# ---- CA chains and certificate maps (static rsa-sig tunnels) --------------------------------


def make_ca(d):
    d.mkdir(parents=True, exist_ok=True)
    key, crt = str(d / "ca.key"), str(d / "ca.crt")
    subprocess.run(["openssl", "req", "-x509", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", crt, "-days", "30", "-subj", "/CN=vpnsip lab CA"], check=True,
                   capture_output=True)
    return key, crt


def make_signed(d, cn, ca_key, ca_crt):
    """A key and a certificate for cn signed by the CA, in swanctl's layout."""
    (d / "private").mkdir(parents=True, exist_ok=True)
    key, csr, crt = str(d / "private" / (cn + ".key")), str(d / (cn + ".csr")), str(d / (cn + ".crt"))
    subprocess.run(["openssl", "req", "-new", "-newkey", "rsa:2048", "-nodes", "-keyout", key,
                    "-out", csr, "-subj", "/CN=" + cn], check=True, capture_output=True)
    subprocess.run(["openssl", "x509", "-req", "-in", csr, "-CA", ca_crt, "-CAkey", ca_key,
                    "-CAcreateserial", "-out", crt, "-days", "30"], check=True, capture_output=True)
    return crt


def static_rsa_config(ca_crt, revocation="none"):
    return router_config(hostname="rtrA", auth="rsa", trustpoint="Self", subject="CN=rtrA",
                         rsa_bits=2048, match_certificate="PEERS", revocation=revocation,
                         pki_extra=f"""crypto pki authenticate Self file {ca_crt}
crypto pki certificate map PEERS 10
 subject-name co cn = rtrb
 issuer-name eq cn = vpnsip lab CA
""", tunnels=[Tunnel(1, "10.255.0.1", dest=B_BAK)])


@pytest.mark.parametrize("case", ["ca-signed", "self-signed", "map-mismatch"])
def test_static_rsa_ca_chain_and_certificate_map(pairs, optlab, tmp_path, case):
    """IOS SVTI (tunnel destination) with rsa-sig and no SDP fingerprint:
    the peer's certificate must chain to the trustpoint's CA ("crypto pki
    authenticate") and match the profile's certificate map; otherwise
    IKE_AUTH fails (the peer receives AUTHENTICATION_FAILED) with a log line."""
    ca_key, ca_crt = make_ca(tmp_path / "ca")
    peer_dir = tmp_path / "p" / "peer"
    cn = "intruder" if case == "map-mismatch" else "rtrB"
    if case == "self-signed":
        _, b_crt, _ = make_self_signed(peer_dir, cn)
    else:
        b_crt = make_signed(peer_dir, cn, ca_key, ca_crt)
    pair = pairs(static_rsa_config(ca_crt), peer_conf=rtrb_cert_peer(optlab, b_crt, 500, cn))
    if case == "ca-signed":
        pair.wait_up(timeout=40)
        assert optlab.ping("lanA", HOST_B, count=2)
        out = pair.sh("show crypto ikev2 sa detailed")
        assert "Auth sign: RSA, Auth verify: RSA" in out and "Remote id: CN=rtrB" in out, out
        assert "CERT_MAP_MISMATCH" not in pair.log()
        return
    if case == "self-signed":
        pair.wait_log(r"%IKEV2-3-AUTH_FAILED: Tunnel1: IKE_AUTH failed: peer (authentication failed|"
                      r"certificate not trusted)", timeout=40)
    else:
        pair.wait_log(r'%IKEV2-3-CERT_MAP_MISMATCH: Tunnel1: peer 192\.0\.2\.12:\d+: certificate '
                      r'"CN=intruder" matches no certificate map of IKEv2 profile IPROF '
                      r'\(match certificate PEERS\): IKE_AUTH failed', timeout=40)
        pair.wait_log(r"%IKEV2-3-AUTH_FAILED: Tunnel1: IKE_AUTH failed: certificate map mismatch")
    labctl.wait_for(lambda: re.search(r"parsed INFORMATIONAL request \d+ \[ N\(AUTH_FAILED\) \]",
                                      pair.peer.log_text()),
                    timeout=10, what="AUTHENTICATION_FAILED at the peer\n" + pair.peer.log_text()[-2000:])
    assert "Crypto tunnel is UP" not in pair.log()
    assert "ESTABLISHED" not in pair.peer.list_sas()
    assert not optlab.ping("lanA", HOST_B, count=1)


CA_CNF = """[ca]
default_ca = own
[own]
database = {d}/index.txt
crlnumber = {d}/crlnumber
default_md = sha256
default_crl_days = 30
{ext}
[crl_ext]
authorityKeyIdentifier = keyid:always
"""


def make_crl(d, ca_key, ca_crt, revoke, aki):
    """A CRL of the CA (openssl ca) listing the certificates in revoke,
    with or without an authority key identifier."""
    d.mkdir(parents=True, exist_ok=True)
    (d / "index.txt").write_text("")
    (d / "crlnumber").write_text("01\n")
    cnf = d / "ca.cnf"
    cnf.write_text(CA_CNF.format(d=d, ext="crl_extensions = crl_ext" if aki else ""))
    base = ["openssl", "ca", "-config", str(cnf), "-keyfile", ca_key, "-cert", ca_crt, "-batch"]
    for crt in revoke:
        subprocess.run(base + ["-revoke", crt], check=True, capture_output=True)
    crl = d / "crl.pem"
    subprocess.run(base + ["-gencrl", "-out", str(crl)], check=True, capture_output=True)
    return crl


@contextlib.contextmanager
def rtra_crl(optlab, crl):
    """rtrA's CRL of trustpoint Self (STATE/pki/crl/Self.crl) while the
    block runs; crl None: no file (the missing-CRL case)."""
    crl_dir = os.path.join(optlab.dir, "rtrA", "vpnsipd.state", "pki", "crl")
    crl_file = os.path.join(crl_dir, "Self.crl")
    if crl is not None:
        os.makedirs(crl_dir, exist_ok=True)
        with open(crl_file, "wb") as f:
            f.write(crl.read_bytes())
    try:
        yield crl_file
    finally:
        if os.path.exists(crl_file):
            os.unlink(crl_file)


def rtrb_cert_peer(optlab, b_crt, remote_port, cn="rtrB"):
    """The stock charon peer at rtrB (subject CN=cn, certificate b_crt)
    towards rtrA."""
    def peer_conf():
        a_crt, _ = a_cert_der(optlab)
        return cert_conn("vpnsip", B_BAK, A_BAK, "CN=" + cn, "CN=rtrA", b_crt, a_crt, LAN_B,
                         LAN_A, remote_port=remote_port)
    return peer_conf


@pytest.mark.parametrize("case", ["crl-good", "crl-revoked", "crl-missing", "none-revoked"])
def test_static_rsa_revocation_check_crl(pairs, optlab, tmp_path, case):
    """revocation-check crl: the peer's certificate is checked against the
    trustpoint's CRL (STATE/pki/crl/TRUSTPOINT.crl, read at IKE_AUTH): a
    certificate the CRL lists is refused with a log line naming it, one it
    does not list is accepted, and without a CRL the status is unknown and
    the certificate refused (as IOS).  revocation-check none ignores the
    CRL (the behaviour before the check existed)."""
    ca_key, ca_crt = make_ca(tmp_path / "ca")
    b_crt = make_signed(tmp_path / "p" / "peer", "rtrB", ca_key, ca_crt)
    other = make_signed(tmp_path / "other", "rtrC", ca_key, ca_crt)
    revoked = case in ("crl-revoked", "none-revoked")
    crl = None
    if case != "crl-missing":
        crl = make_crl(tmp_path / "crl", ca_key, ca_crt, [b_crt if revoked else other],
                       aki=case == "crl-revoked")
    with rtra_crl(optlab, crl):
        mode = "none" if case == "none-revoked" else "crl"
        pair = pairs(static_rsa_config(ca_crt, revocation=mode),
                     peer_conf=rtrb_cert_peer(optlab, b_crt, 500))
        tp = pair.sh("show crypto pki trustpoints")
        assert "Revocation check: %s\n" % mode in tp, tp
        if case in ("crl-good", "none-revoked"):
            if case == "crl-good":
                assert re.search(r"CRL: \S+/pki/crl/Self\.crl, 1 revoked", tp), tp
            pair.wait_up(timeout=40)
            assert optlab.ping("lanA", HOST_B, count=2)
            assert "CERT_REVOKED" not in pair.log() and "CERT_STATUS" not in pair.log()
            return
        if case == "crl-revoked":
            pair.wait_log(r'%IKEV2-3-CERT_REVOKED: Tunnel1: peer 192\.0\.2\.12:\d+: certificate '
                          r'"CN=rtrB" is revoked by its CRL \(revocation-check crl, trustpoint '
                          r'Self\): IKE_AUTH failed', timeout=40)
            pair.wait_log(r"%IKEV2-3-AUTH_FAILED: Tunnel1: IKE_AUTH failed: peer certificate revoked")
        else:
            assert "Self.crl missing: peer certificates this CA issued are refused" in tp, tp
            pair.wait_log(r"%IKEV2-4-CRL_UNAVAILABLE: Tunnel1: trustpoint Self: no CRL \(\S+/Self\.crl "
                          r"missing\)", timeout=40)
            pair.wait_log(r'%IKEV2-3-CERT_STATUS: Tunnel1: peer 192\.0\.2\.12:\d+: certificate '
                          r'"CN=rtrB" has no known status')
            pair.wait_log(r"%IKEV2-3-AUTH_FAILED: Tunnel1: IKE_AUTH failed: peer certificate status "
                          r"unknown")
        labctl.wait_for(lambda: re.search(r"parsed INFORMATIONAL request \d+ \[ N\(AUTH_FAILED\) \]",
                                          pair.peer.log_text()),
                        timeout=10, what="AUTHENTICATION_FAILED at the peer\n" +
                        pair.peer.log_text()[-2000:])
        assert "Crypto tunnel is UP" not in pair.log()
        assert "ESTABLISHED" not in pair.peer.list_sas()


@pytest.mark.parametrize("case", ["good", "revoked"])
def test_vpnsip_pinned_ca_certificate_revocation_check(pairs, optlab, tmp_path, case):
    """A VPN-SIP session (the peer's certificate pinned by its SDP
    fingerprint) on a trustpoint with a CA and revocation-check crl: the
    certificate the CA issued is checked against the CRL as well; the
    fingerprint alone does not make a revoked certificate good."""
    ca_key, ca_crt = make_ca(tmp_path / "ca")
    b_crt = make_signed(tmp_path / "p" / "peer", "rtrB", ca_key, ca_crt)
    other = make_signed(tmp_path / "other", "rtrC", ca_key, ca_crt)
    b_der = subprocess.run(["openssl", "x509", "-in", b_crt, "-outform", "DER"], check=True,
                           capture_output=True).stdout
    crl = make_crl(tmp_path / "crl", ca_key, ca_crt, [b_crt if case == "revoked" else other],
                   aki=True)
    with rtra_crl(optlab, crl):
        conf = router_config(hostname="rtrA", auth="rsa", trustpoint="Self", subject="CN=rtrA",
                             rsa_bits=2048, revocation="crl",
                             pki_extra=f"crypto pki authenticate Self file {ca_crt}\n",
                             tunnels=[Tunnel(1, "10.255.0.1")])
        pair = pairs(conf, peer_conf=rtrb_cert_peer(optlab, b_crt, 4500))
        pair.start_session(fp=("sha-1", fp_text(b_der)))
        if case == "good":
            pair.wait_up(timeout=30)
            assert optlab.ping("lanA", HOST_B, count=2)
            assert "CERT_REVOKED" not in pair.log() and "CERT_STATUS" not in pair.log()
            return
        pair.wait_log(r'%IKEV2-3-CERT_REVOKED: Tunnel1: peer 192\.0\.2\.12:\d+: certificate '
                      r'"CN=rtrB" is revoked by its CRL', timeout=30)
        pair.wait_log(r"%IKEV2-3-AUTH_FAILED: Tunnel1: IKE_AUTH failed: peer certificate revoked")
        assert "FINGERPRINT_MISMATCH" not in pair.log()
        assert "Crypto tunnel is UP" not in pair.log()
        assert "ESTABLISHED" not in pair.peer.list_sas()
