"""Request hygiene shared by every browser page, and what a logged-in user's responses may not leave behind."""

from django.core.exceptions import BadRequest
from django.http import Http404
from django.utils.cache import patch_cache_control


class RejectNulMiddleware:
    """A NUL character in the address never reaches a view: PostgreSQL refuses NUL in text, so a query with it
    was a 500 (tests/security/test_fuzz.py). In a path parameter it names nothing (404); in a query parameter it
    is a bad request (400). The API answers these itself, in JSON (core.api: ApiMixin.initial and the filters' forms);
    form fields refuse NUL with a message of their own."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        return self.get_response(request)

    def process_view(self, request, view_func, view_args, view_kwargs):
        if request.resolver_match is not None and request.resolver_match.app_name == "api":
            return None
        if any("\x00" in str(value) for value in [*view_args, *view_kwargs.values()]):
            raise Http404
        if any("\x00" in key or any("\x00" in value for value in values) for key, values in request.GET.lists()):
            raise BadRequest("Adressen inneholder et NUL-tegn.")
        return None


class NoStoreWhenLoggedInMiddleware:
    """`Cache-Control: no-store` on every response to a logged-in user (pages, exports, API): personal data and
    payment lines must not stay in a browser's or a proxy's cache. API requests with a token count too: DRF
    authenticates inside the view and sets the user on this request, so it is read after the response. Static
    files never get here (whitenoise answers first); a header that already says no-store is left as it is."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        user = getattr(request, "user", None)
        if user is not None and user.is_authenticated and "no-store" not in response.get("Cache-Control", ""):
            patch_cache_control(response, private=True, no_store=True)
        return response
