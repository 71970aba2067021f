"""Phase 5's data-migration workbench, end to end in a browser: a consultant sets the migration
up, uploads the legacy accounts and contacts (with a preview), maps the contacts' columns from
the suggestions, runs a dry run, reviews a suggested duplicate, commits a dataset and downloads
the import file, where the duplicate they confirmed is one record.

Set E2E_SCREENSHOTS to a folder to keep a screenshot of each page."""

import csv
import io
import os
from pathlib import Path

import pytest
from django.urls import reverse
from playwright.sync_api import Page, expect

from engagements.models import Engagement
from engagements.phases import Phase
from launch.models import DuplicatePair, MigrationDataset, PairDecision
from tests.factories import PASSWORD
from tests.launch.test_workbench_services import ACCOUNTS_CSV, CONTACTS_CSV


@pytest.fixture(autouse=True)
def _media_in_a_temporary_folder(settings, tmp_path):
    settings.MEDIA_ROOT = tmp_path / "media"


def shot(page: Page, name: str) -> None:
    folder = os.environ.get("E2E_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=f"{folder}/{name}.png", full_page=True)


def upload(page: Page, object_label: str, path: Path) -> None:
    page.get_by_role("link", name="1 · Sources").click()
    page.get_by_label("Object").select_option(label=object_label)
    page.get_by_label("Legacy export (CSV or XLSX)").set_input_files(path)
    page.get_by_role("button", name="Upload and check").click()


def test_a_consultant_turns_legacy_exports_into_a_clean_import_file(
    world, live_server, sign_in, tmp_path
):
    Engagement.unscoped.filter(pk=world.engagement.pk).update(current_phase=Phase.LAUNCH)
    accounts, contacts = tmp_path / "accounts.csv", tmp_path / "contacts.csv"
    accounts.write_text(ACCOUNTS_CSV)
    contacts.write_text(CONTACTS_CSV)

    page = sign_in(world.consultant.email, PASSWORD)
    page.goto(f"{live_server.url}{reverse('launch', args=[world.engagement.public_id])}")
    page.get_by_role("link", name="Data migration").click()
    shot(page, "01-empty")
    page.get_by_role("button", name="Set up the data migration").click()
    expect(page.locator("ul.messages")).to_contain_text("Data migration set up")

    # Sources: a refused file says why; the good ones show their first rows.
    bad = tmp_path / "deals.csv"
    bad.write_text("Id,Name\n1,a\n2,b,c\n")
    upload(page, "Deal", bad)
    expect(page.get_by_role("alert").filter(has_text="Refused: “deals.csv”")).to_be_visible()
    expect(page.get_by_label("Object")).to_have_value("deal")
    shot(page, "02-refused")
    upload(page, "Account", accounts)
    expect(page.locator("ul.messages")).to_contain_text("accounts.csv: 3 rows ready.")
    upload(page, "Contact", contacts)
    expect(page.locator("ul.messages")).to_contain_text("contacts.csv: 7 rows ready.")
    expect(page.get_by_role("cell", name="jane.smith@acme.example", exact=True)).to_be_visible()
    shot(page, "03-preview")

    # Mapping: the contacts' columns are suggested by name; the preview shows the transforms.
    page.get_by_role("button", name="Map the columns of Contact").click()
    expect(page.get_by_text("Suggested by column name")).to_be_visible()
    expect(page.get_by_label("Id column")).to_have_value("Contact ID")
    expect(page.get_by_label("Column for Email", exact=True)).to_have_value("E-mail")
    expect(page.get_by_role("cell", name="+442079460001").first).to_be_visible()
    page.get_by_label("Transforms of First name").fill("trim\ncase title")
    shot(page, "04-mapping")
    page.get_by_role("button", name="Save mapping").click()
    expect(page.locator("ul.messages")).to_contain_text("Contact mapping saved.")
    page.get_by_role("navigation", name="Objects to map").get_by_role(
        "link", name="Account"
    ).click()
    expect(page.get_by_label("Column for Account name")).to_have_value("Company Name")
    page.get_by_role("button", name="Save mapping").click()
    expect(page.locator("ul.messages")).to_contain_text("Account mapping saved.")

    # A dry run: the reconciliation and every rejected row with its reasons.
    page.get_by_role("link", name="4 · Runs").click()
    page.get_by_role("button", name="Start a dry run").click()
    expect(page.get_by_role("heading", name="Reconciliation")).to_be_visible()
    expect(page.locator("table.reconciliation")).to_contain_text("broken reference")
    rejected = page.locator("#rejected")
    expect(rejected).to_contain_text("Last name is required but empty.")
    expect(rejected).to_contain_text("not-an-email")
    shot(page, "05-dry-run")

    # The review queue: Robert and Roberta Jones look alike; the consultant knows they are one.
    page.get_by_role("link", name="5 · Review").click()
    pair = page.locator("article.pair")
    expect(pair).to_contain_text("Roberta")
    shot(page, "06-review")
    pair.get_by_role("button", name="Same record: merge").click()
    expect(pair.get_by_role("button", name="Undo decision")).to_be_visible()
    assert DuplicatePair.unscoped.get().decision == PairDecision.MERGE

    # Commit: a dataset version with its files; the import file has the merged record once.
    page.get_by_role("link", name="4 · Runs").click()
    page.get_by_role("button", name="Commit a new dataset").click()
    page.get_by_role("link", name="Dataset v1").first.click()
    shot(page, "07-dataset")
    with page.expect_download() as download:
        page.get_by_role("link", name="contact-import-v1.csv").click()
    text = Path(download.value.path()).read_text()
    rows = {row["legacy_id"]: row for row in csv.DictReader(io.StringIO(text))}
    assert set(rows) == {"C1", "C3", "C7"}
    assert rows["C3"]["source_ids"] == "C3|C4"
    assert rows["C7"]["last_name"].startswith("'=")
    assert MigrationDataset.unscoped.get().number == 1

    # The overview sums it up; the runs and the datasets list every version.
    page.get_by_role("link", name="Overview").click()
    expect(page.get_by_role("heading", name="Readiness for the launch gate")).to_be_visible()
    expect(page.get_by_role("status").filter(has_text="rejected 30.0% of the rows")).to_be_visible()
    shot(page, "09-overview")
    page.get_by_role("link", name="2 · Target schema").click()
    expect(page.get_by_role("heading", name="Deal deal")).to_be_visible()
    shot(page, "10-schema")
    page.get_by_role("link", name="4 · Runs").click()
    expect(page.get_by_role("cell", name="Commit run #2 → Dataset v1")).to_be_visible()
    shot(page, "11-runs")
    page.get_by_role("link", name="6 · Datasets").click()

    # Rollback asks first.
    page.get_by_role("button", name="Roll back Dataset v1…").click()
    expect(page.get_by_text("No dataset will be current")).to_be_visible()
    page.get_by_label("Why roll back?").fill("The client sent a newer export.")
    page.get_by_role("button", name="Roll back Dataset v1").click()
    expect(page.get_by_role("alert")).to_contain_text("This field is required")
    page.get_by_label("I understand").check()
    page.get_by_role("button", name="Roll back Dataset v1").click()
    expect(page.locator("ul.messages")).to_contain_text("No dataset is current now.")
    shot(page, "08-rolled-back")
