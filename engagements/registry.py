"""The phase registry: each phase app declares its gate here from its AppConfig.ready.

`engagements` never imports a phase app; a phase whose app has not registered shows as
"not available" instead of breaking the pages.
"""

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from engagements.phases import Phase


@dataclass(frozen=True)
class Check:
    """One readiness rule: a short label when it passes, and when it fails, what to do about it
    in words a consultant can act on."""

    passed: bool
    label: str
    todo: str
    available: bool = True
    """False for a rule whose data comes from a part not built yet: shown, but not required."""

    @property
    def message(self) -> str:
        return self.label if self.passed else self.todo

    @property
    def blocks(self) -> bool:
        return self.available and not self.passed


@dataclass(frozen=True)
class PhaseSpec:
    phase: Phase
    readiness: Callable[..., list[Check]]
    """readiness(engagement) -> every check, passed or not."""
    snapshot: Callable[..., dict]
    """snapshot(engagement) -> the phase's artifacts as JSON-ready data: {section: [item, …]}."""
    workspace_url_name: str
    portal_url_name: str
    portal_template: str
    """The phase's portal page; it includes portal/_signoff_panel.html."""
    portal_context: Callable[..., dict]
    """portal_context(engagement, stakeholder) -> what the portal page shows that stakeholder."""


_specs: dict[Phase, PhaseSpec] = {}


def register(spec: PhaseSpec) -> None:
    _specs[spec.phase] = spec


def spec_for(phase: str) -> PhaseSpec | None:
    return _specs.get(Phase(phase))


def registered_spec(phase: str) -> PhaseSpec:
    """The spec of a phase known to be registered (one the engagement has reached)."""
    spec = spec_for(phase)
    if spec is None:
        raise LookupError(f"No phase app has registered {phase!r}.")
    return spec


def is_available(phase: str) -> bool:
    return Phase(phase) in _specs


# --- document kinds -----------------------------------------------------------------------------


def approvers(stakeholder: Any) -> bool:
    """The default audience of most documents: the approvers, who sign the phase off."""
    return bool(stakeholder.is_approver)


@dataclass(frozen=True)
class DocumentKind:
    """A versioned PDF of a phase, declared once (from the phase app's AppConfig.ready). The
    shared pipeline (`engagements.services.documents`), views (`engagements.document_pages`),
    tasks, templates (`documents/`) and email give every kind render, progress, retry,
    download, send with delivery records, and portal download."""

    slug: str
    """In URLs and delivery keys ("report" → `report:<version id>:<address>`)."""
    label: str
    """Its name as a title: "Diagnostic report"."""
    noun: str
    """Its name in a sentence: "the {noun} is attached"."""
    phase: Phase
    model: type[Any]
    """A DocumentVersion subclass with an `engagement` foreign key."""
    template: str
    """The PDF template; it extends documents/pdf/base.html."""
    context: Callable[..., dict]
    """context(engagement, version_number=…) -> what the template needs."""
    page_url_name: str
    """The workspace page that shows the versions (documents/_versions.html)."""
    summary: str
    """What is in it, in one sentence for the email: "what we found, …"."""
    recipients: Callable[[Any], bool] = approvers
    """recipients(stakeholder) -> ticked by default in the send form."""
    in_portal: bool = True
    """Versions sent to someone are downloadable by the engagement's portal stakeholders."""
    folder: str = ""
    """Storage folder of its PDFs; by default `documents/<slug>`."""
    job_kind: str = ""
    """The Job.kind of its renders; by default the slug."""
    anchor: str = ""
    """The versions section's id on its page, so actions come back to it."""

    @property
    def storage_folder(self) -> str:
        return self.folder or f"documents/{self.slug}"

    @property
    def render_job_kind(self) -> str:
        return self.job_kind or self.slug

    def delivery_prefix(self, version: Any) -> str:
        return f"{self.slug}:{version.public_id}:"


_documents: dict[str, DocumentKind] = {}


def register_document(kind: DocumentKind) -> None:
    _documents[kind.slug] = kind


def document_kind(slug: str) -> DocumentKind | None:
    return _documents.get(slug)


def document_kinds(*, phase: str | None = None) -> list[DocumentKind]:
    """Every registered kind (of `phase`), in phase order."""
    order = list(Phase)
    kinds = sorted(_documents.values(), key=lambda kind: order.index(kind.phase))
    return [kind for kind in kinds if phase is None or kind.phase == phase]


# --- what waits on whom ------------------------------------------------------------------------

CLIENT, STAFF = "client", "staff"


@dataclass(frozen=True)
class WaitingKind:
    """One kind of item that waits on a person ("training to take", "incidents past their
    response target"), contributed by the app that owns its data (`engagements.waiting`).

    `items` is called once per page with every record in scope, so its cost never depends on how
    many engagements or items there are: for the client audience, items(stakeholders) with the
    signed-in user's portal stakeholder records (each with its engagement loaded); for the staff
    audience, items(engagements) with the active engagements in view.
    """

    kind: str
    label: str
    """The heading of the group on "My work" or in the portal, e.g. "Training to take"."""
    audience: str
    items: Callable[..., list]


_waiting: dict[str, WaitingKind] = {}


def register_waiting(kind: WaitingKind) -> None:
    _waiting[kind.kind] = kind


def waiting_kinds(audience: str) -> list[WaitingKind]:
    """In registration order: the gate's own kinds first, then each phase's in phase order."""
    return [kind for kind in _waiting.values() if kind.audience == audience]


def waiting_kind(kind: str) -> WaitingKind | None:
    return _waiting.get(kind)
