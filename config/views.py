from django.contrib.auth.decorators import login_required
from django.http import HttpResponseRedirect
from django.shortcuts import render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_POST

from practices.middleware import SESSION_KEY
from practices.models import Role
from practices.selectors import roles_by_municipality


@login_required
def dashboard(request):
    roles = []
    if request.municipality:
        held = roles_by_municipality(request.user).get(request.municipality.pk, set())
        roles = [label for value, label in Role.choices if value in held]
    context = {"roles": roles}
    if request.municipality:
        from grants.selectors import dashboard_figures, worklist

        context.update(worklist(request.user, request.municipality))
        context.update(dashboard_figures(request.user, request.municipality))
    return render(request, "dashboard.html", context)


@login_required
@require_POST
def switch_municipality(request):
    """Remember the chosen municipality; only one of the user's own can be chosen."""
    chosen = request.POST.get("municipality", "")
    for municipality in request.municipalities:
        if str(municipality.pk) == chosen:
            request.session[SESSION_KEY] = municipality.pk
            break
    target = request.POST.get("next", "")
    # Only a path on this site; anything else (a view name, "x", a foreign host) goes to the dashboard. Not
    # redirect(target): it would try `target` as a view name and fail with a 500 on text like "abc".
    if not (target.startswith("/") and url_has_allowed_host_and_scheme(target, allowed_hosts={request.get_host()},
                                                                        require_https=request.is_secure())):
        target = reverse("dashboard")
    return HttpResponseRedirect(target)


def accessibility(request):
    return render(request, "accessibility.html")


def permission_denied(request, exception=None):
    """403 with the reason the permission function gave (SPEC.md §10: 'a clear message')."""
    reason = str(exception) if exception and str(exception) else ""
    return render(request, "403.html", {"reason": reason}, status=403)
