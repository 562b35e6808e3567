"""The catalog, the code and the docs stay in step (DESIGN.md "Rules as data")."""

from __future__ import annotations

import re
from pathlib import Path

from validation.checks.registry import REGISTRY
from validation.rules import CATALOG, SOURCES

DOCS = Path(__file__).resolve().parents[2] / "docs" / "RULES.md"
CODE = re.compile(r"^[a-z_]+\.[EWI]\d{3}$")


def test_every_code_a_check_declares_is_in_the_catalog():
    declared = {code for check in REGISTRY.values() for code in check.codes}
    assert declared - set(CATALOG) == set()


def test_every_catalog_rule_is_checked_by_some_check():
    declared = {code for check in REGISTRY.values() for code in check.codes}
    unchecked = {code for code in CATALOG if not code.startswith("engine.")} - declared
    assert unchecked == set(), "rules nobody checks: retire them or add them to a check's codes"


def test_rules_are_well_formed():
    for code, rule in CATALOG.items():
        assert CODE.match(code), code
        assert rule.source in SOURCES, code
        assert rule.hint_text().strip(), code
        assert code.split(".")[1][0] == {"error": "E", "warning": "W", "info": "I"}[rule.severity], code
        if not code.startswith("engine."):
            assert rule.url.startswith("https://"), code


def test_docs_match_the_catalog():
    from validation.management.commands.prep import rules_markdown

    assert DOCS.read_text() == rules_markdown(), "run: python manage.py prep rules > docs/RULES.md"
