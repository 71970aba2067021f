"""Deduplicate one contact export without an engagement:

    python manage.py dedupe_csv INPUT.csv --id-column Id \\
        --map "First Name:first_name" "Last Name:last_name" Email:email Phone:phone \\
        --out clusters.csv [--rejected rejected.csv] [--review review.csv] [--region GB]

Runs the migration engine's mapping, normalisation and deduplication with its default settings
(`launch.migration.cli`) and writes one line per input row: its id and its cluster id (the id of
the cluster's surviving record). Targets are the default contact schema's fields.
"""

from __future__ import annotations

import pathlib

from django.core.management.base import BaseCommand, CommandError, CommandParser

from launch.migration.cli import dedupe_csv_file, parse_map_option
from launch.migration.engine import MigrationError
from launch.migration.schema import CONTACT_TARGETS
from launch.migration.sources import SourceError


class Command(BaseCommand):
    help = (
        "Find duplicate contacts in a CSV or XLSX file and write each row's id and cluster id. "
        f"Targets: {', '.join(CONTACT_TARGETS)}."
    )

    def add_arguments(self, parser: CommandParser) -> None:
        parser.add_argument("input", type=pathlib.Path, help="the CSV or XLSX file")
        parser.add_argument("--id-column", required=True, help="the column holding each row's id")
        parser.add_argument(
            "--map",
            dest="maps",
            nargs="+",
            action="extend",
            required=True,
            metavar="SOURCE:TARGET",
            help="a source column and the target field it fills (repeatable); several sources "
            "for one target are joined with a space",
        )
        parser.add_argument("--out", required=True, type=pathlib.Path, help="the clusters file")
        parser.add_argument(
            "--rejected", type=pathlib.Path, help="also write rejected rows with their reasons"
        )
        parser.add_argument(
            "--review", type=pathlib.Path, help="also write the pairs left for a human to review"
        )
        parser.add_argument(
            "--region",
            default="GB",
            help="country of phone numbers written without a country code (default GB)",
        )

    def handle(self, *args, **options) -> None:
        source: pathlib.Path = options["input"]
        if not source.is_file():
            raise CommandError(f"{source} is not a file.")
        try:
            summary = dedupe_csv_file(
                source,
                id_column=options["id_column"],
                field_map=parse_map_option(options["maps"]),
                out=options["out"],
                phone_region=options["region"],
                rejected_out=options["rejected"],
                review_out=options["review"],
            )
        except (SourceError, MigrationError) as exc:
            raise CommandError(exc.message) from None
        self.stdout.write(
            f"{summary.rows:,} rows → {summary.clusters:,} clusters "
            f"({summary.merged:,} rows merged, {summary.rejected:,} rejected, "
            f"{summary.review_pairs:,} pairs to review). Clusters written to {options['out']}."
        )
        if summary.rejected and not options["rejected"]:
            self.stdout.write("Use --rejected FILE to see why rows were rejected.")
