"""compose.yaml and deploy/ read as files (no Docker engine or cluster here): every service is there,
configured for the production parts, probed, scaled, scraped, alerted on and on a dashboard."""

from __future__ import annotations

import json
import re
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
import yaml

from libs.runtime.settings import SERVICES, ServiceSettings
from libs.schemas import topics

ROOT = Path(__file__).resolve().parents[1]
DEPLOY = ROOT / "deploy"
K8S = DEPLOY / "k8s"
DASHBOARDS = DEPLOY / "grafana" / "dashboards"


def load(path: Path) -> Any:
    return yaml.safe_load(path.read_text())


def k8s_objects() -> list[dict[str, Any]]:
    kustomization = load(K8S / "kustomization.yaml")
    return [doc for name in kustomization["resources"] for doc in yaml.safe_load_all((K8S / name).read_text()) if doc]


def of_kind(kind: str) -> dict[str, dict[str, Any]]:
    return {doc["metadata"]["name"]: doc for doc in k8s_objects() if doc["kind"] == kind}


def metrics_the_code_defines() -> set[str]:
    """Every prodops_* metric name a service or lib declares, with the series names Prometheus derives."""
    declared = {
        name
        for folder in ("libs", "services")
        for path in (ROOT / folder).rglob("*.py")
        if "tests" not in path.parts
        for name in re.findall(r'"(prodops_[a-z_]+)"', path.read_text())
    }
    return declared | {f"{name}{suffix}" for name in declared for suffix in ("_bucket", "_sum", "_count")}


def metrics_used_in(text: str) -> set[str]:
    return set(re.findall(r"\bprodops_[a-z_]+", text))


COMPOSE = load(ROOT / "compose.yaml")
PORTS = ServiceSettings(base_port=int(COMPOSE["x-prodops-env"]["PRODOPS_BASE_PORT"])).port_of


# --- compose ------------------------------------------------------------------------------------


def test_compose_runs_the_production_parts_and_the_observability_stack() -> None:
    services = COMPOSE["services"]
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert "controller" in services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"], "KRaft, no ZooKeeper"
    assert "zookeeper" not in services
    for name, image in {
        "postgres": "postgres:",
        "qdrant": "qdrant/qdrant:",
        "prometheus": "prom/prometheus:",
        "grafana": "grafana/grafana:",
        "otel-collector": "otel/opentelemetry-collector",
    }.items():
        assert services[name]["image"].startswith(image), name
    for name in ("kafka", "postgres"):
        assert services[name]["healthcheck"]["test"], f"{name} says when it is ready"


def test_compose_creates_every_topic_the_hub_uses() -> None:
    assert COMPOSE["services"]["kafka-init"]["environment"]["TOPICS"].split() == list(topics.ALL)


@pytest.mark.parametrize("name", SERVICES)
def test_compose_runs_every_service_configured_for_kafka_postgres_and_probed_on_readyz(name: str) -> None:
    services = COMPOSE["services"]
    service = services[name]
    assert "image" in service or "build" in service
    assert service["command"] == ["run", name]
    env = service["environment"]
    bootstrap_host = env["PRODOPS_KAFKA_BOOTSTRAP"].split(":")[0]
    database = urlsplit(env["PRODOPS_DATABASE_URL"])
    assert bootstrap_host in services and database.hostname in services, "both are services of this file"
    assert database.scheme == "postgresql+asyncpg"
    assert env["PRODOPS_ENV"] == "prod" and env["PRODOPS_SECRET_KEY"], "refuses to start without a secret"
    assert env["OTEL_EXPORTER_OTLP_ENDPOINT"].startswith("http://otel-collector:")
    assert {"kafka-init", database.hostname} <= set(service["depends_on"])
    assert f"127.0.0.1:{PORTS(name)}/readyz" in " ".join(service["healthcheck"]["test"])


def test_compose_gives_dedupe_the_qdrant_server() -> None:
    dedupe = COMPOSE["services"]["dedupe"]
    assert urlsplit(dedupe["environment"]["PRODOPS_QDRANT_URL"]).hostname == "qdrant"
    assert "qdrant" in dedupe["depends_on"]


def test_compose_mounts_only_files_that_exist() -> None:
    for name, service in COMPOSE["services"].items():
        for volume in service.get("volumes", []):
            source = volume.split(":")[0]
            if source.startswith("./"):
                assert (ROOT / source).exists(), f"{name} mounts {source}"


# --- Kubernetes ---------------------------------------------------------------------------------


def test_kustomization_lists_files_that_exist_and_creates_every_topic() -> None:
    for name in load(K8S / "kustomization.yaml")["resources"]:
        assert (K8S / name).is_file(), name
    [job] = of_kind("Job").values()
    [container] = job["spec"]["template"]["spec"]["containers"]
    listed = next(variable["value"] for variable in container["env"] if variable["name"] == "TOPICS")
    assert listed.split() == list(topics.ALL)


@pytest.mark.parametrize("name", SERVICES)
def test_every_service_has_a_deployment_with_probes_and_resources(name: str) -> None:
    deployment = of_kind("Deployment")[name]
    [container] = deployment["spec"]["template"]["spec"]["containers"]
    assert container["args"] == ["run", name]
    assert [port["containerPort"] for port in container["ports"]] == [PORTS(name)]
    assert container["livenessProbe"]["httpGet"]["path"] == "/healthz"
    assert container["startupProbe"]["httpGet"]["path"] == "/healthz"
    assert container["readinessProbe"]["httpGet"]["path"] == "/readyz"
    for bound in ("requests", "limits"):
        assert {"cpu", "memory"} <= set(container["resources"][bound]), bound
    annotations = deployment["spec"]["template"]["metadata"]["annotations"]
    assert annotations["prometheus.io/port"] == str(PORTS(name))
    assert name in of_kind("Service")


@pytest.mark.parametrize("name", SERVICES)
def test_every_service_scales_on_its_consumer_lag(name: str) -> None:
    scaler = of_kind("ScaledObject")[name]
    assert scaler["spec"]["scaleTargetRef"]["name"] == name
    [lag] = [trigger for trigger in scaler["spec"]["triggers"] if trigger["type"] == "prometheus"]
    assert "prodops_consumer_lag" in lag["metadata"]["query"]
    assert f'"{name}\\\\..+"' in lag["metadata"]["query"], "its own consumer groups, named <service>.<topic>"
    assert 1 <= scaler["spec"]["minReplicaCount"] <= scaler["spec"]["maxReplicaCount"]


def test_pods_get_the_broker_database_and_secret_from_config() -> None:
    config = dict(
        line.split("=", 1) for line in (K8S / "config.env").read_text().splitlines() if line and line[0] != "#"
    )
    assert config["PRODOPS_KAFKA_BOOTSTRAP"] and config["PRODOPS_QDRANT_URL"] and config["PRODOPS_ENV"] == "prod"
    secret = load(K8S / "secret.example.yaml")
    assert {"PRODOPS_DATABASE_URL", "PRODOPS_SECRET_KEY"} <= set(secret["stringData"])


# --- Prometheus and Grafana ---------------------------------------------------------------------


def test_prometheus_scrapes_every_service_and_loads_its_rules() -> None:
    config = load(DEPLOY / "prometheus" / "prometheus.yml")
    targets = {
        target
        for job in config["scrape_configs"]
        for group in job.get("static_configs", [])
        for target in group["targets"]
    }
    assert {f"{name}:{PORTS(name)}" for name in SERVICES} <= targets
    for rules in config["rule_files"]:
        assert (DEPLOY / "prometheus" / rules).is_file()


def test_alerts_cover_lag_dead_letters_fallbacks_and_a_stale_read_model_on_real_metrics() -> None:
    rules = [rule for group in load(DEPLOY / "prometheus" / "alerts.yml")["groups"] for rule in group["rules"]]
    for rule in rules:
        assert rule["expr"] and rule["labels"]["severity"] and rule["annotations"]["summary"], rule["alert"]
    used = [metrics_used_in(rule["expr"]) for rule in rules]
    for metric in (
        "prodops_consumer_lag",
        "prodops_dead_letters_total",
        "prodops_ai_fallbacks_total",
        "prodops_newest_event_handled_timestamp_seconds",
    ):
        assert any(metric in names for names in used), f"no alert on {metric}"
    assert set().union(*used) <= metrics_the_code_defines()


def test_grafana_provisions_the_four_dashboards_on_real_metrics() -> None:
    provisioning = DEPLOY / "grafana" / "provisioning"
    [datasource] = load(provisioning / "datasources" / "prometheus.yml")["datasources"]
    [provider] = load(provisioning / "dashboards" / "prodops.yml")["providers"]
    mounts = COMPOSE["services"]["grafana"]["volumes"]
    assert f"./deploy/grafana/dashboards:{provider['options']['path']}:ro" in mounts

    boards = {path.stem: json.loads(path.read_text()) for path in DASHBOARDS.glob("*.json")}
    assert set(boards) == {"pipeline-health", "ai-triage", "ingest-by-source", "notifications"}
    assert len({board["uid"] for board in boards.values()}) == len(boards)
    defined = metrics_the_code_defines()
    for name, board in boards.items():
        assert board["panels"], name
        for panel in board["panels"]:
            assert panel["datasource"]["uid"] == datasource["uid"], f"{name}: {panel['title']}"
            assert panel["targets"], f"{name}: {panel['title']}"
            for target in panel["targets"]:
                assert metrics_used_in(target["expr"]) <= defined, f"{name}: {panel['title']}: {target['expr']}"


def test_compose_publishes_no_unauthenticated_dashboard_and_no_default_password() -> None:
    services = COMPOSE["services"]
    assert "ports" not in services["prometheus"], "Prometheus has no authentication"
    password = services["grafana"]["environment"]["GF_SECURITY_ADMIN_PASSWORD"]
    assert password.startswith("${GRAFANA_ADMIN_PASSWORD:?"), "no default: compose stops when it is not set"


def test_the_example_secret_is_refused_in_production() -> None:
    secret = yaml.safe_load((ROOT / "deploy" / "k8s" / "secret.example.yaml").read_text())["stringData"]
    with pytest.raises(ValueError, match="not an example"):
        ServiceSettings(env="prod", secret_key=secret["PRODOPS_SECRET_KEY"])
    ServiceSettings(env="prod", secret_key=secrets.token_hex(32))
