#!/usr/bin/env python3
"""Every SQL statement of a README section must be in a regression test, as
printed there (white space aside), so that the README shows only queries
the suite runs.  Usage: readme_queries.py README.md "SECTION TITLE" sql/X.sql
Prints one line; exits 1 when a statement is missing."""
import re
import sys


def statements(text):
    out = []
    for stmt in text.split(";"):
        stmt = re.sub(r"--[^\n]*", "", stmt)
        stmt = " ".join(stmt.split())
        if stmt:
            out.append(stmt)
    return out


def main():
    readme, title, test = sys.argv[1:4]
    with open(readme, encoding="utf-8") as f:
        text = f.read()
    start = text.index("\n## %s\n" % title)
    end = text.find("\n## ", start + 1)
    section = text[start:end if end >= 0 else len(text)]
    blocks = re.findall(r"```sql\n(.*?)```", section, re.S)
    with open(test, encoding="utf-8") as f:
        tested = " ".join(f.read().split())
    found = [s for b in blocks for s in statements(b)]
    missing = [s for s in found if s + ";" not in tested]
    if missing:
        print("README's \"%s\": %d of %d statements not in %s:" % (title, len(missing), len(found), test))
        for s in missing:
            print("  " + s)
        sys.exit(1)
    print("README's \"%s\": %d statements, all in %s" % (title, len(found), test))


if __name__ == "__main__":
    main()
