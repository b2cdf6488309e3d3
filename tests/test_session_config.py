"""VPN-SIP configuration rules of issue 6 (no lab): VPN-SIP owns the tunnel
mode, source, destination and protection of its tunnels; one tunnel per
remote number; the tunnels' local number is the global one; vpn-sip tunnel
source; max-call-duration; the show commands without a call.  Both builds."""
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
    # Issue 9: a second global number is added (it does not replace the
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
