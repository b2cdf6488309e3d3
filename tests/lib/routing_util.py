"""Helpers shared by the routing, track, NAT and DHCP tests:
vpnsipd (conftest.Daemon, so the exit status and the sanitizer's verdict
count) running inside a lab router's namespace, and a timeline printer."""
import os
import time

from conftest import Daemon


class NsRef:
    """The part of conftest.Netns that Daemon uses, for a lab namespace."""

    def __init__(self, name):
        self.name = name


def start(build, lab, node, workdir, config_text):
    d = Daemon(build, NsRef(lab.ns(node)), os.path.join(str(workdir), node), config_text)
    d.start()
    return d


def stop_clean(d):
    """SIGTERM; the daemon must exit 0 (no sanitizer report, no leak)."""
    d.assert_clean()


def config(d, *lines):
    """Configuration lines through the shell, one session."""
    return d.sh("configure terminal", *lines, "end")


def static_routes(lab, node):
    out = lab.exec(node, "ip", "-4", "route", "show", "proto", "static").stdout
    return [l.strip() for l in out.splitlines() if l.strip()]


def route_dev(lab, node, dst):
    out = lab.exec(node, "ip", "-4", "route", "get", dst).stdout.split()
    return out[out.index("dev") + 1] if "dev" in out else None


def tx_packets(lab, node, dev):
    out = lab.exec(node, "cat", "/sys/class/net/%s/statistics/tx_packets" % dev).stdout.strip()
    return int(out) if out else -1


class Timeline:
    def __init__(self, title):
        self.t0 = time.monotonic()
        self.title = title
        self.events = []

    def mark(self, what):
        t = time.monotonic() - self.t0
        self.events.append((t, what))
        print("  %7.3f s  %s" % (t, what))
        return t

    def dump(self):
        print("\n%s timeline:" % self.title)
        for t, what in self.events:
            print("  %7.3f s  %s" % (t, what))
