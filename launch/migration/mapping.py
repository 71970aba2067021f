"""How a source file's columns fill a target object's fields, and suggestions for it.

A mapping is stored as JSON (`ObjectMapping.to_json`/`from_json`) so the workbench can keep it
on the engagement and reuse it across runs.
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from rapidfuzz import fuzz

from .schema import FieldType, TargetField, TargetObject
from .transforms import TransformError, validate_transforms


class MappingError(ValueError):
    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class FieldMapping:
    target: str
    sources: tuple[str, ...]
    transforms: tuple[dict, ...] = ()

    def to_json(self) -> dict[str, Any]:
        return {
            "target": self.target,
            "sources": list(self.sources),
            "transforms": [dict(spec) for spec in self.transforms],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> FieldMapping:
        return cls(
            target=str(data["target"]),
            sources=tuple(str(source) for source in data.get("sources", ())),
            transforms=tuple(dict(spec) for spec in data.get("transforms", ())),
        )


@dataclass(frozen=True)
class ObjectMapping:
    object_name: str
    id_column: str
    fields: tuple[FieldMapping, ...] = field(default=())

    def to_json(self) -> dict[str, Any]:
        return {
            "object_name": self.object_name,
            "id_column": self.id_column,
            "fields": [fm.to_json() for fm in self.fields],
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ObjectMapping:
        return cls(
            object_name=str(data["object_name"]),
            id_column=str(data["id_column"]),
            fields=tuple(FieldMapping.from_json(item) for item in data.get("fields", ())),
        )

    def field_mapping(self, target: str) -> FieldMapping | None:
        for fm in self.fields:
            if fm.target == target:
                return fm
        return None

    @property
    def source_columns(self) -> tuple[str, ...]:
        """Every source column the mapping reads (id column first), without repeats."""
        seen = [self.id_column]
        for fm in self.fields:
            seen.extend(source for source in fm.sources if source not in seen)
        return tuple(seen)


def mapping_problems(
    mapping: ObjectMapping, target: TargetObject, headers: Sequence[str] | None = None
) -> list[str]:
    """Sentences describing what is wrong or missing in a mapping (empty list = usable).

    Unknown target fields, fields mapped twice, source columns not in the file (when `headers`
    are given), invalid transforms and required fields left unmapped. The engine refuses a
    mapping with problems other than unmapped required fields (those reject every row, which
    the consultant may want to see in a dry run)."""
    problems: list[str] = []
    header_set = set(headers) if headers is not None else None
    if not mapping.id_column:
        problems.append("Choose the column that holds each row's id in the old system.")
    elif header_set is not None and mapping.id_column not in header_set:
        problems.append(f"The id column “{mapping.id_column}” is not in the file.")
    seen: set[str] = set()
    for fm in mapping.fields:
        if not target.has_field(fm.target):
            problems.append(f"{target.label} has no field “{fm.target}”.")
            continue
        label = target.field(fm.target).label
        if fm.target in seen:
            problems.append(f"{label} is mapped twice.")
        seen.add(fm.target)
        if not fm.sources:
            problems.append(f"{label} has no source column.")
        if header_set is not None:
            for source in fm.sources:
                if source not in header_set:
                    problems.append(f"{label}: the column “{source}” is not in the file.")
        try:
            validate_transforms(list(fm.transforms))
        except TransformError as exc:
            problems.append(f"{label}: {exc.reason}")
    for target_field in target.fields:
        if target_field.required and target_field.name not in seen:
            problems.append(f"{target_field.label} is required but no column is mapped to it.")
    return problems


def blocking_problems(mapping: ObjectMapping, target: TargetObject) -> list[str]:
    """The subset of `mapping_problems` that makes a run impossible (not just every row
    rejected)."""
    return [p for p in mapping_problems(mapping, target) if "is required but" not in p]


# Other names people give a column, per target field name (lower case, words).
SYNONYMS: dict[str, tuple[str, ...]] = {
    "first_name": ("first", "firstname", "given name", "forename", "fname", "christian name"),
    "last_name": ("last", "lastname", "surname", "family name", "lname", "second name"),
    "email": ("email", "e mail", "email address", "mail", "e mail address", "work email"),
    "phone": (
        "phone",
        "telephone",
        "tel",
        "phone number",
        "mobile",
        "mobile phone",
        "cell",
        "work phone",
        "direct dial",
    ),
    "company": ("company", "company name", "organisation", "organization", "employer", "firm"),
    "title": ("title", "job title", "position", "role", "job role", "designation"),
    "street": ("street", "address", "address line 1", "street address", "address1", "addr"),
    "city": ("city", "town", "locality", "town city"),
    "postcode": ("postcode", "post code", "postal code", "zip", "zip code", "zipcode"),
    "region": ("region", "state", "county", "province", "state province"),
    "country": ("country", "country code", "nation"),
    "account": ("account", "account id", "company id", "account ref", "organisation id"),
    "name": ("name", "account name", "company name", "organisation name", "deal name"),
    "website": ("website", "web", "url", "domain", "web site", "homepage"),
    "industry": ("industry", "sector", "vertical"),
    "employees": ("employees", "employee count", "headcount", "number of employees", "staff"),
    "annual_revenue": ("annual revenue", "revenue", "turnover", "sales"),
    "contact": ("contact", "contact id", "primary contact", "person id"),
    "stage": ("stage", "deal stage", "status", "pipeline stage", "sales stage"),
    "amount": ("amount", "value", "deal value", "deal amount", "opportunity amount"),
    "close_date": ("close date", "expected close", "closing date", "close"),
    "type": ("type", "activity type", "kind"),
    "subject": ("subject", "summary", "title"),
    "date": ("date", "activity date", "when", "due date"),
    "deal": ("deal", "deal id", "opportunity", "opportunity id"),
    "notes": ("notes", "note", "description", "comments", "details", "body"),
}

_CAMEL = re.compile(r"(?<=[a-z0-9])(?=[A-Z])")
_NON_WORD = re.compile(r"[^a-z0-9]+")
SUGGESTION_THRESHOLD = 82.0


def normalise_header(header: str) -> str:
    """ "E-Mail Address" → "e mail address", "firstName" → "first name", "Post_Code" → "post
    code"."""
    text = unicodedata.normalize("NFKD", header)
    text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _CAMEL.sub(" ", text).lower()
    return _NON_WORD.sub(" ", text).strip()


def _field_names(target_field: TargetField) -> list[str]:
    names = [normalise_header(target_field.name), normalise_header(target_field.label)]
    names.extend(SYNONYMS.get(target_field.name, ()))
    return list(dict.fromkeys(name for name in names if name))


def _score(header: str, names: Sequence[str]) -> float:
    best = 0.0
    for name in names:
        if header == name or header.replace(" ", "") == name.replace(" ", ""):
            return 100.0
        best = max(best, fuzz.ratio(header, name), fuzz.token_sort_ratio(header, name) - 2)
    return best


def suggest_mapping(headers: Sequence[str], target: TargetObject) -> dict[str, str | None]:
    """Target field name → the best matching source header (or None), by name similarity
    (rapidfuzz) against the field's name, label and usual synonyms. Each header is used at most
    once; the strongest matches are assigned first, ties in field then header order, so the
    suggestion is deterministic."""
    normalised = [normalise_header(h) for h in headers]
    candidates: list[tuple[float, int, int]] = []
    for f_index, target_field in enumerate(target.fields):
        names = _field_names(target_field)
        for h_index, header in enumerate(normalised):
            if not header:
                continue
            score = _score(header, names)
            if score >= SUGGESTION_THRESHOLD:
                candidates.append((-score, f_index, h_index))
    candidates.sort()
    result: dict[str, str | None] = {target_field.name: None for target_field in target.fields}
    used: set[int] = set()
    for _, f_index, h_index in candidates:
        name = target.fields[f_index].name
        if result[name] is None and h_index not in used:
            result[name] = headers[h_index]
            used.add(h_index)
    return result


ID_NAMES = ("id", "legacy id", "record id", "external id", "key", "uid", "ref")


def suggest_id_column(headers: Sequence[str], target: TargetObject | None = None) -> str | None:
    """The header most likely to hold the legacy id ("Id", "Contact ID", "record_id"...)."""
    names = list(ID_NAMES)
    if target is not None:
        names = [f"{target.name} id", f"{normalise_header(target.label)} id", *names]
    best: tuple[float, int] | None = None
    for index, header in enumerate(headers):
        score = _score(normalise_header(header), names)
        if score >= 90 and (best is None or score > best[0]):
            best = (score, index)
    return headers[best[1]] if best else None


DEFAULT_DATE_FORMATS = ("%d/%m/%Y", "%d.%m.%Y", "%d-%m-%Y", "%d %b %Y", "%d %B %Y", "%Y/%m/%d")


def default_transforms(field: TargetField, *, phone_region: str = "GB") -> tuple[dict, ...]:
    """The transforms a new field mapping starts with: trim for everything, plus the type's
    normaliser (email, E.164 phone, day-first dates)."""
    if field.type == FieldType.EMAIL:
        return ({"op": "trim"}, {"op": "email"})
    if field.type == FieldType.PHONE:
        return ({"op": "trim"}, {"op": "phone", "region": phone_region})
    if field.type == FieldType.DATE:
        return ({"op": "trim"}, {"op": "date", "formats": list(DEFAULT_DATE_FORMATS)})
    return ({"op": "trim"},)


def suggested_object_mapping(
    headers: Sequence[str], target: TargetObject, *, phone_region: str = "GB"
) -> ObjectMapping:
    """A whole starting mapping: suggested id column and columns, default transforms."""
    suggestion = suggest_mapping(headers, target)
    id_column = suggest_id_column(headers, target) or ""
    fields = tuple(
        FieldMapping(
            target=target_field.name,
            sources=(source,),
            transforms=default_transforms(target_field, phone_region=phone_region),
        )
        for target_field in target.fields
        if (source := suggestion[target_field.name]) and source != id_column
    )
    return ObjectMapping(object_name=target.name, id_column=id_column, fields=fields)
