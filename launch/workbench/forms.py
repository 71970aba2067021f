"""Forms of the data-migration workbench: they check the shape of what was typed (and turn the
transform lines into the engine's transform dicts); services decide and save."""

from __future__ import annotations

from collections.abc import Sequence

from django import forms
from django.core.validators import FileExtensionValidator

from engagements.forms import ShapeOnlyModelForm
from launch.migration.mapping import FieldMapping
from launch.migration.schema import TargetField
from launch.migration.transforms import TransformError, validate_transform_spec
from launch.models import DataMigration, FieldKind, MigrationObject, SurvivorshipRule
from launch.workbench import services

RULES = dict(SurvivorshipRule.choices)


def _lines(text: str) -> list[str]:
    return [line.strip() for line in text.splitlines() if line.strip()]


class MigrationSettingsForm(ShapeOnlyModelForm):
    survivorship = forms.CharField(
        label="Rules per field",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="One per line, field: rule — e.g. “email: most_recent”. Rules: "
        "most_complete, most_recent, source_priority.",
    )
    source_priority = forms.CharField(
        label="Source systems, best first",
        required=False,
        help_text="Comma-separated, e.g. “Salesforce, Spreadsheet”.",
    )

    class Meta:
        model = DataMigration
        fields = [
            "auto_merge",
            "review",
            "default_rule",
            "survivorship",
            "recency_field",
            "source_field",
            "source_priority",
            "phone_region",
            "rejected_threshold",
        ]
        widgets = {
            "auto_merge": forms.NumberInput(attrs={"step": "0.01", "min": "0", "max": "1"}),
            "review": forms.NumberInput(attrs={"step": "0.01", "min": "0", "max": "1"}),
        }

    def __init__(self, *args, instance: DataMigration | None = None, **kwargs) -> None:
        initial = kwargs.pop("initial", {}) or {}
        if instance is not None:
            initial = {
                "survivorship": "\n".join(f"{k}: {v}" for k, v in instance.survivorship.items()),
                "source_priority": ", ".join(instance.source_priority),
                **initial,
            }
        super().__init__(*args, instance=instance, initial=initial, **kwargs)

    def clean_survivorship(self) -> dict[str, str]:
        rules: dict[str, str] = {}
        for line in _lines(self.cleaned_data["survivorship"]):
            name, sep, rule = line.partition(":")
            name, rule = name.strip(), rule.strip()
            if not sep or not name or rule not in RULES:
                raise forms.ValidationError(
                    f"“{line}” is not “field: rule” with a rule of most_complete, most_recent "
                    "or source_priority."
                )
            rules[name] = rule
        return rules

    def clean_source_priority(self) -> list[str]:
        return [s.strip() for s in self.cleaned_data["source_priority"].split(",") if s.strip()]

    def clean_phone_region(self) -> str:
        value = self.cleaned_data["phone_region"].strip().upper()
        if len(value) != 2 or not value.isalpha():
            raise forms.ValidationError("Use a two-letter country code, such as GB or US.")
        return value


class ObjectForm(ShapeOnlyModelForm):
    class Meta:
        model = MigrationObject
        fields = ["name", "label", "deduplicate"]
        help_texts = {"name": "Lower case letters, digits and underscores, e.g. “ticket”."}


class FieldForm(forms.Form):
    name = forms.SlugField(
        max_length=60,
        help_text="As the new CRM's importer names the column, e.g. “lead_source”.",
    )
    label = forms.CharField(max_length=120)
    type = forms.ChoiceField(choices=FieldKind.choices)
    required = forms.BooleanField(required=False)
    choices = forms.CharField(
        label="Picklist values",
        required=False,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="For a picklist: one allowed value per line.",
    )
    reference = forms.ChoiceField(
        label="Refers to", required=False, help_text="For a reference: the object it points to."
    )

    def __init__(self, *args, objects: Sequence[MigrationObject] = (), edit: bool = False, **kw):
        super().__init__(*args, **kw)
        self.fields["reference"].choices = [("", "—")] + [(o.name, o.label) for o in objects]
        if edit:
            del self.fields["name"]

    def clean_choices(self) -> list[str]:
        return _lines(self.cleaned_data["choices"])

    def clean(self) -> dict:
        data = super().clean()
        if data.get("type") == FieldKind.PICKLIST and not data.get("choices"):
            self.add_error("choices", "A picklist needs its allowed values, one per line.")
        if data.get("type") == FieldKind.REFERENCE and not data.get("reference"):
            self.add_error("reference", "Choose the object this field refers to.")
        return data


class UploadForm(forms.Form):
    target = forms.ChoiceField(label="Object")
    file = forms.FileField(
        label="Legacy export (CSV or XLSX)",
        validators=[FileExtensionValidator(["csv", "txt", "tsv", "xlsx"])],
    )

    def __init__(self, *args, objects: Sequence[MigrationObject] = (), **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["target"].choices = [(o.name, o.label) for o in objects]
        self.fields["file"].help_text = (
            f"Up to {services.UPLOAD_MAX_BYTES // (1024 * 1024)} MB per file; runs are sized for "
            "up to 1,000,000 rows per object. Encoding and delimiter are detected."
        )
        self.fields["file"].widget.attrs["accept"] = ".csv,.txt,.tsv,.xlsx"


# --- transforms as lines ------------------------------------------------------------------------

TRANSFORM_HELP = (
    "One per line, applied in order: trim · case lower|upper|title · split_name first|last · "
    'join ", " · date %d/%m/%Y; %Y-%m-%d · phone GB · email · picklist Hot=hot; Cold=cold'
)


def transform_line(spec: dict) -> str:
    """A transform dict as the line the consultant reads and edits."""
    op = spec.get("op", "")
    if op == "case":
        return f"case {spec.get('to', '')}"
    if op == "split_name":
        return f"split_name {spec.get('part', '')}"
    if op == "join":
        return f'join "{spec.get("separator", " ")}"'
    if op == "date":
        return "date " + "; ".join(spec.get("formats", []))
    if op == "phone":
        return f"phone {spec.get('region', 'GB')}"
    if op == "picklist":
        return "picklist " + "; ".join(f"{k}={v}" for k, v in spec.get("map", {}).items())
    return op


def transform_lines(specs: Sequence[dict]) -> str:
    return "\n".join(transform_line(spec) for spec in specs)


def parse_transform(line: str) -> dict:
    """One line → a transform dict, or TransformError with the engine's reason."""
    op, _, arg = line.strip().partition(" ")
    arg = arg.strip()
    spec: dict
    if op == "case":
        spec = {"op": op, "to": arg.lower()}
    elif op == "split_name":
        spec = {"op": op, "part": arg.lower()}
    elif op == "join":
        if len(arg) >= 2 and arg[0] == arg[-1] and arg[0] in "\"'":
            arg = arg[1:-1]
        spec = {"op": op, "separator": arg or " "}
    elif op == "date":
        spec = {"op": op, "formats": [f.strip() for f in arg.split(";") if f.strip()]}
    elif op == "phone":
        spec = {"op": op, "region": (arg or "GB").upper()}
    elif op == "picklist":
        pairs: dict[str, str] = {}
        for item in (i for i in arg.split(";") if i.strip()):
            source, sep, value = item.partition("=")
            if not sep:
                raise TransformError(f"“{item.strip()}” is not source=value.")
            pairs[source.strip()] = value.strip()
        spec = {"op": op, "map": pairs}
    else:
        spec = {"op": op}
        if arg:
            raise TransformError(f"The {op} transform takes nothing after its name.")
    validate_transform_spec(spec)
    return spec


class MappingForm(forms.Form):
    """The id column, and per target field: its column, more columns to join after it, and
    its transforms (as lines). Field names: `<field>-source`, `<field>-also`,
    `<field>-transforms`."""

    id_column = forms.ChoiceField(
        label="Id column", help_text="The column holding each record's id in the old system."
    )

    def __init__(
        self, *args, headers: Sequence[str], target_fields: Sequence[TargetField], **kwargs
    ) -> None:
        super().__init__(*args, **kwargs)
        self.target_fields = list(target_fields)
        columns = [(h, h) for h in headers]
        self.fields["id_column"].choices = [("", "— choose —"), *columns]
        for f in self.target_fields:
            self.fields[f"{f.name}-source"] = forms.ChoiceField(
                label=f"Column for {f.label}",
                choices=[("", "— not mapped —"), *columns],
                required=False,
            )
            self.fields[f"{f.name}-also"] = forms.MultipleChoiceField(
                label=f"More columns joined into {f.label}",
                choices=columns,
                required=False,
                widget=forms.SelectMultiple(attrs={"size": 4}),
            )
            self.fields[f"{f.name}-transforms"] = forms.CharField(
                label=f"Transforms of {f.label}",
                required=False,
                widget=forms.Textarea(attrs={"rows": 2, "spellcheck": "false"}),
            )

    def rows(self) -> list[dict]:
        """Per target field, its bound fields, for the template."""
        return [
            {
                "field": f,
                "source": self[f"{f.name}-source"],
                "also": self[f"{f.name}-also"],
                "transforms": self[f"{f.name}-transforms"],
            }
            for f in self.target_fields
        ]

    def clean(self) -> dict:
        data = super().clean()
        mapped: list[FieldMapping] = []
        for f in self.target_fields:
            source = data.get(f"{f.name}-source") or ""
            also = [c for c in data.get(f"{f.name}-also") or [] if c != source]
            specs = []
            for line in _lines(data.get(f"{f.name}-transforms") or ""):
                try:
                    specs.append(parse_transform(line))
                except TransformError as error:
                    self.add_error(f"{f.name}-transforms", f"“{line}”: {error.reason}")
            if not source and also:
                self.add_error(f"{f.name}-source", "Choose the first column, then more to join.")
            if source:
                mapped.append(
                    FieldMapping(target=f.name, sources=(source, *also), transforms=tuple(specs))
                )
        data["mapping"] = mapped
        return data


def mapping_initial(
    *, id_column: str, fields: Sequence[FieldMapping], target_fields: Sequence[TargetField]
) -> dict:
    initial: dict = {"id_column": id_column}
    by_target = {fm.target: fm for fm in fields}
    for f in target_fields:
        fm = by_target.get(f.name)
        if fm is None:
            continue
        initial[f"{f.name}-source"] = fm.sources[0] if fm.sources else ""
        initial[f"{f.name}-also"] = list(fm.sources[1:])
        initial[f"{f.name}-transforms"] = transform_lines(fm.transforms)
    return initial


class DecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("merge", "Merge"), ("split", "Keep apart"), ("pending", "Undo")]
    )


class RunForm(forms.Form):
    kind = forms.ChoiceField(choices=[("dry", "Dry run"), ("commit", "Commit run")])


class NoteForm(forms.Form):
    note = forms.CharField(
        label="Explanation of the rejected rows",
        required=False,
        max_length=4000,
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Why these rows may stay behind, e.g. “test records the client retired”.",
    )


class RollbackForm(forms.Form):
    reason = forms.CharField(
        label="Why roll back?", max_length=1000, widget=forms.Textarea(attrs={"rows": 2})
    )
    confirm = forms.BooleanField(
        label="I understand the previous version becomes the current dataset again."
    )
