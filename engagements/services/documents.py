"""Versioned PDF documents (the diagnostic report, the architecture blueprint, …): one pipeline
for requesting a version, rendering it in the background, sending it and delivering the emails.

A document model is a tenant model with `engagement`, `number` (1, 2, … per engagement), `job`
(a Job, one-to-one), `requested_by`, `file` (a name in the default storage), `digest`, `size`,
`page_count`, and the properties `is_ready` and `filename`. Each phase app keeps its own model,
its own Celery tasks and its own template, and calls these functions from thin wrappers.

Deliveries are OutboundEmail rows whose dedupe key is the version's prefix (its own namespace,
e.g. "report:<public id>:") followed by the recipient's address: one row per person and version,
written before anything is sent, so neither a second send nor a retried task sends twice.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from functools import reduce
from operator import or_
from typing import Any, Protocol, TypeVar

from django.conf import settings
from django.core.files.base import ContentFile
from django.core.files.storage import default_storage
from django.db import InterfaceError, OperationalError, models
from django.db.models import Q

from engagements.errors import ApplicationError
from engagements.models import EmailStatus, Engagement, OutboundEmail, Stakeholder, User
from engagements.services import email_deliver, email_write
from engagements.services.jobs import (
    job_create,
    job_enqueue,
    job_fail,
    job_progress,
    job_requeue,
    job_retry_allowed,
    job_start,
    job_succeed,
)
from engagements.services.signoffs import phase_edit, signoff_refresh_staleness
from engagements.taskpolicy import enqueue_on_commit

logger = logging.getLogger(__name__)

Progress = Callable[[int, str], None]
"""progress(percent, step): where a render is, written to the version's job record."""

RenderPdf = Callable[[Engagement, int, Progress], tuple[bytes, int]]
"""render_pdf(engagement, version_number, progress) -> (PDF bytes, page count)."""


class Task(Protocol):
    name: str

    def delay(self, version_id: int, firm_id: int) -> Any: ...


V = TypeVar("V", bound=models.Model)


def document_request(
    *, model: type[V], engagement: Engagement, phase: str, actor: User, kind: str, task: Task
) -> V:
    """Create the next version (v1, v2, …) with its job record, and queue `task` to render it
    once this transaction commits. The engagement row is locked, so two requests at once get
    distinct numbers."""
    with phase_edit(engagement=engagement, phase=phase, actor=actor) as locked:
        last = model.objects.filter(engagement=locked).order_by("-number").first()
        version = model.objects.create(
            firm=locked.firm,
            engagement=locked,
            number=(last.number if last else 0) + 1,
            requested_by=actor,
            job=job_create(engagement=locked, kind=kind),
        )
        job_enqueue(job=version.job, task=task, args=(version.pk, locked.firm_id))
    return version


def document_retry(*, version: V, task: Task) -> V:
    """Queue a failed render again. A stored or still running version is refused."""
    if version.is_ready:
        raise ApplicationError(f"{version} is already rendered.")
    if not job_retry_allowed(job=version.job):
        raise ApplicationError(f"{version} is still rendering.")
    job_requeue(job=version.job)
    job_enqueue(job=version.job, task=task, args=(version.pk, version.firm_id))
    return version


def document_render(*, version: V, render_pdf: RenderPdf, folder: str = "documents") -> V:
    """Render one version to PDF and store it under `folder/`. Safe to run again: a stored
    version is kept as it is. A failure is written to the job record, not raised."""
    if version.is_ready:
        return version
    job = version.job
    engagement = version.engagement
    job_start(job=job)
    try:
        pdf, pages = render_pdf(
            engagement,
            version.number,
            lambda percent, step: job_progress(job=job, percent=percent, step=step),
        )
        job_progress(job=job, percent=95, step="Storing the PDF")
        name = default_storage.save(
            f"{folder}/{engagement.public_id}/v{version.number}-{uuid.uuid4().hex[:8]}.pdf",
            ContentFile(pdf),
        )
    except (OperationalError, InterfaceError):
        raise  # the connection was lost: the task policy retries, or fails the job
    except Exception as error:
        # The job record is what the consultant sees: it shows the error and offers a retry.
        # Rendering errors usually come from the data, so nothing retries on its own.
        logger.exception("Rendering %s failed", version)
        job_fail(job=job, error=f"{type(error).__name__}: {error}")
        return version
    type(version).objects.filter(pk=version.pk).update(
        file=name, digest=hashlib.sha256(pdf).hexdigest(), size=len(pdf), page_count=pages
    )
    job_succeed(job=job, step=f"{pages} pages")
    version.refresh_from_db()
    return version


def document_send(
    *,
    version: V,
    phase: str,
    actor: User,
    recipients: Sequence[Stakeholder],
    template: str,
    link: str,
    prefix: str,
    deliver_task: Task,
    extra_context: dict | None = None,
) -> list[OutboundEmail]:
    """Write one delivery record per recipient now, then send them in the background.

    A recipient who already has this version (sent or queued) is not written again, so
    sending twice, or a retried job, never sends the same version to the same person twice.
    The PDF is attached when it is under REPORT_ATTACHMENT_MAX_BYTES; `link` (the portal) is
    always in the email. The template gets version, engagement, sender, recipient, link and
    attached, plus `extra_context`.
    """
    if not version.is_ready:
        raise ApplicationError("This version has not been rendered yet.")
    if not recipients:
        raise ApplicationError(
            "Choose at least one stakeholder to send this version to.", field="recipients"
        )
    attach = version.size <= settings.REPORT_ATTACHMENT_MAX_BYTES
    rows = []
    with phase_edit(engagement=version.engagement, phase=phase, actor=actor):
        for stakeholder in recipients:
            email, _ = email_write(
                firm=version.firm,
                dedupe_key=f"{prefix}{stakeholder.email}",
                to=stakeholder.email,
                template=template,
                context={
                    **(extra_context or {}),
                    "version": version,
                    "engagement": version.engagement,
                    "sender": actor,
                    "recipient": stakeholder,
                    "link": link,
                    "attached": attach,
                },
                attachment=version.file if attach else "",
                attachment_name=version.filename if attach else "",
            )
            rows.append(email)
        # If the broker is down the rows wait, queued; the outbox sweeper sends them.
        enqueue_on_commit(deliver_task, (version.pk, version.firm_id))
    return rows


def document_deliver(*, version: V, prefix: str) -> None:
    """Send every pending delivery of a version; sent ones are skipped, so a retry after a
    failure part-way sends only to those who have not received it. One refused recipient does
    not hold up the others: the first failure is raised after everyone else was tried."""
    pending = (
        OutboundEmail.objects.filter(dedupe_key__startswith=prefix)
        .exclude(status=EmailStatus.SENT)
        .order_by("id")
    )
    failures = []
    for email in pending:
        try:
            email_deliver(outbound_email_id=email.pk)
        except OSError as error:
            failures.append(error)
    # Sending makes this the latest sent version: the phase's snapshot may have changed.
    signoff_refresh_staleness(engagement=version.engagement, actor=None)
    if failures:
        raise failures[0]


def _deliveries_by_prefix(
    prefixes: Iterable[str], **filters: Any
) -> dict[str, list[OutboundEmail]]:
    """The delivery rows of each prefix, in one query."""
    prefixes = set(prefixes)
    if not prefixes:
        return {}
    rows = OutboundEmail.objects.filter(
        reduce(or_, (Q(dedupe_key__startswith=prefix) for prefix in prefixes)), **filters
    ).order_by("to")
    # Prefixes are matched whole (an address may contain ":"); they come in few lengths.
    lengths = {len(prefix) for prefix in prefixes}
    found: dict[str, list[OutboundEmail]] = {}
    for row in rows:
        for length in lengths:
            if row.dedupe_key[:length] in prefixes:
                found.setdefault(row.dedupe_key[:length], []).append(row)
                break
    return found


def with_deliveries(versions: list[V], prefix_of: Callable[[V], str]) -> list[V]:
    """Attach each version's delivery records (one query for all) as `delivery_list`."""
    found = _deliveries_by_prefix(prefix_of(v) for v in versions)
    for version in versions:
        version.delivery_list = found.get(prefix_of(version), [])
    return versions


def sent_versions(versions: Iterable[V], prefix_of: Callable[[V], str]) -> list[V]:
    """The rendered versions among `versions` that reached at least one recipient, in the
    order given: what the client may download from the portal (one query)."""
    rendered = [v for v in versions if v.is_ready]
    found = _deliveries_by_prefix((prefix_of(v) for v in rendered), status=EmailStatus.SENT)
    return [v for v in rendered if prefix_of(v) in found]
