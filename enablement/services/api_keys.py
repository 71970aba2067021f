"""Per-firm API keys for posting usage events.

A key reads `wp_<prefix>_<secret>`: the prefix (public, unique) finds the row, the SHA-256 of
the whole key is what is stored and compared (in constant time). SHA-256 rather than a slow
password hash is enough here: the secret is 256 random bits, not something a person chose, so
it cannot be guessed from its digest. The whole key is returned once, at creation.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets

from django.db import transaction
from django.utils import timezone

from enablement.models import ApiKey
from engagements.errors import ApplicationError
from engagements.models import Firm, User

KEY_PREFIX = "wp"
# Unscoped reads below are on purpose: a request with a key has no firm in scope yet, the key is
# where its firm comes from. Rows are found only by the key's own prefix and proven by its digest.


def _digest(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


@transaction.atomic
def api_key_create(*, firm: Firm, actor: User, name: str) -> tuple[ApiKey, str]:
    """A new key for the firm. Returns the row and the key itself: show it once, it is not
    stored and cannot be shown again."""
    name = name.strip()
    if not name:
        raise ApplicationError("Name the key after what will use it.", field="name")
    if ApiKey.objects.filter(name__iexact=name, revoked_at__isnull=True).exists():
        raise ApplicationError(f"An active key named “{name}” already exists.", field="name")
    prefix = secrets.token_hex(4)
    # Unscoped on purpose: a key is found by its prefix before any firm is known (see
    # api_key_authenticate), so prefixes are unique across firms; only existence is read.
    while ApiKey.unscoped.filter(prefix=prefix).exists():  # 1 in 4 billion, but cheap to check
        prefix = secrets.token_hex(4)
    key = f"{KEY_PREFIX}_{prefix}_{secrets.token_urlsafe(32)}"
    row = ApiKey.objects.create(
        firm=firm, name=name, prefix=prefix, digest=_digest(key), created_by=actor
    )
    return row, key


@transaction.atomic
def api_key_revoke(*, api_key: ApiKey, actor: User) -> ApiKey:
    """Stop a key working at once. Revoking is final; revoking twice changes nothing."""
    locked = ApiKey.objects.select_for_update().get(pk=api_key.pk)
    if locked.revoked_at is None:
        locked.revoked_at = timezone.now()
        locked.revoked_by = actor
        locked.save(update_fields=["revoked_at", "revoked_by", "updated_at"])
    return locked


def api_key_authenticate(*, key: str) -> ApiKey | None:
    """The active key row `key` proves, or None. Touches `last_used_at` at most once a minute."""
    parts = key.strip().split("_", 2)
    if len(parts) != 3 or parts[0] != KEY_PREFIX:
        return None
    # Unscoped on purpose: the key is where the API request's tenant comes from; the row found
    # by its public prefix counts only once the secret's digest matches below.
    row = ApiKey.unscoped.select_related("firm").filter(prefix=parts[1]).first()
    if row is None or not hmac.compare_digest(row.digest, _digest(key.strip())):
        return None
    if row.revoked_at is not None:
        return None
    now = timezone.now()
    if row.last_used_at is None or (now - row.last_used_at).total_seconds() > 60:
        # Unscoped on purpose: still no firm in scope; the row is the one the key just proved.
        ApiKey.unscoped.filter(pk=row.pk).update(last_used_at=now)
        row.last_used_at = now
    return row
