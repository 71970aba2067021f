"""Phase 6 — handoff."""

__all__: list[str] = []
