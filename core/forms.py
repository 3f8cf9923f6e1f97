"""What every form view does with a service (docs/architecture.md): call it, and show a refusal on the form."""

from django import forms
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils.translation import gettext_lazy as _

from core.workflow import Forbidden, ServiceError

NON_FIELD = "__all__"


class DateInput(forms.DateInput):
    """A date as Norwegians write it, 31.05.2022, in a text field: the browser's own date field follows the
    computer's language (05/31/2022 on an English one). 2022-05-31 is read too (settings' DATE_INPUT_FORMATS)."""

    def __init__(self, attrs=None):
        super().__init__(attrs={"placeholder": _("dd.mm.åååå"), "inputmode": "numeric", "autocomplete": "off",
                                "class": "date-input", **(attrs or {})}, format="%d.%m.%Y")


def add_service_errors(form, error: ServiceError) -> None:
    """Put a service's messages on the form: on their field when the form has it, else on top."""
    for field, message in (error.errors or {NON_FIELD: str(error)}).items():
        form.add_error(field if field in form.fields else None, message)


def form_service(form, service, /, **kwargs):
    """Call `service(**kwargs)` for a valid form: its result, or None with the refusal on the form. Forbidden
    (the role, four-eyes) is a 403 with its reason, as `require` gives."""
    try:
        return service(**kwargs)
    except Forbidden as error:
        raise PermissionDenied(str(error)) from error
    except ServiceError as error:
        add_service_errors(form, error)
    except ValidationError as error:  # a model's own validation (full_clean) in the service
        form.add_error(None, error.messages)
    return None
