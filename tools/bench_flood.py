#!/usr/bin/python3
"""make bench: a legitimate call while INVITEs from untrusted sources flood
the router (figures, never pass/fail).

    tools/bench_flood.py [--json FILE]

One lab (LAB_PREFIX, default vsbf) with two routers and the real Kamailio.
rtrA runs vpnsipd (BUILD, default build/) with one VPN-SIP tunnel to rtrB's
number; on rtrB a SIPp terminal registered as rtrB's number calls rtrA
through Kamailio (vs_uac_offer.xml, 200 ms hold, BYE).

idle      BENCH_FLOOD_CALLS calls (default 10), one at a time: INVITE -> 200
          from SIPp's message trace.
flood     tests/lab/sip_flood.py on rtrB sends BENCH_FLOOD_RATE INVITE/s
          (default 2000) straight to rtrA:5060 from ten addresses that are
          neither the SIP server nor a trusted source, while the same calls
          run again; then a second flood of the same length without calls.
memory    vpnsipd's RSS before the first flood, after it, after the second
          (VmRSS, 2 s after each).
counted   "Untrusted, dropped" of show vpn-sip sip statistics against the
          datagrams sent.
"""
import json
import os
import re
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
TOP = os.path.dirname(HERE)
sys.path.insert(0, os.path.join(TOP, "tests"))
sys.path.insert(0, os.path.join(TOP, "tests", "lab"))
import labctl  # noqa: E402
from lib.vpnsip_conf import Peer, lab_router_config  # noqa: E402

BUILD = os.environ.get("BUILD", os.path.join(TOP, "build"))
CALLS = int(os.environ.get("BENCH_FLOOD_CALLS", "10"))
RATE = int(os.environ.get("BENCH_FLOOD_RATE", "2000"))
PSK = "vpnsip-bench-flood-key-0123456789abcdef"
SOURCES = ["192.0.2.%d" % i for i in range(200, 210)]
FP = "F5:02:66:86:6B:94:DC:37:C9:1E:2F:08:53:9A:00:F9:24:CA:9D:86"


def pct(values, p):
    if not values:
        return None
    v = sorted(values)
    return v[max(0, min(len(v) - 1, int(round(p / 100.0 * len(v) + 0.5)) - 1))]


def offer(lab):
    a = lab.addr("rtrB")
    return "\n      ".join(["v=0", "o=- 1 1 IN IP4 %s" % a, "s=-", "c=IN IP4 %s" % a, "t=0 0",
                            "m=application 50001 udp ike-esp-udpencap", "b=AS:1000",
                            "a=ike-setup:active", "a=psk-fingerprint:SHA-1 " + FP])


class Bench:
    def __init__(self, lab):
        self.lab = lab
        self.sock = os.path.join(lab.dir, "rtrA", "vpnsipd.sock")

    def sh(self, cmd):
        r = self.lab.exec("rtrA", os.path.join(BUILD, "vpnsipsh"), "-S", self.sock, "-c", cmd)
        return r.stdout

    def state(self):
        m = re.search(r"Session status: (\S+)", self.sh("show vpn-sip session"))
        return m.group(1) if m else None

    def rss(self):
        pid = open(os.path.join(self.lab.dir, "rtrA", "vpnsipd.pid")).read().strip()
        with open("/proc/%s/status" % pid) as f:
            return int(re.search(r"^VmRSS:\s+(\d+) kB", f.read(), re.M).group(1))

    def dropped(self):
        m = re.search(r"Untrusted, dropped\s+: (\d+)", self.sh("show vpn-sip sip statistics"))
        return int(m.group(1)) if m else None

    def call(self):
        """One call through Kamailio: INVITE -> 200 in ms, None if it failed."""
        lab = self.lab
        keys = {"ruri": lab.tel_uri(lab.number("rtrA")), "caller": lab.number("rtrB"),
                "domain": lab.domain}
        res = lab.sipp("rtrB", "vs_uac_offer.xml", port=5070, keys=keys,
                       subst={"SDP": offer(lab)}, duration_ms=200, timeout=15)
        labctl.wait_for(lambda: self.state() == "READY_TO_CONNECT", 10, what="READY_TO_CONNECT")
        inv = [m for m in res.sent() if m.is_request and m.method == "INVITE"]
        ok = [m for m in res.received() if not m.is_request and m.code == 200 and m.method == "INVITE"]
        if res.rc != 0 or not inv or not ok:
            return None
        return (ok[0].when - inv[0].when).total_seconds() * 1000.0

    def calls(self, n):
        out = [self.call() for _ in range(n)]
        return [v for v in out if v is not None], sum(v is None for v in out)

    def flood(self, seconds):
        return self.lab.popen("rtrB", sys.executable, os.path.join(TOP, "tests", "lab", "sip_flood.py"),
                              self.lab.addr("rtrA"), 5060, RATE, seconds, *SOURCES,
                              stdout=subprocess.PIPE, text=True)


def run(res):
    lab = labctl.Lab(prefix=os.environ.get("LAB_PREFIX", "vsbf"), routers=2)
    lab.env["VPNSIPD"] = os.path.join(BUILD, "vpnsipd")
    lab.env["VPNSIPSH"] = os.path.join(BUILD, "vpnsipsh")
    try:
        lab.up()
        conf = os.path.join(lab.dir, "flood-rtrA.conf")
        with open(conf, "w") as f:
            f.write(lab_router_config(lab, "rtrA", "rtrB", "10.99.0.1",
                                      keyring=[Peer("rtrB", PSK, key_id=lab.number("rtrB"))]))
        lab.vpnsipd_start("rtrA", conf)
        b = Bench(lab)
        labctl.wait_for(lambda: ": registered" in b.sh("show vpn-sip registration-status"), 15,
                        what="rtrA registered")
        if lab.register("rtrB", contact_port=5070).rc != 0:
            raise RuntimeError("SIPp could not register rtrB's number")
        for a in SOURCES:
            lab.exec("rtrB", "ip", "addr", "add", a + "/24", "dev", "bak0", "nodad", check=True)
        b.call()  # warm-up
        idle, idle_failed = b.calls(CALLS)
        res["flood_call_setup_ms_idle_p50"] = round(pct(idle, 50), 2) if idle else None
        res["flood_rss_before_kib"] = b.rss()
        seconds = max(6, CALLS * 1.2 + 2)
        fl = b.flood(seconds)
        time.sleep(1)
        during, during_failed = b.calls(CALLS)
        out, _ = fl.communicate(timeout=seconds + 60)
        sent = json.loads(out)["sent"]
        time.sleep(2)
        res["flood_rss_after_kib"] = b.rss()
        fl = b.flood(seconds)
        out, _ = fl.communicate(timeout=seconds + 60)
        sent += json.loads(out)["sent"]
        time.sleep(2)
        res["flood_rss_after_second_kib"] = b.rss()
        res["flood_call_setup_ms_during_p50"] = round(pct(during, 50), 2) if during else None
        res["flood_call_setup_ms_during_max"] = round(max(during), 2) if during else None
        if idle and during:
            res["flood_setup_ratio"] = round(pct(during, 50) / pct(idle, 50), 2)
        res["flood_calls_failed"] = idle_failed + during_failed
        res["flood_sent"] = sent
        res["flood_untrusted_counted"] = b.dropped()
        res["flood_rate_per_s"] = RATE
    finally:
        lab.down()  # stops vpnsipd too


def main():
    out = sys.argv[sys.argv.index("--json") + 1] if "--json" in sys.argv else None
    res = dict.fromkeys(["flood_rate_per_s", "flood_sent", "flood_untrusted_counted",
                         "flood_call_setup_ms_idle_p50", "flood_call_setup_ms_during_p50",
                         "flood_call_setup_ms_during_max", "flood_setup_ratio", "flood_calls_failed",
                         "flood_rss_before_kib", "flood_rss_after_kib", "flood_rss_after_second_kib"])
    rc = 0
    try:
        run(res)
    except Exception as e:  # a figure that could not be measured stays null
        print("bench_flood: %s" % e, file=sys.stderr)
        rc = 1
    print(json.dumps(res, indent=1, sort_keys=True))
    if out:
        with open(out, "w") as f:
            json.dump(res, f, indent=1, sort_keys=True)
    return rc


if __name__ == "__main__":
    sys.exit(main())
