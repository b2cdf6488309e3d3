"""VPN-SIP dialogs in the lab: what happens to a call after the
INVITE, with real Kamailio and SIPp as the peer, in both builds (the
sanitizer build must exit without a report).

- CANCEL: vpnsipd cancels its unanswered INVITE (clear vpn-sip session, and
  the call-timeout); a caller's CANCEL reaching vpnsipd before its answer
  (INVITE and CANCEL in one TCP segment) and after it (Kamailio holds the
  200 OK), each forced.
- re-INVITE and UPDATE from the peer mid-call (with and without SDP) get
  200 with vpnsipd's current SDP; a re-offer breaking the 488 rules gets
  488 and the call stays.
- RFC 4028 session timers: vpnsipd refreshes (UPDATE) when it is the
  refresher and hangs up when a refresh is not answered or the peer, as
  refresher, never refreshes.
- An INVITE nobody answers (Kamailio drops it) times out.
- Malformed SIP straight to vpnsipd: 488/415/400, a log line, and the next
  good call is answered.
- RFC 4475-style torture datagrams: never a 2xx, 400/505/603/488 or
  silence as listed in docs/sip.md, the daemon keeps running.
"""
import json
import os
import re
import sys
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lab"))
import labctl  # noqa: E402
from test_sip import (LOCAL_PSK, Vpnsipd, conf_for, field, fp_hex, offer,  # noqa: E402
                      sipp_call)
from test_session import Capture, first as first_event  # noqa: E402
from conftest import TIMER_BOUND  # noqa: E402

pytestmark = pytest.mark.netns

dlg_lab = labctl.lab_fixture(routers=2, name="dlg_lab",
                             prefix=os.environ.get("LAB_PREFIX", "vslt") + "d")

SECOND = "0344444444"   # a second SIPp terminal on rtrB (port 5064)


@pytest.fixture
def daemons(dlg_lab, build, tmp_path):
    made = []
    for r in dlg_lab.routers():
        dlg_lab.exec(r, "ip", "addr", "replace", dlg_lab.addr(r) + "/24", "dev", "bak0")
    dlg_lab.clear_knobs()

    def make(node, conf_text):
        d = Vpnsipd(dlg_lab, build, node, conf_text, tmp_path)
        made.append(d)
        return d
    yield make
    try:
        labctl.close_each(made, Vpnsipd.stop)
    finally:
        dlg_lab.clear_knobs()
        for r in dlg_lab.routers():
            dlg_lab.exec(r, "ip", "addr", "replace", dlg_lab.addr(r) + "/24", "dev", "bak0")


def direct_conf(lab):
    """rtrA's configuration when the test sends straight to vpnsipd from
    rtrB, past the SIP server: rtrB must be a trusted source, else its
    requests get no answer (test_sip_security.py)."""
    return conf_for(lab, "rtrA", lab.number("rtrB"), 1000,
                    extra="vpn-sip trusted-source %s" % lab.addr("rtrB"))


def listening(lab, node, port):
    labctl.wait_for(lambda: lab.exec(node, "ss", "-Hlun", "sport = :%d" % port).stdout.strip(),
                    timeout=5, what="SIPp listening on %d" % port)


def sip_stats(d):
    return d.sh("show vpn-sip sip")


def no_active_calls(d):
    labctl.wait_for(lambda: re.search(r"SIP calls active\s*: 0$", sip_stats(d), re.M),
                    timeout=10, what="no SIP call left: " + sip_stats(d))


def body_lines(msg):
    return msg.body.replace("\r\n", "\n").rstrip("\n").split("\n")


def answer_sdp(lab):
    return ["s=-", "c=IN IP4 %s" % lab.addr("rtrA"), "t=0 0",
            "m=application 4500 udp ike-esp-udpencap", "b=AS:1000", "a=ike-setup:passive",
            "a=psk-fingerprint:SHA-1 " + fp_hex(LOCAL_PSK)]


# ----------------------------------------------------------------- CANCEL
def test_cancel_unanswered_invite(dlg_lab, daemons):
    """vpnsipd calls a SIPp terminal that rings and never answers: clear
    vpn-sip session, then the call-timeout, make vpnsipd CANCEL; SIPp sees
    the CANCEL, answers 200 and 487; the session is READY_TO_CONNECT."""
    lab = dlg_lab
    a = daemons("rtrA", conf_for(lab, "rtrA", lab.number("rtrB"), 1000,
                                 extra="vpn-sip call-timeout 5"))
    a.wait_registered()
    assert "vpn-sip call-timeout 5" in a.sh("show running-config")
    assert lab.register("rtrB", contact_port=5060).rc == 0
    for how in ("clear", "timeout"):
        uas = lab.sipp_bg("rtrB", "vs_uas_ring.xml", port=5060, timeout=30)
        try:
            listening(lab, "rtrB", 5060)
            t0 = time.monotonic()
            a.call()
            a.wait_state("CALLING")
            # the 180 arrived (the Call-ID is known), still CALLING
            labctl.wait_for(lambda: field(a.session(), "SIP callID"), 5, what="180 Ringing")
            if how == "clear":
                a.sh("clear vpn-sip session interface Tunnel1")
            a.wait_state("READY_TO_CONNECT", timeout=15)
            took = time.monotonic() - t0
        finally:
            res = uas.wait(30)
        assert res.rc == 0, how + ": " + res.diagnostics() + a.log()[-3000:]
        assert res.received("CANCEL"), how
        assert [m.code for m in res.sent() if not m.is_request] == [180, 200, 487], how
        if how == "timeout":
            assert 4.5 <= took <= 9, took
    log = a.log()
    assert re.search(r"CALL_END.*ended: local hangup", log), log[-2000:]
    # our own CANCEL after call-timeout: a local timeout, not a 408 of the network
    assert re.search(r"CALL_END.*ended: timeout \(local timeout: not answered within 5 s\)", log), \
        log[-2000:]
    assert re.search(r"%VPN_SIP-4-CALL_FAIL: Tunnel1: call with \d+ failed: local timeout: not "
                     r"answered within 5 s \(attempt \d+; next call not before \d+ s\)", log), log[-2000:]
    assert "local timeout: not answered within 5 s" in a.sh("show vpn-sip call-history")
    cancelled = [c for c in lab.cdr() if c["event"] == "FAIL" and c["from"] == lab.number("rtrA")]
    assert [c["code"] for c in cancelled[-2:]] == ["487", "487"], cancelled


def raw_offer(lab, node):
    """offer() as CRLF-separated SDP text."""
    return "".join(ln.strip() + "\r\n" for ln in offer(lab, node).split("\n"))


def invite_and_cancel(lab, callee, caller):
    """INVITE + CANCEL from rtrB straight to vpnsipd, two UDP datagrams
    back to back (tests/lab/sip_burst.py); the ACK of a non-2xx answer
    follows.  The received messages as labctl.SipMsg."""
    me = lab.addr("rtrB")
    ruri = lab.tel_uri(callee)
    common = ("Via: SIP/2.0/UDP %s:5099;branch=z9hG4bK-vsburst-1\r\n"
              "Max-Forwards: 70\r\n"
              "From: <sip:%s@%s>;tag=vsburst-from\r\n"
              "Call-ID: vsburst-%d@%s\r\n" % (me, caller, lab.domain, int(time.time() * 1000), me))
    sdp = raw_offer(lab, "rtrB")
    invite = ("INVITE %s SIP/2.0\r\n%sTo: <%s>\r\nCSeq: 1 INVITE\r\n"
              "Contact: <sip:%s@%s:5099>\r\n"
              "Allow: INVITE,ACK,BYE,CANCEL,UPDATE\r\n"
              "Content-Type: application/sdp\r\nContent-Length: %d\r\n\r\n%s"
              % (ruri, common, ruri, caller, me, len(sdp), sdp))
    cancel = ("CANCEL %s SIP/2.0\r\n%sTo: <%s>\r\nCSeq: 1 CANCEL\r\n"
              "Content-Length: 0\r\n\r\n" % (ruri, common, ruri))
    ack = ("ACK %s SIP/2.0\r\n%sTo: @TO@\r\nCSeq: 1 ACK\r\nContent-Length: 0\r\n\r\n"
           % (ruri, common))
    tool = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lab", "sip_burst.py")
    p = lab.exec("rtrB", "/usr/bin/python3", tool, "udp", lab.addr("rtrA"), 5060, 10, timeout=30,
                 input=json.dumps({"send": [invite, cancel], "ack": ack}))
    assert p.returncode == 0, p.stdout + p.stderr
    return [labctl.SipMsg("received", None, t) for t in json.loads(p.stdout)]


def test_peer_cancel_before_our_answer(dlg_lab, daemons):
    """The caller's CANCEL reaches vpnsipd before its answer: INVITE and
    CANCEL in two datagrams back to back, so both are in vpnsipd's socket
    before the orchestrator (another thread) can answer the INVITE.  200 to
    the CANCEL, 487 to the INVITE, never a 200 to it; the call ends
    "cancelled by caller".  (UDP: vpnsipd has no TCP listener.)"""
    lab = dlg_lab
    a = daemons("rtrA", direct_conf(lab))
    a.wait_registered()
    got = invite_and_cancel(lab, lab.number("rtrA"), lab.number("rtrB"))
    answers = [(m.code, m.method) for m in got if not m.is_request]
    assert (200, "CANCEL") in answers, answers
    finals = [c for c, meth in answers if meth == "INVITE" and c >= 200]
    assert finals == [487], answers
    labctl.wait_for(lambda: re.search(r"CALL_END: Tunnel1: call with %s ended: cancelled by caller"
                                      % lab.number("rtrB"), a.log()), 10,
                    what="CALL_END cancelled by caller\n" + a.log()[-3000:])
    a.wait_state("READY_TO_CONNECT")
    no_active_calls(a)


def test_peer_cancel_crossing_our_answer(dlg_lab, daemons, tmp_path):
    """The caller's CANCEL reaches vpnsipd after its 200 OK: Kamailio holds
    the 200 (lab.sh kam delay) and the caller, having seen only 100 Trying,
    CANCELs.  vpnsipd answers the CANCEL 481 (its INVITE is answered), the
    200 OK reaches the caller, who ACKs and sends BYE; the call ends
    "remote BYE" (docs/sip.md)."""
    lab = dlg_lab
    a = daemons("rtrA", conf_for(lab, "rtrA", lab.number("rtrB"), 1000))
    a.wait_registered()
    assert lab.register("rtrB", contact_port=5070).rc == 0
    lab.delay_answer(lab.number("rtrA"), 2000)
    keys = {"ruri": lab.tel_uri(lab.number("rtrA")), "caller": lab.number("rtrB"),
            "domain": lab.domain}
    cap = Capture(lab, tmp_path / "cancel.pcap")
    try:
        res = lab.sipp("rtrB", "vs_uac_cancel_late.xml", port=5070, keys=keys,
                       subst={"SDP": offer(lab, "rtrB")}, timeout=15)
    finally:
        ev = cap.stop()
    assert res.rc == 0, res.diagnostics() + a.log()[-3000:]
    me = lab.addr("rtrA")
    ok = first_event(ev, "200 INVITE", me)
    cancel_in = next((e for e in ev if e[3] == "CANCEL" and e[2] == me), None)
    cancel_answer = [e[3] for e in ev if e[1] == me and e[3].endswith(" CANCEL")]
    assert ok and cancel_in and ok[0] < cancel_in[0], ev
    assert cancel_answer == ["481 CANCEL"], ev
    labctl.wait_for(lambda: re.search(r"CALL_END: Tunnel1: call with %s ended: remote BYE"
                                      % lab.number("rtrB"), a.log()), 10,
                    what="CALL_END remote BYE\n" + a.log()[-3000:])
    a.wait_state("READY_TO_CONNECT")
    no_active_calls(a)


def test_reinvite_and_update_mid_call(dlg_lab, daemons):
    lab = dlg_lab
    a = daemons("rtrA", conf_for(lab, "rtrA", lab.number("rtrB"), 1000))
    a.wait_registered()
    assert lab.register("rtrB", contact_port=5070).rc == 0
    keys = {"ruri": lab.tel_uri(lab.number("rtrA")), "caller": lab.number("rtrB"),
            "domain": lab.domain}
    bad = offer(lab, "rtrB", extra_media=True)   # two media descriptions: 488
    call = lab.sipp_bg("rtrB", "vs_uac_reinvite.xml", port=5070, keys=keys, timeout=30,
                       subst={"SDP": offer(lab, "rtrB", port=50001, bw=512), "BADSDP": bad,
                              "HOLD": 3000})
    try:
        labctl.wait_for(lambda: "REOFFER_REJECT" in a.log() and a.log().count("REOFFER_REJECT") >= 2,
                        timeout=15, what="the bad re-offers refused")
        s = a.session()
        assert "Session status: NEGOTIATING_IKE (R)" in s, s
        assert field(s, "Remote address:port") == "%s:50001" % lab.addr("rtrB")
        assert field(s, "Configured/Negotiated bandwidth") == "1000/512 kbps"
    finally:
        res = call.wait(40)
    assert res.rc == 0, res.diagnostics() + a.log()[-3000:]
    oks = res.received(200)
    # INVITE, re-INVITE, UPDATE, UPDATE+SDP, BYE
    assert [m.header("CSeq") for m in oks] == ["1 INVITE", "2 INVITE", "3 UPDATE", "4 UPDATE",
                                               "7 BYE"], [m.header("CSeq") for m in oks]
    for m in (oks[0], oks[1], oks[3]):
        assert m.header("Content-Type") == "application/sdp", m
        assert body_lines(m)[2:] == answer_sdp(lab), m.body
    assert not oks[2].body.strip(), "UPDATE without offer: no SDP in the answer"
    refused = res.received(488)
    assert [m.header("CSeq") for m in refused] == ["5 INVITE", "6 UPDATE"]
    log = a.log()
    assert "INVITE in call" in log and "UPDATE in call" in log
    assert "more than one media description; the call stays" in log
    a.wait_state("READY_TO_CONNECT")
    assert "ended: remote BYE" in log or "ended: remote BYE" in a.log()


def test_reoffer_moving_the_peer_refused(dlg_lab, daemons):
    """A re-INVITE whose SDP moves the peer's IKE port is refused 488."""
    lab = dlg_lab
    a = daemons("rtrA", conf_for(lab, "rtrA", lab.number("rtrB"), 1000))
    a.wait_registered()
    assert lab.register("rtrB", contact_port=5070).rc == 0
    keys = {"ruri": lab.tel_uri(lab.number("rtrA")), "caller": lab.number("rtrB"),
            "domain": lab.domain}
    res = lab.sipp("rtrB", "vs_uac_reinvite.xml", port=5070, keys=keys, timeout=30,
                   subst={"SDP": offer(lab, "rtrB", port=50001),
                          "BADSDP": offer(lab, "rtrB", port=50009), "HOLD": 200})
    assert res.rc == 0, res.diagnostics() + a.log()[-3000:]
    assert "moves the peer's IKE address or port" in a.log()


# ----------------------------------------------------------------- session timers
TIMER_PSK2 = """crypto ikev2 keyring keys
 peer second
  identity key-id %s
  pre-shared-key %s
!
interface Tunnel2
 vpn-sip local-number %s remote-number %s bandwidth 1000
!
"""

ANSWER_ONE_UPDATE_IGNORE_NEXT = """
  <recv request="UPDATE"/>
  <send>
    <![CDATA[

      SIP/2.0 200 OK
      [last_Via:]
      [last_From:]
      [last_To:]
      [last_Call-ID:]
      [last_CSeq:]
      Contact: <sip:[local_ip]:[local_port];transport=[transport]>
      Supported: timer
      Require: timer
      Session-Expires: 90;refresher=uac
      Content-Length: 0

    ]]>
  </send>
  <recv request="UPDATE"/>
"""


@TIMER_BOUND
def test_session_timers(dlg_lab, daemons):
    """Two calls at once (about 2 minutes): Tunnel1's peer answers
    Session-Expires 90;refresher=uac: vpnsipd refreshes with UPDATE before
    expiry (answered), and when the next refresh gets no answer (Kamailio
    says 408) the call ends; Tunnel2's peer answers 90;refresher=uas and
    never refreshes: vpnsipd sends BYE before the session expires."""
    lab = dlg_lab
    me = lab.number("rtrA")
    a = daemons("rtrA", conf_for(lab, "rtrA", lab.number("rtrB"), 1000,
                                 extra=TIMER_PSK2 % (SECOND, LOCAL_PSK.decode(), me, SECOND)))
    a.wait_registered()
    assert lab.register("rtrB", contact_port=5060).rc == 0
    assert lab.register("rtrB", number=SECOND, contact_port=5064, port=5063).rc == 0
    a.sh("debug vpn-sip sip messages")
    ans = offer(lab, "rtrB", port=50002, bw=256, setup="passive")
    u1 = lab.sipp_bg("rtrB", "vs_uas_timer.xml", port=5060, timeout=170,
                     subst={"SDP": ans, "SE": "90;refresher=uac", "BYE_WAIT": 5000,
                            "MIDDLE": ANSWER_ONE_UPDATE_IGNORE_NEXT})
    u2 = lab.sipp_bg("rtrB", "vs_uas_timer.xml", port=5064, timeout=170,
                     subst={"SDP": ans, "SE": "90;refresher=uas", "BYE_WAIT": 120000,
                            "MIDDLE": ""})
    try:
        listening(lab, "rtrB", 5060)
        listening(lab, "rtrB", 5064)
        t0 = time.monotonic()
        a.call("Tunnel1")
        a.call("Tunnel2")
        a.wait_state("NEGOTIATING_IKE (I)")
        ends = {}

        def ended():
            for m in re.finditer(r"CALL_END: (Tunnel\d): call with \S+ ended: (.*)", a.log()):
                ends.setdefault(m.group(1), (time.monotonic() - t0, m.group(2)))
            return len(ends) == 2
        labctl.wait_for(ended, timeout=160, interval=1, what="both calls ended by the timers")
    finally:
        r1, r2 = u1.wait(60), u2.wait(60)
    assert r1.rc == 0, r1.diagnostics() + a.log()[-3000:]
    assert r2.rc == 0, r2.diagnostics() + a.log()[-3000:]
    # Tunnel1: UPDATE refreshes at half the 90 s interval; the first one
    # answered, the second not (Kamailio answers 408 for the silent peer):
    # the call ends.  sofia-sip ends the dialog usage on that 408 itself
    # (RFC 5057), so no BYE follows it.
    ups = r1.received("UPDATE")
    cseqs = sorted({u.header("CSeq") for u in ups})
    assert len(cseqs) == 2, cseqs
    invite_at = r1.received("INVITE")[0].when
    first = min(u.when for u in ups if u.header("CSeq") == cseqs[0])
    assert 35 <= (first - invite_at).total_seconds() <= 50, first - invite_at
    assert "Session refresh failed" in ends["Tunnel1"][1], ends
    assert ends["Tunnel1"][0] < 150
    # Tunnel2: no refresh from the peer: BYE from vpnsipd before 90 s
    assert not r2.received("UPDATE") and not r2.received("INVITE")[1:]
    assert r2.received("BYE")
    assert "Session timer expired" in ends["Tunnel2"][1], ends
    assert 50 < ends["Tunnel2"][0] < 90, ends
    log = a.log()
    assert "%SIP-4-REFRESH_FAIL" in log and "%SIP-4-SESSION_EXPIRED" in log
    print("session timer ends:", ends)


# ----------------------------------------------------------------- timeouts
def test_invite_nobody_answers(dlg_lab, daemons):
    """Kamailio drops the INVITE (no 100 Trying, no answer): the INVITE
    transaction times out (RFC 3261 timer B, 32 s), the call ends with
    cause timeout and the session is READY_TO_CONNECT."""
    lab = dlg_lab
    a = daemons("rtrA", conf_for(lab, "rtrA", lab.number("rtrB"), 1000))
    a.wait_registered()
    assert lab.register("rtrB", contact_port=5060).rc == 0
    lab.drop("INVITE")
    t0 = time.monotonic()
    a.call()
    a.wait_state("CALLING")
    a.wait_state("READY_TO_CONNECT", timeout=45)
    took = time.monotonic() - t0
    assert 25 < took < 45, took
    # nothing answered: our own timeout (the call-timeout's CANCEL, or
    # Timer B), never shown as a status of the network
    log = a.log()
    assert re.search(r"CALL_END.*ended: timeout \(local timeout: ", log), log[-2000:]
    fail = re.search(r"%VPN_SIP-4-CALL_FAIL: Tunnel1: call with \d+ failed: (.*)", log)
    assert fail and fail.group(1).startswith("local timeout: ") and "408" not in fail.group(1), \
        log[-2000:]
    detail = a.sh("show vpn-sip session detail")
    assert re.search(r"^  Last failure: \S+ \S+ UTC local timeout: ", detail, re.M), detail
    assert re.search(r"^  Next attempt in: \d+ s \(on traffic into Tunnel1\)$", detail, re.M), detail
    no_active_calls(a)


# ----------------------------------------------------------------- malformed SIP
def raw_headers(*lines):
    if not any(ln.startswith("Max-Forwards:") for ln in lines):
        lines = ("Max-Forwards: 70",) + lines
    return "\n      ".join(lines)


MALFORMED = {
    # a body that is no SDP at all
    "broken-sdp": (488, ["CSeq: 1 INVITE", "Content-Type: application/sdp",
                         "Content-Length: [len]"], "this is not\nan SDP body"),
    # an SDP body labelled as something else
    "wrong-content-type": (415, ["CSeq: 1 INVITE", "Content-Type: text/plain",
                                 "Content-Length: [len]"], None),
    # headers sofia-sip cannot parse
    "garbage-from": (400, ["CSeq: 1 INVITE", "From: <<<garbage>>>", "Content-Type: application/sdp",
                           "Content-Length: [len]"], None),
    "garbage-via": (400, ["CSeq: 1 INVITE", "Via: SIP/2.0/UDP @@@;;;", "Content-Type: application/sdp",
                          "Content-Length: [len]"], None),
}


def test_malformed_sip(dlg_lab, daemons):
    lab = dlg_lab
    a = daemons("rtrA", direct_conf(lab))
    a.wait_registered()
    keys = {"ruri": lab.tel_uri(lab.number("rtrA")), "caller": lab.number("rtrB"),
            "domain": lab.domain}
    direct = "%s:5060" % lab.addr("rtrA")
    for name, (code, headers, body) in MALFORMED.items():
        res = lab.sipp("rtrB", "vs_uac_raw.xml", port=5070, keys=keys, remote=direct, timeout=8,
                       subst={"HEADERS": raw_headers(*headers),
                              "BODY": body if body is not None else offer(lab, "rtrB"),
                              "CODE": code})
        assert res.rc == 0, name + ": " + res.diagnostics() + a.log()[-2000:]
        assert "READY_TO_CONNECT" in a.session(), name
    log = a.log()
    assert re.search(r"CALL_REJECT: Call from %s .* rejected 488 .*: (SDP|malformed|syntax)"
                     % lab.number("rtrB"), log, re.I), log[-3000:]
    assert "%SIP-4-BAD_OFFER" in log and "body is text/plain" in log
    assert log.count("%SIP-4-BAD_MSG") >= 2, log[-3000:]
    assert "bad From header" in log
    # No Content-Length over UDP is legal: the call is answered.
    res = lab.sipp("rtrB", "vs_uac_offer_nocl.xml", port=5070, keys=keys, remote=direct,
                   subst={"SDP": offer(lab, "rtrB")}, duration_ms=500, timeout=10)
    assert res.rc == 0, res.diagnostics() + a.log()[-2000:]
    assert body_lines(res.received(200)[0])[2:] == answer_sdp(lab)
    # A good call through the NGN afterwards.
    assert lab.register("rtrB", contact_port=5070).rc == 0
    res = sipp_call(lab, offer(lab, "rtrB"), hold_ms=500)
    assert res.rc == 0, res.diagnostics() + a.log()[-2000:]
    a.wait_state("READY_TO_CONNECT")


# ------------------------------------------- RFC 4475-style torture datagrams
UNKNOWN_CALLER = "0399999999"   # no tunnel has it: a parsed INVITE gets 603


def torture_cases(lab):
    """Invalid or hostile messages in the spirit of RFC 4475 3.1.2 (and a few
    of its valid-but-odd ones), written for this lab.  Every INVITE comes
    from a number no tunnel has, so nothing here may ever be answered 2xx;
    what vpnsipd can parse gets a 4xx/5xx/6xx, the rest is dropped."""
    a, b, dom = lab.addr("rtrA"), lab.addr("rtrB"), lab.domain
    me = lab.number("rtrA")
    ruri = "sip:%s@%s" % (me, a)
    sdp = offer(lab, "rtrB").replace("\n      ", "\r\n") + "\r\n"

    def req(n, start=None, drop=(), extra=(), replace=None, body=sdp, cl=None,
            caller=UNKNOWN_CALLER):
        hdrs = [
            "Via: SIP/2.0/UDP %s:5071;branch=z9hG4bK-torture-%s" % (b, n),
            "Max-Forwards: 70",
            "From: <sip:%s@%s>;tag=t-%s" % (caller, dom, n),
            "To: <sip:%s@%s>" % (me, dom),
            "Call-ID: torture-%s@%s" % (n, b),
            "CSeq: 1 INVITE",
            "Contact: <sip:%s@%s:5071>" % (UNKNOWN_CALLER, b),
            "Content-Type: application/sdp",
        ]
        hdrs = [h for h in hdrs if not any(h.startswith(d + ":") for d in drop)]
        for old, new in (replace or {}).items():
            hdrs = [new if h.startswith(old + ":") else h for h in hdrs]
        hdrs += list(extra)
        bb = body.encode() if isinstance(body, str) else body
        hdrs.append("Content-Length: %s" % (len(bb) if cl is None else cl))
        head = (start or "INVITE %s SIP/2.0" % ruri) + "\r\n" + "\r\n".join(hdrs) + "\r\n\r\n"
        return head.encode("latin-1") + bb

    return {
        # Content-Length larger than the datagram: truncated, drop or 400
        "clerr": req(1, cl=9999),
        "ncl": req(2, cl=-999),
        "scalar-overflow": req(3, replace={"CSeq": "CSeq: 36893488147419103232 INVITE",
                                           "Max-Forwards": "Max-Forwards: 300"},
                               extra=["Expires: 1000000000000000000000"]),
        "unbalanced-quote": req(4, replace={"From": 'From: "Bob <sip:%s@%s>;tag=t4' % (
            UNKNOWN_CALLER, dom)}),
        "ltgt-ruri": req(5, start="INVITE <%s> SIP/2.0" % ruri),
        "lws-in-ruri": req(6, start="INVITE sip:%s@%s; lr SIP/2.0" % (me, a)),
        "multiple-sp": req(7, start="INVITE  %s  SIP/2.0" % ruri),
        "trailing-sp": req(8, start="INVITE %s SIP/2.0 " % ruri),
        "unenclosed-contact-params": req(9, replace={
            "Contact": "Contact: sip:%s@%s?Route=%%3Csip:evil.example%%3E" % (UNKNOWN_CALLER, b)}),
        "sip-7.0": req(10, start="INVITE %s SIP/7.0" % ruri),
        "cseq-method-mismatch": req(11, replace={"CSeq": "CSeq: 1 OPTIONS"}),
        "no-call-id": req(12, drop=("Call-ID",)),
        "no-cseq": req(13, drop=("CSeq",)),
        "no-from": req(14, drop=("From",)),
        "two-froms": req(15, extra=["From: <sip:someone@%s>;tag=second" % dom]),
        "quote-in-tag": req(16, replace={"To": 'To: <sip:%s@%s>;tag=<">' % (me, dom)}),
        "escaped-nul-user": req(17, start="INVITE sip:%s%%00@%s SIP/2.0" % (me, a)),
        "unknown-scheme": req(18, start="INVITE im:%s@%s SIP/2.0" % (me, dom)),
        "negative-max-forwards": req(19, replace={"Max-Forwards": "Max-Forwards: -1"}),
        "empty-header-name": req(20, extra=[": value"]),
        "header-without-colon": req(21, extra=["NoColonHere value"]),
        "huge-header": req(22, extra=["Subject: " + "x" * 16000]),
        "300-vias": req(23, extra=["Via: SIP/2.0/UDP 192.0.2.99:%d;branch=z9hG4bK-v%d" % (
            5000 + i, i) for i in range(300)]),
        "sdp-nul-bytes": req(24, body=b"v=0\r\no=- 1 1 IN IP4 \x00\x00\r\nm=\xff\xfe\r\n"),
        "sdp-huge-line": req(25, body=sdp + "a=" + "9" * 20000 + "\r\n"),
        # from the configured caller: the SDP itself is judged (488)
        "caller-sdp-nul-bytes": req(27, caller=lab.number("rtrB"),
                                    body=b"v=0\r\no=- 1 1 IN IP4 \x00\x00\r\nm=\xff\xfe\r\n"),
        "caller-sdp-huge-line": req(28, caller=lab.number("rtrB"),
                                    body=sdp + "a=" + "9" * 20000 + "\r\n"),
        "caller-sdp-two-c": req(29, caller=lab.number("rtrB"),
                                body=sdp + "c=IN IP4 198.51.100.1\r\n" * 200),
        "big-status-response": ("SIP/2.0 4294967301 better not break the receiver\r\n"
                                "Via: SIP/2.0/UDP %s:5060;branch=z9hG4bK-nothing\r\n"
                                "Call-ID: torture-26@%s\r\nCSeq: 1 INVITE\r\n"
                                "From: <sip:x@%s>;tag=1\r\nTo: <sip:y@%s>;tag=2\r\n"
                                "Content-Length: 0\r\n\r\n" % (a, b, dom, dom)).encode(),
        "truncated": ("INVITE %s SIP/2.0\r\nVia: SIP/2.0/UDP" % ruri).encode(),
        # (not starting 0x00 0x01: sofia-sip answers that as a STUN request)
        "binary": bytes(range(128, 256)) * 4 + bytes(range(128)) * 4,
        "crlf-only": b"\r\n\r\n",
    }


def test_torture_datagrams(dlg_lab, daemons):
    """RFC 4475-style messages straight to vpnsipd's SIP port: no 1xx beyond
    100 and no 2xx to any of them, the daemon keeps running (ASan clean at
    the end), no call is left over, and a good call is answered afterwards."""
    import base64
    import json
    lab = dlg_lab
    a = daemons("rtrA", direct_conf(lab))
    a.wait_registered()
    cases = torture_cases(lab)
    payload = json.dumps([{"name": k, "data": base64.b64encode(v).decode()}
                          for k, v in cases.items()])
    tool = os.path.join(os.path.dirname(os.path.abspath(__file__)), "lab", "sip_raw.py")
    r = lab.exec("rtrB", sys.executable, tool, lab.addr("rtrB"), 5071, lab.addr("rtrA"), 5060,
                 0.6, input=payload, timeout=120)
    assert r.returncode == 0, r.stderr
    got = json.loads(r.stdout)
    # answers by the case whose Call-ID they carry (final answers are
    # retransmitted until an ACK that never comes, so they turn up later too)
    by_cid = {"torture-%s@%s" % (n, lab.addr("rtrB")): name for name, n in
              ((name, re.search(rb"Call-ID: torture-(\d+)@", raw)) for name, raw in cases.items())
              if n for n in [n.group(1).decode()]}
    codes = {name: set() for name in cases}
    for after, answers in got.items():
        for first, cid in answers:
            m = re.match(r"SIP/2\.0 (\d{3}) ", first)
            assert m, (after, first)   # vpnsipd only ever answers
            # no Call-ID: the answer to a request that had none, sent at once
            assert cid in by_cid or not cid, ("an answer nobody asked for", after, first, cid)
            codes[by_cid[cid] if cid else after].add(int(m.group(1)))
    print("torture answers:", {k: sorted(v) for k, v in codes.items()})
    assert "SIP" in a.sh("show vpn-sip sip"), a.log()[-3000:]   # still alive
    for name, st in codes.items():
        # never a call: 100 Trying at most, then a refusal (or nothing)
        assert all(c == 100 or c >= 400 for c in st), (name, st, a.log()[-3000:])
        assert st <= {100} or any(c >= 400 for c in st), (name, st)
    # What the RFC says must be refused, is (400 or, for SIP/7.0, 505).
    for name in ("clerr", "ncl", "scalar-overflow", "unbalanced-quote", "ltgt-ruri",
                 "cseq-method-mismatch", "no-call-id", "no-cseq", "no-from", "two-froms"):
        assert 400 in codes[name], (name, codes[name])
    assert 505 in codes["sip-7.0"], codes["sip-7.0"]
    for name in ("caller-sdp-nul-bytes", "caller-sdp-two-c"):
        assert 488 in codes[name], (name, codes[name])
    # What sofia-sip reads leniently is an INVITE from a number no tunnel
    # has: 603, never an answer.
    for name in ("multiple-sp", "escaped-nul-user", "huge-header", "300-vias", "sdp-huge-line"):
        assert 603 in codes[name], (name, codes[name])
    # Responses to nothing, binary and keep-alive CRLFs get no answer.
    assert not (codes["big-status-response"] | codes["truncated"] | codes["binary"]
                | codes["crlf-only"]), codes
    no_active_calls(a)
    assert "READY_TO_CONNECT" in a.session()
    # A good call through the NGN afterwards.
    assert lab.register("rtrB", contact_port=5070).rc == 0
    res = sipp_call(lab, offer(lab, "rtrB"), hold_ms=500)
    assert res.rc == 0, res.diagnostics() + a.log()[-2000:]
    a.wait_state("READY_TO_CONNECT")
    a.stop()
