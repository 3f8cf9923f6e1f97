"""URL patterns from the resolver, for the access and write matrices (a new view cannot escape them)."""

from django.urls import URLPattern, URLResolver, get_resolver


def url_names() -> list[str]:
    def walk(patterns, namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}:{pattern.namespace}".strip(":") if pattern.namespace else namespace
                yield from walk(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield f"{namespace}:{pattern.name}".strip(":")

    return sorted({name for name in walk(get_resolver().url_patterns) if not name.startswith("admin:")})
