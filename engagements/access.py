"""Who may enter which part of the site. Outsiders get 404, so existence never leaks."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponseBase

from engagements.models import Membership

# A file download (FileResponse) is a view's response too, not only an HttpResponse.
View = Callable[..., HttpResponseBase]


def _require(allowed: Callable[[HttpRequest], bool]) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponseBase:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if membership_of(request) is None or not allowed(request):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


def membership_of(request: HttpRequest) -> Membership | None:
    """The signed-in person's membership, set on the request by TenantMiddleware."""
    return getattr(request, "membership", None)


def _membership(request: HttpRequest) -> Membership:
    membership = membership_of(request)
    if membership is None:  # the wrapper checks first; this only tells the type checker
        raise Http404
    return membership


workspace_view = _require(lambda request: _membership(request).is_staff_member)
"""Owners and consultants of the firm; client users get 404."""

owner_view = _require(lambda request: _membership(request).is_owner)
"""Firm owners only."""

portal_view = _require(lambda request: _membership(request).client_id is not None)
"""Client users only; they never reach the workspace."""
