"""All reference data loaded by data migrations, in one call (for tests that flush the database)."""


def ensure_reference_data() -> None:
    from practices.models import Municipality
    from practices.reference import load_municipalities

    if Municipality.objects.count() < 357:
        load_municipalities(Municipality)
