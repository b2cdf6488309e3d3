"""IP SLA and track objects: interface line-protocol tracking in
the lab, delays, show output, and 1000 operations, tracks and tracked
routes in one daemon with one socket and no thread per probe."""
import os
import re
import sys
import time

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lab"))
import labctl  # noqa: E402
from labctl import lab  # noqa: E402,F401
from lib import routing_util as ru  # noqa: E402

pytestmark = pytest.mark.netns


def test_interface_track_and_delay(build, lab, tmp_path):
    d = ru.start(build, lab, "rtrA", tmp_path, """\
interface wan0
 description primary
track 2 interface wan0 line-protocol
 delay up 2
track 3 ip sla 9 state
ip route 192.0.2.192 255.255.255.192 198.51.100.5 track 2
""")
    try:
        labctl.wait_for(lambda: "Line protocol is Up" in d.sh("show track 2").stdout, 2,
                        what="track 2 up")
        assert ru.static_routes(lab, "rtrA") == ["192.0.2.192/26 via 198.51.100.5 dev wan0"]
        out = d.sh("show track 3").stdout
        assert "State is Down" in out and "IP SLA 9 does not exist" in out, out
        lab.fail_primary("rtrA")
        labctl.wait_for(lambda: "Line protocol is Down" in d.sh("show track 2").stdout, 2,
                        what="track 2 down")
        assert ru.static_routes(lab, "rtrA") == []
        lab.restore_primary("rtrA")
        # delay up 2: still down a moment after the link came back
        t0 = time.monotonic()
        out = d.sh("show track 2").stdout
        assert "Line protocol is Down" in out and "Up delayed" in out, out
        labctl.wait_for(lambda: "Line protocol is Up" in d.sh("show track 2").stdout, 4,
                        what="track 2 up after the delay")
        assert time.monotonic() - t0 >= 1.5
        out = d.sh("show track 2").stdout
        assert re.search(r"3 changes, last change 00:00:0\d", out), out
        assert "Delay up 2 secs" in out
        brief = d.sh("show track brief").stdout
        assert re.search(r"^2\s+interface\s+wan0\s+line-protocol\s+Up", brief, re.M), brief
        ru.config(d, "no track 2")
        assert ru.static_routes(lab, "rtrA") == []
    finally:
        lab.restore_primary("rtrA")
        ru.stop_clean(d)


def test_thousand_probes_tracks_routes(build, lab, tmp_path):
    """1000 ICMP echo operations (every second, to the router itself), 1000
    track objects, 1000 tracked routes: all up, one raw socket, no threads
    beyond the daemon's own, and removed on SIGTERM."""
    n = 1000
    lines = ["interface Loopback0", " ip address 10.255.0.1 255.255.255.255"]
    for i in range(1, n + 1):
        lines += ["ip sla %d" % i, " icmp-echo 10.255.0.1", "  timeout 900", "  frequency 1",
                  "ip sla schedule %d life forever start-time now" % i,
                  "track %d ip sla %d" % (i, i),
                  "ip route 10.%d.%d.0 255.255.255.0 Loopback0 track %d" % (100 + i // 250, i % 250, i)]
    d = ru.start(build, lab, "rtrA", tmp_path, "\n".join(lines) + "\n")
    try:
        def installed():
            return len(ru.static_routes(lab, "rtrA"))
        labctl.wait_for(lambda: installed() == n, 10, interval=0.2, what="%d tracked routes" % n)
        # "ip netns exec" execs vpnsipd in place: the child is the daemon
        vp = [str(d.proc.pid)]
        assert open("/proc/%s/comm" % vp[0]).read().strip() == "vpnsipd"
        fds = os.listdir("/proc/%s/fd" % vp[0])
        threads = os.listdir("/proc/%s/task" % vp[0])
        assert len(fds) < 64, "one socket for all probes: %d fds" % len(fds)
        raw = [f for f in fds if "socket" in os.readlink("/proc/%s/fd/%s" % (vp[0], f))]
        assert len(raw) < 20
        stats = d.sh("show ip sla statistics 1000").stdout
        assert "Latest operation return code: OK" in stats, stats
        time.sleep(2.2)
        s1 = d.sh("show ip sla statistics 500").stdout
        ok = int(re.search(r"Number of successes: (\d+)", s1).group(1))
        assert ok >= 2 and "Number of failures: 0" in s1, s1
        up = d.sh("show track brief | count Up").stdout
        assert re.search(r"= %d" % n, up), up
        print("\n1000 probes/tracks/routes: %d fds, %d threads, SLA 500 %d successes" %
              (len(fds), len(threads), ok))
    finally:
        ru.stop_clean(d)
    assert ru.static_routes(lab, "rtrA") == []
