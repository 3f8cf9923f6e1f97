from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import PaymentLine, PaymentMonth, PaymentRun, RateSchedule


@admin.register(RateSchedule)
class RateScheduleAdmin(SimpleHistoryAdmin):
    """Rates are data: superusers add and edit rows here; every change is kept in the history."""

    list_display = ["valid_from", "model", "knekkpunkt", "rate_under", "rate_over", "paid_up_to", "status"]

    def has_add_permission(self, request):
        return request.user.is_superuser

    def has_change_permission(self, request, obj=None):
        return request.user.is_superuser

    def has_delete_permission(self, request, obj=None):
        return False  # a row that paid money must stay; add a newer row instead


@admin.register(PaymentMonth)
class PaymentMonthAdmin(SimpleHistoryAdmin):
    list_display = ["municipality", "month", "status", "attested_by", "authorised_by"]
    list_filter = ["status"]
    readonly_fields = ["municipality", "month", "status", "attested_by", "attested_at", "authorised_by",
                       "authorised_at", "computed_at", "missing_counts", "uses_estimate"]


@admin.register(PaymentLine)
class PaymentLineAdmin(admin.ModelAdmin):
    list_display = ["municipality", "month", "patient_list", "kind", "amount"]
    list_filter = ["kind"]
    raw_id_fields = ["patient_list", "doctor"]

    def has_change_permission(self, request, obj=None):
        return False  # lines are written only by the recompute


@admin.register(PaymentRun)
class PaymentRunAdmin(admin.ModelAdmin):
    list_display = ["municipality", "month", "status", "trigger", "lines", "total", "created_at"]
