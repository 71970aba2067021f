"""The handoff pack's context (its template and PDF: `enablement.documents`): training by role
and its completion, the documentation transferred, the access consolidated, the open items and
the ongoing support model.

Read in a fixed number of queries whatever the size of the pack. The caller sets the tenant
scope; every query goes through the scoped managers, so another firm's engagement is not found.
"""

from __future__ import annotations

from datetime import date
from typing import Any

from django.utils import timezone

from enablement.charts import completion_chart_svg
from enablement.models import AccessTransfer, DocumentTransfer, OpenItem, SupportPlan
from enablement.selectors.training import (
    completion_summary,
    completion_threshold,
    module_list,
    modules_by_role,
)
from engagements.models import Engagement, Stakeholder


def handoff_pack_context(
    engagement: Engagement, *, version_number: int, today: date | None = None
) -> dict[str, Any]:
    """Everything the handoff pack template needs, in ten queries. `today` pins the date."""
    engagement = Engagement.objects.select_related("firm", "client", "lead_consultant").get(
        pk=engagement.pk
    )
    modules = module_list(engagement=engagement)
    completion = completion_summary(engagement=engagement)
    return {
        "engagement": engagement,
        "client": engagement.client,
        "firm": engagement.firm,
        "lead_consultant": engagement.lead_consultant,
        "version_number": version_number,
        "generated_on": today or timezone.localdate(),
        "training": [group for group in modules_by_role(modules) if group["modules"]],
        "module_count": len(modules),
        "completion": completion,
        "chart": completion_chart_svg(completion),
        "threshold": completion_threshold(engagement=engagement),
        "documents": list(DocumentTransfer.objects.filter(engagement=engagement)),
        "access": list(AccessTransfer.objects.filter(engagement=engagement)),
        "open_items": list(OpenItem.objects.filter(engagement=engagement)),
        "support": SupportPlan.objects.filter(engagement=engagement).first(),
        "approvers": list(Stakeholder.objects.filter(engagement=engagement, is_approver=True)),
    }
