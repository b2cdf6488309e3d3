"""Static routes, floating static routes and IP SLA tracking in the lab:
the backup cycle without VPN-SIP.

rtrA keeps the lab's route to every LAN via inet (203.0.113.0/24); vpnsipd
adds the more specific route to lanB (203.0.113.8/29) through the primary
next hop, tracked by an ICMP echo probe of inet's loopback, and the floating
route (distance 250) through Tunnel1.  Failing the primary path makes the
probe fail, the track go down, and the Tunnel1 route take over: packets for
lanB reach the TUN (route lookup and the device's counters).  Restoring the
primary brings the primary route back."""
import os
import sys
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lab"))
import labctl  # noqa: E402
from labctl import lab  # noqa: E402,F401
from lib import routing_util as ru  # noqa: E402

pytestmark = pytest.mark.netns

LANB = "203.0.113.8/29"
CONFIG = """\
hostname rtrA
interface Loopback0
 ip address 10.255.0.1 255.255.255.255
interface Tunnel1
 ip unnumbered Loopback0
ip sla 1
 icmp-echo 198.51.100.1 source-interface wan0
  threshold 300
  timeout 500
  frequency 1
ip sla schedule 1 life forever start-time now
track 1 ip sla 1 reachability
ip route 203.0.113.8 255.255.255.248 198.51.100.5 track 1
ip route 203.0.113.8 255.255.255.248 Tunnel1 250
"""


def wait_dev(lab, dev, timeout, what):
    return labctl.wait_for(lambda: ru.route_dev(lab, "rtrA", "203.0.113.10") == dev,
                           timeout=timeout, interval=0.02, what=what)


def test_backup_cycle(build, lab, tmp_path):
    tl = ru.Timeline("backup cycle (%s)" % build.name)
    d = ru.start(build, lab, "rtrA", tmp_path, CONFIG)
    try:
        tl.mark("vpnsipd started")
        wait_dev(lab, "wan0", 5, "the primary route")
        tl.mark("track 1 up: %s via wan0" % LANB)
        assert ru.static_routes(lab, "rtrA") == ["203.0.113.8/29 via 198.51.100.5 dev wan0"]
        out = d.sh("show ip route static").stdout
        assert "S        203.0.113.8/29 [1/0] via 198.51.100.5" in out, out
        assert lab.ping("lanA", lab.addr("lanB"))
        tl.mark("lanA -> lanB through the primary path")

        # The failure only a probe notices: inet drops rtrA's traffic.
        lab.fail_primary("rtrA", drop=True)
        t_fail = tl.mark("primary path failed (blackholed in inet)")
        wait_dev(lab, "Tunnel1", 4, "the floating route through Tunnel1")
        t_switch = tl.mark("track 1 down: %s via Tunnel1 (distance 250)" % LANB)
        # threshold/timeout 500 ms, frequency 1 s: down within one period
        # plus the timeout (plus scheduling slack)
        assert t_switch - t_fail < 2.5, tl.dump()
        track = d.sh("show track 1").stdout
        assert "Reachability is Down" in track and "Timeout" in track, track
        assert "Static IP Routing" in track
        out = d.sh("show ip route 203.0.113.10").stdout
        assert "Known via \"static\", distance 250" in out, out
        assert "directly connected, via Tunnel1" in out, out
        before = ru.tx_packets(lab, "rtrA", "Tunnel1")
        assert not lab.ping("lanA", lab.addr("lanB"), count=3, wait=1)
        after = ru.tx_packets(lab, "rtrA", "Tunnel1")
        assert after - before >= 3, (before, after)
        shown = d.sh("show interfaces Tunnel1").stdout
        assert "%d packets output" % after in shown, shown
        tl.mark("lanA's packets for lanB reach Tunnel1 (%d packets)" % (after - before))

        lab.restore_primary("rtrA")
        t_restore = tl.mark("primary path restored")
        wait_dev(lab, "wan0", 4, "the primary route back")
        tl.mark("track 1 up: %s via wan0 again (%.1f s)" % (LANB, time.monotonic() - tl.t0 - t_restore))
        assert lab.ping("lanA", lab.addr("lanB"))

        # Link failure: the next hop is unreachable at once (no probe needed).
        lab.fail_primary("rtrA")
        t_fail = tl.mark("primary link down (no carrier on wan0)")
        wait_dev(lab, "Tunnel1", 3, "the floating route after link loss")
        tl.mark("%s via Tunnel1 (%.2f s)" % (LANB, time.monotonic() - tl.t0 - t_fail))
        lab.restore_primary("rtrA")
        wait_dev(lab, "wan0", 4, "the primary route after link restore")
        tl.mark("%s via wan0 again" % LANB)
        log = d.sh("show logging").stdout
        assert "%TRACK-6-STATE: 1 ip sla 1 reachability Up -> Down" in log, log

        # Removing lines removes their kernel state.
        ru.config(d, "no ip route 203.0.113.8 255.255.255.248 198.51.100.5")
        wait_dev(lab, "Tunnel1", 2, "the floating route once the primary line is gone")
        ru.config(d, "no ip route 203.0.113.8 255.255.255.248 Tunnel1")
        assert ru.static_routes(lab, "rtrA") == []
        ru.config(d, "ip route 203.0.113.8 255.255.255.248 Tunnel1 250")
        assert ru.static_routes(lab, "rtrA") == ["203.0.113.8/29 dev Tunnel1 scope link"]

    finally:
        lab.restore_primary("rtrA")
        ru.stop_clean(d)
    # SIGTERM leaves no route and no Tunnel behind.
    assert ru.static_routes(lab, "rtrA") == []
    assert "Tunnel1" not in lab.exec("rtrA", "ip", "-br", "link").stdout
    assert ru.route_dev(lab, "rtrA", "203.0.113.10") == "wan0"


def test_floating_selection_and_permanent(build, lab, tmp_path):
    """Lowest distance wins among eligible routes; an interface that is down
    removes its route; distance 255 never installs.  permanent: a route
    through a device that is up but has no carrier and no address is not
    eligible, and is installed with permanent (and withdrawn without)."""
    d = ru.start(build, lab, "rtrA", tmp_path, """\
interface Loopback0
 ip address 10.255.0.1 255.255.255.255
interface Tunnel1
 ip unnumbered Loopback0
interface Tunnel2
 ip unnumbered Loopback0
ip route 192.0.2.128 255.255.255.192 Tunnel2 20
ip route 192.0.2.128 255.255.255.192 Tunnel1 10
ip route 198.51.100.128 255.255.255.128 Tunnel1 255
""")
    try:
        labctl.wait_for(lambda: ru.route_dev(lab, "rtrA", "192.0.2.130") == "Tunnel1", 3,
                        what="distance 10 wins")
        assert not any("198.51.100.128" in r for r in ru.static_routes(lab, "rtrA"))
        ru.config(d, "interface Tunnel1", "shutdown")
        labctl.wait_for(lambda: ru.route_dev(lab, "rtrA", "192.0.2.130") == "Tunnel2", 3,
                        what="Tunnel2 once Tunnel1 is shut")
        ru.config(d, "ip route 192.0.2.128 255.255.255.192 Tunnel1 10 permanent")
        # The kernel refuses routes through a device that is
        # administratively down: it stays on Tunnel2 until Tunnel1 is up
        # again, then moves.
        ru.config(d, "interface Tunnel1", "no shutdown")
        labctl.wait_for(lambda: ru.route_dev(lab, "rtrA", "192.0.2.130") == "Tunnel1", 3,
                        what="Tunnel1 back")
        # vsperm0: up, but its peer is down (no carrier) and it has no
        # address; only permanent makes its route eligible.
        lab.exec("rtrA", "ip", "link", "add", "vsperm0", "type", "veth", "peer", "name", "vsperm1",
                 check=True)
        lab.exec("rtrA", "ip", "link", "set", "vsperm0", "up", check=True)

        def perm():
            return any(r.startswith("192.0.2.192/26 dev vsperm0 ")
                       for r in ru.static_routes(lab, "rtrA"))
        ru.config(d, "ip route 192.0.2.192 255.255.255.192 vsperm0 5")
        time.sleep(0.5)
        assert not perm(), ru.static_routes(lab, "rtrA")
        ru.config(d, "ip route 192.0.2.192 255.255.255.192 vsperm0 5 permanent")
        labctl.wait_for(perm, 3,
                        what="the permanent route through vsperm0")
        ru.config(d, "ip route 192.0.2.192 255.255.255.192 vsperm0 5")
        labctl.wait_for(lambda: not perm(), 3,
                        what="withdrawn without permanent")
        ru.config(d, "ip route 192.0.2.192 255.255.255.192 vsperm0 5 permanent")
        labctl.wait_for(perm, 3,
                        what="the permanent route again")
        rc = d.sh("configure terminal", "ip route 192.0.2.129 255.255.255.192 Tunnel1", check=False)
        assert "% Inconsistent address and mask" in rc.stdout
        run = d.running_config()
        assert "ip route 192.0.2.128 255.255.255.192 Tunnel1 10 permanent" in run
        assert "ip route 198.51.100.128 255.255.255.128 Tunnel1 255" in run
        assert "ip route 192.0.2.192 255.255.255.192 vsperm0 5 permanent" in run
    finally:
        try:
            ru.stop_clean(d)
        finally:
            lab.exec("rtrA", "ip", "link", "del", "vsperm0")
    assert ru.static_routes(lab, "rtrA") == []
