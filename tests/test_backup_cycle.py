"""The whole backup cycle with real parts: two vpnsipd (rtrA,
rtrB), real Kamailio, real IP SLA probes, real TUNs and user-space ESP.

Both routers are configured like the seed's VPN-SIP example: an IP SLA ICMP
echo over the primary path (to the other router's primary address, so a
failure of rtrA's primary is seen by both), a track object, the primary
static route to the other LAN through the primary next hop with `track 1`,
the floating route through Tunnel1 with distance 254, and Tunnel1 as a
VPN-SIP sVTI with a PSK keyring by SIP numbers and tunnel protection.

  primary up        -> lanA -> lanB the primary way, no call (no INVITE);
  primary blackholed -> both tracks down, the Tunnel1 routes installed,
                       lanA's traffic triggers the call (INVITE in Kamailio's
                       CDR), IKE comes up, the ping goes through the tunnel;
  primary restored  -> the routes fall back, the tunnel carries nothing,
                       the SA idle timer (60 s, the smallest allowed) expires,
                       the SA is deleted, BYE, the call ends in the CDR.

The teardown order (SA delete before BYE) is tested with the session
orchestrator (src/vpnsip); here both must happen and the call must end.
A second test stops both daemons with SIGTERM during a backup session and
compares each router's kernel state with the state before the daemon ran."""
import os
import re
import sys
import time

import pytest

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lab"))
sys.path.insert(0, HERE)
import labctl  # noqa: E402
from lib import routing_util as ru  # noqa: E402
from lib.vpnsip_conf import Peer, lab_router_config  # noqa: E402
from conftest import TIMER_BOUND  # noqa: E402

pytestmark = pytest.mark.netns

bclab = labctl.lab_fixture(routers=2, name="bclab")

PSK = "vpnsip-backup-cycle-key-0123456789"
IDLE = 60  # set security-association idle-time: the model's minimum
ROUTERS = {
    # node: (tunnel address, its LAN, the peer's LAN, primary next hop, probe target)
    "rtrA": ("10.255.0.1", "203.0.113.0", "203.0.113.8", "198.51.100.5", "198.51.100.10"),
    "rtrB": ("10.255.0.2", "203.0.113.8", "203.0.113.0", "198.51.100.9", "198.51.100.6"),
}
HOST_B = "203.0.113.10"


def router_config(lab, node, extra=""):
    peer = "rtrB" if node == "rtrA" else "rtrA"
    tun, _, peer_lan, nexthop, probe = ROUTERS[node]
    return lab_router_config(
        lab, node, peer, tun, keyring=[Peer(peer, PSK, key_id=lab.number(peer))],
        ipsec_extra=f" set security-association idle-time {IDLE}\n",
        tail=f"""ip sla 1
 icmp-echo {probe} source-interface wan0
  threshold 500
  timeout 500
  frequency 1
ip sla schedule 1 life forever start-time now
track 1 ip sla 1 reachability
ip route {peer_lan} 255.255.255.248 {nexthop} track 1
ip route {peer_lan} 255.255.255.248 Tunnel1 254
{extra}""")


def kernel_state(lab, node):
    """What a daemon may change in a router's namespace, as text."""
    def run(*cmd):
        return lab.exec(node, *cmd).stdout

    links = sorted(l.split()[0].split("@")[0] for l in run("ip", "-br", "link").splitlines())
    return {
        "links": links,
        "addresses": run("ip", "-br", "addr"),
        "routes": run("ip", "route", "show", "table", "all"),
        "rules": run("ip", "rule"),
        "nft": run("nft", "list", "ruleset"),
        "qdiscs": run("tc", "qdisc", "show"),
    }


class Routers:
    def __init__(self, build, lab, tmp_path, extra=None):
        self.build, self.lab = build, lab
        extra = extra or {}
        self.before = {n: kernel_state(lab, n) for n in ROUTERS}
        self.d = {}
        for n in ROUTERS:
            self.d[n] = ru.start(build, lab, n, tmp_path, router_config(lab, n, extra.get(n, "")))

    def log(self, node):
        return self.d[node].log.read_text(errors="replace")

    def logs(self):
        return "\n".join("--- %s\n%s" % (n, self.log(n)[-3000:]) for n in ROUTERS)

    def sh(self, node, *cmds):
        return self.d[node].sh(*cmds, check=False).stdout

    def wait_log(self, node, pattern, timeout):
        return labctl.wait_for(lambda: re.search(pattern, self.log(node)), timeout=timeout,
                               interval=0.1, what="%s log /%s/\n%s" % (node, pattern, self.logs()))

    def route_dev(self, node):
        """The device the kernel uses for the other LAN's host (.2 of it)."""
        net = ROUTERS[node][2].split(".")
        return ru.route_dev(self.lab, node, ".".join(net[:3] + [str(int(net[3]) + 2)]))

    def esp_counters(self, node):
        out = self.sh(node, "show crypto ipsec sa interface Tunnel1")
        enc = re.search(r"#pkts encaps: (\d+)", out)
        dec = re.search(r"#pkts decaps: (\d+)", out)
        return (int(enc.group(1)) if enc else 0, int(dec.group(1)) if dec else 0)

    def stop(self):
        """SIGTERM both; each must exit 0 (no sanitizer report, no leak)."""
        for n in ROUTERS:
            self.d[n].stop()
        problems = [p for n in ROUTERS for p in self.d[n].problems]
        assert not problems, "\n\n".join(problems)

    def assert_clean(self):
        for n in ROUTERS:
            after = kernel_state(self.lab, n)
            for k, v in self.before[n].items():
                assert after[k] == v, "%s: %s left behind after SIGTERM:\nbefore:\n%s\nafter:\n%s" % (
                    n, k, v, after[k])


EVENTS = re.compile(r"^\w{3} +\d+ (\d\d):(\d\d):(\d\d\.\d+): (%(?:TRACK-6-STATE|IPSEC-6-TRIGGER|"
                    r"VPN_SIP-\d-(?:CALL_\w+|NEGOTIATED|SESSION_UP)|CRYPTO-5-SESSION_STATUS|"
                    r"IPSEC-5-IDLE)\S*: .*)$", re.M)


def log_events(r, t_wall0):
    """The daemons' own log lines for the cycle, as seconds after t_wall0
    (the log carries the local time of day)."""
    lt = time.localtime(t_wall0)
    day0 = lt.tm_hour * 3600 + lt.tm_min * 60 + lt.tm_sec + (t_wall0 % 1)
    ev = []
    for n in ROUTERS:
        for m in EVENTS.finditer(r.log(n)):
            t = int(m.group(1)) * 3600 + int(m.group(2)) * 60 + float(m.group(3)) - day0
            ev.append((t, "%s %s" % (n, m.group(4)[:110])))
    return sorted(ev)


def our_cdr(lab, since):
    a, b = lab.number("rtrA"), lab.number("rtrB")
    return [r for r in lab.cdr() if r["ts"] >= since and {r.get("from"), r.get("to")} == {a, b}]


def wait_registered(r):
    labctl.wait_for(lambda: all(": registered" in r.sh(n, "show vpn-sip registration-status")
                                for n in ROUTERS),
                    timeout=15, what="both registered\n" + r.logs())


def fail_and_switch(r, lab, tl):
    lab.fail_primary("rtrA", drop=True)
    t_fail = tl.mark("primary path of rtrA failed (blackholed in inet)")
    for n in ROUTERS:
        labctl.wait_for(lambda: r.route_dev(n) == "Tunnel1", timeout=4, interval=0.02,
                        what="%s: the floating route through Tunnel1\n%s" % (n, r.logs()))
        t = tl.mark("%s: track 1 down, route to the other LAN via Tunnel1 (distance 254)" % n)
    return t_fail, t


@TIMER_BOUND
def test_backup_cycle_vpnsip(build, bclab, tmp_path):
    lab = bclab
    lab.restore_primary()
    t_wall0 = time.time()
    tl = ru.Timeline("backup cycle with VPN-SIP (%s)" % build.name)
    r = Routers(build, lab, tmp_path)
    try:
        tl.mark("vpnsipd started on rtrA and rtrB")
        wait_registered(r)
        tl.mark("both SIP numbers registered with Kamailio")
        for n in ROUTERS:
            labctl.wait_for(lambda: r.route_dev(n) == "wan0", timeout=5,
                            what="%s: the primary route" % n)
        tl.mark("tracks up: primary routes via wan0 on both")
        assert ru.static_routes(lab, "rtrA") == ["203.0.113.8/29 via 198.51.100.5 dev wan0"]

        # Primary up: the primary way, no call.
        tx0 = ru.tx_packets(lab, "rtrA", "Tunnel1")
        assert lab.ping("lanA", HOST_B, count=3)
        assert ru.tx_packets(lab, "rtrA", "Tunnel1") == tx0
        time.sleep(0.5)
        assert our_cdr(lab, t_wall0) == [], lab.cdr()
        assert "CALL_OUT" not in r.log("rtrA") and "TRIGGER" not in r.log("rtrA")
        assert "SESSION_UP" not in r.sh("rtrA", "show vpn-sip session detail")
        tl.mark("lanA -> lanB via the primary path: no INVITE, Tunnel1 idle")

        # The primary fails: tracks down, floating routes, the call.
        t_fail, t_switch = fail_and_switch(r, lab, tl)
        # threshold/timeout 500 ms, frequency 1 s: within one period plus
        # the timeout, plus scheduling slack
        assert t_switch - t_fail < 3.0, tl.dump()
        track = r.sh("rtrA", "show track 1")
        assert "Reachability is Down" in track, track
        out = r.sh("rtrA", "show ip route 203.0.113.10")
        assert 'Known via "static", distance 254' in out and "via Tunnel1" in out, out

        ok = labctl.wait_for(lambda: lab.ping("lanA", HOST_B, count=1, wait=1), timeout=40,
                             what="ping through the VPN-SIP tunnel\n" + r.logs())
        assert ok
        t_up = tl.mark("lanA reaches lanB through the VPN-SIP tunnel")
        start = [c for c in our_cdr(lab, t_wall0) if c["event"] == "START"]
        assert len(start) == 1, lab.cdr()
        assert start[0]["from"] == lab.number("rtrA") and start[0]["to"] == lab.number("rtrB")
        call_id = start[0]["callid"]
        ans = lab.wait_cdr(call_id, "ANSWER")
        tl.mark("Kamailio CDR: INVITE %s -> %s at +%.3f s, answered at +%.3f s" % (
            start[0]["from"], start[0]["to"], start[0]["ts"] - t_wall0, ans["ts"] - t_wall0))
        assert "TRIGGER: Tunnel1" in r.log("rtrA")
        for n in ROUTERS:
            assert "Crypto tunnel is UP" in r.log(n), r.logs()
        assert "UP-ACTIVE" in r.sh("rtrA", "show crypto session detail")
        enc0, dec0 = r.esp_counters("rtrA")
        assert lab.ping("lanA", HOST_B, count=5, wait=1)
        enc1, dec1 = r.esp_counters("rtrA")
        assert enc1 - enc0 >= 5 and dec1 - dec0 >= 5, (enc0, dec0, enc1, dec1)
        tl.mark("tunnel counters on rtrA: %d encaps, %d decaps" % (enc1, dec1))

        # The primary comes back: the routes fall back, the tunnel idles out.
        lab.restore_primary("rtrA")
        t_restore = tl.mark("primary path restored")
        for n in ROUTERS:
            labctl.wait_for(lambda: r.route_dev(n) == "wan0", timeout=5, interval=0.02,
                            what="%s: the primary route back\n%s" % (n, r.logs()))
            tl.mark("%s: track 1 up, route via wan0 again" % n)
        assert lab.ping("lanA", HOST_B, count=3)
        assert r.esp_counters("rtrA") == (enc1, dec1), "traffic still in the tunnel"
        tl.mark("lanA -> lanB via the primary path again, tunnel counters unchanged")
        t_last = time.monotonic()

        labctl.wait_for(lambda: any("%IPSEC-5-IDLE: Tunnel1" in r.log(n) for n in ROUTERS),
                        timeout=IDLE + 20, interval=0.2, what="the idle timer\n" + r.logs())
        idle_at = tl.mark("IPsec SA idle timer expired (%s)" % ", ".join(
            n for n in ROUTERS if "IDLE: Tunnel1" in r.log(n)))
        assert time.monotonic() - t_last >= IDLE - 8, tl.dump()
        for n in ROUTERS:
            r.wait_log(n, r"Crypto tunnel is DOWN\. Interface: Tunnel1", timeout=15)
        tl.mark("SA deleted: crypto tunnel DOWN on both routers")
        end = lab.wait_cdr(call_id, "END", timeout=15)
        assert end["reason"] == "bye", end
        tl.mark("Kamailio CDR: END reason=bye at +%.3f s (call %.1f s)" % (
            end["ts"] - t_wall0, int(end["duration_ms"]) / 1000.0))
        for n in ROUTERS:
            r.wait_log(n, r"CALL_END: Tunnel1: call with \d+ ended", timeout=10)
        assert "Crypto tunnel is UP" not in r.sh("rtrA", "show crypto session detail")
        tl.mark("call ended on both routers")

        # Nothing triggers a new call while the primary carries the traffic.
        assert lab.ping("lanA", HOST_B, count=2)
        time.sleep(1)
        assert len([c for c in our_cdr(lab, t_wall0) if c["event"] == "START"]) == 1, lab.cdr()
        assert idle_at - t_restore >= IDLE - 8
    finally:
        lab.restore_primary()
        tl.dump()
        print("\nthe daemons' log, seconds from the same origin:")
        for t, what in log_events(r, t_wall0):
            print("  %7.3f s  %s" % (t, what))
        r.stop()
    r.assert_clean()


NAT_EXTRA = {
    # NAT to the primary for the LAN's internet traffic (not for the other
    # LAN): the table the SIGTERM check must see removed.
    n: """access-list 101 deny ip any 203.0.113.0 0.0.0.255
access-list 101 permit ip %s 0.0.0.7 any
interface lan0
 ip nat inside
interface wan0
 ip nat outside
ip nat inside source list 101 interface wan0 overload
""" % ROUTERS[n][1] for n in ROUTERS
}


def test_sigterm_during_backup_session_leaves_nothing(build, bclab, tmp_path):
    lab = bclab
    lab.restore_primary()
    t_wall0 = time.time()
    tl = ru.Timeline("SIGTERM during a backup session (%s)" % build.name)
    r = Routers(build, lab, tmp_path, NAT_EXTRA)
    try:
        wait_registered(r)
        for n in ROUTERS:
            labctl.wait_for(lambda: r.route_dev(n) == "wan0", timeout=5, what="primary routes")
        nft = lab.exec("rtrA", "nft", "list", "tables").stdout
        assert "vpnsip_nat" in nft, nft
        fail_and_switch(r, lab, tl)
        assert labctl.wait_for(lambda: lab.ping("lanA", HOST_B, count=1, wait=1), timeout=40,
                               what="the backup session\n" + r.logs())
        tl.mark("backup session up")
        for n in ROUTERS:
            assert "VPN-SIP-Tunnel1-Bandwidth" in r.sh(n, "show policy-map interface Tunnel1")
            assert "Tunnel1" in lab.exec(n, "ip", "-br", "link").stdout
            assert "10.255.0." in lab.exec(n, "ip", "-br", "addr", "show", "Tunnel1").stdout
    finally:
        lab.restore_primary()
        r.stop()
        tl.mark("SIGTERM: both daemons exited 0")
        tl.dump()
    r.assert_clean()
    # The call does not outlive the daemons.
    calls = [c for c in our_cdr(lab, t_wall0) if c["event"] == "START"]
    assert len(calls) == 1, lab.cdr()
    labctl.wait_for(lambda: lab.cdr_for(calls[0]["callid"], "END"), timeout=10,
                    what="the call ended at SIGTERM")
