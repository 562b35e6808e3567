"""docs/CI.md and the README's short guide stay true: every API call they show is a real route taking that
method, and every ``prep`` line parses with the command's own options."""

from __future__ import annotations

import re
import shlex
import uuid

import pytest
from django.urls import Resolver404, resolve

from validation.management.commands.prep import Command

from tests.cli.conftest import ROOT

GUIDE = (ROOT / "docs" / "CI.md").read_text()
README = (ROOT / "README.md").read_text()
# A shell variable or <placeholder> standing for an id in a path.
_ID = re.compile(r"\$\{?[A-Z_]+\}?|<[a-z ]+id>")


def _api_calls(text: str = GUIDE + README) -> list[tuple[str, str]]:
    calls = []
    for line in text.replace("\\\n", " ").splitlines():
        if "curl" not in line:
            continue
        for match in re.finditer(r'"\$API(/[^"?]*)(?:\?[^"]*)?"', line):
            method = re.search(r"-X (GET|POST|PUT|PATCH|DELETE)\b", line)
            calls.append((method[1] if method else "GET", match[1]))
    return calls


def test_the_guide_shows_the_whole_pipeline():
    paths = {path for _, path in _api_calls(GUIDE)}
    for needed in ("/teams/", "/listings/", "/listings/$L/sections/pricing/", "/listings/$L/artifacts/",
                   "/listings/$L/uploads/", "/uploads/$U/", "/uploads/$U/complete/", "/listings/$L/validate/",
                   "/runs/$RUN/", "/listings/$L/submit/", "/versions/$V/export/", "/bundles/$B/download/"):
        assert needed in paths, needed


def test_the_readme_shows_validate_in_ci_then_push_through_the_api():
    assert any("--format junit" in args for args in map(" ".join, _prep_lines()))
    assert {("POST", "/listings/$L/validate/"), ("GET", "/runs/$RUN/"), ("POST", "/listings/$L/submit/")} <= set(
        _api_calls(README))


@pytest.mark.parametrize(("method", "path"), _api_calls())
def test_each_api_call_is_a_real_route(method, path):
    url = "/api/v1" + _ID.sub(str(uuid.uuid4()), path)
    try:
        match = resolve(url)
    except Resolver404:
        pytest.fail(f"{method} {url}: no such route")
    view = match.func.view_class
    assert match.url_name != "api_not_found" and hasattr(view, method.lower()), f"{method} {url} → {view}"


def _prep_lines() -> list[list[str]]:
    """The ``prep`` commands of the guide's code blocks (shell and CI YAML alike)."""
    lines = []
    code = "\n".join(re.findall(r"```[a-z]*\n(.*?)```", GUIDE + README, re.S))
    for line in code.splitlines():
        if "python manage.py prep " in line:
            command = line.split("python manage.py prep ", 1)[1].split("#")[0].split(">")[0]
            lines.append(shlex.split(command))
    return lines


@pytest.mark.parametrize("args", _prep_lines(), ids=" ".join)
def test_each_prep_line_parses(args):
    parser = Command().create_parser("manage.py", "prep")
    options = parser.parse_args(args)
    assert options.action in ("check", "validate", "rules")
