"""The README's reference parts agree with the code: settings and table columns."""

from __future__ import annotations

import re

from newsflow.schemas import TABLES
from tests.unit.test_infra import ROOT, code_settings

README = (ROOT / "README.md").read_text(encoding="utf-8")


def _section(title: str) -> str:
    start = README.index(f"## {title}\n")
    end = README.find("\n## ", start + 1)
    return README[start: end if end > 0 else len(README)]


def test_settings_table_lists_every_variable_the_code_reads() -> None:
    listed = set(re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \|", _section("Settings"), flags=re.M))
    assert code_settings() - {"NEWSFLOW_FAULT"} <= listed, code_settings() - listed
    assert listed - {"PREFECT_API_URL"} <= code_settings(), listed - code_settings()


def test_tables_section_names_the_real_columns() -> None:
    documented = {}
    for line in _section("Tables").splitlines():
        match = re.match(r"^- `(\w+)`: (.*)$", line)
        if match:
            documented[match[1]] = re.findall(r"`(\w+)`", match[2])
    assert documented == {name: schema.names for name, schema in TABLES.items()}


def test_docs_linked_from_the_readme_are_ours_or_another_branchs() -> None:
    linked = set(re.findall(r"\]\((docs/[\w.-]+\.md)\)", README))
    elsewhere = {"docs/quality.md", "docs/lake.md", "docs/isolation.md"}  # written on other branches
    assert {"docs/speed.md", "docs/exactly-once.md", "docs/design.md", "docs/monitoring.md"} <= linked
    for path in linked - elsewhere:
        assert (ROOT / path).exists(), path
