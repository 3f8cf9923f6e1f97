from .selectors import municipalities_for

SESSION_KEY = "municipality_id"


class CurrentMunicipalityMiddleware:
    """Sets `request.municipalities` (the user's, one query) and `request.municipality`: the one chosen in
    the switcher, else the first. Pages show the current municipality; objects of the user's other
    municipalities stay reachable by URL (scope is membership, not the switcher)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request.municipalities = []
        request.municipality = None
        if request.user.is_authenticated:
            request.municipalities = list(municipalities_for(request.user))
            chosen = request.session.get(SESSION_KEY)
            request.municipality = next(
                (m for m in request.municipalities if m.pk == chosen),
                request.municipalities[0] if request.municipalities else None,
            )
        return self.get_response(request)
