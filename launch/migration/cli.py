"""Deduplicate one contact file without an engagement: what `manage.py dedupe_csv` runs, and
what the benchmark measures.

The same engine as a workbench run, with the default settings: the default schema's contact
fields as targets (none required, no account reference: a lone file has no accounts), the
default transforms of each target field, `DedupeSettings()` thresholds and survivorship.
"""

from __future__ import annotations

import csv
import dataclasses
import pathlib
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass

from engagements.exports import csv_writer

from .dedupe import Decisions, DedupeSettings
from .engine import REJECTED, MigrationError, MigrationResult, run_migration
from .export import write_rejected_csv, write_review_csv
from .mapping import FieldMapping, ObjectMapping, default_transforms
from .schema import CONTACT_TARGETS, DEFAULT_SCHEMA, FieldType, TargetObject, schema_object
from .sources import inspect_source, iter_rows


def cli_contact_object() -> TargetObject:
    """The default contact object as the command uses it: its own fields, none required."""
    contact = schema_object(DEFAULT_SCHEMA, "contact")
    return dataclasses.replace(
        contact,
        fields=tuple(
            dataclasses.replace(f, required=False)
            for f in contact.fields
            if f.type != FieldType.REFERENCE
        ),
    )


def parse_map_option(values: Sequence[str]) -> list[tuple[str, str]]:
    """["Email Address:email", "First:first_name"] → [(source, target), ...]. The last colon
    separates, so source column names may contain colons. Raises MigrationError."""
    pairs: list[tuple[str, str]] = []
    for value in values:
        source, sep, target = value.rpartition(":")
        if not sep or not source or not target:
            raise MigrationError(f"“{value}” is not SOURCE:TARGET (for example Email:email).")
        target = target.strip()
        if target not in CONTACT_TARGETS:
            raise MigrationError(
                f"“{target}” is not a target field; use one of: {', '.join(CONTACT_TARGETS)}."
            )
        pairs.append((source, target))
    return pairs


@dataclass(frozen=True)
class DedupeSummary:
    rows: int
    clusters: int  # clean records (clusters, singletons included)
    merged: int  # rows merged into another
    rejected: int
    review_pairs: int
    result: MigrationResult


def dedupe_csv_file(
    input_path: pathlib.Path,
    *,
    id_column: str,
    field_map: Sequence[tuple[str, str]],
    out: pathlib.Path,
    settings: DedupeSettings | None = None,
    phone_region: str = "GB",
    rejected_out: pathlib.Path | None = None,
    review_out: pathlib.Path | None = None,
    progress: Callable[[int, int], None] | None = None,
) -> DedupeSummary:
    """Read `input_path` (CSV or XLSX), map source columns to contact targets (several sources
    for one target are joined with a space, in the order given), deduplicate, and write `out`:
    one line per input row, in input order — its id and its cluster id (the legacy id of the
    cluster's survivor, its earliest row; a rejected row is its own cluster). Raises SourceError
    or MigrationError with a sentence for the user."""
    input_path = pathlib.Path(input_path)
    info = inspect_source(input_path, filename=input_path.name)
    contact = cli_contact_object()
    missing = [s for s in [id_column, *(s for s, _ in field_map)] if s not in info.headers]
    if missing:
        shown = ", ".join(f"“{m}”" for m in dict.fromkeys(missing))
        raise MigrationError(
            f"{input_path.name} has no column {shown}; its columns are: {', '.join(info.headers)}."
        )
    sources_of: dict[str, list[str]] = {}
    for source, target in field_map:
        sources_of.setdefault(target, []).append(source)
    mapping = ObjectMapping(
        object_name=contact.name,
        id_column=id_column,
        fields=tuple(
            FieldMapping(
                target=target,
                sources=tuple(sources_of[target]),
                transforms=default_transforms(contact.field(target), phone_region=phone_region),
            )
            for target in CONTACT_TARGETS
            if target in sources_of
        ),
    )
    result = run_migration(
        sources={contact.name: iter_rows(input_path, info)},
        mappings={contact.name: mapping},
        schema=(contact,),
        settings=settings or DedupeSettings(),
        decisions=Decisions(),
        progress=progress,
        row_counts={contact.name: info.row_count},
    )
    contacts = result[contact.name]
    write_clusters(contacts.outcomes, pathlib.Path(out))
    if rejected_out is not None:
        with pathlib.Path(rejected_out).open("w", encoding="utf-8", newline="") as handle:
            write_rejected_csv(contacts, handle)
    if review_out is not None:
        with pathlib.Path(review_out).open("w", encoding="utf-8", newline="") as handle:
            write_review_csv(contacts, handle)
    rec = contacts.reconciliation
    return DedupeSummary(
        rows=rec.rows_in,
        clusters=rec.clean + rec.rejected,
        merged=rec.merged,
        rejected=rec.rejected,
        review_pairs=rec.review_pairs,
        result=result,
    )


def write_clusters(outcomes, path: pathlib.Path) -> None:
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv_writer(handle)
        writer.writerow(("id", "cluster_id"))
        for outcome in outcomes:
            cluster = outcome.legacy_id if outcome.status == REJECTED else outcome.survivor_id
            writer.writerow((outcome.legacy_id, cluster or ""))


def read_clusters(path: pathlib.Path) -> Mapping[str, str]:
    """id → cluster id from a clusters file (for tests and the benchmark)."""
    with pathlib.Path(path).open(encoding="utf-8", newline="") as handle:
        return {row["id"]: row["cluster_id"] for row in csv.DictReader(handle)}
