from django.dispatch import Signal

# Sent after a decision that changes what an agreement pays (approval, termination) has committed, with
# municipality_id and months=[date on the 1st, …] from the first affected month up to the current one.
# The payments app listens and recomputes those months (alis must not import grants, docs/architecture.md).
agreement_payments_changed = Signal()
