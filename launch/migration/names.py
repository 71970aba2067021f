"""Name normalisation for matching: accent folding, nicknames, organisation suffixes.

The nickname table is deliberately small and common (English given names and their usual short
forms); a nickname maps to one canonical name so "Bob Smith" and "Robert Smith" compare equal.
"""

from __future__ import annotations

import re
import unicodedata

_NOT_ALNUM = re.compile(r"[^a-z0-9 ]+")
_SPACES = re.compile(r" {2,}")

_NICKNAMES: dict[str, tuple[str, ...]] = {
    "alexander": ("alex", "alec", "xander"),
    "alexandra": ("alexa", "sasha", "lexi"),
    "andrew": ("andy", "drew"),
    "anthony": ("tony", "ant"),
    "benjamin": ("ben", "benny", "benji"),
    "catherine": ("cathy", "cath", "kate", "katie", "kathy", "cat"),
    "charles": ("charlie", "chuck", "chas"),
    "christopher": ("chris", "kit", "topher"),
    "christine": ("chrissie", "tina"),
    "daniel": ("dan", "danny"),
    "david": ("dave", "davy"),
    "deborah": ("debbie", "deb", "debra"),
    "donald": ("don", "donnie"),
    "dorothy": ("dot", "dotty", "dottie"),
    "edward": ("ed", "eddie", "ted", "ned"),
    "elizabeth": ("liz", "lizzie", "beth", "betty", "eliza", "libby", "bess"),
    "eleanor": ("ellie", "nell"),
    "frederick": ("fred", "freddie"),
    "gregory": ("greg",),
    "harold": ("harry", "hal"),
    "henry": ("hank",),
    "jacqueline": ("jackie", "jacqui"),
    "james": ("jim", "jimmy", "jamie"),
    "jennifer": ("jen", "jenny", "jenn"),
    "jonathan": ("jon", "jonny"),
    "john": ("johnny", "jack"),
    "joseph": ("joe", "joey"),
    "joshua": ("josh",),
    "katherine": ("kathryn",),
    "kenneth": ("ken", "kenny"),
    "lawrence": ("larry", "laurie"),
    "leonard": ("leo", "len", "lenny"),
    "margaret": ("maggie", "meg", "peggy", "madge", "marge"),
    "matthew": ("matt", "matty"),
    "michael": ("mike", "mick", "mickey", "mikey"),
    "nathaniel": ("nate", "nat"),
    "nicholas": ("nick", "nicky", "nico"),
    "patricia": ("patty", "trish", "tricia"),
    "patrick": ("paddy",),
    "peter": ("pete",),
    "philip": ("phil", "pip"),
    "rebecca": ("becky", "becca", "bex"),
    "richard": ("rick", "rich", "dick", "ricky", "richie"),
    "robert": ("rob", "bob", "bobby", "robbie"),
    "ronald": ("ron", "ronnie"),
    "samuel": ("sam", "sammy"),
    "samantha": ("sammie",),
    "stephen": ("steve", "stevie", "steven"),
    "susan": ("sue", "susie", "suzy"),
    "theodore": ("theo", "teddy"),
    "thomas": ("tom", "tommy"),
    "timothy": ("tim", "timmy"),
    "victoria": ("vicky", "vicki", "tori"),
    "william": ("will", "bill", "billy", "willy"),
    "zachary": ("zach", "zack"),
}
NICKNAME_TO_NAME: dict[str, str] = {
    nick: name for name, nicks in sorted(_NICKNAMES.items()) for nick in nicks
}

_ORG_SUFFIXES = frozenset(
    {
        "ltd", "limited", "inc", "incorporated", "llc", "llp", "plc", "gmbh", "ag", "sa", "sas",
        "sarl", "bv", "nv", "co", "corp", "corporation", "company", "group", "holdings", "the",
        "pty", "srl", "spa", "oy", "ab", "as", "kg",
    }
)  # fmt: skip
_STREET_WORDS = {
    "street": "st",
    "road": "rd",
    "avenue": "ave",
    "lane": "ln",
    "drive": "dr",
    "court": "ct",
    "place": "pl",
    "square": "sq",
    "crescent": "cres",
    "close": "cl",
    "terrace": "ter",
    "gardens": "gdns",
    "boulevard": "blvd",
    "north": "n",
    "south": "s",
    "east": "e",
    "west": "w",
}


def fold(text: str) -> str:
    """Lower case, accents removed, punctuation to spaces, spaces collapsed: "  O'Brien-Núñez"
    → "o brien nunez"."""
    if not text:
        return ""
    if not text.isascii():
        text = unicodedata.normalize("NFKD", text)
        text = "".join(ch for ch in text if not unicodedata.combining(ch))
    text = _NOT_ALNUM.sub(" ", text.lower())
    return _SPACES.sub(" ", text).strip()


_INITIALS: dict[str, frozenset[str]] = {
    name: frozenset({name[0], *(nick[0] for nick in nicks)}) for name, nicks in _NICKNAMES.items()
}


def initials_of(canonical: str) -> frozenset[str]:
    """The initials a person of this (canonical) first name may sign with: Robert → R or B."""
    return _INITIALS.get(canonical) or frozenset(canonical[:1])


def canonical_first_name(folded: str) -> str:
    """The first word of a folded first name, nicknames resolved: "bob" → "robert"."""
    word = folded.split(" ", 1)[0]
    return NICKNAME_TO_NAME.get(word, word)


def org_key(text: str) -> str:
    """An organisation name for matching: folded, "&" as "and", legal suffixes dropped:
    "The Acme Co., Ltd." → "acme"."""
    folded = fold(text.replace("&", " and "))
    words = [word for word in folded.split(" ") if word and word not in _ORG_SUFFIXES]
    return " ".join(words) if words else folded


def street_key(text: str) -> str:
    folded = fold(text)
    return " ".join(_STREET_WORDS.get(word, word) for word in folded.split(" ") if word)


def postcode_key(text: str) -> str:
    return "".join(ch for ch in text.upper() if ch.isalnum())


def website_key(text: str) -> str:
    """ "https://www.Acme.co.uk/about" → "acme.co.uk"."""
    text = text.strip().lower()
    for prefix in ("https://", "http://"):
        if text.startswith(prefix):
            text = text[len(prefix) :]
    text = text.split("/", 1)[0].split("?", 1)[0]
    return text.removeprefix("www.")


_COUNTRIES = {
    "uk": "gb",
    "gb": "gb",
    "united kingdom": "gb",
    "great britain": "gb",
    "britain": "gb",
    "england": "gb",
    "scotland": "gb",
    "wales": "gb",
    "northern ireland": "gb",
    "us": "us",
    "usa": "us",
    "united states": "us",
    "united states of america": "us",
    "america": "us",
    "deutschland": "de",
    "germany": "de",
    "france": "fr",
    "espana": "es",
    "spain": "es",
    "nederland": "nl",
    "netherlands": "nl",
    "the netherlands": "nl",
    "holland": "nl",
    "ireland": "ie",
    "eire": "ie",
}


def country_key(text: str) -> str:
    """ "United Kingdom", "UK", "G.B." → "gb" for the usual spellings; others folded."""
    folded = fold(text)
    return _COUNTRIES.get(folded, _COUNTRIES.get(folded.replace(" ", ""), folded))
