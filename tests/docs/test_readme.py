"""README.md stays a short front page: at most 200 lines, the two commands first, live relative links."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]
README = REPO / "README.md"
MAX_LINES = 200
LINK = re.compile(r"!?\[[^\]]*\]\(([^)\s]+)\)")  # [text](target) and ![alt](target)
EXTERNAL = ("http://", "https://", "mailto:")


def relative_links(text: str) -> list[str]:
    """The targets of every Markdown link and image that points into the repository."""
    return [target for target in LINK.findall(text) if not target.startswith(EXTERNAL)]


def slug(heading: str) -> str:
    """The anchor MkDocs (and GitHub) give a heading: lower case, punctuation dropped, spaces as hyphens."""
    text = re.sub(r"[^\w\s-]", "", heading.strip().lower())
    return re.sub(r"[\s]+", "-", text)


def anchors(markdown: Path) -> set[str]:
    """The anchors of a Markdown file's headings (explicit `{#id}` ones included)."""
    found = set()
    for line in markdown.read_text().splitlines():
        if match := re.match(r"#{1,6}\s+(.*?)\s*(?:\{#([\w-]+)\})?\s*$", line):
            found.add(match.group(2) or slug(match.group(1)))
    return found


def broken(text: str, base: Path) -> list[str]:
    """Each relative link of `text` (relative to `base`) whose file or heading anchor does not exist."""
    problems = []
    for target in relative_links(text):
        path_part, _, anchor = target.partition("#")
        path = (base / path_part).resolve() if path_part else None
        if path is not None and not path.exists():
            problems.append(f"{target}: no such file")
        elif anchor and path is not None and path.suffix == ".md" and anchor not in anchors(path):
            problems.append(f"{target}: no heading '#{anchor}'")
    return problems


def test_readme_has_at_most_200_lines() -> None:
    lines = README.read_text().count("\n")
    assert lines <= MAX_LINES, f"README.md has {lines} lines; move detail to the site under docs/"


def test_readme_starts_with_the_two_commands() -> None:
    first_block = README.read_text().split("```")[1]
    commands = [line.split("#")[0].strip() for line in first_block.splitlines()[1:] if line.strip()]
    assert commands == ["make serve", "make test"]


def test_every_relative_link_of_the_readme_resolves() -> None:
    text = README.read_text()
    assert relative_links(text), "the README links to no documentation page"
    assert broken(text, REPO) == []


@pytest.mark.parametrize(
    ("text", "expected"),
    [
        ("[a](docs/no-such-page.md)", ["docs/no-such-page.md: no such file"]),
        ("[a](docs/index.md#nowhere)", ["docs/index.md#nowhere: no heading '#nowhere'"]),
        ("![a](docs/page.png) [b](https://example.com/x.md) [c](docs/index.md#start)", []),
    ],
)
def test_the_link_check_catches_a_broken_link(text: str, expected: list[str]) -> None:
    assert broken(text, REPO) == expected
