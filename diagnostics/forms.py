"""Forms validate the shape of Phase 2 input; services decide and save."""

from django import forms

from diagnostics.models import (
    DataSource,
    Finding,
    PromptTemplate,
    ReportDraft,
    ToolAssessment,
    Workshop,
)
from engagements.forms import ShapeOnlyModelForm, limit_to_engagement
from engagements.models import Engagement, Stakeholder, StakeholderRole, Tool, User
from engagements.selectors import consultant_choices


class DateTimeInput(forms.DateTimeInput):
    input_type = "datetime-local"


class WorkshopForm(ShapeOnlyModelForm):
    attendees = forms.ModelMultipleChoiceField(
        queryset=Stakeholder.objects.none(), widget=forms.CheckboxSelectMultiple, required=False
    )
    facilitator = forms.ModelChoiceField(queryset=User.objects.none(), required=False)

    class Meta:
        model = Workshop
        fields = [
            "title",
            "group",
            "objective",
            "scope",
            "facilitator",
            "scheduled_at",
            "attendees",
        ]
        widgets = {"scheduled_at": DateTimeInput(), "scope": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, engagement: Engagement, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        limit_to_engagement(self, engagement, attendees=Stakeholder)
        self.fields["facilitator"].queryset = consultant_choices()
        self.fields["facilitator"].label_from_instance = str


class AgendaItemForm(forms.Form):
    title = forms.CharField(max_length=200, label="Agenda item")
    minutes = forms.IntegerField(min_value=1, max_value=480)


class FindingForm(ShapeOnlyModelForm):
    affected_roles = forms.MultipleChoiceField(
        choices=StakeholderRole.choices, widget=forms.CheckboxSelectMultiple, required=False
    )
    affected_tools = forms.ModelMultipleChoiceField(
        queryset=Tool.objects.none(), widget=forms.CheckboxSelectMultiple, required=False
    )
    workshop = forms.ModelChoiceField(
        queryset=Workshop.objects.none(), required=False, label="Session it came from"
    )

    class Meta:
        model = Finding
        fields = [
            "title", "category", "severity", "process_view", "quote", "workshop",
            "affected_roles", "affected_tools",
        ]  # fmt: skip
        widgets = {"quote": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, engagement: Engagement, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        limit_to_engagement(self, engagement, affected_tools=Tool, workshop=Workshop)


class DataSourceForm(ShapeOnlyModelForm):
    class Meta:
        model = DataSource
        fields = ["system", "objects_held", "owner", "record_count", "quality_notes"]
        widgets = {"quality_notes": forms.Textarea(attrs={"rows": 2})}


class ToolAssessmentForm(ShapeOnlyModelForm):
    overlaps = forms.TypedMultipleChoiceField(
        coerce=int, widget=forms.CheckboxSelectMultiple, required=False, label="Overlaps with"
    )

    class Meta:
        model = ToolAssessment
        fields = ["value", "complexity", "active_seats", "overlaps", "notes"]
        widgets = {
            "notes": forms.Textarea(attrs={"rows": 1}),
            "value": forms.NumberInput(attrs={"min": 1, "max": 5}),
            "complexity": forms.NumberInput(attrs={"min": 1, "max": 5}),
        }
        labels = {"value": "Value (1–5)", "complexity": "Complexity (1–5)"}

    def __init__(self, *args, tool: Tool, inventory: list[Tool], **kwargs) -> None:
        """`inventory` is the engagement's tools, loaded once for every tool's form."""
        super().__init__(*args, **kwargs)
        self.fields["overlaps"].choices = [(t.pk, t.name) for t in inventory if t.pk != tool.pk]


class ReportDraftForm(ShapeOnlyModelForm):
    class Meta:
        model = ReportDraft
        fields = ["executive_summary", "current_state", "gaps"]
        widgets = {name: forms.Textarea(attrs={"rows": 4}) for name in fields}


class RecommendationForm(forms.Form):
    title = forms.CharField(max_length=200)
    detail = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), required=False)
    findings = forms.ModelMultipleChoiceField(
        queryset=Finding.objects.none(), widget=forms.CheckboxSelectMultiple,
        label="Findings behind it", required=False,
    )  # fmt: skip

    def __init__(self, *args, engagement: Engagement, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        limit_to_engagement(self, engagement, findings=Finding)


class PromptTemplateForm(ShapeOnlyModelForm):
    class Meta:
        model = PromptTemplate
        fields = ["group", "text"]
        labels = {"group": "For", "text": "Prompt"}


class PreworkForm(forms.Form):
    text = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}), label="Your answer")
