"""The daily job (docs/operations.md): grants past their end become `utlopt`, ALIS agreements `fullfort`; notices
60 days before an end go to the municipality's administrators (in-app and email). Safe to run any number
of times: transitions only move cases still `innvilget`/`godkjent`, and notices have a unique key."""

import logging
from datetime import date, timedelta

from accounts import notices as accounts_notices
from accounts.models import NoticeKind
from alis.services import agreement_notices, complete_ended_agreements
from core import progress
from core.i18n import source_text
from core.months import add_months, first_of_month
from grants import rules
from grants.models import CaseStatus, GrunntilskuddApplication, IntroduksjonsAvtale
from grants.rules import GRUNNTILSKUDD_MONTHS
from grants.selectors import holdings_on
from grants.services.cases import transition
from grants.services.notices import months_waiting
from practices.models import Membership, Role

logger = logging.getLogger(__name__)
NOTICE_DAYS = 60


def expire_eligibility(*, today: date) -> dict:
    expired = {"grunntilskudd": 0, "introduksjonsavtaler": 0, "alis": 0, "varsler": 0, "maanedsvarsler": 0}
    month = first_of_month(today)
    for case in GrunntilskuddApplication.objects.filter(status=CaseStatus.INNVILGET,
                                                        avtale_fra__lt=add_months(month, 1 - GRUNNTILSKUDD_MONTHS)):
        last_day = rules.grunntilskudd_end(case.avtale_fra)
        transition(case, action="expire", reason=f"Siste måned var {last_day:%Y-%m}.")
        expired["grunntilskudd"] += 1
    progress.notify("expiry", 0, 20)
    expired["grunntilskudd"] += _expire_broken_agreements(month)
    progress.notify("expiry", 0, 40)
    for case in IntroduksjonsAvtale.objects.filter(status=CaseStatus.INNVILGET, end_date__lt=today):
        transition(case, action="expire", reason=f"Avtalen endte {case.end_date:%d.%m.%Y}.")
        expired["introduksjonsavtaler"] += 1
    progress.notify("expiry", 0, 60)
    expired["alis"] = _complete_alis(today)
    progress.notify("expiry", 0, 70)
    expired["varsler"] = notify(_notices(today))
    expired["maanedsvarsler"] = months_waiting(today=today)
    return expired


def _expire_broken_agreements(month: date) -> int:
    """Granted grunntilskudd whose list is held by another doctor, or by the doctor under a new agreement, can
    never pay again: `utlopt`, with the reason (rules.grunntilskudd_agreement_gap, the ledger's rule). A
    fastlønnet or ubesatt month may pass, so those stay granted (docs/grants.md)."""
    granted = GrunntilskuddApplication.objects.filter(status=CaseStatus.INNVILGET)
    holdings = holdings_on(granted.values("patient_list_id"), month)
    count = 0
    for case in granted:
        gap = rules.grunntilskudd_agreement_gap(doctor_id=case.doctor_id, avtale_fra=case.avtale_fra,
                                                holding=holdings.get(case.patient_list_id))
        if gap and gap.final:
            why = source_text(gap.message)  # the event is stored in bokmål
            transition(case, action="expire", reason=f"Grunntilskuddet gjelder ikke lenger: {why}.")
            count += 1
    return count


def _complete_alis(today: date) -> int:
    return complete_ended_agreements(today=today)


def _notices(today: date) -> list[dict]:
    horizon = today + timedelta(days=NOTICE_DAYS)
    notices = []
    for case in GrunntilskuddApplication.objects.filter(status=CaseStatus.INNVILGET, avtale_fra__isnull=False
                                                        ).select_related("patient_list", "doctor"):
        end = rules.grunntilskudd_end(case.avtale_fra)
        if today <= end <= horizon:
            notices.append({"municipality_id": case.municipality_id, "key": f"grunntilskudd-slutt-{case.pk}-{end}",
                            "text": f"Grunntilskuddet for liste {case.patient_list.listenummer} ({case.doctor.name}) "
                                    f"slutter {end:%d.%m.%Y}.", "url": f"/grunntilskudd/{case.pk}/"})
    for case in IntroduksjonsAvtale.objects.filter(status=CaseStatus.INNVILGET, end_date__gte=today,
                                                   end_date__lte=horizon).select_related("doctor"):
        notices.append({"municipality_id": case.municipality_id,
                        "key": f"introduksjon-slutt-{case.pk}-{case.end_date}",
                        "text": f"Introduksjonsavtalen for {case.doctor.name} slutter {case.end_date:%d.%m.%Y}.",
                        "url": f"/introduksjonsavtaler/{case.pk}/"})
    return notices + list(agreement_notices(today=today))


def notify(notices: list[dict]) -> int:
    """One Notice per administrator of the municipality (unique key: never twice), and one e-mail each, sent by a
    Celery task after commit (accounts.notices; without a broker before the command exits)."""
    administrators = {}
    for municipality_id, user_id in Membership.objects.filter(
            role=Role.ADMINISTRATOR, municipality_id__in={n["municipality_id"] for n in notices},
            user__is_active=True).values_list("municipality_id", "user_id"):
        administrators.setdefault(municipality_id, []).append(user_id)
    return sum(len(accounts_notices.notify(kind=NoticeKind.EXPIRY, **notice,
                                           user_ids=administrators.get(notice["municipality_id"], [])))
               for notice in notices)
