"""A short, bounded run of each libFuzzer target (make fuzz-build) on a copy
of its seed corpus: the seeds and a few thousand mutations of them must
neither crash, leak nor hit undefined behaviour.  Long runs: make fuzz."""
import shutil
import subprocess
from pathlib import Path

import pytest

from conftest import require

ROOT = Path(__file__).resolve().parent.parent
TARGETS = ["cli", "sdp"]


@pytest.mark.parametrize("target", TARGETS)
def test_fuzz_smoke(target, tmp_path):
    binary = ROOT / "build/fuzz" / ("fuzz_" + target)
    require(binary.exists(), "%s not built (make fuzz-build; needs clang and libclang-rt-14-dev)"
            % binary.relative_to(ROOT))
    seeds = ROOT / "tests/fuzz/corpus" / target
    corpus = tmp_path / "corpus"
    shutil.copytree(seeds, corpus)
    artifacts = tmp_path / "artifacts"
    artifacts.mkdir()
    proc = subprocess.run(
        [str(binary), "-runs=20000", "-max_total_time=20", "-timeout=10",
         "-rss_limit_mb=2048", "-seed=1", "-print_final_stats=1",
         "-artifact_prefix=%s/" % artifacts, str(corpus)],
        cwd=tmp_path, stdin=subprocess.DEVNULL, capture_output=True, text=True, timeout=120)
    found = sorted(p.name for p in artifacts.iterdir())
    assert proc.returncode == 0 and not found, (
        "fuzz_%s failed (exit %d), artifacts %s:\n%s"
        % (target, proc.returncode, found, proc.stderr[-6000:]))
    assert "stat::number_of_executed_units" in proc.stderr
