#!/usr/bin/env python3
"""Fails on a dependency cycle between the emulator's modules, by include or
by call.

A module is a header and the .c file of the same name (emulator/net/tls.h and
tls.c); a .c file without a header is a module of its own that nothing can
include.  Two graphs are checked:

- includes: an edge goes from a module to every module whose header one of
  its files includes;
- calls: an edge goes from a module to every module that defines a function
  (not static) that one of its files calls by name.  Files that share one
  header (every file of the modem layer includes modem.h) show no include
  edge between them, but their calls do.  A function reached through a
  pointer (a service's handler, a callback) is no call: that is the seam.

The layers (README "Architecture") are enforced by the build; this check
also catches cycles inside one layer."""
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



def strip_c(text):
    """Source without comments, string and character literals."""
    text = re.sub(r"/\*.*?\*/", " ", text, flags=re.S)
    text = re.sub(r"//[^\n]*", " ", text)
    text = re.sub(r'"(\\.|[^"\\\n])*"', '""', text)
    return re.sub(r"'(\\.|[^'\\\n])*'", "''", text)


# A definition at the start of a line (clang-format puts it there): a return
# type and a name, its parameters, and the opening brace.
DEFINITION = re.compile(r"^(?!static\b|typedef\b|struct\s+\w+\s*\{)[A-Za-z_][^\n;{}()=#]*?"
                        r"\b([A-Za-z_]\w*)\(([^;{}]*?)\)\s*\{", re.M | re.S)
sources = {p: strip_c(p.read_text()) for p in root.rglob("*.c")}
defined_in = {}
for path, text in sources.items():
    for m in DEFINITION.finditer(text):
        defined_in.setdefault(m.group(1), path.stem)
calls, called = {}, {}
for path, text in sources.items():
    for name in set(re.findall(r"\b([A-Za-z_]\w*)\s*\(", text)):
        owner = defined_in.get(name)
        if owner and owner != path.stem:
            calls.setdefault(path.stem, set()).add(owner)
            called.setdefault((path.stem, owner), set()).add(name)


def cycles_of(graph):
    """Tarjan's strongly connected components, iteratively: the cycles."""
    index, low, on_stack, stack, cycles, counter = {}, {}, set(), [], [], [0]

    def visit(start):
        work = [(start, iter(sorted(graph.get(start, ()))))]
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
                    work.append((child, iter(sorted(graph.get(child, ())))))
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

    for mod in sorted(graph):
        if mod not in index:
            visit(mod)
    return cycles


include_cycles = cycles_of(edges)
call_cycles = cycles_of(calls)
for c in include_cycles:
    print("include cycle between modules:", ", ".join(c))
for c in call_cycles:
    print("call cycle between modules:", ", ".join(c))
    for a in c:
        for b in c:
            if (a, b) in called:
                print(f"  {a} calls {b}: {', '.join(sorted(called[(a, b)]))}")
print(f"{len(edges)} modules checked for includes, {len(include_cycles)} cycle(s); "
      f"{len(defined_in)} functions in {len(sources)} files checked for calls, "
      f"{len(call_cycles)} cycle(s)")
sys.exit(1 if include_cycles or call_cycles else 0)
