"""Template filters for money, numbers and months in Norwegian formats (docs/architecture.md)."""

from decimal import Decimal

from django import template
from django.utils.html import format_html
from django.utils.http import urlencode

from core import money
from core.i18n import localized
from core.months import format_month, month_label, parse_month

register = template.Library()


@register.filter
def kr(value):
    """Decimal → `1 234,50 kr`."""
    return "" if value is None else money.format_kr(value)


@register.filter
def nb(value, decimals=0):
    """A number with a no-break space between thousands: `1 234`."""
    return "" if value is None else money.format_number_nb(value, int(decimals))


@register.filter
def nb_exact(value):
    """A count as stored, without needless decimals: 1 000, or 437,5 (utjamning: 1 200 − a, at most 4 decimals)."""
    if value is None or value == "":
        return ""
    value = Decimal(value).quantize(Decimal("0.0001")).normalize()
    return money.format_number_nb(value, max(0, -value.as_tuple().exponent))


@register.filter
def percent_of_permille(value):
    """501 (per mille) → `50,1 %`."""
    return "" if value is None else money.format_number_nb(Decimal(value) / 10, 1) + "\xa0%"


@register.filter
def month(value):
    """date → `2020-05`."""
    return "" if value is None else format_month(value)


@register.filter
def monthname(value):
    """date (or `2020-05`, as a stored result has it) → `mai 2020`, in the page's language."""
    if value in (None, ""):
        return ""
    return month_label(parse_month(value) if isinstance(value, str) else value)


@register.filter
def check_message(check):
    """A stored eligibility check's message in the page's language (core.workflow.Check.as_dict)."""
    return localized(check)


@register.simple_tag(takes_context=True)
def sort_header(context, key, label, css=""):
    """A column header that sorts the table by `key` (click again for descending)."""
    request = context["request"]
    current = context.get("sort", "")
    descending = current == key
    params = request.GET.copy()
    params["sorter"] = f"-{key}" if descending else key
    params.pop("side", None)
    arrow = " ▲" if current == key else " ▼" if current == f"-{key}" else ""
    aria = "ascending" if current == key else "descending" if current == f"-{key}" else "none"
    return format_html('<th scope="col" class="{}" aria-sort="{}"><a href="?{}">{}{}</a></th>', css, aria,
                       urlencode(params), label, arrow)


@register.simple_tag(takes_context=True)
def page_url(context, number):
    params = context["request"].GET.copy()
    params["side"] = number
    return "?" + urlencode(params)


@register.filter
def get_item(mapping, key):
    return mapping.get(key)
