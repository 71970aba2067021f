"""Forms of the adoption part of Phase 6: API keys, usage uploads and adoption settings.
They validate shape; services decide and save."""

from __future__ import annotations

from django import forms
from django.utils import timezone

from enablement.models import Metric
from engagements.forms import DateInput
from engagements.models import StakeholderRole

MAX_UPLOAD_BYTES = 20 * 1024 * 1024
THRESHOLD_MAXIMUM = {Metric.ACTIVE_DAYS: 7, Metric.LOGINS: 1000}


class ApiKeyForm(forms.Form):
    name = forms.CharField(
        label="Key name",
        max_length=120,
        help_text="What will use it, e.g. “Salesforce usage sync”. Shown in the key list.",
    )


class _CsvUploadForm(forms.Form):
    file = forms.FileField(
        label="CSV file",
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,text/csv"}),
    )
    skip_unknown_users = forms.BooleanField(
        label="Skip rows of people who are not stakeholders",
        required=False,
        help_text="e.g. integration users and admins. Otherwise such rows reject the upload.",
    )

    def clean_file(self):
        upload = self.cleaned_data["file"]
        if upload.size > MAX_UPLOAD_BYTES:
            raise forms.ValidationError(
                f"The file is {upload.size / 1024 / 1024:.1f} MB; upload at most 20 MB at a "
                "time (split the export by date range)."
            )
        if upload.size == 0:
            raise forms.ValidationError("The file is empty.")
        return upload


class LoginCsvForm(_CsvUploadForm):
    """A CRM's login-history export: one row per login, with the user's email and the time."""


class RecordExportForm(_CsvUploadForm):
    """A record export (e.g. opportunities): one row per record, with its owner and fields."""

    object_name = forms.CharField(
        label="Object",
        max_length=80,
        help_text="What the rows are, as named in the required fields, e.g. “Opportunity”.",
    )
    snapshot_date = forms.DateField(
        label="Export date",
        widget=DateInput,
        help_text="Used for rows without a last-modified date column.",
    )

    field_order = ["file", "object_name", "snapshot_date", "skip_unknown_users"]

    def __init__(self, *args, objects: list[str] | None = None, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["snapshot_date"].initial = timezone.localdate()
        if objects:
            self.fields["object_name"].initial = objects[0]


class AdoptionSettingsForm(forms.Form):
    consecutive_weeks = forms.IntegerField(
        label="Weeks below a threshold before an alert",
        min_value=1,
        max_value=12,
        help_text="An alert opens after this many completed weeks below; it turns critical "
        "after twice as many, or at once for a whole role.",
    )


class ThresholdsForm(forms.Form):
    """One number per role and metric: `<role>-<metric>`. 0 switches a metric off."""

    def __init__(self, *args, thresholds: dict[tuple[str, str], float], **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.metric_labels = [label for _, label in Metric.choices]
        self.grid = []
        for role, role_label in StakeholderRole.choices:
            cells = []
            for metric, metric_label in Metric.choices:
                name = f"{role}-{metric}"
                self.fields[name] = forms.FloatField(
                    label=f"{role_label}: {metric_label}",
                    min_value=0,
                    max_value=THRESHOLD_MAXIMUM.get(metric, 100),
                    initial=thresholds[(role, metric)],
                    widget=forms.NumberInput(attrs={"step": "any", "inputmode": "decimal"}),
                )
                cells.append(self[name])
            self.grid.append((role_label, cells))

    def values(self) -> dict[tuple[str, str], float]:
        return {tuple(name.split("-", 1)): value for name, value in self.cleaned_data.items()}


class KeyFeatureForm(forms.Form):
    role = forms.ChoiceField(label="Role", choices=StakeholderRole.choices)
    name = forms.CharField(
        label="Feature",
        max_length=120,
        help_text="As named in the usage events, e.g. “forecast”.",
    )


class RequiredFieldForm(forms.Form):
    object_name = forms.CharField(label="Object", max_length=80, help_text="e.g. Opportunity")
    field_name = forms.CharField(
        label="Field", max_length=120, help_text="The column name in the export, e.g. Close Date"
    )
