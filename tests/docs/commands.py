"""The shell commands the README and docs/*.md show: their fenced shell blocks, command by command.

A block preceded by ``<!-- docs-test: stack -->`` is run as it stands against a fresh local stack
(tests/integration/test_documented_blocks.py); ``<!-- docs-test: stack; expect: TEXT -->`` also
requires TEXT in its output. Imports nothing of Viewra: it reads Markdown.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
SHELL_LANGUAGES = frozenset({"sh", "bash", "shell", "console"})
FENCE = re.compile(r"^\s*(?P<fence>```+|~~~+)\s*(?P<info>[^`\s]*)")
MARKER = re.compile(
    r"^<!--\s*docs-test:\s*(?P<how>[\w-]+)(?:;\s*expect:\s*(?P<expect>.*?))?\s*-->$"
)
# shell structure around commands, not commands of their own
STRUCTURE = re.compile(r"^(?:(?:for|while|until|if)\b.*;\s*(?:do|then)|do|then|done|fi|else)$")
TRAILING_COMMENT = re.compile(r"\s+#\s.*$")


@dataclass(frozen=True)
class Block:
    doc: str  # path relative to the repository
    line: int  # of the opening fence, 1-based
    language: str
    text: str
    run: str | None = None  # "stack" when a docs test runs the block as it stands
    expect: str | None = None  # text the run's output must contain

    @property
    def id(self) -> str:
        return f"{self.doc}:{self.line}"


def documents(root: Path = ROOT) -> list[Path]:
    return [root / "README.md", *sorted((root / "docs").glob("*.md"))]


def blocks(path: Path, root: Path = ROOT) -> list[Block]:
    """Every fenced shell block of one Markdown file, with the docs-test marker before it."""
    lines = path.read_text().splitlines()
    found: list[Block] = []
    i = 0
    while i < len(lines):
        opening = FENCE.match(lines[i])
        if not opening:
            i += 1
            continue
        fence, language = opening["fence"], opening["info"].lower()
        end = i + 1
        while end < len(lines) and not lines[end].strip().startswith(fence):
            end += 1
        if language in SHELL_LANGUAGES:
            before = next((ln.strip() for ln in reversed(lines[:i]) if ln.strip()), "")
            marker = MARKER.match(before)
            found.append(
                Block(
                    doc=str(path.relative_to(root)),
                    line=i + 1,
                    language=language,
                    text="\n".join(lines[i + 1 : end]) + "\n",
                    run=marker["how"] if marker else None,
                    expect=marker["expect"] if marker else None,
                )
            )
        i = end + 1
    return found


def commands(block: Block) -> list[str]:
    """The block's commands: continuation lines joined, comments and shell structure left out,
    ``.venv/bin/`` dropped, whitespace normalised."""
    out: list[str] = []
    pending = ""
    for raw in block.text.splitlines():
        line = raw.strip()
        if line.startswith("$ "):  # a console prompt
            line = line[2:]
        if pending:
            line = pending + " " + line
            pending = ""
        if line.endswith("\\"):
            pending = line[:-1].strip()
            continue
        line = TRAILING_COMMENT.sub("", line).strip()
        if not line or line.startswith("#") or STRUCTURE.match(line):
            continue
        line = line.replace(".venv/bin/", "")
        out.append(" ".join(line.split()))
    if pending:
        out.append(" ".join(pending.split()))
    return out


def all_blocks(root: Path = ROOT) -> list[Block]:
    return [block for doc in documents(root) for block in blocks(doc, root)]
