"""Forms of Phase 6's handoff. They validate shape; `enablement.services.handoff` saves."""

from django import forms

from enablement.models import AccessTransfer, DocumentTransfer, OpenItem, SupportPlan
from engagements.forms import DateInput, ShapeOnlyModelForm


class DocumentTransferForm(ShapeOnlyModelForm):
    class Meta:
        model = DocumentTransfer
        fields = ["title", "location", "recipient", "transferred_on"]
        widgets = {"transferred_on": DateInput()}
        help_texts = {"transferred_on": "Leave empty until it is in the client's hands."}


class AccessTransferForm(ShapeOnlyModelForm):
    class Meta:
        model = AccessTransfer
        fields = ["system", "account", "previous_owner", "new_owner", "moved_on", "notes"]
        labels = {"moved_on": "Moved on"}
        widgets = {"moved_on": DateInput()}
        help_texts = {
            "previous_owner": "Who holds it now, e.g. our admin account",
            "moved_on": "Leave empty until the client owns it.",
        }


class OpenItemForm(ShapeOnlyModelForm):
    class Meta:
        model = OpenItem
        fields = ["title", "owner", "due_on", "status", "resolution"]
        widgets = {"due_on": DateInput()}
        help_texts = {"resolution": "How it was resolved, or what the client takes over."}


class SupportPlanForm(ShapeOnlyModelForm):
    class Meta:
        model = SupportPlan
        fields = ["model", "retainer_hours", "cadence", "client_owner", "starts_on", "details"]
        widgets = {
            "model": forms.RadioSelect,
            "starts_on": DateInput(),
            "details": forms.Textarea(attrs={"rows": 4}),
        }
        help_texts = {
            "retainer_hours": "For a retainer.",
            "cadence": "For periodic health checks.",
            "client_owner": "Required for self-service; helpful for every model.",
        }

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        # A radio list of three, no empty "---------" choice.
        self.fields["model"].choices = [c for c in self.fields["model"].choices if c[0] != ""]
