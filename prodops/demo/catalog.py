"""The fictional world of the demo: Aster Labs (an AI platform), its customers, its vocabulary, its launches."""

from __future__ import annotations

import random
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import date

from libs.schemas.feedback import Source, Tier
from libs.schemas.launches import LaunchStatus, LaunchType, Team

# Feedback is dated in the twelve months before this day; launches before it have shipped.
TODAY = date(2026, 11, 20)


@dataclass(frozen=True)
class Account:
    """One customer account as the CRM knows it, with its main contact."""

    id: str
    company: str
    domain: str
    contact: str
    email: str
    tier: Tier
    arr: int
    health: int
    legal_name: str = ""


F, P, E = Tier.FREE, Tier.PRO, Tier.ENTERPRISE

# fmt: off
ACCOUNTS: tuple[Account, ...] = (
    Account("cus_001", "Halvorsen Maritime", "halvorsen-maritime.com", "Ingrid Halvorsen",
            "ingrid.halvorsen@halvorsen-maritime.com", E, 480_000, 82),
    Account("cus_002", "Brightwell Health", "brightwellhealth.com", "Marcus Oyelaran",
            "cto@brightwellhealth.com", E, 1_150_000, 71, "Brightwell Health Inc."),
    Account("cus_003", "Quillon Legal", "quillonlegal.com", "Harriet Vane-Cooper",
            "h.vanecooper@quillonlegal.com", E, 360_000, 34, "Quillon Legal Ltd"),
    Account("cus_004", "Meridian Freight Systems", "meridianfreight.com", "Diego Salazar",
            "diego.salazar@meridianfreight.com", E, 220_000, 77),
    Account("cus_005", "Orbis Insurance Group", "orbisinsurance.com", "Catherine Du Plessis",
            "platform-team@orbisinsurance.com", E, 890_000, 64, "Orbis Insurance Group plc"),
    Account("cus_006", "Tessellate Bank", "tessellatebank.com", "Rahul Venkataraman",
            "rahul.v@tessellatebank.com", E, 1_200_000, 58, "Tessellate Bank AG"),
    Account("cus_007", "Kinetica Retail", "kineticaretail.com", "Sophie Marchetti",
            "sophie.marchetti@kineticaretail.com", E, 310_000, 38, "Kinetica Retail Inc."),
    Account("cus_008", "Valmont Publishing", "valmontpub.com", "Élodie Garnier",
            "egarnier@valmontpub.com", E, 150_000, 88, "Valmont Publishing SAS"),
    Account("cus_009", "Stratus Telecom", "stratustel.com", "Kwame Mensah",
            "ai-platform@stratustel.com", E, 640_000, 69, "Stratus Telecom Corp."),
    Account("cus_010", "Northgate University", "northgate.edu", "Prof. Alison Reyes",
            "a.reyes@northgate.edu", E, 125_000, 90),
    Account("cus_011", "Pinecrest Analytics", "pinecrest.io", "Nadia Kowalczyk",
            "nadia@pinecrest.io", P, 48_000, 73),
    Account("cus_012", "Loomwork", "loomwork.ai", "Ben Achterberg",
            "ben@loomwork.ai", P, 24_000, 81),
    Account("cus_013", "Fernhill Studio", "fernhillstudio.co", "Tamsin Hale",
            "hello@fernhillstudio.co", P, 9_600, 66),
    Account("cus_014", "Copperline CRM", "copperline.io", "Viktor Lindqvist",
            "viktor@copperline.io", P, 36_000, 35, "Copperline CRM Inc."),
    Account("cus_015", "Sablefish", "sablefish.dev", "Jun Park",
            "jun@sablefish.dev", P, 12_000, 79),
    Account("cus_016", "Tidewater Docs", "tidewaterdocs.com", "Grace Okafor",
            "grace.okafor@tidewaterdocs.com", P, 18_000, 55),
    Account("cus_017", "Gridlock Games", "gridlockgames.com", "Mateo Ruiz",
            "mateo@gridlockgames.com", P, 30_000, 84),
    Account("cus_018", "Heliograph Media", "heliographmedia.com", "Lena Hoffmann",
            "lena.hoffmann@heliographmedia.com", P, 15_000, 61, "Heliograph Media GmbH"),
    Account("cus_019", "Quayside Support", "quayside.io", "Owen Gallagher",
            "owen@quayside.io", P, 42_000, 29, "Quayside Support Ltd"),
    Account("cus_020", "Juniper Talent", "junipertalent.com", "Aisha Rahman",
            "aisha.rahman@junipertalent.com", P, 21_000, 70),
    Account("cus_021", "Bramble Learning", "bramblelearning.com", "Felix Durand",
            "felix@bramblelearning.com", P, 7_200, 92),
    Account("cus_022", "Cobalt Ledger", "cobaltledger.io", "Hana Suzuki",
            "eng@cobaltledger.io", P, 54_000, 63),
    Account("cus_023", "Driftwood Travel", "driftwoodtravel.com", "Carlos Mendes",
            "carlos@driftwoodtravel.com", P, 14_400, 76),
    Account("cus_024", "Kitebird", "kitebird.ai", "Zoe Whitaker",
            "zoe@kitebird.ai", P, 27_000, 58),
    Account("cus_025", "Northpaw Vet", "northpawvet.com", "Dr. Sam Ellery",
            "sam@northpawvet.com", P, 6_000, 87),
    Account("cus_026", "Sundial Scheduling", "sundialhq.com", "Priya Natarajan",
            "priya@sundialhq.com", P, 33_000, 74),
    Account("cus_027", "Parallax Search", "parallaxsearch.ai", "Tobias Brandt",
            "tobias@parallaxsearch.ai", P, 60_000, 39),
    Account("cus_028", "Verdant Agritech", "verdantag.io", "Lucía Romero",
            "lucia.romero@verdantag.io", P, 11_000, 68),
    Account("cus_029", "Lanternfish", "lanternfish.dev", "Erik Solberg",
            "erik@lanternfish.dev", F, 0, 72),
    Account("cus_030", "Bytesmith", "bytesmith.io", "Maya Levin",
            "maya@bytesmith.io", F, 0, 64),
    Account("cus_031", "Pocketbard", "pocketbard.app", "Kofi Asante",
            "kofi@pocketbard.app", F, 0, 58),
    Account("cus_032", "Tinyloop Labs", "tinyloop.ai", "Ruth Abernathy",
            "founders@tinyloop.ai", F, 0, 81),
    Account("cus_033", "Marlowe & Finch", "marlowefinch.com", "Isabel Finch",
            "isabel@marlowefinch.com", F, 0, 47),
    Account("cus_034", "Quokka Notes", "quokkanotes.com", "Liam Tran",
            "liam@quokkanotes.com", F, 0, 69),
    Account("cus_035", "Saltmarsh Robotics", "saltmarsh.io", "Anja Petersen",
            "anja.petersen@saltmarsh.io", F, 0, 55),
    Account("cus_036", "Papercrane", "papercrane.ai", "Hiro Tanabe",
            "hiro@papercrane.ai", F, 0, 77),
    Account("cus_037", "Hollow Oak Games", "hollowoakgames.com", "Rosa Delgado",
            "rosa@hollowoakgames.com", F, 0, 62),
    Account("cus_038", "Ferrous Data", "ferrousdata.io", "Dmitri Volkov",
            "dmitri@ferrousdata.io", F, 0, 31),
    Account("cus_039", "Ledgerly", "ledgerly.app", "Chloe Bennett",
            "chloe@ledgerly.app", F, 0, 74),
    Account("cus_040", "Nimbleroot", "nimbleroot.dev", "Arjun Kapoor",
            "arjun@nimbleroot.dev", F, 0, 53),
    Account("cus_041", "Orchard Path Tutoring", "orchardpath.com", "Megan O'Rourke",
            "megan@orchardpath.com", F, 0, 85),
    Account("cus_042", "Sparrowhawk Security", "sparrowhawksec.io", "Yusuf Demir",
            "yusuf@sparrowhawksec.io", F, 0, 60),
    Account("cus_043", "Wyvern Labs", "wyvernlabs.ai", "Freya Lindgren",
            "freya@wyvernlabs.ai", F, 0, 66),
    Account("cus_044", "Cinderbox", "cinderbox.io", "Noah Feldman",
            "noah@cinderbox.io", F, 0, 49),
    Account("cus_045", "Mapleleaf Dev", "mapleleaf.dev", "Camille Tremblay",
            "camille@mapleleaf.dev", F, 0, 71),
    Account("cus_046", "Glowworm", "glowworm.ai", "Tariq Haddad",
            "tariq@glowworm.ai", F, 0, 58),
    Account("cus_047", "Fathom Ridge", "fathomridge.com", "Eleanor Pryce",
            "eleanor@fathomridge.com", F, 0, 44),
    Account("cus_048", "Tallgrass Civic", "tallgrasscivic.org", "Dana Whitfield",
            "dana@tallgrasscivic.org", F, 0, 80),
)

FIRST_NAMES = (
    "Alex", "Amara", "Anders", "Beatriz", "Callum", "Chen", "Daniela", "Emeka", "Fatima", "Gabriel",
    "Hannah", "Ivan", "Jasmine", "Julien", "Kai", "Karin", "Leila", "Marco", "Mei", "Nikhil",
    "Olga", "Pablo", "Quentin", "Rania", "Sanjay", "Sara", "Theo", "Uma", "Valentina", "Wen",
    "Yara", "Zachary", "Astrid", "Bilal", "Clara", "Dev", "Esther", "Farid", "Greta", "Hugo",
)
LAST_NAMES = (
    "Adeyemi", "Bauer", "Castillo", "Dubois", "Eriksen", "Fischer", "García", "Haddad", "Ibrahim",
    "Jansen", "Kaur", "Lombardi", "Moreau", "Nakamura", "O'Neill", "Patel", "Quinn", "Rossi",
    "Schmidt", "Takahashi", "Urban", "Varga", "Wójcik", "Xu", "Yilmaz", "Zhang", "Nilsen", "Costa",
)
# Authors the CRM does not know: people on personal mail, and companies that never signed up.
UNKNOWN_COMPANIES = (
    ("Brightloop", "brightloop.co"), ("Monocle Health", "monoclehealth.com"),
    ("Ostrander & Sons", "ostrandersons.com"), ("Pixelmoor", "pixelmoor.io"),
    ("Redfern Capital", "redferncap.com"), ("Umbra Works", "umbraworks.dev"),
)
PERSONAL_DOMAINS = ("gmail.com", "gmail.com", "outlook.com", "proton.me")
# fmt: on


CHAT_MODELS = ("aster-large-2", "aster-medium-2", "aster-small-2")
GREETINGS: Mapping[Source, tuple[str, ...]] = {
    Source.INTERCOM: ("Hi there!", "Hey,", "Hello!", "Hi team,", "Hey folks,", "Hi,", "Good morning!", "", ""),
    Source.ZENDESK: ("Hello,", "Hi support team,", "Dear Aster support,", "Hi,", "Good afternoon,"),
    Source.HELPSCOUT: ("Hi there,", "Hello,", "Hi Aster team,", "Hey,", ""),
    Source.API: ("",),
}
SIGNOFFS: Mapping[Source, tuple[str, ...]] = {
    Source.INTERCOM: ("Thanks!", "Thanks in advance.", "Cheers", "Thank you!", "", "", "ty"),
    Source.ZENDESK: (
        "Best regards,\n{name}",
        "Thanks,\n{first}",
        "Kind regards,\n{name}\n{company}",
        "Regards,\n{first}",
    ),
    Source.HELPSCOUT: ("Thanks!\n{first}", "Cheers,\n{first}", "Best,\n{name}", "Thanks so much,\n{first}"),
    Source.API: ("",),
}

Slots = Mapping[str, str]
SlotFiller = Callable[[random.Random, Slots], str]


def _one_of(*options: str) -> SlotFiller:
    """A slot filled with one of these words."""
    return lambda rng, _slots: rng.choice(options)


def _between(low: int, high: int, step: int = 1) -> SlotFiller:
    """A slot filled with a whole number, written the way people write it (1,200)."""
    return lambda rng, _slots: f"{rng.randrange(low, high + 1, step):,}"


def _hex(prefix: str, length: int) -> SlotFiller:
    """A slot filled with an id like req_4f1c…"""
    return lambda rng, _slots: prefix + "".join(rng.choice("0123456789abcdef") for _ in range(length))


VOCABULARY: Mapping[str, SlotFiller] = {
    "model": _one_of(*CHAT_MODELS),
    "ft_base": _one_of("aster-small-2", "aster-medium-2"),
    "py_sdk": lambda rng, _slots: f"2.{rng.randint(0, 4)}.{rng.randint(0, 9)}",
    "ts_sdk": lambda rng, _slots: f"1.{rng.randint(8, 14)}.{rng.randint(0, 6)}",
    "python": _one_of("3.10.14", "3.11.9", "3.12.4", "3.12.7", "3.13.0"),
    "node": _one_of("18.20.4", "20.15.1", "20.17.0", "22.4.0"),
    "os": _one_of("Ubuntu 22.04", "Ubuntu 24.04", "macOS 14.5", "macOS 15.1", "Debian 12", "Windows 11"),
    "browser": _one_of("Chrome", "Firefox", "Safari", "Edge", "Arc"),
    "req_id": _hex("req_", 24),
    "job_id": _hex("ftjob_", 16),
    "invoice": lambda rng, _slots: f"INV-2026-{rng.randint(1000, 9999)}",
    "minutes": _between(10, 55, 5),
    "hours": _between(3, 30),
    "days": _between(3, 9),
    "pct": _between(12, 45),
    "rpm": _one_of("300", "500", "600", "1,000", "1,200", "2,000"),
    "tpm": _one_of("400k", "500k", "1M", "2M"),
    "factor": _one_of("3", "4", "5", "10"),
    "ms": _between(450, 1_400, 50),
    "seconds": _between(8, 40),
    "count": _between(1_200, 48_000, 100),
    "amount": lambda rng, _slots: f"${rng.randint(180, 4_900):,}.{rng.randint(0, 99):02d}",
    "seats": _between(40, 900, 10),
    "n_small": _between(2, 9),
    "tokens_k": _one_of("6k", "12k", "20k", "28k", "45k", "90k"),
    "batch": _one_of("64", "128", "256", "512"),
    "idp": _one_of("Okta", "Okta", "Azure AD", "Entra ID", "Google Workspace", "OneLogin"),
    "framework": _one_of("LangChain", "LlamaIndex", "Haystack", "the Vercel AI SDK", "DSPy"),
    "lang": _one_of("French", "German", "Spanish", "Japanese", "Portuguese", "Italian", "Polish", "Dutch"),
    "cloud": _one_of("AWS", "GCP", "Azure"),
    "weekday": _one_of("Monday", "Tuesday", "Wednesday", "Thursday", "Friday"),
    "hi": lambda rng, slots: rng.choice(GREETINGS[Source(slots["source"])]),
    "bye": lambda rng, slots: rng.choice(SIGNOFFS[Source(slots["source"])]).format_map(slots),
}


@dataclass(frozen=True)
class PlannedLaunch:
    """One launch on the roadmap, written by hand; its status follows from TODAY."""

    name: str
    description: str
    type: LaunchType
    team: Team
    owner: str
    start_date: date
    target_date: date
    status_if_open: LaunchStatus = LaunchStatus.IN_DEV


MR, AP, EF = LaunchType.MAJOR_MODEL_RELEASE, LaunchType.API_PLATFORM_UPDATE, LaunchType.ENTERPRISE_FEATURE
XB, HF, DOC = LaunchType.EXPERIMENTAL_BETA, LaunchType.BUG_FIX_HOTFIX, LaunchType.DOCUMENTATION
ENG, ML, PROD = Team.ENGINEERING, Team.ML, Team.PRODUCT
BETA, IN_DEV, AT_RISK = LaunchStatus.BETA, LaunchStatus.IN_DEV, LaunchStatus.AT_RISK

LAUNCHES: tuple[PlannedLaunch, ...] = (
    PlannedLaunch(
        "aster-vision-2",
        "Second-generation vision model: reads tables, receipts and rotated scans, with image inputs up to 20 MB.",
        MR,
        ML,
        "Aiko Tanaka",
        date(2025, 12, 1),
        date(2026, 3, 11),
    ),
    PlannedLaunch(
        "SDK v2 migration guide",
        "Step-by-step guide and codemods for moving from the v1 Python and "
        "TypeScript clients to v2, with every quickstart and README example updated.",
        DOC,
        PROD,
        "Inès Lambert",
        date(2026, 2, 2),
        date(2026, 3, 25),
    ),
    PlannedLaunch(
        "Usage export (CSV and API)",
        "Download usage per day, project, API key and model as CSV from the console, or pull it from GET /v1/usage.",
        AP,
        ENG,
        "Tomasz Nowak",
        date(2026, 2, 16),
        date(2026, 4, 22),
    ),
    PlannedLaunch(
        "Batch API",
        "Submit a JSONL file of requests, get results within 24 hours at half the price.",
        AP,
        ENG,
        "Lucas Ferreira",
        date(2026, 1, 12),
        date(2026, 5, 13),
    ),
    PlannedLaunch(
        "aster-embed-2",
        "Multilingual embedding model with 3,072-dimension vectors, shortening to "
        "any size, and 2,048 inputs per request.",
        MR,
        ML,
        "Aiko Tanaka",
        date(2026, 1, 19),
        date(2026, 5, 27),
    ),
    PlannedLaunch(
        "Agents API (public beta)",
        "Build agents with tools, handoffs and hosted runs; beta for every Pro and Enterprise org.",
        XB,
        PROD,
        "Maya Goldberg",
        date(2026, 2, 9),
        date(2026, 6, 10),
    ),
    PlannedLaunch(
        "Python SDK 2.5: timeouts and retries",
        "Hotfix release: the async client honours timeouts, "
        "retries only idempotent requests, and closes streams on error.",
        HF,
        ENG,
        "Lucas Ferreira",
        date(2026, 6, 1),
        date(2026, 6, 24),
    ),
    PlannedLaunch(
        "Fine-tuning job webhooks",
        "Signed webhooks when a fine-tuning job starts, fails or completes, configured per project.",
        AP,
        ENG,
        "Tomasz Nowak",
        date(2026, 5, 18),
        date(2026, 7, 29),
    ),
    PlannedLaunch(
        "Fine-tuning queue capacity fix",
        "Hotfix for jobs stuck in QUEUED: scheduler fairness across tenants and an ETA in the console.",
        HF,
        ML,
        "Rohan Mehta",
        date(2026, 6, 8),
        date(2026, 7, 1),
    ),
    PlannedLaunch(
        "Console refresh with dark mode",
        "New console navigation, dark theme, and a faster playground with autosave.",
        AP,
        PROD,
        "Camille Renaud",
        date(2026, 4, 6),
        date(2026, 8, 12),
    ),
    PlannedLaunch(
        "aster-code-2",
        "Code model with 128k context, repository-aware completions and better diff handling.",
        MR,
        ML,
        "Samuel Osei",
        date(2026, 3, 2),
        date(2026, 8, 26),
    ),
    PlannedLaunch(
        "EU latency fix (Frankfurt edge)",
        "Hotfix for slow first tokens in Europe: a new edge location and connection reuse to the inference cluster.",
        HF,
        ENG,
        "Rohan Mehta",
        date(2026, 8, 10),
        date(2026, 8, 21),
    ),
    PlannedLaunch(
        "Streaming for function calling",
        "Tool-call arguments stream as deltas, in the API and both SDKs.",
        AP,
        ENG,
        "Lucas Ferreira",
        date(2026, 6, 15),
        date(2026, 9, 9),
    ),
    PlannedLaunch(
        "Rate limits reference and headers",
        "Documentation of every limit per plan and model, and x-ratelimit headers on every endpoint.",
        DOC,
        PROD,
        "Inès Lambert",
        date(2026, 8, 24),
        date(2026, 9, 23),
    ),
    PlannedLaunch(
        "Gateway 5xx incident remediation",
        "Follow-up to the chat completions outage: safer gateway deploys, canaries and a public postmortem.",
        HF,
        ENG,
        "Rohan Mehta",
        date(2026, 10, 7),
        date(2026, 10, 16),
    ),
    PlannedLaunch(
        "Fine-tuning for aster-large-2 (beta)",
        "Supervised fine-tuning of the large model for Enterprise orgs, with evaluation reports.",
        XB,
        ML,
        "Samuel Osei",
        date(2026, 7, 6),
        date(2026, 10, 28),
    ),
    PlannedLaunch(
        "TypeScript SDK edge runtime support",
        "The TypeScript client runs on Cloudflare Workers, Vercel Edge and Deno without Node polyfills.",
        AP,
        ENG,
        "Tomasz Nowak",
        date(2026, 9, 14),
        date(2026, 11, 11),
    ),
    PlannedLaunch(
        "Burst traffic 429 fix",
        "Token-bucket limits smoothed per second so short bursts under the minute limit are no longer rejected.",
        HF,
        ENG,
        "Rohan Mehta",
        date(2026, 11, 2),
        date(2026, 11, 27),
        BETA,
    ),
    PlannedLaunch(
        "Project-scoped API keys",
        "Keys limited to one project, with read-only and per-endpoint permissions.",
        AP,
        ENG,
        "Tomasz Nowak",
        date(2026, 9, 21),
        date(2026, 12, 9),
        BETA,
    ),
    PlannedLaunch(
        "SAML SSO",
        "Single sign-on with Okta, Entra ID and any SAML 2.0 provider, with enforced SSO per org.",
        EF,
        ENG,
        "Camille Renaud",
        date(2026, 8, 31),
        date(2026, 12, 16),
        BETA,
    ),
    PlannedLaunch(
        "Spend caps and budget alerts",
        "Monthly hard caps per org and project, and email or Slack alerts at chosen thresholds.",
        AP,
        PROD,
        "Maya Goldberg",
        date(2026, 10, 5),
        date(2027, 1, 13),
    ),
    PlannedLaunch(
        "EU data residency",
        "An EU-only region (Paris and Frankfurt) where prompts, outputs and fine-tuning data stay in the EU.",
        EF,
        ENG,
        "Camille Renaud",
        date(2026, 7, 20),
        date(2027, 1, 27),
        AT_RISK,
    ),
    PlannedLaunch(
        "SCIM provisioning and audit log export",
        "Provision users from the identity provider and stream audit events to a SIEM.",
        EF,
        ENG,
        "Camille Renaud",
        date(2026, 11, 2),
        date(2027, 2, 3),
    ),
    PlannedLaunch(
        "aster-large-3",
        "Next flagship model: stronger reasoning, 256k context, native tool use.",
        MR,
        ML,
        "Aiko Tanaka",
        date(2026, 6, 1),
        date(2027, 2, 10),
    ),
    PlannedLaunch(
        "Self-serve rate limit increases",
        "Higher default limits on Pro, and a form that raises limits automatically for accounts in good standing.",
        AP,
        PROD,
        "Maya Goldberg",
        date(2026, 10, 19),
        date(2027, 2, 17),
        AT_RISK,
    ),
    PlannedLaunch(
        "Agents memory (experimental)",
        "Persistent threads and memory that carry across agent runs, behind a flag.",
        XB,
        ML,
        "Samuel Osei",
        date(2026, 10, 12),
        date(2027, 2, 24),
    ),
)
