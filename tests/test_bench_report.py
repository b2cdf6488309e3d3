"""make bench's merger (tools/bench_report.py): parts that did not run leave
their figures null, bench_scale.py owns the concurrency keys and its other
colliding keys keep a scale_ prefix, the table is printed and written as
Markdown.  The benchmarks themselves are never part of make test."""
import json
import os
import subprocess

TOP = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
REPORT = os.path.join(TOP, "tools", "bench_report.py")
REQUIRED = ["sessions_target", "sessions_up", "all_up_seconds", "setup_latency_ms_p50",
            "setup_latency_ms_p95", "floor_latency_ms_p50", "rss_base_kib", "rss_per_session_kib",
            "config_load_1000_tunnels_ms", "show_session_ms", "throughput_mbps_single",
            "throughput_ratio_vs_strongswan"]


def run(tmp_path, parts, sessions=7):
    d = tmp_path / "parts"
    d.mkdir()
    for name, data in parts.items():
        (d / name).write_text(json.dumps(data))
    out, md = tmp_path / "results.json", tmp_path / "table.md"
    p = subprocess.run(["/usr/bin/python3", REPORT, "--sessions", str(sessions), str(d), str(out),
                        str(md)], capture_output=True, text=True, timeout=30)
    assert p.returncode == 0, p.stderr
    return json.loads(out.read_text()), p.stdout, md.read_text()


def test_nothing_ran_every_required_key_null(tmp_path):
    res, text, md = run(tmp_path, {})
    for k in REQUIRED:
        assert k in res, k
        if k != "sessions_target":
            assert res[k] is None, (k, res[k])
    assert res["sessions_target"] == 7          # the requested target, not a measurement
    assert res["qos_shaper_accuracy"] == []
    assert "setup latency p50 / p95 / max" in text and "- / - / - ms" in text
    assert md.startswith("Measured ") and "| figure | value | unit |" in md


def test_parts_merged_scale_owns_concurrency(tmp_path):
    parts = {
        "control.json": {"config_load_1000_tunnels_ms": 812, "show_running_config_ms": 9.5},
        "lab.json": {"setup_latency_ms_p50": 10.8, "setup_latency_ms_p95": 16.6,
                     "floor_latency_ms_p50": 7.9},
        "ike.json": {"throughput_mbps_single": 300.5, "throughput_ratio_vs_strongswan": 1.2},
        "scale.json": {"sessions_target": 50, "sessions_up": 50, "all_up_seconds": 0.4,
                       "rss_base_kib": 24000, "rss_per_session_kib": 120.5,
                       "show_session_ms": 6.1, "setup_latency_ms_p50": 30.2,
                       "show_running_config_ms": 8.0, "fd_count": 90},
        "qos.json": [{"where": "veth", "mode": "udp-1400", "configured_bps": 64000,
                      "measured_bps": 63000}],
    }
    res, text, md = run(tmp_path, parts, sessions=50)
    assert res["sessions_up"] == 50 and res["rss_base_kib"] == 24000
    assert res["show_session_ms"] == 6.1 and res["fd_count"] == 90
    assert res["setup_latency_ms_p50"] == 10.8 and res["scale_setup_latency_ms_p50"] == 30.2
    assert res["show_running_config_ms"] == 9.5 and res["scale_show_running_config_ms"] == 8.0
    assert res["throughput_ratio_vs_strongswan"] == 1.2
    assert res["config_load_1000_tunnels_ms"] == 812
    assert "10.8 / 16.6" in text and "0.984" in text   # the shaper row's ratio
    assert "| veth | udp-1400 | 64000 | 63000 | 0.984 |" in md


def test_broken_part_is_skipped(tmp_path):
    d = tmp_path / "parts"
    d.mkdir()
    (d / "lab.json").write_text("{not json")
    out, md = tmp_path / "r.json", tmp_path / "t.md"
    p = subprocess.run(["/usr/bin/python3", REPORT, str(d), str(out), str(md)],
                       capture_output=True, text=True, timeout=30)
    assert p.returncode == 0 and "lab.json" in p.stderr
    assert json.loads(out.read_text())["setup_latency_ms_p50"] is None


def test_flood_part_reported(tmp_path):
    flood = {"flood_rate_per_s": 2000, "flood_sent": 40000, "flood_untrusted_counted": 40000,
             "flood_call_setup_ms_idle_p50": 9.5, "flood_call_setup_ms_during_p50": 11.25,
             "flood_call_setup_ms_during_max": 20.0, "flood_setup_ratio": 1.18,
             "flood_calls_failed": 0, "flood_rss_before_kib": 30000,
             "flood_rss_after_kib": 30100, "flood_rss_after_second_kib": 30200}
    res, text, md = run(tmp_path, {"flood.json": flood})
    for k, v in flood.items():
        assert res[k] == v, k
    assert "SIP flood (INVITEs from untrusted sources" in text
    assert "2000 / 40000 /s" in text and "1.180" in text
    assert "| RSS before / after / after a second flood | 30000 / 30100 / 30200 | KiB |" in md
