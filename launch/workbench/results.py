"""The seam between the engine (`launch.migration`, pure Python) and the workbench's storage:
run the engine on a run's frozen inputs, walk what it produced in the shape the tables want,
and write a commit's files (import CSV, rejected rows, outcomes per object; reconciliation)
to storage with their digests."""

from __future__ import annotations

import hashlib
import io
import tempfile
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import dataclass

from django.core.files import File
from django.core.files.storage import default_storage

from launch.migration.dedupe import Decisions, DedupeSettings
from launch.migration.engine import MigrationError, MigrationResult, run_migration
from launch.migration.export import (
    reconciliation_data,
    write_clean_csv,
    write_outcomes_csv,
    write_reconciliation,
    write_rejected_csv,
)
from launch.migration.mapping import ObjectMapping
from launch.migration.schema import SchemaError, TargetObject
from launch.models import DatasetFileKind


class EngineInputError(Exception):
    """The engine refused the run's inputs (schema, mapping, settings); `message` says why."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class RejectedItem:
    object_name: str
    position: int
    row: int
    legacy_id: str
    reasons: list[dict]
    values: dict[str, str]


@dataclass(frozen=True)
class PairItem:
    object_name: str
    left_id: str
    right_id: str
    score: float
    field_scores: dict[str, float]
    left_values: dict[str, str]
    right_values: dict[str, str]


@dataclass(frozen=True)
class StoredFile:
    kind: str
    object_name: str
    name: str  # in the default storage
    filename: str  # the download name; "{version}" is filled in with the dataset's number
    content_type: str
    size: int
    digest: str
    rows: int


class RunResult:
    """What a run produced, walked in the engine's deterministic order."""

    def __init__(self, result: MigrationResult) -> None:
        self.result = result
        self.positions = {name: position for position, name in enumerate(result.objects)}

    def rejected_rows(self) -> Iterator[RejectedItem]:
        for name, obj in self.result.objects.items():
            for item in obj.rejected:
                yield RejectedItem(
                    object_name=name,
                    position=self.positions[name],
                    row=item.row,
                    legacy_id=item.legacy_id,
                    reasons=[
                        {"code": r.code, "field": r.field, "message": r.message}
                        for r in item.reasons
                    ],
                    values=dict(item.values),
                )

    def review_pairs(self) -> Iterator[PairItem]:
        for name, obj in self.result.objects.items():
            for pair in obj.review_pairs:
                yield PairItem(
                    object_name=name,
                    left_id=pair.left_id,
                    right_id=pair.right_id,
                    score=round(float(pair.score), 4),
                    field_scores={k: round(float(v), 3) for k, v in pair.field_scores.items()},
                    left_values=dict(obj.record(pair.left_id) or {}),
                    right_values=dict(obj.record(pair.right_id) or {}),
                )

    def totals(self) -> dict[str, int]:
        totals = {"rows_in": 0, "clean": 0, "merged": 0, "rejected": 0, "review_pairs": 0}
        for rec in self.result.reconciliation:
            for key in totals:
                totals[key] += getattr(rec, key)
        return totals

    def reconciliation_json(self) -> dict:
        return reconciliation_data(self.result)


def run(
    *,
    sources: Mapping[str, Iterable[tuple[int, dict[str, str]]]],
    mappings: Mapping[str, ObjectMapping],
    schema: Sequence[TargetObject],
    settings: DedupeSettings,
    decisions: Mapping[str, Decisions],
    row_counts: Mapping[str, int],
    progress: Callable[[int, int], None],
) -> RunResult:
    try:
        result = run_migration(
            sources=sources,
            mappings=mappings,
            schema=schema,
            settings=settings,
            decisions=decisions,
            progress=progress,
            row_counts=row_counts,
        )
    except (MigrationError, SchemaError) as error:
        raise EngineInputError(error.message) from error
    return RunResult(result)


def _store(name: str, write: Callable[[io.TextIOBase], int | None]) -> tuple[str, int, str, int]:
    """Write through a temporary file (never the whole output in memory) into storage; return
    the stored name, size, SHA-256 and the row count the writer reported."""
    with tempfile.TemporaryFile() as raw:
        text = io.TextIOWrapper(raw, encoding="utf-8", newline="")
        rows = write(text) or 0
        text.flush()
        raw.seek(0)
        sha = hashlib.sha256()
        size = 0
        for chunk in iter(lambda: raw.read(1024 * 1024), b""):
            sha.update(chunk)
            size += len(chunk)
        raw.seek(0)
        stored = default_storage.save(name, File(raw))
        text.detach()
    return stored, size, sha.hexdigest(), rows


def write_files(
    *, result: RunResult, schema: Sequence[TargetObject], folder: str
) -> list[StoredFile]:
    """A commit's files, in a fixed order: per object its import file, rejected rows and
    every row's outcome; then the reconciliation as CSV and JSON. If writing fails part-way,
    what was written is deleted again."""
    targets = {t.name: t for t in schema}
    files: list[StoredFile] = []

    def add(kind: str, object_name: str, filename: str, content_type: str, write) -> None:
        stem = filename.replace("-v{version}", "")
        stored, size, digest, rows = _store(f"{folder}/{stem}", write)
        files.append(
            StoredFile(kind, object_name, stored, filename, content_type, size, digest, rows)
        )

    try:
        for name, obj in result.result.objects.items():
            add(
                DatasetFileKind.CLEAN,
                name,
                f"{name}-import-v{{version}}.csv",
                "text/csv",
                lambda f, obj=obj, name=name: write_clean_csv(obj, targets[name], f),
            )
            add(
                DatasetFileKind.REJECTED,
                name,
                f"{name}-rejected-v{{version}}.csv",
                "text/csv",
                lambda f, obj=obj: write_rejected_csv(obj, f),
            )
            add(
                DatasetFileKind.OUTCOMES,
                name,
                f"{name}-outcomes-v{{version}}.csv",
                "text/csv",
                lambda f, obj=obj: write_outcomes_csv(obj, f),
            )
        add(
            DatasetFileKind.RECONCILIATION,
            "",
            "reconciliation-v{version}.csv",
            "text/csv",
            lambda f: write_reconciliation(result.result, f, format="csv"),
        )
        add(
            DatasetFileKind.RECONCILIATION,
            "",
            "reconciliation-v{version}.json",
            "application/json",
            lambda f: write_reconciliation(result.result, f, format="json"),
        )
    except BaseException:
        for f in files:
            default_storage.delete(f.name)
        raise
    return files
