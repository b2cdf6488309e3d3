"""Every C unit-test program (tests/unit/test_*.c, built by `make unit` into
build/tests/ and build/asan/tests/) runs here, in the normal and in the
sanitizer build.  The programs are found from their sources, so a new
tests/unit/test_x.c runs without a change here, and a program that was not
built fails instead of disappearing from the run."""
import os
import re
import subprocess

import pytest

from conftest import ROOT, BUILD_DIRS, SANITIZER_REPORTS

UNIT_SOURCES = sorted((ROOT / "tests" / "unit").glob("test_*.c"))
FINAL = re.compile(r"^(\d+) passed, (\d+) failed$")


def declared_tests(source):
    """The names of the TEST(name) blocks in a unit-test source."""
    return re.findall(r"^TEST\((\w+)\)", source.read_text(), re.M)


def test_unit_sources_exist():
    assert UNIT_SOURCES, "no tests/unit/test_*.c"


@pytest.mark.parametrize("source", UNIT_SOURCES, ids=lambda p: p.stem)
@pytest.mark.parametrize("build_dir", BUILD_DIRS, ids=lambda b: b.replace("/", "-"))
def test_unit_program(build_dir, source):
    binary = ROOT / build_dir / "tests" / source.stem
    assert binary.exists(), "%s is not built (make%s unit)" % (
        binary.relative_to(ROOT), " SANITIZE=1" if "asan" in build_dir else "")
    env = dict(os.environ)
    env.setdefault("ASAN_OPTIONS", "abort_on_error=0:detect_leaks=1")
    r = subprocess.run([str(binary)], capture_output=True, text=True, timeout=300,
                       cwd=ROOT, env=env, stdin=subprocess.DEVNULL)
    out = r.stdout + ("\n--- stderr ---\n" + r.stderr if r.stderr else "")
    lines = [ln for ln in r.stdout.splitlines() if ln.strip()]
    assert lines, "no output from %s:\n%s" % (binary, out)
    m = FINAL.match(lines[-1])
    assert m, "last line is not 'N passed, N failed':\n" + out
    failed = [ln for ln in lines if ln.startswith("FAIL")]
    assert not failed and m.group(2) == "0", "\n".join(failed) + "\n\n" + out
    assert r.returncode == 0, "exit status %d:\n%s" % (r.returncode, out)
    # every TEST() of the source ran (none lost to a broken registration)
    ran = sorted(ln.split()[-1] for ln in lines if ln.startswith("ok "))
    assert ran == sorted(declared_tests(source)), out
    found = [s for s in SANITIZER_REPORTS if s in r.stderr]
    assert not found, "sanitizer report (%s):\n%s" % (", ".join(found), out)
