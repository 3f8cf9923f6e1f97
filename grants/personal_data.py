"""Personal data about a doctor (issue 10; docs/personvern.md): export everything held, erase what the
retention rules allow. Lives in `grants`, the top of the dependency chain, because it reads every app."""

from datetime import date

from django.apps import apps
from django.db import transaction
from django.db.models import Max, Q
from django.utils import timezone

from core.months import format_month
from grants.models import GrunntilskuddApplication, IntroduksjonsAvtale, PaymentLine
from practices.models import Doctor, ListHolder

RETENTION_YEARS = 5  # bokføringsloven § 13: accounting records for five years after the end of the year


def _alis_models():
    try:
        return apps.get_model("alis", "AlisAgreement"), apps.get_model("alis", "SupervisionSession")
    except LookupError:
        return None, None


def export_doctor(doctor: Doctor) -> dict:
    """Everything the system holds about one doctor, as plain JSON-ready data."""
    agreement_model, session_model = _alis_models()
    data = {
        "lege": {"hpr_nummer": doctor.hpr_nummer, "navn": doctor.name,
                 "spesialist_i_allmennmedisin": doctor.specialist_general_practice,
                 "spesialist_fra": doctor.specialist_since.isoformat() if doctor.specialist_since else None},
        "endringshistorikk": [{"tidspunkt": h.history_date.isoformat(), "navn": h.name, "type": h.history_type}
                              for h in doctor.history.order_by("history_date")],
        "listeinnehaver": [{"kommunenummer": h.patient_list.municipality.kommunenummer,
                            "listenummer": h.patient_list.listenummer, "fra": format_month(h.from_month),
                            "driftsform": h.driftsform, "avtale_fra": h.avtale_fra.isoformat() if h.avtale_fra
                            else None}
                           for h in doctor.holdings.select_related("patient_list__municipality")],
        "grunntilskudd": [{"id": c.pk, "kommunenummer": c.municipality.kommunenummer, "status": c.status,
                           "saksnummer": c.saksnummer} for c in doctor.grunntilskudd.select_related("municipality")],
        "introduksjonsavtaler": [{"id": c.pk, "kommunenummer": c.municipality.kommunenummer, "status": c.status,
                                  "start": c.start_date.isoformat(), "slutt": c.end_date.isoformat()}
                                 for c in doctor.introduksjonsavtaler.select_related("municipality")],
        "utbetalingslinjer": [{"kommunenummer": line.municipality.kommunenummer, "maaned": format_month(line.month),
                               "type": line.kind, "belop": f"{line.amount:.2f}", "forklaring": line.explanation}
                              for line in PaymentLine.objects.filter(doctor=doctor).select_related("municipality")
                              .order_by("month", "pk")],
    }
    if agreement_model is not None:
        data["alis"] = [{"id": a.pk, "avtalenummer": a.avtalenummer, "status": a.status}
                        for a in agreement_model.objects.filter(Q(doctor=doctor) | Q(supervisor=doctor))]
        data["veiledning"] = session_model.objects.filter(Q(agreement__doctor=doctor) | Q(supervisor=doctor)).count()
    return data


def erase_blockers(doctor: Doctor, *, today: date | None = None) -> list[str]:
    """Why the doctor's data must still be kept; empty when it may be erased."""
    today = today or timezone.localdate()
    limit = date(today.year - RETENTION_YEARS, 1, 1)
    blockers = []
    last_payment = PaymentLine.objects.filter(doctor=doctor).aggregate(last=Max("month"))["last"]
    if last_payment and last_payment >= limit:
        blockers.append(f"Utbetalinger for {format_month(last_payment)} skal oppbevares i fem år etter "
                        f"regnskapsåret (bokføringsloven § 13).")
    current = ListHolder.objects.filter(doctor=doctor).aggregate(last=Max("from_month"))["last"]
    if current and current >= limit:
        blockers.append("Legen har hatt en fastlegeliste de siste fem årene.")
    if GrunntilskuddApplication.objects.filter(doctor=doctor).exists() or IntroduksjonsAvtale.objects.filter(
            doctor=doctor).exists():
        blockers.append("Legen er part i tilskuddssaker (enkeltvedtak), som arkivloven krever at kommunen tar vare på.")
    agreement_model, _ = _alis_models()
    if agreement_model is not None and agreement_model.objects.filter(Q(doctor=doctor) | Q(supervisor=doctor)).exists():
        blockers.append("Legen er part i ALIS-avtaler, som arkivloven krever at kommunen tar vare på.")
    return blockers


@transaction.atomic
def erase_doctor(*, doctor: Doctor, user) -> Doctor:
    """Anonymise a doctor whose data is past retention: name and specialist data removed, HPR replaced by a
    pseudonym that cannot be a real HPR number (leading zero), the history rows holding the name deleted."""
    if not user.is_superuser:
        raise PermissionError("Bare en superbruker kan slette personopplysninger.")
    blockers = erase_blockers(doctor)
    if blockers:
        raise ValueError(" ".join(blockers))
    doctor.history.all().delete()
    doctor.name = f"Slettet lege {doctor.pk}"
    doctor.hpr_nummer = f"0{doctor.pk:08d}"[-9:]
    doctor.specialist_general_practice, doctor.specialist_since = False, None
    doctor._change_reason = f"Personopplysninger slettet av {user.username}"
    doctor.save()
    return doctor
