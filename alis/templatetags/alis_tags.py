"""Template filters for ALIS pages: hours in Bokmål (docs/architecture.md)."""

from django import template

from alis import rules

register = template.Library()


@register.filter
def hours(value):
    """Decimal hours → `5,5`, `0,25`, `120`."""
    return "" if value is None else rules.h(value)
