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
