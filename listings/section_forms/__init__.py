"""One form per listing section. Each turns the section's JSON into fields and back, and shows the findings of
the very checks a validation run performs next to the field they name (validation/SNAPSHOT.md locations)."""

from listings.section_forms.registry import form_for

__all__ = ["form_for"]
