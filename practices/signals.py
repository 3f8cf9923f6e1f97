from django.dispatch import Signal

# Sent after an import commits by its ImportJob (the sender), with months=[(kommunenummer, month), …] whose counts
# changed.
# The payments app listens and recomputes those months (practices must not import grants, docs/architecture.md).
list_counts_changed = Signal()

# Sent after populations change (the population page, import_population) with changes=[(municipality_id, year), …]:
# the payments app recomputes that year's months, booking korreksjon for closed ones (docs/payments.md).
population_changed = Signal()
