"""The operator's diagnostics of an IOS router: show vpn-sip session brief,
show policy-map interface json, clear counters with its [confirm] and the
offsets it keeps, show users and show history of the shells on the control
socket, show tech-support without secrets.  vpnsipd in a fresh namespace
(both builds), no SIP server; text and JSON read back and compared with
each other and with the kernel."""
import json
import re
import subprocess
import time

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


# ---- show policy-map interface json -----------------------------------------------

POLICIES = """class-map match-any VOICE
 match dscp ef cs5
 match protocol icmp
class-map match-all VIDEO
 match dscp af41
policy-map LLQ
 class VOICE
  priority percent 30
  set dscp ef
 class VIDEO
  bandwidth percent 40
policy-map CBWFQ
 class VIDEO
  bandwidth percent 60
  queue-limit 12 packets
interface Tunnel1
 ip address 192.0.2.1 255.255.255.0
interface Tunnel2
 ip address 198.51.100.1 255.255.255.0
 service-policy output CBWFQ
"""


def text_classes(text):
    """{class name: (pkts output, bytes output)} from the text, in order."""
    out = {}
    for block in text.split("Class-map: ")[1:]:
        m = re.search(r"\(pkts output/bytes output\) (\d+)/(\d+)", block)
        out[block.split()[0]] = (int(m[1]), int(m[2]))
    return out


def json_classes(classes):
    out = {}
    for c in classes:
        out[c["name"]] = (c["outputPackets"], c["outputBytes"])
        if c["servicePolicy"]:
            out.update(json_classes(c["servicePolicy"]["classes"]))
    return out


def test_policy_map_interface_json(build, daemon_factory):
    d = daemon_factory(build, POLICIES).start()
    d.sh("test qos vpn-sip attach Tunnel1 512 service-policy LLQ esp 36 16 16 12")
    d.netns.run("ping", "-c", "3", "-i", "0.2", "-W", "1", "192.0.2.7")
    text = d.sh("show policy-map interface").stdout
    doc = show_json(d, "show policy-map interface")
    assert [i["interface"] for i in doc["interfaces"]] == ["Tunnel1", "Tunnel2"], doc
    t1, t2 = doc["interfaces"]
    assert t1["servicePolicyOutput"] == "VPN-SIP-Tunnel1-Bandwidth" and t1["vpnSipBandwidth"]
    assert t1["applied"] is True
    [parent] = t1["classes"]
    assert parent["name"] == "class-default" and parent["matches"] == ["any"], parent
    assert parent["shape"] == {"cirBps": 512000, "bcBits": 2048, "beBits": 2048}, parent
    assert parent["targetShapeRateBps"] == 512000
    assert "      shape (average) cir 512000, bc 2048, be 2048\n" in text
    assert parent["set"]["dscp"] == "cs4" and "        dscp cs4\n" in text
    assert parent["overheadAccounting"] == {"fixedBytes": 36, "ivBytes": 16, "blockBytes": 16,
                                            "icvBytes": 12}, parent
    assert parent["espGsoCorrectionPerMille"] == 1000
    assert "shaping at 100.0% of the target" in text
    child = parent["servicePolicy"]
    assert child["name"] == "LLQ"
    leaves = {c["name"]: c for c in child["classes"]}
    voice, video = leaves["VOICE"], leaves["VIDEO"]
    assert voice["matchType"] == "match-any" and voice["matches"] == ["dscp ef (46) cs5 (40)",
                                                                      "protocol icmp"], voice
    assert voice["priority"] == {"percent": 30, "kbps": 153, "burstBytes": 3840,
                                 "exceedDrops": voice["totalDrops"]}, voice
    assert "Priority: 30% (153 kbps), burst bytes 3840" in text
    assert voice["set"]["dscp"] == "ef" and voice["bandwidth"] is None
    assert video["bandwidth"] == {"kind": "percent", "value": 40, "kbps": 204}, video
    assert "bandwidth 40% (204 kbps)" in text
    # the pings went to VOICE: the same counters in both forms
    assert voice["outputPackets"] == 3, voice
    tc = text_classes(text)
    js = json_classes(t1["classes"] + t2["classes"])
    assert tc["VOICE"] == js["VOICE"] and tc["VIDEO"] == js["VIDEO"], (tc, js)
    # a static policy without a shaping parent: its classes at the top
    assert t2["servicePolicyOutput"] == "CBWFQ" and not t2["vpnSipBandwidth"]
    [v2] = [c for c in t2["classes"] if c["name"] == "VIDEO"]
    assert v2["queueLimitPackets"] == 12 and v2["queueing"] and v2["servicePolicy"] is None
    kbps = int(re.search(r"bandwidth 60% \((\d+) kbps\)", text)[1])
    assert v2["bandwidth"] == {"kind": "percent", "value": 60, "kbps": kbps}, v2
    # one interface; an unknown one is an error, a bad word IOS's caret
    one = show_json(d, "show policy-map interface Tunnel2 output")
    assert [i["interface"] for i in one["interfaces"]] == ["Tunnel2"], one
    r = d.sh("show policy-map interface Loopback77 json", check=False)
    assert r.returncode == 1 and "% Interface Loopback77 not configured" in r.stdout, r
    invalid(d, "show policy-map interface Tunnel1 json extra")
    d.sh("test qos vpn-sip detach Tunnel1")
    assert [i["interface"] for i in show_json(d, "show policy-map interface")["interfaces"]] == \
        ["Tunnel2"]


# ---- clear counters ------------------------------------------------------------------

def counters_text(text, name):
    """(packets output, last clearing) of one interface in show interfaces."""
    block = text.split(name + " is ", 1)[1].split("\n\n", 1)[0]
    block = re.split(r"\n(?=\S)", block, 1)[0]
    out = re.search(r"(\d+) packets output", block)
    clear = re.search(r'Last clearing of "show interface" counters (\S+)', block)
    return int(out[1]), clear[1]


def kernel_tx(d, dev):
    [link] = json.loads(d.netns.run("ip", "-j", "-s", "link", "show", "dev", dev).stdout)
    return link["stats64"]["tx"]["packets"]


def send(d, n):
    """n packets out of Loopback1 (to an address of its subnet nobody has)."""
    d.netns.run("ping", "-c", str(n), "-i", "0.05", "-W", "0.1", "192.0.2.9")


def test_clear_counters(build, daemon_factory):
    d = daemon_factory(build, TUNNELS).start()
    send(d, 3)
    before = show_json(d, "show interfaces Loopback1")["interfaces"][0]
    assert before["counters"]["outputPackets"] >= 3 and before["lastClearingSecondsAgo"] is None
    assert counters_text(d.sh("show interfaces").stdout, "Loopback1")[1] == "never"
    # asked; "n" and a script that ends keep the counters
    d.sh("clear counters", "n")
    assert show_json(d, "show interfaces Loopback1")["interfaces"][0]["lastClearingSecondsAgo"] is None
    r = d.sh("clear counters Loopback1", check=False)
    assert r.returncode == 1 and ('% Not answered: Clear "show interface" counters on this '
                                  'interface [confirm]') in r.stderr, r
    # Return confirms: that interface only
    d.sh("clear counters Loopback1", "")
    lo1 = show_json(d, "show interfaces Loopback1")["interfaces"][0]
    assert lo1["counters"]["outputPackets"] == 0 and lo1["lastClearingSecondsAgo"] in (0, 1), lo1
    assert kernel_tx(d, lo1["linuxDevice"]) >= 3  # the kernel's are not reset
    text = d.sh("show interfaces").stdout
    pk, ago = counters_text(text, "Loopback1")
    assert pk == 0 and ago in ("00:00:00", "00:00:01"), text
    assert counters_text(text, "Loopback2")[1] == "never"
    # counting again from there, text and JSON alike
    send(d, 2)
    lo1 = show_json(d, "show interfaces Loopback1")["interfaces"][0]
    assert lo1["counters"]["outputPackets"] == 2, lo1
    assert counters_text(d.sh("show interfaces Loopback1").stdout, "Loopback1")[0] == 2
    time.sleep(1.1)
    assert counters_text(d.sh("show interfaces Loopback1").stdout, "Loopback1")[1] != "00:00:00"
    # all interfaces, without asking (scripts)
    d.sh("clear counters force")
    doc = show_json(d, "show interfaces")["interfaces"]
    present = [i for i in doc if i["devicePresent"]]
    assert present and all(i["lastClearingSecondsAgo"] in (0, 1) for i in present), doc
    assert all(i["counters"]["outputPackets"] == 0 for i in present
               if i["interface"].startswith("Loopback")), doc
    log = d.sh("show logging").stdout
    assert re.search(r"%CLEAR-5-COUNTERS: Clear counter on interface Loopback1 by root on "
                     r"vty\d+ \(pid \d+\)", log), log
    assert "%CLEAR-5-COUNTERS: Clear counter on all interfaces by root" in log, log
    # errors, and privilege 15 only
    r = d.sh("clear counters Loopback77", check=False)
    assert r.returncode == 1 and "% Interface Loopback77 does not exist" in r.stdout, r
    invalid(d, "clear counters Loopback1 now")
    invalid(d, "clear counters force", "disable")


# ---- show users, show history -----------------------------------------------------------

def users(d, *before):
    """{pid: (marked, line, user, priv, idle)} of show users."""
    lines = d.sh(*before, "show users").stdout.splitlines()
    assert lines[0].split() == ["Line", "User", "Priv", "Idle", "Location"], lines
    out = {}
    for ln in lines[1:]:
        m = re.match(r"([* ])   (vty\d+)\s+(\S+)\s+(\d+)  (\S+)\s+pid (\d+)$", ln)
        assert m, ln
        out[int(m[6])] = (m[1] == "*", m[2], m[3], int(m[4]), m[5])
    return out


def test_show_users_and_history(build, daemon_factory):
    d = daemon_factory(build, TUNNELS).start()
    other = subprocess.Popen([str(d.build / "vpnsipsh"), "-S", d.sock], stdin=subprocess.PIPE,
                             stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    try:
        deadline = time.monotonic() + 5
        while other.pid not in users(d) and time.monotonic() < deadline:
            time.sleep(0.05)
        time.sleep(1.1)
        listed = users(d)
        marked, line, user, priv, idle = listed[other.pid]
        assert not marked and user == "root" and priv == 15 and idle != "00:00:00", listed
        mine = [v for v in listed.values() if v[0]]
        assert len(mine) == 1 and mine[0][2] == "root" and mine[0][4] == "00:00:00", listed
        assert mine[0][1] != line
        # a script's own privilege after disable
        assert [v[3] for v in users(d, "disable").values() if v[0]] == [1]
        other.stdin.write("disable\n")
        other.stdin.flush()
        deadline = time.monotonic() + 5
        while users(d)[other.pid][3] != 1 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert users(d)[other.pid][3] == 1
    finally:
        other.stdin.close()
        other.wait(10)
    assert other.pid not in users(d)

    # the session's history: newest last, this command included
    r = d.sh("show version", "show clok", "show clock", "show history", check=False)
    assert r.stdout.endswith("  show version\n  show clok\n  show clock\n  show history\n"), r.stdout
    # secrets of a command are masked
    out = d.sh("configure terminal", "enable secret 0 Hist-Secret-31", "end", "show history").stdout
    assert "Hist-Secret-31" not in out and "  enable secret 0 *****\n" in out, out
    # IOS keeps 10 by default; terminal history size changes it
    cmds = ["show clock"] * 12 + ["show history"]
    assert d.sh(*cmds).stdout.count("  show clock\n") == 9
    out = d.sh("terminal history size 2", "show version", "show clock", "show history").stdout
    assert out.endswith("\n  show clock\n  show history\n") and "  show version\n" not in out, out
    assert d.sh("terminal history size 0", "show clock", "show history").stdout.count("show") == 0
    out = d.sh("terminal history size 0", "terminal no history size", "show history").stdout
    assert out == "  show history\n", out
    invalid(d, "terminal history size 257")
    invalid(d, "show users all")


# ---- show tech-support -------------------------------------------------------------

SECRETS = TUNNELS + """enable secret Ena-Secret-77
enable password Ena-Pass-66
vpn-sip sip-credentials username 0311111111 password Sip-Pass-88
crypto ikev2 keyring K
 peer P
  address 192.0.2.1
  pre-shared-key Psk-Value-99-long-enough
"""


def test_show_tech_support(build, daemon_factory):
    d = daemon_factory(build, SECRETS).start()
    hash9 = re.search(r"enable secret 9 (\S+)", d.sh("show running-config").stdout)[1]
    r = d.sh("show tech-support")
    out = r.stdout
    banners = re.findall(r"^------------------ (.+) ------------------$", out, re.M)
    for cmd in ("show version", "show running-config", "show interfaces", "show ip route",
                "show vpn-sip session detail", "show vpn-sip session brief", "show users",
                "show crypto session detail", "show policy-map interface", "show logging"):
        assert cmd in banners, (cmd, banners)
    assert out.startswith("------------------ show version ------------------\n\nvpnsip Software")
    # every section ran: none is refused or unknown
    assert "% Not available" not in out and "% Invalid" not in out, out
    # the sections are the commands' own output
    sections = dict(zip(banners, re.split(r"^------------------ .+ ------------------$", out,
                                          flags=re.M)[1:]))
    assert "Tunnel1      READY_TO_CONNECT" in sections["show vpn-sip session brief"]
    assert "Loopback1 is up, line protocol is up" in sections["show interfaces"]
    # no secret in any form
    for secret in ("Ena-Secret-77", "Ena-Pass-66", "Sip-Pass-88", "Psk-Value-99", hash9):
        assert secret not in out, secret
    run = sections["show running-config"]
    assert "pre-shared-key <removed>" in run and "enable secret 9 <removed>" in run, run
    assert "hostname diag-r1" in run
    # output modifiers work on the whole; privilege 15 only
    assert d.sh("show tech-support | include ^------------------ show clock").stdout == \
        "------------------ show clock ------------------\n"
    invalid(d, "show tech-support", "disable")
    invalid(d, "show tech-support now")
