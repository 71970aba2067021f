from collections.abc import Callable

from django.http import HttpRequest, HttpResponse

from engagements.models import Membership
from engagements.tenancy import tenant_scope


class TenantMiddleware:
    """Sets the active firm from the signed-in user's membership for the whole request.

    The scope is reset when the request ends (tenant_scope restores it in `finally`), so it
    can never leak into the next request served by the same thread.
    """

    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        membership = _membership_of(request)
        request.membership = membership  # type: ignore[attr-defined]  # read by access.membership_of
        with tenant_scope(membership.firm if membership else None):
            return self.get_response(request)


def _membership_of(request: HttpRequest) -> Membership | None:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return None
    # Unscoped on purpose: the membership is where the tenant comes from, and it is looked up
    # only by the authenticated user's own id.
    return Membership.unscoped.select_related("firm", "client", "user").filter(user=user).first()
