from django.urls import NoReverseMatch, reverse
from django.utils.translation import gettext_lazy as _

# (label, url name). An entry whose page does not exist yet is left out, so the menu never links to nothing.
NAVIGATION = (
    (_("Oversikt"), "dashboard"),
    (_("Legekontor og lister"), "practices:list_index"),
    (_("Import"), "practices:import_index"),
    (_("Grunntilskudd"), "grants:grunntilskudd_index"),
    (_("Introduksjonsavtaler"), "grants:introduksjon_index"),
    (_("ALIS"), "alis:agreement_index"),
    (_("Utbetalinger"), "grants:payments_index"),
    (_("Rapport"), "grants:report"),
    (_("Hva om"), "scenarios:index"),
    (_("Satser"), "grants:rates"),
)


def navigation(request):
    items = []
    for label, name in NAVIGATION:
        try:
            url = reverse(name)
        except NoReverseMatch:
            continue
        items.append({"label": label, "url": url, "active": request.path.startswith(url) and url != "/"
                      or request.path == url})
    return {"navigation": items}
