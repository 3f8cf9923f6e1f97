"""What writes notices from other apps' events without those apps importing this one (docs/architecture.md):
a decision on a case (core.cases.case_decided) and an import that failed after it was started (ImportJob)."""

from django.db.models.signals import post_init, post_save
from django.urls import reverse

from accounts import notices
from accounts.models import NoticeKind
from core.cases import case_decided
from core.i18n import source_text
from practices.models import ImportJob, Membership


def on_case_decided(sender, case, action, user, url="", **kwargs):
    """The decision goes to the administrator who submitted the case, while she is still a member of its
    municipality (the text names the doctor)."""
    submitter = case.submitted_by_id
    if not submitter or submitter == getattr(user, "pk", None) or not Membership.objects.filter(
            user_id=submitter, municipality_id=case.municipality_id).exists():
        return
    what = source_text(case._meta.verbose_name)
    status = source_text(dict(case._meta.get_field("status").choices).get(case.status, case.status)).lower()
    doctor = getattr(case, "doctor", None)
    reference = f" (sak {case.saksnummer})" if case.saksnummer else ""
    text = f"{what[:1].upper()}{what[1:]}{reference}{' for ' + doctor.name if doctor else ''} er {status}."
    stamp = f"{case.decided_at:%Y%m%d%H%M%S}" if case.decided_at else ""
    notices.notify(kind=NoticeKind.DECISION, municipality_id=case.municipality_id, user_ids=[submitter],
                   key=f"vedtak-{case._meta.model_name}-{case.pk}-{case.status}-{stamp}", text=text, url=url)


def remember_status(sender, instance, **kwargs):
    instance._loaded_status = instance.status


def on_import_saved(sender, instance, created, **kwargs):
    """An import that was started (queued or running) and then failed: to its uploader. A file refused at upload
    is shown to her on the page at once, so it sends nothing."""
    started = getattr(instance, "_loaded_status", None) in (ImportJob.Status.QUEUED,
                                                            ImportJob.Status.RUNNING)
    if created or instance.status != ImportJob.Status.FAILED or not started or not instance.user_id:
        instance._loaded_status = instance.status
        return
    instance._loaded_status = instance.status
    # the dashboard shows a notice in its municipality: one the file wrote to or, failing that, the uploader's first
    municipality_id = (instance.municipalities.values_list("pk", flat=True).order_by("pk").first()
                       or Membership.objects.filter(user_id=instance.user_id).order_by("pk")
                       .values_list("municipality_id", flat=True).first())
    if municipality_id is None:
        return
    kind = source_text(ImportJob.Kind(instance.kind).label).lower()
    text = (f"Importen av {instance.filename or 'filen'} ({kind}) feilet. Ingenting er lagret; se feilene og prøv "
            "igjen.")
    detail = "alis:import_detail" if instance.kind == ImportJob.Kind.SUPERVISION else "practices:import_detail"
    url = reverse(detail, args=[instance.pk])
    notices.notify(kind=NoticeKind.IMPORT, municipality_id=municipality_id, user_ids=[instance.user_id],
                   key=f"import-feilet-{instance.pk}", text=text, url=url)


def connect():
    case_decided.connect(on_case_decided, dispatch_uid="accounts-case-decided")
    post_init.connect(remember_status, sender=ImportJob, dispatch_uid="accounts-import-status")
    post_save.connect(on_import_saved, sender=ImportJob, dispatch_uid="accounts-import-failed")
