"""Upload → preview → confirm → progress → log (docs/import.md)."""

from functools import partial
from pathlib import PurePath

from django.conf import settings
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.text import slugify
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from core.progress import progress_of

from .forms import ImportForm
from .models import ImportJob
from .permissions import can_import, require
from .selectors import (
    import_file_for,
    import_jobs_for,
    import_report_for,
    payment_months_of_import,
    recompute_of_import,
    skipped_names,
)
from .services.list_import import import_confirm, import_upload


def upload(request, form, permission, service):
    """The job `service` makes of the uploaded file, or None unless the form is posted and valid. A post without
    `permission` is refused (403)."""
    if request.method != "POST":
        return None
    require(permission)
    if not form.is_valid():
        return None
    file = form.cleaned_data["file"]
    data = file.read(settings.IMPORT_MAX_BYTES + 1)  # one byte more: the service refuses a file over the limit
    return service(user=request.user, data=data, filename=file.name, size=file.size)


def confirm(request, job, service, detail_view):
    """Let `service` write a previewed import, which only its uploader may do, and go back to its page."""
    if job.user_id != request.user.pk:
        require((False, _("Bare den som lastet opp filen kan bekrefte importen.")))
    job = service(job=job, user=request.user)
    if job.status == ImportJob.Status.DONE:
        messages.success(request, _("Importen er fullført."))
    return redirect(detail_view, pk=job.pk)


@login_required
def import_index(request):
    allowed, reason = can_import(request.user)
    form = ImportForm(request.POST or None, request.FILES or None)
    job = upload(request, form, (allowed, reason), partial(import_upload, source="web"))
    if job is not None:
        return redirect("practices:import_detail", pk=job.pk)
    jobs = list(import_jobs_for(request.user).select_related("user").defer(
        "errors", "warnings", "changed_sample").order_by("-created_at")[:50])
    return render(request, "practices/import_index.html", {
        "form": form, "jobs": jobs, "can_import": allowed, "reason": reason, "names": skipped_names(jobs),
    })


def _job(request, pk):
    return get_object_or_404(import_jobs_for(request.user).select_related("user"), pk=pk)


@login_required
def import_detail(request, pk):
    job = _job(request, pk)
    return render(request, "practices/import_detail.html", {
        "job": job, "progress": _progress(job), "can_confirm": job.user_id == request.user.pk,
        **import_report_for(request.user, job), "payment_months": payment_months_of_import(request.user, job),
        "names": skipped_names([job]), "recompute": recompute_of_import(request.user, job),
    })


@login_required
@require_POST
def import_confirm_view(request, pk):
    """Bekreft og importer; or, with `only_mine`, «Importer bare radene for mine kommuner» (docs/import.md)."""
    service = partial(import_confirm, only_mine=request.POST.get("only_mine") == "1")
    return confirm(request, _job(request, pk), service, "practices:import_detail")


def _progress(job):
    return progress_of("import", job.pk, job.status, running=job.progress)


@login_required
def import_progress(request, pk):
    """Polled by htmx every second; reloads the page when the import has finished."""
    job = _job(request, pk)
    if job.status in (ImportJob.Status.DONE, ImportJob.Status.FAILED):
        response = HttpResponse(status=204)
        response["HX-Refresh"] = "true"
        return response
    return render(request, "practices/_import_progress.html", {"job": job, "progress": _progress(job)})


@login_required
def import_recompute(request, pk):
    """The recompute the import started, polled by htmx every two seconds until its runs have finished."""
    job = _job(request, pk)
    return render(request, "practices/_import_recompute.html", {"job": job,
                                                                "recompute": recompute_of_import(request.user, job)})


@login_required
def import_download(request, pk):
    """The uploaded file, only to users who may see the import (never served from MEDIA_ROOT directly); scoped to
    the user's municipalities when it also covers others (docs/import.md)."""
    job = _job(request, pk)
    if not job.file:
        raise Http404
    return FileResponse(import_file_for(request.user, job), as_attachment=True, filename=download_name(job),
                        content_type="text/csv")


def download_name(job: ImportJob) -> str:
    """The uploaded file's name made safe for the Content-Disposition header (the user chose it: quotes, other
    scripts, paths): ASCII letters, digits and dashes, else `import-<id>`; always `.csv`."""
    stem = slugify(PurePath(job.filename or "").stem)[:100]
    return f"{stem or f'import-{job.pk}'}.csv"
