from django import template

from payout.rules import format_kontonummer

register = template.Library()


@register.filter
def kontonummer(value: str) -> str:
    """"86011117947" → "8601.11.17947"."""
    return format_kontonummer(value or "")
