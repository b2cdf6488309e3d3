"""VPN-SIP registration driven by the interface state, in the lab
with real Kamailio and dnsmasq, both builds:

- DHCP -> SIP: rtrA's unaddressed bak0 ("lab up --backup none") gets its
  address and the SIP server from DHCP option 120 ("ip dhcp client request
  sip-server-address"); there is no "vpn-sip sip-server".  The domain
  encoding is resolved with the lease's name server (option 6, the lab's
  dnsmasq; vpnsipd gives sofia-sip's resolver its own resolv.conf, the
  host's /etc/resolv.conf is not used), the IPv4 encoding is used as it is.
  A new lease address re-registers with the new Contact; losing the lease
  marks the registration down.  A static address change re-registers too.
- Back-off: with Kamailio stopped the REGISTER retries come at growing
  intervals, and vpnsipd registers once Kamailio is back.
- An address change during a call ends the call with BYE first (logged).
- Option 120 moving to another SIP server (a second Kamailio): REGISTER
  and calls go there.
- The lease NAKed (the server renumbers the router) and the lease expired
  with the server gone (a 2-minute lease): the address, its default route
  and the registration go, with the reason logged, and come back.
"""
import os
import re
import sys
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lab"))
import labctl  # noqa: E402
from lib import routing_util as ru  # noqa: E402
from test_sip import conf_for, field, offer  # noqa: E402
from conftest import TIMER_BOUND  # noqa: E402

pytestmark = pytest.mark.netns

dhcp_lab = labctl.lab_fixture(up_args=["--backup", "none"], name="dhcp_lab",
                              prefix=os.environ.get("LAB_PREFIX", "vslt") + "h")

NUMBER = "0311111111"
CONFIG = """\
hostname rtrA
interface bak0
 ip dhcp client request sip-server-address
 ip address dhcp
!
vpn-sip enable
vpn-sip local-number %s address ipv4 bak0
vpn-sip logging
""" % NUMBER


def reg_status(d):
    return d.sh("show vpn-sip registration-status").stdout.strip()


def registrar_contact(d):
    lines = d.sh("show vpn-sip sip registrar").stdout.splitlines()
    return lines[3].split()[3] if len(lines) > 3 and len(lines[3].split()) > 3 else None


def kam_contacts(lab, number):
    out = lab.kam("rpc", "ul.dump")
    return re.findall(r"sip:%s@([0-9.]+)" % number, out)


def wait_registered_at(d, lab, addr, timeout=20):
    def ok():
        return (reg_status(d) == "SIP registration of local number %s : registered %s" % (NUMBER, addr)
                and kam_contacts(lab, NUMBER) == [addr])
    try:
        labctl.wait_for(ok, timeout, interval=0.2, what="registered at %s" % addr)
    except TimeoutError as e:
        raise AssertionError("%s\n%s\n%s\n%s" % (e, reg_status(d), kam_contacts(lab, NUMBER),
                                                 d.log.read_text()[-3000:]))


def test_dhcp_sip_server_and_address_changes(build, dhcp_lab, tmp_path):
    lab = dhcp_lab
    lab.set_sip_option("domain")
    d = ru.start(build, lab, "rtrA", tmp_path, CONFIG)
    try:
        d.sh("debug vpn-sip sip dhcp")
        # option 120, domain encoding: example.ne.jp resolved through 192.0.2.1
        wait_registered_at(d, lab, "192.0.2.11")
        sip = d.sh("show vpn-sip sip").stdout
        assert re.search(r"SIP server\s+: example\.ne\.jp \(DHCP\)", sip), sip
        assert re.search(r"SIP domain\s+: example\.ne\.jp", sip), sip
        assert "vpn-sip sip-server" not in d.sh("show running-config").stdout

        # option 120, IPv4 encoding: the server changes, the binding stays
        # (an address says nothing of the SIP domain: configured)
        ru.config(d, "vpn-sip sip-domain example.ne.jp")
        lab.set_sip_option("ipv4")
        d.sh("renew dhcp bak0")
        labctl.wait_for(lambda: re.search(r"SIP server\s+: 192\.0\.2\.1 \(DHCP\)",
                                          d.sh("show vpn-sip sip").stdout), 15, interval=0.2,
                        what="the server from the IPv4 encoding")
        # debug vpn-sip sip dhcp: the server VPN-SIP took from the lease
        assert "SIP-DHCP: SIP server 192.0.2.1 from option 120 on bak0\n" in d.log.read_text()
        wait_registered_at(d, lab, "192.0.2.11")

        # a new lease address (another MAC, a pool address): new Contact
        lab.exec("rtrA", "ip", "link", "set", "bak0", "address", "02:76:73:00:02:7e", check=True)
        d.sh("renew dhcp bak0")
        labctl.wait_for(lambda: re.search(r"Temp IP addr: 192\.0\.2\.2\d\d ",
                                          d.sh("show dhcp lease").stdout), 20, interval=0.2,
                        what="a pool address after the MAC change")
        new = re.search(r"Temp IP addr: (\S+)", d.sh("show dhcp lease").stdout).group(1)
        wait_registered_at(d, lab, new)
        assert registrar_contact(d) == new

        # the lease goes: not registered
        ru.config(d, "interface bak0", "no ip address dhcp")
        labctl.wait_for(lambda: "not registered" in reg_status(d), 10, interval=0.2,
                        what="registration down without a lease")
        assert "Local address         : none" in d.sh("show vpn-sip sip").stdout

        # a static address (and the server, now static): registers; a
        # static address change registers the new Contact
        ru.config(d, "interface bak0", "ip address 192.0.2.61 255.255.255.0",
                  "exit", "vpn-sip sip-server ipv4:192.0.2.1")
        wait_registered_at(d, lab, "192.0.2.61")
        ru.config(d, "interface bak0", "ip address 192.0.2.62 255.255.255.0")
        wait_registered_at(d, lab, "192.0.2.62")
        log = d.log.read_text()
        assert "REGISTERED" in log
    finally:
        lab.exec("rtrA", "ip", "link", "set", "bak0", "address", "02:76:73:00:02:01")
        lab.set_sip_option("domain")
        ru.stop_clean(d)
    assert NUMBER not in lab.registrations()


def register_times(log):
    """Seconds of each new REGISTER transaction in the log (a Call-ID and
    CSeq not seen before: retransmissions repeat theirs), from its time of day; a time
    earlier than the one before is the next day (the run crossed midnight)."""
    out, day, seen = [], 0, set()
    for m in re.finditer(r"^\w+ +\d+ (\d\d):(\d\d):(\d\d)\.(\d+): SIP msg:    REGISTER sip:"
                         r"(?:(?!\n\w+ +\d+ [\d:.]+: SIP msg: (?:send|recv) ).)*?"
                         r"SIP msg:    Call-ID: (\S+)\n.*?SIP msg:    CSeq: (\d+) REGISTER",
                         log, re.M | re.S):
        h, mi, s, frac, callid, cseq = m.groups()
        if (callid, cseq) in seen:
            continue
        seen.add((callid, cseq))
        t = int(h) * 3600 + int(mi) * 60 + int(s) + float("0." + frac)
        if out and t + day < out[-1]:
            day += 86400
        out.append(t + day)
    return out


def test_register_times_across_midnight():
    log = ("Jan  1 23:59:58.500: SIP msg:    REGISTER sip:x SIP/2.0\n"
           "Jan  1 23:59:58.500: SIP msg:    Call-ID: a\n"
           "Jan  1 23:59:58.500: SIP msg:    CSeq: 1 REGISTER\n"
           "Jan  1 23:59:59.000: SIP msg:    REGISTER sip:x SIP/2.0\n"
           "Jan  1 23:59:59.000: SIP msg:    Call-ID: a\n"
           "Jan  1 23:59:59.000: SIP msg:    CSeq: 1 REGISTER\n"
           "Jan  2 00:00:00.500: SIP msg:    REGISTER sip:x SIP/2.0\n"
           "Jan  2 00:00:00.500: SIP msg:    Call-ID: b\n"
           "Jan  2 00:00:00.500: SIP msg:    CSeq: 1 REGISTER\n"
           "Jan  2 00:00:04.500: SIP msg:    REGISTER sip:x SIP/2.0\n"
           "Jan  2 00:00:04.500: SIP msg:    Call-ID: c\n"
           "Jan  2 00:00:04.500: SIP msg:    CSeq: 1 REGISTER\n")
    t = register_times(log)
    # the retransmission of a's request is not a new transaction
    assert [round(b - a, 1) for a, b in zip(t, t[1:])] == [2.0, 4.0]


@TIMER_BOUND
def test_registration_backoff_while_kamailio_is_down(build, dhcp_lab, tmp_path):
    lab = dhcp_lab
    conf = CONFIG.replace(" ip dhcp client request sip-server-address\n ip address dhcp\n",
                          " ip address 192.0.2.11 255.255.255.0\n")
    conf += "vpn-sip sip-server ipv4:192.0.2.1\nvpn-sip sip-domain example.ne.jp\n" \
            "vpn-sip registration expires 10\n"
    d = ru.start(build, lab, "rtrA", tmp_path, conf)
    try:
        wait_registered_at(d, lab, "192.0.2.11")
        d.sh("debug vpn-sip sip messages")
        lab.stop_kamailio()
        t0 = time.monotonic()
        try:
            labctl.wait_for(lambda: "not registered" in reg_status(d), 20, interval=0.2,
                            what=lambda: "registration lost with Kamailio down\n" + d.log.read_text()[-4000:])
            time.sleep(max(0, 40 - (time.monotonic() - t0)))
            log = d.log.read_text()
            assert "%SIP-4-REG_FAIL" in log
            times = register_times(log[max(0, log.index("%SIP-4-REG_FAIL") - 3000):])
            gaps = [round(b - a, 1) for a, b in zip(times, times[1:])]
            # 2, 4, 8, 16 ... s between new REGISTER transactions: each
            # fails at once on ICMP port unreachable (sofia-sip's or, when
            # the kernel queues the error on the guard's drain socket,
            # vpnsipd's; sofia-sip then still retransmits the abandoned
            # request until its Timer F, which is not a new transaction)
            assert len(times) >= 4, (times, gaps)
            assert all(b > a for a, b in zip(gaps, gaps[1:])), gaps
            assert gaps[-1] >= 8, gaps
            fails = re.findall(r"%SIP-4-REG_FAIL: .*retry in (\d+) s", log)
            assert [int(x) for x in fails[:4]] == [2, 4, 8, 16], fails
            # Kamailio down is no answer of the network: said as our own
            # timeout, never as a "503 Service Unavailable" of the carrier
            lines = re.findall(r"%SIP-4-REG_FAIL: .*", log)
            assert all(re.search(r"failed: local timeout: (registrar unreachable|no response "
                                 r"from the registrar)", ln) for ln in lines), lines
            assert re.search(r"^  Reason: local timeout: ", reg_status(d), re.M), reg_status(d)
            sip = d.sh("show vpn-sip sip").stdout
            assert re.search(r"REGISTER requests\s+: \d+ sent, [1-9]\d* failed", sip), sip
        finally:
            lab.start_kamailio()
        wait_registered_at(d, lab, "192.0.2.11", timeout=70)
        print("REGISTER gaps while Kamailio was down:", gaps)
    finally:
        ru.stop_clean(d)


def test_address_change_during_call_ends_it(build, dhcp_lab, tmp_path):
    """A call is up with a SIPp terminal; the SIP server changes (calls
    stay), then the local address changes: vpnsipd ends the call (logged,
    READY_TO_CONNECT) and registers with the new Contact.  Its BYE leaves
    from the old address's socket, which the kernel no longer has, so the
    peer does not get it (docs/sip.md): asserted, so that a change either
    way shows."""
    lab = dhcp_lab
    lab.exec("rtrB", "ip", "addr", "replace", lab.addr("rtrB") + "/24", "dev", "bak0")
    conf = conf_for(lab, "rtrA", lab.number("rtrB"), 1000).replace("192.0.2.11 255", "192.0.2.71 255")
    d = ru.start(build, lab, "rtrA", tmp_path, conf)
    try:
        wait_registered_at(d, lab, "192.0.2.71")
        assert lab.register("rtrB", contact_port=5060).rc == 0
        # the terminal waits for a BYE that cannot come: its own 15 s end it
        uas = lab.sipp_bg("rtrB", "vs_uas_answer.xml", port=5060, timeout=15,
                          subst={"SDP": offer(lab, "rtrB", port=50002, bw=256, setup="passive")})
        try:
            labctl.wait_for(lambda: lab.exec("rtrB", "ss", "-Hlun", "sport = :5060").stdout.strip(),
                            timeout=5, what="SIPp listening")
            assert "%" not in d.sh("vpn-sip call interface Tunnel1").stdout
            labctl.wait_for(lambda: "NEGOTIATING_IKE" in d.sh("show vpn-sip session detail").stdout,
                            10, what="call up")
            # another server spelling (same Kamailio): the call stays
            ru.config(d, "vpn-sip sip-server ipv4:192.0.2.1:5060")
            time.sleep(1)
            assert "NEGOTIATING_IKE" in d.sh("show vpn-sip session detail").stdout
            # the local address changes: the call ends (BYE), READY_TO_CONNECT
            ru.config(d, "interface bak0", "ip address 192.0.2.11 255.255.255.0")
            labctl.wait_for(lambda: "READY_TO_CONNECT" in d.sh("show vpn-sip session detail").stdout,
                            10, what="the call ended")
            wait_registered_at(d, lab, "192.0.2.11")
        finally:
            res = uas.wait(30)
        log = d.log.read_text()
        assert re.search(r"%SIP-5-CALLS_CLEARED: Local address changed from 192\.0\.2\.71 to "
                         r"192\.0\.2\.11: ending 1 call \(BYE\)", log), log[-3000:]
        assert res.received("INVITE") and res.received("ACK"), res.diagnostics()
        assert not res.received("BYE"), "a BYE reached the peer: update docs/sip.md and this test"
    finally:
        ru.stop_clean(d)


# ---- option 120 moves to another server; the lease NAKed, the lease expired

DHCP_CONF = CONFIG + "vpn-sip sip-domain example.ne.jp\n"

OS_CONF = """\
hostname rtrA
vpn-sip enable
vpn-sip local-number %s address ipv4 bak0
vpn-sip sip-server ipv4:192.0.2.1
vpn-sip sip-domain example.ne.jp
""" % NUMBER


def test_address_given_by_the_os(build, dhcp_lab, tmp_path):
    """bak0 has no "ip address" in vpnsipd: its address comes from the
    operating system ("ip addr add", as networkd or ifupdown would).  No
    address: %VPN_SIP-4-NO_ADDRESS once and the reason in show; an address
    added: registered from it; moved: registered from the new one;
    removed: not registered, logged again."""
    lab = dhcp_lab
    no_addr = r"%VPN_SIP-4-NO_ADDRESS: No IPv4 address on bak0: local number 0311111111 cannot register"
    reason = ("SIP registration of local number %s : not registered\n"
              "  Reason: no IPv4 address on bak0" % NUMBER)
    lab.exec("rtrA", "ip", "-4", "addr", "flush", "dev", "bak0", check=True)
    d = ru.start(build, lab, "rtrA", tmp_path, OS_CONF)
    try:
        labctl.wait_for(lambda: log_lines(d, no_addr), 10, interval=0.2, what="NO_ADDRESS logged")
        assert reg_status(d) == reason
        lab.exec("rtrA", "ip", "addr", "add", "192.0.2.64/24", "dev", "bak0", check=True)
        wait_registered_at(d, lab, "192.0.2.64")
        assert "Local address         : 192.0.2.64 (kernel)" in d.sh("show vpn-sip sip").stdout
        # a second address beside it does not move the registration; the
        # first one going does (the second stays, as systemd-networkd
        # has it: promote_secondaries)
        lab.exec("rtrA", "sysctl", "-qw", "net.ipv4.conf.bak0.promote_secondaries=1", check=True)
        lab.exec("rtrA", "ip", "addr", "add", "192.0.2.65/24", "dev", "bak0", check=True)
        time.sleep(1)
        wait_registered_at(d, lab, "192.0.2.64")
        lab.exec("rtrA", "ip", "addr", "del", "192.0.2.64/24", "dev", "bak0", check=True)
        wait_registered_at(d, lab, "192.0.2.65")
        assert len(log_lines(d, no_addr)) == 1
        lab.exec("rtrA", "ip", "-4", "addr", "flush", "dev", "bak0", check=True)
        labctl.wait_for(lambda: reg_status(d) == reason, 10, interval=0.2,
                        what=lambda: "not registered without an address: " + reg_status(d))
        labctl.wait_for(lambda: len(log_lines(d, no_addr)) == 2, 5, interval=0.2,
                        what="NO_ADDRESS logged again")
        assert "Local address         : none" in d.sh("show vpn-sip sip").stdout
    finally:
        lab.exec("rtrA", "sysctl", "-qw", "net.ipv4.conf.bak0.promote_secondaries=0")
        lab.exec("rtrA", "ip", "-4", "addr", "flush", "dev", "bak0")
        ru.stop_clean(d)


def bak0_addrs(lab):
    return lab.exec("rtrA", "ip", "-4", "-br", "addr", "show", "bak0").stdout.split()[2:]


def default_route(lab):
    return lab.exec("rtrA", "ip", "-4", "route", "show", "default").stdout.strip()


def kam2_contacts(lab, number):
    return re.findall(r"sip:%s@([0-9.]+)" % number, lab.kam2("rpc", "ul.dump"))


def cdr_lines(text):
    recs = []
    for line in text.splitlines():
        parts = line.split()
        if len(parts) >= 2:
            recs.append(dict([("event", parts[1])] + [kv.partition("=")[::2] for kv in parts[2:]]))
    return recs


def log_lines(d, pattern):
    return re.findall(pattern, d.log.read_text(), re.M)


def test_option120_moves_to_another_server(build, dhcp_lab, tmp_path):
    """Option 120 names another SIP server (a second Kamailio): vpnsipd
    registers there (the binding appears in that server), show says the
    new server, a call's INVITE goes there (its CDR, none in the first);
    back to the first server, show says so."""
    lab = dhcp_lab
    peer = lab.number("rtrB")
    conf = conf_for(lab, "rtrA", peer, 1000)
    conf = conf.replace(" ip address 192.0.2.11 255.255.255.0\n",
                        " ip dhcp client request sip-server-address\n ip address dhcp\n")
    conf = conf.replace("vpn-sip sip-server ipv4:192.0.2.1\n", "")
    assert "ip address dhcp" in conf and "vpn-sip sip-server" not in conf
    lab.kam2("start")
    lab.set_sip_option("ipv4")
    d = ru.start(build, lab, "rtrA", tmp_path, conf)
    try:
        wait_registered_at(d, lab, "192.0.2.11")
        assert re.search(r"SIP server\s+: 192\.0\.2\.1 \(DHCP\)", d.sh("show vpn-sip sip").stdout)
        assert kam2_contacts(lab, NUMBER) == []

        # the server moves: the second one learns us
        lab.set_sip_option("ipv4", "192.0.2.2")
        d.sh("renew dhcp bak0")
        labctl.wait_for(lambda: kam2_contacts(lab, NUMBER) == ["192.0.2.11"], 20, interval=0.2,
                        what=lambda: "REGISTER at the second server\n" + d.log.read_text()[-3000:])
        sip = d.sh("show vpn-sip sip").stdout
        assert re.search(r"SIP server\s+: 192\.0\.2\.2 \(DHCP\)", sip), sip
        assert "SIP server address: 192.0.2.2" in d.sh("show vpn-sip sip dhcp").stdout
        assert reg_status(d) == "SIP registration of local number %s : registered 192.0.2.11" % NUMBER
        assert bak0_addrs(lab) == ["192.0.2.11/24"]  # the address stayed

        # a call goes to the new server (which does not know the callee: 404)
        before = [r for r in lab.cdr() if r.get("from") == NUMBER]
        assert "%" not in d.sh("vpn-sip call interface Tunnel1").stdout
        labctl.wait_for(lambda: any(r["event"] == "FAIL" and r.get("from") == NUMBER
                                    and r.get("to") == peer for r in cdr_lines(lab.kam2("cdr"))),
                        10, interval=0.2, what=lambda: "the INVITE at the second server\n"
                        + lab.kam2("cdr"))
        fail = [r for r in cdr_lines(lab.kam2("cdr")) if r["event"] == "FAIL"][-1]
        assert fail["code"] == "404", fail
        assert [r for r in lab.cdr() if r.get("from") == NUMBER] == before

        # and back to the first server
        lab.set_sip_option("ipv4")
        d.sh("renew dhcp bak0")
        wait_registered_at(d, lab, "192.0.2.11")
        assert re.search(r"SIP server\s+: 192\.0\.2\.1 \(DHCP\)", d.sh("show vpn-sip sip").stdout)
    finally:
        lab.set_sip_option("domain")
        ru.stop_clean(d)
        lab.kam2("stop")


def test_lease_nak_moves_the_address(build, dhcp_lab, tmp_path):
    """The server renumbers the router: its request for the old address is
    NAKed (dnsmasq's log), vpnsipd removes the old address (logged) and
    takes the new one, and registers the new Contact."""
    lab = dhcp_lab
    lab.set_sip_option("ipv4")
    d = ru.start(build, lab, "rtrA", tmp_path, DHCP_CONF)
    try:
        wait_registered_at(d, lab, "192.0.2.11")
        dnsmasq_log = os.path.join(lab.dir, "ngn", "dnsmasq.log")
        start = os.path.getsize(dnsmasq_log)
        lab.set_dhcp_host("rtrA", "192.0.2.51")
        d.sh("renew dhcp bak0")
        wait_registered_at(d, lab, "192.0.2.51")
        assert bak0_addrs(lab) == ["192.0.2.51/24"]
        assert "Temp IP addr: 192.0.2.51  for peer on Interface: bak0" in d.sh("show dhcp lease").stdout
        with open(dnsmasq_log, errors="replace") as f:
            nak = f.read()[start:]
        assert re.search(r"DHCPNAK\(ngn0\) 192\.0\.2\.11 02:76:73:00:02:01", nak), nak[-3000:]
        log = d.log.read_text()
        lost = log.find("%DHCP-5-LEASE_LOST: Interface bak0: DHCP address 192.0.2.11 removed: "
                        "the server refused it (DHCPNAK)")
        assigned = log.find("Interface bak0 assigned DHCP address 192.0.2.51")
        assert 0 <= lost < assigned, log[-4000:]
    finally:
        lab.set_dhcp_host("rtrA")
        lab.set_sip_option("domain")
        ru.stop_clean(d)


@TIMER_BOUND
def test_lease_expires_without_server_and_comes_back(build, dhcp_lab, tmp_path):
    """A 2-minute lease (dnsmasq's shortest) and the server goes away: the
    address, its default route and the registration stay while the lease
    lasts (renewing and rebinding fail), then go when it expires, with a log
    line; the server back, everything comes back."""
    lab = dhcp_lab
    lab.set_sip_option("ipv4")
    lab.set_dhcp_router(True)
    lab.set_dhcp_host("rtrA", "192.0.2.11", "2m")
    stopped = False
    d = ru.start(build, lab, "rtrA", tmp_path, DHCP_CONF)
    try:
        labctl.wait_for(lambda: bak0_addrs(lab) == ["192.0.2.11/24"], 15, interval=0.1,
                        what="the lease")
        bound = time.monotonic()
        wait_registered_at(d, lab, "192.0.2.11")
        assert default_route(lab) == "default via 192.0.2.1 dev bak0 proto static"
        assert "Lease: 120 secs,  Renewal: 60 secs" in d.sh("show dhcp lease").stdout
        lab.stop_dnsmasq()
        stopped = True

        # past the renewal (60 s) and the rebinding (105 s) time: all still there
        time.sleep(max(0, bound + 108 - time.monotonic()))
        assert bak0_addrs(lab) == ["192.0.2.11/24"]
        assert default_route(lab) == "default via 192.0.2.1 dev bak0 proto static"
        assert reg_status(d) == "SIP registration of local number %s : registered 192.0.2.11" % NUMBER

        # the lease expires
        labctl.wait_for(lambda: bak0_addrs(lab) == [], bound + 140 - time.monotonic(), interval=0.2,
                        what=lambda: "the address gone at the lease's end\n" + d.log.read_text()[-3000:])
        assert time.monotonic() - bound > 110
        assert default_route(lab) == ""
        routes = d.sh("show ip route").stdout
        assert "Gateway of last resort is not set" in routes and "0.0.0.0/0" not in routes, routes
        labctl.wait_for(lambda: "not registered" in reg_status(d), 10, interval=0.2,
                        what="registration down")
        assert "Local address         : none" in d.sh("show vpn-sip sip").stdout
        lease = d.sh("show dhcp lease").stdout
        assert "Temp IP addr: 0.0.0.0  for peer on Interface: bak0" in lease, lease
        assert log_lines(d, r"%DHCP-5-LEASE_LOST: Interface bak0: DHCP address 192\.0\.2\.11 "
                            r"removed: the lease expired$"), d.log.read_text()[-3000:]
        assert re.search(r"^bak0\s+unassigned\s", d.sh("show ip interface brief").stdout, re.M)

        # the server comes back: so does everything
        lab.start_dnsmasq()
        stopped = False
        wait_registered_at(d, lab, "192.0.2.11", timeout=40)
        assert bak0_addrs(lab) == ["192.0.2.11/24"]
        labctl.wait_for(lambda: default_route(lab) != "", 5, what="the default route again")
        assert default_route(lab) == "default via 192.0.2.1 dev bak0 proto static"
    finally:
        if stopped:
            lab.start_dnsmasq()
        lab.set_dhcp_host("rtrA")
        lab.set_dhcp_router(False)
        lab.set_sip_option("domain")
        ru.stop_clean(d)
