"""Decision letters of ALIS agreements (docs/alis.md): approval, rejection and termination each get a PDF made once
when the decision is saved (core.letters), like a grant case's (docs/grants.md, «Vedtaksbrev som PDF»)."""

from django.utils.translation import gettext_lazy as _

from alis.models import AlisDecisionLetter, AlisEvent
from core import letters

LETTER_ACTIONS = ("approve", "reject", "terminate")
BODY = "alis/_letter_body.html"
OUTCOMES = {"approve": "godkjent", "reject": "avslag", "terminate": "avsluttet"}
OUTCOME_LABELS = {"godkjent": _("Vedtak om godkjenning"), "avslag": _("Vedtak om avslag"),
                  "avsluttet": _("Vedtak om avslutning")}


def letter_events(agreement):
    return agreement.events.filter(action__in=LETTER_ACTIONS).select_related("user", "letter")


def letters_of(agreement) -> list[dict]:
    return [{"event": event, "label": OUTCOME_LABELS[OUTCOMES[event.action]],
             "letter": getattr(event, "letter", None)} for event in letter_events(agreement)]


def filename(agreement, event) -> str:
    return letters.archive_filename(saksnummer=agreement.saksnummer, kind="alis", case_id=agreement.pk,
                                    outcome=OUTCOMES[event.action])


def context(agreement, event) -> dict:
    return {"agreement": agreement, "event": event, "outcome": OUTCOMES[event.action]}


def issue(agreement, event):
    return letters.issue(AlisDecisionLetter, event=event, filename=filename(agreement, event), body_template=BODY,
                         context=context(agreement, event))


def letter_for(agreement, event):
    """The stored letter, or the one made now when it failed and the agreement is still as the decision left it."""
    letter = AlisDecisionLetter.objects.filter(event=event).first()
    if letter:
        return letter
    latest = AlisEvent.objects.filter(agreement=agreement, action__in=LETTER_ACTIONS).last()
    if latest and latest.pk == event.pk and agreement.status == event.to_status:
        return issue(agreement, event)
    return None
