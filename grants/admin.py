from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from core.admin_mixins import DatedTableAdminMixin, ReadOnlyAdminMixin

from .models import PaymentLine, PaymentMonth, PaymentRun, RateSchedule, UtjamningParameter


@admin.register(RateSchedule)
class RateScheduleAdmin(DatedTableAdminMixin, SimpleHistoryAdmin):
    """Rates are data: superusers add and edit rows here; every change is kept in the history."""

    list_display = ["valid_from", "model", "knekkpunkt", "rate_under", "rate_over", "paid_up_to", "status"]


@admin.register(UtjamningParameter)
class UtjamningParameterAdmin(DatedTableAdminMixin, SimpleHistoryAdmin):
    """The utjamningstilskudd parameters (docs/rates.md): data like the rates; a row set to «bekreftet» makes the
    lines of its months payable (they leave the control calculation at the next recompute)."""

    list_display = ["valid_from", "reference", "population_limit", "annual_rate", "status"]


@admin.register(PaymentMonth)
class PaymentMonthAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    """View only: months are closed by attesting and authorising, and a superuser reopens one on its month
    page (*Gjenåpne*, with a reason kept in the history), never here (docs/payments.md)."""

    list_display = ["municipality", "month", "status", "attested_by", "authorised_by"]
    list_filter = ["status"]


@admin.register(PaymentLine)
class PaymentLineAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """View only: lines are written by the recompute alone; a closed month's lines are frozen."""

    list_display = ["municipality", "month", "patient_list", "kind", "amount"]
    list_filter = ["kind"]
    raw_id_fields = ["patient_list", "doctor"]


@admin.register(PaymentRun)
class PaymentRunAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    list_display = ["municipality", "month", "status", "trigger", "lines", "total", "created_at"]
