#!/usr/bin/env python3
"""Lists Swift source files over 400 lines and functions over 60 lines (make lint runs it).

A file or function may stay longer with a one-line reason in a comment on the line above it (for a file, on its
first line) that starts with `// size:`. Generated files (EmbeddedTemplates.swift) are skipped.
"""
import re
import sys
from pathlib import Path

MAX_FILE, MAX_FUNCTION = 400, 60
DECLARATION = re.compile(r"^\s*(?:@\w+(?:\([^)]*\))?\s+)*(?:(?:public|private|fileprivate|internal|package|static|"
                         r"override|mutating|nonisolated|final|convenience|required|class)\s+)*"
                         r"(?:func\s+\S+?[(<]|init[?!]?\s*[(<]|deinit\b|(?:var|let)\s+\w+\s*:[^=]*\{\s*$)")


def strip(line):
    """The line without string literals and // comments, so that braces inside them do not count."""
    line = re.sub(r'"(?:\\.|[^"\\])*"', '""', line)
    return line.split("//", 1)[0]


def functions(lines):
    """(name line, first line number, length) of each function-like body."""
    found = []
    for index, line in enumerate(lines):
        if not DECLARATION.match(line):
            continue
        depth, started = 0, False
        for end in range(index, len(lines)):
            code = strip(lines[end])
            depth += code.count("{") - code.count("}")
            started = started or "{" in code
            if started and depth <= 0:
                found.append((line.strip(), index + 1, end - index + 1))
                break
            if not started and end > index + 15:
                break  # a protocol requirement: no body
    return found


def main(roots):
    problems = []
    for root in roots:
        for path in sorted(Path(root).rglob("*.swift")):
            if path.name == "EmbeddedTemplates.swift":
                continue
            lines = path.read_text().splitlines()
            if len(lines) > MAX_FILE and not lines[0].startswith("// size:"):
                problems.append(f"{path}: {len(lines)} lines (at most {MAX_FILE}, or a `// size:` reason on line 1)")
            for name, start, length in functions(lines):
                reason = start >= 2 and lines[start - 2].strip().startswith("// size:")
                if length > MAX_FUNCTION and not reason:
                    problems.append(f"{path}:{start}: {length} lines: {name[:80]}")
    for problem in problems:
        print(problem)
    if problems:
        print(f"check-sizes: {len(problems)} over the limits (files {MAX_FILE} lines, functions {MAX_FUNCTION})")
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:] or ["Sources"]))
