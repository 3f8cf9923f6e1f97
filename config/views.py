"""The pages that belong to no app: accessibility statement and the 403 page."""

from django.shortcuts import render


def accessibility(request):
    return render(request, "accessibility.html")


def permission_denied(request, exception=None):
    """403 with the reason the permission function gave (docs/architecture.md: 'a clear message')."""
    reason = str(exception) if exception and str(exception) else ""
    return render(request, "403.html", {"reason": reason}, status=403)
