"""Per-field transforms: small JSON-able dicts applied in order to the source values.

    {"op": "trim"}                                  strip, and collapse runs of spaces (like a
                                                    spreadsheet's TRIM)
    {"op": "case", "to": "lower" | "upper" | "title"}
    {"op": "split_name", "part": "first" | "last"}  "Smith, John" / "Dr John van Dijk Jr"
    {"op": "join", "separator": " "}                several source columns into one (blanks
                                                    skipped)
    {"op": "date", "formats": ["%d/%m/%Y", ...]}    → ISO date (YYYY-MM-DD); ISO input is always
                                                    accepted too (XLSX dates arrive as ISO)
    {"op": "phone", "region": "GB"}                 → E.164 via phonenumbers (region for numbers
                                                    written without a country code)
    {"op": "email"}                                 → trimmed, lower-case, validated
    {"op": "picklist", "map": {"Hot": "hot"}}       source value → allowed value (exact match
                                                    first, then ignoring case and spaces);
                                                    unmapped values pass through to validation

A field mapped from several source columns gets them joined with a space before the first
single-value transform unless a "join" comes first. Empty values stay empty: "required" is a
validation rule, not a transform's.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping, Sequence
from datetime import date, datetime
from functools import lru_cache
from typing import Any

import phonenumbers


class TransformError(ValueError):
    """A value could not be transformed, or a transform spec is wrong. `reason` is a sentence."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason
        self.message = reason


OPS = ("trim", "case", "split_name", "join", "date", "phone", "email", "picklist")
CASES = ("lower", "upper", "title")
NAME_PARTS = ("first", "last")

# Deliberately plain: one @, a dot-atom local part, and a domain of letter/digit labels with a
# TLD of two letters or more (IDN domains in punycode). Full RFC 5322 accepts addresses no CRM
# will take.
_EMAIL = re.compile(
    r"^[a-z0-9!#$%&'*+/=?^_`{|}~-]+(?:\.[a-z0-9!#$%&'*+/=?^_`{|}~-]+)*"
    r"@(?:[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+(?:[a-z]{2,63}|xn--[a-z0-9-]{1,59})$"
)
_HONORIFICS = frozenset(
    {"mr", "mrs", "ms", "miss", "mx", "dr", "prof", "sir", "dame", "rev", "herr", "frau", "mme"}
)
_SUFFIXES = frozenset({"jr", "sr", "ii", "iii", "iv", "phd", "md", "esq", "obe", "mbe"})
_PARTICLES = frozenset(
    {"van", "von", "der", "den", "de", "del", "della", "da", "di", "du", "la", "le", "st", "ten"}
)


def validate_transform_spec(spec: Any) -> None:
    """Raise TransformError (with a sentence for the settings page) unless `spec` is one valid
    transform dict."""
    if not isinstance(spec, Mapping):
        raise TransformError("A transform must be an object with an “op”.")
    op = spec.get("op")
    if op not in OPS:
        raise TransformError(f"Unknown transform “{op}”; use one of: {', '.join(OPS)}.")
    allowed = {
        "trim": set(),
        "case": {"to"},
        "split_name": {"part"},
        "join": {"separator"},
        "date": {"formats"},
        "phone": {"region"},
        "email": set(),
        "picklist": {"map"},
    }[op]
    extra = sorted(set(spec) - allowed - {"op"})
    if extra:
        raise TransformError(f"The {op} transform does not take: {', '.join(extra)}.")
    if op == "case" and spec.get("to") not in CASES:
        raise TransformError("The case transform needs “to”: lower, upper or title.")
    if op == "split_name" and spec.get("part") not in NAME_PARTS:
        raise TransformError("The split_name transform needs “part”: first or last.")
    if op == "join" and not isinstance(spec.get("separator", " "), str):
        raise TransformError("The join transform's separator must be text.")
    if op == "date":
        formats = spec.get("formats")
        if (
            not isinstance(formats, list | tuple)
            or not formats
            or not all(isinstance(f, str) and f for f in formats)
        ):
            raise TransformError("The date transform needs a list of formats, like %d/%m/%Y.")
        for fmt in formats:
            if not any(code in fmt for code in ("%d", "%j")) or not any(
                code in fmt for code in ("%Y", "%y")
            ):
                raise TransformError(
                    f"The date format “{fmt}” needs a day (%d) and a year (%Y or %y)."
                )
            try:
                datetime(2001, 2, 3).strftime(fmt)
            except ValueError as exc:
                raise TransformError(f"The date format “{fmt}” is not valid.") from exc
    if op == "phone":
        region = spec.get("region", "GB")
        if not isinstance(region, str) or region.upper() not in phonenumbers.SUPPORTED_REGIONS:
            raise TransformError(
                f"The phone transform's region “{region}” is not a known country code (GB, US…)."
            )
    if op == "picklist":
        mapping = spec.get("map")
        if not isinstance(mapping, Mapping) or not all(
            isinstance(k, str) and isinstance(v, str) for k, v in mapping.items()
        ):
            raise TransformError("The picklist transform needs a map of source value → value.")


def validate_transforms(specs: Sequence[Any]) -> None:
    if not isinstance(specs, list | tuple):
        raise TransformError("Transforms must be a list.")
    for spec in specs:
        validate_transform_spec(spec)


def apply_transforms(values: list[str], transforms: Sequence[Mapping[str, Any]]) -> str:
    """Apply `transforms` in order to the source `values` (one per mapped source column) and
    return the single resulting value. Raises TransformError with the reason a value is bad."""
    return compile_transforms(transforms)(values)


def compile_transforms(transforms: Sequence[Mapping[str, Any]]) -> Callable[[list[str]], str]:
    """The same as `apply_transforms`, as one function built once per field mapping (the engine
    applies it to every row, so the specs are read once, not per value)."""
    separator = " "
    steps: list[Callable[[str], str]] = []
    for spec in transforms:
        op = spec["op"]
        if op == "join":
            if not steps:  # a join after a single-value transform has nothing left to join
                separator = spec.get("separator", " ")
            continue
        steps.append(_step(op, spec))

    def run(values: list[str]) -> str:
        if len(values) == 1:
            value = values[0]
        else:
            value = separator.join(v for v in values if v and not v.isspace())
        for step in steps:
            value = step(value)
        return value

    return run


def _step(op: str, spec: Mapping[str, Any]) -> Callable[[str], str]:
    if op == "trim":
        return trim
    if op == "email":
        return normalise_email
    if op == "phone":
        region = spec.get("region", "GB").upper()
        return lambda value: normalise_phone(value, region)
    if op == "date":
        formats = tuple(spec.get("formats", ()))
        return lambda value: parse_date(value, formats)
    return lambda value: _APPLY[op](value, spec)


def _join(values: list[str], separator: str) -> str:
    return separator.join(value for value in values if value and value.strip())


def trim(value: str, spec: Mapping[str, Any] | None = None) -> str:
    return " ".join(value.split())


def _case(value: str, spec: Mapping[str, Any]) -> str:
    to = spec.get("to")
    if to == "lower":
        return value.lower()
    if to == "upper":
        return value.upper()
    return value.title()


def split_name(value: str, part: str) -> str:
    """One part of a full name: "Smith, John" and "Dr. John van Dijk Jr." both give first
    "John"; last names keep their particles ("van Dijk"). A single word is a last name."""
    value = trim(value)
    if not value:
        return ""
    if "," in value:
        last, _, first = value.partition(",")
        first_name, last_name = trim(first), trim(last)
    else:
        words = value.split(" ")
        while len(words) > 1 and words[0].lower().strip(".") in _HONORIFICS:
            words.pop(0)
        while len(words) > 1 and words[-1].lower().strip(".,") in _SUFFIXES:
            words.pop()
        if len(words) == 1:
            first_name, last_name = "", words[0]
        else:
            cut = len(words) - 1
            while cut > 1 and words[cut - 1].lower() in _PARTICLES:
                cut -= 1
            first_name, last_name = " ".join(words[:cut]), " ".join(words[cut:])
    return first_name if part == "first" else last_name


def _split_name(value: str, spec: Mapping[str, Any]) -> str:
    return split_name(value, spec.get("part", "first"))


def parse_date(value: str, formats: Sequence[str]) -> str:
    value = value.strip()
    if not value:
        return ""
    iso = _iso_date(value)
    if iso:
        return iso
    for fmt in formats:
        try:
            return datetime.strptime(value, fmt).date().isoformat()
        except ValueError:
            continue
    shown = ", ".join(_human_format(fmt) for fmt in formats)
    raise TransformError(f"“{value}” is not a date in the format {shown}.")


def _iso_date(value: str) -> str | None:
    # "2024-03-01" and "2024-03-01 00:00:00"/"2024-03-01T09:30:00" (XLSX cells, ISO exports).
    if len(value) >= 10 and value[4] == "-" and value[7] == "-":
        try:
            return (
                date.fromisoformat(value[:10]).isoformat()
                if (len(value) == 10 or value[10] in " T")
                else None
            )
        except ValueError:
            return None
    return None


def _human_format(fmt: str) -> str:
    for code, shown in (
        ("%d", "dd"),
        ("%m", "mm"),
        ("%Y", "yyyy"),
        ("%y", "yy"),
        ("%b", "Mon"),
        ("%B", "Month"),
        ("%H", "hh"),
        ("%M", "mm"),
        ("%S", "ss"),
    ):
        fmt = fmt.replace(code, shown)
    return fmt


def _date(value: str, spec: Mapping[str, Any]) -> str:
    return parse_date(value, spec.get("formats", ()))


def normalise_phone(value: str, region: str = "GB") -> str:
    value = value.strip()
    if not value:
        return ""
    return _phone_cached(value, region.upper())


@lru_cache(maxsize=65536)
def _phone_cached(value: str, region: str) -> str:
    try:
        number = phonenumbers.parse(value, region)
    except phonenumbers.NumberParseException as exc:
        raise TransformError(f"“{value}” is not a phone number.") from exc
    # Checking against the default region first skips the search of every region sharing
    # the country code (GB, GG, IM, JE share +44), the slow part of is_valid_number.
    home = number.country_code == phonenumbers.country_code_for_region(region)
    if not (
        home and phonenumbers.is_valid_number_for_region(number, region)
    ) and not phonenumbers.is_valid_number(number):
        raise TransformError(f"“{value}” is not a valid phone number (region {region}).")
    return phonenumbers.format_number(number, phonenumbers.PhoneNumberFormat.E164)


def _phone(value: str, spec: Mapping[str, Any]) -> str:
    return normalise_phone(value, spec.get("region", "GB"))


def normalise_email(value: str) -> str:
    value = value.strip()
    if value[:7].lower() == "mailto:":
        value = value[7:].strip()
    value = value.strip("<>").strip().lower()
    if not value:
        return ""
    if not _EMAIL.match(value):
        raise TransformError(f"“{value}” is not a valid email address.")
    return value


def _email(value: str, spec: Mapping[str, Any]) -> str:
    return normalise_email(value)


def _picklist(value: str, spec: Mapping[str, Any]) -> str:
    mapping: Mapping[str, str] = spec.get("map", {})
    if value in mapping:
        return mapping[value]
    key = trim(value).casefold()
    for source, target in mapping.items():
        if trim(source).casefold() == key:
            return target
    return value


_APPLY = {
    "trim": trim,
    "case": _case,
    "split_name": _split_name,
    "date": _date,
    "phone": _phone,
    "email": _email,
    "picklist": _picklist,
}
