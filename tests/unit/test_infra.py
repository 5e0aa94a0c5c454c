"""infra/docker-compose.yml stays in step with the embedded mode (no docker engine here to run it)."""

from pathlib import Path

import yaml

from newsflow.config import DEFAULT_TOPIC

ROOT = Path(__file__).resolve().parents[2]


def test_compose_services_and_settings_match_the_embedded_mode() -> None:
    compose = yaml.safe_load((ROOT / "infra" / "docker-compose.yml").read_text())
    services = compose["services"]
    assert {"kafka", "postgres", "prefect-server", "replay-seeds", "ingest"} <= set(services)
    assert services["kafka"]["image"].startswith("apache/kafka:")
    assert services["kafka"]["environment"]["KAFKA_PROCESS_ROLES"] == "broker,controller"  # KRaft
    env = services["ingest"]["environment"]
    assert env["NEWSFLOW_TOPIC"] == DEFAULT_TOPIC
    assert env["KAFKA_BOOTSTRAP_SERVERS"] == "kafka:9092"
    assert services["replay-seeds"]["command"][:2] == ["replay", "seeds/"]
    assert services["ingest"]["command"] == ["ingest", "--mode", "stream"]
    assert "postgresql+asyncpg" in services["prefect-server"]["environment"]["PREFECT_API_DATABASE_CONNECTION_URL"]
    dockerfile = (ROOT / "infra" / "Dockerfile").read_text()
    for folder in ("newsflow", "flows", "tasks", "expectations", "seeds"):
        assert f"COPY {folder} {folder}" in dockerfile


def test_prefect_yaml_declares_the_served_deployments() -> None:
    from newsflow.flows.deployments import DRAIN, MAINTAIN, STREAM, build

    config = yaml.safe_load((ROOT / "prefect.yaml").read_text())
    names = {d["name"]: d for d in config["deployments"]}
    assert set(names) == {DRAIN, STREAM, MAINTAIN} == {d.name for d in build()}
    assert names[DRAIN]["parameters"] == {"mode": "drain"} and names[DRAIN]["schedules"]
    assert names[STREAM]["parameters"] == {"mode": "stream"}
    assert all(names[n]["entrypoint"] == "flows/ingest.py:ingest" for n in (DRAIN, STREAM))
    assert names[MAINTAIN]["entrypoint"] == "flows/maintain.py:maintain_lake" and names[MAINTAIN]["schedules"]
