"""PROTOS-style SIP replay against the sanitizer build (lab).

vpnsipd (build/asan) registers with the lab's Kamailio; then about 3,200
datagrams (tests/lab/sip_protos.py: every field of a VPN-SIP INVITE
replaced by overflows, format strings, odd integers, control characters
and malformed addresses, and every line left out once) go straight to its
SIP port from the NGN's address, each followed by an OPTIONS probe that
must be answered within 3 s.  Asserted: every probe answered (the daemon
and its SIP thread are alive after each case), no case answered 1xx beyond
100 or 2xx (the caller is a number no tunnel has), the registration kept,
no call left, and no sanitizer report when the daemon stops.

The public PROTOS c07-sip and RFC 4475 corpora are not part of the project
(a clean clone has neither); `make fuzz FUZZ_SIP_CORPORA=DIR` feeds them to
the SIP fuzzer, and tests/test_sip_dialog.py sends RFC 4475-style torture
messages written for the lab to both builds."""
import json
import os
import pathlib
import re
import sys

import pytest

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "lab"))
import labctl  # noqa: E402
from test_sip import Vpnsipd, conf_for  # noqa: E402

pytestmark = pytest.mark.netns

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
protos_lab = labctl.lab_fixture(routers=2, name="protos_lab",
                                prefix=os.environ.get("LAB_PREFIX", "vslt") + "p")

UNKNOWN_CALLER = "0399999999"


def test_protos_style_replay_asan(protos_lab, tmp_path):
    lab = protos_lab
    build = pathlib.Path(ROOT) / "build" / "asan"
    if not (build / "vpnsipd").exists():
        if os.environ.get("VPNSIP_TEST_ALLOW_SKIP") == "1":
            pytest.skip("build/asan/vpnsipd not built")
        pytest.fail("build/asan/vpnsipd not built (make SANITIZE=1 all)", pytrace=False)
    for r in lab.routers():
        lab.exec(r, "ip", "addr", "replace", lab.addr(r) + "/24", "dev", "bak0")
    d = Vpnsipd(lab, build, "rtrA", conf_for(lab, "rtrA", lab.number("rtrB"), 1000), tmp_path)
    try:
        d.wait_registered(timeout=20)
        tool = os.path.join(ROOT, "tests", "lab", "sip_protos.py")
        r = lab.exec("ngn", sys.executable, tool, lab.addr("ngn"), "5099", lab.addr("rtrA"),
                     "5060", lab.number("rtrA"), UNKNOWN_CALLER, timeout=900)
        assert r.returncode == 0, r.stderr
        got = json.loads(r.stdout)
        print("protos-style replay:", json.dumps(got, indent=1))
        assert got["cases"] > 3000, got
        assert not got["unanswered"], ("probe unanswered after", got, d.log()[-4000:])
        # never a call: 100 Trying at most, then a refusal (or nothing)
        assert "2xx" not in got["answers"], got
        assert all(s.startswith("SIP/2.0 100 ") for s in got["examples"].get("1xx", [])), got
        assert got["answers"].get("6xx", 0) > 1000, got   # parsed INVITEs: 603
        assert ": registered" in d.sh("show vpn-sip registration-status")
        labctl.wait_for(lambda: re.search(r"SIP calls active\s*: 0$",
                                          d.sh("show vpn-sip sip"), re.M),
                        timeout=40, what="no SIP call left")
    finally:
        d.stop()   # asserts no sanitizer report in the log
