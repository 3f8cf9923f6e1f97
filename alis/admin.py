from django.contrib import admin
from simple_history.admin import SimpleHistoryAdmin

from core.admin_mixins import DatedTableAdminMixin, ReadOnlyAdminMixin

from .models import AlisAgreement, AlisEvent, SupervisionRequirement, SupervisionSession, SupervisorChange


@admin.register(SupervisionRequirement)
class SupervisionRequirementAdmin(DatedTableAdminMixin, SimpleHistoryAdmin):
    """The requirement table is data: superusers add and edit rows here; every change is kept in the history."""

    list_display = ["kind", "valid_from", "hours", "per", "span_years", "status"]
    list_filter = ["kind", "status"]


# Agreements and their sessions change only through the services (events, checks, four-eyes).
class EventInline(ReadOnlyAdminMixin, admin.TabularInline):
    model = AlisEvent
    extra = 0
    fields = ["at", "action", "from_status", "to_status", "user", "reason"]
    readonly_fields = fields


@admin.register(AlisAgreement)
class AlisAgreementAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ["avtalenummer", "municipality", "doctor", "status", "start_date", "end_date", "annual_payment"]
    list_filter = ["status", "employment_form"]
    search_fields = ["avtalenummer", "doctor__name", "doctor__hpr_nummer"]
    raw_id_fields = ["doctor", "supervisor", "practice"]
    inlines = [EventInline]


@admin.register(SupervisionSession)
class SupervisionSessionAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ["agreement", "date", "kind", "hours", "supervisor", "group_leader"]
    list_filter = ["kind"]
    raw_id_fields = ["agreement", "supervisor"]


@admin.register(SupervisorChange)
class SupervisorChangeAdmin(ReadOnlyAdminMixin, SimpleHistoryAdmin):
    list_display = ["agreement", "from_date", "supervisor", "recorded_by"]
