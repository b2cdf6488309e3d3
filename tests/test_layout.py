"""The folder layout is the architecture (docs/architecture.md, "Who
includes whom"): the folders of src/ include each other in one cycle only,
the core's (config, log, net: the model holds the interfaces and logging
settings, and their commands are configuration), and no feature folder is
part of any cycle.  tools/folder-deps.py computes the graph."""
import json
import os
import subprocess

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.dirname(HERE)

# The one cycle the architecture accepts.
CORE_CYCLE = ["config", "log", "net"]
FEATURES = ["sip", "vpnsip", "crypto", "ike", "dataplane", "route", "track", "acl", "nat",
            "dhcp", "qos", "snmp"]


def graph():
    out = subprocess.run([os.path.join(ROOT, "tools", "folder-deps.py"), "--json"],
                         capture_output=True, text=True, check=True).stdout
    return json.loads(out)


def test_only_the_core_cycle():
    g = graph()
    assert g["cycles"] == [CORE_CYCLE], g["cycles"]


def test_core_and_features_direction():
    deps = graph()["deps"]
    # the core and the libraries below it know no feature; only the
    # composition root (daemon/) knows them all
    for core in ("util", "cli", "config", "log", "net", "ctl"):
        assert not set(deps[core]) & set(FEATURES), (core, deps[core])
    assert set(FEATURES) - {"sip"} <= set(deps["daemon"]), deps["daemon"]  # sip: by vpnsip
    # the data plane is below the IKE engine and the orchestrator
    assert not {"ike", "vpnsip", "sip", "qos"} & set(deps["dataplane"]), deps["dataplane"]
    # the SIP user agent knows nothing of sessions or IKE
    assert not {"vpnsip", "ike", "crypto"} & set(deps["sip"]), deps["sip"]


def test_architecture_document_shows_the_graph():
    text = open(os.path.join(ROOT, "docs", "architecture.md"), encoding="utf-8").read()
    table = subprocess.run([os.path.join(ROOT, "tools", "folder-deps.py")],
                           capture_output=True, text=True, check=True).stdout
    assert table in text, "docs/architecture.md: paste tools/folder-deps.py's output again"
