"""The trailing "json" keyword of the show commands (docs/json.md): each
document parses with json.loads and says what the configuration and the
kernel say, and what the same command's text says.  vpnsipd in a fresh
namespace, both builds; no call (no SIP server)."""
import ipaddress
import json
import re
import time

import pytest

pytestmark = pytest.mark.netns

CONF = """hostname json-r1
interface Loopback0
 description router id
 ip address 10.21.1.1 255.255.255.255
!
interface Loopback1
 ip address 192.0.2.1 255.255.255.0
 ip address 198.18.7.1 255.255.255.0 secondary
!
interface Loopback2
 ip address 10.2.2.2 255.255.255.255
 shutdown
!
interface Loopback3
 ip address 10.3.3.3 255.255.255.255
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
interface Tunnel3
 ip unnumbered Loopback0
 tunnel source Loopback11
 tunnel mode ipsec ipv4
 tunnel destination dynamic
 tunnel protection ipsec profile IPROF ikev2-profile IPROF
 vpn-sip local-number 0311111111 remote-number 0333333333 bandwidth 512
!
vpn-sip enable
vpn-sip local-number 0311111111 address ipv4 Loopback0
vpn-sip tunnel source Loopback11
!
ip sla 9
 icmp-echo 10.21.1.1
  frequency 1
ip sla schedule 9 life forever start-time now
ip sla 10
 icmp-echo 10.21.1.1
!
track 5 interface Loopback3 line-protocol
 delay up 2 down 3
track 6 ip sla 9 state
track 7 ip sla 99 state
!
ip route 198.51.100.0 255.255.255.0 192.0.2.254
ip route 203.0.113.0 255.255.255.128 Loopback0 20
"""


def show_json(d, cmd):
    r = d.sh(cmd + " json")
    try:
        return json.loads(r.stdout)
    except ValueError as e:
        raise AssertionError("%s json: not JSON (%s):\n%s" % (cmd, e, r.stdout))


@pytest.fixture
def router(build, daemon_factory):
    return daemon_factory(build, CONF).start()


def test_vpn_sip_session(router):
    d = router
    doc = show_json(d, "show vpn-sip session")
    rows = doc["sessions"]
    assert [s["interface"] for s in rows] == ["Tunnel1", "Tunnel3"], doc
    t1 = rows[0]
    assert t1 == {
        "interface": "Tunnel1", "status": "READY_TO_CONNECT", "role": None,
        "uptimeSeconds": None, "remoteNumber": "0322222222", "localNumber": "0311111111",
        "remoteAddress": "0.0.0.0", "remotePort": 0, "localAddress": "10.21.1.1",
        "localPort": 0}, t1
    assert "cryptoConnHandle" not in t1  # detail fields only with detail
    # detail: the fields of the text, from the same session.
    text = d.sh("show vpn-sip session detail").stdout
    det = show_json(d, "show vpn-sip session detail")["sessions"]
    t1d, t3d = det
    assert t1d["bandwidthConfiguredKbps"] == 1000 and t1d["bandwidthNegotiatedKbps"] == 0
    assert t3d["bandwidthConfiguredKbps"] == 512 and t3d["remoteNumber"] == "0333333333"
    assert t1d["sipHandle"] == 0 and t1d["sipCallId"] == "" and t1d["servicePolicy"] is None
    # nothing failed yet: no last failure, no next attempt pending
    assert (t1d["lastFailure"], t1d["lastFailureTime"], t1d["nextAttemptSeconds"]) == (None,) * 3
    handles = re.findall(r"Crypto conn handle: 0x([0-9A-F]{8})", text)
    assert [int(h, 16) for h in handles] == [t1d["cryptoConnHandle"], t3d["cryptoConnHandle"]], text
    # The remote-number spellings select one session.
    for cmd in ("show vpn-sip session remote-number 0333333333",
                "show vpn-sip session remote-number 0333333333 detail",
                "show vpn-sip session detail remote-number 0333333333"):
        one = show_json(d, cmd)["sessions"]
        assert [s["interface"] for s in one] == ["Tunnel3"], (cmd, one)
        assert ("cryptoConnHandle" in one[0]) == ("detail" in cmd), (cmd, one)
    assert show_json(d, "show vpn-sip session remote-number 0300000000") == {"sessions": []}


def test_vpn_sip_registration_and_history(router):
    d = router
    doc = show_json(d, "show vpn-sip registration-status")
    text = d.sh("show vpn-sip registration-status").stdout
    assert "SIP registration of local number 0311111111 : not registered" in text, text
    [num] = doc["localNumbers"]
    assert num["number"] == "0311111111"
    assert num["registration"] == "not registered"
    state = d.sh("show vpn-sip sip").stdout
    m = re.search(r"Registration\s+: (\S+)", state)
    assert m and num["state"] == m.group(1), (num, state)
    assert num["reason"], num
    assert num["contact"] is None and num["expiresSeconds"] is None
    # A second local number: one row each, in configuration order.
    d.sh("configure terminal", "vpn-sip local-number 0388888888 address ipv4 Loopback0", "end")
    nums = [n["number"] for n in show_json(d, "show vpn-sip registration-status")["localNumbers"]]
    assert nums == ["0311111111", "0388888888"], nums

    hist = show_json(d, "show vpn-sip call-history")
    assert hist == {"keep": 200, "calls": []}, hist
    assert "up to 200 calls" in d.sh("show vpn-sip call-history").stdout
    assert show_json(d, "show vpn-sip call-history remote-number 0322222222")["calls"] == []


def kernel_link(d, dev):
    [link] = json.loads(d.netns.run("ip", "-j", "-s", "link", "show", "dev", dev).stdout)
    return link


def test_interfaces(router):
    d = router
    doc = show_json(d, "show interfaces")
    rows = {r["interface"]: r for r in doc["interfaces"]}
    for name in ("Loopback0", "Loopback1", "Loopback2", "Loopback3", "Loopback11", "Tunnel1", "Tunnel3"):
        assert name in rows, (name, sorted(rows))
    lo0 = rows["Loopback0"]
    assert lo0["status"] == "up" and lo0["lineProtocol"] == "up", lo0
    assert lo0["address"] == "10.21.1.1/32" and lo0["addressMethod"] == "manual"
    assert lo0["description"] == "router id" and lo0["hardware"] == "Loopback"
    link = kernel_link(d, lo0["linuxDevice"])
    assert lo0["ifindex"] == link["ifindex"] and lo0["mtu"] == link["mtu"], (lo0, link)
    assert lo0["counters"]["inputPackets"] <= link["stats64"]["rx"]["packets"]
    lo1 = rows["Loopback1"]
    assert lo1["address"] == "192.0.2.1/24" and lo1["secondaryAddresses"] == ["198.18.7.1/24"], lo1
    lo2 = rows["Loopback2"]
    assert lo2["status"] == "administratively down" and lo2["lineProtocol"] == "down", lo2
    t1 = rows["Tunnel1"]
    assert t1["hardware"] == "Tunnel" and t1["unnumbered"] == "Loopback0", t1
    # The text of the same command agrees, interface by interface.
    text = d.sh("show interfaces").stdout
    borrowed = t1["address"].split("/")[0] if t1["address"] else "unassigned"
    assert "Using address of Loopback0 (%s)\n" % borrowed in text, (t1, text)
    for name, r in rows.items():
        assert "%s is %s, line protocol is %s\n" % (name, r["status"], r["lineProtocol"]) in text, name
    # One interface, by an abbreviation; an unknown one is an error.
    one = show_json(d, "show interfaces lo1")["interfaces"]
    assert [r["interface"] for r in one] == ["Loopback1"], one
    r = d.sh("show interfaces Loopback77 json", check=False)
    assert "% Interface Loopback77 does not exist" in r.stdout + r.stderr


def test_ip_route(router):
    d = router
    doc = show_json(d, "show ip route")
    routes = {r["prefix"]: r for r in doc["routes"]}
    assert doc["gatewayOfLastResort"] is None, doc
    s1 = routes["198.51.100.0/24"]
    assert s1["code"] == "S" and s1["protocol"] == "static" and s1["distance"] == 1, s1
    assert s1["nexthops"] == [{"ip": "192.0.2.254", "interface": "Loopback1",
                               "directlyConnected": False}], s1
    s2 = routes["203.0.113.0/25"]
    assert s2["distance"] == 20 and s2["nexthops"][0]["interface"] == "Loopback0", s2
    assert s2["nexthops"][0]["directlyConnected"] and s2["nexthops"][0]["ip"] is None, s2
    conn = routes["192.0.2.0/24"]
    assert conn["protocol"] == "connected", conn
    # Every route the text lists is in the document, and the other way round.
    text = d.sh("show ip route").stdout
    listed = set(re.findall(r"^[A-Z*]+\s+(\d+\.\d+\.\d+\.\d+/\d+)", text, re.M))
    assert listed == set(routes), (listed, sorted(routes))
    # The kernel agrees on the static routes.
    kern = {r["dst"] for r in json.loads(d.netns.run("ip", "-j", "-4", "route", "show",
                                                      "proto", "static").stdout)}
    static = show_json(d, "show ip route static")["routes"]
    assert {str(ipaddress.ip_network(r["prefix"])) for r in static} == kern, (static, kern)
    assert {r["code"] for r in static} == {"S"}


def wait_json(d, cmd, ok, timeout=5):
    deadline = time.monotonic() + timeout
    while True:
        doc = show_json(d, cmd)
        if ok(doc) or time.monotonic() > deadline:
            return doc
        time.sleep(0.1)


def test_track(router):
    d = router
    # Loopback3 is up at once, but "delay up 2" holds track 5 down first.
    doc = show_json(d, "show track")
    t5 = doc["tracks"][0]
    if t5["state"] == "Down":
        assert t5["delayed"]["to"] == "Up" and t5["delayed"]["secondsRemaining"] <= 2, t5
    doc = wait_json(d, "show track", lambda doc: doc["tracks"][0]["state"] == "Up" and
                    doc["tracks"][1]["state"] == "Up")
    tracks = {t["id"]: t for t in doc["tracks"]}
    assert sorted(tracks) == [5, 6, 7], doc
    t5, t6, t7 = tracks[5], tracks[6], tracks[7]
    assert t5["type"] == "interface" and t5["interface"] == "Loopback3", t5
    assert t5["parameter"] == "line-protocol" and t5["state"] == "Up", t5
    assert t5["delayUpSeconds"] == 2 and t5["delayDownSeconds"] == 3, t5
    assert t5["delayed"] is None and t5["trackedBy"] == [], t5
    # ip sla 9 pings the router's own Loopback0: up, with an RTT.
    assert t6["type"] == "ip sla" and t6["sla"] == 9 and t6["state"] == "Up", t6
    assert t6["slaExists"] and t6["latestReturnCode"] == "OK", t6
    assert isinstance(t6["latestRttMs"], int), t6
    assert t7["sla"] == 99 and t7["state"] == "Down", t7
    assert t7["slaExists"] is False and t7["latestReturnCode"] is None, t7
    assert show_json(d, "show track 7")["tracks"] == [t7]
    text = d.sh("show track 7").stdout
    assert "State is Down" in text and "IP SLA 99 does not exist" in text, text
    # Shutting Loopback3 down: the track goes down after its 3 s delay.
    d.sh("configure terminal", "interface Loopback3", "shutdown", "end")
    t5 = wait_json(d, "show track 5", lambda doc: doc["tracks"][0]["delayed"])["tracks"][0]
    assert t5["state"] == "Up" and t5["delayed"]["to"] == "Down", t5
    assert 0 < t5["delayed"]["secondsRemaining"] <= 3, t5
    text = d.sh("show track 5").stdout
    assert "Line protocol is Up" in text and "Down delayed" in text, text
    r = d.sh("show track 77 json", check=False)
    assert "% Track object 77 does not exist" in r.stdout + r.stderr


def test_ip_sla_statistics(router):
    d = router
    doc = wait_json(d, "show ip sla statistics",
                    lambda doc: doc["operations"][0]["successes"] >= 2)
    ops = {o["id"]: o for o in doc["operations"]}
    assert sorted(ops) == [9, 10], doc
    o9, o10 = ops[9], ops[10]
    assert o9["latestReturnCode"] == "OK" and o9["successes"] >= 2 and o9["failures"] == 0, o9
    assert isinstance(o9["latestRttMs"], int) and o9["latestStart"].endswith("Z"), o9
    assert o9["running"] and o9["lifeForever"] and o9["timeToLiveSeconds"] is None, o9
    assert not o10["running"] and o10["timeToLiveSeconds"] == 0 and o10["successes"] == 0, o10
    assert o10["latestRttMs"] is None and o10["latestStart"] is None, o10
    text = d.sh("show ip sla statistics 10").stdout
    assert "Latest operation return code: %s" % o10["latestReturnCode"] in text, text
    assert show_json(d, "show ip sla statistics 10")["operations"] == [o10]
