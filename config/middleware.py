"""Request hygiene shared by every browser page."""

from django.core.exceptions import BadRequest
from django.http import Http404


class RejectNulMiddleware:
    """A NUL character in the address never reaches a view: PostgreSQL refuses NUL in text, so a query with it
    was a 500 (tests/test_fuzz.py). In a path parameter it names nothing (404); in a query parameter it is a bad
    request (400). The API answers these itself, in JSON (config.api: ApiMixin.initial and the filters' forms);
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
