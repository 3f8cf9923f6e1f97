from django.dispatch import Signal

# Sent after an import commits, with months=[(kommunenummer, month), …] whose counts changed.
# The payments app listens and recomputes those months (practices must not import grants, SPEC.md §2).
list_counts_changed = Signal()
