"""``{% export_form version %}``: the export button with its options (templates/listings/_export_form.html)."""

from __future__ import annotations

from functools import lru_cache

from django import template
from django.template.loader import render_to_string

from listings.export import config
from listings.export.forms import ExportOptionsForm

register = template.Library()


@register.inclusion_tag("listings/_export_form.html", takes_context=True)
def export_form(context, version):
    options = _options_html(version.number, config.reference_min_bytes(), config.dry_run_available())
    return {"v": version, "csrf_token": context.get("csrf_token"), "options": options}


@lru_cache(maxsize=128)
def _options_html(number: int, reference_min_bytes: int, dry_run_available: bool) -> str:
    """The options' fields: an unbound form, the same on every view of the listing page, so rendered once per
    version number (its ids carry the number, as labels must point at the right inputs when several versions
    are on the page) and settings (the other arguments) rather than widget by widget on every view."""
    form = ExportOptionsForm(auto_id=f"id_export_v{number}_%s")
    return render_to_string("listings/_export_options.html", {"form": form})
