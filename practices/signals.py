from django.dispatch import Signal

# Sent after an import commits, with months=[(kommunenummer, month), …] whose counts changed.
# The payments app listens and recomputes those months (practices must not import grants, docs/architecture.md).
list_counts_changed = Signal()
