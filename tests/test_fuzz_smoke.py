"""A short, bounded run of each libFuzzer target (make fuzz-build) on a copy
of its seed corpus (tests/fuzz/corpus/<name>/): the seeds and a few
thousand mutations of them must neither crash, leak, hit undefined
behaviour nor break the target's invariants (each target asserts its own:
round trips, what a model says; see the comment at the top of
tests/fuzz/fuzz_<name>.c).  Long runs: make fuzz.

The targets run two at a time (the machine's two cores) while the first
test waits for them; each target's test then reports its own result."""
import shutil
import subprocess
import tempfile
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest

from conftest import require

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ["cli", "sdp", "sip", "dhcp", "ctl", "esp"]
RUNS = 20000      # mutations at most
SECONDS = 6       # and at most this long (the CLI target is the slow one)


def run_target(target, workdir):
    binary = ROOT / "build/fuzz" / ("fuzz_" + target)
    if not binary.exists():
        return None
    corpus = workdir / target / "corpus"
    shutil.copytree(ROOT / "tests/fuzz/corpus" / target, corpus)
    artifacts = workdir / target / "artifacts"
    artifacts.mkdir()
    dictionary = ROOT / "tests/fuzz" / (target + ".dict")
    cmd = [str(binary), "-runs=%d" % RUNS, "-max_total_time=%d" % SECONDS, "-timeout=10",
           "-rss_limit_mb=2048", "-seed=1", "-print_final_stats=1",
           "-artifact_prefix=%s/" % artifacts]
    if dictionary.exists():
        cmd.append("-dict=%s" % dictionary)
    proc = subprocess.run(cmd + [str(corpus)], cwd=workdir / target, stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, errors="replace", timeout=120)
    return proc, sorted(p.name for p in artifacts.iterdir())


@pytest.fixture(scope="module")
def results():
    workdir = Path(tempfile.mkdtemp(prefix="vpnsip-fuzz-smoke-"))
    try:
        with ThreadPoolExecutor(max_workers=2) as pool:
            futures = {t: pool.submit(run_target, t, workdir) for t in TARGETS}
            yield {t: f.result() for t, f in futures.items()}
    finally:
        shutil.rmtree(workdir, ignore_errors=True)


@pytest.mark.parametrize("target", TARGETS)
def test_fuzz_smoke(target, results):
    got = results[target]
    require(got is not None, "build/fuzz/fuzz_%s not built (make fuzz-build; needs clang and "
            "libclang-rt-14-dev)" % target)
    proc, found = got
    assert proc.returncode == 0 and not found, (
        "fuzz_%s failed (exit %d), artifacts %s:\n%s"
        % (target, proc.returncode, found, proc.stderr[-6000:]))
    assert "stat::number_of_executed_units" in proc.stderr
    # every seed ran: the corpus loaded without a crash
    assert "INITED" in proc.stderr, proc.stderr[-3000:]


def test_every_target_has_seeds_and_a_smoke_run():
    """A target added to mk/fuzz.mk has seeds and runs here."""
    mk = (ROOT / "mk/fuzz.mk").read_text()
    line = next(ln for ln in mk.splitlines() if ln.startswith("FUZZ_TARGETS"))
    assert line.split(":=")[1].split() == TARGETS
    for t in TARGETS:
        assert any((ROOT / "tests/fuzz/corpus" / t).iterdir()), t
        assert (ROOT / "tests/fuzz" / ("fuzz_%s.c" % t)).exists(), t
