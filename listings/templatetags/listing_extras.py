from django import template

register = template.Library()


@register.filter
def get_item(mapping, key):
    return mapping.get(key) if hasattr(mapping, "get") else None


@register.filter
def field_section(location: str) -> str:
    """``field:hyperparameters[2].default`` → ``hyperparameters``: the section page where it is fixed."""
    from listings.sections import section_of_location

    return section_of_location(location or "") or ""


@register.filter
def field_anchor(location: str) -> str:
    """The form field's id on the section page: ``field:product.title`` → ``id_title``."""
    import re

    match = re.match(r"^field:[a-z_]+(?:\[\d+\])?\.?([a-z_]*)", location or "")
    return f"id_{match[1]}" if match and match[1] else ""


@register.filter
def iso(value) -> str:
    """``|date:'c'`` for ``<time datetime=…>``, at a fraction of its cost (listings/display.py)."""
    from listings.display import iso as iso_, local

    return iso_(local(value))


@register.filter
def stamp(value, seconds: bool = False) -> str:
    """``|date:"Y-m-d H:i"`` (``|stamp:True``: with seconds) in the current time zone, cheaply."""
    from listings.display import local

    value = local(value)
    if value is None:
        return ""
    return f"{value:%Y-%m-%d %H:%M:%S}" if seconds else f"{value:%Y-%m-%d %H:%M}"


@register.filter
def ago(value) -> str:
    """How long ago, as the review queue says durations: "40 min", "5 h", "2 d 3 h"."""
    from django.utils import timezone

    from listings.templatetags.review_extras import span

    return span(timezone.now() - value) if value else ""
