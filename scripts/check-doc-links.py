#!/usr/bin/env python3
"""Checks the relative links of Lottery's documentation.

Every markdown link or image `[text](path#anchor)` in README.md, RESULTS.md, BENCHMARKS.md and docs/**/*.md
(or in the files given as arguments) that is not a web address must name a file or folder that exists,
relative to the file it is in; a link with an anchor (`#anchor` alone means the same file) must name a
heading of that markdown file, by GitHub's rules: the heading's text in lower case, punctuation other than
'-' and '_' dropped, spaces turned into '-', and '-1', '-2', ... added to a repeated heading. Links inside
code (fenced blocks and `inline code`) are not links and are skipped.

Usage: python3 scripts/check-doc-links.py [file.md ...]   (from anywhere; paths are taken from the repository)
Prints one line per problem, `file:line: problem`, and exits 1 when there is any; prints nothing and exits 0
otherwise. Needs Python 3 only.
"""

import os
import re
import sys
import unicodedata

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
DEFAULT_FILES = ["README.md", "RESULTS.md", "BENCHMARKS.md"]

FENCE = re.compile(r"^\s{0,3}(```|~~~)")
HEADING = re.compile(r"^\s{0,3}(#{1,6})\s+(.*?)\s*#*\s*$")
INLINE_CODE = re.compile(r"(`+)(.+?)\1")
# [text](target) or ![alt](target); text may hold one level of brackets (a link inside an image's alt, a
# bracketed word). The target ends at the first space (a title may follow) or the closing parenthesis.
LINK = re.compile(r"!?\[(?:[^\[\]]|\[[^\[\]]*\])*\]\(\s*<?([^)\s>]*)>?(?:\s+\"[^\"]*\")?\s*\)")
HTML_ANCHOR = re.compile(r"<a\s+(?:name|id)\s*=\s*\"([^\"]+)\"", re.IGNORECASE)


def lines_outside_code(text):
    """Yields (line number, line) for the lines outside fenced code blocks."""
    in_fence = None
    for number, line in enumerate(text.split("\n"), start=1):
        fence = FENCE.match(line)
        if fence:
            if in_fence is None:
                in_fence = fence.group(1)
            elif fence.group(1) == in_fence:
                in_fence = None
            continue
        if in_fence is None:
            yield number, line


def slug(heading):
    """GitHub's anchor of a heading's text."""
    text = INLINE_CODE.sub(lambda m: m.group(2), heading)
    text = re.sub(r"!?\[([^\]]*)\]\([^)]*\)", r"\1", text)  # a link in a heading: its text
    text = re.sub(r"<[^>]+>", "", text)  # HTML tags
    text = text.strip().lower()
    kept = []
    for ch in text:
        category = unicodedata.category(ch)
        if ch in "-_ " or category[0] in "LN" or category in ("Mn", "Mc", "Me", "Pc"):
            kept.append(ch)
    return "".join(kept).replace(" ", "-")


_anchors = {}


def anchors(path):
    """The anchors of a markdown file: its headings' (GitHub's numbering of repeats) and its HTML anchors."""
    if path not in _anchors:
        with open(path, encoding="utf-8") as f:
            text = f.read()
        found, counts = set(), {}
        for _, line in lines_outside_code(text):
            heading = HEADING.match(line)
            if heading:
                base = slug(heading.group(2))
                n = counts.get(base, 0)
                counts[base] = n + 1
                found.add(base if n == 0 else f"{base}-{n}")
            for name in HTML_ANCHOR.findall(line):
                found.add(name)
        _anchors[path] = found
    return _anchors[path]


def check(path):
    problems = []
    with open(path, encoding="utf-8") as f:
        text = f.read()
    shown = os.path.relpath(path, ROOT)
    for number, line in lines_outside_code(text):
        line = INLINE_CODE.sub("", line)
        for match in LINK.finditer(line):
            target = match.group(1)
            if not target or re.match(r"^[a-zA-Z][a-zA-Z0-9+.-]*:", target):  # a web address, mailto:, ...
                continue
            file_part, _, anchor = target.partition("#")
            target_path = path if file_part == "" else os.path.normpath(os.path.join(os.path.dirname(path), file_part))
            if not os.path.exists(target_path):
                problems.append(f"{shown}:{number}: '{target}': no file {os.path.relpath(target_path, ROOT)}")
                continue
            if not anchor:
                continue
            if os.path.isdir(target_path) or not target_path.endswith(".md"):
                problems.append(f"{shown}:{number}: '{target}': an anchor on something that is not a markdown file")
            elif anchor not in anchors(target_path):
                problems.append(f"{shown}:{number}: '{target}': {os.path.relpath(target_path, ROOT)} has no heading with anchor #{anchor}")
    return problems


def main(arguments):
    if arguments:
        files = [os.path.abspath(a) for a in arguments]
    else:
        files = [os.path.join(ROOT, name) for name in DEFAULT_FILES]
        for folder, _, names in os.walk(os.path.join(ROOT, "docs")):
            files += [os.path.join(folder, n) for n in sorted(names) if n.endswith(".md")]
    problems = []
    for path in files:
        if not os.path.isfile(path):
            problems.append(f"{os.path.relpath(path, ROOT)}: no such file")
            continue
        problems += check(path)
    for problem in problems:
        print(problem)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
