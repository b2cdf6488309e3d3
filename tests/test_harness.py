"""The suite's own verdict on how a vpnsipd run ended (conftest.Daemon, used
by daemon_factory and routing_util) fails when it should: a stand-in
vpnsipd that exits non-zero, dies by a signal, hangs on SIGTERM or prints a
sanitizer report is recorded as a problem; a clean exit is not.  (The lab's
`vpnsipd stop` has the same checks in tests/test_lab.py.)"""
import time

import pytest

from conftest import Daemon

pytestmark = pytest.mark.netns


def fake_build(tmp_path, on_term):
    """A build directory whose vpnsipd is a stand-in running on_term at SIGTERM."""
    d = tmp_path / "fakebuild"
    d.mkdir()
    prog = d / "vpnsipd"
    prog.write_text("#!/usr/bin/python3\n"
                    "import os, signal, sys, time\n"
                    "def term(*_):\n"
                    "    %s\n"
                    "signal.signal(signal.SIGTERM, term)\n"
                    "print('started', flush=True)\n"
                    "time.sleep(60)\n" % on_term)
    prog.chmod(0o755)
    return d


def start(d):
    """Start the stand-in and wait until its SIGTERM handler is in place."""
    d.start(wait=False)
    for _ in range(200):
        if "started" in d.log.read_text():
            return
        time.sleep(0.05)
    raise AssertionError("the stand-in did not start:\n" + d.log.read_text())


@pytest.mark.parametrize("on_term,why", [
    ("sys.exit(0)", None),
    ("sys.exit(23)", "exited with status 23"),
    ("os.kill(os.getpid(), signal.SIGKILL)", "killed by signal SIGKILL"),
    ("pass", "did not exit within 1 s of SIGTERM (killed)"),
    ("print('==1==ERROR: AddressSanitizer: heap-use-after-free', flush=True); sys.exit(0)",
     "exited 0, with a sanitizer report"),
    ("print('==1==ERROR: LeakSanitizer: detected memory leaks', flush=True); sys.exit(0)",
     "exited 0, with a sanitizer report"),
    ("print('a.c:1:2: runtime error: load of misaligned address', flush=True); sys.exit(0)",
     "exited 0, with a sanitizer report"),
], ids=["clean", "status", "signal", "hangs", "asan", "lsan", "ubsan"])
def test_daemon_run_is_judged(tmp_path, netns, on_term, why):
    d = Daemon(fake_build(tmp_path, on_term), netns, tmp_path / "d", "")
    start(d)
    d.stop(timeout=1)
    if why is None:
        assert d.problems == []
        d.assert_clean()
        return
    assert len(d.problems) == 1 and why in d.problems[0], d.problems
    with pytest.raises(AssertionError):
        d.assert_clean()


def test_a_run_that_ended_by_itself_is_judged_at_the_next_start(tmp_path, netns):
    d = Daemon(fake_build(tmp_path, "sys.exit(0)"), netns, tmp_path / "d", "")
    start(d)
    d.proc.terminate()      # the run ends (0) before the test stops it
    d.proc.wait()
    start(d)
    d.proc.send_signal(9)   # this one dies by a signal by itself
    d.proc.wait()
    start(d)
    d.stop(timeout=5)
    assert len(d.problems) == 1 and "killed by signal SIGKILL" in d.problems[0], d.problems


def test_kill_on_purpose_is_not_judged(tmp_path, netns):
    d = Daemon(fake_build(tmp_path, "sys.exit(0)"), netns, tmp_path / "d", "")
    start(d)
    d.kill()
    start(d)
    d.assert_clean()
