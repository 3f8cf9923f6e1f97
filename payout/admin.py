from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from core.admin_mixins import ReadOnlyAdminMixin

from .models import AccountString, MunicipalityAccount, Payee, PaymentFile


@admin.register(Payee)
class PayeeAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    """View only: payees are entered on their page, in the API or by import_payees, and a changed account is
    confirmed there by a second person (docs/payments.md, «Utbetalingsmottakere»); here it would skip that."""

    list_display = ["municipality", "doctor", "name", "organisasjonsnummer", "kontonummer", "valid_from",
                    "confirmed_at"]
    list_filter = ["municipality"]
    search_fields = ["name", "doctor__hpr_nummer", "doctor__name"]
    raw_id_fields = ["doctor"]


@admin.register(MunicipalityAccount)
class MunicipalityAccountAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    """View only: set on the municipality's settings page or with `municipality_account` (with history)."""

    list_display = ["municipality", "kontonummer", "organisasjonsnummer", "bic", "balance_account"]


@admin.register(AccountString)
class AccountStringAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    """View only: set on the municipality's settings page."""

    list_display = ["municipality", "kind", "art", "ansvar", "funksjon", "prosjekt"]
    list_filter = ["kind"]


@admin.register(PaymentFile)
class PaymentFileAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """View only: a payment file is made once per authorised month and kept as it was sent to the bank."""

    list_display = ["payment_month", "execution_date", "transactions", "control_sum", "created_by", "created_at"]
    exclude = ["content"]
