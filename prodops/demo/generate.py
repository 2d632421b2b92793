"""Write the demo data set from the hand-written texts, reproducibly: `python -m prodops.demo.generate [OUT_DIR]`."""

from __future__ import annotations

import csv
import json
import math
import random
import re
import string
import sys
import unicodedata
import uuid
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from pathlib import Path
from typing import Any

from libs.schemas.feedback import FeedbackStatus, Source, Tier
from libs.schemas.launches import LaunchStatus
from prodops.demo.catalog import (
    ACCOUNTS,
    FIRST_NAMES,
    LAST_NAMES,
    LAUNCHES,
    PERSONAL_DOMAINS,
    TODAY,
    UNKNOWN_COMPANIES,
    VOCABULARY,
    Account,
)
from prodops.demo.phrases import developer, sales, support
from prodops.demo.phrases.base import Template
from prodops.demo.phrases.clusters import CLUSTERS

SEED = 20_261_120
DATA_DIR = Path(__file__).parent / "data"
LAUNCH_NAMESPACE = uuid.UUID("6f1d8a52-3c2e-4b7a-9e41-0d5a7c3b9f10")
START = TODAY - timedelta(days=365)

SINGLES: Mapping[Source, tuple[Template, ...]] = {
    Source.INTERCOM: support.INTERCOM,
    Source.ZENDESK: support.ZENDESK,
    Source.HELPSCOUT: support.HELPSCOUT,
    Source.LINEAR: developer.LINEAR,
    Source.GITHUB: developer.GITHUB,
    Source.CANNY: developer.CANNY,
    Source.JIRA: developer.JIRA,
    Source.GONG: sales.GONG,
    Source.CHORUS: sales.CHORUS,
    Source.HUBSPOT: sales.HUBSPOT,
    Source.SALESFORCE: sales.SALESFORCE,
    Source.API: support.API,
}

# How likely each tier is to be behind an item on a channel: (free, pro, enterprise).
TIER_WEIGHTS: Mapping[Source, tuple[float, float, float]] = {
    Source.INTERCOM: (3, 2, 1),
    Source.ZENDESK: (1, 2, 2),
    Source.HELPSCOUT: (2, 2, 0.7),
    Source.LINEAR: (0.3, 1.5, 3),
    Source.GITHUB: (3, 2, 0.7),
    Source.CANNY: (3, 2, 1),
    Source.JIRA: (0.3, 1.5, 3),
    Source.GONG: (0.3, 1.5, 3),
    Source.CHORUS: (0.3, 1.5, 3),
    Source.HUBSPOT: (0.7, 3, 0.7),
    Source.SALESFORCE: (0.2, 1.2, 3),
    Source.API: (2, 2, 1),
}
# Notes written by our own people often name the account only; anonymous authors come in through public channels.
COMPANY_ONLY_SOURCES = (Source.GONG, Source.CHORUS, Source.HUBSPOT, Source.SALESFORCE, Source.JIRA, Source.LINEAR)
UNKNOWN_SOURCES = (Source.INTERCOM, Source.ZENDESK, Source.HELPSCOUT, Source.GITHUB, Source.CANNY, Source.API)
COMPANY_ONLY_ITEMS = 42
UNKNOWN_ITEMS = 21
CALL_SOURCES = (Source.GONG, Source.CHORUS, Source.HUBSPOT, Source.SALESFORCE)
NO_COMPANY_SOURCES = (Source.GITHUB, Source.CANNY, Source.API)
TRACKER_SOURCES = (Source.LINEAR, Source.JIRA)
SUPPORT_SOURCES = (Source.INTERCOM, Source.ZENDESK, Source.HELPSCOUT)
AT_RISK_BELOW = 40


@dataclass(frozen=True)
class Draft:
    """One item to write: its channel and text, and the cluster it belongs to, if any."""

    source: Source
    template: Template
    cluster: str | None = None
    window: tuple[date, date] | None = None
    hours: tuple[int, int] = (7, 20)


@dataclass(frozen=True)
class Person:
    """Someone who writes feedback; `account` is None for authors the CRM does not know."""

    name: str
    email: str
    account: Account | None
    company: str = ""


@dataclass(frozen=True)
class Item:
    """One generated feedback item before its ids are assigned in date order."""

    draft: Draft
    customer: dict[str, str]
    title: str
    description: str
    created_at: datetime


class Slots(dict[str, str]):
    """The values of one item's {slots}: fixed ones given, the rest drawn once from the vocabulary."""

    def __init__(self, rng: random.Random, fixed: Mapping[str, str]) -> None:
        super().__init__(fixed)
        self.rng = rng

    def __missing__(self, key: str) -> str:
        value = VOCABULARY[key](self.rng, self)
        self[key] = value
        return value

    def fill(self, text: str) -> str:
        """The text with every slot replaced, without stray blank space left by empty greetings."""
        return text.format_map(self).strip()


def folded(text: str) -> str:
    """Lowercase ASCII: 'Wójcik' -> 'wojcik'."""
    return unicodedata.normalize("NFKD", text).encode("ascii", "ignore").decode().lower()


def ascii_word(text: str) -> str:
    """A name the way it ends up in an email address: "O'Neill" -> 'oneill'."""
    return re.sub(r"[^a-z]", "", folded(text))


def first_name(full_name: str) -> str:
    """The first name, past titles such as 'Dr.' and 'Prof.'."""
    return next(part for part in full_name.split() if not part.endswith("."))


def slug(text: str) -> str:
    """A URL slug the way trackers make them from a title."""
    return re.sub(r"[^a-z0-9]+", "-", folded(text)).strip("-")[:60].rstrip("-")


def is_at_risk(account: Account) -> bool:
    """Below the health score at which enrich flags an account."""
    return account.health < AT_RISK_BELOW


def drafts() -> list[Draft]:
    """Every item to write: the cluster members first, then the single texts of each channel."""
    clustered = [
        Draft(source, template, cluster.name, cluster.window, cluster.hours)
        for cluster in CLUSTERS
        for source, template in cluster.members
    ]
    return clustered + [Draft(source, template) for source, templates in SINGLES.items() for template in templates]


def needs_account(template: Template) -> bool:
    """A text that names the company, the plan or a kind of account can't come from a stranger."""
    return template.who != "any" or any(slot in template.title + template.body for slot in ("{company}", "{plan}"))


def colleagues(rng: random.Random) -> dict[str, list[tuple[str, str]]]:
    """Two to four more people at each account, with addresses in the company's own style."""
    people: dict[str, list[tuple[str, str]]] = {}
    for account in ACCOUNTS:
        local = account.email.split("@")[0]
        style = "first.last" if "." in local else rng.choice(("first", "first.last", "flast"))
        chosen: list[tuple[str, str]] = []
        wanted = rng.randint(2, 4)
        while len(chosen) < wanted:
            first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
            address = {
                "first": ascii_word(first),
                "first.last": f"{ascii_word(first)}.{ascii_word(last)}",
                "flast": ascii_word(first)[0] + ascii_word(last),
            }[style]
            email = f"{address}@{account.domain}"
            if email != account.email and all(email != known for _, known in chosen):
                chosen.append((f"{first} {last}", email))
        people[account.id] = chosen
    return people


def fits(account: Account, template: Template) -> bool:
    """Whether this account could plausibly have written the text."""
    return {
        "any": True,
        "free": account.tier is Tier.FREE,
        "pro": account.tier is Tier.PRO,
        "paid": account.tier is not Tier.FREE,
        "enterprise": account.tier is Tier.ENTERPRISE,
        "at_risk": is_at_risk(account) and account.tier is not Tier.FREE,
    }[template.who]


def pick_account(rng: random.Random, draft: Draft, uses: Counter[str], taken: set[str]) -> Account:
    """An account for the item: likely on this channel, not yet in the cluster, spread across the book."""
    tier_weight = dict(zip((Tier.FREE, Tier.PRO, Tier.ENTERPRISE), TIER_WEIGHTS[draft.source], strict=True))
    candidates = [a for a in ACCOUNTS if fits(a, draft.template) and a.id not in taken]
    weights = [
        tier_weight[a.tier]
        * (3.0 if draft.template.kind == "complaint" and is_at_risk(a) else 1.0)
        / (1.0 + 0.5 * uses[a.id])
        for a in candidates
    ]
    return rng.choices(candidates, weights=weights)[0]


def stranger(rng: random.Random) -> Person:
    """An author the CRM does not know: personal mail, or a company that never signed up."""
    first, last = rng.choice(FIRST_NAMES), rng.choice(LAST_NAMES)
    if rng.random() < 0.5:
        local = f"{ascii_word(first)}.{ascii_word(last)}{rng.choice(('', str(rng.randint(10, 99))))}"
        return Person(f"{first} {last}", f"{local}@{rng.choice(PERSONAL_DOMAINS)}", None)
    company, domain = rng.choice(UNKNOWN_COMPANIES)
    return Person(f"{first} {last}", f"{ascii_word(first)}@{domain}", None, company)


def created_at(rng: random.Random, draft: Draft) -> datetime:
    """A working-hours moment in the draft's window, or in the past year with recent months denser."""
    while True:
        if draft.window:
            start, end = draft.window
            day = start + timedelta(days=rng.randint(0, (end - start).days))
        else:
            # Density rising linearly to four times its start: the inverse of its CDF, (x + 1.5 x^2) / 2.5.
            x = (math.sqrt(1 + 15 * rng.random()) - 1) / 3
            day = START + timedelta(days=min(364, int(x * 365)))
        if draft.source not in CALL_SOURCES or day.weekday() < 5:
            break
    moment = time(rng.randint(*draft.hours), rng.randint(0, 59), rng.randint(0, 59))
    return datetime.combine(day, moment, tzinfo=UTC)


def customer_of(rng: random.Random, draft: Draft, person: Person, company_only: bool) -> dict[str, str]:
    """The customer block as the source would send it."""
    if company_only:
        assert person.account is not None
        legal = person.account.legal_name
        return {"company": legal if legal and rng.random() < 0.5 else person.account.company}
    customer = {"email": person.email, "name": person.name}
    company = person.account.company if person.account else person.company
    if company and draft.source not in NO_COMPANY_SOURCES:
        customer["company"] = company
    return customer


def compose(rng: random.Random) -> tuple[list[Item], dict[str, list[int]]]:
    """Every item with its author, text and date; and the item indexes of each cluster."""
    plan = drafts()
    staff = colleagues(rng)
    company_only = set(
        rng.sample([i for i, d in enumerate(plan) if d.source in COMPANY_ONLY_SOURCES], COMPANY_ONLY_ITEMS)
    )
    strangers = [
        i
        for i, d in enumerate(plan)
        if d.cluster is None and d.source in UNKNOWN_SOURCES and not needs_account(d.template)
    ]
    unknown = set(rng.sample(strangers, UNKNOWN_ITEMS))
    uses: Counter[str] = Counter()
    taken: dict[str, set[str]] = {}
    clusters: dict[str, list[int]] = {}
    items = []
    for index, draft in enumerate(plan):
        if index in unknown:
            person = stranger(rng)
        else:
            in_cluster = taken.setdefault(draft.cluster, set()) if draft.cluster else set()
            account = pick_account(rng, draft, uses, in_cluster)
            uses[account.id] += 1
            in_cluster.add(account.id)
            name, email = (account.contact, account.email) if rng.random() < 0.55 else rng.choice(staff[account.id])
            person = Person(name, email, account)
        if draft.cluster:
            clusters.setdefault(draft.cluster, []).append(index)
        slots = Slots(
            rng,
            {
                "source": draft.source.value,
                "name": person.name,
                "first": first_name(person.name),
                "company": person.account.company if person.account else person.company,
                "plan": person.account.tier.value.title() if person.account else "",
            },
        )
        items.append(
            Item(
                draft=draft,
                customer=customer_of(rng, draft, person, index in company_only),
                title=slots.fill(draft.template.title),
                description=slots.fill(draft.template.body),
                created_at=created_at(rng, draft),
            )
        )
    return items, clusters


class Identifiers:
    """Source ids and links the way each system mints them; ticket numbers grow with time."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.counters: Counter[str] = Counter(
            {
                "zendesk": 41_870,
                "helpscout": 2_581_000_000,
                "github": 2_604_000_000,
                "SUP": 3_120,
                "ESC": 412,
                "aster-python": 640,
                "aster-ts": 212,
                "aster-cookbook": 88,
                "aster-agents": 41,
                "aster-cli": 23,
                "API": 905,
                "PLAT": 1_402,
                "ML": 611,
                "SDK": 318,
                "DOCS": 147,
                "BILL": 226,
                "AGT": 84,
            }
        )
        self.seen: set[str] = set()

    def next(self, counter: str, low: int, high: int) -> int:
        """The counter moved on by a random step (other tickets were filed in between)."""
        self.counters[counter] += self.rng.randint(low, high)
        return self.counters[counter]

    def chars(self, alphabet: str, length: int) -> str:
        """A random token."""
        return "".join(self.rng.choice(alphabet) for _ in range(length))

    def mint(self, draft: Draft, title: str) -> tuple[str, str | None]:
        """The source id and, for trackers and boards, the web link."""
        where = draft.template.where
        match draft.source:
            case Source.INTERCOM:
                source_id, url = str(self.rng.randrange(10**14, 10**15)), None
            case Source.ZENDESK:
                source_id, url = str(self.next("zendesk", 3, 45)), None
            case Source.HELPSCOUT:
                source_id, url = str(self.next("helpscout", 20_000, 900_000)), None
            case Source.GITHUB:
                number = self.next(where, 1, 7)
                source_id = str(self.next("github", 1_000_000, 9_000_000))
                url = f"https://github.com/asterlabs/{where}/issues/{number}"
            case Source.LINEAR:
                source_id = f"{where}-{self.next(where, 1, 12)}"
                url = f"https://linear.app/asterlabs/issue/{source_id}/{slug(title)}"
            case Source.JIRA:
                source_id = f"{where}-{self.next(where, 1, 9)}"
                url = f"https://asterlabs.atlassian.net/browse/{source_id}"
            case Source.CANNY:
                source_id = self.chars("0123456789abcdef", 24)
                url = f"https://asterlabs.canny.io/{where or 'feature-requests'}/p/{slug(title)}"
            case Source.GONG:
                source_id, url = str(self.rng.randrange(10**18, 10**19)), None
            case Source.CHORUS:
                source_id, url = self.chars("ABCDEFGHJKLMNPQRSTUVWXYZ23456789", 10), None
            case Source.HUBSPOT:
                source_id, url = str(self.rng.randrange(10**10, 10**11)), None
            case Source.SALESFORCE:
                source_id, url = "00T" + self.chars(string.ascii_letters + string.digits, 15), None
            case _:
                source_id, url = "fb_" + self.chars("0123456789abcdef", 16), None
        assert source_id not in self.seen, source_id
        self.seen.add(source_id)
        return source_id, url


def votes(rng: random.Random, draft: Draft) -> int:
    """Upvotes, reactions or linked requests; one for a conversation."""
    clustered = draft.cluster is not None
    match draft.source:
        case Source.CANNY:
            return min(240, int(rng.paretovariate(1.3) * (6 if clustered else 2)))
        case Source.GITHUB:
            return int(rng.expovariate(1 / 3)) + (rng.randint(3, 20) if clustered else 0)
        case Source.LINEAR:
            return rng.randint(3, 8) if clustered else rng.randint(1, 3)
        case Source.JIRA:
            return rng.randint(0, 3)
        case _:
            return 1


def status(rng: random.Random, draft: Draft, when: datetime) -> FeedbackStatus:
    """New for most; older tracker tickets have moved on, and old support questions were answered."""
    age = (datetime.combine(TODAY, time(), tzinfo=UTC) - when).days
    if draft.source in TRACKER_SOURCES and age > 45:
        moved = (FeedbackStatus.NEW, FeedbackStatus.TRIAGED, FeedbackStatus.PLANNED, FeedbackStatus.IN_PROGRESS)
        return rng.choices(moved, weights=(5, 2, 1, 2))[0]
    if draft.source in SUPPORT_SOURCES and draft.template.kind == "question" and age > 60 and rng.random() < 0.35:
        return FeedbackStatus.CLOSED
    return FeedbackStatus.NEW


def feedback_rows(rng: random.Random) -> tuple[list[dict[str, Any]], dict[str, list[str]]]:
    """The feedback rows in date order, and the source ids of each duplicate cluster."""
    items, clusters = compose(rng)
    order = sorted(range(len(items)), key=lambda i: (items[i].created_at, i))
    identifiers = Identifiers(rng)
    rows: dict[int, dict[str, Any]] = {}
    for index in order:
        item = items[index]
        source_id, url = identifiers.mint(item.draft, item.title)
        row: dict[str, Any] = {
            "source": item.draft.source.value,
            "source_id": source_id,
            "title": item.title,
            "description": item.description,
            "customer": item.customer,
        }
        if item.draft.template.tags:
            row["tags"] = list(item.draft.template.tags)
        if url:
            row["url"] = url
        row["votes"] = votes(rng, item.draft)
        row["created_at"] = item.created_at.isoformat()
        row["status"] = status(rng, item.draft, item.created_at).value
        rows[index] = row
    labelled = {name: [rows[i]["source_id"] for i in members] for name, members in clusters.items()}
    return [rows[i] for i in order], labelled


def customer_rows() -> list[dict[str, Any]]:
    """The CRM export: one row per account."""
    return [
        {
            "id": a.id,
            "company": a.company,
            "domain": a.domain,
            "email": a.email,
            "tier": a.tier.value,
            "arr": a.arr,
            "health_score": a.health,
        }
        for a in ACCOUNTS
    ]


def launch_rows() -> list[dict[str, Any]]:
    """The roadmap: shipped before TODAY, otherwise still open; links to feedback are made by the loader."""
    return [
        {
            "id": str(uuid.uuid5(LAUNCH_NAMESPACE, launch.name)),
            "name": launch.name,
            "description": launch.description,
            "type": launch.type.value,
            "status": (LaunchStatus.SHIPPED if launch.target_date < TODAY else launch.status_if_open).value,
            "team": launch.team.value,
            "owner": launch.owner,
            "start_date": launch.start_date.isoformat(),
            "target_date": launch.target_date.isoformat(),
            "feedback_ids": [],
            "theme_ids": [],
        }
        for launch in LAUNCHES
    ]


def write_all(out_dir: Path) -> dict[str, Path]:
    """Write the four data files into out_dir; the same seed always gives the same bytes."""
    out_dir.mkdir(parents=True, exist_ok=True)
    rng = random.Random(SEED)
    feedback, clusters = feedback_rows(rng)
    paths = {
        "customers": out_dir / "customers.csv",
        "feedback": out_dir / "feedback.jsonl",
        "launches": out_dir / "launches.json",
        "clusters": out_dir / "duplicate_clusters.json",
    }
    with paths["customers"].open("w", newline="", encoding="utf-8") as handle:
        writer = csv.DictWriter(handle, fieldnames=list(customer_rows()[0]), lineterminator="\n")
        writer.writeheader()
        writer.writerows(customer_rows())
    paths["feedback"].write_text(
        "".join(json.dumps(row, ensure_ascii=False) + "\n" for row in feedback), encoding="utf-8"
    )
    paths["launches"].write_text(json.dumps(launch_rows(), ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    paths["clusters"].write_text(json.dumps(clusters, ensure_ascii=False, indent=2) + "\n", encoding="utf-8")
    return paths


def main(argv: list[str]) -> None:
    """Regenerate the committed files (or write them to the directory given)."""
    out_dir = Path(argv[0]) if argv else DATA_DIR
    paths = write_all(out_dir)
    rows = [json.loads(line) for line in paths["feedback"].read_text(encoding="utf-8").splitlines()]
    per_source = Counter(row["source"] for row in rows)
    print(f"{len(rows)} feedback items in {out_dir}: " + ", ".join(f"{s} {n}" for s, n in per_source.most_common()))


if __name__ == "__main__":
    main(sys.argv[1:])
