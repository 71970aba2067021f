"""Phase 6 — training."""

__all__: list[str] = []
