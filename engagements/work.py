"""My work: what waits on the firm's consultants, across the engagements they lead (an owner:
every engagement of the firm, or only theirs)."""

from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import render

from engagements import registry
from engagements.access import workspace_view
from engagements.waiting import (
    READINESS_LIMIT,
    group_by_kind,
    staff_engagements,
    waiting_for_staff,
)

GROUP_LIMIT = 8
"""Items shown under each heading; the rest are one link away ("and N more")."""
PAGE_SIZE = 25
"""Items per page when one kind is shown whole."""


@workspace_view
def my_work(request: HttpRequest) -> HttpResponse:
    membership = request.membership
    mine_only = not membership.is_owner or request.GET.get("mine") == "1"
    kind = registry.waiting_kind(request.GET.get("kind", ""))
    if kind is not None and kind.audience != registry.STAFF:
        kind = None
    items = waiting_for_staff(
        user=request.user,
        membership=membership,
        mine_only=mine_only,
        kinds=[kind.kind] if kind else None,
    )
    groups = group_by_kind(items, registry.STAFF)
    page = None
    if kind is not None:
        page = Paginator(items, PAGE_SIZE).get_page(request.GET.get("page"))
        for group in groups:
            group["shown"], group["more"] = list(page.object_list), 0
    else:
        for group in groups:
            group["shown"] = group["items"][:GROUP_LIMIT]
            group["more"] = len(group["items"]) - len(group["shown"])
    context = {
        "groups": groups,
        "total": len(items),
        "kind": kind,
        "page": page,
        "mine_only": mine_only,
        "readiness_unchecked": items.readiness_unchecked,
        "readiness_limit": READINESS_LIMIT,
        "has_engagements": bool(groups)
        or staff_engagements(
            user=request.user, membership=membership, mine_only=mine_only
        ).exists(),
        "query": ("mine=1&" if membership.is_owner and mine_only else "")
        + (f"kind={kind.kind}" if kind else ""),
    }
    return render(request, "engagements/my_work.html", context)
