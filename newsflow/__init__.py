"""newsflow: an event-driven news-intelligence pipeline (Kafka -> Prefect -> GX -> Parquet)."""

__version__ = "0.1.0"

# Stamped on every landed row so a table can be traced to the code that produced it.
PIPELINE_VERSION = f"newsflow-{__version__}"
