"""Decision letters of grant cases (docs/grants.md, «Vedtaksbrev som PDF»): what each decision's letter says, its
archive file name, and the PDF made once when the decision is saved (core.letters)."""

from django.utils.translation import gettext_lazy as _

from core import letters
from grants import rules
from grants.models import CaseEvent, CaseStatus, DecisionLetter, GrunntilskuddApplication

LETTER_ACTIONS = ("approve", "reject", "terminate")
BODY = "grants/_letter_body.html"
OUTCOMES = {  # (action, from status) → the letter's kind: its heading and its file name's last word
    ("approve", CaseStatus.INNSENDT): "innvilget", ("reject", CaseStatus.INNSENDT): "avslag",
    ("approve", CaseStatus.PAAKLAGET): "klage-innvilget", ("reject", CaseStatus.PAAKLAGET): "klage-avslag",
    ("terminate", CaseStatus.INNVILGET): "avsluttet",
}
OUTCOME_LABELS = {"innvilget": _("Vedtak om innvilgelse"), "avslag": _("Vedtak om avslag"),
                  "klage-innvilget": _("Vedtak i klagesak: innvilget"),
                  "klage-avslag": _("Vedtak i klagesak: avslaget opprettholdes"),
                  "avsluttet": _("Vedtak om avslutning")}


def kind_slug(case) -> str:
    return "grunntilskudd" if isinstance(case, GrunntilskuddApplication) else "introduksjon"


def outcome(event) -> str:
    return OUTCOMES.get((event.action, event.from_status), event.action)


def letter_events(case):
    """The case's decisions, oldest first, each with its letter if one was made (one query)."""
    return case.events.filter(action__in=LETTER_ACTIONS).select_related("user", "letter")


def letters_of(case) -> list[dict]:
    """The case page's list: date, what, and the event the download is keyed by."""
    return [{"event": event, "label": OUTCOME_LABELS.get(outcome(event), event.label),
             "letter": getattr(event, "letter", None)} for event in letter_events(case)]


def context(case, event) -> dict:
    """What the letter body (templates/grants/_letter_body.html) needs: the case, the decision's event (its date,
    who decided) and the kind of letter. The same for the printable page and the PDF."""
    slug = kind_slug(case)
    data = {"case": case, "event": event, "outcome": outcome(event) if event else "klage-registrert",
            "kind_slug": slug, "singular": GrunntilskuddApplication._meta.verbose_name if slug == "grunntilskudd"
            else case._meta.verbose_name, "checks": case.checks}
    if slug == "grunntilskudd" and case.avtale_fra:
        data["coverage"] = rules.grunntilskudd_coverage(case.avtale_fra)
    return data


def filename(case, event) -> str:
    """vedtak-2022-77-grunntilskudd-123-innvilget.pdf; a second appeal decision of the same kind gets "-2"."""
    kind = outcome(event)
    earlier = CaseEvent.objects.filter(**{kind_slug(case): case}, action=event.action, from_status=event.from_status,
                                       pk__lt=event.pk).count()
    return letters.archive_filename(saksnummer=case.saksnummer, kind=kind_slug(case), case_id=case.pk,
                                    outcome=kind + (f"-{earlier + 1}" if earlier else ""))


def issue(case, event):
    """The decision's PDF, made once (core.letters.issue)."""
    return letters.issue(DecisionLetter, event=event, filename=filename(case, event), body_template=BODY,
                         context=context(case, event))


def letter_for(case, event):
    """The stored letter, or — when the decision's letter failed and the case is still as that decision left it
    (it is the latest decision and the status is the one it set) — the letter made now. None otherwise."""
    letter = DecisionLetter.objects.filter(event=event).first()
    if letter:
        return letter
    latest = letter_events(case).last()
    if latest and latest.pk == event.pk and case.status == event.to_status:
        return issue(case, event)
    return None
