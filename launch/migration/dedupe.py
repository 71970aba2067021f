"""Finding duplicate records: blocking, fuzzy scoring, clustering with decisions, survivorship.

How it works, for one object's validated records (held column by column by the engine):

1. **Features.** Each record's comparable values are normalised once: names folded (case,
   accents, punctuation) with nicknames resolved (Bob → robert), organisation names without
   legal suffixes, streets with the usual abbreviations, postcodes without spaces, emails and
   E.164 phones as the transforms left them. Which fields play which role follows from the
   target object's field names and types (first_name/last_name, name, EMAIL, PHONE, company,
   street, postcode, city, website, title, region, country).
2. **Blocking.** Only records sharing a blocking key are compared: the email, the email's user
   part, the phone, the Soundex codes of last and first name, the sorted
   Metaphone keys of first and last name (catches swapped names and nicknames), postcode with
   the last name's first letters (organisations: name, website, phone, name Metaphone with
   postcode). Each key is one pass that sorts record numbers by key and compares each run.
   A run larger than MAX_BLOCK records (a very common name) is not compared all-to-all: its
   records are sorted by name and email and each is compared with its WINDOW following
   neighbours (the sorted-neighbourhood method), so work stays linear in the number of rows.
   A pair met in an earlier pass's fully compared block is not emitted again.
3. **Scoring.** Each compared field gives a similarity (rapidfuzz: Jaro-Winkler for names,
   token set/sort ratios for companies and streets, normalised Levenshtein for emails and
   phones) which maps to a weight of evidence in bits, Fellegi–Sunter style: agreement on an
   email or phone is strong, on a common last name weak (the weight of a name falls with its
   frequency in the file), disagreement counts against, a missing value counts nothing. The
   weights are added to a prior and turned into a 0..1 score (a logistic of the log-odds).
   Different first names, last names or organisation names are a conflict: such a pair never
   scores above the middle of the review band when they share a personal email, and not even
   into the review band otherwise, so colleagues and households sharing a switchboard and an
   address are neither merged nor queued. Pairs agreeing on nothing that identifies a person
   (email, phone, street, postcode, website) — names alone — never score above the middle of
   the review band either. Two emails differing only in digits (john.smith@, john.smith2@)
   are two people, not a typo. The weights are set by hand (not trained on labelled data) and
   checked against the planted duplicates of `bench/bench_dedupe.py`. Pairs are scored one by
   one with rapidfuzz's C scorers: `rapidfuzz.process.cdist/cpdist` would score them in bulk
   but need numpy, which the project does not install.
4. **Clustering.** Pairs with score ≥ auto_merge and pairs the consultant confirmed are edges
   of a union-find (clusters are transitive). Split decisions are cannot-link constraints:
   edges are applied confirmed first, then strongest first, and an edge that would put two
   split records into one cluster — directly or through others — is dropped. So a split holds
   even where a chain of strong matches would join the two. Pairs with review ≤ score <
   auto_merge whose records ended in different clusters (and could still be joined) form the
   review queue, one pair (the strongest) per two clusters: a decision on it settles the
   others. Each cluster's survivor is its earliest row.
5. **Survivorship.** Per field: most_complete (the value from the member with the most
   filled fields; ties: the longer value, then the earlier row), most_recent (the value of the
   member with the latest `recency_field`, or without one the latest row; members lacking a
   date count as oldest) or source_priority (the member whose `source_field` value comes first
   in `source_priority`; others after, in most_complete order). Empty values never win over
   filled ones.

Every step sorts or works in record order, never in set or hash order, so the same records
and settings give the same clusters, scores and review queue.
"""

from __future__ import annotations

import math
from array import array
from collections import Counter
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

import jellyfish
from rapidfuzz import fuzz
from rapidfuzz.distance import OSA, JaroWinkler, Levenshtein

from .names import (
    canonical_first_name,
    country_key,
    fold,
    initials_of,
    org_key,
    postcode_key,
    street_key,
    website_key,
)
from .schema import FieldType, TargetObject

SURVIVORSHIP_RULES = ("most_complete", "most_recent", "source_priority")

MAX_BLOCK = 50
WINDOW = 12
PRIOR_BITS = -14.0
# The highest score of a pair whose names conflict and who share no personal email.
CONFLICT_LIMIT = 0.5
# Role/shared mailboxes: the same address on two records says little about the person.
GENERIC_EMAIL_USERS = frozenset(
    {
        "info", "sales", "admin", "office", "contact", "hello", "enquiries", "inquiries",
        "support", "accounts", "mail", "team", "reception", "billing", "marketing", "noreply",
        "no-reply", "hr", "jobs", "careers", "help", "service", "customerservice",
    }
)  # fmt: skip


@dataclass(frozen=True)
class DedupeSettings:
    """Scores are 0..1. Pairs scoring ≥ auto_merge merge; review ≤ score < auto_merge go to the
    review queue. `survivorship` maps a target field to a rule (most_complete | most_recent |
    source_priority); other fields use `default_rule`. `recency_field` (a DATE target field)
    orders records for most_recent (without it, later rows in the file count as more recent).
    `source_priority` names source systems best first, as found in the `source_field` target
    field, for the source_priority rule."""

    auto_merge: float = 0.92
    review: float = 0.80
    survivorship: Mapping[str, str] = field(default_factory=dict)
    default_rule: str = "most_complete"
    recency_field: str | None = None
    source_priority: tuple[str, ...] = ()
    source_field: str | None = None

    def problems(self, target: TargetObject | None = None) -> list[str]:
        """Sentences for what is wrong with these settings (empty = usable)."""
        found: list[str] = []
        if not (0 < self.review <= self.auto_merge <= 1):
            found.append(
                "The thresholds must satisfy 0 < review ≤ auto-merge ≤ 1 "
                f"(now review {self.review}, auto-merge {self.auto_merge})."
            )
        rules = [self.default_rule, *self.survivorship.values()]
        for rule in rules:
            if rule not in SURVIVORSHIP_RULES:
                found.append(
                    f"Unknown survivorship rule “{rule}”; use {', '.join(SURVIVORSHIP_RULES)}."
                )
        if target is not None:
            for name in self.survivorship:
                if not target.has_field(name):
                    found.append(f"{target.label} has no field “{name}” for a survivorship rule.")
            recency = self.recency_field
            if (
                recency
                and target.has_field(recency)
                and target.field(recency).type != FieldType.DATE
            ):
                found.append(f"The recency field “{self.recency_field}” must be a date field.")
        return found

    def rule_for(self, field_name: str) -> str:
        return self.survivorship.get(field_name, self.default_rule)

    def to_json(self) -> dict[str, Any]:
        return {
            "auto_merge": self.auto_merge,
            "review": self.review,
            "survivorship": dict(sorted(self.survivorship.items())),
            "default_rule": self.default_rule,
            "recency_field": self.recency_field,
            "source_priority": list(self.source_priority),
            "source_field": self.source_field,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> DedupeSettings:
        defaults = cls()
        return cls(
            auto_merge=float(data.get("auto_merge", defaults.auto_merge)),
            review=float(data.get("review", defaults.review)),
            survivorship=dict(data.get("survivorship") or {}),
            default_rule=str(data.get("default_rule") or defaults.default_rule),
            recency_field=data.get("recency_field") or None,
            source_priority=tuple(data.get("source_priority") or ()),
            source_field=data.get("source_field") or None,
        )


@dataclass(frozen=True)
class CandidatePair:
    left_id: str  # the legacy id of the record that comes first in the file
    right_id: str
    score: float
    field_scores: Mapping[str, float]


@dataclass
class Decisions:
    """The consultant's review decisions, by legacy ids: confirmed pairs merge (whatever their
    score), split pairs never end in one cluster — not even through a third record."""

    merge: set[frozenset[str]] = field(default_factory=set)
    split: set[frozenset[str]] = field(default_factory=set)

    @staticmethod
    def pair(left_id: str, right_id: str) -> frozenset[str]:
        return frozenset((left_id, right_id))

    def decided(self, left_id: str, right_id: str) -> bool:
        key = frozenset((left_id, right_id))
        return key in self.merge or key in self.split


@dataclass
class Clustering:
    survivor: array  # record index → index of the cluster's survivor (itself when alone)
    review_pairs: list[CandidatePair]
    candidate_pairs: int = 0  # distinct pairs scored
    auto_merged_pairs: int = 0  # pairs ≥ auto_merge that joined two clusters
    confirmed_pairs: int = 0  # confirmed decisions that joined two clusters
    kept_apart: int = 0  # edges dropped because of a split decision

    def members(self) -> dict[int, list[int]]:
        """Survivor index → member indices (in record order), for clusters of two or more."""
        groups: dict[int, list[int]] = {}
        for index, root in enumerate(self.survivor):
            if root != index:
                groups.setdefault(root, [root]).append(index)
        return groups


# ---------------------------------------------------------------------------------------------
# Roles and features


@dataclass(frozen=True)
class _Profile:
    first: str | None = None
    last: str | None = None
    org: str | None = None  # an organisation's own name ("name" on accounts)
    email: str | None = None
    phone: str | None = None
    company: str | None = None
    street: str | None = None
    postcode: str | None = None
    city: str | None = None
    website: str | None = None
    title: str | None = None
    region: str | None = None
    country: str | None = None

    @property
    def usable(self) -> bool:
        return bool(self.last or self.first or self.org or self.email or self.phone)


def _profile(target: TargetObject, columns: Mapping[str, Sequence[str] | None]) -> _Profile:
    def has(name: str) -> str | None:
        return name if target.has_field(name) and columns.get(name) is not None else None

    def first_of(kind: FieldType) -> str | None:
        for target_field in target.fields:
            if target_field.type == kind and columns.get(target_field.name) is not None:
                return target_field.name
        return None

    person = has("first_name") or has("last_name")
    return _Profile(
        first=has("first_name"),
        last=has("last_name"),
        org=None if person else has("name"),
        email=first_of(FieldType.EMAIL),
        phone=first_of(FieldType.PHONE),
        company=has("company"),
        street=has("street"),
        postcode=has("postcode"),
        city=has("city"),
        website=has("website"),
        title=has("title"),
        region=has("region"),
        country=has("country"),
    )


def _column(
    columns: Mapping[str, Sequence[str] | None], name: str | None, n: int, norm: Callable
) -> list[str] | None:
    if name is None:
        return None
    values = columns[name] or ()
    cache: dict[str, str] = {}
    out: list[str] = []
    append = out.append
    for value in values:
        if not value:
            append("")
            continue
        normalised = cache.get(value)
        if normalised is None:
            normalised = norm(value)
            if len(cache) < 200_000:
                cache[value] = normalised
        append(normalised)
    return out


def _email_user(email: str) -> str:
    user = email.split("@", 1)[0]
    return user.split("+", 1)[0].replace(".", "")


def _digits(phone: str) -> str:
    return phone.lstrip("+")


class _Features:
    def __init__(
        self, target: TargetObject, columns: Mapping[str, Sequence[str] | None], n: int
    ) -> None:
        profile = _profile(target, columns)
        self.profile = profile
        self.n = n
        # The first word of the first name, folded; and with nicknames resolved (Bob → robert).
        self.first = _column(columns, profile.first, n, lambda v: fold(v).split(" ", 1)[0])
        self.first_canon = (
            [canonical_first_name(v) if v else "" for v in self.first]
            if self.first is not None
            else None
        )
        self.last = _column(columns, profile.last, n, fold)
        self.org = _column(columns, profile.org, n, org_key)
        self.email = _column(columns, profile.email, n, str.lower)
        self.email_user = (
            [_email_user(e) if e else "" for e in self.email] if self.email is not None else None
        )
        self.phone = _column(columns, profile.phone, n, _digits)
        self.company = _column(columns, profile.company, n, org_key)
        self.street = _column(columns, profile.street, n, street_key)
        self.postcode = _column(columns, profile.postcode, n, postcode_key)
        self.city = _column(columns, profile.city, n, fold)
        self.website = _column(columns, profile.website, n, website_key)
        self.title = _column(columns, profile.title, n, fold)
        self.region = _column(columns, profile.region, n, fold)
        self.country = _column(columns, profile.country, n, country_key)
        # Name weights fall with frequency: agreeing on "smith" is weaker evidence than on
        # "okonkwo". Frequencies are smoothed towards a population prior so that small files
        # (where every name is "rare") do not overstate agreement.
        self.first_weight = _frequency_weights(self.first_canon, n, 1 / 300, 2.0, 9.0)
        self.last_weight = _frequency_weights(self.last, n, 1 / 3000, 3.0, 13.0)
        self.org_weight = _frequency_weights(self.org, n, 1 / 5000, 5.0, 13.0)


def _frequency_weights(
    values: list[str] | None, n: int, prior: float, low: float, high: float
) -> dict[str, float]:
    if values is None:
        return {}
    counts = Counter(value for value in values if value)
    pseudo = 1000.0
    weights: dict[str, float] = {}
    for value, count in counts.items():
        u = (count + pseudo * prior) / (n + pseudo)
        weights[value] = min(high, max(low, math.log2(0.95 / u)))
    return weights


# ---------------------------------------------------------------------------------------------
# Blocking


def _blocking_keys(features: _Features) -> list[Callable[[int], str]]:
    f = features
    keys: list[Callable[[int], str]] = []
    if f.email is not None:
        email = f.email
        keys.append(email.__getitem__)
        user = f.email_user or []

        def email_user_key(i: int) -> str:
            value = user[i]
            return value if len(value) >= 4 and value not in GENERIC_EMAIL_USERS else ""

        keys.append(email_user_key)
    if f.phone is not None:
        keys.append(f.phone.__getitem__)
    if f.last is not None:
        last = f.last
        first = f.first_canon

        def soundex_key(i: int) -> str:
            value = last[i]
            if not value:
                return ""
            given = first[i] if first is not None else ""
            return jellyfish.soundex(value) + "|" + (jellyfish.soundex(given) if given else "")

        keys.append(soundex_key)
        if first is not None:

            def swap_key(i: int) -> str:
                a, b = first[i], last[i]
                if not a or not b:
                    return ""
                x, y = jellyfish.metaphone(a), jellyfish.metaphone(b)
                return x + "|" + y if x <= y else y + "|" + x

            keys.append(swap_key)
        if f.postcode is not None:
            postcode = f.postcode

            def postcode_name_key(i: int) -> str:
                a, b = postcode[i], last[i]
                return a + "|" + b[:2] if a and b else ""

            keys.append(postcode_name_key)
    if f.org is not None:
        org = f.org
        keys.append(org.__getitem__)
        postcode_or_city = f.postcode or f.city

        def org_sound_key(i: int) -> str:
            value = org[i]
            if not value:
                return ""
            place = postcode_or_city[i][:3] if postcode_or_city is not None else ""
            return jellyfish.metaphone(value.split(" ", 1)[0]) + "|" + place

        keys.append(org_sound_key)
    if f.website is not None:
        keys.append(f.website.__getitem__)
    return keys


def _sort_key(features: _Features) -> Callable[[int], tuple[str, ...]]:
    parts = [
        c for c in (features.last, features.org, features.first, features.email) if c is not None
    ]
    return lambda i: tuple(column[i] for column in parts)


def _candidate_buckets(features: _Features, progress: Callable[[], None] | None) -> list[array]:
    """Candidate pairs (i < j, encoded i * n + j) in buckets by i, possibly with repeats for
    pairs met in windowed blocks of several passes (the caller dedupes per bucket)."""
    n = features.n
    shift = max(0, (n - 1).bit_length() - 4)  # about 16 buckets
    buckets = [array("q") for _ in range(((n - 1) >> shift) + 1 if n else 1)]
    earlier: list[array] = []
    sort_key = _sort_key(features)
    for key_of in _blocking_keys(features):
        keys = [key_of(i) for i in range(n)]
        order = sorted((i for i in range(n) if keys[i]), key=keys.__getitem__)
        group = array("i", bytes(4 * n))
        group_number = 0
        start = 0
        total = len(order)
        while start < total:
            key = keys[order[start]]
            end = start + 1
            while end < total and keys[order[end]] == key:
                end += 1
            size = end - start
            if size > 1:
                members = order[start:end]  # ascending record order: sorted() is stable
                if size <= MAX_BLOCK:
                    group_number += 1
                    for m in members:
                        group[m] = group_number
                    for x in range(size - 1):
                        i = members[x]
                        bucket = buckets[i >> shift]
                        base = i * n
                        for y in range(x + 1, size):
                            j = members[y]
                            for previous in earlier:
                                g = previous[i]
                                if g and g == previous[j]:
                                    break
                            else:
                                bucket.append(base + j)
                else:
                    members.sort(key=sort_key)
                    for x in range(size - 1):
                        a = members[x]
                        for y in range(x + 1, min(size, x + 1 + WINDOW)):
                            b = members[y]
                            i, j = (a, b) if a < b else (b, a)
                            buckets[i >> shift].append(i * n + j)
            start = end
        earlier.append(group)
        del keys, order
        if progress is not None:
            progress()
    return buckets


# ---------------------------------------------------------------------------------------------
# Scoring

_NO_DIGITS = str.maketrans("", "", "0123456789")
_jw = JaroWinkler.similarity
_lev = Levenshtein.normalized_similarity
_token_set = fuzz.token_set_ratio
_token_sort = fuzz.token_sort_ratio


# Agreement levels of a name comparison.
CONFLICT, NEUTRAL, INITIAL, TYPO, AGREE = 0, 1, 2, 3, 4
_osa = OSA.distance


def _level(a: str, b: str, similarity: float) -> int:
    """AGREE for the same name, TYPO for one slip of the keyboard (one edit in a name of four
    letters or more, or Jaro-Winkler ≥ 0.92), NEUTRAL for look-alikes that may be different
    names (Willie/William), CONFLICT for clearly different names."""
    if similarity >= 0.97:
        return AGREE
    if similarity >= 0.92 or (min(len(a), len(b)) >= 4 and _osa(a, b, score_cutoff=1) <= 1):
        return TYPO
    if similarity >= 0.85:
        return NEUTRAL
    return CONFLICT


def _name_level(a: str, b: str) -> int:
    return AGREE if a == b else _level(a, b, _jw(a, b))


def _first_level(a: str, a_canon: str, b: str, b_canon: str) -> int:
    if a_canon == b_canon:
        return AGREE
    if len(a) == 1 or len(b) == 1:
        same = a[:1] == b[:1] or (
            b in initials_of(a_canon) if len(b) == 1 else a in initials_of(b_canon)
        )
        return INITIAL if same else CONFLICT
    return _level(a, b, max(_jw(a, b), _jw(a_canon, b_canon)))


def _make_scorer(features: _Features, cap: float) -> Callable[..., float]:
    f = features
    first, first_canon, last, org = f.first, f.first_canon, f.last, f.org
    email, email_user, phone = f.email, f.email_user, f.phone
    company, street, postcode, city = f.company, f.street, f.postcode, f.city
    website, title, region, country = f.website, f.title, f.region, f.country
    first_weight, last_weight, org_weight = f.first_weight, f.last_weight, f.org_weight
    jw, lev, token_set, token_sort = _jw, _lev, _token_set, _token_sort
    pow2 = math.pow

    def score(i: int, j: int, detail: dict[str, float] | None = None) -> float:
        bits = PRIOR_BITS
        conflict = same_email = evidence = False
        # --- person names (with swapped first/last) ---
        if last is not None or first is not None:
            f1 = first[i] if first is not None else ""
            f2 = first[j] if first is not None else ""
            l1 = last[i] if last is not None else ""
            l2 = last[j] if last is not None else ""
            flevel = llevel = -1
            fsim = lsim = 0.0
            if f1 and f2:
                c1, c2 = first_canon[i], first_canon[j]
                if c1 == c2:
                    fsim, flevel = 1.0, AGREE
                elif len(f1) == 1 or len(f2) == 1:
                    # An initial against a name: "B." is Billy (not only William, his canon).
                    same = f1[0] == f2[0] or (
                        f2 in initials_of(c1) if len(f2) == 1 else f1 in initials_of(c2)
                    )
                    fsim, flevel = (0.9, INITIAL) if same else (0.0, CONFLICT)
                else:
                    fsim = max(jw(f1, f2), jw(c1, c2))
                    flevel = _level(f1, f2, fsim)
            if l1 and l2:
                lsim = 1.0 if l1 == l2 else jw(l1, l2)
                llevel = AGREE if lsim == 1.0 else _level(l1, l2, lsim)
            swapped_weights = None
            if flevel >= 0 and llevel >= 0 and (flevel < TYPO or llevel < TYPO):
                # Swapped columns in one of the two records: i's first name column holds the
                # last name that j has in its last name column, and the other way round.
                for last_a, last_b, first_a, first_b in ((f1, l2, l1, f2), (l1, f2, f1, l2)):
                    word_a = first_a.split(" ", 1)[0]
                    word_b = first_b.split(" ", 1)[0]
                    canon_a, canon_b = canonical_first_name(word_a), canonical_first_name(word_b)
                    swap_last = _name_level(last_a, last_b)
                    swap_first = _first_level(word_a, canon_a, word_b, canon_b)
                    if (
                        min(swap_last, swap_first) >= INITIAL
                        and max(swap_last, swap_first) >= TYPO
                        and (swap_last, swap_first) > (llevel, flevel)
                    ):
                        llevel, flevel = swap_last, swap_first
                        lsim = 1.0 if last_a == last_b else jw(last_a, last_b)
                        fsim = 0.9 if swap_first == INITIAL else jw(word_a, word_b)
                        # Which column is really the last name is not known: weigh each role
                        # with the lower of the two names' weights (the common reading).
                        swapped_weights = (
                            min(
                                last_weight.get(last_a, 13.0),
                                last_weight.get(last_b, 13.0),
                                last_weight.get(first_a, 13.0),
                                last_weight.get(first_b, 13.0),
                            ),
                            min(
                                first_weight.get(canon_a, 9.0),
                                first_weight.get(canon_b, 9.0),
                                first_weight.get(canonical_first_name(last_a), 9.0),
                                first_weight.get(canonical_first_name(last_b), 9.0),
                            ),
                        )
            if llevel >= 0:
                if swapped_weights is not None:
                    w = swapped_weights[0]
                else:
                    w = min(last_weight.get(l1, 13.0), last_weight.get(l2, 13.0))
                if llevel == AGREE:
                    bits += w
                elif llevel == TYPO:
                    bits += 0.6 * w
                elif llevel == CONFLICT:
                    bits -= 7.0
                    conflict = True
                if detail is not None:
                    detail["last_name"] = lsim
            if flevel >= 0:
                if swapped_weights is not None:
                    w = swapped_weights[1]
                else:
                    w = min(
                        first_weight.get(first_canon[i], 9.0),
                        first_weight.get(first_canon[j], 9.0),
                    )
                if flevel == AGREE:
                    bits += w
                elif flevel == TYPO:
                    bits += 0.6 * w
                elif flevel == INITIAL:
                    bits += 1.5
                elif flevel == CONFLICT:
                    bits -= 6.0
                    conflict = True
                if detail is not None:
                    detail["first_name"] = fsim
        # --- organisation name ---
        if org is not None:
            o1, o2 = org[i], org[j]
            if o1 and o2:
                sim = 1.0 if o1 == o2 else token_sort(o1, o2) / 100.0
                w = min(org_weight.get(o1, 13.0), org_weight.get(o2, 13.0))
                if sim >= 0.95:
                    bits += w
                elif sim >= 0.85:
                    bits += 0.5 * w
                else:
                    bits -= 6.0
                    conflict = True
                if detail is not None:
                    detail["name"] = sim
        # --- email ---
        if email is not None:
            e1, e2 = email[i], email[j]
            if e1 and e2:
                if e1 == e2:
                    sim = 1.0
                    same_email = evidence = email_user[i] not in GENERIC_EMAIL_USERS
                    bits += 13.0 if same_email else 4.0
                else:
                    u1 = email_user[i]
                    if u1 == email_user[j] and len(u1) >= 5 and u1 not in GENERIC_EMAIL_USERS:
                        # Same user at another domain: mostly the name again (jsmith@...).
                        sim = 0.9
                        bits += 1.5
                    else:
                        sim = lev(e1, e2)
                        # A slip of the keyboard, unless the two differ only in digits:
                        # john.smith@ and john.smith2@ are two people, not a typo.
                        typo = sim >= 0.9 and e1.translate(_NO_DIGITS) != e2.translate(_NO_DIGITS)
                        evidence = evidence or typo
                        bits += 4.0 if typo else -3.0
                if detail is not None:
                    detail["email"] = sim
        # --- phone ---
        if phone is not None:
            p1, p2 = phone[i], phone[j]
            if p1 and p2:
                if p1 == p2:
                    sim = 1.0
                    bits += 11.0
                    evidence = True
                elif p1[-9:] == p2[-9:]:
                    sim = 0.95
                    bits += 7.0
                    evidence = True
                else:
                    sim = lev(p1, p2)
                    bits += 1.0 if sim >= 0.9 else -3.0
                if detail is not None:
                    detail["phone"] = sim
        # --- company, address, title ---
        if company is not None:
            c1, c2 = company[i], company[j]
            if c1 and c2:
                sim = 1.0 if c1 == c2 else token_set(c1, c2) / 100.0
                bits += 3.0 if sim >= 0.9 else 1.0 if sim >= 0.75 else -2.0
                if detail is not None:
                    detail["company"] = sim
        if street is not None:
            s1, s2 = street[i], street[j]
            if s1 and s2:
                sim = 1.0 if s1 == s2 else token_sort(s1, s2) / 100.0
                bits += 6.0 if sim >= 0.9 else 2.0 if sim >= 0.75 else -2.0
                evidence = evidence or sim >= 0.9
                if detail is not None:
                    detail["street"] = sim
        if postcode is not None:
            z1, z2 = postcode[i], postcode[j]
            if z1 and z2:
                if z1 == z2:
                    sim = 1.0
                    bits += 7.0
                    evidence = True
                else:
                    sim = lev(z1, z2)
                    bits += 1.0 if z1[:3] == z2[:3] else -3.0
                if detail is not None:
                    detail["postcode"] = sim
        if city is not None:
            t1, t2 = city[i], city[j]
            if t1 and t2:
                sim = 1.0 if t1 == t2 else jw(t1, t2)
                bits += 1.5 if sim >= 0.92 else -1.5
                if detail is not None:
                    detail["city"] = sim
        if website is not None:
            w1, w2 = website[i], website[j]
            if w1 and w2:
                sim = 1.0 if w1 == w2 else lev(w1, w2)
                bits += 10.0 if sim == 1.0 else -2.0
                evidence = evidence or sim == 1.0
                if detail is not None:
                    detail["website"] = sim
        if title is not None:
            h1, h2 = title[i], title[j]
            if h1 and h2:
                sim = 1.0 if h1 == h2 else token_set(h1, h2) / 100.0
                bits += 1.0 if sim >= 0.85 else -0.5
                if detail is not None:
                    detail["title"] = sim
        if region is not None:
            r1, r2 = region[i], region[j]
            if r1 and r2:
                bits += 0.5 if r1 == r2 else -0.5
        if country is not None:
            k1, k2 = country[i], country[j]
            if k1 and k2:
                bits += 0.5 if k1 == k2 else -2.0
        probability = 1.0 / (1.0 + pow2(2.0, -bits)) if bits > -60 else 0.0
        if conflict:
            # Different names: never merged automatically. Only a shared personal email makes
            # it worth a look (a data-entry slip); otherwise colleagues and households sharing
            # a switchboard and an address would flood the review queue.
            limit = cap if same_email else CONFLICT_LIMIT
            if probability > limit:
                probability = limit
        elif not evidence and probability > cap:
            # Names (and company, title, city) alone never merge automatically: two "Robert
            # Smith"s with nothing else in common are a question for the consultant.
            probability = cap
        return round(probability, 4)

    return score


# ---------------------------------------------------------------------------------------------
# Clustering


def find_clusters(
    *,
    ids: Sequence[str],
    columns: Mapping[str, Sequence[str] | None],
    target: TargetObject,
    settings: DedupeSettings,
    decisions: Decisions,
    progress: Callable[[], None] | None = None,
) -> Clustering:
    """Cluster the records (given column by column, in input order, with their legacy ids).

    `columns` maps each target field to its values (or None when the field is not mapped).
    """
    n = len(ids)
    survivor = array("q", range(n))
    clustering = Clustering(survivor=survivor, review_pairs=[])
    if n < 2:
        return clustering
    features = _Features(target, columns, n)
    review_low, auto = settings.review, settings.auto_merge
    cap = round((review_low + auto) / 2, 4)
    scorer = _make_scorer(features, cap) if features.profile.usable else None

    auto_edges: list[tuple[float, int, int]] = []
    review_edges: list[tuple[float, int, int]] = []
    if scorer is not None:
        buckets = _candidate_buckets(features, progress)
        for number in range(len(buckets)):
            bucket, buckets[number] = buckets[number], array("q")  # free as soon as scored
            for code in sorted(set(bucket)):
                i, j = divmod(code, n)
                clustering.candidate_pairs += 1
                score = scorer(i, j)
                if score >= auto:
                    auto_edges.append((-score, i, j))
                elif score >= review_low:
                    review_edges.append((-score, i, j))
        if progress is not None:
            progress()

    # Decisions, by record index (only the few decided ids are looked up).
    decided_ids = {i for pair in decisions.merge | decisions.split for i in pair}
    position = {legacy: index for index, legacy in enumerate(ids) if legacy in decided_ids}

    def indices(pairs: Iterable[frozenset[str]]) -> list[tuple[int, int]]:
        found = []
        for pair in pairs:
            if len(pair) != 2:
                continue
            a, b = sorted(pair)
            if a in position and b in position:
                i, j = sorted((position[a], position[b]))
                found.append((i, j))
        return sorted(found)

    confirmed = indices(decisions.merge)
    split = indices(decisions.split)
    split_set = set(split)
    confirmed_set = set(confirmed)

    parent = survivor

    def find(x: int) -> int:
        while parent[x] != x:
            parent[x] = parent[parent[x]]
            x = parent[x]
        return x

    forbid: dict[int, set[int]] = {}
    for i, j in split:
        forbid.setdefault(i, set()).add(j)
        forbid.setdefault(j, set()).add(i)

    def blocked(ra: int, rb: int) -> bool:
        if not forbid:
            return False
        a_set, b_set = forbid.get(ra), forbid.get(rb)
        if not a_set or not b_set:
            return False
        if len(a_set) > len(b_set):
            a_set, rb = b_set, ra
        return any(find(x) == rb for x in a_set)

    def union(i: int, j: int) -> bool:
        ra, rb = find(i), find(j)
        if ra == rb:
            return False
        if blocked(ra, rb):
            clustering.kept_apart += 1
            return False
        root, child = (ra, rb) if ra < rb else (rb, ra)
        parent[child] = root
        moved = forbid.pop(child, None)
        if moved:
            forbid.setdefault(root, set()).update(moved)
        return True

    for i, j in confirmed:
        if union(i, j):
            clustering.confirmed_pairs += 1
    auto_edges.sort()
    for _, i, j in auto_edges:
        if (i, j) in split_set or (i, j) in confirmed_set:
            continue
        if union(i, j):
            clustering.auto_merged_pairs += 1
    for index in range(n):
        survivor[index] = find(index)

    # One review pair per two clusters (their strongest link): deciding it decides the others,
    # as a split blocks every link between the two clusters and a merge joins them.
    review_edges.sort()
    shown: set[tuple[int, int]] = set()
    for negative, i, j in review_edges:
        if (i, j) in split_set or (i, j) in confirmed_set:
            continue
        ra, rb = survivor[i], survivor[j]
        link = (ra, rb) if ra < rb else (rb, ra)
        if ra == rb or link in shown or blocked(ra, rb):
            continue
        shown.add(link)
        detail: dict[str, float] = {}
        scorer(i, j, detail)  # type: ignore[misc]  # review edges exist only with a scorer
        clustering.review_pairs.append(
            CandidatePair(
                left_id=ids[i],
                right_id=ids[j],
                score=-negative,
                field_scores={name: round(detail[name], 3) for name in sorted(detail)},
            )
        )
    return clustering


def pair_score(
    *,
    left: Mapping[str, str],
    right: Mapping[str, str],
    target: TargetObject,
    settings: DedupeSettings | None = None,
) -> CandidatePair:
    """Score two records given as {field: value} (for explaining a pair on a page, and tests).
    Frequencies are those of a two-record file, so name weights take their prior values."""
    settings = settings or DedupeSettings()
    columns = {
        name: [left.get(name, ""), right.get(name, "")] if name in left or name in right else None
        for name in target.field_names
    }
    features = _Features(target, columns, 2)
    cap = round((settings.review + settings.auto_merge) / 2, 4)
    detail: dict[str, float] = {}
    score = _make_scorer(features, cap)(0, 1, detail) if features.profile.usable else 0.0
    return CandidatePair(
        left_id=left.get("id", ""),
        right_id=right.get("id", ""),
        score=score,
        field_scores={name: round(detail[name], 3) for name in sorted(detail)},
    )


# ---------------------------------------------------------------------------------------------
# Survivorship


def survive(
    members: Sequence[int],
    columns: Mapping[str, Sequence[str] | None],
    target: TargetObject,
    settings: DedupeSettings,
) -> dict[str, str]:
    """The merged record of a cluster (member indices in record order): per field, the value
    chosen by the field's survivorship rule. Empty values never win over filled ones."""
    mapped = [(name, values) for name, values in columns.items() if values is not None]
    filled = {m: sum(1 for _, values in mapped if values[m]) for m in members}
    order_complete = sorted(members, key=lambda m: (-filled[m], m))

    recency = columns.get(settings.recency_field) if settings.recency_field else None
    if recency is not None:
        # Latest date first; undated members after, later rows first among equals.
        order_recent = sorted(members, key=lambda m: (recency[m] or "", m), reverse=True)
    else:
        order_recent = sorted(members, reverse=True)

    source = columns.get(settings.source_field) if settings.source_field else None
    priority = {name.casefold(): rank for rank, name in enumerate(settings.source_priority)}
    if source is not None and priority:
        order_source = sorted(
            members,
            key=lambda m: (priority.get(source[m].casefold(), len(priority)), -filled[m], m),
        )
    else:
        order_source = order_complete

    merged: dict[str, str] = {}
    for target_field in target.fields:
        values = columns.get(target_field.name)
        if values is None:
            merged[target_field.name] = ""
            continue
        rule = settings.rule_for(target_field.name)
        if rule == "most_recent":
            order = order_recent
        elif rule == "source_priority":
            order = order_source
        else:
            # Among the most complete members, prefer the longer value ("J." < "John").
            best_filled = None
            order = order_complete
            candidates = [m for m in order if values[m]]
            if candidates:
                best_filled = filled[candidates[0]]
                top = [m for m in candidates if filled[m] == best_filled]
                top.sort(key=lambda m: (-len(values[m]), m))
                merged[target_field.name] = values[top[0]]
                continue
        merged[target_field.name] = next((values[m] for m in order if values[m]), "")
    return merged
