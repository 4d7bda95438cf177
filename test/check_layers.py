#!/usr/bin/env python3
"""make check-layers: the extension's house plan, checked against the code.

Every file of src/ has a layer (LAYERS below; a new file must be given one).
A file may include only headers of its own layer or below, and call only
functions defined in files of its own layer or below; the call graph between
files has no cycle; a header declares the functions of one file only.  Calls are read from the built objects (nm: the symbols
each object defines and the ones it needs), so they are exact; includes from
the #include lines.  --self-test shows that a bad include and an upward call
are caught, on a copy of the tree's facts.

Usage: python3 test/check_layers.py [--self-test] [SRC_DIR]
"""
import collections
import glob
import os
import re
import subprocess
import sys

# floor: files (stem: the .c and its .h share it); read from the bottom up
LAYERS = {
    0: "http json_worker pager resource",          # no PostgreSQL headers
    1: "compat symbl_types",                        # ground types, version shims
    2: "option column_map part_column selector_memory",  # options, column mapping
    3: "exchange api_error auth api_call",          # the exchange, tokens, calls
    4: "json_values response part_convert deparse list_rows",  # pages, values, requests
    5: "shippable cond_serialize scan_shared",                     # pushdown, what scans share
    6: "conversation_plan conversation_private conversation_scan part_fetch "
       "part_scan part_join analyze probe",         # the scans
    7: "scan_methods",                              # the scans' methods by kind
    8: "write_xact write_run write_pending write_checks modify",  # the writes
    9: "symbl_fdw.c",                               # handler, _PG_init, import
}


def layer_table():
    table = {}
    for floor, names in LAYERS.items():
        for name in names.split():
            table[name] = floor
    return table


def layer_of(path, table):
    """A file's floor: its own entry ("symbl_fdw.c"), else its stem's."""
    base = os.path.basename(path)
    if base in table:
        return table[base]
    return table.get(os.path.splitext(base)[0])


def include_edges(src):
    edges = []
    for path in sorted(glob.glob(os.path.join(src, "*.[ch]"))):
        with open(path, encoding="utf-8") as f:
            for n, line in enumerate(f, 1):
                m = re.match(r'\s*#\s*include\s+"([^"]+)"', line)
                if m and os.path.exists(os.path.join(src, m.group(1))):
                    edges.append((os.path.basename(path), m.group(1), n))
    return edges


def read_objects(src):
    """From the built objects' symbol tables (nm), read once: symbol -> the
    .c whose object defines it, and .c -> the symbols its object needs."""
    defined, needed = {}, collections.defaultdict(set)
    objects = sorted(o for o in glob.glob(os.path.join(src, "*.o"))
                     if os.path.exists(o[:-2] + ".c"))  # not a removed file's
    if not objects:
        sys.exit("check-layers: no objects in %s: build first (make)" % src)
    for obj in objects:
        name = os.path.basename(obj)[:-2] + ".c"
        out = subprocess.run(["nm", obj], capture_output=True, text=True, check=True).stdout
        for line in out.splitlines():
            parts = line.split()
            if len(parts) == 3 and parts[1] in "TDRB":
                defined[parts[2]] = name
            elif len(parts) == 2 and parts[0] == "U":
                needed[name].add(parts[1])
    return defined, needed


def header_owners(src, defined):
    """header -> the .c files defining what it declares"""
    owners = {}
    for path in sorted(glob.glob(os.path.join(src, "*.h"))):
        with open(path, encoding="utf-8") as f:
            text = f.read()
        files = set()
        for decl in re.findall(r"^extern\b[^;]*;", text, re.M | re.S):
            m = re.search(r"\b(symbl_\w+)\s*[(\[]", decl)
            if m and m.group(1) in defined:
                files.add(defined[m.group(1)])
        owners[os.path.basename(path)] = files
    return owners


def call_edges(defined, needed):
    """(caller file, callee file, symbol) between files"""
    edges = set()
    for caller, symbols in needed.items():
        for sym in symbols:
            callee = defined.get(sym)
            if callee is not None and callee != caller:
                edges.add((caller, callee, sym))
    return sorted(edges)


def find_cycle(graph):
    """A cycle of the file graph as a list of files, or None."""
    state = {}
    stack = []

    def visit(node):
        state[node] = 1
        stack.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return stack[stack.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        stack.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def check(src, includes, calls, owners=None):
    table = layer_table()
    problems = []
    for header, files in sorted((owners or {}).items()):
        if len(files) > 1:
            problems.append("%s declares the functions of %s: one header per file"
                            % (header, ", ".join(sorted(files))))
    files = sorted(os.path.basename(p) for p in glob.glob(os.path.join(src, "*.[ch]")))
    for f in files:
        if layer_of(f, table) is None:
            problems.append("%s has no layer: give it one in test/check_layers.py" % f)
    for frm, to, line in includes:
        a, b = layer_of(frm, table), layer_of(to, table)
        if a is not None and b is not None and b > a:
            problems.append("%s:%d includes %s, from floor %d above its own %d"
                            % (frm, line, to, b, a))
    graph = collections.defaultdict(set)
    for caller, callee, sym in calls:
        graph[caller].add(callee)
        a, b = layer_of(caller, table), layer_of(callee, table)
        if a is not None and b is not None and b > a:
            problems.append("%s calls %s of %s, from floor %d above its own %d"
                            % (caller, sym, callee, b, a))
    cycle = find_cycle(graph)
    if cycle:
        problems.append("call cycle: " + " -> ".join(cycle))
    return problems, len(files), len(set((c, d) for c, d, _ in calls))


def self_test(src):
    includes = include_edges(src)
    calls = call_edges(*read_objects(src))
    bad_include = includes + [("http.c", "option.h", 1)]
    bad_call = calls + [("pager.c", "modify.c", "symbl_modify_routines")]
    cycle = calls + [("exchange.c", "api_call.c", "symbl_api_call_start")]
    ok = True
    for label, inc, cal, expect in (("a bad include", bad_include, calls, "includes option.h"),
                                    ("an upward call", includes, bad_call, "calls symbl_modify_routines"),
                                    ("a cycle", includes, cycle, "call cycle")):
        problems, _, _ = check(src, inc, cal)
        caught = any(expect in p for p in problems)
        print("check-layers self-test: %s %s" % (label, "caught" if caught else "NOT caught"))
        ok = ok and caught
    return ok


def main():
    args = [a for a in sys.argv[1:] if not a.startswith("--")]
    src = args[0] if args else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "src")
    if "--self-test" in sys.argv:
        sys.exit(0 if self_test(src) else 1)
    defined, needed = read_objects(src)
    problems, nfiles, nedges = check(src, include_edges(src), call_edges(defined, needed),
                                     header_owners(src, defined))
    for p in problems:
        print("check-layers: " + p)
    if problems:
        print("check-layers: FAILED (%d problems)" % len(problems))
        sys.exit(1)
    print("check-layers: ok (%d files on %d floors, %d calls between files, no cycle, nothing upward;"
          " every header declares one file's functions)" % (nfiles, len(LAYERS), nedges))


if __name__ == "__main__":
    main()
