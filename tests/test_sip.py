"""VPN-SIP signalling in the lab: vpnsipd's SIP user agent against
real Kamailio (the NGN), SIPp as an independent VPN-SIP terminal, and two
vpnsipd calling each other.  Every daemon test runs with build/ and
build/asan/ (the sanitizer build must exit without a report).

The tunnels here have no "tunnel protection", so IKE is not started: after
the SDP offer/answer a session stays in NEGOTIATING_IKE, showing the peer's address:port from its SDP and
the negotiated bandwidth (min of both b=AS); the tests then end the call with
BYE (clear vpn-sip session, or the SIPp peer).

Local fingerprint: the crypto model's (crypto_local_fingerprint): the
hash over the pre-shared key of the keyring peer whose key-id is the remote
number (LOCAL_PSK), or over the self-signed certificate's DER with
"authentication local rsa-sig".  Until "tunnel protection ... ikev2-profile"
lands with the IKE engine, a tunnel uses the first IKEv2 profile.
"""
import hashlib
import os
import re
import signal
import subprocess
import sys
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lab"))
import labctl  # noqa: E402
from lib.vpnsip_conf import Peer, Tunnel, router_config  # noqa: E402

pytestmark = pytest.mark.netns

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
sip_lab = labctl.lab_fixture(routers=2, name="sip_lab",
                             prefix=os.environ.get("LAB_PREFIX", "vslt") + "s")

LOCAL_PSK = b"vpnsip-lab-psk-0123456789"
PEER_FP = "F5:02:66:86:6B:94:DC:37:C9:1E:2F:08:53:9A:00:F9:24:CA:9D:86"  # TS-1017 II.1.2
PEER_CERT_FP = "52:B6:5D:FA:BF:8A:8A:DB:7B:78:49:21:2C:AB:86:71:DC:9D:1C:65"  # II.1.1


def fp_hex(data, alg="sha1"):
    return ":".join("%02X" % b for b in hashlib.new(alg, data).digest())


def conf_for(lab, node, peer, bw, extra="", auth="psk"):
    """auth "psk": a keyring entry for peer; "rsa": selfCert, self-signed."""
    me = lab.number(node)
    if auth == "rsa":
        crypto = dict(auth="rsa", trustpoint="selfCert", rsa_bits=1024, local_auth_first=True)
    else:
        crypto = dict(local_id=me, keyring=[Peer("peer", LOCAL_PSK.decode(), key_id=peer)])
    return router_config(hostname=node, profile="vpn-sip-profile", ipsec=False, bang=True,
                         before_interfaces="\n", bak0=lab.addr(node),
                         tunnels=[Tunnel(1, local=me, remote=peer, bandwidth=bw)],
                         numbers=[me], domain=lab.domain, tail=extra + "\n", **crypto)


class Vpnsipd:
    def __init__(self, lab, build, node, conf_text, tmp_path):
        self.lab, self.node = lab, node
        self.conf = tmp_path / ("%s.conf" % node)
        self.conf.write_text(conf_text)
        lab.env["VPNSIPD"] = str(build / "vpnsipd")
        lab.env["VPNSIPSH"] = str(build / "vpnsipsh")
        self.logfile = os.path.join(lab.dir, node, "vpnsipd.log")
        try:
            os.unlink(self.logfile)
        except FileNotFoundError:
            pass
        lab.vpnsipd_start(node, str(self.conf))
        self.running = True

    def sh(self, cmd):
        return self.lab.sh(self.node, cmd).stdout

    def configure(self, *lines):
        args = [self.lab.env["VPNSIPSH"], "-S", os.path.join(self.lab.dir, self.node, "vpnsipd.sock"),
                "-c", "configure terminal"]
        for ln in lines:
            args += ["-c", ln]
        r = self.lab.exec(self.node, *args, "-c", "end")
        assert r.returncode == 0 and "%" not in r.stdout, r.stdout + r.stderr
        return r.stdout

    def log(self):
        with open(self.logfile, encoding="utf-8", errors="replace") as f:
            return f.read()

    def stop(self):
        """SIGTERM; fails unless vpnsipd exits 0 without a sanitizer report.
        Returns the log."""
        if self.running:
            self.running = False
            self.lab.vpnsipd_stop(self.node)
        return self.log()

    def session(self):
        return self.sh("show vpn-sip session detail")

    def wait_registered(self, timeout=10):
        return labctl.wait_for(lambda: ": registered" in self.sh("show vpn-sip registration-status"),
                               timeout, what="%s registered" % self.node)

    def call(self, tunnel="Tunnel1"):
        out = self.sh("vpn-sip call interface " + tunnel)
        assert "%" not in out, out
        return out

    def wait_state(self, state, timeout=10):
        def check():
            s = self.session()
            return s if ("Session status: " + state) in s else None
        try:
            return labctl.wait_for(check, timeout, what="%s session %s" % (self.node, state))
        except TimeoutError as e:
            raise AssertionError("%s\n%s\n%s" % (e, self.session(), self.log()[-3000:]))


@pytest.fixture
def daemons(sip_lab, build, tmp_path):
    made = []
    # the previous test's vpnsipd may have removed bak0's address on exit
    for r in sip_lab.routers():
        sip_lab.exec(r, "ip", "addr", "replace", sip_lab.addr(r) + "/24", "dev", "bak0")
    sip_lab.clear_knobs()

    def make(node, conf_text):
        d = Vpnsipd(sip_lab, build, node, conf_text, tmp_path)
        made.append(d)
        return d
    yield make
    try:
        labctl.close_each(made, Vpnsipd.stop)
    finally:
        for r in sip_lab.routers():
            sip_lab.exec(r, "ip", "addr", "replace", sip_lab.addr(r) + "/24", "dev", "bak0")


def field(show, name):
    m = re.search(r"^\s*%s\s*:\s*(.*)$" % re.escape(name), show, re.M)
    return m.group(1).strip() if m else None


def offer(lab, node, port=50001, bw=512, setup="active", fp_line=None, extra_media=False,
          fmt="ike-esp-udpencap", drop=()):
    """TS-1017 Appendix II F1 (II.1.2, pre-shared key) with the lab's IPv4."""
    a = lab.addr(node)
    lines = ["v=0", "o=- 82664419472 82664419472 IN IP4 %s" % a, "s=-", "c=IN IP4 %s" % a,
             "t=0 0", "m=application %d udp %s" % (port, fmt), "b=AS:%d" % bw,
             "a=ike-setup:%s" % setup,
             fp_line if fp_line is not None else "a=psk-fingerprint:SHA-1 " + PEER_FP]
    if extra_media:
        lines += lines[5:]
    lines = [ln for ln in lines if ln and not any(ln.startswith(d) for d in drop)]
    return "\n      ".join(lines)


def sipp_call(lab, sdp, expect=None, caller=None, hold_ms=2000, bg=False):
    caller = caller or lab.number("rtrB")
    keys = {"ruri": lab.tel_uri(lab.number("rtrA")), "caller": caller, "domain": lab.domain}
    if expect is None:
        kw = dict(port=5070, keys=keys, subst={"SDP": sdp}, duration_ms=hold_ms, timeout=15)
        return (lab.sipp_bg if bg else lab.sipp)("rtrB", "vs_uac_offer.xml", **kw)
    return lab.sipp("rtrB", "vs_uac_offer_fail.xml", port=5070, keys=keys,
                    subst={"SDP": sdp, "CODE": expect}, timeout=10)


# ----------------------------------------------------------------- vpnsipd <-> vpnsipd
def test_two_vpnsipd_register_and_call(sip_lab, daemons):
    lab = sip_lab
    a = daemons("rtrA", conf_for(lab, "rtrA", lab.number("rtrB"), 1000))
    b = daemons("rtrB", conf_for(lab, "rtrB", lab.number("rtrA"), 512))
    a.wait_registered()
    b.wait_registered()
    assert {lab.number("rtrA"), lab.number("rtrB")} <= lab.registrations()
    assert a.sh("show vpn-sip registration-status").strip() == \
        "SIP registration of local number %s : registered %s" % (lab.number("rtrA"), lab.addr("rtrA"))
    reg = a.sh("show vpn-sip sip registrar").splitlines()
    assert reg[2].startswith("=====")
    assert reg[3].split()[:2] == [lab.number("rtrA"), lab.domain]
    assert 3500 <= int(reg[3].split()[2]) <= 3600 and reg[3].split()[3] == lab.addr("rtrA")
    assert reg[4].split()[0] == "UDP"
    assert "READY_TO_CONNECT" in a.session()

    a.call()
    sa = a.wait_state("NEGOTIATING_IKE (I)")
    sb = b.wait_state("NEGOTIATING_IKE (R)")
    # Each side shows the peer's SDP address:port and min(1000, 512).
    assert field(sa, "Remote address:port") == "%s:4500" % lab.addr("rtrB")
    assert field(sa, "Local address:port") == "%s:4500" % lab.addr("rtrA")
    assert field(sb, "Remote address:port") == "%s:4500" % lab.addr("rtrA")
    assert field(sa, "Configured/Negotiated bandwidth") == "1000/512 kbps"
    assert field(sb, "Configured/Negotiated bandwidth") == "512/512 kbps"
    assert field(sa, "Remote number") == lab.number("rtrB")
    call_id = field(sa, "SIP callID")
    assert call_id and call_id == field(sb, "SIP callID")
    assert re.fullmatch(r"0x8[0-9A-F]{7}", field(sa, "SIP Handle"))
    lab.wait_cdr(call_id, "ANSWER")
    # The seed's layout, line by line (uptime and handles vary).
    lines = sa.splitlines()
    assert lines[0] == "VPN-SIP session current status" and lines[1] == ""
    assert [ln.split(":")[0].rstrip() for ln in lines[2:]] == [
        "Interface", "  Session status", "  Uptime", "  Remote number", "  Local number",
        "  Remote address", "  Local address", "  Crypto conn handle", "  SIP Handle",
        "  SIP callID", "  Configured/Negotiated bandwidth"]
    # A second call attempt while in a call is refused.
    r = lab.sh("rtrA", "vpn-sip call interface Tunnel1", check=False)
    assert "NEGOTIATING_IKE" in r.stdout

    # BYE from B: both sides back to READY_TO_CONNECT, the carrier's CDR ends.
    b.sh("clear vpn-sip session remote-number %s" % lab.number("rtrA"))
    lab.wait_cdr(call_id, "END")
    a.wait_state("READY_TO_CONNECT")
    b.wait_state("READY_TO_CONNECT")
    assert "%VPN_SIP-5-CALL_END" in a.log()

    # Unregister on SIGTERM: the location table loses both numbers.
    a.stop()
    b.stop()
    assert not ({lab.number("rtrA"), lab.number("rtrB")} & lab.registrations())


# ----------------------------------------------------------------- SIPp calls vpnsipd
def test_sipp_offer_psk_answered_line_by_line_and_bye(sip_lab, daemons):
    lab = sip_lab
    a = daemons("rtrA", conf_for(lab, "rtrA", lab.number("rtrB"), 1000))
    a.wait_registered()
    r = lab.register("rtrB", contact_port=5070)
    assert r.rc == 0, r.diagnostics()
    a.sh("debug vpn-sip sip messages")
    call = sipp_call(lab, offer(lab, "rtrB", port=50001, bw=512), hold_ms=3000, bg=True)
    try:
        s = a.wait_state("NEGOTIATING_IKE (R)")
        assert field(s, "Remote address:port") == "%s:50001" % lab.addr("rtrB")
        assert field(s, "Configured/Negotiated bandwidth") == "1000/512 kbps"
    finally:
        res = call.wait(30)
    assert res.rc == 0, res.diagnostics() + a.log()[-3000:]
    ok = res.received(200)[0]
    assert ok.header("Content-Type") == "application/sdp"
    body = ok.body.replace("\r\n", "\n").rstrip("\n").split("\n")
    assert len(body) == 9, body
    assert body[0] == "v=0"
    assert re.fullmatch(r"o=- \d+ \d+ IN IP4 %s" % re.escape(lab.addr("rtrA")), body[1])
    assert body[2:] == [
        "s=-",
        "c=IN IP4 %s" % lab.addr("rtrA"),
        "t=0 0",
        "m=application 4500 udp ike-esp-udpencap",
        "b=AS:1000",
        "a=ike-setup:passive",
        "a=psk-fingerprint:SHA-1 " + fp_hex(LOCAL_PSK),
    ]
    # The BYE of SIPp ended the call in vpnsipd.
    a.wait_state("READY_TO_CONNECT")
    log = a.log()
    assert "SIP msg:    INVITE tel:" not in log  # we were called, not calling
    assert re.search(r"SIP msg:\s+BYE sip:", log)
    assert "ended: remote BYE" in log


REJECTS = {
    # TS-1017 4.1.2: two media descriptions, even if both look right
    "two-media": dict(extra_media=True),
    # the certificate variant (Appendix II.1.1 answer's a=fingerprint) to a PSK terminal
    "cert-fingerprint": dict(fp_line="a=fingerprint:SHA-1 " + PEER_CERT_FP),
    # Appendix II.1.1 F1 (password auth): no fingerprint at all, PSK needs one
    "no-fingerprint": dict(fp_line=""),
    # the Cisco guide: no b=AS, no call
    "no-bandwidth": dict(drop=("b=AS",)),
    # a role RFC 6193 does not define for ike-setup
    "role-holdconn": dict(setup="holdconn"),
    # ESP without UDP encapsulation (TS-1017 4.1.2.1)
    "ike-esp": dict(fmt="ike-esp"),
    # malformed: a digest of the wrong length
    "malformed-fingerprint": dict(fp_line="a=psk-fingerprint:SHA-1 F5:02"),
    "port-zero": dict(port=0),
}


def test_sipp_offers_rejected_488(sip_lab, daemons):
    lab = sip_lab
    a = daemons("rtrA", conf_for(lab, "rtrA", lab.number("rtrB"), 1000))
    a.wait_registered()
    r = lab.register("rtrB", contact_port=5070)
    assert r.rc == 0, r.diagnostics()
    rules = []
    for name, kw in REJECTS.items():
        res = sipp_call(lab, offer(lab, "rtrB", **kw), expect=488)
        assert res.rc == 0, name + ": " + res.diagnostics() + a.log()[-2000:]
        assert res.received(488)[0].first_line == "SIP/2.0 488 Not Acceptable Here", name
        # the rule, for the caller's operator (RFC 3261 Warning, code 399)
        warning = res.received(488)[0].header("Warning") or ""
        assert re.fullmatch(r'399 %s "[^"]+"' % re.escape(lab.addr("rtrA")), warning), (name, warning)
        rules.append(warning.split('"')[1])
        assert "READY_TO_CONNECT" in a.session(), name
    log = a.log()
    assert log.count("%VPN_SIP-4-CALL_REJECT") >= len(REJECTS), log[-3000:]
    for why in ("more than one media description", "only pre-shared keys",
                "no fingerprint", "no b=AS bandwidth", "unknown ike-setup role",
                "ike-esp-udpencap", "malformed fingerprint", "port 0"):
        assert why in log, why
        assert [r for r in rules if why in r], (why, rules)
    assert "8 not acceptable (488)" in a.sh("show vpn-sip sip")
    # each refused call has its record, with the rule, on the caller's
    # tunnel (the newest ones: the history file outlives a restart)
    hist = a.sh("show vpn-sip call-history")
    refused = [line for line in hist.splitlines()
               if line.startswith("Tunnel1 ") and "rejected 488 Not Acceptable Here: " in line]
    recent = refused[-len(REJECTS):]
    assert len(recent) == len(REJECTS), hist
    assert all(" in " in line and lab.number("rtrB") in line for line in recent), hist
    assert all(any(rule in line for line in recent) for rule in rules), (rules, hist)


def test_unconfigured_caller_rejected(sip_lab, daemons):
    lab = sip_lab
    a = daemons("rtrA", conf_for(lab, "rtrA", lab.number("rtrB"), 1000))
    a.wait_registered()
    stranger = "0399999999"
    r = lab.register("rtrB", number=stranger, contact_port=5070)
    assert r.rc == 0, r.diagnostics()
    res = sipp_call(lab, offer(lab, "rtrB"), expect=603, caller=stranger)
    assert res.rc == 0, res.diagnostics() + a.log()[-2000:]
    assert res.received(603)[0].first_line == "SIP/2.0 603 Decline"
    assert "Call from %s" % stranger in a.log()
    assert "READY_TO_CONNECT" in a.session()
    hist = a.sh("show vpn-sip call-history")
    assert re.search(r"^- +in +%s .*rejected 603 Decline: caller is not a configured remote number"
                     % stranger, hist, re.M), hist


# ----------------------------------------------------------------- vpnsipd calls SIPp
def test_vpnsipd_calls_sipp_uas_port_50002(sip_lab, daemons):
    lab = sip_lab
    a = daemons("rtrA", conf_for(lab, "rtrA", lab.number("rtrB"), 1000))
    a.wait_registered()
    r = lab.register("rtrB", contact_port=5060)
    assert r.rc == 0, r.diagnostics()
    for form in ("tel", "sip"):
        if form == "sip":
            a.configure("vpn-sip request-uri sip")
        answer = offer(lab, "rtrB", port=50002, bw=256, setup="passive")
        uas = lab.sipp_bg("rtrB", "vs_uas_answer.xml", port=5060, subst={"SDP": answer},
                          timeout=20)
        try:
            labctl.wait_for(lambda: lab.exec("rtrB", "ss", "-Hlun", "sport = :5060").stdout.strip(),
                            timeout=5, what="SIPp UAS listening")
            a.call()
            s = a.wait_state("NEGOTIATING_IKE (I)")
            assert field(s, "Remote address:port") == "%s:50002" % lab.addr("rtrB")
            assert field(s, "Configured/Negotiated bandwidth") == "1000/256 kbps"
            a.sh("clear vpn-sip session interface Tunnel1")
            a.wait_state("READY_TO_CONNECT")
        finally:
            res = uas.wait(30)
        assert res.rc == 0, res.diagnostics() + a.log()[-3000:]
        inv = res.received("INVITE")[0]
        if form == "tel":
            assert inv.header("P-Asserted-Identity").startswith('"%s"' % lab.number("rtrA"))
        body = inv.body.replace("\r\n", "\n").rstrip("\n").split("\n")
        assert body[2:] == ["s=-", "c=IN IP4 %s" % lab.addr("rtrA"), "t=0 0",
                            "m=application 4500 udp ike-esp-udpencap", "b=AS:1000",
                            "a=ike-setup:active", "a=psk-fingerprint:SHA-1 " + fp_hex(LOCAL_PSK)]
        assert "timer" in inv.header("Supported")
        assert inv.header("Session-Expires").startswith("300")
        assert res.received("BYE"), "vpnsipd's BYE did not reach the peer"
    # What left vpnsipd: Request-URI forms and P-Preferred-Identity (Kamailio
    # rewrites the Request-URI and replaces PPI with PAI on the way).
    cdr_calls = [c for c in lab.cdr() if c["event"] == "CALL" and c["from"] == lab.number("rtrA")]
    assert len(cdr_calls) >= 2 and all(c["code"] == "200" for c in cdr_calls[-2:])


class SipCapture:
    """tcpdump on a node's interface (SIP on UDP 5060): the messages as they
    went over the wire, decoded from the capture, not from our own log.
    Immediate mode: without it the kernel hands packets over a ring block at
    a time (up to a second later), and those still in the ring when SIGINT
    comes are lost."""

    def __init__(self, lab, node, iface, path):
        self.path = str(path)
        self.p = lab.popen(node, "tcpdump", "-n", "-U", "--immediate-mode", "-i", iface,
                           "-w", self.path,
                           "udp port 5060", stdout=subprocess.DEVNULL, stderr=subprocess.PIPE,
                           text=True)
        line = self.p.stderr.readline()
        assert "listening on" in line, line

    def stop(self):
        """[(src, dst, labctl.SipMsg)] in capture order."""
        time.sleep(0.3)
        self.p.send_signal(signal.SIGINT)
        self.p.wait(timeout=10)
        out = subprocess.run(["tshark", "-r", self.path, "-Y", "sip", "-T", "fields",
                              "-E", "separator=|", "-e", "ip.src", "-e", "ip.dst",
                              "-e", "udp.payload"], capture_output=True, text=True, check=True)
        msgs = []
        for line in out.stdout.splitlines():
            src, dst, payload = line.split("|")
            text = bytes.fromhex(payload.replace(":", "")).decode("latin-1")
            msgs.append((src, dst, labctl.SipMsg("sent", None, text)))
        return msgs


def test_invite_on_the_wire(sip_lab, daemons, tmp_path):
    """The INVITE as vpnsipd sends it: captured on rtrA's bak0 (before
    Kamailio rewrites anything), decoded from the capture."""
    lab = sip_lab
    a = daemons("rtrA", conf_for(lab, "rtrA", lab.number("rtrB"), 1000))
    a.wait_registered()
    lab.register("rtrB", contact_port=5060)
    uas = lab.sipp_bg("rtrB", "vs_uas_answer.xml", port=5060,
                      subst={"SDP": offer(lab, "rtrB", port=50002, bw=256, setup="passive")},
                      timeout=20)
    cap = SipCapture(lab, "rtrA", "bak0", tmp_path / "invite.pcap")
    try:
        labctl.wait_for(lambda: lab.exec("rtrB", "ss", "-Hlun", "sport = :5060").stdout.strip(),
                        timeout=5, what="SIPp UAS listening")
        a.call()
        a.wait_state("NEGOTIATING_IKE")
        a.sh("clear vpn-sip session")
    finally:
        uas.wait(30)
        msgs = cap.stop()
    number, peer = lab.number("rtrA"), lab.number("rtrB")
    invites = [m for src, dst, m in msgs if m.is_request and m.method == "INVITE"
               and src == lab.addr("rtrA") and dst == lab.addr("ngn")]
    assert len(invites) >= 1, [(s, d, m.first_line) for s, d, m in msgs]
    inv = invites[0]
    assert inv.first_line == "INVITE tel:%s;phone-context=%s SIP/2.0" % (peer, lab.domain), inv.text
    assert inv.header("P-Preferred-Identity") == "<sip:%s@%s>" % (number, lab.domain), inv.text
    assert (inv.header("Session-Expires") or "").startswith("300"), inv.text
    assert "timer" in [t.strip() for t in (inv.header("Supported") or "").split(",")], inv.text
    body = [ln for ln in inv.body.replace("\r\n", "\n").split("\n") if ln]
    assert "c=IN IP4 %s" % lab.addr("rtrA") in body and "b=AS:1000" in body, body


# ----------------------------------------------------------------- registration
def test_registration_refresh_and_kamailio_restart(sip_lab, daemons):
    lab = sip_lab
    a = daemons("rtrA", conf_for(lab, "rtrA", lab.number("rtrB"), 1000,
                                 extra="vpn-sip registration expires 10"))
    a.wait_registered()
    a.sh("debug vpn-sip sip messages")
    start = a.log().count("SIP msg:    REGISTER sip:")
    # Refreshes before expiry: at least two more REGISTERs.  sofia-sip
    # refreshes at a randomised point before expiry, so two refreshes of a
    # 10 s registration can take up to ~16 s; without refreshes there are none.
    labctl.wait_for(lambda: a.log().count("SIP msg:    REGISTER sip:") >= start + 2, timeout=20,
                    what="registration refreshes")
    assert "SIP msg:    Expires: 10" in a.log()
    assert lab.number("rtrA") in lab.registrations()
    # The NGN restarts and forgets every binding; vpnsipd registers again.
    lab.restart_kamailio()
    assert lab.number("rtrA") not in lab.registrations()
    labctl.wait_for(lambda: lab.number("rtrA") in lab.registrations(), timeout=15,
                    what="re-registration after the Kamailio restart")
    a.wait_registered()


def test_registration_digest_auth_and_no_secret_in_logs(sip_lab, daemons):
    lab = sip_lab
    number = lab.number("rtrA")
    password = lab.password(number)
    lab.set_auth(True)
    try:
        a = daemons("rtrA", conf_for(
            lab, "rtrA", lab.number("rtrB"), 1000,
            extra="service password-encryption\n"
                  "vpn-sip sip-credentials username %s password %s" % (number, password)))
        a.sh("debug vpn-sip sip all")
        a.wait_registered()
        run = a.sh("show running-config")
        assert re.search(r"^vpn-sip sip-credentials username %s password 7 [0-9A-F]+$" % number,
                         run, re.M), run
        assert password not in run
        # A wrong password: 403 from the registrar, not registered, retried.
        a.configure("vpn-sip sip-credentials username %s password wrong%s" % (number, number))
        labctl.wait_for(lambda: "not registered" in a.sh("show vpn-sip registration-status"),
                        timeout=10, what="registration refused")
        labctl.wait_for(lambda: "last answer 403" in a.sh("show vpn-sip sip"), timeout=10,
                        what="403 from the registrar")
        log = a.stop()
        assert re.search(r"SIP msg:\s+Authorization: Digest .*response=<removed>", log), log[-3000:]
        assert password not in log and ("wrong" + number) not in log
        assert not re.search(r'response="[0-9a-f]{32}"', log)
    finally:
        lab.set_auth(False)


def test_sipp_offer_certificate_variant(sip_lab, daemons):
    """TS-1017 Appendix II.1.1: with "authentication local rsa-sig" vpnsipd
    answers a=fingerprint (SHA-1 of its self-signed certificate's DER), takes
    an offer with a=fingerprint or none, refuses a=psk-fingerprint (488)."""
    lab = sip_lab
    a = daemons("rtrA", conf_for(lab, "rtrA", lab.number("rtrB"), 1000, auth="rsa"))
    a.wait_registered()
    cert = a.sh("show crypto pki certificates verbose selfCert")
    m = re.search(r"Fingerprint SHA1:\s*((?:[0-9A-F]{8}\s*){5})", cert)
    assert m, cert
    want = ":".join(re.findall("..", m.group(1).replace(" ", "").strip()))
    r = lab.register("rtrB", contact_port=5070)
    assert r.rc == 0, r.diagnostics()
    for fp_line in ("a=fingerprint:SHA-1 " + PEER_CERT_FP, ""):
        call = sipp_call(lab, offer(lab, "rtrB", fp_line=fp_line), hold_ms=500)
        assert call.rc == 0, call.diagnostics() + a.log()[-2000:]
        body = call.received(200)[0].body.replace("\r\n", "\n").rstrip("\n").split("\n")
        assert body[-2:] == ["a=ike-setup:passive", "a=fingerprint:SHA-1 " + want], body
    res = sipp_call(lab, offer(lab, "rtrB"), expect=488)
    assert res.rc == 0, res.diagnostics()
    assert "only certificates" in a.log()
