"""The data-migration engine (Phase 5): read legacy exports, map and transform them onto the new
CRM's schema, validate every row, find and merge duplicates, and write clean import files.

Pure Python and Django-free on purpose, so that the same code serves the Celery job of the
workbench, the `dedupe_csv` management command and the benchmark in `bench/`. Modules:

- `sources`: streaming CSV/XLSX reading with encoding/delimiter detection and bad-file messages;
- `schema`: the target objects and fields (with `DEFAULT_SCHEMA`);
- `transforms`: JSON-able per-field transforms (trim, case, names, dates, phones, emails, ...);
- `validation`: type, picklist and required checks of one transformed value;
- `mapping`: source column → target field mappings and suggestions;
- `dedupe`: blocking, fuzzy scoring, clustering with decisions, survivorship;
- `engine`: `run_migration`, the whole pipeline for several objects in reference order;
- `export`: clean, rejected and reconciliation files, neutralised against formula injection;
- `cli`: the one-file dedupe used by `manage.py dedupe_csv` and the benchmark.
"""
