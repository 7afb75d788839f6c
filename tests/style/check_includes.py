#!/usr/bin/env python3
"""Fails on a dependency cycle between the emulator's modules.

A module is a header and the .c file of the same name (emulator/net/conn.h and
conn.c); a .c file without a header is a module of its own that nothing can
include.  An edge goes from a module to every module whose header one of its
files includes.  The layers (README "Architecture") are enforced by the build;
this check also catches cycles inside one layer."""
import pathlib
import re
import sys

root = pathlib.Path(__file__).resolve().parents[2] / "emulator"
headers = {p.stem for p in root.rglob("*.h")}
edges = {}
for path in list(root.rglob("*.c")) + list(root.rglob("*.h")):
    mod = path.stem
    for inc in re.findall(r'^#include "([^"/]+)\.h"', path.read_text(), re.M):
        if inc in headers and inc != mod:
            edges.setdefault(mod, set()).add(inc)

# Tarjan's strongly connected components, iteratively.
index, low, on_stack, stack, cycles, counter = {}, {}, set(), [], [], [0]


def visit(start):
    work = [(start, iter(sorted(edges.get(start, ()))))]
    index[start] = low[start] = counter[0]
    counter[0] += 1
    stack.append(start)
    on_stack.add(start)
    while work:
        node, children = work[-1]
        for child in children:
            if child not in index:
                index[child] = low[child] = counter[0]
                counter[0] += 1
                stack.append(child)
                on_stack.add(child)
                work.append((child, iter(sorted(edges.get(child, ())))))
                break
            if child in on_stack:
                low[node] = min(low[node], index[child])
        else:
            work.pop()
            if work:
                low[work[-1][0]] = min(low[work[-1][0]], low[node])
            if low[node] == index[node]:
                comp = []
                while True:
                    m = stack.pop()
                    on_stack.discard(m)
                    comp.append(m)
                    if m == node:
                        break
                if len(comp) > 1:
                    cycles.append(sorted(comp))


for mod in sorted(edges):
    if mod not in index:
        visit(mod)
for c in cycles:
    print("include cycle between modules:", ", ".join(c))
print(f"{len(edges)} modules checked, {len(cycles)} cycle(s)")
sys.exit(1 if cycles else 0)
