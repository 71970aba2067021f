"""Checking one transformed value against its target field's type.

`validate_value` returns the value in its canonical form (an email lower-cased, a number without
thousands separators, a picklist value spelt as the schema spells it) or raises FieldError with a
code and a sentence. Required-ness and references are the engine's (they need the whole row or
other objects); an empty value is always valid here.
"""

from __future__ import annotations

import re
from decimal import Decimal, InvalidOperation

from .schema import FieldType, TargetField
from .transforms import TransformError, _iso_date, normalise_email

INVALID, PICKLIST = "invalid", "picklist"

_E164 = re.compile(r"^\+[1-9]\d{6,14}$")
_PLAIN_NUMBER = re.compile(r"^[+-]?(?:\d+(?:\.\d*)?|\.\d+)$")
_GROUPED_NUMBER = re.compile(r"^[+-]?\d{1,3}(?:([, _\u00a0\u202f])\d{3})(?:\1\d{3})*(?:\.\d+)?$")
_CURRENCY_SIGNS = re.compile(
    r"^(?:[£$€¥₹]|(?:GBP|USD|EUR|CHF|JPY|AUD|CAD|NZD|SEK|NOK|DKK|INR)\b)\s*"
    r"|\s*(?:[£$€¥₹]|\b(?:GBP|USD|EUR|CHF|JPY|AUD|CAD|NZD|SEK|NOK|DKK|INR))$",
    re.IGNORECASE,
)


class FieldError(ValueError):
    """A value does not fit its field. `code` is INVALID or PICKLIST; `message` a sentence
    without the field's name (the engine prefixes it)."""

    def __init__(self, code: str, message: str) -> None:
        super().__init__(message)
        self.code = code
        self.message = message


def validate_value(field: TargetField, value: str) -> str:
    if not value:
        return ""
    kind = field.type
    if kind in (FieldType.TEXT, FieldType.REFERENCE):
        return value
    if kind == FieldType.EMAIL:
        try:
            return normalise_email(value)
        except TransformError as exc:
            raise FieldError(INVALID, exc.reason) from None
    if kind == FieldType.PHONE:
        if _E164.match(value):
            return value
        raise FieldError(
            INVALID,
            f"“{value}” is not a phone number in international form (+447700900123); "
            "add the phone transform with the numbers' country.",
        )
    if kind == FieldType.DATE:
        iso = _iso_date(value.strip())
        if iso:
            return iso
        raise FieldError(
            INVALID,
            f"“{value}” is not a date (YYYY-MM-DD); add a date transform with the file's format.",
        )
    if kind == FieldType.NUMBER:
        return _number(value, f"“{value}” is not a number.")
    if kind == FieldType.CURRENCY:
        return _currency(value)
    if kind == FieldType.PICKLIST:
        return _choice(field, value)
    return value  # pragma: no cover - every FieldType is handled above


def _number(value: str, message: str) -> str:
    text = value.strip()
    if not _PLAIN_NUMBER.match(text):
        if not _GROUPED_NUMBER.match(text):
            raise FieldError(INVALID, message)
        text = re.sub(r"[, _\u00a0\u202f]", "", text)
    try:
        number = Decimal(text)
    except InvalidOperation:  # pragma: no cover - the patterns only let numbers through
        raise FieldError(INVALID, message) from None
    if number == 0:
        number = abs(number)
    return format(number, "f")


def _currency(value: str) -> str:
    text = value.strip()
    negative = False
    if text.startswith("(") and text.endswith(")"):
        negative, text = True, text[1:-1].strip()
    for _ in range(2):  # a sign before and/or a code after: "£1,200", "1200 GBP", "-$5"
        sign = ""
        if text[:1] in "+-":
            sign, text = text[:1], text[1:].lstrip()
        text = sign + _CURRENCY_SIGNS.sub("", text).strip()
    amount = _number(text, f"“{value}” is not an amount of money.")
    if negative and not amount.startswith("-"):
        amount = "-" + amount
    quantized = Decimal(amount).quantize(Decimal("0.01"))
    if quantized != Decimal(amount):
        raise FieldError(INVALID, f"“{value}” has more than two decimals for an amount of money.")
    return format(quantized, "f")


def _choice(field: TargetField, value: str) -> str:
    if value in field.choices:
        return value
    key = " ".join(value.split()).casefold()
    for choice in field.choices:
        if choice.casefold() == key:
            return choice
    allowed = ", ".join(field.choices)
    raise FieldError(PICKLIST, f"“{value}” is not one of the allowed values ({allowed}).")
