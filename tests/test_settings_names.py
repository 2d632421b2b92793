"""Every environment variable the hub reads, one meaning per name, all of them in docs/deploy.md.

A variable's meaning is the model field that defines it: the class in whose body the field is
declared, and the field's name. Two services may read one name only through that same field
(a vendor's block in libs/connectors, the shared ServiceSettings, MistralSettings).
"""

from __future__ import annotations

import re
from collections import defaultdict
from dataclasses import dataclass
from pathlib import Path

import pytest
from pydantic import AliasChoices, BaseModel
from pydantic.fields import FieldInfo
from pydantic_settings import BaseSettings

from libs.runtime.settings import SERVICES, ServiceSettings, SettingsBlock
from services.dedupe.settings import DedupeSettings
from services.enrich.settings import EnrichSettings
from services.gateway.settings import GatewaySettings
from services.ingest.settings import IngestSettings
from services.launches.settings import LaunchesSettings
from services.notify.settings import NotifySettings
from services.triage.settings import TriageSettings

ROOT = Path(__file__).resolve().parents[1]
DEPLOY_DOC = ROOT / "docs" / "deploy.md"
SETTINGS: dict[str, type[ServiceSettings]] = {
    "gateway": GatewaySettings,
    "ingest": IngestSettings,
    "enrich": EnrichSettings,
    "triage": TriageSettings,
    "dedupe": DedupeSettings,
    "launches": LaunchesSettings,
    "notify": NotifySettings,
}
# The only modules that declare a BaseSettings: a service's settings are built once, from these, and
# passed to create_app; everything else takes its block from them.
ENVIRONMENT_READERS = {"libs/runtime/settings.py", "libs/ml/mistral.py"}
# Code outside the settings that reads a variable by name (libs/testing's test knobs aside).
CODE_READERS = ("libs", "services", "prodops")
_READ = re.compile(r"os\.(?:environ|getenv)")
_NAME = re.compile(r'"([A-Z][A-Z0-9_]+)"')


@dataclass(frozen=True)
class Variable:
    name: str
    definition: str
    """`module.Class.field`, where the field is declared; or `code:<path>` for a module that reads it itself."""
    deprecated: bool = False
    """A block's old spelling of the name, still read."""

    @property
    def in_code(self) -> bool:
        return self.definition.startswith("code:")


def definition(model: type[BaseModel], field: str) -> str:
    owner = next(cls for cls in model.__mro__ if field in vars(cls).get("__annotations__", {}))
    return f"{owner.__module__}.{owner.__qualname__}.{field}"


def names_of(prefix: str, field: str, info: FieldInfo) -> list[str]:
    """The names a field is read under, the current one first (with an alias, the prefix applies only in blocks)."""
    alias = info.validation_alias
    if isinstance(alias, AliasChoices):
        return [f"{prefix}{choice}".upper() for choice in alias.choices if isinstance(choice, str)]
    return [f"{prefix}{field}".upper()]


def blocks_of(settings: type[ServiceSettings]) -> dict[str, type[SettingsBlock]]:
    """The settings' block fields, by name."""
    return {
        field: info.annotation
        for field, info in settings.model_fields.items()
        if isinstance(info.annotation, type) and issubclass(info.annotation, SettingsBlock)
    }


def top_level_of(settings: type[ServiceSettings]) -> list[Variable]:
    """The variables of the fields outside blocks (MISTRAL_API_KEY's two names are both current)."""
    prefix = settings.model_config.get("env_prefix", "")
    blocks = blocks_of(settings)
    return [
        Variable(name, definition(settings, field))
        for field, info in settings.model_fields.items()
        if field not in blocks
        for name in names_of("" if info.validation_alias else prefix, field, info)
    ]


def variables_of(settings: type[ServiceSettings]) -> list[Variable]:
    """Every variable a service's settings read, blocks walked field by field."""
    prefix = settings.model_config.get("env_prefix", "")
    in_blocks = [
        Variable(name, definition(block, inner), i > 0)
        for field, block in blocks_of(settings).items()
        for inner, info in block.model_fields.items()
        for i, name in enumerate(names_of(f"{prefix}{field}_", inner, info))
    ]
    return top_level_of(settings) + in_blocks


def code_readers() -> list[Variable]:
    """Names read with os.environ / os.getenv outside the settings."""
    found = []
    for folder in CODE_READERS:
        for path in sorted((ROOT / folder).rglob("*.py")):
            if "tests" in path.parts or path.is_relative_to(ROOT / "libs" / "testing"):
                continue
            for line in path.read_text().splitlines():
                if _READ.search(line):
                    found += [Variable(name, f"code:{path.relative_to(ROOT)}") for name in _NAME.findall(line)]
    return found


def inventory() -> dict[str, dict[str, set[Variable]]]:
    """name -> service -> how that service reads it."""
    table: dict[str, dict[str, set[Variable]]] = defaultdict(lambda: defaultdict(set))
    for service, settings in SETTINGS.items():
        for variable in variables_of(settings):
            table[variable.name][service].add(variable)
    for variable in code_readers():
        table[variable.name]["code"].add(variable)
    return table


def documented() -> dict[str, str]:
    """The settings table of docs/deploy.md: variable -> the services column."""
    rows = re.findall(r"^\| `([A-Z][A-Z0-9_]+)` \| ([^|]+) \|", DEPLOY_DOC.read_text(), re.M)
    return {name: readers.strip() for name, readers in rows}


def test_every_service_is_inventoried() -> None:
    assert list(SETTINGS) == list(SERVICES)


def test_one_name_has_one_meaning() -> None:
    clashes = {}
    for name, readers in inventory().items():
        settings_fields = {v.definition for vs in readers.values() for v in vs if not v.in_code}
        if len(settings_fields) > 1:
            clashes[name] = sorted(settings_fields)
    assert clashes == {}, "one name, two fields: move the setting into one shared block (libs/connectors/settings.py)"


@pytest.mark.parametrize("service", SETTINGS)
def test_a_block_owns_every_name_under_its_prefix(service: str) -> None:
    """A top-level PRODOPS_LINEAR_X beside the `linear` block would be read twice, by two fields."""
    settings = SETTINGS[service]
    prefixes = tuple(f"PRODOPS_{field.upper()}_" for field in blocks_of(settings))
    assert [variable.name for variable in top_level_of(settings) if variable.name.startswith(prefixes)] == []


@pytest.mark.parametrize("service", SETTINGS)
def test_a_block_never_reads_the_environment_itself(service: str) -> None:
    for field, info in SETTINGS[service].model_fields.items():
        nested = info.annotation
        assert not (isinstance(nested, type) and issubclass(nested, BaseSettings)), f"{service}.{field}"


def test_no_plugin_declares_its_own_environment_settings() -> None:
    declared = {
        str(path.relative_to(ROOT))
        for folder in CODE_READERS
        for path in (ROOT / folder).rglob("*.py")
        if "tests" not in path.parts and re.search(r"^class \w+\(.*\bBaseSettings\b", path.read_text(), re.M)
    }
    assert declared == ENVIRONMENT_READERS


def test_one_linear_url_reaches_ingest_and_launches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRODOPS_LINEAR_API_URL", "https://linear.example")
    monkeypatch.setenv("PRODOPS_LINEAR_API_KEY", "lin_api_1")
    monkeypatch.setenv("PRODOPS_JIRA_BASE_URL", "https://acme.atlassian.net")
    ingest, launches = IngestSettings(), LaunchesSettings()
    assert ingest.linear.api_url == launches.linear.api_url == "https://linear.example"
    assert launches.linear.graphql_url == "https://linear.example/graphql"
    assert ingest.linear.token() == launches.linear.token() == "lin_api_1", "the deprecated name still works"
    assert ingest.jira.api_url == launches.jira.api_url == "https://acme.atlassian.net"


def test_the_graphql_endpoint_given_as_the_url_names_the_same_api(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("PRODOPS_LINEAR_API_URL", "https://api.linear.app/graphql")
    assert LaunchesSettings().linear.graphql_url == "https://api.linear.app/graphql"
    assert IngestSettings().linear.api_url == "https://api.linear.app"


def test_deploy_md_lists_every_variable_with_its_readers() -> None:
    table = documented()
    expected = {}
    for name, readers in inventory().items():
        services = sorted(set(readers) - {"code"}, key=list(SERVICES).index)
        expected[name] = "every service" if services == list(SERVICES) else ", ".join(services) or "code"
    assert set(expected) - set(table) == set(), "missing from the settings table of docs/deploy.md"
    assert set(table) - set(expected) == set(), "in docs/deploy.md but read by nothing"
    assert {name: table[name] for name in expected} == expected


def test_deploy_md_says_which_names_are_deprecated() -> None:
    text = DEPLOY_DOC.read_text()
    deprecated = {v.name for readers in inventory().values() for vs in readers.values() for v in vs if v.deprecated}
    rows = {name: re.search(rf"^\| `{name}` \|.*$", text, re.M) for name in deprecated}
    assert {name for name, row in rows.items() if not (row and "deprecated" in row.group())} == set()


def test_deploy_files_set_only_variables_the_hub_reads() -> None:
    # The image compose runs, and an OpenTelemetry SDK variable the hub passes on without reading it.
    known = set(inventory()) | {"PRODOPS_IMAGE", "OTEL_RESOURCE_ATTRIBUTES"}
    texts = [
        (ROOT / "compose.yaml").read_text(),
        *(path.read_text() for path in (ROOT / "deploy" / "k8s").iterdir() if path.suffix in {".env", ".yaml"}),
    ]
    used = {name for text in texts for name in re.findall(r"\b((?:PRODOPS|MISTRAL)_[A-Z0-9_]*[A-Z0-9])\b", text)}
    assert used - known == set()
