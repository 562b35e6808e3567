"""``{% export_form version %}``: the export button with its options (templates/listings/_export_form.html)."""

from __future__ import annotations

from django import template

from listings.export.forms import ExportOptionsForm

register = template.Library()


@register.inclusion_tag("listings/_export_form.html", takes_context=True)
def export_form(context, version):
    # One form per version on the page: ids carry the version number so labels point at the right inputs.
    return {"v": version, "csrf_token": context.get("csrf_token"),
            "form": ExportOptionsForm(auto_id=f"id_export_v{version.number}_%s")}
