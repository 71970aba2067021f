"""Benchmark of the data-migration engine's deduplication against a naive baseline.

    .venv/bin/python bench/bench_dedupe.py                  # 100,000 rows (the default)
    .venv/bin/python bench/bench_dedupe.py --rows 1000000   # the 1M-row scale run (minutes)
    .venv/bin/python bench/bench_dedupe.py --rows 20000 --seed 3 --keep /tmp/dd   # keep files

It generates synthetic contacts with planted duplicates and known truth, then runs, each in a
fresh process so that time and peak memory are its own:

- **engine**: `launch.migration.cli.dedupe_csv_file` — exactly what `manage.py dedupe_csv`
  runs: inspect the file (one streaming pass), map, transform, validate, block, score,
  cluster, write one `id,cluster_id` line per row;
- **baseline**: exact match on the normalised (trimmed, lower-cased) email, read with the csv
  module; rows without an email stay alone.

It prints both side by side: rows per second, peak memory (the process's maximum resident set,
from `resource.getrusage`), and the precision, recall and F1 of the duplicate pairs found (a
cluster of n rows found counts n·(n−1)/2 pairs) against the planted truth, plus the size and
precision of the engine's review queue (pairs it leaves to the consultant, not counted as
found). No Django set-up is needed: the engine is plain Python.

The generator (seeded, so runs are repeatable): about 20% of people appear 2–4 times; every
copy gets 1–3 corruptions among typos in names, swapped first/last names, nicknames or
initials, case and spacing, other phone formats or a missing phone, a missing/other/typo'd
email, missing company/title/address fields, street abbreviations, company-name variants.
Hard negatives are in too: common names shared by different people (names are drawn from a
skewed distribution), households (about 3% of people share a last name, landline and address
with another person, with their own first name and email) and colleagues (about 7% share a
company, its switchboard number and office address with another person). Aim: F1 ≥ 0.95 at
100,000 rows; 1,000,000 rows within 2 GB.

Read the ratios, not absolute times: they depend on the machine.
"""

from __future__ import annotations

import argparse
import csv
import multiprocessing
import pathlib
import random
import resource
import sys
import tempfile
import time
from array import array
from collections import Counter

import phonenumbers

ROOT = pathlib.Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:
    sys.path.insert(0, str(ROOT))

HEADERS = (
    "Contact ID",
    "First Name",
    "Last Name",
    "Email",
    "Phone",
    "Company",
    "Job Title",
    "Street",
    "City",
    "Postcode",
    "Region",
    "Country",
)
MAP = (
    "First Name:first_name",
    "Last Name:last_name",
    "Email:email",
    "Phone:phone",
    "Company:company",
    "Job Title:title",
    "Street:street",
    "City:city",
    "Postcode:postcode",
    "Region:region",
    "Country:country",
)

# ---------------------------------------------------------------------------------------------
# Name pools (skewed: the first entries are drawn far more often)


def _words(text: str) -> tuple[str, ...]:
    return tuple(word.replace("_", " ") for word in text.split())


FIRST_NAMES = _words(
    "James John Robert Michael William David Richard Joseph Thomas Charles Christopher Daniel "
    "Matthew Anthony Mark Donald Steven Paul Andrew Joshua Kenneth Kevin Brian George Timothy "
    "Ronald Edward Jason Jeffrey Ryan Jacob Gary Nicholas Eric Jonathan Stephen Larry Justin "
    "Scott Brandon Benjamin Samuel Gregory Alexander Frank Patrick Raymond Jack Dennis Jerry "
    "Tyler Aaron Jose Adam Nathan Henry Douglas Zachary Peter Kyle Noah Ethan Jeremy Walter "
    "Christian Keith Roger Terry Austin Sean Gerald Carl Harold Dylan Arthur Lawrence Jordan "
    "Jesse Bryan Billy Bruce Gabriel Joe Logan Alan Juan Albert Willie Elijah Wayne Randy "
    "Vincent Mary Patricia Jennifer Linda Elizabeth Barbara Susan Jessica Sarah Karen Lisa "
    "Nancy Betty Sandra Margaret Ashley Kimberly Emily Donna Michelle Carol Amanda Melissa "
    "Deborah Stephanie Dorothy Rebecca Sharon Laura Cynthia Amy Kathleen Angela Shirley Brenda "
    "Emma Anna Pamela Nicole Samantha Katherine Christine Helen Debra Rachel Carolyn Janet "
    "Maria Catherine Heather Diane Olivia Julie Joyce Victoria Ruth Virginia Lauren Kelly "
    "Christina Joan Evelyn Judith Andrea Hannah Megan Cheryl Jacqueline Martha Madison Teresa "
    "Gloria Sara Janice Ann Kathryn Abigail Sophia Frances Jean Alice Judy Isabella Julia Grace "
    "Amber Denise Danielle Marilyn Beverly Charlotte Natalie Theresa Diana Brittany Doris "
    "Kayla Alexis Lori Marie Aisha Priya Mohammed Wei Oluwaseun Siobhan Niamh Dmitri Hiroshi "
    "Fatima Ingrid Lars Giulia Matteo Chloe Zoe Freya Isla Poppy Ava Mia Ella Amelia Leah"
)
COMMON_LAST = _words(
    "Smith Jones Williams Taylor Brown Davies Evans Wilson Thomas Johnson Roberts Robinson "
    "Thompson Wright Walker White Edwards Hughes Green Hall Lewis Harris Clarke Patel Jackson "
    "Wood Turner Martin Cooper Hill Ward Morris Moore Clark Lee King Baker Harrison Morgan "
    "Allen James Scott Phillips Watson Davis Parker Price Bennett Young Griffiths Mitchell "
    "Kelly Cook Carter Richardson Bailey Collins Bell Shaw Murphy Miller Cox Richards Khan "
    "Marshall Anderson Simpson Ellis Adams Singh Begum Wilkinson Foster Chapman Powell Webb "
    "Rogers Gray Mason Ali Hunt Hussain Campbell Matthews Owen Palmer Holmes Mills Barnes "
    "Knight Lloyd Butler Russell Barker Fisher Stevens Jenkins Murray Dixon Harvey Graham "
    "Pearson Ahmed Fletcher Walsh Kaur Gibson Howard Andrews Stewart Elliott Reynolds Saunders "
    "Payne Fox Ford Pearce Day Brooks West Lawrence Cole Atkinson Bradley Spencer Gill Dawson "
    "Ball Burton O'Brien Watts Rose Booth Perry Ryan Grant Wells Armstrong Francis Rees Hayes "
    "Hart Hudson Newman Barrett Webster Hunter Gregory Carr Lowe Page Marsh Riley Dunn Woods "
    "Parsons Berry Stone Reid Holland Hawkins Harding Porter Robertson Newton Oliver Reed "
    "Kennedy Williamson Bird Gardner Shah Dean Lane Cooke Bates Henderson Parry Burgess Bishop "
    "Walton Burns Nicholson Shepherd Ross Cross Long Freeman Warren Nicholls Hamilton Byrne "
    "Sutton McDonald Yates Hodgson Robson Curtis Hopkins O'Connor Harper Coleman Watkins Moss "
    "Nowak Kowalski Rossi Ferrari Müller Schmidt García Fernández Nguyen Tran Chen Wang Li "
    "Zhang Kim Park Okafor Mensah Van_der_Berg de_Jong Jansen O'Sullivan MacLeod Ó_Briain"
)
LAST_PREFIX = _words(
    "Ash Black Bram Brook Clay Cran Dal Els Fair Fen Gold Hal Hart Hay Hol Kirk Lang Lin Mar "
    "Mid Nor Oak Pen Ram Red Rid Rook Rush Sal Sel Shel Stan Stock Sut Thorn Wal War Wes Whit "
    "Wick Win Wood Yar Bel Cal Dun Fal Gar Hew Ire Jar Kel Lud Mor Ned Ost Pil Quin Ros Tam"
)
LAST_SUFFIX = _words(
    "bury by cliffe combe cott croft dale den don field ford gate ham hurst ington land lee "
    "ley low mere more ridge shaw stead stoke ston thorpe ton well wick wood worth"
)
COMPANY_WORDS = _words(
    "Acme Apex Atlas Beacon Blue Bright Cedar Crown Delta Eagle Echo Falcon Forge Granite "
    "Harbour Horizon Iron Jade Keystone Lumen Maple Meridian Nova Oak Orbit Pioneer Quantum "
    "Red River Sage Silver Sterling Summit Swift Thames Titan Union Vertex Willow Zenith "
    "North South Alpha Omega Prime Civic Coastal Metro Northern Royal Solar Vector"
)
COMPANY_KINDS = _words(
    "Logistics Systems Foods Partners Consulting Analytics Engineering Software Media Health "
    "Capital Energy Retail Labs Networks Holdings Group Solutions Supplies Motors Design"
)
COMPANY_SUFFIX = ("Ltd", "Ltd", "Limited", "plc", "LLP", "Group", "")
TITLES = (
    "Sales Director",
    "Account Executive",
    "Head of Operations",
    "Finance Manager",
    "CEO",
    "CTO",
    "Marketing Manager",
    "Office Manager",
    "Procurement Lead",
    "IT Manager",
    "Operations Analyst",
    "Customer Success Manager",
    "VP Sales",
    "Sales Representative",
    "HR Business Partner",
)
STREETS = _words(
    "High Church Station Park Victoria Green Manor Mill Kings Queens New School Grange "
    "Chapel Windsor London York Albert Springfield Richmond Cedar Elm Oak Willow Meadow Orchard "
    "Bridge Castle Market Hill Brook Valley Forest Highfield Stanley Alexandra Belmont Clarence"
)
STREET_TYPES = ("Street", "Road", "Avenue", "Lane", "Drive", "Close", "Way", "Gardens")
CITIES = (
    ("London", "Greater London"),
    ("Manchester", "Greater Manchester"),
    ("Birmingham", "West Midlands"),
    ("Leeds", "West Yorkshire"),
    ("Glasgow", "Scotland"),
    ("Bristol", "Bristol"),
    ("Liverpool", "Merseyside"),
    ("Sheffield", "South Yorkshire"),
    ("Edinburgh", "Scotland"),
    ("Cardiff", "Wales"),
    ("Nottingham", "Nottinghamshire"),
    ("Leicester", "Leicestershire"),
    ("Cambridge", "Cambridgeshire"),
    ("Oxford", "Oxfordshire"),
    ("Brighton", "East Sussex"),
    ("Reading", "Berkshire"),
    ("York", "North Yorkshire"),
    ("Norwich", "Norfolk"),
    ("Exeter", "Devon"),
    ("Belfast", "Northern Ireland"),
)
PERSONAL_DOMAINS = ("gmail.com", "yahoo.co.uk", "hotmail.co.uk", "outlook.com", "btinternet.com")
NICKNAMES = {
    "Robert": ("Bob", "Rob", "Bobby"),
    "William": ("Bill", "Will"),
    "Richard": ("Rick", "Rich"),
    "Michael": ("Mike", "Mick"),
    "James": ("Jim", "Jimmy", "Jamie"),
    "Thomas": ("Tom", "Tommy"),
    "Christopher": ("Chris",),
    "Elizabeth": ("Liz", "Beth", "Betty"),
    "Margaret": ("Maggie", "Peggy"),
    "Katherine": ("Kathryn",),
    "Catherine": ("Cathy", "Kate"),
    "Jennifer": ("Jen", "Jenny"),
    "Daniel": ("Dan", "Danny"),
    "Matthew": ("Matt",),
    "Anthony": ("Tony",),
    "Joseph": ("Joe",),
    "Edward": ("Ed", "Ted"),
    "Samuel": ("Sam",),
    "Benjamin": ("Ben",),
    "Alexander": ("Alex",),
    "Andrew": ("Andy",),
    "David": ("Dave",),
    "Stephen": ("Steve",),
    "Timothy": ("Tim",),
    "Rebecca": ("Becky",),
    "Victoria": ("Vicky",),
    "Susan": ("Sue",),
    "Deborah": ("Debbie",),
    "Patricia": ("Trish",),
    "Nicholas": ("Nick",),
    "Jonathan": ("Jon",),
    "Kenneth": ("Ken",),
    "Ronald": ("Ron",),
    "Gregory": ("Greg",),
    "Zachary": ("Zach",),
    "Lawrence": ("Larry",),
}
STREET_ABBREVIATIONS = {"Street": "St", "Road": "Rd", "Avenue": "Ave", "Lane": "Ln", "Drive": "Dr"}


def _skewed(rng: random.Random, items: list | tuple, power: float = 1.6):
    """Zipf-like pick: low indices far more often."""
    return items[min(len(items) - 1, int(len(items) * rng.random() ** power))]


class Generator:
    def __init__(self, seed: int, rows: int) -> None:
        self.rng = random.Random(seed)  # noqa: S311 - synthetic data, not secrets
        self.used_emails: set[str] = set()
        rng = self.rng
        n_companies = max(50, rows // 25)
        self.companies = []
        for _ in range(n_companies):
            name = f"{rng.choice(COMPANY_WORDS)} {rng.choice(COMPANY_KINDS)}"
            suffix = rng.choice(COMPANY_SUFFIX)
            domain = name.lower().replace(" ", "") + rng.choice((".co.uk", ".com", ".io"))
            self.companies.append((f"{name} {suffix}".strip(), domain))
        self.domain_of = dict(self.companies)
        self.synthetic_last = [p + s for p in LAST_PREFIX for s in LAST_SUFFIX]
        rng.shuffle(self.synthetic_last)

    # --- a person ---
    def last_name(self) -> str:
        if self.rng.random() < 0.6:
            return _skewed(self.rng, COMMON_LAST, 1.8)
        return _skewed(self.rng, self.synthetic_last, 1.3)

    def email(self, first: str, last: str, domain: str) -> str:
        rng = self.rng
        f, last_part = first.lower(), "".join(ch for ch in last.lower() if ch.isalpha())
        pattern = rng.random()
        if pattern < 0.5:
            local = f"{f}.{last_part}"
        elif pattern < 0.7:
            local = f"{f[0]}{last_part}"
        elif pattern < 0.85:
            local = f"{f}{last_part[0]}"
        else:
            local = f"{f}_{last_part}{rng.randint(1, 99)}"
        local = "".join(ch for ch in local if ch.isascii())
        email = f"{local}@{domain}"
        tries = 0
        while email in self.used_emails:
            tries += 1
            email = f"{local}{rng.randint(2, 99 * tries)}@{domain}"
        self.used_emails.add(email)
        return email

    def phone(self) -> str:
        rng = self.rng
        while True:
            if rng.random() < 0.6:
                if rng.random() < 0.6:
                    number = f"020{rng.choice('378')}{rng.randint(0, 9999999):07d}"
                else:
                    number = f"0161{rng.randint(0, 9999999):07d}"
            else:
                number = f"07{rng.choice('45789')}{rng.randint(0, 99999999):08d}"
            # Only numbers in allocated ranges: the planted errors are duplicates, not phones.
            if phonenumbers.is_valid_number(phonenumbers.parse(number, "GB")):
                return number

    def person(self, household_of: dict | None = None, colleague_of: dict | None = None) -> dict:
        rng = self.rng
        first = _skewed(rng, FIRST_NAMES, 1.5)
        if colleague_of is not None:
            # Same company, switchboard number and office address; their own name and email.
            p = dict(colleague_of)
            p["first"], p["last"] = first, self.last_name()
            domain = self.domain_of.get(p["company"], "example.com")
            p["email"] = self.email(p["first"], p["last"], domain)
            p["title"] = rng.choice(TITLES)
            return p
        if household_of is not None:
            while first == household_of["first"]:
                first = _skewed(rng, FIRST_NAMES, 1.5)
            p = dict(household_of)
            p["first"] = first
            p["company"], domain = rng.choice(self.companies)
            p["email"] = self.email(first, p["last"], rng.choice(PERSONAL_DOMAINS))
            p["title"] = rng.choice(TITLES)
            return p
        last = self.last_name()
        company, domain = _skewed(rng, self.companies, 1.3)
        city, region = _skewed(rng, CITIES, 1.4)
        letters = "ABCDEFGHJKLMNPRSTUWYZ"
        postcode = (
            f"{rng.choice(letters)}{rng.choice(letters)}{rng.randint(1, 29)} "
            f"{rng.randint(0, 9)}{rng.choice(letters)}{rng.choice(letters)}"
        )
        return {
            "first": first,
            "last": last,
            "email": ""
            if rng.random() < 0.08
            else self.email(
                first, last, domain if rng.random() < 0.7 else rng.choice(PERSONAL_DOMAINS)
            ),
            "phone": "" if rng.random() < 0.1 else self.phone(),
            "company": "" if rng.random() < 0.1 else company,
            "title": "" if rng.random() < 0.2 else rng.choice(TITLES),
            "street": ""
            if rng.random() < 0.15
            else f"{rng.randint(1, 240)} {rng.choice(STREETS)} {rng.choice(STREET_TYPES)}",
            "city": city,
            "postcode": postcode,
            "region": region,
            "country": rng.choice(("United Kingdom", "United Kingdom", "UK", "GB", "")),
        }

    # --- formatting and corruption of one copy ---
    def format_phone(self, digits: str) -> str:
        if not digits:
            return ""
        rng = self.rng
        national = digits[1:]
        style = rng.random()
        if digits.startswith("020"):
            parts = (digits[:3], digits[3:7], digits[7:])
        elif digits.startswith("0161"):
            parts = (digits[:4], digits[4:7], digits[7:])
        else:
            parts = (digits[:5], digits[5:])
        if style < 0.35:
            return " ".join(parts)
        if style < 0.55:
            return digits
        if style < 0.75:
            return "+44 " + " ".join((parts[0][1:], *parts[1:]))
        if style < 0.85:
            return "+44 (0)" + " ".join((parts[0][1:], *parts[1:]))
        if style < 0.95:
            return f"({parts[0]}) " + "-".join(parts[1:])
        return "0044" + national

    def typo(self, text: str) -> str:
        rng = self.rng
        if len(text) < 4:
            return text
        i = rng.randint(1, len(text) - 2)
        if not (text[i].isalpha() and text[i + 1].isalpha()):
            return text  # keep typos to letters: a doubled "." makes an invalid email
        kind = rng.random()
        if kind < 0.3:
            return text[:i] + text[i + 1] + text[i] + text[i + 2 :]  # transposition
        if kind < 0.55:
            return text[:i] + text[i + 1 :]  # deletion
        if kind < 0.8:
            return text[:i] + text[i] + text[i:]  # doubled letter
        return text[:i] + rng.choice("aeioulnrst") + text[i + 1 :]  # substitution

    def copy(self, p: dict) -> dict:
        rng = self.rng
        c = dict(p)
        swap = False
        for _ in range(rng.choice((1, 1, 2, 2, 3))):
            kind = rng.random()
            if kind < 0.16:
                key = rng.choice(("first", "last"))
                c[key] = self.typo(c[key])
            elif kind < 0.24:
                swap = True
            elif kind < 0.36:
                nicks = NICKNAMES.get(p["first"])
                c["first"] = rng.choice(nicks) if nicks else p["first"][0] + "."
            elif kind < 0.46:
                how = rng.choice((str.upper, str.lower, str.title))
                c["first"], c["last"] = how(c["first"]), "  " + how(c["last"]) + " "
                c["company"] = how(c["company"])
            elif kind < 0.56:
                c["phone"] = ""
            elif kind < 0.70:
                change = rng.random()
                if change < 0.5:
                    c["email"] = ""
                elif change < 0.75:
                    c["email"] = " " + c["email"].upper() + " "
                else:
                    c["email"] = self.email(p["first"], p["last"], rng.choice(PERSONAL_DOMAINS))
            elif kind < 0.80:
                for key in rng.sample(("company", "title", "street", "postcode", "city"), 2):
                    c[key] = ""
            elif kind < 0.88:
                for word, short in STREET_ABBREVIATIONS.items():
                    c["street"] = c["street"].replace(word, short)
                if rng.random() < 0.5:
                    c["street"] = self.typo(c["street"])
            elif kind < 0.94:
                if c["email"] and "@" in c["email"]:
                    user, _, domain = c["email"].partition("@")
                    c["email"] = self.typo(user) + "@" + domain
            else:
                company = c["company"]
                for a, b in ((" Ltd", " Limited"), (" Limited", ""), (" plc", " PLC")):
                    if company.endswith(a):
                        company = company[: -len(a)] + b
                        break
                c["company"] = company.upper() if rng.random() < 0.3 else company
        if swap:
            c["first"], c["last"] = c["last"], c["first"]
        return c


def generate(path: pathlib.Path, rows: int, seed: int) -> tuple[array, int, int]:
    """Write `rows` contacts to `path`; return each row's person number (the truth), the
    number of people and of planted duplicate pairs."""
    gen = Generator(seed, rows)
    rng = gen.rng
    records: list[tuple] = []
    people: list[int] = []
    person = 0
    previous: dict | None = None
    while len(records) < rows:
        chance = rng.random()
        if previous is not None and chance < 0.03:
            base = gen.person(household_of=previous)
        elif previous is not None and chance < 0.10 and previous["company"]:
            base = gen.person(colleague_of=previous)
        else:
            base = gen.person()
        previous = base
        size = 1
        if rng.random() < 0.2:
            size = rng.choices((2, 3, 4), weights=(65, 25, 10))[0]
        size = min(size, rows - len(records))
        for copy_number in range(size):
            c = base if copy_number == 0 else gen.copy(base)
            records.append(
                (
                    c["first"],
                    c["last"],
                    c["email"],
                    gen.format_phone(c["phone"]),
                    c["company"],
                    c["title"],
                    c["street"],
                    c["city"],
                    c["postcode"],
                    c["region"],
                    c["country"],
                )
            )
            people.append(person)
        person += 1
    gen.used_emails.clear()
    order = list(range(rows))
    rng.shuffle(order)
    truth = array("q", bytes(8 * rows))
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle)
        writer.writerow(HEADERS)
        for position, source in enumerate(order):
            writer.writerow((f"C{position + 1:07d}", *records[source]))
            truth[position] = people[source]
    sizes = Counter(people)
    pairs = sum(n * (n - 1) // 2 for n in sizes.values())
    return truth, person, pairs


# ---------------------------------------------------------------------------------------------
# The two contestants, each run in a fresh process


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def run_engine(path: str, out: str, review: str, queue) -> None:
    from launch.migration.cli import dedupe_csv_file, parse_map_option

    start = time.perf_counter()
    summary = dedupe_csv_file(
        pathlib.Path(path),
        id_column="Contact ID",
        field_map=parse_map_option(MAP),
        out=pathlib.Path(out),
        review_out=pathlib.Path(review),
    )
    seconds = time.perf_counter() - start
    queue.put(
        {
            "seconds": seconds,
            "peak_mib": _peak_mib(),
            "rejected": summary.rejected,
            "review_pairs": summary.review_pairs,
            "clusters": summary.clusters,
        }
    )


def run_baseline(path: str, out: str, queue) -> None:
    start = time.perf_counter()
    first_with: dict[str, str] = {}
    clusters = 0
    with (
        open(path, encoding="utf-8", newline="") as source,
        open(out, "w", encoding="utf-8", newline="") as target,
    ):
        writer = csv.writer(target)
        writer.writerow(("id", "cluster_id"))
        for row in csv.DictReader(source):
            email = row["Email"].strip().lower()
            row_id = row["Contact ID"]
            cluster = first_with.setdefault(email, row_id) if email else row_id
            clusters += cluster == row_id
            writer.writerow((row_id, cluster))
    queue.put(
        {
            "seconds": time.perf_counter() - start,
            "peak_mib": _peak_mib(),
            "rejected": 0,
            "review_pairs": 0,
            "clusters": clusters,
        }
    )


def _in_fresh_process(target, *args) -> dict:
    context = multiprocessing.get_context("spawn")
    queue = context.Queue()
    process = context.Process(target=target, args=(*args, queue))
    process.start()
    result = queue.get()
    process.join()
    if process.exitcode:
        raise SystemExit(f"{target.__name__} failed with exit code {process.exitcode}")
    return result


# ---------------------------------------------------------------------------------------------
# Scoring


def _row_number(row_id: str) -> int:
    return int(row_id[1:]) - 1


def pair_metrics(clusters_path: pathlib.Path, truth: array) -> dict:
    together: Counter[tuple[str, int]] = Counter()
    cluster_sizes: Counter[str] = Counter()
    with clusters_path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        for row_id, cluster in reader:
            person = truth[_row_number(row_id)]
            together[(cluster, person)] += 1
            cluster_sizes[cluster] += 1
    person_sizes = Counter(truth)
    found = sum(n * (n - 1) // 2 for n in cluster_sizes.values())
    true = sum(n * (n - 1) // 2 for n in person_sizes.values())
    hits = sum(n * (n - 1) // 2 for n in together.values())
    precision = hits / found if found else 1.0
    recall = hits / true if true else 1.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {"found": found, "true": true, "hits": hits, "p": precision, "r": recall, "f1": f1}


def review_precision(review_path: pathlib.Path, truth: array) -> tuple[int, int]:
    total = right = 0
    with review_path.open(encoding="utf-8", newline="") as handle:
        reader = csv.reader(handle)
        next(reader)
        for row in reader:
            total += 1
            right += truth[_row_number(row[0])] == truth[_row_number(row[1])]
    return total, right


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--keep", type=pathlib.Path, help="keep the generated files here")
    args = parser.parse_args()

    with tempfile.TemporaryDirectory(prefix="bench_dedupe_") as scratch:
        folder = args.keep or pathlib.Path(scratch)
        folder.mkdir(parents=True, exist_ok=True)
        source = folder / "contacts.csv"
        started = time.perf_counter()
        truth, people, planted = generate(source, args.rows, args.seed)
        generated = time.perf_counter() - started
        print(
            f"Deduplication: {args.rows:,} contacts ({people:,} people, {planted:,} planted "
            f"duplicate pairs), seed {args.seed}; generated in {generated:.1f} s, "
            f"{source.stat().st_size / 2**20:.0f} MiB",
            flush=True,
        )
        engine = _in_fresh_process(
            run_engine, str(source), str(folder / "engine.csv"), str(folder / "review.csv")
        )
        baseline = _in_fresh_process(run_baseline, str(source), str(folder / "baseline.csv"))
        em = pair_metrics(folder / "engine.csv", truth)
        bm = pair_metrics(folder / "baseline.csv", truth)
        reviewed, review_true = review_precision(folder / "review.csv", truth)

    rows = args.rows
    lines = [
        ("", "engine", "baseline (exact email)"),
        ("time", f"{engine['seconds']:.1f} s", f"{baseline['seconds']:.1f} s"),
        (
            "rows/s",
            f"{rows / engine['seconds']:,.0f}",
            f"{rows / baseline['seconds']:,.0f}",
        ),
        (
            "peak memory (max RSS)",
            f"{engine['peak_mib']:,.0f} MiB",
            f"{baseline['peak_mib']:,.0f} MiB",
        ),
        ("duplicate pairs found", f"{em['found']:,}", f"{bm['found']:,}"),
        ("precision", f"{em['p']:.4f}", f"{bm['p']:.4f}"),
        ("recall", f"{em['r']:.4f}", f"{bm['r']:.4f}"),
        ("F1", f"{em['f1']:.4f}", f"{bm['f1']:.4f}"),
        ("clusters (rows after dedupe)", f"{engine['clusters']:,}", f"{baseline['clusters']:,}"),
    ]
    for label, a, b in lines:
        print(f"  {label:<30} {a:>16}   {b:>22}")
    share = f"{review_true / reviewed:.0%} true duplicates" if reviewed else "empty"
    rejected = engine["rejected"]
    print(f"  engine review queue: {reviewed:,} pairs ({share}); rejected rows: {rejected:,}")
    print(
        f"  ratios engine/baseline: time {engine['seconds'] / baseline['seconds']:.1f}x, "
        f"memory {engine['peak_mib'] / baseline['peak_mib']:.1f}x, "
        f"F1 {em['f1'] / bm['f1']:.2f}x"
        if bm["f1"]
        else ""
    )
    if args.keep:
        print(f"  files kept in {args.keep}")


if __name__ == "__main__":
    main()
