"""QoS with the real daemon and the real kernel tc (both builds): the
commands and their running-config, the refusals, HTB/u32 programmed on a
veth and on a Tunnel (TUN) interface, the VPN-SIP implicit policy through
the hidden test hook (attach, in-place rate change, detach), counters of
"show policy-map interface" against "tc -s class show", removal on "no"
and on SIGTERM, and shaping accuracy measured with iperf3 between two
namespaces (the rate is read from the receiver's interface counters, not
from tc)."""
import json
import re
import signal
import subprocess
import sys
import time

import pytest

from conftest import Netns

pytestmark = pytest.mark.netns

POLICIES = """\
class-map match-all UDP
 match protocol udp
class-map match-any VOICE
 match dscp ef cs5
 match protocol icmp
class-map match-all VIDEO
 match dscp af41
policy-map CBWFQ
 class UDP
  bandwidth percent 60
  queue-limit 12 packets
policy-map LLQ
 class VOICE
  priority percent 30
  set dscp ef
 class VIDEO
  bandwidth percent 40
policy-map PARENT
 class class-default
  shape average 1000000
  service-policy LLQ
"""

EXPECTED_RC = """\
class-map match-all UDP
 match protocol udp
!
class-map match-all VIDEO
 match dscp af41
!
class-map match-any VOICE
 match dscp ef cs5
 match protocol icmp
!
policy-map CBWFQ
 class UDP
  bandwidth percent 60
  queue-limit 12 packets
!
policy-map LLQ
 class VOICE
  priority percent 30
  set dscp ef
 class VIDEO
  bandwidth percent 40
!
policy-map PARENT
 class class-default
  shape average 1000000
   service-policy LLQ
!
"""


def tc(ns, *args):
    r = ns.run("tc", *args)
    assert r.returncode == 0, r.stderr
    return r.stdout


def htb_classes(ns, dev):
    """{classid: (rate text, ceil text, prio)} from tc class show."""
    out = {}
    for line in tc(ns, "class", "show", "dev", dev).splitlines():
        m = re.match(r"class htb (\S+) .*?(?:prio (\d+) )?rate (\S+) (?:overhead \d+ )?ceil (\S+)",
                     line)
        if m:
            out[m[1]] = (m[3], m[4], m[2])
    return out


def class_sent(ns, dev):
    """{classid: (bytes, packets)} from tc -s class show."""
    out, cur = {}, None
    for line in tc(ns, "-s", "class", "show", "dev", dev).splitlines():
        m = re.match(r"class htb (\S+)", line)
        if m:
            cur = m[1]
        m = re.match(r"\s*Sent (\d+) bytes (\d+) pkt", line)
        if m and cur:
            out[cur] = (int(m[1]), int(m[2]))
    return out


def root_qdisc(ns, dev):
    return tc(ns, "qdisc", "show", "dev", dev).splitlines()[0]


def boot_policy_applied(d, dev):
    """The service-policy of the boot configuration is on dev (which existed
    before the daemon started) once the daemon answers: no re-apply."""
    assert "htb" in root_qdisc(d.netns, dev), (tc(d.netns, "qdisc", "show", "dev", dev),
                                                d.log.read_text()[-3000:])


def test_commands_and_running_config(build, daemon_factory):
    d = daemon_factory(build, POLICIES + "interface Tunnel1\n qos pre-classify\n").start()
    rc = d.running_config()
    assert EXPECTED_RC in rc
    assert "interface Tunnel1\n no ip address\n qos pre-classify\n!" in rc
    # write memory and a restart give the same text
    d.sh("write memory")
    d.stop()
    d.start()
    assert d.running_config() == rc
    # no forms
    d.sh("configure terminal", "policy-map LLQ", "class VIDEO", "no bandwidth", "exit",
         "no class VIDEO", "exit", "no class-map VIDEO", "interface Tunnel1",
         "no qos pre-classify", "end")
    rc2 = d.running_config()
    assert "VIDEO" not in rc2 and "qos pre-classify" not in rc2
    # refusals, each with a message and exit code 1, the config kept
    for cmds, msg in [
        (("configure terminal", "no class-map UDP"),
         "% Class-map UDP is being used by policy-map CBWFQ"),
        (("configure terminal", "no policy-map LLQ"),
         "% Policy-map LLQ is being used by policy-map PARENT"),
        (("configure terminal", "policy-map CBWFQ", "class NOPE"),
         "% class-map NOPE not configured"),
        (("configure terminal", "policy-map CBWFQ", "class UDP", "priority percent 10"),
         "% Cannot configure priority and bandwidth in the same class"),
        (("configure terminal", "policy-map LLQ", "class class-default", "bandwidth percent 71"),
         "% Sum of priority and bandwidth percentages in policy-map LLQ would exceed 100% (101%)"),
        (("configure terminal", "class-map match-all X", "match dscp ef 99"),
         "% Invalid DSCP value 99"),
        (("configure terminal", "interface GigabitEthernet8", "qos pre-classify"),
         "% qos pre-classify applies to Tunnel interfaces only"),
        (("configure terminal", "interface Tunnel1", "service-policy output NOPE"),
         "% policy map NOPE not configured"),
    ]:
        r = d.sh(*cmds, check=False)
        assert r.returncode == 1 and msg in r.stdout + r.stderr, (cmds, r.stdout, r.stderr)
    r = d.sh("configure terminal", "class-map match-all X", "match protocol gre", check=False)
    assert "% Invalid input detected at '^' marker." in r.stderr
    # IOS keeps the class entered before a refused line; nothing else changed
    assert d.running_config().replace("class-map match-all X\n!\n", "").replace(
        "  set dscp ef\n class class-default\n", "  set dscp ef\n").replace(
        "interface GigabitEthernet8\n no ip address\n!\n", "") == rc2
    # show commands
    out = d.sh("show policy-map CBWFQ").stdout
    assert out == ("  Policy Map CBWFQ\n    Class UDP\n      bandwidth 60 (%)\n"
                   "      queue-limit 12 packets\n\n")
    assert " Class Map match-all UDP (id " in d.sh("show class-map UDP").stdout


def veth_pair(a, b, rate_dev="vsqa0", peer_dev="vsqb0", net="198.51.100.0/24"):
    host = net.rsplit(".", 1)[0] + "."
    first = int(net.rsplit(".", 1)[1].split("/")[0])
    plen = net.split("/")[1]
    subprocess.run(["ip", "link", "add", rate_dev, "netns", a.name, "type", "veth", "peer",
                    "name", peer_dev, "netns", b.name], check=True)
    a.run("ip", "addr", "add", f"{host}{first + 1}/{plen}", "dev", rate_dev, check=True)
    b.run("ip", "addr", "add", f"{host}{first + 2}/{plen}", "dev", peer_dev, check=True)
    a.run("ip", "link", "set", rate_dev, "up", check=True)
    b.run("ip", "link", "set", peer_dev, "up", check=True)
    # one packet per skb, so that the receiver's counters see what the
    # shaper charged (no GSO super-packets with one header for many)
    a.run("ip", "link", "set", "dev", rate_dev, "gso_max_segs", "1", check=True)


@pytest.fixture
def peer():
    ns = Netns()
    yield ns
    # no pkill: it would match every iperf3 on the machine (network
    # namespaces do not separate processes); the tests end their own
    ns.delete()


def test_static_policy_on_veth_applied_removed_and_gone_on_sigterm(build, daemon_factory, peer):
    d = daemon_factory(build, POLICIES)
    veth_pair(d.netns, peer)
    d.start()
    ns = d.netns
    assert "htb" not in root_qdisc(ns, "vsqa0")
    d.sh("configure terminal", "interface vsqa0", "service-policy output PARENT", "end")
    time.sleep(0.2)
    cls = htb_classes(ns, "vsqa0")
    assert cls["1:1"][:2] == ("1Mbit", "1Mbit")
    assert cls["1:10"] == ("300Kbit", "1Mbit", "0")  # VOICE: priority 30%
    assert cls["1:11"] == ("400Kbit", "1Mbit", "1")  # VIDEO: 40%
    assert cls["1:12"] == ("300Kbit", "1Mbit", "2")  # class-default: the rest
    flt = tc(ns, "filter", "show", "dev", "vsqa0")
    assert "flowid 1:10" in flt and "match 00b80000/00fc0000 at 0" in flt  # dscp ef
    assert "flowid 1:11" in flt and "match 00880000/00fc0000 at 0" in flt  # dscp af41
    # a changed child policy is reprogrammed
    d.sh("configure terminal", "policy-map LLQ", "class VIDEO", "bandwidth percent 50", "end")
    time.sleep(0.2)
    assert htb_classes(ns, "vsqa0")["1:11"][0] == "500Kbit"
    assert htb_classes(ns, "vsqa0")["1:12"][0] == "200Kbit"
    # removing the line removes the qdiscs
    d.sh("configure terminal", "interface vsqa0", "no service-policy output", "end")
    time.sleep(0.2)
    assert "htb" not in root_qdisc(ns, "vsqa0")
    d.sh("configure terminal", "interface vsqa0", "service-policy output CBWFQ", "end")
    time.sleep(0.2)
    assert "htb" in root_qdisc(ns, "vsqa0")
    # a flat policy takes its percentages of the link (veth: 10 Gbit/s)
    assert htb_classes(ns, "vsqa0")["1:10"][0] == "6Gbit"
    d.signal(signal.SIGTERM)
    assert d.proc.wait(20) == 0
    assert "htb" not in root_qdisc(ns, "vsqa0")
    assert tc(ns, "class", "show", "dev", "vsqa0") == ""


def test_vpnsip_implicit_policy_on_a_tunnel(build, daemon_factory):
    d = daemon_factory(build, POLICIES + "interface Tunnel1\n ip address 192.0.2.1 255.255.255.0\n"
                       "interface Tunnel2\n ip address 192.0.2.129 255.255.255.128\n"
                       " service-policy output CBWFQ\n").start()
    ns = d.netns
    d.sh("test qos vpn-sip attach Tunnel1 512 service-policy LLQ esp 36 16 16 12")
    cls = htb_classes(ns, "Tunnel1")
    assert cls["1:1"][:2] == ("512Kbit", "512Kbit")
    assert cls["1:10"][0] == "153600bit"  # 30% of 512
    assert cls["1:11"][0] == "204800bit"  # 40%
    # the implicit policy is not in running-config
    assert "VPN-SIP" not in d.running_config()
    # traffic: ICMP goes to VOICE, counted at outer size (ESP table)
    ns.run("ping", "-c", "5", "-i", "0.2", "-W", "1", "192.0.2.7")
    sent = class_sent(ns, "Tunnel1")
    # 84-byte pings are 36 + 16 + 96 + 12 = 160 bytes outside: the size
    # table at the root (a TBF that splits GSO packets) gives 94, HTB's
    # rate tables add the constant 36 + 16 + 12 + 2 = 66 per packet
    assert "overhead 66" in tc(ns, "class", "show", "dev", "Tunnel1")
    assert "qdisc tbf 8000: root" in root_qdisc(ns, "Tunnel1")
    assert sent["1:10"] == (5 * (160 - 66), 5), sent
    show = d.sh("show policy-map interface Tunnel1 output").stdout
    assert show.startswith(" Tunnel1\n\n  Service-policy output: VPN-SIP-Tunnel1-Bandwidth\n\n"
                           "    Class-map: class-default (match-any)\n")
    assert "      QoS Set\n        dscp cs4\n" in show
    assert "      shape (average) cir 512000, bc 2048, be 2048\n      target shape rate 512000\n" in show
    assert "        Class-map: VOICE (match-any)\n" in show
    assert "          (pkts output/bytes output) 5/800\n" in show
    assert "          Priority: 30% (153 kbps)" in show
    assert "          bandwidth 40% (204 kbps)\n" in show
    # a new rate changes the classes in place: same qdisc, counters kept
    d.sh("test qos vpn-sip update Tunnel1 1000")
    cls = htb_classes(ns, "Tunnel1")
    assert cls["1:1"][:2] == ("1Mbit", "1Mbit") and cls["1:10"][0] == "300Kbit"
    assert class_sent(ns, "Tunnel1")["1:10"] == (5 * 94, 5)
    assert "shape (average) cir 1000000" in d.sh("show policy-map interface Tunnel1").stdout
    # a rekey to an SA with another ICV (HMAC-SHA256-128: 16) changes the
    # size table and the classes' overhead in place: same qdiscs, counters
    # kept
    d.sh("test qos vpn-sip esp Tunnel1 36 16 16 16")
    assert "overhead 70" in tc(ns, "class", "show", "dev", "Tunnel1")
    assert "overhead 66" not in tc(ns, "class", "show", "dev", "Tunnel1")
    assert class_sent(ns, "Tunnel1")["1:10"] == (5 * 94, 5)
    assert "qdisc tbf 8000: root" in root_qdisc(ns, "Tunnel1")
    ns.run("ping", "-c", "2", "-i", "0.2", "-W", "1", "192.0.2.7")
    # 84 bytes: 36 + 16 + 96 + 16 = 164 outside, 164 - 70 = 94 from the table
    assert class_sent(ns, "Tunnel1")["1:10"] == (7 * 94, 7)
    assert "ESP/GSO correction: shaping at 100.0% of the target" in \
        d.sh("show policy-map interface Tunnel1").stdout
    # absolute bandwidth in the child, now used by VPN-SIP, is refused
    r = d.sh("configure terminal", "policy-map LLQ", "class VIDEO", "bandwidth 100", check=False)
    assert r.returncode == 1
    assert "the bandwidth of a VPN-SIP session varies depending on the negotiation" in r.stdout
    # a static policy on the tunnel: the session fails with a log line
    r = d.sh("test qos vpn-sip attach Tunnel2 1000", check=False)
    assert r.returncode == 1 and "statically configured service-policy output CBWFQ" in r.stdout
    d.sh("show logging")
    assert re.search(r"%QOS-3-VPNSIP_FAIL: Tunnel2: VPN-SIP session fails: Tunnel2 has a "
                     r"statically configured service-policy output CBWFQ", d.log.read_text())
    assert "1:10" in htb_classes(ns, "Tunnel2")  # the static one stays
    # detach removes the qdiscs
    d.sh("test qos vpn-sip detach Tunnel1")
    assert "htb" not in root_qdisc(ns, "Tunnel1")
    assert d.sh("show policy-map interface Tunnel1").stdout == ""


def test_counters_match_tc(build, daemon_factory):
    d = daemon_factory(build, POLICIES + "interface Tunnel1\n ip address 192.0.2.1 255.255.255.0\n"
                       ).start()
    ns = d.netns
    d.sh("test qos vpn-sip attach Tunnel1 256 service-policy LLQ")
    # EF-marked UDP (VOICE) and AF41 UDP (VIDEO) and plain UDP (default)
    for tos, n in (("0xb8", 7), ("0x88", 4), ("0x00", 3)):
        for _ in range(n):
            ns.run("sh", "-c", f"ping -c 1 -W 0.1 -Q {tos} 192.0.2.9 >/dev/null")
    show = d.sh("show policy-map interface Tunnel1").stdout
    sent = class_sent(ns, "Tunnel1")
    blocks = show.split("Class-map: ")
    by_name = {b.split()[0]: b for b in blocks[1:]}
    for name, classid in (("VOICE", "1:10"), ("VIDEO", "1:11")):
        m = re.search(r"\(pkts output/bytes output\) (\d+)/(\d+)", by_name[name])
        assert (int(m[2]), int(m[1])) == sent[classid], (name, sent)
    # pings are ICMP: all in VOICE (match-any icmp) whatever their DSCP
    assert sent["1:10"][1] == 14
    m = re.search(r"Packets marked (\d+)", show)
    assert int(m[1]) >= 14 and int(m[1]) == sent["1:1"][1]


# ---- access lists (classified in nftables) --------------------------------------

ACL_POLICY = """ip access-list extended BULK
 remark the backup server's port 5005 is not bulk
 deny udp any host 198.51.100.2 eq 5005
 permit udp any 198.51.100.0 0.0.0.255 range 5000 5009
access-list 10 permit 198.51.100.1
class-map match-all BULK
 match access-group name BULK
class-map match-any SRC
 match access-group 10
class-map match-all NOLIST
 match access-group 150
policy-map ACLS
 class BULK
  bandwidth percent 20
 class SRC
  bandwidth percent 30
 class NOLIST
  bandwidth percent 10
interface vsqa0
 service-policy output ACLS
"""

SEND_UDP = """import socket, sys
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
s.bind((sys.argv[1], 0))
for _ in range(int(sys.argv[4])):
    s.sendto(b"x" * 100, (sys.argv[2], int(sys.argv[3])))
"""


def qos_table(ns):
    return ns.run("nft", "list", "table", "inet", "vpnsip_qos").returncode == 0


def test_access_group_classes_with_traffic(build, daemon_factory, peer):
    """match access-group: first match with deny (a denied packet goes on
    to the next class), standard and extended, named and numbered; an ACL
    edited live reclassifies without resetting the counters; an ACL that
    is not configured matches nothing and show says so; the nftables
    table goes with the policy and with the daemon."""
    d = daemon_factory(build, ACL_POLICY)
    veth_pair(d.netns, peer)
    ns = d.netns
    ns.run("ip", "addr", "add", "198.51.100.3/24", "dev", "vsqa0", check=True)
    d.start()
    boot_policy_applied(d, "vsqa0")
    deadline = time.monotonic() + 5
    while not qos_table(ns) and time.monotonic() < deadline:
        time.sleep(0.1)
    assert qos_table(ns), d.log.read_text()[-3000:]
    assert tc(ns, "filter", "show", "dev", "vsqa0") == ""  # no u32 filters

    def send(port, n, src="198.51.100.1"):
        ns.run(sys.executable, "-c", SEND_UDP, src, "198.51.100.2", str(port), str(n), check=True)

    def delta(before):
        now = class_sent(ns, "vsqa0")
        return {k: now[k][1] - before.get(k, (0, 0))[1] for k in now}

    send(5000, 1)  # ARP resolved before counting
    s0 = class_sent(ns, "vsqa0")
    send(5003, 7)                      # BULK (permit)
    send(5005, 5)                      # BULK's deny: on to SRC (access-list 10)
    send(6000, 3)                      # outside BULK's range: SRC
    send(6000, 4, src="198.51.100.3")  # neither: class-default
    time.sleep(0.3)
    got = delta(s0)
    assert (got["1:10"], got["1:11"], got["1:12"]) == (7, 8, 0), got
    assert got["1:13"] >= 4, got  # class-default (ARP too)

    show = d.sh("show policy-map interface vsqa0").stdout
    assert "Match: access-group name BULK\n" in show, show
    assert "Match: access-group 150 (not configured: matches nothing)" in show, show

    # the deny goes: port 5005 is BULK now; the tc classes (and counters) stay
    total = class_sent(ns, "vsqa0")["1:10"][1]
    d.sh("configure terminal", "ip access-list extended BULK",
         "no deny udp any host 198.51.100.2 eq 5005", "end")
    time.sleep(0.3)
    s1 = class_sent(ns, "vsqa0")
    assert s1["1:10"][1] == total, (total, s1)
    send(5005, 4)
    time.sleep(0.3)
    assert delta(s1)["1:10"] == 4, delta(s1)
    # access-list 150 appears: NOLIST takes its packets
    d.sh("configure terminal", "access-list 150 permit udp any any eq 7000", "end")
    time.sleep(0.3)
    s2 = class_sent(ns, "vsqa0")
    send(7000, 3, src="198.51.100.3")
    time.sleep(0.3)
    assert delta(s2)["1:12"] == 3, delta(s2)
    assert "not configured" not in d.sh("show policy-map interface vsqa0").stdout

    d.sh("configure terminal", "interface vsqa0", "no service-policy output", "end")
    time.sleep(0.3)
    assert not qos_table(ns)
    d.sh("configure terminal", "interface vsqa0", "service-policy output ACLS", "end")
    time.sleep(0.5)
    assert qos_table(ns)
    assert d.stop() == 0
    assert not qos_table(ns), "the classifier table outlived vpnsipd"


# ---- shaping accuracy ------------------------------------------------------------

RATES = [64, 128, 256, 512, 1000]
MODES = {
    "udp-1400": ["-u", "-b", "{offer}", "-l", "1400"],
    "udp-64": ["-u", "-b", "{offer}", "-l", "64"],
    "tcp-1400": ["-l", "1400"],
    "tcp-mss200": ["-M", "200", "-l", "1400"],
}


def rx(ns, dev):
    b = int(ns.run("cat", f"/sys/class/net/{dev}/statistics/rx_bytes").stdout)
    p = int(ns.run("cat", f"/sys/class/net/{dev}/statistics/rx_packets").stdout)
    return b, p


def window_for(kbps, mode):
    """Long enough for about 40 frames at the rate, 5 to 12 s."""
    frame = 1400 + 8 + 20 + 14 if mode.endswith("1400") else 64 + 42
    return min(12.0, max(5.0, 40 * frame * 8 / (kbps * 1000)))


def measure_all(a, b, links, mode, port):
    """The L2 rate (what the shaper counts on Ethernet) each receiver sees,
    over one window in the middle of saturating runs on every link at once:
    links are (kbps, sender's device, receiver's device, receiver's
    address).  The kernel shapes each veth on its own, and a few Mbit/s
    of iperf3 in all leave the CPU idle, so the links do not disturb each
    other (each rate measured alone gave the same figures)."""
    window = max(window_for(kbps, mode) for kbps, *_ in links)
    procs = []
    try:
        for i, (kbps, _, _, addr) in enumerate(links):
            procs.append(subprocess.Popen(["ip", "netns", "exec", b.name, "iperf3", "-s", "-1",
                                           "-p", str(port + i)],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        time.sleep(0.5)
        for i, (kbps, _, _, addr) in enumerate(links):
            args = [x.format(offer=f"{kbps * 3}k") for x in MODES[mode]]
            procs.append(subprocess.Popen(["ip", "netns", "exec", a.name, "iperf3", "-c", addr,
                                           "-p", str(port + i), "-t", str(int(window + 5)), *args],
                                          stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
        time.sleep(3)
        before = [rx(b, rdev)[0] for _, _, rdev, _ in links]
        t0 = time.monotonic()
        time.sleep(window)
        after = [rx(b, rdev)[0] for _, _, rdev, _ in links]
        t1 = time.monotonic()
    finally:
        # measured: the rest of the runs (-t is only the bound) would be waiting
        for p in procs:
            p.terminate()
        for p in procs:
            try:
                p.wait(20)
            except subprocess.TimeoutExpired:
                p.kill()
                p.wait()
    return [(b1 - b0) * 8 / (t1 - t0) for b0, b1 in zip(before, after)]


# The kernel shapes: the sanitizer build is measured at one rate.  Every
# rate has its own veth (198.51.100.8*i/29) and policy, measured at once.
@pytest.mark.serial
@pytest.mark.parametrize("build,rates", [("build", RATES), ("build/asan", [512])],
                         indirect=["build"], ids=["build", "build-asan"])
def test_shaping_accuracy(build, daemon_factory, peer, rates):
    conf, links = "", []
    for i, kbps in enumerate(rates):
        # a short queue keeps iperf3's control connection moving at 64 kbps
        conf += (f"policy-map S{kbps}\n class class-default\n  shape average {kbps * 1000}\n"
                 f"  queue-limit 16 packets\n")
        links.append((kbps, f"vsqa{i}", f"vsqb{i}", f"198.51.100.{8 * i + 2}"))
    for i, kbps in enumerate(rates):
        conf += f"interface vsqa{i}\n service-policy output S{kbps}\n"
    d = daemon_factory(build, conf)
    for i, (_, adev, bdev, _) in enumerate(links):
        veth_pair(d.netns, peer, adev, bdev, f"198.51.100.{8 * i}/29")
    d.start()
    for _, adev, _, _ in links:
        boot_policy_applied(d, adev)
    bad = []
    for i, mode in enumerate(MODES):
        for (kbps, *_), got in zip(links, measure_all(d.netns, peer, links, mode, 5201 + 10 * i)):
            ratio = got / (kbps * 1000)
            print(f"{kbps} kbps {mode}: {got / 1000:.1f} kbps ({ratio:.3f})")
            if not 0.95 <= ratio <= 1.05:
                bad.append((kbps, mode, round(got)))
    assert not bad, bad


def iperf_json_rate(text, first=3, last=8):
    """Mean received rate (bits/s) of intervals [first, last) of an iperf3
    server's JSON report."""
    data = json.loads(text)
    iv = data["intervals"][first:last]
    return sum(i["sum"]["bytes"] for i in iv) * 8 / sum(i["sum"]["seconds"] for i in iv)


# kernel scheduling: measured once, with the normal build
@pytest.mark.serial
@pytest.mark.parametrize("build", ["build"], indirect=True, ids=["build"])
def test_priority_and_cbwfq_under_congestion(build, daemon_factory, peer):
    d = daemon_factory(build, POLICIES + "interface vsqa0\n service-policy output PARENT\n")
    veth_pair(d.netns, peer)
    d.start()
    boot_policy_applied(d, "vsqa0")
    # three saturating UDP flows: EF (priority 30%), AF41 (40%), default
    servers, clients = [], []
    for port in (5301, 5302, 5303):
        servers.append(subprocess.Popen(["ip", "netns", "exec", peer.name, "iperf3", "-s", "-1",
                                         "-J", "-p", str(port)], stdout=subprocess.PIPE, text=True))
    time.sleep(0.5)
    for port, tos in ((5301, "0xb8"), (5302, "0x88"), (5303, "0x00")):
        clients.append(subprocess.Popen(["ip", "netns", "exec", d.netns.name, "iperf3", "-c",
                                         "198.51.100.2", "-p", str(port), "-u", "-b", "1M",
                                         "-l", "1000", "-S", tos, "-t", "10"],
                                        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL))
    try:
        for c in clients:
            c.wait(60)
        rates = [iperf_json_rate(s.communicate(timeout=60)[0]) for s in servers]
    finally:
        for p in clients + servers:
            if p.poll() is None:
                p.kill()
                p.wait()
    # payload to L2 (1000-byte payloads: 1042-byte frames)
    ef, af, be = (r * 1042 / 1000 for r in rates)
    print(f"EF {ef / 1000:.0f} kbps, AF41 {af / 1000:.0f} kbps, default {be / 1000:.0f} kbps")
    assert 0.9 * 300000 <= ef <= 1.1 * 300000, rates
    # the remaining 700 kbps split 40:30 between AF41 and class-default
    assert abs(af / (af + be) - 40 / 70) <= 0.1 * 40 / 70, rates
    assert 0.9 * 700000 <= af + be <= 1.05 * 700000, rates


FLOOD = """
import socket, sys, time
s = socket.socket(socket.AF_INET, socket.SOCK_DGRAM)
end, p = time.time() + float(sys.argv[2]), b'x' * (int(sys.argv[1]) - 28)
while time.time() < end:
    try:
        s.sendto(p, ('192.0.2.9', 9))
    except OSError:
        time.sleep(0.0005)
"""


@pytest.mark.serial
@pytest.mark.parametrize("size", [84, 1400])
def test_tunnel_outer_rate_with_esp_table(build, daemon_factory, size):
    """b=AS is the outer rate: with the AES-CBC/SHA1 size table the inner
    rate measured on the TUN, grown by the ESP-in-UDP formula, stays within
    5% of b=AS (the wire itself is measured once the data plane exists)."""
    kbps = 256
    d = daemon_factory(build, "interface Tunnel1\n ip address 192.0.2.1 255.255.255.0\n").start()
    d.sh(f"test qos vpn-sip attach Tunnel1 {kbps} esp 36 16 16 12")
    ns = d.netns
    flood = subprocess.Popen(["ip", "netns", "exec", ns.name, "python3", "-c", FLOOD, str(size),
                              "11"])
    try:
        time.sleep(3)

        def tx():
            return int(ns.run("cat", "/sys/class/net/Tunnel1/statistics/tx_bytes").stdout)
        b0, t0 = tx(), time.monotonic()
        time.sleep(6)
        b1, t1 = tx(), time.monotonic()
    finally:
        flood.wait(30)
    inner = (b1 - b0) * 8 / (t1 - t0)
    outer_len = 36 + 16 + (size + 2 + 15) // 16 * 16 + 12
    outer = inner * outer_len / size
    print(f"{size}: inner {inner:.0f} bps, outer {outer:.0f} bps")
    assert 0.95 <= outer / (kbps * 1000) <= 1.05, (inner, outer)
    # without the table the inner rate alone would be held at b=AS
    assert inner < 0.97 * kbps * 1000
