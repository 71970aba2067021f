"""Forms of Phase 6's training. They validate shape; `enablement.services.training` saves.

The quiz a client user answers in the portal is not a Django form: its questions are data, so
the portal reads one radio group per question (see `enablement.portal`)."""

from django import forms

from enablement.models import EnablementSettings, TrainingModule
from enablement.services.training import MAX_CHOICES
from engagements.forms import ShapeOnlyModelForm
from engagements.models import StakeholderRole


class EnablementSettingsForm(ShapeOnlyModelForm):
    class Meta:
        model = EnablementSettings
        fields = ["completion_threshold"]
        help_texts = {
            "completion_threshold": "The share of each role's assigned modules that must be "
            "completed before the phase can be sent for sign-off."
        }


class ModuleForm(ShapeOnlyModelForm):
    class Meta:
        model = TrainingModule
        fields = ["role", "title", "summary", "minutes", "pass_mark", "content"]
        labels = {"role": "For role", "summary": "One-line summary", "content": "Content"}
        widgets = {"content": forms.Textarea(attrs={"rows": 12, "class": "markdown"})}
        help_texts = {
            "content": "Markdown: ## headings, **bold**, lists, links, | tables |. Scripts and "
            "styles are removed when it is shown.",
            "pass_mark": "Used when the module has a quiz: the score needed to complete it.",
        }


class QuestionForm(forms.Form):
    """A question with up to six answers typed in numbered boxes, and which one is correct."""

    text = forms.CharField(label="Question", max_length=500)
    correct = forms.TypedChoiceField(
        label="Correct answer",
        coerce=int,
        choices=[(i, f"Answer {i + 1}") for i in range(MAX_CHOICES)],
        widget=forms.RadioSelect,
        initial=0,
    )

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        for index in range(MAX_CHOICES):
            self.fields[f"choice_{index}"] = forms.CharField(
                label=f"Answer {index + 1}",
                max_length=300,
                required=index < 2,
            )

    @property
    def choice_fields(self) -> list:
        return [self[f"choice_{index}"] for index in range(MAX_CHOICES)]

    def choices(self) -> list[str]:
        return [self.cleaned_data.get(f"choice_{index}", "") for index in range(MAX_CHOICES)]


class AttachmentForm(forms.Form):
    file = forms.FileField(label="File to attach")


class AssignForm(forms.Form):
    role = forms.ChoiceField(
        label="Assign every module of", choices=StakeholderRole.choices, required=True
    )
