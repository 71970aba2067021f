"""The whole migration pipeline for several objects: map, transform, validate, deduplicate,
survive, resolve references — deterministically.

Objects are processed in reference order (accounts before contacts before deals...), each one
completely (rows read, validated, deduplicated) before the next, so that a reference can be
checked against the referenced object's final records: a reference to a missing or rejected
record is a broken reference that rejects the row, a reference to a merged record is rewritten
to its survivor's id.

Every input row ends as exactly one outcome: clean (it is, or survived as, a clean record),
merged (into the survivor named) or rejected (with every reason found, not only the first).

Memory: 1,000,000 rows must fit in 2 GB, so nothing keeps a dict per row. Valid rows are
stored column by column (one list per target field, one for ids, an array of row numbers);
repeated values (cities, first names, companies...) are shared through a per-column intern
table that switches itself off for columns of mostly unique values; outcomes are an array of
ints. The `clean` and `outcomes` sequences of a result build their records on demand.
Only rejected rows keep their original values (the rejected-rows file shows them).
"""

from __future__ import annotations

from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from typing import overload

from .dedupe import CandidatePair, Clustering, Decisions, DedupeSettings, find_clusters, survive
from .mapping import ObjectMapping, blocking_problems
from .schema import FieldType, SchemaError, TargetObject, processing_order, validate_schema
from .transforms import TransformError, compile_transforms
from .validation import FieldError, validate_value

CLEAN, MERGED, REJECTED = "clean", "merged", "rejected"

# The longest legacy id a row may carry; a longer one is no record id but a broken export (and
# would not fit the id columns the workbench stores ids in).
MAX_ID_CHARS = 255

REASON_LABELS = {
    "missing_id": "Missing id",
    "long_id": "Id too long",
    "duplicate_id": "Duplicate id",
    "required": "required value missing",
    "invalid": "invalid value",
    "picklist": "value not in the picklist",
    "reference": "broken reference",
}
REASON_ORDER = tuple(REASON_LABELS)


@dataclass(frozen=True, slots=True)
class Reason:
    code: str  # missing_id | long_id | duplicate_id | required | invalid | picklist | reference
    field: str  # target field name ("" for the id)
    message: str  # a sentence for the rejected-rows file


@dataclass(frozen=True, slots=True)
class Outcome:
    row: int  # the row number in the source file
    legacy_id: str
    status: str  # CLEAN | MERGED | REJECTED
    survivor_id: str | None  # the clean record this row is (CLEAN) or was merged into (MERGED)
    reasons: tuple[Reason, ...] = ()  # REJECTED only


@dataclass(frozen=True, slots=True)
class CleanRecord:
    id: str  # the survivor's legacy id (the earliest row of its cluster)
    values: dict[str, str]  # target field → value, every field of the target object
    source_ids: tuple[str, ...]  # legacy ids of the rows merged into it, in input order
    row: int  # the survivor's row number


@dataclass(frozen=True, slots=True)
class RejectedRow:
    row: int
    legacy_id: str
    values: dict[str, str]  # the original source values, by source column
    reasons: tuple[Reason, ...]


@dataclass(frozen=True)
class ReasonCount:
    code: str
    field: str
    label: str  # e.g. "Email: invalid value"
    rows: int


@dataclass(frozen=True)
class Reconciliation:
    object_name: str
    rows_in: int
    clean: int
    merged: int
    rejected: int
    by_reason: tuple[ReasonCount, ...]  # a row with two reasons counts under both
    review_pairs: int
    auto_merged_pairs: int
    confirmed_pairs: int = 0
    kept_apart: int = 0

    @property
    def rejected_share(self) -> float:
        return self.rejected / self.rows_in if self.rows_in else 0.0


class MigrationError(ValueError):
    """The run cannot start (bad schema, mapping or settings). `message` is for the user."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class _LazySequence(Sequence):
    """A read-only sequence whose items are built on demand from compact storage."""

    def __init__(self, length: int, build: Callable[[int], object]) -> None:
        self._length = length
        self._build = build

    def __len__(self) -> int:
        return self._length

    @overload
    def __getitem__(self, index: int) -> object: ...
    @overload
    def __getitem__(self, index: slice) -> list: ...
    def __getitem__(self, index):
        if isinstance(index, slice):
            return [self._build(i) for i in range(*index.indices(self._length))]
        if index < 0:
            index += self._length
        if not 0 <= index < self._length:
            raise IndexError(index)
        return self._build(index)

    def __iter__(self) -> Iterator:
        build = self._build
        for index in range(self._length):
            yield build(index)


@dataclass
class ObjectResult:
    object_name: str
    target: TargetObject
    mapping: ObjectMapping
    clean: Sequence[CleanRecord]  # survivors, in the order of their rows
    outcomes: Sequence[Outcome]  # one per input row, in input order
    rejected: Sequence[RejectedRow]  # in input order
    review_pairs: list[CandidatePair]  # strongest first
    reconciliation: Reconciliation
    source_columns: tuple[str, ...]  # original columns seen, in first-seen order
    _values_of: Callable[[str], dict[str, str] | None] = field(repr=False, default=lambda _: None)

    def record(self, legacy_id: str) -> dict[str, str] | None:
        """The validated values of the (valid) input row with this legacy id, before merging —
        what a review page shows side by side."""
        return self._values_of(legacy_id)


@dataclass
class MigrationResult:
    objects: dict[str, ObjectResult]  # in processing (reference) order

    def __getitem__(self, name: str) -> ObjectResult:
        return self.objects[name]

    def __iter__(self) -> Iterator[ObjectResult]:
        return iter(self.objects.values())

    def __contains__(self, name: object) -> bool:
        return name in self.objects

    @property
    def reconciliation(self) -> list[Reconciliation]:
        return [result.reconciliation for result in self.objects.values()]

    @property
    def review_pairs(self) -> dict[str, list[CandidatePair]]:
        return {name: result.review_pairs for name, result in self.objects.items()}


# ---------------------------------------------------------------------------------------------


class _Interner:
    """Shares equal strings of one column; turns itself off when values are mostly unique
    (emails, streets), where the table would cost more than it saves."""

    __slots__ = ("seen", "table")

    def __init__(self) -> None:
        self.table: dict[str, str] | None = {}
        self.seen = 0

    def __call__(self, value: str) -> str:
        table = self.table
        if table is None or not value:
            return value
        self.seen += 1
        shared = table.setdefault(value, value)
        if self.seen == 20_000 and len(table) > 10_000:
            self.table = None
        return shared


class _Resolver:
    """Looks up references to one processed object by legacy id."""

    def __init__(
        self,
        target: TargetObject,
        index: dict[str, int] | None,
        ids: list[str] | None,
        survivor: array | None,
        rejected_rows: dict[str, int] | None,
    ) -> None:
        self.target = target
        self.index = index
        self.ids = ids
        self.survivor = survivor
        self.rejected_rows = rejected_rows or {}

    def resolve(self, value: str) -> tuple[str | None, str | None]:
        label = self.target.label.lower()
        if self.index is None or self.ids is None or self.survivor is None:
            return None, f"there is no {label} source in this run to find “{value}” in."
        position = self.index.get(value)
        if position is not None:
            return self.ids[self.survivor[position]], None
        row = self.rejected_rows.get(value)
        if row is not None:
            return None, f"the {label} “{value}” was rejected (row {row} of its file)."
        return None, f"no {label} has the id “{value}”."


def _decisions_for(decisions: Decisions | Mapping[str, Decisions], name: str) -> Decisions:
    if isinstance(decisions, Decisions):
        return decisions
    return decisions.get(name) or Decisions()


def _check(
    sources: Mapping[str, object],
    mappings: Mapping[str, ObjectMapping],
    schema: Sequence[TargetObject],
    settings: DedupeSettings,
) -> tuple[TargetObject, ...]:
    try:
        validate_schema(schema)
        order = processing_order(schema)
    except SchemaError as exc:
        raise MigrationError(exc.message) from None
    names = {target.name for target in schema}
    problems: list[str] = []
    for name in mappings:
        if name not in names:
            problems.append(f"The mapping for “{name}” names an object the schema does not have.")
    for target in order:
        mapping = mappings.get(target.name)
        if mapping is None:
            continue
        if target.name not in sources:
            problems.append(f"There is no source file for {target.label}.")
        problems.extend(f"{target.label}: {p}" for p in blocking_problems(mapping, target))
        problems.extend(f"{target.label}: {p}" for p in settings.problems(target))
    if not mappings:
        problems.append("Map at least one object.")
    if problems:
        raise MigrationError(" ".join(dict.fromkeys(problems)))
    return order


def run_migration(
    *,
    sources: Mapping[str, Iterable[tuple[int, dict[str, str]]]],
    mappings: Mapping[str, ObjectMapping],
    schema: Sequence[TargetObject],
    settings: DedupeSettings,
    decisions: Decisions | Mapping[str, Decisions],
    progress: Callable[[int, int], None] | None = None,
    row_counts: Mapping[str, int] | None = None,
) -> MigrationResult:
    """Run every mapped object in reference order and return what became of each row.

    `sources` maps an object name to its rows ((row number, {column: value}), as `iter_rows`
    yields them); `decisions` are the review decisions, one set for all objects or one per
    object name. `progress(done, total)` is called as rows are read and deduplicated; `total`
    comes from `row_counts` (or the sources' lengths) and is 0 when unknown. Raises
    MigrationError before reading anything if the schema, a mapping or the settings are
    unusable.
    """
    order = _check(sources, mappings, schema, settings)
    mapped = [target for target in order if target.name in mappings]
    referenced = {
        f.reference
        for target in mapped
        for fm in mappings[target.name].fields
        if target.has_field(fm.target)
        for f in (target.field(fm.target),)
        if f.type == FieldType.REFERENCE and f.reference
    }
    counts: dict[str, int] = {}
    for target in mapped:
        rows = sources[target.name]
        if row_counts and target.name in row_counts:
            counts[target.name] = row_counts[target.name]
        elif isinstance(rows, Sequence):
            counts[target.name] = len(rows)
    known = len(counts) == len(mapped)
    total = 2 * sum(counts.values()) if known else 0
    done = 0

    def report(step: int) -> None:
        nonlocal done
        done += step
        if progress is not None:
            progress(min(done, total) if total else done, total)

    resolvers: dict[str, _Resolver] = {
        target.name: _Resolver(target, None, None, None, None) for target in schema
    }
    results: dict[str, ObjectResult] = {}
    for target in mapped:
        result, resolver, _read = _run_object(
            target=target,
            mapping=mappings[target.name],
            rows=sources[target.name],
            settings=settings,
            decisions=_decisions_for(decisions, target.name),
            resolvers=resolvers,
            keep_index=target.name in referenced,
            report=report,
            expected=counts.get(target.name, 0),
        )
        results[target.name] = result
        resolvers[target.name] = resolver
    if progress is not None:
        progress(total if total else done, total)
    return MigrationResult(objects=results)


def _run_object(
    *,
    target: TargetObject,
    mapping: ObjectMapping,
    rows: Iterable[tuple[int, dict[str, str]]],
    settings: DedupeSettings,
    decisions: Decisions,
    resolvers: Mapping[str, _Resolver],
    keep_index: bool,
    report: Callable[[int], None],
    expected: int,
) -> tuple[ObjectResult, _Resolver, int]:
    id_column = mapping.id_column
    specs = []
    for fm in mapping.fields:
        target_field = target.field(fm.target)
        specs.append(
            (fm.target, target_field, tuple(fm.sources), compile_transforms(fm.transforms))
        )
    mapped_names = {name for name, *_ in specs}
    columns: dict[str, list[str] | None] = {
        f.name: ([] if f.name in mapped_names else None) for f in target.fields
    }
    column_writers = [
        (name, values.append, _Interner()) for name, values in columns.items() if values is not None
    ]
    required = [f for f in target.fields if f.required]
    references = [
        (f.name, f, resolvers[f.reference])
        for f in target.fields
        if f.type == FieldType.REFERENCE and f.reference and f.name in mapped_names
    ]
    ids: list[str] = []
    row_numbers = array("q")
    index: dict[str, int] = {}
    rejected: list[RejectedRow] = []
    rejected_rows: dict[str, int] = {}
    sequence = array("q")
    source_columns: dict[str, None] = {}
    since_report = 0

    for row_number, row in rows:
        if len(source_columns) < len(row):
            for column in row:
                source_columns.setdefault(column, None)
        reasons: list[Reason] = []
        legacy = (row.get(id_column) or "").strip()
        if not legacy:
            reasons.append(Reason("missing_id", "", f"There is no id in the “{id_column}” column."))
        elif len(legacy) > MAX_ID_CHARS:
            reasons.append(
                Reason(
                    "long_id",
                    "",
                    f"The id in the “{id_column}” column is {len(legacy):,} characters long; an "
                    f"id may have at most {MAX_ID_CHARS}.",
                )
            )
        else:
            first = index.get(legacy)
            first_row = row_numbers[first] if first is not None else rejected_rows.get(legacy)
            if first_row is not None:
                reasons.append(
                    Reason(
                        "duplicate_id",
                        "",
                        f"The id “{legacy}” is already used on row {first_row}.",
                    )
                )
        values: dict[str, str] = {}
        for name, target_field, source_names, transform in specs:
            raw = [row.get(source) or "" for source in source_names]
            try:
                value = validate_value(target_field, transform(raw))
            except TransformError as exc:
                reasons.append(Reason("invalid", name, f"{target_field.label}: {exc.reason}"))
                continue
            except FieldError as exc:
                reasons.append(Reason(exc.code, name, f"{target_field.label}: {exc.message}"))
                continue
            values[name] = value
        for target_field in required:
            if not values.get(target_field.name) and target_field.name not in {
                r.field for r in reasons
            }:
                reasons.append(
                    Reason(
                        "required",
                        target_field.name,
                        f"{target_field.label} is required but empty.",
                    )
                )
        for name, target_field, resolver in references:
            value = values.get(name)
            if value:
                resolved, problem = resolver.resolve(value)
                if problem is not None:
                    reasons.append(Reason("reference", name, f"{target_field.label}: {problem}"))
                else:
                    values[name] = resolved or ""
        if reasons:
            rejected.append(
                RejectedRow(
                    row=row_number,
                    legacy_id=legacy,
                    values={str(k): v if v is not None else "" for k, v in row.items()},
                    reasons=tuple(reasons),
                )
            )
            sequence.append(-len(rejected))
            if legacy and legacy not in index:
                rejected_rows.setdefault(legacy, row_number)
        else:
            position = len(ids)
            ids.append(legacy)
            index[legacy] = position
            row_numbers.append(row_number)
            for name, append, intern in column_writers:
                append(intern(values.get(name, "")))
            sequence.append(position)
        since_report += 1
        if since_report == 2000:
            report(since_report)
            since_report = 0
    report(since_report)
    rows_in = len(sequence)
    valid = len(ids)

    # Deduplicate, then build merged records for clusters of two or more.
    dedupe_share = max(rows_in, expected)
    ticks = 0

    def tick() -> None:
        nonlocal ticks
        if ticks < 8:
            ticks += 1
            report(dedupe_share // 10)

    if target.is_deduplicated and valid > 1:
        clustering = find_clusters(
            ids=ids,
            columns=columns,
            target=target,
            settings=settings,
            decisions=decisions,
            progress=tick,
        )
    else:
        clustering = Clustering(survivor=array("q", range(valid)), review_pairs=[])
    report(dedupe_share - (dedupe_share // 10) * ticks)
    survivor = clustering.survivor
    groups = clustering.members()
    survivors = array("q", (k for k in range(valid) if survivor[k] == k))

    field_names = target.field_names
    mapped_columns = [(name, columns[name]) for name in field_names]

    def values_at(position: int) -> dict[str, str]:
        return {
            name: (values[position] if values is not None else "")
            for name, values in mapped_columns
        }

    def build_clean(number: int) -> CleanRecord:
        position = survivors[number]
        members = groups.get(position)
        return CleanRecord(
            id=ids[position],
            # Merged values are computed when asked for (cheap), not kept for every cluster.
            values=survive(members, columns, target, settings) if members else values_at(position),
            source_ids=tuple(ids[m] for m in members) if members else (ids[position],),
            row=row_numbers[position],
        )

    def build_outcome(number: int) -> Outcome:
        code = sequence[number]
        if code < 0:
            item = rejected[-code - 1]
            return Outcome(item.row, item.legacy_id, REJECTED, None, item.reasons)
        root = survivor[code]
        return Outcome(
            row_numbers[code], ids[code], CLEAN if root == code else MERGED, ids[root], ()
        )

    lookup: dict[str, int] | None = index if keep_index else None
    if not keep_index:
        index = {}

    def values_of(legacy_id: str) -> dict[str, str] | None:
        nonlocal lookup
        if lookup is None:
            lookup = {legacy: position for position, legacy in enumerate(ids)}
        position = lookup.get(legacy_id)
        return values_at(position) if position is not None else None

    reason_counts: Counter[tuple[str, str]] = Counter()
    for item in rejected:
        reason_counts.update({(reason.code, reason.field) for reason in item.reasons})
    field_order = {name: number for number, name in enumerate(field_names)}
    by_reason = tuple(
        ReasonCount(code=code, field=name, label=_reason_label(target, code, name), rows=count)
        for (code, name), count in sorted(
            reason_counts.items(),
            key=lambda item: (
                -item[1],
                REASON_ORDER.index(item[0][0]) if item[0][0] in REASON_ORDER else 99,
                field_order.get(item[0][1], -1),
            ),
        )
    )
    reconciliation = Reconciliation(
        object_name=target.name,
        rows_in=rows_in,
        clean=len(survivors),
        merged=valid - len(survivors),
        rejected=len(rejected),
        by_reason=by_reason,
        review_pairs=len(clustering.review_pairs),
        auto_merged_pairs=clustering.auto_merged_pairs,
        confirmed_pairs=clustering.confirmed_pairs,
        kept_apart=clustering.kept_apart,
    )
    result = ObjectResult(
        object_name=target.name,
        target=target,
        mapping=mapping,
        clean=_LazySequence(len(survivors), build_clean),
        outcomes=_LazySequence(rows_in, build_outcome),
        rejected=tuple(rejected),
        review_pairs=clustering.review_pairs,
        reconciliation=reconciliation,
        source_columns=tuple(source_columns),
        _values_of=values_of,
    )
    resolver = _Resolver(
        target,
        index if keep_index else None,
        ids if keep_index else None,
        survivor if keep_index else None,
        rejected_rows,
    )
    if keep_index:
        resolver.index = lookup
    return result, resolver, rows_in


def _reason_label(target: TargetObject, code: str, name: str) -> str:
    label = REASON_LABELS.get(code, code)
    if not name:
        return label
    field_label = target.field(name).label if target.has_field(name) else name
    return f"{field_label}: {label}"
