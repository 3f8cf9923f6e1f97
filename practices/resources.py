"""django-import-export resources (docs/architecture.md, docs/import.md).

`ListCountResource` maps the columns of the import file (docs/import.md) to `ListCount` with the library's default
settings: it imports row by row (one lookup of the list, one of the count and one save per row) and exports
list counts as a file the product import reads back. It is the *naive peer* of the benchmark (`make bench`,
docs/performance.md) and the resource the admin can offer; the product's import is
`practices.services.list_import`, which validates the whole file first and writes in bulk.

The list is resolved by (kommunenummer, listenummer): the lists must already exist. Practices, doctors and
holders are export-only columns here; importing them is the product import's job.
"""

from decimal import Decimal, InvalidOperation

from django.db.models import Prefetch
from import_export import fields, resources, widgets

from core.months import format_month, parse_month
from practices.importing import COUNT_COLUMNS
from practices.models import ListCount, ListHolder, PatientList


class PatientListWidget(widgets.ForeignKeyWidget):
    """The list by the row's kommunenummer and the cell's listenummer; renders the listenummer."""

    def __init__(self, **kwargs):
        super().__init__(PatientList, field="listenummer", **kwargs)

    def get_queryset(self, value, row, *args, **kwargs):
        kommunenummer = str(row.get("kommunenummer") or "").strip().zfill(4)
        return PatientList.objects.select_related("municipality", "practice").filter(
            municipality__kommunenummer=kommunenummer
        )

    def clean(self, value, row=None, **kwargs):
        value = str(value or "").strip()
        try:
            return super().clean(value, row=row, **kwargs)
        except PatientList.DoesNotExist:
            raise ValueError(
                f"Liste {value} finnes ikke i kommune {row.get('kommunenummer')}. "
                "Importer listen med listeimporten først."
            ) from None

    def render(self, value, obj=None, **kwargs):
        return value.listenummer if value else ""


class MonthWidget(widgets.Widget):
    """`2020-05` (also `2020-05-01`) ↔ date(2020, 5, 1)."""

    def clean(self, value, row=None, **kwargs):
        text = str(value or "").strip()
        if not text:
            return None
        if len(text) == 10 and text.endswith("-01"):
            text = text[:7]
        return parse_month(text)

    def render(self, value, obj=None, **kwargs):
        return format_month(value) if value else ""


class PlainIntegerWidget(widgets.IntegerWidget):
    """Integers written without thousands separators (the import file's format)."""

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else str(value)


class BehovsindeksWidget(widgets.Widget):
    """A decimal with `,` or `.`; exported with `.` and 4 decimals."""

    def clean(self, value, row=None, **kwargs):
        text = str(value or "").strip().replace(",", ".")
        if not text:
            return None
        try:
            return Decimal(text)
        except InvalidOperation:
            raise ValueError(f"Behovsindeks må være et desimaltall, ikke «{value}».") from None

    def render(self, value, obj=None, **kwargs):
        return "" if value is None else f"{value:.4f}"


def _holder(count: ListCount) -> ListHolder | None:
    """Who held the list in the count's month, from the prefetched holders (ordered by from_month)."""
    current = None
    for holder in count.patient_list.holders.all():
        if holder.from_month > count.month:
            break
        current = holder
    return current


class ListCountResource(resources.ModelResource):
    kommunenummer = fields.Field(
        attribute="patient_list__municipality__kommunenummer", column_name="kommunenummer", readonly=True
    )
    organisasjonsnummer = fields.Field(
        attribute="patient_list__practice__organisasjonsnummer", column_name="organisasjonsnummer", readonly=True
    )
    legekontor = fields.Field(attribute="patient_list__practice__name", column_name="legekontor", readonly=True)
    hpr_nummer = fields.Field(column_name="hpr_nummer", readonly=True)
    lege_navn = fields.Field(column_name="lege_navn", readonly=True)
    listenummer = fields.Field(attribute="patient_list", column_name="listenummer", widget=PatientListWidget())
    listetak = fields.Field(attribute="listetak", column_name="listetak", widget=PlainIntegerWidget())
    antall_pasienter = fields.Field(
        attribute="antall_pasienter", column_name="antall_pasienter", widget=PlainIntegerWidget()
    )
    maaned = fields.Field(attribute="month", column_name="maaned", widget=MonthWidget())
    behovsindeks = fields.Field(attribute="behovsindeks", column_name="behovsindeks", widget=BehovsindeksWidget())
    driftsform = fields.Field(column_name="driftsform", readonly=True)

    class Meta:
        model = ListCount
        fields = COUNT_COLUMNS
        import_id_fields = ("listenummer", "maaned")  # with the row's kommunenummer: (list, month)
        # Everything else is the library's default (row by row, no bulk, diffs kept): the naive peer.

    def filter_export(self, queryset, **kwargs):
        """One query per table, not per row: lists with municipality and practice, holders with doctors."""
        return queryset.select_related("patient_list__municipality", "patient_list__practice").prefetch_related(
            Prefetch(
                "patient_list__holders", queryset=ListHolder.objects.select_related("doctor").order_by("from_month")
            )
        )

    def dehydrate_hpr_nummer(self, count):
        holder = _holder(count)
        return holder.doctor.hpr_nummer if holder and holder.doctor else ""

    def dehydrate_lege_navn(self, count):
        holder = _holder(count)
        return holder.doctor.name if holder and holder.doctor else ""

    def dehydrate_driftsform(self, count):
        holder = _holder(count)
        return holder.driftsform if holder else ""
