"""ABI smoke test of the embedded strongSwan (see docs/strongswan-build.md).

Runs build/tests/charon_abi_smoke and build/asan/tests/charon_abi_smoke (a
missing one fails) in a fresh network namespace: charon binds UDP
500/4500, talks netlink and kernel-libipsec creates the TUN device ipsec0.
`unshare --net` gives the process its own namespace, which the kernel removes
when the process exits (also on timeout or crash), so nothing is left behind
and nothing touches the host's network.

Sanitizer options: none are set here.  The ASan binary carries its own
LeakSanitizer suppression (__lsan_default_suppressions in the test program)
for OpenSSL's global tables, which the openssl plugin never frees; all other
leaks are still reported and fail the run.
"""

import os
import re
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import require

ROOT = Path(__file__).resolve().parent.parent
NORMAL = ROOT / "build" / "tests" / "charon_abi_smoke"
ASAN = ROOT / "build" / "asan" / "tests" / "charon_abi_smoke"
TIMEOUT = 120

FINAL = re.compile(r"^(\d+) passed, (\d+) failed$")


def _binaries():
    yield pytest.param(NORMAL, id="normal")
    yield pytest.param(ASAN, id="asan")


def _run_in_netns(binary):
    cmd = [
        "unshare", "--net", "--",
        "sh", "-c", 'ip link set lo up && exec "$0"', str(binary),
    ]
    env = dict(os.environ)
    return subprocess.run(
        cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
        text=True, timeout=TIMEOUT, check=False,
    )


@pytest.mark.parametrize("binary", list(_binaries()))
def test_charon_abi_smoke(binary):
    require(os.geteuid() == 0, "needs root for a network namespace, UDP 500/4500 and TUN")
    for tool in ("unshare", "ip"):
        require(shutil.which(tool), f"'{tool}' not found (run 'make deps')")
    require(binary.exists(), f"{binary.relative_to(ROOT)} not built (run 'make unit')")

    res = _run_in_netns(binary)
    out = res.stdout + ("\n--- stderr ---\n" + res.stderr if res.stderr else "")
    lines = [ln for ln in res.stdout.splitlines() if ln.strip()]
    assert lines, f"no output from {binary}:\n{out}"

    failed = [ln for ln in lines if ln.startswith("FAIL")]
    m = FINAL.match(lines[-1])
    assert m, f"last line is not 'N passed, N failed':\n{out}"
    assert not failed and m.group(2) == "0", "\n".join(failed) + f"\n\n{out}"
    assert int(m.group(1)) > 0, out
    assert res.returncode == 0, f"exit status {res.returncode}:\n{out}"
    # ASan/UBSan report on stderr; a report without a failing exit status
    # would still be a bug worth seeing.
    assert "ERROR: AddressSanitizer" not in res.stderr, out
    assert "ERROR: LeakSanitizer" not in res.stderr, out
    assert "runtime error:" not in res.stderr, out
