"""The month page's «Betaling» section: make the payment file, download it and the voucher (docs/payments.md,
«Betalingsfil og bilag»). Thin: form → service → redirect; grants' month page shows the section through
grants.views.PAYMENT_MONTH_SECTIONS (registered in payout's AppConfig.ready())."""

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpResponse
from django.shortcuts import redirect
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from core.forms import DateInput
from core.months import format_month, parse_month
from core.workflow import Forbidden, ServiceError
from grants.selectors import municipality_for, payment_month_for
from payout.models import MunicipalityAccount, PaymentFile
from payout.selectors import month_payout
from payout.services.payment_file import create_payment_file, file_name, next_bank_day
from payout.services.voucher import voucher_for
from practices.permissions import can_casework, require


class PaymentFileForm(forms.Form):
    execution_date = forms.DateField(label=gettext_lazy("Ønsket betalingsdato"), widget=DateInput(),
                                     help_text=gettext_lazy("Dagen banken skal betale. I dag eller senere."))


def _month(request, kommunenummer, month):
    municipality = municipality_for(request.user, kommunenummer)
    try:
        month = parse_month(month)
    except ValueError:
        raise Http404 from None
    return municipality, month, payment_month_for(municipality, month)


def _section_url(municipality, month) -> str:
    return reverse("grants:payment_month", args=[municipality.kommunenummer, format_month(month)]) + "#betaling"


def month_section(request, payment_month) -> str:
    """The «Betaling» section of an authorised month (empty for other months): the execution date and the button,
    or the kept file's facts and downloads; payees owing the municipality and payees to fix, with links."""
    if not payment_month.pk or not payment_month.is_closed:
        return ""
    payment_file = PaymentFile.objects.filter(payment_month=payment_month).select_related("created_by").first()
    payout = month_payout(payment_month.municipality, payment_month.month)
    can_create = can_casework(request.user, payment_month.municipality)
    has_account = MunicipalityAccount.objects.filter(municipality=payment_month.municipality).exists()
    if can_create[0] and payment_file is None and not has_account:
        can_create = (False, _("Kommunens eget kontonummer mangler. Registrer det under kommunens innstillinger "
                               "for utbetaling."))
    elif can_create[0] and payout.to_fix and payment_file is None:
        can_create = (False, _("Rett mottakerne under før du lager betalingsfilen."))
    form = PaymentFileForm(initial={"execution_date": next_bank_day(timezone.localdate())})
    return render_to_string("payout/_payment_section.html", {
        "payment_month": payment_month, "municipality": payment_month.municipality, "month": payment_month.month,
        "payment_file": payment_file, "payout": payout, "form": form, "can_create": can_create,
        "has_account": has_account,
    }, request=request)


@login_required
@require_POST
def payment_file_create(request, kommunenummer, month):
    municipality, month, payment_month = _month(request, kommunenummer, month)
    require(can_casework(request.user, municipality))
    if not payment_month.pk:
        raise Http404
    form = PaymentFileForm(request.POST)
    if not form.is_valid():
        for errors in form.errors.values():
            messages.error(request, " ".join(errors))
        return redirect(_section_url(municipality, month))
    try:
        outcome = create_payment_file(user=request.user, payment_month=payment_month,
                                      execution_date=form.cleaned_data["execution_date"])
    except Forbidden as error:
        require((False, str(error)))
    except ServiceError as error:
        messages.error(request, str(error))
        return redirect(_section_url(municipality, month))
    if outcome.warning:
        messages.warning(request, outcome.warning)
    elif outcome.payment_file is None:
        messages.info(request, _("Ingen mottakere skal ha utbetaling denne måneden, så ingen betalingsfil er laget."))
    elif outcome.created:
        messages.success(request, _("Betalingsfilen er laget: %(n)s transaksjoner. Last den ned og send den til "
                                    "banken.") % {"n": outcome.payment_file.transactions})
    return redirect(_section_url(municipality, month))


@login_required
def payment_file_download(request, kommunenummer, month):
    """The kept bytes, exactly as made (their sha256 is on the page)."""
    municipality, month, payment_month = _month(request, kommunenummer, month)
    payment_file = PaymentFile.objects.filter(payment_month__pk=payment_month.pk or 0).select_related(
        "payment_month__municipality").first()
    if payment_file is None:
        raise Http404
    response = HttpResponse(bytes(payment_file.content), content_type="application/xml; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{file_name(payment_file)}"'
    return response


@login_required
def voucher_download(request, kommunenummer, month):
    municipality, month, payment_month = _month(request, kommunenummer, month)
    try:
        voucher = voucher_for(user=request.user, payment_month=payment_month)
    except Forbidden as error:
        require((False, str(error)))
    except ServiceError as error:
        messages.error(request, str(error))
        return redirect(_section_url(municipality, month))
    response = HttpResponse(voucher.content, content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{voucher.filename}"'
    return response
