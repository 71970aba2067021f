"""Files out of a run: clean import CSV per object, rejected rows with reasons, reconciliation,
the review queue, and every row's outcome.

Every CSV cell is neutralised against formula injection by the one export helper
(`engagements.exports`, Django-free like this engine), and rows come in the result's
deterministic order, so the same run gives byte-identical files. Writers take a text
file object opened with newline="" (the csv module writes \\r\\n line ends itself).
"""

from __future__ import annotations

import json
from typing import TextIO

from engagements.exports import csv_writer

from .engine import MigrationResult, ObjectResult
from .schema import TargetObject

SOURCE_IDS_SEPARATOR = "|"


def write_clean_csv(result_object: ObjectResult, target: TargetObject, fileobj: TextIO) -> int:
    """The import file for the target CRM: `legacy_id`, every target field in schema order
    (references hold the referenced survivor's legacy id), and `source_ids` (the legacy ids
    merged into the record, |-separated). Returns the number of records written."""
    writer = csv_writer(fileobj)
    names = target.field_names
    writer.writerow(("legacy_id", *names, "source_ids"))
    count = 0
    for record in result_object.clean:
        writer.writerow(
            (
                record.id,
                *(record.values.get(name, "") for name in names),
                SOURCE_IDS_SEPARATOR.join(record.source_ids),
            )
        )
        count += 1
    return count


def write_rejected_csv(result_object: ObjectResult, fileobj: TextIO) -> int:
    """One line per rejected row: its row number, legacy id, every reason (“; ”-separated),
    then all its original values under their original column names. Returns the count."""
    writer = csv_writer(fileobj)
    columns = result_object.source_columns
    writer.writerow(("row", "legacy_id", "reasons", *columns))
    for item in result_object.rejected:
        writer.writerow(
            (
                item.row,
                item.legacy_id,
                "; ".join(reason.message for reason in item.reasons),
                *(item.values.get(column, "") for column in columns),
            )
        )
    return len(result_object.rejected)


def write_outcomes_csv(result_object: ObjectResult, fileobj: TextIO) -> int:
    """Every input row's fate: row, legacy_id, status (clean/merged/rejected), survivor_id,
    reasons. Returns the number of rows."""
    writer = csv_writer(fileobj)
    writer.writerow(("row", "legacy_id", "status", "survivor_id", "reasons"))
    count = 0
    for outcome in result_object.outcomes:
        writer.writerow(
            (
                outcome.row,
                outcome.legacy_id,
                outcome.status,
                outcome.survivor_id or "",
                "; ".join(reason.message for reason in outcome.reasons),
            )
        )
        count += 1
    return count


def write_review_csv(result_object: ObjectResult, fileobj: TextIO) -> int:
    """The review queue: left_id, right_id, score, then each compared field's similarity."""
    writer = csv_writer(fileobj)
    names = sorted({name for pair in result_object.review_pairs for name in pair.field_scores})
    writer.writerow(("left_id", "right_id", "score", *names))
    for pair in result_object.review_pairs:
        writer.writerow(
            (
                pair.left_id,
                pair.right_id,
                f"{pair.score:.4f}",
                *(
                    f"{pair.field_scores[name]:.3f}" if name in pair.field_scores else ""
                    for name in names
                ),
            )
        )
    return len(result_object.review_pairs)


def reconciliation_data(result: MigrationResult) -> dict:
    """The reconciliation as plain data (what the JSON file holds)."""
    objects = []
    totals = {"rows_in": 0, "clean": 0, "merged": 0, "rejected": 0}
    for rec in result.reconciliation:
        objects.append(
            {
                "object": rec.object_name,
                "rows_in": rec.rows_in,
                "clean": rec.clean,
                "merged": rec.merged,
                "rejected": rec.rejected,
                "rejected_share": round(rec.rejected_share, 6),
                "review_pairs": rec.review_pairs,
                "auto_merged_pairs": rec.auto_merged_pairs,
                "confirmed_pairs": rec.confirmed_pairs,
                "kept_apart": rec.kept_apart,
                "rejected_by_reason": [
                    {"code": r.code, "field": r.field, "reason": r.label, "rows": r.rows}
                    for r in rec.by_reason
                ],
            }
        )
        for key in totals:
            totals[key] += getattr(rec, key)
    return {"objects": objects, "totals": totals}


def write_reconciliation(result: MigrationResult, fileobj: TextIO, *, format: str = "csv") -> None:
    """Rows in, clean, merged, rejected per object, and rejected rows per reason (a row with
    two reasons counts under both). `format` is "csv" (object, measure, reason, rows) or
    "json"."""
    if format == "json":
        json.dump(
            reconciliation_data(result), fileobj, indent=2, sort_keys=True, ensure_ascii=False
        )
        fileobj.write("\n")
        return
    if format != "csv":
        raise ValueError(f"unknown reconciliation format {format!r}")
    writer = csv_writer(fileobj)
    writer.writerow(("object", "measure", "reason", "rows"))
    for rec in result.reconciliation:
        for measure in ("rows_in", "clean", "merged", "rejected", "review_pairs"):
            writer.writerow((rec.object_name, measure, "", getattr(rec, measure)))
        for reason in rec.by_reason:
            writer.writerow((rec.object_name, "rejected_by_reason", reason.label, reason.rows))
