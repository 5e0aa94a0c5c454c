"""Shared fixtures: seed events, an embedded broker, a Prefect test API."""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
SEED = ROOT / "seeds" / "000_5746d6ddd9dd780a.txt"
EVAL_DIR = ROOT.parent / "shared" / "eval" / "article-extraction"

os.environ.setdefault("PREFECT_SERVER_ANALYTICS_ENABLED", "false")
os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
os.environ.setdefault("DO_NOT_TRACK", "1")


@pytest.fixture(scope="session")
def seed_text() -> str:
    return SEED.read_text(encoding="utf-8")


@pytest.fixture(scope="session")
def seed_event_bytes() -> bytes:
    from newsflow.replay import events_from_file

    return next(events_from_file(SEED)).value


@pytest.fixture(scope="session")
def validator():  # type: ignore[no-untyped-def]
    from newsflow.tasks.validate import default_validator

    return default_validator()


@pytest.fixture
def broker() -> Iterator[str]:
    """A fresh embedded Tansu broker per test; yields its bootstrap address."""
    from newsflow.broker import EmbeddedBroker

    with EmbeddedBroker() as running:
        yield running.bootstrap_servers


@pytest.fixture(scope="session")
def prefect_api() -> Iterator[str]:
    """A temporary Prefect API for the whole session (prefect_test_harness); yields its URL."""
    from prefect.settings import PREFECT_API_URL
    from prefect.testing.utilities import prefect_test_harness

    with prefect_test_harness(server_startup_timeout=120):
        yield str(PREFECT_API_URL.value())
