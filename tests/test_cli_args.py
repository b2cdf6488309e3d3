"""Static audit of argument names: every name a command handler (or a helper
it hands its struct cli_exec to) asks for with cli_arg(), cli_opt(),
cli_has() or cli_arg_long() must be defined by some command bound to that
handler.

The command table comes from the engine itself (build/tests/test_cli_walk
writes it with CLI_DUMP=FILE: each command's mode, syntax, the names its
syntax defines and its handler's address relative to cli_install()); nm
names the handlers, and the sources give each function's literal names and
the functions it passes its struct cli_exec to.

This is the weaker, whole-source half of the check: it sees every call site
(error branches included) but only per handler.  The stricter half, per
command, is cli_arg() itself (it refuses names the command that ran does
not define: abort in the sanitizer build) driven over every command by
tests/unit/test_cli_walk.c.  Names computed at run time (built with
snprintf, taken from arrays) are listed, not checked here: the walk covers
them.
"""
import re
import subprocess
from collections import defaultdict
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
WALK = ROOT / "build/tests/test_cli_walk"
QUERY_FNS = ("cli_arg", "cli_opt", "cli_has", "cli_arg_long")

FUNC_RE = re.compile(
    r"^(?P<static>static\s+)?(?:inline\s+)?(?:const\s+)?(?:struct\s+|enum\s+|unsigned\s+)?"
    r"\w+[\s\*]+(?P<name>\w+)\((?P<params>[^;{)]*(?:\([^)]*\)[^;{)]*)*)\)\s*\n\{(?P<body>.*?)^\}",
    re.M | re.S)
PARAM_RE = re.compile(r"struct\s+cli_exec\s*\*\s*(\w+)")


def strip_comments(text):
    return re.sub(r"/\*.*?\*/", lambda m: "\n" * m.group(0).count("\n"), text, flags=re.S)


class Func:
    def __init__(self, path, name, static, param, body):
        self.path, self.name, self.static, self.param, self.body = path, name, static, param, body
        q = "|".join(QUERY_FNS)
        self.names = set()
        self.dynamic = []
        for m in re.finditer(r"\b(%s)\s*\(\s*%s\s*,\s*([^,)]+)" % (q, re.escape(param)), body):
            arg = m.group(2).strip()
            lit = re.fullmatch(r'"([^"\\]*)"', arg)
            if lit:
                self.names.add(lit.group(1))
            else:
                self.dynamic.append("%s(%s, %s)" % (m.group(1), param, arg))
        self.calls = {m.group(1) for m in re.finditer(
            r"\b(\w+)\s*\(\s*%s\s*[,)]" % re.escape(param), body)} - set(QUERY_FNS)


def parse_sources():
    """(path, name) -> Func for every function that takes a struct cli_exec *."""
    funcs = {}
    for path in sorted((ROOT / "src").rglob("*.c")):
        text = strip_comments(path.read_text())
        rel = str(path.relative_to(ROOT))
        for m in FUNC_RE.finditer(text):
            p = PARAM_RE.search(m.group("params"))
            if p:
                funcs[(rel, m.group("name"))] = Func(rel, m.group("name"), bool(m.group("static")),
                                                     p.group(1), m.group("body"))
    return funcs


def resolve(funcs, caller, callee):
    """The functions a call by name from caller's file may reach."""
    if (caller.path, callee) in funcs:
        return [funcs[(caller.path, callee)]]
    return [f for (p, n), f in funcs.items() if n == callee and not f.static]


def handler_symbols():
    """nm address -> (source path, function name)."""
    out = subprocess.run(["nm", "-l", str(WALK)], capture_output=True, text=True, check=True).stdout
    syms, base = {}, None
    for line in out.splitlines():
        m = re.match(r"^([0-9a-f]+) [tT] (\w+)(?:\t(\S+):\d+)?$", line)
        if not m:
            continue
        addr = int(m.group(1), 16)
        if m.group(2) == "cli_install":
            base = addr
        if m.group(3):
            path = Path(m.group(3))
            try:
                rel = str(path.resolve().relative_to(ROOT))
            except ValueError:
                continue
            syms[addr] = (rel, m.group(2))
    assert base is not None, "cli_install not found by nm in %s" % WALK
    return syms, base


@pytest.fixture(scope="module")
def table(tmp_path_factory):
    if not WALK.exists():
        pytest.fail("%s not built (make unit)" % WALK)
    dump = tmp_path_factory.mktemp("cli") / "commands.tsv"
    r = subprocess.run([str(WALK), "command_table"], env={"CLI_DUMP": str(dump)},
                       capture_output=True, text=True, timeout=60)
    assert r.returncode == 0, r.stdout + r.stderr
    rows = []
    for line in dump.read_text().splitlines():
        off, mode, syntax, names = line.split("\t")
        rows.append((int(off), mode, syntax, set(names.split())))
    assert len(rows) > 500, "only %d commands in the dump" % len(rows)
    return rows


def test_handlers_ask_only_for_names_their_commands_define(table):
    funcs = parse_sources()
    syms, base = handler_symbols()
    defined = defaultdict(set)
    syntaxes = defaultdict(list)
    unnamed = []
    for off, mode, syntax, names in table:
        sym = syms.get(base + off)
        if not sym:
            unnamed.append("%s: %s" % (mode, syntax))
            continue
        defined[sym] |= names
        if "%s: %s" % (mode, syntax) not in syntaxes[sym]:  # one row per spelling
            syntaxes[sym].append("%s: %s" % (mode, syntax))
    assert not unnamed, "handlers nm cannot name:\n" + "\n".join(unnamed)

    problems, dynamic, unparsed = [], set(), []
    for sym in sorted(defined):
        if sym not in funcs:
            unparsed.append("%s:%s" % sym)
            continue
        # every function reachable by handing over the struct cli_exec
        seen, todo = set(), [funcs[sym]]
        while todo:
            f = todo.pop()
            if (f.path, f.name) in seen:
                continue
            seen.add((f.path, f.name))
            for callee in f.calls:
                todo.extend(resolve(funcs, f, callee))
        for path, name in sorted(seen):
            f = funcs[(path, name)]
            for d in f.dynamic:
                dynamic.add("%s:%s: %s" % (path, name, d))
            for n in sorted(f.names - defined[sym]):
                problems.append("%s:%s asks for '%s'%s; the commands of %s define %s:\n    %s" % (
                    path, name, n, "" if (path, name) == sym else " (handed x by %s)" % sym[1],
                    sym[1], " ".join(sorted(defined[sym])) or "nothing",
                    "\n    ".join(syntaxes[sym])))
    assert not unparsed, "handlers whose source the audit cannot read: %s" % unparsed
    print("names computed at run time (checked by the walk only):\n  "
          + "\n  ".join(sorted(dynamic)))
    assert not problems, "\n".join(problems)


def test_the_audit_sees_a_wrong_name(table, tmp_path):
    """The audit can fail: a handler with a name no command of it defines."""
    funcs = parse_sources()
    f = funcs[("src/crypto/ikev2_cmds.c", "cmd_peer_identity")]
    assert "type" in f.names and "value" in f.names
    broken = Func(f.path, f.name, f.static, f.param, f.body.replace('"value"', '"vaule"'))
    syms, base = handler_symbols()
    names = set()
    for off, mode, syntax, defined_names in table:
        if syms.get(base + off) == (f.path, f.name):
            names |= defined_names
    assert "vaule" in broken.names - names
