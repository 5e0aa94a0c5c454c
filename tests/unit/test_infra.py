"""infra/docker-compose.yml stays in step with the embedded mode (no docker engine here to run it)."""

import re
from pathlib import Path

import yaml

from newsflow.config import DEFAULT_TOPIC

ROOT = Path(__file__).resolve().parents[2]


def code_settings() -> set[str]:
    """Every environment variable the code reads by name (newsflow/, flows/, tasks/)."""
    pattern = re.compile(r"""(?:environ\.get|env\.get|getenv|_env_number|environ\[)\(?\s*["']([A-Z][A-Z0-9_]+)["']""")
    names: set[str] = set()
    for folder in ("newsflow", "flows", "tasks"):
        for path in (ROOT / folder).glob("*.py"):
            names.update(pattern.findall(path.read_text(encoding="utf-8")))
    return names


def test_compose_services_and_settings_match_the_code() -> None:
    from newsflow.cli import build_parser

    compose = yaml.safe_load((ROOT / "infra" / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"kafka", "postgres", "prefect-server", "minio", "minio-bucket", "replay-seeds", "serve"} <= set(services)
    assert "ingest" not in services  # deployments are served, not one bare ingest
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"  # KRaft
    assert "postgresql+asyncpg" in services["prefect-server"]["environment"]["PREFECT_API_DATABASE_CONNECTION_URL"]
    from newsflow.prefect_api import SERVER_DEFAULTS  # the server writes task runs as the temporary API's does

    assert SERVER_DEFAULTS.items() <= services["prefect-server"]["environment"].items()
    newsflow_services = [name for name, s in services.items() if "build" in s]
    assert set(newsflow_services) == {"replay-seeds", "serve"}
    parser = build_parser()
    known = code_settings()
    for name in newsflow_services:
        service = services[name]
        args = parser.parse_args(service["command"])  # every command is one the CLI accepts
        assert args.command in {"replay", "serve"}
        env = service["environment"]
        assert env["NEWSFLOW_TOPIC"] == DEFAULT_TOPIC and env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
        ours = {k for k in env if k.startswith(("NEWSFLOW_", "KAFKA_"))}
        assert ours <= known, f"{name} sets variables the code does not read: {ours - known}"
    assert services["replay-seeds"]["command"][:2] == ["replay", "/app/seeds"]
    assert services["serve"]["depends_on"]["minio-bucket"]["condition"] == "service_completed_successfully"
    assert "PREFECT_API_URL" in services["serve"]["environment"]
    assert "mc mb --ignore-existing lake/newsflow" in " ".join(services["minio-bucket"]["command"])
    dockerfile = (ROOT / "infra" / "Dockerfile").read_text()
    for folder in ("newsflow", "flows", "tasks", "expectations", "seeds"):
        assert f"COPY {folder} {folder}" in dockerfile
    assert "WORKDIR /app" in dockerfile


def test_prefect_yaml_declares_the_served_deployments() -> None:
    from newsflow.flows.deployments import DRAIN, MAINTAIN, STREAM, build

    config = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    names = {d["name"]: d for d in config["deployments"]}
    assert set(names) == {DRAIN, STREAM, MAINTAIN} == {d.name for d in build()}
    assert names[DRAIN]["parameters"] == {"mode": "drain"} and names[DRAIN]["schedules"]
    assert names[STREAM]["parameters"] == {"mode": "stream"}
    assert all(names[n]["entrypoint"] == "flows/ingest.py:ingest" for n in (DRAIN, STREAM))
    assert names[MAINTAIN]["entrypoint"] == "flows/maintain.py:maintain_lake" and names[MAINTAIN]["schedules"]
