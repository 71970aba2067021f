"""Periodic (Celery beat) work goes firm by firm and engagement by engagement, so that one
failure never stops the rest: the failure is logged, and the next scheduled run tries that
firm or engagement again (each job's services are idempotent)."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from typing import TypeVar

from engagements.models import Engagement, Firm
from engagements.tenancy import tenant_scope

logger = logging.getLogger(__name__)

T = TypeVar("T")


def each_firm(work: Callable[[Firm], T], what: str) -> list[T]:
    """Run `work` for each firm inside its own scope and return what it returned, for the
    firms where it did not fail. One firm's failure is logged and the others go on."""
    results = []
    # Cross-tenant on purpose: beat has no firm; each firm's work runs inside its own scope.
    for firm in Firm.objects.order_by("pk"):
        with tenant_scope(firm):
            try:
                results.append(work(firm))
            except Exception:
                logger.exception("%s failed for firm %s; the next run retries it", what, firm.pk)
    return results


def each_engagement(
    engagements: Callable[[], Iterable[Engagement]],
    work: Callable[[Engagement], object],
    what: str,
) -> None:
    """Run `work` on each engagement `engagements()` lists, firm by firm, each in its firm's
    scope. One engagement's failure (or one firm's listing) is logged and the others go on."""

    def each_of_the_firm(firm: Firm) -> None:
        for engagement in list(engagements()):
            try:
                work(engagement)
            except Exception:
                logger.exception(
                    "%s failed for engagement %s (%s) of firm %s; the next run retries it",
                    what, engagement.public_id, engagement.name, firm.pk,
                )  # fmt: skip

    each_firm(each_of_the_firm, what)
