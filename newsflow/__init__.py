"""newsflow: an event-driven news-intelligence pipeline (Kafka -> Prefect -> GX -> Parquet)."""

from pathlib import Path

__version__ = "0.1.0"

# Package data (GX suites, seed articles) sits beside this file, installed or in a checkout, where
# newsflow/expectations and newsflow/seeds link to the repository's top-level folders.
PACKAGE_DIR = Path(__file__).resolve().parent
SEEDS_DIR = PACKAGE_DIR / "seeds"

# Stamped on every landed row so a table can be traced to the code that produced it.
PIPELINE_VERSION = f"newsflow-{__version__}"
