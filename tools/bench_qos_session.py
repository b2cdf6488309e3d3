#!/usr/bin/python3
"""make bench: shaper accuracy on real VPN-SIP sessions (tests/lib/qos_session_util.py).

Brings up a lab (LAB_PREFIX, default vsbq), two vpnsipd and, for each b=AS
(QOS_RATES, default 64 128 256 512 1000), a session negotiated at that
value; iperf3 saturates Tunnel1 from lanA to lanB (UDP 1300- and 64-byte
payloads, TCP MSS 1300 and 200) and the outer L3 rate is read on the NGN
bridge port of rtrA's backup link, from QOS_WARMUP seconds into each run
(default 10: the shaper's ESP/GSO correction settles first).  Prints one row per measurement and,
with --json FILE, writes the rows as JSON objects."""
import json
import os
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "..", "tests"))
sys.path.insert(0, os.path.join(HERE, "..", "tests", "lab"))
import labctl  # noqa: E402
from lib.qos_session_util import Session, outer_rate  # noqa: E402


def main():
    out = sys.argv[sys.argv.index("--json") + 1] if "--json" in sys.argv else None
    build = os.environ.get("BUILD", os.path.join(HERE, "..", "build"))
    rates = [int(r) for r in os.environ.get("QOS_RATES", "64 128 256 512 1000").split()]
    modes = os.environ.get("QOS_MODES", "udp-1400 udp-64 tcp-1400 tcp-200").split()
    warmup = float(os.environ.get("QOS_WARMUP", "10"))
    lab = labctl.Lab(prefix=os.environ.get("LAB_PREFIX", "vsbq"), routers=2,
                     up_args=["--no-primary-routes"])
    rows = []
    tmp = tempfile.mkdtemp(prefix="vsbq")
    lab.up()
    try:
        s = Session(lab, build, tmp, rates[0]).start()
        try:
            for i, kbps in enumerate(rates):
                if i:
                    s.set_bandwidth(kbps)
                    s.clear()
                s.up()
                for k, mode in enumerate(modes):
                    got, _, pkts, over = outer_rate(lab, kbps, mode, 5201 + k, warmup=warmup)
                    row = {"where": "vpn-sip-session", "mode": mode, "configured_bps": kbps * 1000,
                           "measured_bps": int(got), "outer_packets": pkts,
                           "overlimits": over, "warmup_s": warmup}
                    rows.append(row)
                    print("%-8s %-10s %10d %10d %7.3f" % ("session", mode, kbps * 1000, got,
                                                         got / (kbps * 1000)), flush=True)
        finally:
            s.stop()
    finally:
        lab.down()
    if out:
        with open(out, "w") as f:
            json.dump(rows, f)


if __name__ == "__main__":
    main()
