#!/usr/bin/env python3
"""Copies the TUI's insta snapshots into docs/tui.md.

Each screenshot in docs/tui.md is preceded by `<!-- snapshot: NAME -->` (the whole screen of
src/tui/tests/snapshots/NAME.snap) or `<!-- snapshot: NAME (excerpt) -->` (some of its rows, in
order, each possibly cropped to one pane). Whole screens are rewritten from the snapshot; excerpts are only checked, since
which lines to show is a writer's choice. The unit test `tui::tests::docs` fails while any
screenshot differs from its snapshot, so run this after accepting new snapshots.
"""
import pathlib
import re
import sys

ROOT = pathlib.Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "tui.md"
SNAPS = ROOT / "src" / "tui" / "tests" / "snapshots"
MARKER = re.compile(r"<!-- snapshot: (\S+)( \(excerpt\))? -->\n+```[a-z]*\n(.*?)```", re.S)


def body(name):
    text = (SNAPS / f"lasso__tui__tests__{name}.snap").read_text()
    return text.split("---\n", 2)[2]


def main():
    doc = DOC.read_text()
    stale = []

    def replace(m):
        name, excerpt, block = m.group(1), m.group(2), m.group(3)
        snap = body(name)
        if excerpt:
            lines, have = block.splitlines(), snap.splitlines()
            # An excerpt is some of the rows, in order, each possibly cropped to one pane.
            rows = iter(have)
            if not all(any(line in row for row in rows) for line in lines):
                stale.append(name)
            return m.group(0)
        return m.group(0)[: m.start(3) - m.start(0)] + snap + "```"

    new = MARKER.sub(replace, doc)
    if new != doc:
        DOC.write_text(new)
        print("docs/tui.md: screenshots updated from the snapshots")
    for name in stale:
        print(f"excerpt of {name} no longer matches its snapshot: edit it by hand", file=sys.stderr)
    return 1 if stale else 0


if __name__ == "__main__":
    sys.exit(main())
