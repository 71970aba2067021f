"""Phase 6 — adoption."""

__all__: list[str] = []
