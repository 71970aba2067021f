"""Snapshots of a phase's artifacts: their digest, and what changed between two of them.

A snapshot is JSON-ready data, `{section: [item, …]}`, where every item is a dict with an "id"
and display values. The digest is the SHA-256 of its canonical JSON form.
"""

import hashlib
import json
from dataclasses import dataclass, field


def snapshot_digest(snapshot: dict) -> str:
    canonical = json.dumps(snapshot, sort_keys=True, separators=(",", ":"), default=str)
    return hashlib.sha256(canonical.encode()).hexdigest()


@dataclass
class ItemChange:
    label: str
    fields: list[tuple[str, object, object]] = field(default_factory=list)
    """(field, before, after) for a changed item."""


@dataclass
class SectionChanges:
    section: str
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    changed: list[ItemChange] = field(default_factory=list)


def _label(item: dict) -> str:
    return str(item.get("label") or item.get("name") or item.get("title") or item.get("id"))


def snapshot_diff(before: dict, after: dict) -> list[SectionChanges]:
    """Per section, the items added, removed and changed (field by field) from before to after."""
    changes = []
    for section in sorted(set(before) | set(after)):
        old = {item["id"]: item for item in before.get(section, [])}
        new = {item["id"]: item for item in after.get(section, [])}
        result = SectionChanges(section=section)
        result.added = [_label(new[key]) for key in new if key not in old]
        result.removed = [_label(old[key]) for key in old if key not in new]
        for key in old.keys() & new.keys():
            fields = [
                (name, old[key].get(name), new[key].get(name))
                for name in sorted(set(old[key]) | set(new[key]))
                if name != "id" and old[key].get(name) != new[key].get(name)
            ]
            if fields:
                result.changed.append(ItemChange(label=_label(new[key]), fields=fields))
        if result.added or result.removed or result.changed:
            changes.append(result)
    return changes
