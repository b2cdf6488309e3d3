"""make bench: IPsec data plane throughput and IKE SA setup rate (figures,
never pass/fail).  Called by tools/bench.sh; prints a table and writes the
JSON fragment named by argv[1].

One lab run (LAB_PREFIX, default "vsbench"), two routers, no primary routes:
  1. vpnsipd on rtrA and rtrB, one tunnel (hidden test hook: A initiates,
     B responds, PSK key-ids), iperf3 lanA -> lanB through it;
  2. the same with two stock strongSwan charons (kernel-libipsec: ESP in user
     space with one shared TUN), the reference the ratio is computed against;
  3. IKE SA setup rate: N sequential sessions vpnsipd (rtrA, initiator)
     against a stock charon (rtrB), each from start to "UP" and stopped.
"""
import json
import os
import re
import statistics
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
sys.path.insert(0, os.path.join(HERE, "lab"))
sys.path.insert(0, HERE)
import labctl  # noqa: E402
from lib.ike_peer import StockCharon, psk_conn  # noqa: E402
from lib.vpnsip_conf import Peer, Tunnel, router_config  # noqa: E402

ROOT = os.path.dirname(HERE)
BUILD = os.path.join(ROOT, "build")
PSK = "vpnsip-bench-key-0123456789abcdef"
A_BAK, B_BAK = "192.0.2.11", "192.0.2.12"
LAN_A, LAN_B = "203.0.113.0/29", "203.0.113.8/29"
HOST_B = "203.0.113.10"
SECONDS = int(os.environ.get("BENCH_IPERF_SECONDS", "8"))
SETUPS = int(os.environ.get("BENCH_IKE_SETUPS", "20"))


def conf(node, me, peer, tun):
    return router_config(hostname=node, local_id=me, keyring=[Peer("peer", PSK, key_id=peer)],
                         tunnels=[Tunnel(1, tun)])


def sh(lab, node, *cmds):
    args = []
    for c in cmds:
        args += ["-c", c]
    p = lab.exec(node, os.path.join(BUILD, "vpnsipsh"), "-S",
                 os.path.join(lab.dir, node, "vpnsipd.sock"), *args)
    return p.stdout + p.stderr


def iperf(lab):
    srv = lab.popen("lanB", "iperf3", "-s", "-1", stdout=subprocess.DEVNULL,
                    stderr=subprocess.DEVNULL)
    time.sleep(0.5)
    try:
        p = lab.exec("lanA", "iperf3", "-c", HOST_B, "-t", SECONDS, "-J",
                     timeout=SECONDS + 30)
        data = json.loads(p.stdout)
        return data["end"]["sum_received"]["bits_per_second"] / 1e6
    except (ValueError, KeyError, subprocess.TimeoutExpired):
        return None
    finally:
        srv.kill()
        srv.wait()


def vpnsipd_pair(lab, tmp):
    na, nb = lab.number("rtrA"), lab.number("rtrB")
    for node, me, peer, tun in (("rtrA", na, nb, "10.255.0.1"), ("rtrB", nb, na, "10.255.0.2")):
        path = os.path.join(tmp, node + ".conf")
        with open(path, "w") as f:
            f.write(conf(node, me, peer, tun))
        lab.vpnsipd_start(node, path)
    sh(lab, "rtrB", "enable", f"test crypto ikev2 session Tunnel1 responder peer {A_BAK} port 4500 "
       f"local-port 0 local-id {nb} remote-id {na}")
    sh(lab, "rtrA", "enable", f"test crypto ikev2 session Tunnel1 initiator peer {B_BAK} port 4500 "
       f"local-port 0 local-id {na} remote-id {nb}")
    lab.exec("rtrA", "ip", "route", "replace", LAN_B, "dev", "Tunnel1")
    lab.exec("rtrB", "ip", "route", "replace", LAN_A, "dev", "Tunnel1")
    labctl.wait_for(lambda: lab.ping("lanA", HOST_B), timeout=30, interval=0.5,
                    what="ping through the vpnsipd tunnel")
    mbps = iperf(lab)
    for node in ("rtrA", "rtrB"):
        lab.vpnsipd_stop(node)
    lab.exec("rtrA", "ip", "route", "flush", LAN_B)
    lab.exec("rtrB", "ip", "route", "flush", LAN_A)
    return mbps


def stock_pair(lab, tmp):
    a = StockCharon(lab, "rtrA", os.path.join(tmp, "swanA")).start()
    b = StockCharon(lab, "rtrB", os.path.join(tmp, "swanB")).start()
    try:
        na, nb = lab.number("rtrA"), lab.number("rtrB")
        a.load(psk_conn("bench", A_BAK, B_BAK, na, nb, PSK, LAN_A, LAN_B, remote_port=500))
        b.load(psk_conn("bench", B_BAK, A_BAK, nb, na, PSK, LAN_B, LAN_A, remote_port=500))
        r = a.initiate("net")
        if r.returncode != 0:
            return None
        labctl.wait_for(lambda: lab.ping("lanA", HOST_B), timeout=20, interval=0.5,
                        what="ping through the strongSwan tunnel")
        return iperf(lab)
    finally:
        a.kill()
        b.kill()


def setup_rate(lab, tmp):
    na, nb = lab.number("rtrA"), lab.number("rtrB")
    path = os.path.join(tmp, "rate.conf")
    with open(path, "w") as f:
        f.write(conf("rtrA", na, nb, "10.255.0.1"))
    lab.vpnsipd_start("rtrA", path)
    peer = StockCharon(lab, "rtrB", os.path.join(tmp, "swanRate"), port_nat_t=4500).start()
    lat = []
    try:
        peer.load(psk_conn("vpnsip", B_BAK, A_BAK, nb, na, PSK, LAN_B, LAN_A, remote_port=4500))
        t_all = time.monotonic()
        for _ in range(SETUPS):
            t0 = time.monotonic()
            sh(lab, "rtrA", "enable", f"test crypto ikev2 session Tunnel1 initiator peer {B_BAK} "
               f"port 4500 local-port 0 local-id {na} remote-id {nb}")
            labctl.wait_for(lambda: "UP-ACTIVE" in sh(lab, "rtrA", "show crypto session"),
                            timeout=20, interval=0.01, what="session up")
            lat.append((time.monotonic() - t0) * 1000)
            sh(lab, "rtrA", "enable", "test crypto ikev2 stop Tunnel1 3000")
            labctl.wait_for(lambda: "UP-ACTIVE" not in sh(lab, "rtrA", "show crypto session"),
                            timeout=10, interval=0.01, what="session down")
        total = time.monotonic() - t_all
    finally:
        peer.kill()
        lab.vpnsipd_stop("rtrA")
    return SETUPS / total, statistics.median(lat)


def main():
    out_path = sys.argv[1]
    os.environ.setdefault("LAB_PREFIX", "vsbench")
    lab = labctl.Lab(prefix=os.environ["LAB_PREFIX"], routers=2, up_args=["--no-primary-routes"])
    lab.env["VPNSIPD"] = os.path.join(BUILD, "vpnsipd")
    lab.env["VPNSIPSH"] = os.path.join(BUILD, "vpnsipsh")
    res = {"throughput_mbps_single": None, "throughput_mbps_strongswan": None,
           "throughput_ratio_vs_strongswan": None, "ike_setup_rate_per_s": None,
           "ike_setup_latency_ms_p50": None}
    try:
        lab.up()
        with tempfile.TemporaryDirectory(prefix="vpnsip-bench-") as tmp:
            for name, fn in (("vpnsipd", vpnsipd_pair), ("strongswan", stock_pair)):
                try:
                    v = fn(lab, tmp)
                except Exception as e:  # a figure missing, never a failure
                    print("bench: %s throughput: %s" % (name, e), file=sys.stderr)
                    v = None
                key = "throughput_mbps_single" if name == "vpnsipd" else "throughput_mbps_strongswan"
                res[key] = round(v, 1) if v else None
            if res["throughput_mbps_single"] and res["throughput_mbps_strongswan"]:
                res["throughput_ratio_vs_strongswan"] = round(
                    res["throughput_mbps_single"] / res["throughput_mbps_strongswan"], 3)
            try:
                rate, p50 = setup_rate(lab, tmp)
                res["ike_setup_rate_per_s"] = round(rate, 2)
                res["ike_setup_latency_ms_p50"] = round(p50, 1)
            except Exception as e:
                print("bench: IKE setup rate: %s" % e, file=sys.stderr)
    finally:
        lab.down()
    with open(out_path, "w") as f:
        json.dump(res, f)
    rows = [("IPsec throughput, 1 tunnel, vpnsipd (iperf3)", res["throughput_mbps_single"], "Mbit/s"),
            ("IPsec throughput, strongSwan kernel-libipsec", res["throughput_mbps_strongswan"], "Mbit/s"),
            ("ratio vpnsipd / strongSwan", res["throughput_ratio_vs_strongswan"], ""),
            ("IKE SA setups per second (%d sequential)" % SETUPS, res["ike_setup_rate_per_s"], "/s"),
            ("IKE SA setup latency p50", res["ike_setup_latency_ms_p50"], "ms")]
    for label, v, unit in rows:
        print("%-44s %12s %s" % (label, "-" if v is None else v, unit))


if __name__ == "__main__":
    main()
