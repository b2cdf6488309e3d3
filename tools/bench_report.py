#!/usr/bin/python3
"""make bench: merge the parts' JSON into build/bench/results.json, print the
table and write it as Markdown (for the README's Benchmarks section).

    tools/bench_report.py --sessions N PARTS_DIR RESULTS_JSON TABLE_MD

PARTS_DIR holds what each part wrote: control.json (tools/bench_control.sh),
qos.json (tools/bench_qos.sh, a list of rows), ike.json (tests/bench_ike.py),
lab.json (tools/bench_lab.py), scale.json (tools/bench_scale.py, when the
script exists), flood.json (tools/bench_flood.py).  A part that did not run leaves its keys null: nothing is
ever filled in that was not measured in this run.

Key ownership when parts report the same name: the concurrency figures the
issue names (sessions_target, sessions_up, all_up_seconds,
rss_base_kib: the router with its N tunnels, registered and idle,
rss_per_session_kib, show_session_ms) come from bench_scale.py; its other
keys that collide with ours are kept with a "scale_" prefix (its
setup_latency_ms_* are per session under a simultaneous trigger, ours are
one session at a time against the floor)."""
import datetime
import json
import os
import platform
import subprocess
import sys

REQUIRED = ["sessions_target", "sessions_up", "all_up_seconds", "setup_latency_ms_p50",
            "setup_latency_ms_p95", "floor_latency_ms_p50", "rss_base_kib", "rss_per_session_kib",
            "config_load_1000_tunnels_ms", "show_session_ms", "throughput_mbps_single",
            "throughput_ratio_vs_strongswan"]
SCALE_OWNS = {"sessions_target", "sessions_up", "all_up_seconds", "rss_base_kib",
              "rss_per_session_kib", "show_session_ms"}

# (section, [(label, key, unit)])
TABLE = [
    ("Setup latency (one session at a time, trigger -> first reply)", [
        ("sessions measured (ok/run)", ("setup_latency_ok", "setup_latency_runs"), ""),
        ("setup latency p50 / p95 / max", ("setup_latency_ms_p50", "setup_latency_ms_p95",
                                           "setup_latency_ms_max"), "ms"),
        ("  of them needing a retry (over 1 s)", "setup_latency_over_1s", ""),
        ("  trigger -> INVITE on the wire p50", "setup_trigger_to_invite_ms_p50", "ms"),
        ("  SIP INVITE -> 200 (via Kamailio) p50", "setup_sip_invite_200_ms_p50", "ms"),
        ("  200 -> IKE_SA_INIT request p50", "setup_ok_to_ike_ms_p50", "ms"),
        ("  IKE_SA_INIT + IKE_AUTH p50", "setup_ike_ms_p50", "ms"),
        ("  IKE_AUTH response -> first reply p50", "setup_dataplane_ready_ms_p50", "ms"),
        ("floor: SIPp call INVITE -> 200 p50", "floor_sip_invite_200_ms_p50", "ms"),
        ("floor: stock charon IKE_SA_INIT+IKE_AUTH p50", "floor_ike_ms_p50", "ms"),
        ("floor: SIP + IKE p50", "floor_latency_ms_p50", "ms"),
        ("floor: ping RTT between the routers", "floor_ping_rtt_ms", "ms"),
    ]),
    ("Concurrency (tools/bench_scale.py)", [
        ("sessions up / target", ("sessions_up", "sessions_target"), ""),
        ("all up after a simultaneous trigger", "all_up_seconds", "s"),
        ("setup latency p50 / p95 / max, all at once", ("scale_setup_latency_ms_p50",
                                                        "scale_setup_latency_ms_p95",
                                                        "scale_setup_latency_ms_max"), "ms"),
        ("  sessions passing traffic afterwards / failures", ("sessions_traffic_ok",
                                                             "failures"), ""),
        ("vpnsipd CPU during the bring-up", "cpu_bringup_seconds", "s"),
        ("RSS: N tunnels configured, idle (base)", "rss_base_kib", "KiB"),
        ("RSS per idle configured tunnel", "rss_idle_per_tunnel_kib", "KiB"),
        ("RSS per active session beyond the base", "rss_per_session_kib", "KiB"),
        ("show vpn-sip session, all sessions up", "show_session_ms", "ms"),
        ("show running-config, N tunnels", "scale_show_running_config_ms", "ms"),
        ("open file descriptors, all up", "fd_count", ""),
    ]),
    ("Control plane (1000 VPN-SIP tunnels: keyring peers, protection, routes)", [
        ("configured tunnels / TUN devices", ("tunnels_configured", "tun_devices_created"), ""),
        ("parse + check (vpnsipd -t)", "config_parse_1000_tunnels_ms", "ms"),
        ("boot: load + apply, socket answers", "config_load_1000_tunnels_ms", "ms"),
        ("boot: until every TunnelN exists", "config_load_all_tun_devices_ms", "ms"),
        ("show running-config (ms / lines)", ("show_running_config_ms",
                                              "show_running_config_lines"), ""),
        ("show vpn-sip session, 1000 configured", "show_session_1000_configured_ms", "ms"),
        ("show vpn-sip session json, 1000 configured (ms / entries)",
         ("show_session_json_1000_configured_ms", "show_session_json_1000_configured_entries"), ""),
        ("SNMP walk of the session table, 1000 rows: snmpwalk / snmpbulkwalk",
         ("snmp_walk_session_table_1000_ms", "snmp_bulkwalk_session_table_1000_ms"), "ms"),
        ("  session table rows walked", "snmp_walk_session_table_rows", ""),
        ("RSS: empty configuration", "rss_empty_config_kib", "KiB"),
        ("RSS: VPN-SIP configured, no tunnel", "rss_vpnsip_no_tunnel_kib", "KiB"),
        ("RSS per idle configured tunnel", "rss_per_configured_tunnel_kib", "KiB"),
        ("vpnsipsh show version (process floor) p50", "cli_show_version_ms_p50", "ms"),
        ("show vpn-sip session, idle p50", "cli_show_session_idle_ms_p50", "ms"),
        ("show vpn-sip session while churning p50/p95/max",
         ("cli_show_session_churn_ms_p50", "cli_show_session_churn_ms_p95",
          "cli_show_session_churn_ms_max"), "ms"),
        ("  churn: tunnels, setups+clears done, failed", ("churn_tunnels", "churn_cycles",
                                                          "churn_failures"), ""),
        ("  churn: sessions per second", "churn_sessions_per_s", "/s"),
    ]),
    ("SIP flood (INVITEs from untrusted sources, tools/bench_flood.py)", [
        ("flood rate / datagrams sent", ("flood_rate_per_s", "flood_sent"), "/s"),
        ("  counted as untrusted (dropped, unanswered)", "flood_untrusted_counted", ""),
        ("legitimate call INVITE -> 200 p50, idle", "flood_call_setup_ms_idle_p50", "ms"),
        ("  during the flood p50 / max", ("flood_call_setup_ms_during_p50",
                                          "flood_call_setup_ms_during_max"), "ms"),
        ("  ratio during / idle (goal: within 2)", "flood_setup_ratio", ""),
        ("  calls failed", "flood_calls_failed", ""),
        ("RSS before / after / after a second flood", ("flood_rss_before_kib", "flood_rss_after_kib",
                                                        "flood_rss_after_second_kib"), "KiB"),
    ]),
    ("Data plane", [
        ("IPsec throughput, 1 tunnel, vpnsipd", "throughput_mbps_single", "Mbit/s"),
        ("IPsec throughput, strongSwan kernel-libipsec", "throughput_mbps_strongswan", "Mbit/s"),
        ("ratio vpnsipd / strongSwan", "throughput_ratio_vs_strongswan", ""),
        ("IKE SA setups per second (sequential)", "ike_setup_rate_per_s", "/s"),
        ("shaped tunnels at once (b=AS sum)", ("aggregate_tunnels", "aggregate_bas_kbps_sum"),
         "kbit/s"),
        ("  outer rate sum (ratio to b=AS sum)", ("aggregate_outer_kbps_sum",
                                                  "aggregate_outer_ratio"), "kbit/s"),
        ("  outer rate per tunnel min / max", ("aggregate_outer_kbps_min",
                                               "aggregate_outer_kbps_max"), "kbit/s"),
        ("  inner goodput sum (iperf3 receivers)", "aggregate_goodput_kbps_sum", "kbit/s"),
    ]),
]


def load(path, default):
    try:
        with open(path) as f:
            return json.load(f)
    except FileNotFoundError:
        return default
    except (OSError, ValueError) as e:
        print("bench_report: %s: %s" % (os.path.basename(path), e), file=sys.stderr)
        return default


def fmt(v):
    if v is None:
        return "-"
    if isinstance(v, float):
        return "%.3f" % v if abs(v) < 10 else "%.1f" % v
    return str(v)


def machine():
    model = ""
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.startswith("model name"):
                    model = line.split(":", 1)[1].strip()
                    break
    except OSError:
        pass
    mem = 0
    with open("/proc/meminfo") as f:
        for line in f:
            if line.startswith("MemTotal"):
                mem = int(line.split()[1]) // 1024 // 1024
    return "%d cores (%s), %d GiB, Linux %s" % (os.cpu_count(), model or platform.machine(), mem,
                                                 platform.release())


def main():
    args = sys.argv[1:]
    sessions = None
    if args[:1] == ["--sessions"]:
        sessions = int(args[1])
        args = args[2:]
    parts, out_json, out_md = args
    res = dict.fromkeys(REQUIRED)
    control = load(os.path.join(parts, "control.json"), {})
    res.update(control)
    res.update(load(os.path.join(parts, "ike.json"), {}))
    res.update(load(os.path.join(parts, "lab.json"), {}))
    res.update(load(os.path.join(parts, "flood.json"), {}))
    scale_path = os.path.join(parts, "scale.json")
    if os.path.exists(scale_path):
        for k, v in load(scale_path, {}).items():
            if k in SCALE_OWNS or k not in res:
                res[k] = v
            else:
                res["scale_" + k] = v
    if res.get("sessions_target") is None:
        res["sessions_target"] = sessions
    res["qos_shaper_accuracy"] = load(os.path.join(parts, "qos.json"), [])
    now = datetime.datetime.now(datetime.timezone.utc)
    res["date"] = now.strftime("%Y-%m-%dT%H:%M:%SZ")
    res["machine"] = machine()
    try:
        res["commit"] = subprocess.run(["git", "rev-parse", "--short", "HEAD"], capture_output=True,
                                       text=True).stdout.strip() or None
    except OSError:
        res["commit"] = None
    with open(out_json, "w") as f:
        json.dump(res, f, indent=1, sort_keys=True)

    text, md = [], []
    title = "vpnsip benchmark, %s, %s" % (now.strftime("%Y-%m-%d %H:%M UTC"), res["machine"])
    text.append(title)
    md.append("Measured %s on %s (commit %s, `make bench SESSIONS=%s`).\n" % (
        now.strftime("%Y-%m-%d"), res["machine"], res["commit"], fmt(sessions)))
    md.append("| figure | value | unit |\n|---|---:|---|")
    for section, rows in TABLE:
        text.append("\n" + section)
        md.append("| **%s** | | |" % section)
        for label, keys, unit in rows:
            keys = keys if isinstance(keys, tuple) else (keys,)
            val = " / ".join(fmt(res.get(k)) for k in keys)
            text.append("  %-50s %16s %s" % (label, val, unit))
            md.append("| %s | %s | %s |" % (label.strip(), val, unit))
    q = res["qos_shaper_accuracy"]
    if q:
        text.append("\nQoS shaper accuracy (veth: L2 rate at the receiver; session: a real VPN-SIP "
                    "session at b=AS,\nouter L3 rate on the backup link)")
        text.append("  %-16s %-10s %10s %10s %7s" % ("where", "mode", "configured", "measured",
                                                     "ratio"))
        md.append("\n| shaper: where | mode | configured bit/s | measured bit/s | ratio |\n"
                  "|---|---|---:|---:|---:|")
        for r in q:
            ratio = r["measured_bps"] / r["configured_bps"] if r.get("configured_bps") else 0
            text.append("  %-16s %-10s %10d %10d %7.3f" % (r["where"], r["mode"],
                                                           r["configured_bps"], r["measured_bps"],
                                                           ratio))
            md.append("| %s | %s | %d | %d | %.3f |" % (r["where"], r["mode"], r["configured_bps"],
                                                       r["measured_bps"], ratio))
    print("\n".join(text))
    with open(out_md, "w") as f:
        f.write("\n".join(md) + "\n")
    print("\nresults: %s  table: %s" % (out_json, out_md))


if __name__ == "__main__":
    main()
