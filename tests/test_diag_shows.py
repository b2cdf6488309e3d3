"""The operator's diagnostics of an IOS router: show vpn-sip session brief.
vpnsipd in a fresh namespace (both builds), no SIP server; text and JSON
read back and compared with each other and with the kernel."""
import json
import re

import pytest

pytestmark = pytest.mark.netns

TUNNELS = """hostname diag-r1
interface Loopback0
 ip address 10.21.1.1 255.255.255.255
!
interface Loopback1
 ip address 192.0.2.1 255.255.255.0
!
interface Loopback2
 ip address 198.18.7.1 255.255.255.0
!
interface Tunnel1
 ip unnumbered Loopback0
 tunnel source Loopback0
 tunnel mode ipsec ipv4
 tunnel destination dynamic
 vpn-sip local-number 0311111111 remote-number 0322222222 bandwidth 1000
!
interface Tunnel3
 ip unnumbered Loopback0
 tunnel source Loopback0
 tunnel mode ipsec ipv4
 tunnel destination dynamic
 vpn-sip local-number 0311111111 remote-number 0333333333 bandwidth 512
!
vpn-sip enable
vpn-sip local-number 0311111111 address ipv4 Loopback0
vpn-sip tunnel source Loopback0
"""


def show_json(d, cmd):
    r = d.sh(cmd + " json")
    try:
        return json.loads(r.stdout)
    except ValueError as e:
        raise AssertionError("%s json: not JSON (%s):\n%s" % (cmd, e, r.stdout))


def invalid(d, cmd, *before):
    """cmd fails with IOS's caret error."""
    r = d.sh(*before, cmd, check=False)
    assert r.returncode == 1 and "% Invalid input detected at '^' marker." in r.stderr, (cmd, r)
    return r


# ---- show vpn-sip session brief -----------------------------------------------------

def test_session_brief(build, daemon_factory):
    d = daemon_factory(build, TUNNELS).start()
    lines = d.sh("show vpn-sip session brief").stdout.splitlines()
    assert lines[0].split() == ["Interface", "Status", "Remote", "number", "Peer", "Kbps",
                                "cfg/neg", "Uptime"], lines
    rows = [ln.split() for ln in lines[1:]]
    assert rows == [["Tunnel1", "READY_TO_CONNECT", "0322222222", "-", "1000/0", "-"],
                    ["Tunnel3", "READY_TO_CONNECT", "0333333333", "-", "512/0", "-"]], lines
    doc = show_json(d, "show vpn-sip session brief")
    assert doc == {"sessions": [
        {"interface": "Tunnel1", "status": "READY_TO_CONNECT", "role": None,
         "remoteNumber": "0322222222", "peer": None, "bandwidthConfiguredKbps": 1000,
         "bandwidthNegotiatedKbps": 0, "uptimeSeconds": None},
        {"interface": "Tunnel3", "status": "READY_TO_CONNECT", "role": None,
         "remoteNumber": "0333333333", "peer": None, "bandwidthConfiguredKbps": 512,
         "bandwidthNegotiatedKbps": 0, "uptimeSeconds": None}]}, doc
    # the same sessions as the full form
    full = show_json(d, "show vpn-sip session detail")["sessions"]
    assert [(s["interface"], s["status"], s["remoteNumber"], s["bandwidthConfiguredKbps"])
            for s in full] == [(s["interface"], s["status"], s["remoteNumber"],
                                s["bandwidthConfiguredKbps"]) for s in doc["sessions"]]
    # a tunnel removed goes from the brief list too
    d.sh("configure terminal", "no interface Tunnel3", "end")
    assert [s["interface"] for s in show_json(d, "show vpn-sip session brief")["sessions"]] == \
        ["Tunnel1"]
    r = invalid(d, "show vpn-sip session brief detail")
    assert r.stderr.splitlines()[1].index("^") == len("show vpn-sip session brief "), r.stderr
