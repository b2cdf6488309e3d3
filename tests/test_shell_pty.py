"""vpnsipsh as an operator uses it: a real pseudo-terminal, keys typed one by
one (?, TAB, Ctrl-Z), prompts, carets under the echoed line, the pager,
enable with a secret, and monitor lines arriving while idle."""
import re
import subprocess
import time

import pexpect
import pytest

pytestmark = pytest.mark.netns


@pytest.fixture
def shell(build, daemon_factory):
    d = daemon_factory(build, "hostname R1\ninterface Tunnel1\n description first\n").start()

    def spawn():
        p = pexpect.spawn(str(build / "vpnsipsh"), ["-S", d.sock], encoding="utf-8",
                          timeout=10, dimensions=(24, 100))
        p.expect_exact("R1>")
        return p

    spawn.daemon = d
    return spawn


def test_prompts_modes_and_ctrl_z(shell):
    p = shell()
    p.sendline("enable")
    p.expect_exact("R1#")
    p.sendline("conf t")
    p.expect_exact("R1(config)#")
    p.sendline("int tun 1")
    p.expect_exact("R1(config-if)#")
    p.send("\x1a")  # Ctrl-Z: back to privileged EXEC
    p.expect_exact("^Z")
    p.expect_exact("R1#")
    p.sendline("configure terminal")
    p.expect_exact("R1(config)#")
    p.sendline("exit")
    p.expect_exact("R1#")
    p.sendline("disable")
    p.expect_exact("R1>")
    p.sendline("exit")
    p.expect(pexpect.EOF)


def test_question_mark_lists_and_keeps_the_line(shell):
    p = shell()
    p.sendline("enable")
    p.expect_exact("R1#")
    p.send("show ?")
    p.expect_exact("running-config  Current operating configuration")
    p.expect_exact("version         System hardware and software status")
    p.expect_exact("R1#show ")  # the line is redrawn as it was
    p.send("ver\r")
    p.expect_exact("vpnsip Software, Version")
    p.expect_exact("R1#")
    p.send("sh?")  # mid-word: the words it may become
    p.expect_exact("show")
    p.expect_exact("R1#sh")
    p.send("\x15")  # Ctrl-U clears the line
    p.sendline("")
    p.expect_exact("R1#")


def test_tab_completes_unique_prefixes(shell):
    p = shell()
    p.sendline("enable")
    p.expect_exact("R1#")
    p.send("sh\t")
    p.expect_exact("show ")
    p.send("run\t")
    p.expect_exact("running-config ")
    p.send("| inc hostname\r")
    p.expect_exact("hostname R1")
    p.expect_exact("R1#")


def test_caret_under_the_echoed_line(shell):
    p = shell()
    p.sendline("enable")
    p.expect_exact("R1#")
    p.sendline("conf t")
    p.expect_exact("R1(config)#")
    p.sendline("hostnme R2")
    # prompt "R1(config)#" is 11 columns; the caret goes under the 'm'
    p.expect(r"\r\n {16}\^\r\n% Invalid input detected at '\^' marker\.")
    p.expect_exact("R1(config)#")
    p.sendline("hostname")
    p.expect_exact("% Incomplete command.")
    p.sendline("int tun 1")
    p.sendline("de x")
    p.expect_exact('% Ambiguous command:  "de x"')


def test_pager_and_terminal_length(shell):
    d = shell.daemon
    d.sh("configure terminal", *[f"interface Loopback{i}" for i in range(40)])
    p = shell()
    p.sendline("enable")
    p.expect_exact("R1#")
    p.sendline("show running-config")
    p.expect_exact("--More--")
    p.send(" ")
    p.expect_exact("--More--")
    p.send("q")
    p.expect_exact("R1#")
    p.sendline("terminal length 0")
    p.expect_exact("R1#")
    p.sendline("show running-config")
    i = p.expect_exact(["--More--", "\r\nend\r\n"])
    assert i == 1


def test_enable_secret_prompts_without_echo(shell):
    d = shell.daemon
    d.sh("configure terminal", "enable secret S3cret!x")
    p = shell()
    p.sendline("enable")
    p.expect_exact("Password: ")
    p.sendline("wrong")
    p.expect_exact("Password: ")
    p.sendline("S3cret!x")
    p.expect_exact("R1#")
    assert "S3cret" not in p.before
    p.sendline("disable")
    p.expect_exact("R1>")
    p.sendline("enable")
    for _ in range(3):
        p.expect_exact("Password: ")
        p.sendline("nope")
    p.expect_exact("% Bad secrets")
    p.expect_exact("R1>")


def test_monitor_lines_arrive_while_idle(shell):
    d = shell.daemon
    p = shell()
    p.sendline("enable")
    p.expect_exact("R1#")
    p.sendline("terminal monitor")
    p.expect_exact("R1#")
    p.sendline("debug config changes")
    p.expect_exact("R1#")
    p.send("show ver")  # half-typed when the line arrives
    time.sleep(0.2)
    d.sh("configure terminal", "hostname R1", "interface Loopback77")
    p.expect(r"CONFIG: vty\d+: interface Loopback77")
    p.expect_exact("R1#show ver")  # the operator's line is redrawn intact
    p.send("\r")
    p.expect_exact("vpnsip Software")


def test_banner_over_several_lines(shell):
    p = shell()
    p.sendline("enable")
    p.expect_exact("R1#")
    p.sendline("configure terminal")
    p.expect_exact("R1(config)#")
    p.sendline("banner motd #")
    p.expect_exact("Enter TEXT message.  End with the character '#'.")
    p.sendline("Authorised staff only")
    p.sendline("#")
    p.expect_exact("R1(config)#")
    r = shell.daemon.sh("show running-config | include Authorised")
    assert r.stdout == "Authorised staff only\n"
