"""Every relative link in README.md and docs/*.md names a file that exists, and a heading there
when it has an anchor: pages move (issue 22 moved most of the README), links must follow."""

from __future__ import annotations

import re
from pathlib import Path

from tests.docs.commands import ROOT, documents

LINK = re.compile(r"\]\((?P<target>[^)\s]+)\)")


def github_anchor(heading: str) -> str:
    """GitHub's anchor of a heading: lower case, punctuation dropped, spaces to hyphens."""
    text = re.sub(r"[^\w\- ]", "", heading.strip().lower())
    return text.replace(" ", "-")


def anchors(path: Path) -> set[str]:
    text = re.sub(r"```.*?```", "", path.read_text(), flags=re.S)
    return {github_anchor(h) for h in re.findall(r"^#{1,6}\s+(.*)$", text, re.M)}


def test_anchor_rule() -> None:
    assert github_anchor("The same code on LocalStack, MinIO or AWS") == (
        "the-same-code-on-localstack-minio-or-aws"
    )
    assert github_anchor("What `make package` builds") == "what-make-package-builds"


def test_every_relative_link_resolves() -> None:
    broken = []
    for doc in documents():
        for target in LINK.findall(doc.read_text()):
            if re.match(r"^[a-z]+://", target) or target.startswith("mailto:"):
                continue
            path, _, anchor = target.partition("#")
            file = (doc.parent / path).resolve() if path else doc
            where = f"{doc.relative_to(ROOT)} → {target}"
            if not file.exists():
                broken.append(f"{where}: no such file")
            elif anchor and file.suffix == ".md" and anchor not in anchors(file):
                broken.append(f"{where}: no such heading")
    assert not broken, "\n".join(broken)


CODE_PATH = re.compile(
    r"`((?:shared/)?(?:viewra/)?(?:common|media|playback|transcoding|storage|api|local|plugins)"
    r"/[\w/.]*)`"
)


def test_every_code_path_the_docs_name_exists() -> None:
    """A file or folder of the package named in backticks (``media/service.py``,
    ``viewra/playback/decision/``) exists: modules move, the docs must follow."""
    missing = []
    for doc in documents():
        for match in CODE_PATH.finditer(doc.read_text()):
            path = match.group(1).rstrip("/")
            if not any(
                (base / path).exists() for base in (ROOT, ROOT / "shared", ROOT / "shared/viewra")
            ):
                missing.append(f"{doc.name}: {path}")
    assert missing == []
