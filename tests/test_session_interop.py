"""A VPN-SIP peer made only of parts we did not write: SIPp (the
SIP terminal and its RFC 6193 SDP, scenarios written by the tests) and
Debian's stock strongSwan charon (IKEv2 with key-id identities and the PSK,
kernel-libipsec for ESP in user space), both on rtrB, against vpnsipd on
rtrA, through real Kamailio.  The lab has no primary routes: lanA reaches
lanB only through Tunnel1 (vpnsipd) and back through charon's ipsec0.

(a) vpnsipd calls: traffic into Tunnel1 places the call, the SIPp UAS
    answers with an SDP whose c=/m= point at charon's NAT-T port and whose
    a=psk-fingerprint is the shared key's; vpnsipd initiates IKE there; the
    ping passes; the idle teardown (SA delete, then BYE) is seen by charon
    and SIPp.
(b) the SIPp UAC calls vpnsipd with an offer pointing at charon
    (a=ike-setup:active); vpnsipd answers passive; charon is configured
    from the port in vpnsipd's answer (read from SIPp's message trace) and
    initiates; IKE comes up only because it matches the answered call: before
    the call, with a wrong PSK, or from an address the SDP did not name, it
    is refused."""
import hashlib
import os
import re
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(HERE, "lab"))
sys.path.insert(0, HERE)
import labctl  # noqa: E402
from lib.ike_peer import StockCharon, psk_conn  # noqa: E402
from test_session import Capture, first, teardown_order  # noqa: E402
from conftest import TIMER_BOUND  # noqa: E402

pytestmark = pytest.mark.netns

interoplab = labctl.lab_fixture(routers=2, up_args=["--no-primary-routes"], name="interoplab")

PSK = "demo-vpnsip-shared-key-0123456789"  # conf/demo/rtrA.conf's key for 0322222222
NUM_A, NUM_B = "0311111111", "0322222222"
A_BAK, B_BAK = "192.0.2.11", "192.0.2.12"
STRAY = "192.0.2.112"  # a second address of rtrB that no SDP names
LAN_A, LAN_B = "203.0.113.0/29", "203.0.113.8/29"
HOST_B = "203.0.113.10"
CHARON_PORT = 4600  # charon's NAT-T port: what the SDP of the emulated peer says


def fp_sha1(data):
    return ":".join("%02X" % b for b in hashlib.sha1(data).digest())


def peer_sdp(setup, port=CHARON_PORT, addr=B_BAK, psk=PSK, bw=1000):
    """TS-1017 Appendix II.1.2 (pre-shared key) for the emulated peer."""
    lines = ["v=0", "o=- 82664419472 82664419472 IN IP4 %s" % addr, "s=-",
             "c=IN IP4 %s" % addr, "t=0 0", "m=application %d udp ike-esp-udpencap" % port,
             "b=AS:%d" % bw, "a=ike-setup:%s" % setup, "a=psk-fingerprint:SHA-1 " + fp_sha1(psk.encode())]
    return "\n      ".join(lines)


def uas_answering(lab, timeout):
    """SIPp on rtrB that answers the next INVITE with the emulated peer's
    SDP (a=ike-setup:passive: the caller starts IKE), listening when it
    returns: the SIPp process."""
    uas = lab.sipp_bg("rtrB", "vs_uas_answer.xml", port=5060, timeout=timeout,
                      subst={"SDP": peer_sdp("passive")})
    try:
        labctl.wait_for(lambda: lab.exec("rtrB", "ss", "-Hlun", "sport = :5060").stdout.strip(),
                        timeout=5, what="SIPp UAS listening")
    except BaseException:
        uas.kill()
        raise
    return uas


def sdp_lines(msg):
    return [ln for ln in msg.body.replace("\r\n", "\n").split("\n") if ln]


class Peer:
    """vpnsipd (this build, conf/demo/rtrA.conf) on rtrA; charon and SIPp on rtrB."""

    def __init__(self, lab, build, tmp_path):
        self.lab, self.build, self.tmp = lab, build, tmp_path
        lab.env["VPNSIPD"] = str(build / "vpnsipd")
        lab.env["VPNSIPSH"] = str(build / "vpnsipsh")
        lab.env["ASAN_OPTIONS"] = "abort_on_error=0:detect_leaks=1"
        lab.clear_knobs()
        self.alog = os.path.join(lab.dir, "rtrA", "vpnsipd.log")
        self.log_start = os.path.getsize(self.alog) if os.path.exists(self.alog) else 0
        lab.vpnsipd_start("rtrA", os.path.join(TOP, "conf", "demo", "rtrA.conf"))
        self.running = True
        self.charon = StockCharon(lab, "rtrB", tmp_path / "charon", port_nat_t=CHARON_PORT).start()
        r = lab.register("rtrB", contact_port=5060)
        assert r.rc == 0, r.diagnostics()
        labctl.wait_for(lambda: ": registered" in self.sh("show vpn-sip registration-status"),
                        timeout=15, what="rtrA registered")
        # libcharon's "generating INFORMATIONAL request N [ D ]" tells which
        # INFORMATIONAL on the wire is the delete (test_session.Capture)
        out = self.sh("debug crypto ikev2 packet")
        assert "debugging is on" in out, out

    def log_sources(self):
        """{address: log} of vpnsipd and the stock charon, for Capture."""
        return {A_BAK: self.log, B_BAK: self.charon.log_text}

    def sh(self, cmd):
        p = self.lab.sh("rtrA", cmd, check=False)
        return p.stdout + p.stderr

    def log(self):
        with open(self.alog, errors="replace") as f:
            return f.read()[self.log_start:]

    def wait_log(self, pattern, timeout=20):
        return labctl.wait_for(lambda: re.search(pattern, self.log()), timeout=timeout, interval=0.2,
                               what=lambda: "rtrA log /%s/\n%s" % (pattern, self.tail()))

    def tail(self, n=3000):
        """The end of vpnsipd's log without libcharon's debug lines."""
        return "".join(ln for ln in self.log().splitlines(True) if ": IKEv2-" not in ln)[-n:]

    def state(self):
        m = re.search(r"Session status: (\S+(?: \([IR]\))?)", self.sh("show vpn-sip session"))
        return m.group(1) if m else None

    def wait_state(self, state, timeout=20):
        return labctl.wait_for(lambda: (self.state() or "").startswith(state), timeout=timeout,
                               interval=0.2, what=lambda: "rtrA in %s (now %s)\n%s\n%s" % (
                                   state, self.state(), self.tail(2500),
                                   self.charon.log_text()[-2500:]))

    def field(self, name):
        m = re.search(r"^\s*%s\s*:\s*(.*)$" % re.escape(name), self.sh("show vpn-sip session detail"),
                      re.M)
        return m.group(1).strip() if m else None

    def charon_conf(self, remote_port, psk=PSK, local_addr=B_BAK, local_port=None):
        self.charon.swanctl("--terminate", "--ike", "vpnsip", "--force", check=False)
        self.charon.load(psk_conn("vpnsip", local_addr, A_BAK, NUM_B, NUM_A, psk, LAN_B, LAN_A,
                                  remote_port=remote_port, local_port=local_port))

    def established(self):
        return "ESTABLISHED" in self.charon.list_sas()

    def close(self):
        """vpnsipd first (its SA delete still has charon to answer it), then
        charon; vpnsipd must exit 0 without a sanitizer report."""
        try:
            if self.running:
                self.running = False
                self.lab.vpnsipd_stop("rtrA")
        finally:
            self.charon.kill()


def peer_fixture(lab_name, cleanup=None):
    """A `peer` fixture over the module's lab fixture LAB_NAME: make() starts
    a Peer; each one is closed at the end, then cleanup(lab) runs and the
    lab's Kamailio knobs are cleared."""
    @pytest.fixture(name="peer")
    def _peer(request, build, tmp_path):
        lab = request.getfixturevalue(lab_name)
        made = []

        def make():
            p = Peer(lab, build, tmp_path)
            made.append(p)
            return p
        yield make
        try:
            labctl.close_each(made, Peer.close)
        finally:
            if cleanup:
                cleanup(lab)
            lab.clear_knobs()
    return _peer


peer = peer_fixture("interoplab", cleanup=lambda lab: lab.exec(
    "rtrB", "ip", "addr", "del", STRAY + "/24", "dev", "bak0"))


@TIMER_BOUND
def test_vpnsipd_calls_sipp_charon(peer, interoplab, tmp_path):
    lab, p = interoplab, peer()
    # charon answers IKE on its NAT-T port; vpnsipd's port comes from its offer.
    p.charon_conf(remote_port=4500)
    uas = lab.sipp_bg("rtrB", "vs_uas_answer.xml", port=5060, timeout=150,
                      subst={"SDP": peer_sdp("passive")})
    try:
        labctl.wait_for(lambda: lab.exec("rtrB", "ss", "-Hlun", "sport = :5060").stdout.strip(),
                        timeout=5, what="SIPp UAS listening")
        cap = Capture(lab, tmp_path / "setup.pcap")
        # Traffic into Tunnel1 places the call; the first reply comes back
        # through charon's ESP once IKE is up.
        try:
            labctl.wait_for(lambda: lab.ping("lanA", HOST_B, count=1, wait=1), timeout=30,
                            what="ping through the tunnel")
        except TimeoutError as e:
            raise AssertionError("%s\n%s\n%s" % (e, p.log()[-3000:], p.charon.log_text()[-4000:]))
        ev = cap.stop()
        p.wait_state("SESSION_UP (I)")
        assert p.field("Remote address:port") == "%s:%d" % (B_BAK, CHARON_PORT)
        # IKE went to the port and address of the SDP answer.
        ike = first(ev, "IKE_SA_INIT request", A_BAK)
        assert ike and ike[2] == B_BAK, ev
        assert lab.ping("lanA", HOST_B, count=3)
        sas = p.charon.list_sas()
        assert "ESTABLISHED" in sas and NUM_A in sas, sas
        out = p.sh("show crypto session detail")
        assert re.search(r"IKEv2 SA: local %s/4500 remote %s/%d Active" % (
            re.escape(A_BAK), re.escape(B_BAK), CHARON_PORT), out), out

        # Silence: vpnsipd's idle timer (60 s) deletes the SAs, then BYE;
        # both seen by the emulated peer.
        cap = Capture(lab, tmp_path / "teardown.pcap", p.log_sources())
        p.wait_log(r"SESSION_DOWN: Tunnel1: session with %s down: idle timeout" % NUM_B, timeout=100)
        p.wait_state("READY_TO_CONNECT", timeout=10)
        ev = cap.stop()
    finally:
        res = uas.wait(30)
    teardown_order(ev, cap.deletes, A_BAK, A_BAK)
    assert res.rc == 0, res.diagnostics() + p.log()[-3000:]
    inv = res.received("INVITE")[0]
    body = sdp_lines(inv)
    assert "c=IN IP4 %s" % A_BAK in body and "m=application 4500 udp ike-esp-udpencap" in body, body
    assert "a=ike-setup:active" in body and "a=psk-fingerprint:SHA-1 " + fp_sha1(PSK.encode()) in body
    assert res.received("BYE"), "vpnsipd's BYE did not reach SIPp"
    # charon saw the delete (and its SA is gone).
    clog = p.charon.log_text()
    assert re.search(r"received DELETE for IKE_SA|deleting IKE_SA vpnsip", clog), clog[-3000:]
    assert not p.established()


def test_sipp_charon_calls_vpnsipd(peer, interoplab, tmp_path):
    lab, p = interoplab, peer()
    keys = {"ruri": lab.tel_uri(NUM_A), "caller": NUM_B, "domain": lab.domain}
    lab.register("rtrB", contact_port=5070)

    # No call answered: charon's IKE to vpnsipd is refused.
    p.charon_conf(remote_port=4500, local_port=CHARON_PORT)
    r = p.charon.initiate("net", timeout=8)
    assert r.returncode != 0 and not p.established(), r.stdout
    assert p.charon.log_text().count("received NO_PROPOSAL_CHOSEN notify error") == 1
    assert "Crypto tunnel is UP" not in p.log()

    def call(hold_ms):
        c = lab.sipp_bg("rtrB", "vs_uac_offer.xml", port=5070, keys=keys, timeout=60,
                        subst={"SDP": peer_sdp("active")}, duration_ms=hold_ms)
        msgfile = c.args[0]
        ok = labctl.wait_for(lambda: [m for m in labctl.parse_sipp_messages(msgfile)
                                      if m.direction == "received" and m.code == 200
                                      and m.method == "INVITE"], timeout=10,
                             what="vpnsipd's 200 OK in SIPp's trace\n" + p.log()[-2000:])[0]
        body = sdp_lines(ok)
        assert "a=ike-setup:passive" in body, body
        assert "c=IN IP4 %s" % A_BAK in body, body
        m = [ln for ln in body if ln.startswith("m=application ")]
        assert len(m) == 1 and m[0].endswith(" udp ike-esp-udpencap"), body
        return c, int(m[0].split()[1])

    # The answered call: charon is configured from vpnsipd's answer and
    # initiates to that port; IKE and traffic come up.
    c, port = call(hold_ms=20000)
    try:
        p.wait_state("NEGOTIATING_IKE (R)", timeout=10)
        assert p.field("Remote address:port") == "%s:%d" % (B_BAK, CHARON_PORT)
        p.charon_conf(remote_port=port, local_port=CHARON_PORT)
        r = p.charon.initiate("net")
        assert r.returncode == 0, r.stdout + r.stderr + p.log()[-3000:]
        p.wait_state("SESSION_UP (R)")
        assert lab.ping("lanA", HOST_B, count=3)
        out = p.sh("show crypto session detail")
        assert re.search(r"IKEv2 SA: local %s/%d remote %s/%d Active" % (
            re.escape(A_BAK), port, re.escape(B_BAK), CHARON_PORT), out), out
        # SIPp hangs up: vpnsipd removes the SAs (charon's too, by delete).
        p.wait_state("READY_TO_CONNECT", timeout=40)
    finally:
        res = c.wait(60)
    assert res.rc == 0, res.diagnostics() + p.log()[-3000:]
    labctl.wait_for(lambda: not p.established(), timeout=10, what="charon's SA deleted")
    assert "ended: remote BYE" in p.log() or "BYE from the peer" in p.log()

    # A charon with a wrong PSK, on an answered call: refused.
    c, port = call(hold_ms=15000)
    try:
        p.wait_state("NEGOTIATING_IKE (R)", timeout=10)
        p.charon_conf(remote_port=port, local_port=CHARON_PORT, psk="not-the-shared-key-0000000000")
        r = p.charon.initiate("net", timeout=10)
        assert r.returncode != 0 and not p.established(), r.stdout
        assert "received AUTHENTICATION_FAILED notify error" in p.charon.log_text()
        assert "SESSION_UP" not in p.sh("show vpn-sip session")
        p.wait_log(r"%IKEV2-3-AUTH_FAILED: Tunnel1: IKE_AUTH failed: peer authentication failed",
                   timeout=10)
        p.wait_state("READY_TO_CONNECT", timeout=40)
    finally:
        c.wait(60)

    # The right PSK from an address the SDP did not name: refused.
    lab.exec("rtrB", "ip", "addr", "add", STRAY + "/24", "dev", "bak0", check=True)
    c, port = call(hold_ms=12000)
    try:
        p.wait_state("NEGOTIATING_IKE (R)", timeout=10)
        p.charon_conf(remote_port=port, local_port=CHARON_PORT, local_addr=STRAY)
        r = p.charon.initiate("net", timeout=8)
        assert r.returncode != 0 and not p.established(), r.stdout
        assert p.charon.log_text().count("received NO_PROPOSAL_CHOSEN notify error") == 2
        assert "SESSION_UP" not in p.sh("show vpn-sip session")
        p.wait_state("READY_TO_CONNECT", timeout=40)
    finally:
        c.wait(60)
    assert p.log().count("Crypto tunnel is UP") == 1, p.log()[-3000:]
