"""What goes wrong around a VPN-SIP session that is up, against a peer made
of parts we did not write (SIPp and Debian's stock charon on rtrB, through
Kamailio; see test_session_interop.py), vpnsipd on rtrA:

- the peer deletes its SAs and sends no BYE: vpnsipd ends the call itself
  (its BYE after the peer's delete, TS-1017 4.2) and records why;
- DPD in the session's profile, periodic (on the wire every interval,
  even with traffic) and on-demand (only when we send and hear nothing);
  the peer vanishes (its packets dropped: no delete): DPD declares it
  dead, the call ends with a BYE at once (there is nobody to wait for),
  the CDR says why;
- the answered call whose peer never starts IKE: the IKE setup timeout
  ends it (BYE) instead of holding the call (and its cost);
- SIGHUP with the session up: the configuration is replaced (a line added
  at the shell is gone) and the session, its call and its traffic stay;
- kill -9 with the session up, and a restart: the new vpnsipd starts clean
  (its tunnel, no stale kernel state) and calls again;
- ESP with AES-GCM and PFS (non-default proposals) negotiated in a session:
  what charon installed is what vpnsipd shows."""
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
from lib.ike_peer import psk_conn  # noqa: E402
from test_ike_options import dpd_requests, keepalives, sniff  # noqa: E402
from test_session import Capture, teardown_order  # noqa: E402
from test_session_interop import (A_BAK, B_BAK, HOST_B, LAN_A, LAN_B, NUM_A, NUM_B, PSK,  # noqa: E402
                                  peer_fixture, peer_sdp, uas_answering)
from conftest import TIMER_BOUND  # noqa: E402

pytestmark = pytest.mark.netns

faultlab = labctl.lab_fixture(routers=2, up_args=["--no-primary-routes"], name="faultlab")


peer = peer_fixture("faultlab")


def configure(p, *lines, warnings=False):
    """The lines in configure terminal on rtrA: no error (and no warning
    unless warnings); the output."""
    args = [str(p.build / "vpnsipsh"), "-S", os.path.join(p.lab.dir, "rtrA", "vpnsipd.sock"),
            "-c", "configure terminal"]
    for ln in lines:
        args += ["-c", ln]
    r = p.lab.exec("rtrA", *args, "-c", "end")
    out = r.stdout + r.stderr
    bad = [ln for ln in out.splitlines() if "%" in ln and not (warnings and "% Warning" in ln)]
    assert r.returncode == 0 and not bad, out
    return out


def session_up(p, lab, uas_timeout=120, esp="aes256-sha256"):
    """vpnsipd calls (traffic into Tunnel1), the SIPp UAS answers with
    charon's port, IKE comes up, a ping passes: the SIPp process."""
    p.charon.swanctl("--terminate", "--ike", "vpnsip", "--force", check=False)
    p.charon.load(psk_conn("vpnsip", B_BAK, A_BAK, NUM_B, NUM_A, PSK, LAN_B, LAN_A,
                           remote_port=4500, esp=esp))
    uas = uas_answering(lab, uas_timeout)
    try:
        labctl.wait_for(lambda: lab.ping("lanA", HOST_B, count=1, wait=1), timeout=30,
                        what=lambda: "ping through the tunnel\n%s\n%s" % (
                            p.tail(), p.charon.log_text()[-3000:]))
        p.wait_state("SESSION_UP (I)")
    except BaseException:
        uas.kill()
        raise
    return uas


def call_id(p):
    m = re.search(r"SIP callID\s*: (\S+)", p.sh("show vpn-sip session detail"))
    return m.group(1) if m else None


def cdr_cause(p, cid):
    m = re.search(r"CDR: Tunnel1 to %s call-id %s .* cause (.*)$" % (NUM_B, re.escape(cid)),
                  p.log(), re.M)
    return m.group(1).strip() if m else None


def test_peer_deletes_sas_without_bye(peer, faultlab, tmp_path):
    lab, p = faultlab, peer()
    # SESSION_UP and SESSION_DOWN are logged without "vpn-sip logging";
    # its event lines (NEGOTIATED, CALL_END ...) are not
    configure(p, "no vpn-sip logging")
    uas = session_up(p, lab)
    try:
        p.wait_log(r"%%VPN_SIP-5-SESSION_UP: Tunnel1: session with %s up" % NUM_B, timeout=5)
        cid = call_id(p)
        assert cid
        # conf/demo/rtrA.conf's transform set, as IOS prints it
        out = p.sh("show crypto ipsec sa")
        assert out.count("transform: esp-256-aes esp-sha256-hmac , in use settings") == 2, out
        cap = Capture(lab, tmp_path / "delete.pcap", p.log_sources())
        # charon deletes its IKE SA (INFORMATIONAL with D); SIPp sends no BYE
        p.charon.swanctl("--terminate", "--ike", "vpnsip")
        p.wait_log(r"SESSION_DOWN: Tunnel1: session with %s down: SAs deleted by the peer" % NUM_B,
                   timeout=15)
        p.wait_state("READY_TO_CONNECT", timeout=10)
        ev = cap.stop()
    finally:
        res = uas.wait(30)
    assert res.rc == 0, res.diagnostics() + p.tail()
    assert res.received("BYE"), "vpnsipd sent no BYE after the peer's delete"
    # the peer's delete first, then vpnsipd's BYE
    teardown_order(ev, cap.deletes, deleter=B_BAK, bye_from=A_BAK)
    assert cdr_cause(p, cid) and cdr_cause(p, cid).startswith("SAs deleted by the peer"), p.tail()
    hist = p.sh("show vpn-sip call-history")
    assert "SAs deleted by the peer" in hist and NUM_B in hist, hist
    assert re.search(r"%%VPN_SIP-5-SESSION_DOWN: Tunnel1: session with %s down: SAs deleted by "
                     r"the peer" % NUM_B, p.log()), p.tail()
    assert "NEGOTIATED" not in p.log() and "CALL_END" not in p.log(), p.tail()


def silence_peer(lab, nft):
    """The peer vanishes without a delete: everything between rtrB and
    rtrA's bak0 is dropped in the peer's namespace (its IKE and ESP alike;
    SIP goes through Kamailio, so the BYE still reaches SIPp)."""
    nft("rtrB", "inet", "vsfsilent",
        " chain in { type filter hook input priority 0; ip saddr %s drop; }\n"
        " chain out { type filter hook output priority 0; ip daddr %s drop; }" % (A_BAK, A_BAK))


@pytest.fixture
def nft(faultlab):
    """nftables tables made by a test in lab namespaces, always removed."""
    tables = []

    def add(node, family, name, body):
        faultlab.exec(node, "nft", "-f", "-", check=True,
                      input="table %s %s {\n%s\n}\n" % (family, name, body))
        tables.append((node, family, name))

    yield add
    for node, family, name in tables:
        faultlab.exec(node, "nft", "delete", "table", family, name)


@TIMER_BOUND
def test_dpd_periodic_in_session_dead_peer_ends_the_call(peer, faultlab, nft):
    """dpd 10 2 periodic in the session's profile: an empty INFORMATIONAL
    every 10 s on the wire even while traffic flows (libcharon's own DPD
    would stay quiet then); nat keepalive 5 too, but no NAT, so no
    keepalives.  Then the peer vanishes: dead after the next DPD and 5
    checks 2 s apart, the IKE SA deleted, the call ended with a BYE at once
    (there is nobody to wait for), the CDR says why."""
    lab, p = faultlab, peer()
    configure(p, "crypto ikev2 profile IPROF", "dpd 10 2 periodic", "nat keepalive 5")
    uas = session_up(p, lab)
    try:
        cid = call_id(p)
        pinger = lab.popen("lanA", "ping", "-n", "-i", "0.5", "-c", "60", HOST_B,
                           stdout=subprocess.DEVNULL)
        try:
            pkts = sniff(lab, "rtrB", A_BAK, 26)
        finally:
            pinger.kill()
            pinger.wait()
        req = dpd_requests(pkts)
        assert len(req) >= 2, pkts
        gaps = [b - a for a, b in zip(req, req[1:])]
        assert all(8.5 <= g <= 12.5 for g in gaps), (req, gaps)
        assert not keepalives(pkts), "keepalives without NAT"
        assert "ESTABLISHED" in p.charon.list_sas()  # the peer answered each one
        out = p.sh("show crypto ikev2 sa detailed")
        assert "DPD configured for 10 seconds, retry 2 (periodic)" in out, out
        assert "Local id: %s" % NUM_A in out and "Remote id: %s" % NUM_B in out, out
        assert "NAT-T is detected inside" not in out, out
        silence_peer(lab, nft)
        t0 = time.monotonic()
        p.wait_log(r"%IKEV2-5-DPD_DEAD: Tunnel1: peer 192\.0\.2\.12:\d+ did not answer DPD "
                   r"\(5 checks, 2 s apart\): deleting the IKE SA", timeout=30)
        took = time.monotonic() - t0
        # at most 10 s to the next DPD, then 5 x 2 s (libcharon alone: ~15 s)
        assert 9 <= took <= 23, took
        p.wait_log(r"Crypto tunnel is DOWN\. Interface: Tunnel1  \(peer not responding \(DPD\)\)")
        p.wait_log(r"SESSION_DOWN: Tunnel1: session with %s down: peer not responding" % NUM_B,
                   timeout=10)
        p.wait_state("READY_TO_CONNECT", timeout=10)
        assert "READY" not in p.sh("show crypto ikev2 sa")
    finally:
        res = uas.wait(30)
    assert res.rc == 0, res.diagnostics() + p.tail()
    assert res.received("BYE"), "no BYE after the peer was declared dead"
    assert (cdr_cause(p, cid) or "").startswith("peer not responding"), p.tail()


@TIMER_BOUND
def test_dpd_on_demand_in_session(peer, faultlab, nft):
    """dpd 10 2 on-demand (IOS): a session with traffic both ways sees no
    DPD; once the peer is silent and we keep sending, a DPD goes out, the
    peer is declared dead and the call ends."""
    lab, p = faultlab, peer()
    configure(p, "crypto ikev2 profile IPROF", "dpd 10 2 on-demand")
    uas = session_up(p, lab)
    try:
        pkts = sniff(lab, "rtrB", A_BAK, 24,
                     action=lambda: lab.exec("lanA", "ping", "-n", "-i", "0.5", "-c", "8", HOST_B))
        assert not dpd_requests(pkts), pkts
        assert "DPD configured for 10 seconds, retry 2 (on-demand), 0 sent" in \
            p.sh("show crypto ikev2 sa detailed")
        silence_peer(lab, nft)
        pinger = lab.popen("lanA", "ping", "-n", "-i", "0.5", "-c", "80", HOST_B,
                           stdout=subprocess.DEVNULL)
        try:
            t0 = time.monotonic()
            pkts = sniff(lab, "rtrB", A_BAK, 14)
            assert dpd_requests(pkts), pkts
            p.wait_log(r"%IKEV2-5-DPD_DEAD: Tunnel1", timeout=30)
            assert time.monotonic() - t0 <= 25
        finally:
            pinger.kill()
            pinger.wait()
        p.wait_log(r"Crypto tunnel is DOWN\. Interface: Tunnel1  \(peer not responding \(DPD\)\)")
        p.wait_state("READY_TO_CONNECT", timeout=10)
    finally:
        res = uas.wait(30)
    assert res.rc == 0, res.diagnostics() + p.tail()
    assert res.received("BYE"), "no BYE after the peer was declared dead"


def test_ike_never_answered_ends_the_call(peer, faultlab):
    """The peer answers the call but nothing answers IKE on its port
    (charon is gone): libcharon's retransmits run out, the call is hung up
    (BYE) with the reason, and the tunnel is ready again."""
    lab, p = faultlab, peer()
    p.charon.kill()  # nothing answers IKE on rtrB
    uas = uas_answering(lab, 90)
    try:
        lab.ping("lanA", HOST_B, count=1, wait=1)
        p.wait_state("NEGOTIATING_IKE (I)", timeout=15)
        t0 = time.monotonic()
        p.wait_log(r"SESSION_FAIL: Tunnel1: IKE failed: ", timeout=45)
        failed_s = time.monotonic() - t0
        p.wait_state("READY_TO_CONNECT", timeout=10)
    finally:
        res = uas.wait(30)
    assert res.rc == 0 and res.received("BYE"), res.diagnostics() + p.tail()
    assert failed_s <= 35, failed_s
    assert "SESSION_UP" not in p.log()
    hist = p.sh("show vpn-sip call-history")
    assert NUM_B in hist and "IKE failed" in hist, hist
    print("IKE never answered: call ended %.1f s after the answer" % failed_s)


def test_ike_refused_by_the_peer_names_its_notify(peer, faultlab):
    """The peer answers the call, then refuses our IKE_AUTH (its charon
    has another PSK): the failure names the notify it sent, in the log
    (without debug), the call record and show vpn-sip session detail."""
    lab, p = faultlab, peer()
    p.charon.swanctl("--terminate", "--ike", "vpnsip", "--force", check=False)
    p.charon.load(psk_conn("vpnsip", B_BAK, A_BAK, NUM_B, NUM_A, "not-the-shared-key-0000000000",
                           LAN_B, LAN_A, remote_port=4500))
    uas = uas_answering(lab, 60)
    try:
        lab.ping("lanA", HOST_B, count=1, wait=1)
        p.wait_log(r"%VPN_SIP-3-SESSION_FAIL: Tunnel1: IKE authentication failed: .*\(peer sent "
                   r"AUTHENTICATION_FAILED\)", timeout=20)
        p.wait_state("READY_TO_CONNECT", timeout=15)
    finally:
        res = uas.wait(30)
    assert res.rc == 0 and res.received("BYE"), res.diagnostics() + p.tail()
    assert re.search(r"%%VPN_SIP-4-CALL_FAIL: Tunnel1: call with %s failed: IKE authentication "
                     r"failed: .*\(peer sent AUTHENTICATION_FAILED\) \(attempt 1;" % NUM_B, p.log()), \
        p.tail()
    hist = p.sh("show vpn-sip call-history")
    assert "(peer sent AUTHENTICATION_FAILED)" in hist, hist
    detail = p.sh("show vpn-sip session detail")
    assert re.search(r"^  Last failure: \S+ \S+ UTC IKE authentication failed: .*\(peer sent "
                     r"AUTHENTICATION_FAILED\)$", detail, re.M), detail
    assert re.search(r"^  Next attempt in: \d+ s \(on traffic into Tunnel1\)$", detail, re.M), detail


@TIMER_BOUND
def test_ike_setup_timeout_when_the_initiator_never_starts(peer, faultlab):
    """SIPp calls vpnsipd with a=ike-setup:active and answers nothing more:
    vpnsipd answers passive and waits for the peer's IKE_SA_INIT, which
    never comes; after 30 s (the IKE setup timeout) vpnsipd hangs up."""
    lab, p = faultlab, peer()
    keys = {"ruri": lab.tel_uri(NUM_A), "caller": NUM_B, "domain": lab.domain}
    assert lab.register("rtrB", contact_port=5070).rc == 0
    c = lab.sipp_bg("rtrB", "vs_uac_offer_callee_bye.xml", port=5070, keys=keys, timeout=60,
                    subst={"SDP": peer_sdp("active")})
    try:
        p.wait_state("NEGOTIATING_IKE (R)", timeout=10)
        t0 = time.monotonic()
        p.wait_log(r"SESSION_FAIL: Tunnel1: IKE did not come up in 30 s", timeout=45)
        failed_s = time.monotonic() - t0
        p.wait_state("READY_TO_CONNECT", timeout=10)
    finally:
        res = c.wait(30)
    assert res.rc == 0 and res.received("BYE"), res.diagnostics() + p.tail()
    assert 27 <= failed_s <= 35, failed_s
    assert "SESSION_UP" not in p.log()
    hist = p.sh("show vpn-sip call-history")
    assert "IKE did not come up in time" in hist, hist


def test_sighup_with_the_session_up(peer, faultlab):
    lab, p = faultlab, peer()
    uas = session_up(p, lab)
    try:
        cid = call_id(p)
        configure(p, "ip route 203.0.113.64 255.255.255.192 Tunnel1")
        assert "203.0.113.64" in p.sh("show running-config")
        labctl.wait_for(lambda: "203.0.113.64/26" in lab.exec("rtrA", "ip", "route").stdout,
                        timeout=5, what="the shell's route in the kernel")
        pid = int(open(os.path.join(lab.dir, "rtrA", "vpnsipd.pid")).read())
        os.kill(pid, signal.SIGHUP)
        # the startup file has no such route: replace removes it
        labctl.wait_for(lambda: "203.0.113.64" not in p.sh("show running-config"), timeout=15,
                        what="the shell's route removed by SIGHUP\n" + p.tail())
        assert "203.0.113.64/26" not in lab.exec("rtrA", "ip", "route").stdout
        # the session, its call and its traffic stay
        assert p.state() == "SESSION_UP (I)"
        assert call_id(p) == cid
        assert lab.ping("lanA", HOST_B, count=3)
        assert "SESSION_DOWN" not in p.log()
        assert not [m for m in res_so_far(uas) if m.is_request and m.method == "BYE"]
        assert p.established()
        p.sh("clear vpn-sip session")
        p.wait_state("READY_TO_CONNECT", timeout=15)
    finally:
        res = uas.wait(30)
    assert res.rc == 0 and res.received("BYE"), res.diagnostics()


def res_so_far(uas):
    """The messages SIPp received so far (its trace file)."""
    return [m for m in labctl.parse_sipp_messages(uas.args[0]) if m.direction == "received"]


def test_kill_9_with_the_session_up_then_restart(peer, faultlab):
    lab, p = faultlab, peer()
    uas = session_up(p, lab)
    d = os.path.join(lab.dir, "rtrA")
    pid = int(open(os.path.join(d, "vpnsipd.pid")).read())
    try:
        os.kill(pid, signal.SIGKILL)
        labctl.wait_for(lambda: os.path.exists(os.path.join(d, "vpnsipd.status")), timeout=10,
                        what="vpnsipd's exit status")
    finally:
        uas.kill()
    stop = lab.run("vpnsipd", "stop", "rtrA", check=False)
    assert stop.returncode != 0 and "killed by signal 9" in stop.stdout + stop.stderr, stop
    p.running = False
    # the tunnel vpnsipd made is still in the kernel; a new vpnsipd takes
    # it over (or makes it again) and starts clean
    log_start = os.path.getsize(p.alog)
    lab.vpnsipd_start("rtrA", os.path.join(os.path.dirname(HERE), "conf", "demo", "rtrA.conf"))
    p.running = True
    p.log_start = log_start
    labctl.wait_for(lambda: ": registered" in p.sh("show vpn-sip registration-status"),
                    timeout=20, what="rtrA registered again\n" + p.tail())
    assert p.state() == "READY_TO_CONNECT", p.sh("show vpn-sip session")
    log = p.log()
    assert not re.search(r"%\S+-[0-3]-", log), log[-3000:]  # no error at start
    assert "Tunnel1" in lab.exec("rtrA", "ip", "-br", "link").stdout
    # charon still has the old SA; a new call replaces it
    uas = session_up(p, lab)
    try:
        assert lab.ping("lanA", HOST_B, count=3)
        p.sh("clear vpn-sip session")
        p.wait_state("READY_TO_CONNECT", timeout=15)
    finally:
        res = uas.wait(30)
    assert res.rc == 0, res.diagnostics()


def test_gcm_pfs_and_no_idle_timer_in_a_session(peer, faultlab):
    """Non-default IPsec profile settings in a session: AES-GCM and PFS
    negotiated with charon; and no idle timer, which is warned at the
    command, logged when the call comes up and shown in the session."""
    lab, p = faultlab, peer()
    configure(p, "crypto ipsec transform-set TS esp-gcm 256", "mode tunnel",
              "crypto ipsec profile IPROF", "set pfs group14")
    out = configure(p, "crypto ipsec profile IPROF", "no set security-association idle-time",
                    warnings=True)
    assert "% Warning: Tunnel1: no IPsec security-association idle-time now" in out, out
    uas = session_up(p, lab, esp="aes256gcm16-modp2048")
    try:
        p.wait_log(r"%VPN_SIP-4-NO_IDLE_TIMER: Tunnel1: IPsec profile IPROF sets no idle-time: "
                   r"this call lasts until clear vpn-sip session", timeout=5)
        assert "Idle timer      : none (IPsec profile IPROF" in \
            p.sh("show vpn-sip session detail")
        sas = p.charon.list_sas()
        assert re.search(r"AES_GCM_16-256", sas), sas
        out = p.sh("show crypto ipsec sa")
        # as IOS prints it, both directions
        assert out.count("transform: esp-gcm 256 , in use settings") == 2, out
        assert re.search(r"PFS \(Y/N\): Y.*\n.*group14", p.sh("show crypto ipsec profile IPROF")), \
            p.sh("show crypto ipsec profile IPROF")
        assert lab.ping("lanA", HOST_B, count=3)
        p.sh("clear vpn-sip session")
        p.wait_state("READY_TO_CONNECT", timeout=15)
    finally:
        res = uas.wait(30)
    assert res.rc == 0, res.diagnostics()


def test_call_attempt_rate_limit(peer, faultlab):
    """Billing safety: at most 10 call attempts per tunnel in 600 s, whatever
    asks for them (here the operator, which skips the back-off): the 11th
    is refused with the reason, logged, and never reaches the carrier."""
    lab, p = faultlab, peer()
    lab.reject(NUM_B, 486, "Busy Here")
    before = [c for c in lab.cdr() if c["event"] == "START" and c.get("to") == NUM_B]
    for i in range(10):
        out = p.sh("vpn-sip call interface Tunnel1")
        assert "%" not in out, (i, out)
        fail = r"CALL_FAIL: Tunnel1: call with %s failed: rejected 486" % NUM_B
        labctl.wait_for(lambda: len(re.findall(fail, p.log())) > i, timeout=10,
                        what=lambda: "attempt %d rejected\n%s" % (i + 1, p.tail()))
        p.wait_state("READY_TO_CONNECT", timeout=10)
    out = p.sh("vpn-sip call interface Tunnel1")
    assert re.search(r"% Cannot place the VPN-SIP call of Tunnel1: call attempt rate limit "
                     r"\(10 per 600 s\): next in \d+ s", out), out
    assert re.search(r"CALL_LIMIT: Tunnel1: not calling %s: call attempt rate limit" % NUM_B,
                     p.log()), p.tail()
    # traffic is refused the same way
    lab.ping("lanA", HOST_B, count=1, wait=1)
    time.sleep(1)
    assert p.state() == "READY_TO_CONNECT"
    starts = [c for c in lab.cdr() if c["event"] == "START" and c.get("to") == NUM_B]
    assert len(starts) - len(before) == 10, starts[len(before):]


def test_shutdown_ends_the_call_and_holds_calls(peer, faultlab):
    """shutdown on a VPN-SIP tunnel ends its call as clear does (the SA
    delete, then the BYE) and the tunnel places no call until no shutdown."""
    lab, p = faultlab, peer()
    uas = session_up(p, lab)
    try:
        cid = call_id(p)
        configure(p, "interface Tunnel1", "shutdown")
        p.wait_log(r"CALL_CLEAR: Tunnel1: ending the call with %s \(interface shut down\)" % NUM_B,
                   timeout=10)
        p.wait_state("READY_TO_CONNECT", timeout=15)
        labctl.wait_for(lambda: "ESTABLISHED" not in p.charon.list_sas(), timeout=10,
                        what=lambda: "charon's IKE SA deleted\n" + p.charon.list_sas())
    finally:
        res = uas.wait(30)
    assert res.rc == 0 and res.received("BYE"), res.diagnostics() + p.tail()
    assert (cdr_cause(p, cid) or "").startswith("interface shut down"), p.tail()
    out = p.sh("vpn-sip call interface Tunnel1")
    assert "the tunnel is shut down" in out, out
    # the peer's call is answered 480 (through Kamailio)
    keys = {"ruri": lab.tel_uri(NUM_A), "caller": NUM_B, "domain": lab.domain}
    assert lab.register("rtrB", contact_port=5070).rc == 0
    r = lab.sipp("rtrB", "vs_uac_offer_fail.xml", port=5070, keys=keys, timeout=10,
                 subst={"SDP": peer_sdp("active"), "CODE": "480"})
    assert r.rc == 0, r.diagnostics()
    p.wait_log(r"the tunnel is shut down", timeout=5)
    configure(p, "interface Tunnel1", "no shutdown")
    assert p.state() == "READY_TO_CONNECT"
