"""VPN-SIP configuration rules (no lab): VPN-SIP owns the tunnel
mode, source, destination and protection of its tunnels; one tunnel per
remote number; the tunnels' local number is the global one; vpn-sip tunnel
source; max-call-duration; the show commands without a call.  Both builds."""
import json
import re
import time

import pytest

pytestmark = pytest.mark.netns

CONF = """interface Loopback0
 ip address 10.21.1.1 255.255.255.255
!
interface Loopback11
 ip address 10.9.9.9 255.255.255.255
!
interface Tunnel1
 ip unnumbered Loopback0
 tunnel source Loopback11
 tunnel mode ipsec ipv4
 tunnel destination dynamic
 tunnel protection ipsec profile IPROF ikev2-profile IPROF
 vpn-sip local-number 0311111111 remote-number 0322222222 bandwidth 1000
!
interface Tunnel2
 ip unnumbered Loopback0
 tunnel source Loopback11
 tunnel mode ipsec ipv4
 tunnel destination dynamic
!
vpn-sip enable
vpn-sip local-number 0311111111 address ipv4 Loopback0
vpn-sip tunnel source Loopback11
vpn-sip logging
vpn-sip max-call-duration 3600
"""


def cfg(d, *lines):
    r = d.sh("configure terminal", *lines, "end", check=False)
    return r.stdout + r.stderr


def test_tunnel_owned_by_vpn_sip(build, daemon_factory):
    d = daemon_factory(build, CONF).start()
    run0 = d.running_config()
    for line in ("tunnel source Loopback0", "no tunnel source", "no tunnel mode",
                 "tunnel destination 192.0.2.99", "no tunnel destination",
                 "tunnel protection ipsec profile OTHER", "no tunnel protection"):
        out = cfg(d, "interface Tunnel1", line)
        assert "Tunnel1 carries VPN-SIP: remove its \"vpn-sip local-number\" line before " \
               "changing the tunnel" in out, (line, out)
    assert d.running_config() == run0
    # The same values again (a reload) are accepted.
    out = cfg(d, "interface Tunnel1", "tunnel source Loopback11", "tunnel mode ipsec ipv4",
              "tunnel destination dynamic", "tunnel protection ipsec profile IPROF ikev2-profile IPROF")
    assert "%" not in out, out
    # A tunnel without VPN-SIP is free; after "no vpn-sip" Tunnel1 is too.
    assert "%" not in cfg(d, "interface Tunnel2", "tunnel destination 192.0.2.99")
    out = cfg(d, "interface Tunnel1", "no vpn-sip local-number", "tunnel destination 192.0.2.98")
    assert "%" not in out, out
    assert "tunnel destination 192.0.2.98" in d.running_config()


def test_numbers_and_tunnel_source(build, daemon_factory):
    d = daemon_factory(build, CONF).start()
    # One tunnel per remote number.
    out = cfg(d, "interface Tunnel2",
              "vpn-sip local-number 0311111111 remote-number 0322222222 bandwidth 1000")
    assert "Remote number 0322222222 is already used by Tunnel1" in out, out
    # The tunnel's local number is the global one.
    out = cfg(d, "interface Tunnel2",
              "vpn-sip local-number 0399999999 remote-number 0333333333 bandwidth 1000")
    assert "The local number must be the global one (vpn-sip local-number 0311111111)" in out, out
    # A second global number is added (it does not replace the
    # first); a number a tunnel uses cannot be removed.
    out = cfg(d, "vpn-sip local-number 0388888888 address ipv4 Loopback0")
    assert "%" not in out, out
    out = cfg(d, "no vpn-sip local-number 0311111111")
    assert "Tunnel1 has VPN-SIP local number 0311111111" in out, out
    out = cfg(d, "no vpn-sip local-number 0388888888")
    assert "%" not in out, out
    run = d.running_config()
    assert "\nvpn-sip local-number 0311111111 address ipv4 Loopback0\n" in run
    assert "0388888888" not in run
    assert "\nvpn-sip tunnel source Loopback11\n" in run
    assert "\nvpn-sip max-call-duration 3600\n" in run
    out = cfg(d, "vpn-sip tunnel source GigabitEthernet1")
    assert "must be a Loopback interface" in out, out
    out = cfg(d, "vpn-sip max-call-duration 10")
    assert "%" in out
    # show without a call: READY_TO_CONNECT in the seed's layout; Tunnel2 (no
    # VPN-SIP) is not listed; the call history is empty.
    out = d.sh("show vpn-sip session detail").stdout
    assert "Interface: Tunnel1" in out and "Tunnel2" not in out, out
    assert "Session status: READY_TO_CONNECT\n" in out
    assert "Uptime" not in out
    hist = d.sh("show vpn-sip call-history").stdout
    assert hist.startswith("VPN-SIP call history") and len(hist.strip().splitlines()) == 2, hist


def test_tunnel_source_loopback_reserved(build, daemon_factory):
    """vpn-sip tunnel source LoopbackM reserves the loopback (the Cisco guide:
    "VPN-SIP listens to any updates to the interface and blocks them"): its
    address, shutdown, unnumbered, mtu and removal are refused with a clear
    message, the running configuration is unchanged; the same values again
    are accepted; once the reservation is removed, the changes go through.
    Another loopback is free all along."""
    d = daemon_factory(build, CONF).start()
    run0 = d.running_config()
    msg = 'Loopback11 is reserved as the VPN-SIP tunnel source: remove "vpn-sip tunnel source ' \
          'Loopback11" before '
    refused = {
        ("interface Loopback11", "ip address 10.9.9.10 255.255.255.255"): "changing its ip address",
        ("interface Loopback11", "no ip address"): "changing its ip address",
        ("interface Loopback11", "no ip address 10.9.9.9 255.255.255.255"): "changing its ip address",
        ("interface Loopback11", "ip address 10.9.8.1 255.255.255.0 secondary"): "changing its ip address",
        ("interface Loopback11", "ip unnumbered Loopback0"): "changing its ip unnumbered",
        ("interface Loopback11", "ip mtu 1400"): "changing its ip mtu",
        ("interface Loopback11", "shutdown"): "shutting it down",
        ("no interface Loopback11",): "removing it",
        ("no interface loopback 11",): "removing it",
    }
    for lines, tail in refused.items():
        out = cfg(d, *lines)
        assert "% " + msg + tail in out, (lines, out)
    assert d.running_config() == run0
    # The kernel still has the address and the device is up.
    ip = d.netns.run("ip", "-br", "addr", "show", "Loopback11").stdout
    assert "10.9.9.9/32" in ip and ip.split()[1] != "DOWN", ip
    # The same values again (a reload of the running configuration) pass.
    out = cfg(d, "interface Loopback11", "ip address 10.9.9.9 255.255.255.255", "no shutdown",
              "description reserved for VPN-SIP")
    assert "%" not in out, out
    # Another loopback is not reserved.
    out = cfg(d, "interface Loopback0", "ip address 10.21.1.2 255.255.255.255")
    assert "%" not in out, out
    # Without the reservation the loopback is an ordinary interface again.
    out = cfg(d, "no vpn-sip tunnel source", "interface Loopback11",
              "ip address 10.9.9.10 255.255.255.255", "shutdown")
    assert "%" not in out, out
    run = d.running_config()
    assert "vpn-sip tunnel source" not in run
    assert "interface Loopback11\n description reserved for VPN-SIP\n ip address 10.9.9.10 " \
           "255.255.255.255\n shutdown\n" in run, run
    out = cfg(d, "no interface Loopback11")
    assert "%" not in out, out
    # Reserving it again, then a first address on a new loopback is accepted
    # (the seed's example reserves the loopback before configuring it).
    out = cfg(d, "vpn-sip tunnel source Loopback12", "interface Loopback12",
              "ip address 10.9.9.12 255.255.255.255", "ip address 10.9.9.13 255.255.255.255")
    assert 'Loopback12 is reserved as the VPN-SIP tunnel source' in out, out
    assert "interface Loopback12\n ip address 10.9.9.12 255.255.255.255\n" in d.running_config()


# The seed's "show vpn-sip session detail" for a tunnel without a call
# (Troubleshooting, "Viewing Tunnel Interface in Show Output"), field by
# field and in its order; the values are this configuration's.
READY_DETAIL = [
    r"VPN-SIP session current status",
    r"Interface: Tunnel1",
    r"Session status: READY_TO_CONNECT",
    r"Remote number\s*: 0322222222",
    r"Local number\s*: 0311111111",
    r"Remote address:port: 0\.0\.0\.0:0",
    r"Local address:port : 10\.21\.1\.1:0",
    r"Crypto conn handle: 0x8[0-9A-F]{7}",
    r"SIP Handle\s*: 0x0",
    r"SIP callID\s*:",
    r"Configured/Negotiated bandwidth: 1000/0 kbps",
]


def test_show_session_ready_layout(build, daemon_factory):
    d = daemon_factory(build, CONF + """interface Tunnel3
 ip unnumbered Loopback0
 tunnel source Loopback11
 tunnel mode ipsec ipv4
 tunnel destination dynamic
 tunnel protection ipsec profile IPROF ikev2-profile IPROF
 vpn-sip local-number 0311111111 remote-number 0333333333 bandwidth 512 service-policy CHILD
""").start()
    detail = d.sh("show vpn-sip session detail").stdout
    blocks = detail.split("\nInterface: ")
    # Tunnel1, then Tunnel3 (IOS order); Tunnel2 has no VPN-SIP: not listed.
    assert [b.split("\n", 1)[0] for b in blocks[1:]] == ["Tunnel1", "Tunnel3"], detail
    lines = [l.strip() for l in (blocks[0] + "\nInterface: " + blocks[1]).splitlines() if l.strip()]
    assert len(lines) == len(READY_DETAIL), detail
    for line, pat in zip(lines, READY_DETAIL):
        assert re.fullmatch(pat, line), (pat, line, detail)
    t3 = [l.strip() for l in blocks[2].splitlines() if l.strip()]
    assert t3[-1] == "Configured/Negotiated bandwidth: 512/0 kbps", detail
    assert not any("Applied service policy" in l for l in t3), detail  # no call: none applied
    # Without detail: the first seven fields only (the seed's first example).
    brief = [l.strip() for l in d.sh("show vpn-sip session").stdout.split("\nInterface: Tunnel3")[0]
             .splitlines() if l.strip()]
    assert brief == lines[:7], brief
    # One remote number, both spellings of the seed and the issue.
    for cmd in ("show vpn-sip session remote-number 0333333333 detail",
                "show vpn-sip session detail remote-number 0333333333"):
        out = d.sh(cmd).stdout
        assert "Interface: Tunnel3" in out and "Tunnel1" not in out and "Crypto conn handle" in out, out
    out = d.sh("show vpn-sip session remote-number 0399999999").stdout
    assert out.strip() == "VPN-SIP session current status", out


IDLE_CRYPTO = """crypto ipsec transform-set TS esp-aes 256 esp-sha256-hmac
crypto ipsec profile IPROF
 set transform-set TS
 set security-association idle-time 60
"""


def idle_json(d):
    s = json.loads(d.sh("show vpn-sip session detail json").stdout)["sessions"][0]
    return s["idleTimeSeconds"], s["maxCallDurationSeconds"]


def test_no_idle_timer_is_never_silent(build, daemon_factory):
    """A VPN-SIP tunnel's calls end, when the traffic stops, only by the
    IPsec idle timer (Cisco makes it mandatory): a configuration that
    leaves one without gets a warning, and show says what ends its calls."""
    d = daemon_factory(build, IDLE_CRYPTO + CONF.replace("vpn-sip max-call-duration 3600\n", ""))
    d.start()
    out = d.sh("show vpn-sip session detail").stdout
    assert "Idle timer" not in out, out  # the seed's layout while all is well
    assert idle_json(d) == (60, None)
    # the profile loses its idle time (no global one): warned, shown
    out = cfg(d, "crypto ipsec profile IPROF", "no set security-association idle-time")
    assert re.search(r"% Warning: Tunnel1: no IPsec security-association idle-time now: a "
                     r"VPN-SIP call ends only by \"vpn-sip max-call-duration\" or \"clear "
                     r"vpn-sip session\"", out), out
    out = d.sh("show vpn-sip session detail").stdout
    assert ("  Idle timer      : none (IPsec profile IPROF sets no security-association "
            "idle-time: a call lasts until clear vpn-sip session)\n") in out, out
    assert idle_json(d) == (None, None)
    # the VPN-SIP line on such a tunnel is warned too
    out = cfg(d, "interface Tunnel1", "no vpn-sip local-number",
              "vpn-sip local-number 0311111111 remote-number 0322222222 bandwidth 1000")
    assert "% Warning: Tunnel1: IPsec profile IPROF sets no security-association idle-time" \
        in out, out
    # a global idle time covers it: no warning, shown; max-call-duration shown
    out = cfg(d, "crypto ipsec security-association idle-time 120", "vpn-sip max-call-duration 600")
    assert "%" not in out, out
    out = d.sh("show vpn-sip session detail").stdout
    assert "Idle timer" not in out, out
    assert idle_json(d) == (120, 600)
    # removing the global one again warns; a tunnel without VPN-SIP is not named
    out = cfg(d, "no crypto ipsec security-association idle-time")
    assert "% Warning: Tunnel1: no IPsec" in out and "Tunnel2" not in out, out
    assert ("idle-time: a call lasts until max-call-duration (600 s) or clear vpn-sip "
            "session)") in d.sh("show vpn-sip session detail").stdout


UNREG_CONF = CONF + """ip route 198.51.100.0 255.255.255.0 Tunnel1
vpn-sip sip-server ipv4:10.21.1.1:5070
vpn-sip sip-domain example.ne.jp
"""


def wait_log(d, pattern, timeout=10):
    deadline = time.monotonic() + timeout
    while True:
        m = re.search(pattern, d.log.read_text(), re.M)
        if m:
            return m
        assert time.monotonic() < deadline, "no %r in the log:\n%s" % (pattern, d.log.read_text()[-3000:])
        time.sleep(0.2)


def test_traffic_while_unregistered_says_why(build, daemon_factory):
    """Nothing listens at the SIP server's port: the registration fails as
    a timeout of our own (not a "503 Service Unavailable" that reads as
    the carrier's); traffic into the tunnel places no call and says why
    at warning level, once per reason, and show session detail has the
    last failure and when the next attempt may come."""
    d = daemon_factory(build, UNREG_CONF.replace("vpn-sip logging\n", "")).start()
    wait_log(d, r"%SIP-4-REG_FAIL: Registration of 0311111111 failed: local timeout: "
                r"registrar unreachable( \(.+\))?; retry in \d+ s", timeout=40)
    log = d.log.read_text()
    assert not re.search(r"REG_FAIL.*\b503 Service Unavailable", log), log[-2000:]
    reg = d.sh("show vpn-sip registration-status").stdout
    assert re.search(r"^  Reason: local timeout: registrar unreachable( \(.+\))?$", reg, re.M), reg
    assert re.search(r"Registration\s+: failed \(last attempt: local timeout: registrar "
                     r"unreachable", d.sh("show vpn-sip sip").stdout)
    doc = json.loads(d.sh("show vpn-sip registration-status json").stdout)["localNumbers"][0]
    assert doc["lastLocal"] is True and doc["lastStatus"] is None, doc

    d.netns.run("ping", "-n", "-c", "2", "-i", "0.3", "-W", "1", "198.51.100.1")
    line = (r"%VPN_SIP-4-CALL_FAIL: Tunnel1: no call to 0322222222: not registered \(local "
            r"timeout: registrar unreachable( \(.+\))?\)$")
    wait_log(d, line)
    out = d.sh("show vpn-sip session detail").stdout
    assert "Session status: READY_TO_CONNECT" in out, out
    assert re.search(r"^  Last failure: \d{4}-\d\d-\d\d \d\d:\d\d:\d\d UTC not registered \(local "
                     r"timeout: registrar unreachable( \(.+\))?\)$", out, re.M), out
    assert re.search(r"^  Next attempt in: [1-5] s \(on traffic into Tunnel1\)$", out, re.M), out
    s = json.loads(d.sh("show vpn-sip session detail json").stdout)["sessions"][0]
    assert s["lastFailure"].startswith("not registered (local timeout: "), s
    assert re.fullmatch(r"\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z", s["lastFailureTime"]), s
    assert 1 <= s["nextAttemptSeconds"] <= 5, s
    # more traffic, for longer than the back-off: the same reason, said once
    d.netns.run("ping", "-n", "-c", "14", "-i", "0.5", "-W", "1", "198.51.100.1")
    log = d.log.read_text()
    assert len(re.findall(line, log, re.M)) == 1, log[-3000:]
    # ... though the trigger came back after the back-off (a newer failure)
    s2 = json.loads(d.sh("show vpn-sip session detail json").stdout)["sessions"][0]
    assert s2["lastFailureTime"] > s["lastFailureTime"], (s, s2)
    out = d.sh("show vpn-sip session detail").stdout
    assert re.search(r"^  Next attempt(: on traffic into Tunnel1, or vpn-sip call interface "
                     r"Tunnel1| in: [1-5] s \(on traffic into Tunnel1\))$", out, re.M), out
