"""VPN-SIP configuration commands (no lab): parsing, errors, the running
configuration they produce, secrets; and the show commands without SIP
server.  Both builds."""
import re

import pytest

pytestmark = pytest.mark.netns

CONF = """service password-encryption
interface Loopback1
 ip address 192.0.2.1 255.255.255.255
!
interface Tunnel1
 vpn-sip sip-local 0311111111 sip-remote 0322222222 bandwidth 512
!
interface Tunnel2
 vpn-sip local-number 0311111111 remote-number 0333333333 bandwidth 1000 service-policy CBWFQ
!
interface Tunnel3
!
vpn-sip enable
vpn-sip local-number 0311111111 address ipv4 Loopback1
vpn-sip logging
vpn-sip sip-server ipv4:192.0.2.1:5070
vpn-sip sip-domain example.ne.jp
vpn-sip sip-credentials username 0311111111 password s3cret-pw
vpn-sip request-uri sip
vpn-sip fingerprint hash sha256
vpn-sip registration expires 120
"""


def cfg(d, *lines):
    r = d.sh("configure terminal", *lines, "end", check=False)
    return r.stdout + r.stderr


def test_vpn_sip_config_round_trip(build, daemon_factory):
    d = daemon_factory(build, CONF).start()
    run = d.running_config()
    assert " vpn-sip local-number 0311111111 remote-number 0322222222 bandwidth 512\n" in run
    assert " vpn-sip local-number 0311111111 remote-number 0333333333 bandwidth 1000 " \
           "service-policy CBWFQ\n" in run
    for line in ["vpn-sip enable", "vpn-sip local-number 0311111111 address ipv4 Loopback1",
                 "vpn-sip logging", "vpn-sip sip-server ipv4:192.0.2.1:5070",
                 "vpn-sip sip-domain example.ne.jp", "vpn-sip request-uri sip",
                 "vpn-sip fingerprint hash sha256", "vpn-sip registration expires 120"]:
        assert "\n" + line + "\n" in run, line
    assert "s3cret-pw" not in run
    assert "vpn-sip sip-credentials username 0311111111 password 7 " in run
    assert "sip-local" not in run
    # The running config loads back to itself (type 7 included).
    d2 = daemon_factory(build, run.split("\n", 2)[-1] if run.startswith("Building") else run,
                        name="d2").start()
    assert d2.running_config() == run
    # show without a SIP peer: READY_TO_CONNECT sessions in tunnel order.
    out = d.sh("show vpn-sip session").stdout
    assert out.index("Interface: Tunnel1") < out.index("Interface: Tunnel2")
    assert out.count("Session status: READY_TO_CONNECT") == 2
    detail = d.sh("show vpn-sip session remote-number 0333333333 detail").stdout
    assert "Tunnel1" not in detail and "Configured/Negotiated bandwidth: 1000/0 kbps" in detail
    assert "SIP callID      : \n" in detail  # empty, as in the seed's READY_TO_CONNECT example
    # nothing answers on 192.0.2.1:5070: not registered, and why
    reg = d.sh("show vpn-sip registration-status").stdout.strip().split("\n")
    assert reg[0] == "SIP registration of local number 0311111111 : not registered", reg
    assert len(reg) == 2 and re.fullmatch(
        r"  Reason: (REGISTER sent, no final answer yet|local timeout: .+|\d{3} .+)", reg[1]), reg
    assert "0311111111" in d.sh("show vpn-sip sip").stdout
    # secrets never in the log
    d.sh("show logging")
    assert "s3cret-pw" not in d.log.read_text()


@pytest.mark.parametrize("lines,error", [
    (["interface Loopback1", "vpn-sip local-number 1 remote-number 2 bandwidth 64"],
     "% VPN-SIP can only be configured on Tunnel interfaces"),
    (["interface Tunnel3", "vpn-sip local-number 0311111111 remote-number 0322222222 bandwidth 64"],
     "% Remote number 0322222222 is already used by Tunnel1"),
    (["interface Tunnel3", "vpn-sip local-number 03x remote-number 0344444444 bandwidth 64"],
     "% Invalid local number 03x"),
    (["interface Tunnel3", "vpn-sip local-number 0311111111 remote-number 0344444444 bandwidth 100"],
     "% Bandwidth must be 64, 128, 256, 512 or 1000 kbps"),
    (["interface Tunnel3", "vpn-sip local-number 0311111111 remote-number 0344444444 bandwidth 2000"],
     "% Invalid input detected at '^' marker."),
    (["vpn-sip sip-server 192.0.2.1"], "% Invalid SIP server 192.0.2.1: use ipv4:A.B.C.D[:PORT]"),
    (["vpn-sip sip-server ipv4:192.0.2.1:0"], "% Invalid SIP server"),
    (["vpn-sip local-number abc address ipv4 Loopback1"], "% Invalid SIP number abc"),
    (["vpn-sip sip-credentials username u password 7 zz"], "% Invalid encrypted password"),
    (["vpn-sip registration expires 5"], "% Invalid input detected at '^' marker."),
])
def test_vpn_sip_config_errors(build, daemon_factory, lines, error):
    d = daemon_factory(build, CONF).start()
    before = d.running_config()
    out = cfg(d, *lines)
    assert error in out, out
    assert d.running_config() == before


def test_no_forms_and_unique_remote_after_removal(build, daemon_factory):
    d = daemon_factory(build, CONF).start()
    out = cfg(d, "interface Tunnel1", "no vpn-sip local-number",
              "interface Tunnel3",
              "vpn-sip local-number 0311111111 remote-number 0322222222 bandwidth 64",
              "exit", "no interface Tunnel2",
              "interface Tunnel4",
              "vpn-sip local-number 0311111111 remote-number 0333333333 bandwidth 128",
              "exit", "no vpn-sip sip-credentials", "no vpn-sip request-uri",
              "no vpn-sip fingerprint hash", "no vpn-sip registration expires",
              "no vpn-sip enable")
    assert "%" not in out, out
    run = d.running_config()
    import re
    assert not re.search(r"interface Tunnel1\n[^!]*vpn-sip", run)
    block = run[run.index("interface Tunnel3\n"):]
    block = block[:block.index("!")]
    assert " vpn-sip local-number 0311111111 remote-number 0322222222 bandwidth 64\n" in block
    assert "remote-number 0333333333 bandwidth 128" in run
    for gone in ["sip-credentials", "request-uri", "fingerprint hash", "registration expires",
                 "vpn-sip enable"]:
        assert gone not in run, gone
    out = d.sh("show vpn-sip session").stdout
    assert "Tunnel3" in out and "Tunnel4" in out and "Tunnel1" not in out
