"""Forms validate the shape of Phase 4 input; services decide and save."""

from django import forms

from architecture.models import Integration, ReportingItem, Stage
from engagements.forms import DateInput, ShapeOnlyModelForm, limit_to_engagement
from engagements.models import Engagement, Stakeholder, StakeholderRole
from sprints.models import CheckIn, Deliverable, Feedback, Scenario, ScenarioStep, Sprint


class SprintForm(ShapeOnlyModelForm):
    class Meta:
        model = Sprint
        fields = ["name", "focus", "goal", "start_date", "end_date", "status"]
        widgets = {"start_date": DateInput(), "end_date": DateInput()}

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("start_date"), data.get("end_date")
        if start and end and end < start:
            self.add_error("end_date", "A sprint cannot end before it starts.")
        return data


class DeliverableForm(ShapeOnlyModelForm):
    # Empty at class level: the tenant scope only exists per request; __init__ sets them.
    stage = forms.ModelChoiceField(queryset=Stage.objects.none(), required=False)
    integration = forms.ModelChoiceField(queryset=Integration.objects.none(), required=False)
    reporting_item = forms.ModelChoiceField(
        queryset=ReportingItem.objects.none(), required=False, label="Report"
    )

    class Meta:
        model = Deliverable
        fields = ["title", "owner", "acceptance_criteria", "stage", "integration", "reporting_item"]
        widgets = {"acceptance_criteria": forms.Textarea(attrs={"rows": 2})}

    def __init__(self, *args, engagement: Engagement, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        limit_to_engagement(
            self, engagement, stage=Stage, integration=Integration, reporting_item=ReportingItem
        )

    def clean(self) -> dict:
        data = super().clean()
        built = [name for name in ("stage", "integration", "reporting_item") if data.get(name)]
        if len(built) > 1:
            raise forms.ValidationError(
                "A deliverable builds one blueprint item: a stage, an integration or a report."
            )
        return data


class CheckInForm(ShapeOnlyModelForm):
    class Meta:
        model = CheckIn
        fields = ["date", "progress", "blockers", "decisions", "next_steps"]
        widgets = {
            "date": DateInput(),
            **{
                name: forms.Textarea(attrs={"rows": 2})
                for name in ["progress", "blockers", "decisions", "next_steps"]
            },
        }


class ScenarioForm(ShapeOnlyModelForm):
    class Meta:
        model = Scenario
        fields = ["title", "description", "is_critical"]
        widgets = {"description": forms.Textarea(attrs={"rows": 2})}
        help_texts = {"is_critical": "The phase gate needs a passing run of every critical one."}


class StepForm(ShapeOnlyModelForm):
    stage = forms.ModelChoiceField(queryset=Stage.objects.none(), required=False)
    integration = forms.ModelChoiceField(queryset=Integration.objects.none(), required=False)

    class Meta:
        model = ScenarioStep
        fields = ["action", "expected_result", "role", "systems", "stage", "integration"]

    def __init__(self, *args, engagement: Engagement, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        limit_to_engagement(self, engagement, stage=Stage, integration=Integration)


class UatRoundForm(forms.Form):
    name = forms.CharField(max_length=120)
    participants = forms.ModelMultipleChoiceField(
        queryset=Stakeholder.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        help_text="Reps and managers with portal access test in the portal.",
    )
    scenarios = forms.ModelMultipleChoiceField(
        queryset=Scenario.objects.none(), widget=forms.CheckboxSelectMultiple
    )

    def __init__(self, *args, engagement: Engagement, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["participants"].queryset = Stakeholder.objects.filter(
            engagement=engagement,
            has_portal_access=True,
            role__in=[StakeholderRole.REP, StakeholderRole.MANAGER],
        )
        self.fields["participants"].label_from_instance = lambda s: (
            f"{s.name} ({s.get_role_display()})"
        )
        limit_to_engagement(self, engagement, scenarios=Scenario)


class TriageForm(forms.Form):
    ACTIONS = [
        ("accepted", "Accept into a sprint"),
        ("wont_fix", "Won't fix"),
        ("duplicate", "Duplicate"),
    ]

    triage = forms.ChoiceField(choices=ACTIONS, widget=forms.RadioSelect, label="Decision")
    sprint = forms.ModelChoiceField(
        queryset=Sprint.objects.none(), required=False, to_field_name="public_id"
    )
    reason = forms.CharField(
        required=False, widget=forms.Textarea(attrs={"rows": 2}), label="Why not (reporter sees it)"
    )
    duplicate_of = forms.ModelChoiceField(
        queryset=Feedback.objects.none(),
        required=False,
        label="Duplicate of",
        to_field_name="public_id",
    )

    def __init__(self, *args, engagement: Engagement, feedback: Feedback, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        limit_to_engagement(self, engagement, sprint=Sprint)
        self.fields["duplicate_of"].queryset = Feedback.objects.filter(
            engagement=engagement
        ).exclude(pk=feedback.pk)
