"""Forms validate the shape of Phase 5 input; services decide and save."""

from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from django import forms

from engagements.forms import DateInput, ShapeOnlyModelForm
from engagements.models import Engagement, Stakeholder, StakeholderRole, User
from engagements.selectors import consultant_choices
from launch.models import (
    Communication,
    Incident,
    IncidentStatus,
    LaunchPlan,
    MonitoringCheck,
    PilotFeedback,
    RollbackStep,
    RunbookStep,
    Wave,
)


class DateTimeInput(forms.DateTimeInput):
    """A native date-and-time picker; the value is read in the active time zone."""

    input_type = "datetime-local"

    def __init__(self, attrs=None) -> None:
        super().__init__(attrs, format="%Y-%m-%dT%H:%M")


def zone_or_none(name: str) -> ZoneInfo | None:
    try:
        return ZoneInfo(name.strip()) if name and name.strip() else None
    except (ZoneInfoNotFoundError, ValueError):
        return None


class PlanForm(ShapeOnlyModelForm):
    class Meta:
        model = LaunchPlan
        fields = ["cutover_start", "cutover_end", "time_zone", "rollback_triggers"]
        widgets = {
            "cutover_start": DateTimeInput(),
            "cutover_end": DateTimeInput(),
            "rollback_triggers": forms.Textarea(attrs={"rows": 3}),
        }
        help_texts = {
            "time_zone": "An IANA name such as Europe/Paris; the cutover times are read in it.",
            "rollback_triggers": "What makes us roll back, e.g. “orders fail for 15 minutes”.",
        }

    def clean_time_zone(self) -> str:
        value = self.cleaned_data["time_zone"].strip()
        if zone_or_none(value) is None:
            raise forms.ValidationError("Use an IANA time zone name, such as Europe/Paris.")
        return value


class RunbookStepForm(ShapeOnlyModelForm):
    class Meta:
        model = RunbookStep
        fields = ["title", "owner", "planned_at", "minutes"]
        widgets = {"planned_at": DateTimeInput()}
        labels = {"planned_at": "Planned at", "minutes": "Minutes"}


class CommunicationForm(ShapeOnlyModelForm):
    audience_roles = forms.MultipleChoiceField(
        label="Audience",
        choices=StakeholderRole.choices,
        widget=forms.CheckboxSelectMultiple,
        help_text="Every stakeholder with one of these roles receives it.",
    )

    class Meta:
        model = Communication
        fields = ["audience_roles", "subject", "message", "channel", "send_at"]
        widgets = {"message": forms.Textarea(attrs={"rows": 3}), "send_at": DateTimeInput()}
        labels = {"send_at": "Send at"}


class MonitoringCheckForm(ShapeOnlyModelForm):
    class Meta:
        model = MonitoringCheck
        fields = ["description", "owner", "frequency"]


class RollbackStepForm(ShapeOnlyModelForm):
    class Meta:
        model = RollbackStep
        fields = ["title", "owner"]


class WaveForm(ShapeOnlyModelForm):
    # Empty at class level: the tenant scope only exists per request; __init__ sets it.
    members = forms.ModelMultipleChoiceField(
        queryset=Stakeholder.objects.none(),
        required=False,
        widget=forms.CheckboxSelectMultiple,
        help_text="The stakeholders who move to the new system in this wave.",
    )

    class Meta:
        model = Wave
        fields = ["name", "planned_start", "planned_end", "go_criteria", "members"]
        widgets = {
            "planned_start": DateInput(),
            "planned_end": DateInput(),
            "go_criteria": forms.Textarea(attrs={"rows": 3}),
        }

    def __init__(self, *args, engagement: Engagement, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["members"].queryset = Stakeholder.objects.filter(engagement=engagement)

    def clean(self) -> dict:
        data = super().clean()
        start, end = data.get("planned_start"), data.get("planned_end")
        if start and end and end < start:
            self.add_error("planned_end", "A wave cannot end before it starts.")
        return data


class WaveDecisionForm(forms.Form):
    decision = forms.ChoiceField(
        choices=[("go", "Go"), ("no_go", "No-go")], widget=forms.RadioSelect
    )
    reason = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 3}),
        help_text="Recorded with the decision: which go criteria are met, or why not.",
    )


class PilotFeedbackForm(ShapeOnlyModelForm):
    class Meta:
        model = PilotFeedback
        fields = ["text", "source", "fix"]
        widgets = {"text": forms.Textarea(attrs={"rows": 2})}
        labels = {"text": "Feedback"}
        help_texts = {"fix": "The change or ticket that answers it, if any."}


class IncidentForm(ShapeOnlyModelForm):
    class Meta:
        model = Incident
        fields = ["title", "description", "category", "severity"]
        widgets = {"description": forms.Textarea(attrs={"rows": 3})}


class IncidentUpdateForm(forms.Form):
    status = forms.ChoiceField(choices=IncidentStatus.choices)
    # Empty at class level: the tenant scope only exists per request; __init__ sets it.
    assignee = forms.ModelChoiceField(queryset=User.objects.none(), required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["assignee"].queryset = consultant_choices()
        self.fields["assignee"].label_from_instance = lambda user: str(user)
