"""A realistic, reproducible national data set of lists and monthly counts (docs/performance.md).

`generate()` is pure (no ORM): municipalities in, practices, doctors and one row per list and month out,
exactly the rows an integration would send as an import file (docs/import.md). `csv_bytes()` writes them as
such a file; `write_to_db()` writes the same data with bulk operations, giving what the product import of
that file would give (holders only where the holder or driftsform changes, the list's listetak from its
latest month). The same seed gives the same data, byte for byte.

Shape (targets of docs/performance.md): lists spread over municipalities by population-like weights (Oslo, Bergen,
Trondheim big, many small ones with one or two lists); list sizes with mean ≈ 1 050 and sd ≈ 350, so ~5 %
under 500, a thin tail over 2 500 and ~4 % of lists over their listetak; listetak mostly 1 000–2 500 with
some 500/600; ~10 % fastlønnet; ~3 % of lists change holder at some month; ~3 % are ubesatt for some
months; behovsindeks (0.7–1.4, 4 decimals) from 2023-05; ~0.5 % of list-months missing.
"""

from __future__ import annotations

import csv
import io
import math
import random
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from operator import attrgetter

from core.months import add_months, format_month
from practices.importing import COUNT_COLUMNS, ListRow

DEFAULT_START = date(2022, 1, 1)
BEHOVSINDEKS_FROM = date(2023, 5, 1)  # the pasienttilpasset model (docs/rates.md)
BATCH = 5000

# Approximate 2024 populations (SSB) of the largest municipalities; the others get a log-normal draw.
POPULATION = {
    "0301": 717_000, "4601": 291_000, "5001": 214_000, "1103": 148_000, "3201": 131_000,
    "4204": 117_000, "3301": 103_000, "3203": 98_000, "3205": 92_000, "3107": 84_000,
    "1108": 83_000, "5501": 78_000, "1508": 67_000, "3907": 65_000, "3207": 62_000,
    "3105": 59_000, "3905": 58_000, "4003": 56_000, "1804": 53_000, "3103": 51_000,
    "3909": 48_000, "3222": 48_000, "4203": 46_000, "1149": 43_000, "3209": 42_000,
    "1106": 38_000, "4001": 37_000, "3411": 35_000, "3403": 32_000, "3305": 31_000,
}  # fmt: skip
SMALL_MEDIAN, SMALL_SIGMA = 5_000, 0.9

FIRST_NAMES = (
    "Anne", "Inger", "Kari", "Marit", "Ingrid", "Liv", "Eva", "Berit", "Astrid", "Hilde", "Nina", "Silje",
    "Ingvild", "Ragnhild", "Sigrid", "Tone", "Camilla", "Ida", "Maria", "Nora", "Jan", "Per", "Bjørn", "Ole",
    "Lars", "Kjell", "Knut", "Arne", "Svein", "Thomas", "Hans", "Geir", "Erik", "Trond", "Morten", "Håkon",
    "Magnus", "Jonas", "Sindre", "Øyvind", "Aslak", "Mathias", "Amir", "Fatima", "Piotr", "Sofia",
)  # fmt: skip
LAST_NAMES = (
    "Hansen", "Johansen", "Olsen", "Larsen", "Andersen", "Pedersen", "Nilsen", "Kristiansen", "Jensen",
    "Karlsen", "Johnsen", "Pettersen", "Eriksen", "Berg", "Haugen", "Hagen", "Johannessen", "Andreassen",
    "Jacobsen", "Dahl", "Jørgensen", "Halvorsen", "Lund", "Sørensen", "Bakken", "Moen", "Solberg", "Strand",
    "Aasen", "Sæther", "Kvam", "Rønning", "Myklebust", "Vik", "Nguyen", "Ali", "Kowalski", "Sara", "Eira",
)  # fmt: skip
PLACES = (
    "Torget", "Sentrum", "Bryggen", "Stasjonen", "Fjellheim", "Sjøsiden", "Parken", "Elvebakken",
    "Kirkeveien", "Storgata", "Nordbyen", "Sørbyen", "Øvre Bakke", "Holmen", "Løkka", "Furulund",
    "Vestsiden", "Østsiden", "Haugen", "Strand", "Moen", "Nygård", "Bjørkely", "Solheim",
)  # fmt: skip
KINDS = ("legesenter", "legekontor", "helsehus", "legegruppe")

# Shares of lists (docs/performance.md and the brief of `generate_data`).
P_FASTLONNET = 0.10
P_HOLDER_CHANGE = 0.03
P_UBESATT = 0.03
P_OVER_LISTETAK = 0.04
P_LISTETAK_CHANGE = 0.02
P_BIG_LIST = 0.005
P_MISSING_MONTH = 0.005
PRACTICE_SIZES = ((1, 15), (2, 15), (3, 20), (4, 20), (5, 12), (6, 10), (8, 8))  # (lists, weight)


@dataclass
class NationalData:
    practices: dict[str, tuple[str, str, str]] = field(default_factory=dict)  # orgnr -> (name, knr, address)
    doctors: dict[str, str] = field(default_factory=dict)  # hpr -> name
    rows: list[ListRow] = field(default_factory=list)  # as the import parses `csv_bytes(rows)`, row numbers too
    lists: int = 0

    @property
    def municipalities(self) -> int:
        return len({row.kommunenummer for row in self.rows})


def orgnr_check_digit(body: str) -> str | None:
    """The mod-11 check digit of an 8-digit body (weights 3,2,7,6,5,4,3,2), None where remainder 1 makes
    every number with this body invalid (docs/architecture.md)."""
    check = (11 - sum(w * int(d) for w, d in zip((3, 2, 7, 6, 5, 4, 3, 2), body, strict=True)) % 11) % 11
    return None if check == 10 else str(check)


def allocate(weights: Sequence[float], total: int) -> list[int]:
    """Split `total` by `weights` (largest remainder); every weight gets at least one when there are enough."""
    floor = 1 if total >= len(weights) else 0
    rest = total - floor * len(weights)
    scale = rest / sum(weights)
    shares = [w * scale for w in weights]
    counts = [floor + int(s) for s in shares]
    by_remainder = sorted(range(len(weights)), key=lambda i: (-(shares[i] - int(shares[i])), i))
    for i in by_remainder[: total - sum(counts)]:
        counts[i] += 1
    return counts


class _Numbers:
    """Unique random HPR and organisasjonsnummer from one random stream."""

    def __init__(self, rng: random.Random):
        self.rng = rng
        self.hprs: set[str] = set()
        self.orgnrs: set[str] = set()

    def hpr(self) -> str:
        while True:
            number = str(self.rng.randrange(1_000_000, 10_000_000))
            if number not in self.hprs:
                self.hprs.add(number)
                return number

    def orgnr(self) -> str:
        while True:
            body = str(self.rng.randrange(80_000_000, 100_000_000))  # real ones start with 8 or 9
            check = orgnr_check_digit(body)
            if check is not None and body + check not in self.orgnrs:
                self.orgnrs.add(body + check)
                return body + check


def _short_name(name: str) -> str:
    return name.split(" - ")[0].strip()  # "Oslo - Oslove" -> "Oslo"


def _practice_names(rng: random.Random, municipality: str, count: int) -> list[str]:
    short = _short_name(municipality)
    names = [f"{short} legesenter"]
    places = rng.sample(PLACES, len(PLACES))
    while len(names) < count:
        index = len(names) - 1
        place = places[index % len(places)]
        round_ = index // len(places)
        name = f"{place} {KINDS[(index + round_) % len(KINDS)]}"
        names.append(name if round_ == 0 else f"{name} {short} {round_ + 1}")
    return names[:count]


def _listetak(rng: random.Random, size: int) -> int:
    if size < 550 and rng.random() < 0.6:
        return rng.choice((500, 500, 600, 600, 800, 1000))
    if rng.random() < P_OVER_LISTETAK:  # the list has grown past its cap
        return max(500, min(2500, math.floor(size * rng.uniform(0.85, 0.97) / 100) * 100))
    return min(2500, max(1000, math.ceil(size * rng.uniform(1.02, 1.35) / 100) * 100))


def generate(
    municipalities: Sequence[tuple[str, str]],
    *,
    lists: int,
    months: int,
    start: date = DEFAULT_START,
    seed: int = 1,
) -> NationalData:
    """`lists` lists over `municipalities` ((kommunenummer, name), all of them when lists ≥ their number),
    each with up to `months` monthly rows from `start` (a few months missing). Pure and reproducible."""
    if lists < 1 or months < 1:
        raise ValueError("lists and months must be at least 1")
    rng = random.Random(seed)
    numbers = _Numbers(rng)
    municipalities = sorted(municipalities)
    weights = [
        POPULATION.get(knr) or min(40_000, max(200, rng.lognormvariate(math.log(SMALL_MEDIAN), SMALL_SIGMA)))
        for knr, _ in municipalities
    ]
    month_list = [add_months(start, i) for i in range(months)]
    data = NationalData(lists=lists)
    for (knr, name), count in zip(municipalities, allocate(weights, lists), strict=True):
        if not count:
            continue
        sizes = []
        while sum(sizes) < count:
            size = rng.choices([s for s, _ in PRACTICE_SIZES], [w for _, w in PRACTICE_SIZES])[0]
            sizes.append(min(size, count - sum(sizes)))
        names = _practice_names(rng, name, len(sizes))
        listenummer = 0
        for practice_name, size in zip(names, sizes, strict=True):
            orgnr = numbers.orgnr()
            address = f"{rng.choice(PLACES)} {rng.randint(1, 120)}, {_short_name(name)}"
            data.practices[orgnr] = (practice_name, knr, address)
            for _ in range(size):
                listenummer += 1
                data.rows.extend(
                    _list_rows(
                        rng,
                        numbers,
                        data.doctors,
                        knr,
                        orgnr,
                        practice_name,
                        str(listenummer),
                        month_list,
                        first_row=len(data.rows) + 2,  # the header is row 1
                    )
                )
    used = {row.hpr_nummer for row in data.rows}  # a doctor replaced by a vacancy never shows up in a row
    data.doctors = {hpr: name for hpr, name in data.doctors.items() if hpr in used}
    return data


def _doctor(rng: random.Random, numbers: _Numbers, doctors: dict[str, str]) -> str:
    hpr = numbers.hpr()
    doctors[hpr] = f"{rng.choice(FIRST_NAMES)} {rng.choice(LAST_NAMES)}"
    return hpr


def _list_rows(rng, numbers, doctors, knr, orgnr, practice_name, listenummer, month_list, first_row) -> list[ListRow]:
    """One list's months: size random walk, holder changes, an ubesatt stretch, listetak changes."""
    months = len(month_list)
    if rng.random() < P_BIG_LIST:
        size = rng.uniform(2450, 3300)
    else:
        size = max(40.0, rng.gauss(1040, 350))  # with the tail above: mean ≈ 1 050
    listetak = _listetak(rng, int(size))
    trend = rng.gauss(0, 0.004)
    base_form = "fastlonnet" if rng.random() < P_FASTLONNET else "naeringsdrivende"
    # holder per month index: (hpr or None, driftsform)
    holder: list[str | None] = [_doctor(rng, numbers, doctors)] * months
    if months > 1 and rng.random() < P_HOLDER_CHANGE:
        change = rng.randint(1, months - 1)
        holder[change:] = [_doctor(rng, numbers, doctors)] * (months - change)
    vacant = range(0)
    if rng.random() < P_UBESATT:
        length = rng.randint(1, min(6, months))
        first = rng.randint(0, months - length)
        vacant = range(first, first + length)
        # The doctor left and a new one comes after the vacancy; a vacancy from the first month is a new
        # list that the first doctor fills afterwards.
        if first > 0 and first + length < months:
            holder[first + length :] = [_doctor(rng, numbers, doctors)] * (months - first - length)
    listetak_change = rng.randint(1, months - 1) if months > 1 and rng.random() < P_LISTETAK_CHANGE else None
    index_base = min(1.4, max(0.7, rng.gauss(1.0, 0.1)))
    rows: list[ListRow] = []
    for i, month in enumerate(month_list):
        if i == listetak_change:
            listetak = min(2500, max(500, listetak + rng.choice((-300, -200, -100, 100, 200, 300))))
        if i:
            size = size * (1 + trend) + rng.gauss(0, size * 0.01) - (size * 0.01 if i in vacant else 0)
        if rng.random() < P_MISSING_MONTH and (rows or i < months - 1):
            continue  # Helfo's file lacks this month; keep at least one month per list
        behovsindeks = None
        if month >= BEHOVSINDEKS_FROM:
            value = min(1.4, max(0.7, index_base + rng.gauss(0, 0.003)))
            behovsindeks = Decimal(f"{value:.4f}")
        hpr = None if i in vacant else holder[i]
        rows.append(
            ListRow(
                row=first_row + len(rows),
                kommunenummer=knr,
                organisasjonsnummer=orgnr,
                legekontor=practice_name,
                hpr_nummer=hpr or "",
                lege_navn=doctors[hpr] if hpr else "",
                listenummer=listenummer,
                listetak=listetak,
                antall_pasienter=min(9999, max(0, round(size))),
                maaned=month,
                behovsindeks=behovsindeks,
                driftsform="ubesatt" if hpr is None else base_form,
                avtale_fra=None,  # the file has no such column
            )
        )
    return rows


# --- output -----------------------------------------------------------------------------------------------


_AS_THEY_ARE = attrgetter(*COUNT_COLUMNS[:8])  # kommunenummer … antall_pasienter need no formatting


def csv_bytes(rows: Iterable[ListRow]) -> bytes:
    """The import file of docs/import.md: `;`, UTF-8 without BOM, LF, months as 2022-01, behovsindeks with `.`."""
    out = io.StringIO()
    writer = csv.writer(out, delimiter=";", lineterminator="\n")
    writer.writerow(COUNT_COLUMNS)
    writer.writerows(
        (
            *_AS_THEY_ARE(row),
            format_month(row.maaned),
            "" if row.behovsindeks is None else str(row.behovsindeks),
            row.driftsform,
        )
        for row in rows
    )
    return out.getvalue().encode("utf-8")


def write_to_db(data: NationalData, *, batch_size: int = BATCH, reason: str = "generate_data") -> None:
    """Write the data set with bulk operations in one transaction, as the product import of `csv_bytes(data)`
    would: practices by organisasjonsnummer, doctors by HPR and lists by (kommunenummer, listenummer) are
    created or updated (with history); the holders and counts of the generated lists are replaced."""
    from django.db import transaction
    from simple_history.utils import bulk_create_with_history, bulk_update_with_history

    from core.progress import notify
    from practices.models import Doctor, ListCount, ListHolder, Municipality, PatientList, Practice

    def upsert(model, key, objects, fields):
        stored = {
            getattr(o, key): o for o in model.objects.filter(**{f"{key}__in": [getattr(o, key) for o in objects]})
        }
        new = [o for o in objects if getattr(o, key) not in stored]
        for obj in objects:
            if getattr(obj, key) in stored:
                obj.pk = stored[getattr(obj, key)].pk
        bulk_create_with_history(new, model, batch_size=batch_size, default_change_reason=reason)
        bulk_update_with_history(
            [o for o in objects if o.pk and getattr(o, key) in stored],
            model,
            fields,
            batch_size=batch_size,
            default_change_reason=reason,
        )

    with transaction.atomic():
        municipality_ids = dict(Municipality.objects.values_list("kommunenummer", "id"))
        upsert(
            Practice,
            "organisasjonsnummer",
            [
                Practice(organisasjonsnummer=orgnr, name=name, municipality_id=municipality_ids[knr], address=address)
                for orgnr, (name, knr, address) in data.practices.items()
            ],
            ["name", "municipality", "address"],
        )
        notify("generate", 0, 5)
        upsert(
            Doctor, "hpr_nummer", [Doctor(hpr_nummer=hpr, name=name) for hpr, name in data.doctors.items()], ["name"]
        )
        notify("generate", 0, 15)
        practice_ids = dict(
            Practice.objects.filter(organisasjonsnummer__in=data.practices).values_list("organisasjonsnummer", "id")
        )
        doctor_ids = dict(Doctor.objects.filter(hpr_nummer__in=data.doctors).values_list("hpr_nummer", "id"))

        latest: dict[tuple[str, str], ListRow] = {}
        for row in data.rows:  # rows come in month order per list: the last one carries current values
            latest[(row.kommunenummer, row.listenummer)] = row
        stored_lists = {
            (pl.municipality.kommunenummer, pl.listenummer): pl
            for pl in PatientList.objects.select_related("municipality").filter(
                municipality__kommunenummer__in={k for k, _ in latest}, listenummer__in={n for _, n in latest}
            )
        }
        new_lists, changed_lists = [], []
        for key, row in latest.items():
            patient_list = stored_lists.get(key)
            if patient_list is None:
                new_lists.append(
                    PatientList(
                        municipality_id=municipality_ids[key[0]],
                        listenummer=key[1],
                        practice_id=practice_ids[row.organisasjonsnummer],
                        listetak=row.listetak,
                    )
                )
            else:
                patient_list.practice_id = practice_ids[row.organisasjonsnummer]
                patient_list.listetak = row.listetak
                changed_lists.append(patient_list)
        bulk_create_with_history(new_lists, PatientList, batch_size=batch_size, default_change_reason=reason)
        bulk_update_with_history(
            changed_lists, PatientList, ["practice", "listetak"], batch_size=batch_size, default_change_reason=reason
        )
        list_ids = {
            (knr, nr): pk
            for knr, nr, pk in PatientList.objects.filter(
                municipality__kommunenummer__in={k for k, _ in latest}, listenummer__in={n for _, n in latest}
            ).values_list("municipality__kommunenummer", "listenummer", "id")
            if (knr, nr) in latest
        }
        if changed_lists:  # a re-run: the generated timelines replace the stored ones
            ListCount.objects.filter(patient_list_id__in=list_ids.values()).delete()
            ListHolder.objects.filter(patient_list_id__in=list_ids.values()).delete()

        notify("generate", 0, 25)
        holders, counts, previous = [], [], {}
        for row in data.rows:
            key = (row.kommunenummer, row.listenummer)
            list_id = list_ids[key]
            current = (row.hpr_nummer, row.driftsform)
            if previous.get(key) != current:  # a new holder row only on a change (docs/import.md)
                previous[key] = current
                holders.append(
                    ListHolder(
                        patient_list_id=list_id,
                        from_month=row.maaned,
                        doctor_id=doctor_ids[row.hpr_nummer] if row.hpr_nummer else None,
                        driftsform=row.driftsform,
                    )
                )
            counts.append(
                ListCount(
                    patient_list_id=list_id,
                    month=row.maaned,
                    antall_pasienter=row.antall_pasienter,
                    listetak=row.listetak,
                    behovsindeks=row.behovsindeks,
                )
            )
        bulk_create_with_history(holders, ListHolder, batch_size=batch_size, default_change_reason=reason)
        notify("generate", 0, 40)
        for start in range(0, len(counts), batch_size):
            ListCount.objects.bulk_create(counts[start : start + batch_size])
            notify("generate", 0, 40 + 60 * min(len(counts), start + batch_size) // max(1, len(counts)))
