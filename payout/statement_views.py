"""The yearly statement (*årsoppgave*, docs/payments.md «Årsoppgave»): a printable page and the same body as a PDF,
to any role in the municipality; another municipality's doctor is a 404."""

from django.contrib.auth.decorators import login_required
from django.http import HttpResponse
from django.shortcuts import render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from core import letters
from grants.selectors import municipality_for
from payout.statement import statement_years, yearly_statement

BODY = "payout/_yearly_statement_body.html"


def _context(request, kommunenummer, year, hpr) -> dict:
    municipality = municipality_for(request.user, kommunenummer)
    statement = yearly_statement(municipality=municipality, hpr=hpr, year=year)
    return {"statement": statement, "municipality": municipality, "made_on": timezone.localdate(),
            "title": _("Årsoppgave %(year)s – %(name)s") % {"year": year, "name": statement.doctor.name}}


def filename(*, year: int, kommunenummer: str, hpr: str) -> str:
    """arsoppgave-2022-0301-hpr-1234567.pdf: year, municipality and doctor, ASCII for every archive."""
    return f"arsoppgave-{year}-{kommunenummer}-hpr-{hpr}.pdf"


@login_required
@require_GET
def yearly_statement_page(request, kommunenummer, year, hpr):
    return render(request, "payout/yearly_statement.html", {**_context(request, kommunenummer, year, hpr),
                                                            "body_template": BODY})


@login_required
@require_GET
def yearly_statement_pdf(request, kommunenummer, year, hpr):
    """Rendered on each request and not stored: it is a view of frozen ledger rows, not a document sent as a
    decision, and a stored copy would be one more place holding the doctor's payments (docs/payments.md)."""
    context = _context(request, kommunenummer, year, hpr)
    response = HttpResponse(letters.render_pdf(BODY, context), content_type="application/pdf")
    response["Content-Disposition"] = (
        f'attachment; filename="{filename(year=year, kommunenummer=kommunenummer, hpr=hpr)}"')
    return response


def doctor_statement_links(doctor, municipalities) -> list[dict]:
    """The doctor's page (practices.selectors.DOCTOR_DOCUMENTS): one yearly statement per municipality of the
    user's and year with authorised lines."""
    return [{"heading": _("Årsoppgaver"), "label": f"{year} – {municipality.letter_name}",
             "url": reverse("payout:yearly_statement", args=[municipality.kommunenummer, year, doctor.hpr_nummer])}
            for municipality, year in statement_years(doctor=doctor, municipalities=municipalities)]
