from django.dispatch import Signal

# Sent after an import commits by its ImportJob (the sender), with months=[(kommunenummer, month), …] whose counts
# changed.
# The payments app listens and recomputes those months (practices must not import grants, docs/architecture.md).
list_counts_changed = Signal()
