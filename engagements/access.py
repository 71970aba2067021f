"""Who may enter which part of the site. Outsiders get 404, so existence never leaks."""

from collections.abc import Callable
from functools import wraps

from django.contrib.auth.views import redirect_to_login
from django.http import Http404, HttpRequest, HttpResponse

View = Callable[..., HttpResponse]


def _require(allowed: Callable[[HttpRequest], bool]) -> Callable[[View], View]:
    def decorator(view: View) -> View:
        @wraps(view)
        def wrapper(request: HttpRequest, *args, **kwargs) -> HttpResponse:
            if not request.user.is_authenticated:
                return redirect_to_login(request.get_full_path())
            if request.membership is None or not allowed(request):
                raise Http404
            return view(request, *args, **kwargs)

        return wrapper

    return decorator


workspace_view = _require(lambda request: request.membership.is_staff_member)
"""Owners and consultants of the firm; client users get 404."""

owner_view = _require(lambda request: request.membership.is_owner)
"""Firm owners only."""

portal_view = _require(lambda request: request.membership.client_id is not None)
"""Client users only; they never reach the workspace."""
