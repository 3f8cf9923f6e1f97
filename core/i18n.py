"""Texts in the source language and in the others: what is stored is bokmål, what is shown follows the page.

A text built for storage (the checks of a case, a history's change reason) is made lazily with `text()`, stored
in bokmål with `source_text()`, and, where a page must show it later in nynorsk or English, with its
`translations()` beside it (core.workflow.Check.as_dict). `localized()` picks the text for the active language."""

from django.conf import settings
from django.utils import translation
from django.utils.functional import lazy

SOURCE_LANGUAGE = "nb"


def _interpolate(message, params) -> str:
    return str(message) % {key: str(value) for key, value in params.items()}


_lazy_interpolate = lazy(_interpolate, str)


def text(message, **params):
    """`message` (a gettext_lazy msgid with %(name)s placeholders) filled in with `params` when it is read, in the
    language active then; params may be lazy texts too."""
    return _lazy_interpolate(message, params) if params else message


def source_text(message) -> str:
    """The text in bokmål, whatever the request's language: what is stored."""
    with translation.override(SOURCE_LANGUAGE):
        return str(message)


def translations(message) -> dict[str, str]:
    """{language: text} for every language but bokmål."""
    result = {}
    for language, _name in settings.LANGUAGES:
        if language != SOURCE_LANGUAGE:
            with translation.override(language):
                result[language] = str(message)
    return result


def localized(stored: dict, key: str = "message") -> str:
    """A stored text (bokmål under `key`, the others under "translations") in the active language; bokmål when
    it was stored without translations (before they were kept)."""
    language = translation.get_language() or SOURCE_LANGUAGE
    return (stored.get("translations") or {}).get(language.split("-")[0]) or stored.get(key, "")
