"""Phase 6 — Enablement & Ongoing Support, split by concern."""

from enablement.models.adoption import *  # noqa: F403
from enablement.models.handoff import *  # noqa: F403
from enablement.models.training import *  # noqa: F403
