"""The target CRM's objects and fields, and the default schema an engagement starts from.

References between objects are by legacy id: every object's rows carry their id from the
source system (the mapping's id column), and a reference field holds the referenced object's
legacy id. Objects are processed in reference order (`processing_order`), so a reference can be
checked against the referenced object's already validated and deduplicated records.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from enum import StrEnum


class FieldType(StrEnum):
    TEXT = "text"
    EMAIL = "email"
    PHONE = "phone"
    DATE = "date"
    NUMBER = "number"
    CURRENCY = "currency"
    PICKLIST = "picklist"
    REFERENCE = "reference"


class SchemaError(ValueError):
    """The schema itself is unusable (a reference to an unknown object, a cycle, ...)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass(frozen=True)
class TargetField:
    name: str
    label: str
    type: FieldType = FieldType.TEXT
    required: bool = False
    choices: tuple[str, ...] = ()
    reference: str | None = None  # the target object's name, for REFERENCE fields


# Objects deduplicated when `TargetObject.dedupe` is left as None: people and organisations.
# Deals and activities are never merged automatically: two look-alike deals are usually two deals.
DEDUPED_BY_DEFAULT = frozenset({"account", "contact", "lead", "company", "organisation"})


@dataclass(frozen=True)
class TargetObject:
    name: str
    label: str
    fields: tuple[TargetField, ...]
    # None = decide by name (DEDUPED_BY_DEFAULT); True/False force it.
    dedupe: bool | None = None

    def field(self, name: str) -> TargetField:
        for field in self.fields:
            if field.name == name:
                return field
        raise KeyError(f"{self.label} has no field {name!r}")

    def has_field(self, name: str) -> bool:
        return any(field.name == name for field in self.fields)

    @property
    def field_names(self) -> tuple[str, ...]:
        return tuple(field.name for field in self.fields)

    @property
    def references(self) -> tuple[str, ...]:
        """Names of the objects this one refers to, in field order, without repeats."""
        seen: list[str] = []
        for field in self.fields:
            if (
                field.type == FieldType.REFERENCE
                and field.reference
                and field.reference not in seen
            ):
                seen.append(field.reference)
        return tuple(seen)

    @property
    def is_deduplicated(self) -> bool:
        return self.name in DEDUPED_BY_DEFAULT if self.dedupe is None else self.dedupe


def _f(name: str, label: str, type: FieldType = FieldType.TEXT, **kwargs) -> TargetField:
    return TargetField(name=name, label=label, type=type, **kwargs)


DEAL_STAGES = (
    "prospecting",
    "qualification",
    "proposal",
    "negotiation",
    "closed_won",
    "closed_lost",
)
ACTIVITY_TYPES = ("call", "email", "meeting", "task", "note")
ADDRESS_FIELDS = (
    _f("street", "Street"),
    _f("city", "City"),
    _f("postcode", "Postcode"),
    _f("region", "Region"),
    _f("country", "Country"),
)

DEFAULT_SCHEMA: tuple[TargetObject, ...] = (
    TargetObject(
        name="account",
        label="Account",
        fields=(
            _f("name", "Account name", required=True),
            _f("website", "Website"),
            _f("phone", "Phone", FieldType.PHONE),
            _f("industry", "Industry"),
            *ADDRESS_FIELDS,
            _f("employees", "Employees", FieldType.NUMBER),
            _f("annual_revenue", "Annual revenue", FieldType.CURRENCY),
        ),
    ),
    TargetObject(
        name="contact",
        label="Contact",
        fields=(
            _f("first_name", "First name"),
            _f("last_name", "Last name", required=True),
            _f("email", "Email", FieldType.EMAIL),
            _f("phone", "Phone", FieldType.PHONE),
            _f("company", "Company"),
            _f("title", "Job title"),
            *ADDRESS_FIELDS,
            _f("account", "Account", FieldType.REFERENCE, reference="account"),
        ),
    ),
    TargetObject(
        name="deal",
        label="Deal",
        fields=(
            _f("name", "Deal name", required=True),
            _f("account", "Account", FieldType.REFERENCE, required=True, reference="account"),
            _f("contact", "Primary contact", FieldType.REFERENCE, reference="contact"),
            _f("stage", "Stage", FieldType.PICKLIST, required=True, choices=DEAL_STAGES),
            _f("amount", "Amount", FieldType.CURRENCY),
            _f("close_date", "Close date", FieldType.DATE),
        ),
    ),
    TargetObject(
        name="activity",
        label="Activity",
        fields=(
            _f("type", "Type", FieldType.PICKLIST, required=True, choices=ACTIVITY_TYPES),
            _f("subject", "Subject", required=True),
            _f("date", "Date", FieldType.DATE, required=True),
            _f("contact", "Contact", FieldType.REFERENCE, reference="contact"),
            _f("deal", "Deal", FieldType.REFERENCE, reference="deal"),
            _f("notes", "Notes"),
        ),
    ),
)

# The `dedupe_csv` command's targets: the default contact object's own fields (not the reference).
CONTACT_TARGETS: tuple[str, ...] = (
    "first_name",
    "last_name",
    "email",
    "phone",
    "company",
    "title",
    "street",
    "city",
    "postcode",
    "region",
    "country",
)


def schema_object(schema: Sequence[TargetObject], name: str) -> TargetObject:
    for target in schema:
        if target.name == name:
            return target
    raise KeyError(f"the schema has no object {name!r}")


def validate_schema(schema: Sequence[TargetObject]) -> None:
    """Raise SchemaError with a sentence for the first problem: duplicate object or field names,
    a picklist without values, a reference to an unknown object or to itself, or a cycle."""
    names = [target.name for target in schema]
    for name in names:
        if names.count(name) > 1:
            raise SchemaError(f"The object name “{name}” is used twice.")
    for target in schema:
        field_names = [field.name for field in target.fields]
        for name in field_names:
            if field_names.count(name) > 1:
                raise SchemaError(f"{target.label} has two fields named “{name}”.")
        for field in target.fields:
            if field.type == FieldType.PICKLIST and not field.choices:
                raise SchemaError(f"{target.label} · {field.label} is a picklist without values.")
            if field.type == FieldType.REFERENCE:
                if not field.reference or field.reference not in names:
                    raise SchemaError(
                        f"{target.label} · {field.label} refers to an object that does not "
                        f"exist ({field.reference or 'none chosen'})."
                    )
                if field.reference == target.name:
                    raise SchemaError(
                        f"{target.label} · {field.label} refers to its own object; references "
                        "must point to another object."
                    )
    processing_order(schema)


def processing_order(schema: Sequence[TargetObject]) -> tuple[TargetObject, ...]:
    """Objects ordered so that every object comes after the objects it refers to (accounts
    before contacts before deals before activities); ties keep the schema's order, so the order
    is deterministic. Raises SchemaError on a cycle."""
    by_name = {target.name: target for target in schema}
    done: list[TargetObject] = []
    done_names: set[str] = set()
    pending = list(schema)
    while pending:
        for target in pending:
            needs = [name for name in target.references if name in by_name and name != target.name]
            if all(name in done_names for name in needs):
                done.append(target)
                done_names.add(target.name)
                pending.remove(target)
                break
        else:
            cycle = " → ".join(target.label for target in pending)
            raise SchemaError(f"These objects refer to each other in a cycle: {cycle}.")
    return tuple(done)
