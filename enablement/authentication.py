"""API authentication by a firm's API key (`Authorization: Api-Key wp_…`, or `Bearer wp_…`).

The key is where an API request's tenant comes from: `TenantScopedAPIView` enters the key's firm
scope (or the signed-in staff member's, for the browser) around the whole view and leaves it
when the view returns, so it cannot leak into another request."""

from __future__ import annotations

from contextlib import ExitStack
from dataclasses import dataclass

from rest_framework import authentication, exceptions, permissions
from rest_framework.request import Request
from rest_framework.views import APIView

from enablement.models import ApiKey
from enablement.services.api_keys import api_key_authenticate
from engagements.models import Firm
from engagements.tenancy import tenant_scope

KEYWORDS = ("api-key", "bearer")


@dataclass(frozen=True)
class ApiKeyPrincipal:
    """Who an API-key request acts as: the firm's integration, not a person."""

    api_key: ApiKey

    is_authenticated = True
    is_anonymous = False
    pk = None

    @property
    def firm(self) -> Firm:
        return self.api_key.firm

    def __str__(self) -> str:
        return f"API key “{self.api_key.name}”"


class ApiKeyAuthentication(authentication.BaseAuthentication):
    def authenticate(self, request: Request):
        header = authentication.get_authorization_header(request).decode(errors="replace")
        if not header:
            return None
        keyword, _, key = header.partition(" ")
        if keyword.lower() not in KEYWORDS:
            return None
        if not key.strip():
            raise exceptions.AuthenticationFailed("The Authorization header has no key.")
        api_key = api_key_authenticate(key=key)
        if api_key is None:
            raise exceptions.AuthenticationFailed(
                "This API key is not valid: it is unknown, mistyped or revoked."
            )
        return ApiKeyPrincipal(api_key), api_key

    def authenticate_header(self, request: Request) -> str:
        return 'Api-Key realm="waypoint"'


class IsFirmIntegrationOrStaff(permissions.BasePermission):
    """An API key, or a signed-in owner or consultant. Client users never reach the API."""

    def has_permission(self, request: Request, view) -> bool:
        user = request.user
        if isinstance(user, ApiKeyPrincipal):
            return True
        membership = getattr(request._request, "membership", None)
        return bool(user and user.is_authenticated and membership and membership.is_staff_member)


def request_firm(request: Request) -> Firm | None:
    if isinstance(request.user, ApiKeyPrincipal):
        return request.user.firm
    membership = getattr(request._request, "membership", None)
    return membership.firm if membership else None


class TenantScopedAPIView(APIView):
    """Runs the view in the tenant scope of its credential."""

    authentication_classes = [ApiKeyAuthentication, authentication.SessionAuthentication]
    permission_classes = [IsFirmIntegrationOrStaff]

    def dispatch(self, request, *args, **kwargs):
        with ExitStack() as self._scope:
            return super().dispatch(request, *args, **kwargs)

    def initial(self, request: Request, *args, **kwargs) -> None:
        super().initial(request, *args, **kwargs)  # authenticates and checks permissions
        self._scope.enter_context(tenant_scope(request_firm(request)))
