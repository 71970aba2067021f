"""The active tenant (a Firm) for the current request, task or command.

Tenant-owned models' default manager reads it and raises when it is unset, so a query that
forgot to scope fails loudly instead of leaking another firm's rows.
"""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from contextvars import ContextVar
from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from engagements.models import Firm

_current_firm: ContextVar[Firm | None] = ContextVar("waypoint_current_firm", default=None)


class TenantScopeMissing(RuntimeError):
    """A tenant-owned table was queried with no firm in scope."""


def current_firm() -> Firm | None:
    return _current_firm.get()


def require_current_firm() -> Firm:
    firm = _current_firm.get()
    if firm is None:
        raise TenantScopeMissing(
            "No firm is in scope. Wrap the code in tenant_scope(firm), or use the model's "
            "`unscoped` manager with a comment saying why that is safe."
        )
    return firm


@contextmanager
def tenant_scope(firm: Firm | None) -> Iterator[None]:
    """Run the block with `firm` as the active tenant; always restores the previous one."""
    token = _current_firm.set(firm)
    try:
        yield
    finally:
        _current_firm.reset(token)
