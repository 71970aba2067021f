"""Forms validate the shape of input; services decide and save."""

from django import forms
from django.contrib.auth.forms import AuthenticationForm
from django.core.exceptions import FieldDoesNotExist, ValidationError

from engagements.models import (
    Charter,
    Client,
    Engagement,
    GateSettings,
    HeadcountLine,
    Meeting,
    Milestone,
    PainPoint,
    RoleExclusion,
    Stakeholder,
    StakeholderRole,
    SuccessMetric,
    Tool,
    User,
)
from engagements.phases import WORKING_PHASES, Phase
from engagements.registry import DocumentKind
from engagements.selectors import client_list, consultant_choices


class ShapeOnlyModelForm(forms.ModelForm):
    """A ModelForm that validates input but never touches its instance: services save."""

    def _post_clean(self) -> None:
        # Instead of ModelForm's instance construction and full_clean, run only each model
        # field's own validators (ranges, formats) on the cleaned values.
        for name, value in list(self.cleaned_data.items()):
            try:
                field = self._meta.model._meta.get_field(name)
            except FieldDoesNotExist:
                continue
            if value in field.empty_values:
                continue
            try:
                field.run_validators(value)
            except ValidationError as error:
                self.add_error(name, error)


def limit_to_engagement(form: forms.BaseForm, engagement: Engagement, **fields) -> None:
    """Set each named choice field's queryset to the engagement's rows of the given model.

    Done per form instance, never at class level: the tenant scope exists only per request."""
    for name, model in fields.items():
        form.fields[name].queryset = model.objects.filter(engagement=engagement)


class SignInForm(AuthenticationForm):
    username = forms.EmailField(
        label="Email", widget=forms.EmailInput(attrs={"autofocus": True, "autocomplete": "email"})
    )


class ClientForm(forms.ModelForm):
    website = forms.URLField(required=False, assume_scheme="https")

    class Meta:
        model = Client
        fields = ["name", "industry", "website"]


class DateInput(forms.DateInput):
    input_type = "date"


class EngagementForm(ShapeOnlyModelForm):
    # Declared with empty querysets: building them from the model would query the scoped
    # manager at import time, when no tenant exists. __init__ sets the real ones.
    client = forms.ModelChoiceField(queryset=Client.objects.none())
    lead_consultant = forms.ModelChoiceField(queryset=User.objects.none(), required=False)

    class Meta:
        model = Engagement
        fields = ["client", "name", "lead_consultant", "status", "start_date", "target_date"]
        widgets = {"start_date": DateInput(), "target_date": DateInput()}

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # Querysets are set here, not at class level: the tenant scope exists only per request.
        self.fields["client"].queryset = client_list()
        self.fields["lead_consultant"].queryset = consultant_choices()
        self.fields["lead_consultant"].label_from_instance = lambda user: str(user)

    def clean(self) -> dict:
        data = super().clean()
        start, target = data.get("start_date"), data.get("target_date")
        if start and target and target < start:
            self.add_error("target_date", "The target date cannot be before the start date.")
        return data


class StakeholderForm(ShapeOnlyModelForm):
    class Meta:
        model = Stakeholder
        fields = ["name", "email", "title", "role", "is_approver", "has_portal_access"]
        help_texts = {"is_approver": "Signs off phases in the portal (implies portal access)."}


class EngagementFilterForm(forms.Form):
    client = forms.ModelChoiceField(
        queryset=Client.objects.none(),
        required=False,
        empty_label="All clients",
        to_field_name="public_id",
    )
    phase = forms.ChoiceField(required=False)

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = client_list()
        self.fields["phase"].choices = [("", "All phases")] + [
            (p.value, p.label) for p in (*WORKING_PHASES, Phase.CLOSED)
        ]


class PortfolioFilterForm(forms.Form):
    """The portfolio's filters and sort order; every field is optional."""

    mine = forms.BooleanField(required=False, label="Engagements I lead")
    overdue = forms.BooleanField(required=False, label="Overdue sign-offs")
    stalled_days = forms.IntegerField(
        required=False,
        min_value=1,
        max_value=3650,
        label="In phase more than (days)",
        widget=forms.NumberInput(attrs={"placeholder": "e.g. 30", "inputmode": "numeric"}),
    )
    phase = forms.ChoiceField(required=False)
    client = forms.ModelChoiceField(
        queryset=Client.unscoped.none(),
        required=False,
        empty_label="All clients",
        to_field_name="public_id",
    )
    sort = forms.ChoiceField(required=False, label="Sort by")

    def __init__(self, *args, **kwargs) -> None:
        from engagements.portfolio import SORTS

        super().__init__(*args, **kwargs)
        self.fields["client"].queryset = client_list()
        self.fields["phase"].choices = [("", "All phases")] + [
            (p.value, p.label) for p in (*WORKING_PHASES, Phase.CLOSED)
        ]
        self.fields["sort"].choices = list(SORTS.items())


class InviteConsultantForm(forms.Form):
    email = forms.EmailField()


class AcceptInvitationForm(forms.Form):
    full_name = forms.CharField(max_length=200, label="Your full name")
    password1 = forms.CharField(
        label="Choose a password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )
    password2 = forms.CharField(
        label="Repeat the password",
        widget=forms.PasswordInput(attrs={"autocomplete": "new-password"}),
    )

    def clean(self) -> dict:
        data = super().clean()
        if data.get("password1") and data.get("password1") != data.get("password2"):
            self.add_error("password2", "The two passwords do not match.")
        return data


# --- Phase 1: the alignment charter ------------------------------------------------------------


class CharterSummaryForm(ShapeOnlyModelForm):
    class Meta:
        model = Charter
        fields = [
            "current_process",
            "sales_motion",
            "goals",
            "project_purpose",
            "scope_in",
            "scope_out",
        ]
        widgets = {
            name: forms.Textarea(attrs={"rows": 3})
            for name in ["current_process", "goals", "project_purpose", "scope_in", "scope_out"]
        }


class HeadcountForm(ShapeOnlyModelForm):
    class Meta:
        model = HeadcountLine
        fields = ["role", "team", "headcount"]


class ToolForm(ShapeOnlyModelForm):
    class Meta:
        model = Tool
        fields = [
            "name",
            "category",
            "monthly_cost",
            "seats",
            "owner",
            "satisfaction",
            "is_system_of_record",
        ]


class PainPointForm(ShapeOnlyModelForm):
    class Meta:
        model = PainPoint
        fields = ["role", "description", "severity"]


class SuccessMetricForm(ShapeOnlyModelForm):
    class Meta:
        model = SuccessMetric
        fields = ["name", "unit", "baseline", "target", "measurement", "due_date"]
        widgets = {"due_date": DateInput()}


class MilestoneForm(ShapeOnlyModelForm):
    class Meta:
        model = Milestone
        fields = ["phase", "title", "due_date"]
        widgets = {"due_date": DateInput()}


class MeetingForm(ShapeOnlyModelForm):
    attendee_roles = forms.MultipleChoiceField(
        choices=StakeholderRole.choices, widget=forms.CheckboxSelectMultiple, label="Attendee roles"
    )

    class Meta:
        model = Meeting
        fields = ["name", "attendee_roles", "cadence", "channel"]


class RoleExclusionForm(ShapeOnlyModelForm):
    class Meta:
        model = RoleExclusion
        fields = ["role", "reason"]
        labels = {"role": "Role out of scope", "reason": "Why it is out of scope"}


class SignoffRequestForm(forms.Form):
    due_date = forms.DateField(
        label="Decision due by",
        required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
        help_text="The approvers are reminded before this day and chased after it.",
    )


class GateSettingsForm(forms.ModelForm):
    """Shape only: the service validates the ranges and saves."""

    class Meta:
        model = GateSettings
        fields = [
            "due_business_days",
            "reminder_enabled",
            "reminder_days_before",
            "overdue_enabled",
            "escalation_enabled",
            "escalation_days_after_due",
        ]
        help_texts = {
            "due_business_days": "Proposed when a consultant requests sign-off; they may change "
            "it per request.",
            "reminder_enabled": "Each approver who has not decided is reminded before the due "
            "date.",
            "overdue_enabled": "Each approver who has not decided is told the day after it.",
            "escalation_enabled": "The lead consultant and the client's leadership approvers "
            "hear of a late approver.",
        }


class NotificationSettingsForm(forms.Form):
    wants_daily_digest = forms.BooleanField(
        label="One daily email of what waits on me, instead of a reminder for each item",
        required=False,
    )


class ReopenForm(forms.Form):
    reason = forms.CharField(
        label="Why reopen it?", widget=forms.Textarea(attrs={"rows": 2}), max_length=1000
    )


class ApproveForm(forms.Form):
    typed_name = forms.CharField(label="Type your full name to approve", max_length=200)
    comment = forms.CharField(
        label="Comment (optional)", required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    reviewed_digest = forms.CharField(widget=forms.HiddenInput)


class RejectForm(forms.Form):
    comment = forms.CharField(
        label="Why do you reject it?", widget=forms.Textarea(attrs={"rows": 2}), max_length=2000
    )
    reviewed_digest = forms.CharField(widget=forms.HiddenInput)


class SendDocumentForm(forms.Form):
    """The stakeholders to send a document version to; the kind says who is ticked at first."""

    recipients = forms.ModelMultipleChoiceField(
        queryset=Stakeholder.unscoped.none(), widget=forms.CheckboxSelectMultiple,
        label="Send to", required=False,
    )  # fmt: skip

    def __init__(self, *args, engagement: Engagement, kind: DocumentKind, **kwargs) -> None:
        kwargs.setdefault("prefix", "send")
        super().__init__(*args, **kwargs)
        limit_to_engagement(self, engagement, recipients=Stakeholder)
        if not self.is_bound:
            self.initial["recipients"] = [
                s.pk for s in self.fields["recipients"].queryset if kind.recipients(s)
            ]
