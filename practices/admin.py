from django.contrib import admin
from django.contrib.auth import get_user_model
from django.contrib.auth.admin import UserAdmin
from simple_history.admin import SimpleHistoryAdmin

from core.admin_mixins import DatedTableAdminMixin, ReadOnlyAdminMixin

from .models import (
    Doctor,
    ImportJob,
    ListCount,
    ListHolder,
    Membership,
    Municipality,
    PatientList,
    Population,
    Practice,
)
from .services.population import save_population

User = get_user_model()


class MembershipInline(admin.TabularInline):
    model = Membership
    extra = 1
    autocomplete_fields = ["municipality"]


@admin.register(Municipality)
class MunicipalityAdmin(admin.ModelAdmin):
    list_display = ["kommunenummer", "name", "county"]
    search_fields = ["kommunenummer", "name"]


@admin.register(Membership)
class MembershipAdmin(SimpleHistoryAdmin):
    list_display = ["user", "municipality", "role"]
    list_filter = ["role"]
    search_fields = ["user__username", "municipality__name", "municipality__kommunenummer"]
    autocomplete_fields = ["municipality"]


@admin.register(Practice)
class PracticeAdmin(SimpleHistoryAdmin):
    list_display = ["name", "organisasjonsnummer", "municipality"]
    search_fields = ["name", "organisasjonsnummer"]
    list_select_related = ["municipality"]
    autocomplete_fields = ["municipality"]


@admin.register(Doctor)
class DoctorAdmin(SimpleHistoryAdmin):
    list_display = ["name", "hpr_nummer", "specialist_general_practice"]
    search_fields = ["name", "hpr_nummer"]


class ListHolderInline(admin.TabularInline):
    model = ListHolder
    extra = 0
    autocomplete_fields = ["doctor"]


@admin.register(PatientList)
class PatientListAdmin(SimpleHistoryAdmin):
    list_display = ["__str__", "practice", "listetak"]
    search_fields = ["listenummer", "practice__name"]
    list_select_related = ["municipality", "practice"]
    autocomplete_fields = ["municipality", "practice"]
    inlines = [ListHolderInline]


@admin.register(ListCount)
class ListCountAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """View only: counts come from imports, and the ImportJob is their audit record (docs/import.md)."""

    list_display = ["patient_list", "month", "antall_pasienter", "listetak", "behovsindeks"]
    list_select_related = ["patient_list__municipality"]
    raw_id_fields = ["patient_list", "import_job"]
    date_hierarchy = "month"


@admin.register(ImportJob)
class ImportJobAdmin(ReadOnlyAdminMixin, admin.ModelAdmin):
    """View only: list and supervision imports are the audit record of what they wrote."""

    list_display = ["created_at", "kind", "filename", "user", "status", "created", "changed", "unchanged"]
    list_filter = ["kind", "status", "source"]


# Memberships are edited on the user page, where superusers manage users (docs/architecture.md).
admin.site.unregister(User)


@admin.register(User)
class UserWithMembershipsAdmin(UserAdmin):
    inlines = [MembershipInline]


@admin.register(Population)
class PopulationAdmin(DatedTableAdminMixin, SimpleHistoryAdmin):
    """Inhabitants on 1 January per municipality and year (SSB table 07459): superusers add and correct them here or on
    the population page; the save goes through the service, so the year's months are recomputed."""

    list_display = ["municipality", "year", "inhabitants", "source"]
    list_filter = ["year"]
    search_fields = ["municipality__kommunenummer", "municipality__name"]
    autocomplete_fields = ["municipality"]
    fields = ["municipality", "year", "inhabitants"]

    def get_readonly_fields(self, request, obj=None):
        return ["municipality", "year"] if obj else []  # another year is another row

    def save_model(self, request, obj, form, change):
        saved = save_population(user=request.user, municipality=obj.municipality, year=obj.year,
                                inhabitants=obj.inhabitants)
        obj.pk = saved.pk
