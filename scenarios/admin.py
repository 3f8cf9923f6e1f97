from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from .models import Scenario, ScenarioRun


@admin.register(Scenario)
class ScenarioAdmin(SimpleHistoryAdmin):
    """For support: users make and change scenarios in the app, where the scope and role checks apply."""

    list_display = ["name", "period_from", "period_to", "model", "knekkpunkt", "rate_under", "rate_over",
                    "created_by", "updated_at"]
    search_fields = ["name"]
    filter_horizontal = ["municipalities"]
    raw_id_fields = ["copied_from"]


@admin.register(ScenarioRun)
class ScenarioRunAdmin(admin.ModelAdmin):
    list_display = ["pk", "kind", "scenario", "status", "period_from", "period_to", "lists", "created_at"]
    list_filter = ["kind", "status"]
    readonly_fields = [field.name for field in ScenarioRun._meta.fields] + ["municipalities"]

    def has_add_permission(self, request):
        return False  # runs are started from the app
