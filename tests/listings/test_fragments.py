"""Cached fragments (listings/fragments.py): a fragment is cached under what it shows, so it is never stale and
never anyone else's, and it is escaped whether it comes from the template or from the cache."""

from __future__ import annotations

import pytest

from listings.fragments import render_each
from listings.review.presenters import QueueRow

pytestmark = pytest.mark.django_db


def _row(**changes) -> QueueRow:
    values = dict(id="v1", number=1, status="submitted", status_label="Submitted", title="Fraud model",
                  team="Team A", kind="Model package", url="/review/v1/", claim_url="/review/v1/claim/",
                  assignee="", mine=False, decided_by="", overdue=False, due_soon=False, not_run=0, to_look_at=3,
                  areas=8, badges=(("passed", "No problems"),), age_label="2 h", due_label="Jan 31, 14:05")
    return QueueRow(**{**values, **changes})


def _render(*rows: QueueRow) -> list[str]:
    return [str(html) for html in render_each("review/_queue_row.html", [{"r": r, "decided_view": False}
                                                                         for r in rows])]


def test_a_changed_value_is_a_new_fragment_and_the_same_values_the_same_one():
    first, = _render(_row())
    again, claimed, older = _render(_row(), _row(assignee="rita"), _row(age_label="3 h"))
    assert again == first  # the second time from the cache
    assert "Claim</button>" in first and "Claim</button>" not in claimed and "rita" in claimed
    assert ">2 h<" in first and ">3 h<" in older


def test_fragments_are_escaped_from_the_template_and_from_the_cache():
    title = '<script>alert("x")</script>'
    for html in _render(_row(title=title)) + _render(_row(title=title)):
        assert "<script>" not in html and "&lt;script&gt;alert(&quot;x&quot;)&lt;/script&gt;" in html

