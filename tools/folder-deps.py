#!/usr/bin/python3
"""Which folder of src/ includes which (its #include "folder/file.h" lines,
public headers under include/ left out), and the sets of folders that
include each other in a cycle.

    tools/folder-deps.py            the table and the cycles
    tools/folder-deps.py --json     the same as JSON (tests/test_layout.py)

docs/architecture.md shows this output; tests/test_layout.py fails when a
folder cycle appears that the document does not name."""
import json
import os
import re
import sys

INCLUDE = re.compile(r'^#include "(([a-z_0-9]+)/[A-Za-z_0-9.]+)"', re.M)


def folder_deps(src):
    deps = {}
    for d in sorted(os.listdir(src)):
        path = os.path.join(src, d)
        if not os.path.isdir(path):
            continue
        deps[d] = set()
        for f in sorted(os.listdir(path)):
            if not f.endswith((".c", ".h")):
                continue
            with open(os.path.join(path, f), encoding="utf-8") as fh:
                text = fh.read()
            for m in INCLUDE.finditer(text):
                if m.group(2) != d and os.path.exists(os.path.join(src, m.group(1))):
                    deps[d].add(m.group(2))
    return deps


def cycles(deps):
    """Strongly connected sets of more than one folder (Tarjan)."""
    index, low, stack, on, out = {}, {}, [], set(), []

    def visit(v):
        index[v] = low[v] = len(index)
        stack.append(v)
        on.add(v)
        for w in sorted(deps.get(v, ())):
            if w not in index:
                visit(w)
                low[v] = min(low[v], low[w])
            elif w in on:
                low[v] = min(low[v], index[w])
        if low[v] == index[v]:
            comp = []
            while True:
                w = stack.pop()
                on.discard(w)
                comp.append(w)
                if w == v:
                    break
            if len(comp) > 1:
                out.append(sorted(comp))

    for v in sorted(deps):
        if v not in index:
            visit(v)
    return sorted(out)


def main():
    src = os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
    deps = folder_deps(src)
    cyc = cycles(deps)
    if "--json" in sys.argv[1:]:
        print(json.dumps({"deps": {k: sorted(v) for k, v in deps.items()}, "cycles": cyc}))
        return
    for d, to in deps.items():
        print(f"{d:10} -> {' '.join(sorted(to)) or '-'}")
    print("cycles:", "; ".join(" ".join(c) for c in cyc) or "none")


if __name__ == "__main__":
    main()
