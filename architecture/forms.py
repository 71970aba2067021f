"""Forms validate the shape of Phase 3 input; services decide and save."""

from django import forms

from architecture.models import (
    Capability,
    Decision,
    Integration,
    ReportingItem,
    Stage,
    Vendor,
)
from diagnostics.models import Finding
from engagements.forms import ShapeOnlyModelForm
from engagements.models import Engagement, Stakeholder, StakeholderRole, SuccessMetric, Tool


def _findings(engagement: Engagement):
    return Finding.objects.filter(engagement=engagement)


class ToolDecisionForm(forms.Form):
    decision = forms.ChoiceField(choices=Decision.choices)
    consolidate_into = forms.ModelChoiceField(
        queryset=Tool.objects.none(), required=False, label="Consolidate into"
    )
    replaced_by = forms.ModelChoiceField(
        queryset=Capability.objects.none(), required=False, label="Replaced by"
    )
    rationale = forms.CharField(widget=forms.Textarea(attrs={"rows": 2}))
    findings = forms.ModelMultipleChoiceField(
        queryset=Finding.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Findings behind it",
    )

    def __init__(
        self, *args, tool: Tool, tools: list, capabilities: list, findings: list, **kwargs
    ):
        """The choice lists come in loaded once for every tool's form on the page."""
        super().__init__(*args, **kwargs)
        self.fields["consolidate_into"].queryset = Tool.objects.filter(
            pk__in=[t.pk for t in tools if t.pk != tool.pk]
        )
        self.fields["consolidate_into"].choices = [("", "—")] + [
            (t.pk, t.name) for t in tools if t.pk != tool.pk
        ]
        self.fields["replaced_by"].queryset = Capability.objects.filter(
            pk__in=[c.pk for c in capabilities]
        )
        self.fields["replaced_by"].choices = [("", "—")] + [(c.pk, str(c)) for c in capabilities]
        self.fields["findings"].queryset = Finding.objects.filter(pk__in=[f.pk for f in findings])
        self.fields["findings"].choices = [(f.pk, f.title) for f in findings]


class CapabilityForm(ShapeOnlyModelForm):
    findings = forms.ModelMultipleChoiceField(
        queryset=Finding.objects.none(),
        widget=forms.CheckboxSelectMultiple,
        required=False,
        label="Gaps it closes",
    )

    class Meta:
        model = Capability
        fields = ["name", "tool_name", "monthly_cost", "seats", "is_new_tool", "findings"]

    def __init__(self, *args, engagement: Engagement, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["findings"].queryset = _findings(engagement)


class StageForm(ShapeOnlyModelForm):
    roles = forms.MultipleChoiceField(
        choices=StakeholderRole.choices, widget=forms.CheckboxSelectMultiple, required=False,
        label="Roles that act",
    )  # fmt: skip

    class Meta:
        model = Stage
        fields = ["name", "system_of_record", "roles", "automated_steps", "manual_steps"]
        widgets = {
            "automated_steps": forms.Textarea(attrs={"rows": 2}),
            "manual_steps": forms.Textarea(attrs={"rows": 2}),
        }


class IntegrationForm(ShapeOnlyModelForm):
    class Meta:
        model = Integration
        fields = [
            "source_system", "target_system", "objects_carried", "direction", "trigger",
            "is_automated", "owner",
        ]  # fmt: skip


class ReportingItemForm(ShapeOnlyModelForm):
    success_metric = forms.ModelChoiceField(
        queryset=SuccessMetric.objects.none(), required=False, label="Phase 1 success metric"
    )

    class Meta:
        model = ReportingItem
        fields = ["name", "sources", "success_metric"]

    def __init__(self, *args, engagement: Engagement, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["success_metric"].queryset = SuccessMetric.objects.filter(engagement=engagement)


class EvaluationForm(forms.Form):
    title = forms.CharField(max_length=200, help_text="What is being chosen, e.g. CRM platform")
    capability = forms.ModelChoiceField(
        queryset=Capability.objects.none(), required=False, label="For the new capability"
    )

    def __init__(self, *args, engagement: Engagement, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["capability"].queryset = Capability.objects.filter(engagement=engagement)


class VendorForm(forms.Form):
    name = forms.CharField(max_length=200, label="Vendor")
    notes = forms.CharField(required=False, max_length=2000)


class EvaluatorsForm(forms.Form):
    stakeholders = forms.ModelMultipleChoiceField(
        queryset=Stakeholder.objects.none(), widget=forms.CheckboxSelectMultiple, required=False,
        label="Client evaluators (score in the portal)",
    )  # fmt: skip

    def __init__(self, *args, engagement: Engagement, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["stakeholders"].queryset = Stakeholder.objects.filter(
            engagement=engagement, has_portal_access=True
        )


class RecommendationForm(forms.Form):
    vendor = forms.ModelChoiceField(
        queryset=Tool.objects.none(), required=False, label="Recommended vendor"
    )
    text = forms.CharField(
        widget=forms.Textarea(attrs={"rows": 4}), label="Recommendation and rationale"
    )

    def __init__(self, *args, vendors: list, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.fields["vendor"].queryset = Vendor.objects.filter(pk__in=[v.pk for v in vendors])
        self.fields["vendor"].choices = [("", "—")] + [(v.pk, v.name) for v in vendors]
