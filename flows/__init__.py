"""Prefect flows: thin orchestration over the pure stage functions in tasks/ and newsflow/."""
