"""The documentation lives in the repository (issue 17, item 5).

A clone must not depend on files outside it: no tracked file may refer to the old
specification folder, to a path above the repository, or to an absolute path of the machine
it was written on, and the contract documents are named by their place in the repository
(`docs/...`). Every relative link in README.md and docs/*.md must point to a file that exists.

The patterns are assembled from pieces so that this file does not match itself.
"""
from __future__ import annotations

import re
import subprocess
from pathlib import Path
from urllib.parse import unquote

import pytest

ROOT = Path(__file__).resolve().parent.parent

_SPEC = "shared" + "/spec"
_ABOVE = r"\.\./" + "shared"
_ABS = "/" + "work" + "/"
_DOCS = "|".join(("sources", "indicators", "published"))

FORBIDDEN = [
    ("the old specification folder", re.compile(re.escape(_SPEC))),
    ("a path above the repository", re.compile(_ABOVE)),
    ("an absolute path of the machine", re.compile(r"(?<![\w.])" + re.escape(_ABS))),
    # A bare contract name: not preceded by a path (docs/…) or by part of a longer name
    # (_published.yml is no .md; bench/reference/README.md is another file).
    ("a contract document not named docs/…", re.compile(r"(?<![\w/.-])(?:" + _DOCS + r")\.md\b")),
]


def _tracked_files() -> list[Path]:
    out = subprocess.run(["git", "ls-files", "-z"], cwd=ROOT, capture_output=True, check=True).stdout
    return [ROOT / p for p in out.decode("utf-8").split("\0") if p]


def _text(path: Path) -> str | None:
    """The file's text, or None for a binary (a NUL byte) or missing file."""
    try:
        data = path.read_bytes()
    except (FileNotFoundError, IsADirectoryError):
        return None
    if b"\0" in data:
        return None
    return data.decode("utf-8", errors="replace")


def test_no_reference_outside_the_repository():
    found = []
    for path in _tracked_files():
        text = _text(path)
        if text is None:
            continue
        for n, line in enumerate(text.splitlines(), start=1):
            for what, pattern in FORBIDDEN:
                if pattern.search(line):
                    found.append(f"{path.relative_to(ROOT)}:{n}: {what}: {line.strip()[:120]}")
    assert not found, f"{len(found)} reference(s) outside the repository:\n" + "\n".join(found)


_LINK = re.compile(r"(?<!!)\[[^\]]*\]\(([^)\s]+)(?:\s+\"[^\"]*\")?\)|!\[[^\]]*\]\(([^)\s]+)\)")


def _markdown_files() -> list[Path]:
    return [ROOT / "README.md"] + sorted((ROOT / "docs").glob("*.md"))


@pytest.mark.parametrize("doc", _markdown_files(), ids=lambda p: str(p.relative_to(ROOT)))
def test_relative_markdown_links_resolve(doc: Path):
    text = doc.read_text(encoding="utf-8")
    text = re.sub(r"```.*?```", "", text, flags=re.DOTALL)  # code blocks hold no links
    broken = []
    for m in _LINK.finditer(text):
        target = m.group(1) or m.group(2)
        if re.match(r"^[a-z][a-z0-9+.-]*:", target, re.IGNORECASE) or target.startswith("#"):
            continue  # a URL (http:, mailto:) or an anchor in the same page
        file_part = unquote(target.split("#", 1)[0])
        if not file_part:
            continue
        if not (doc.parent / file_part).resolve().exists():
            broken.append(target)
    assert not broken, f"{doc.relative_to(ROOT)}: links to missing files: {', '.join(broken)}"


def test_the_contract_documents_exist():
    for name in ("sources", "indicators", "published"):
        assert (ROOT / "docs" / f"{name}.md").is_file()
