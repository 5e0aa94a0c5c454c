"""Great Expectations validation of whole micro-batches, routing failing rows to quarantine."""

from __future__ import annotations

import contextlib
import html
import json
import logging
import os
import threading
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pyarrow as pa

from newsflow import PACKAGE_DIR
from newsflow.tasks.pinned import source_sha256

if TYPE_CHECKING:
    from great_expectations.datasource.fluent.interfaces import Batch

log = logging.getLogger(__name__)

EXPECTATIONS_DIR = Path(
    os.environ.get("NEWSFLOW_EXPECTATIONS", PACKAGE_DIR / "expectations")
)
ROW_KEY = "_row"  # a positional key added for GX only, so failures map back to batch rows
# Which rows failed: GX's COMPLETE format lists them by ROW_KEY. It also makes GX compute and
# serialise unexpected values and indices for every expectation, passing or not, which doubles
# a batch's validation time; so the suite runs with BOOLEAN_ONLY and only the expectations that
# failed run again with this.
ROWS_THAT_FAILED = {"result_format": "COMPLETE", "unexpected_index_column_names": [ROW_KEY]}


def suite_path(table: str) -> Path:
    return EXPECTATIONS_DIR / f"{table}.json"


def load_suite_config(table: str) -> dict[str, Any]:
    """The suite for a table, as stored in expectations/<table>.json (GX's own suite format)."""
    return json.loads(suite_path(table).read_text(encoding="utf-8"))


def referenced_columns(config: dict[str, Any]) -> set[str]:
    """Every column a suite's expectations name."""
    columns: set[str] = set()
    for expectation in config["expectations"]:
        kwargs = expectation.get("kwargs", {})
        columns.update(kwargs[k] for k in ("column", "column_A", "column_B") if k in kwargs)
        for key in ("column_list", "column_set"):
            columns.update(kwargs.get(key) or [])
    return columns


def describe(expectation: dict[str, Any]) -> str:
    """A short, readable name for an expectation: 'expect_column_values_to_be_in_set(language)'."""
    column = expectation.get("kwargs", {}).get("column")
    return f"{expectation['type']}({column})" if column else expectation["type"]


def exception_message(info: dict[str, Any] | None) -> str | None:
    """The error behind a failed expectation, if one was raised. GX files it either at the top
    level or, when a metric could not be computed, under each metric's id."""
    if not info:
        return None
    if info.get("exception_message"):
        return str(info["exception_message"])
    messages = {str(v["exception_message"]) for v in info.values() if isinstance(v, dict) and v.get("exception_message")}
    return "; ".join(sorted(messages)) or None


_memo = threading.local()


def _memoised_per_object(build: Callable[[Any], Any], memo_name: str) -> Callable[[Any], Any]:
    """build(obj), answered once per object from this thread's memo `memo_name` while
    `configurations_memoised()` holds it, and computed on every call outside it. The memo holds
    each object beside its value, so an id reused by a later object is never mistaken for it."""

    def memoised(self: Any) -> Any:
        memo = getattr(_memo, memo_name, None)
        if memo is None:
            return build(self)
        held = memo.get(id(self))
        if held is None or held[0] is not self:
            held = memo[id(self)] = (self, build(self))
        return held[1]

    memoised.memoised = True  # type: ignore[attr-defined]
    memoised.__doc__ = build.__doc__
    return memoised


def _memoise_configurations(expectation_class: type | None = None) -> bool:
    """Make GX's Expectation.configuration answer from a memo inside `configurations_memoised()`;
    False (and GX left as shipped, with a warning) if the installed GX has no such property.

    The property rebuilds an ExpectationConfiguration from the pydantic model (dict(), a regex
    over the class name) on every access, and one validation reads it about 44 times per
    expectation: about a third of a batch's validation time. Inside the block each Expectation object's
    configuration is built once; outside it (and in other threads) GX behaves as shipped. The
    Expectation objects a validation reads are built for it from the suite's configurations and
    not changed while it runs; the memo holds each object, so an id is never reused within it."""
    if expectation_class is None:
        from great_expectations.expectations.expectation import Expectation

        expectation_class = Expectation
    shipped = expectation_class.__dict__.get("configuration")
    if not isinstance(shipped, property) or shipped.fget is None:
        # A GX release that changed this internal: validation is slower, never wrong.
        log.warning("GX's Expectation.configuration is not the property newsflow memoises (GX %s): "
                    "validating without the memo", _gx_version())
        return False
    build = shipped.fget
    if getattr(build, "memoised", False):
        return True

    configuration = _memoised_per_object(build, "configurations")
    expectation_class.configuration = property(configuration, doc=shipped.__doc__)  # type: ignore[attr-defined]
    return True


def _memoise_domain_objects(configuration_class: type | None = None) -> bool:
    """Make GX's ExpectationConfiguration.to_domain_obj answer from a memo inside
    `configurations_memoised()`; False (and GX as shipped, with a warning) if it has no such method.

    GX builds the Expectation (a pydantic model, validated field by field) from its configuration
    again for every metric an expectation depends on, about 5 times per expectation. Memoised, a
    one-event batch's validation took 91 ms of CPU instead of 122 (docs/speed.md). The
    configurations a validation reads are copies GX makes for it, given their batch_id before the
    first call and not changed afterwards; the memo holds each, so an id is never reused within it."""
    if configuration_class is None:
        from great_expectations.expectations.expectation_configuration import ExpectationConfiguration

        configuration_class = ExpectationConfiguration
    build = configuration_class.__dict__.get("to_domain_obj")
    if not callable(build):
        log.warning("GX's ExpectationConfiguration.to_domain_obj is not the method newsflow memoises "
                    "(GX %s): validating without the memo", _gx_version())
        return False
    if getattr(build, "memoised", False):
        return True

    configuration_class.to_domain_obj = _memoised_per_object(build, "domain_objects")  # type: ignore[attr-defined]
    return True


# sha256 of the source of GX 1.x's IDDict.to_id, read for _plain_json_ids: it serialises its dict
# with convert_to_json_serializable only to hash json.dumps of the result.
TO_ID_READ_FROM = "3820fd313f5a0f6903b8b63f6bda3cadf1dc822312d6da5a3eff18ca76f06344"


def _is_plain_json(value: Any, id_dict: type) -> bool:
    """Whether value is made only of str, int, bool and None, in lists, tuples and dicts (plain or
    IDDict) with string keys: convert_to_json_serializable gives back the same JSON for it."""
    kind = type(value)
    if value is None or kind is str or kind is int or kind is bool:
        return True
    if kind is dict or kind is id_dict:
        return all(type(key) is str and _is_plain_json(item, id_dict) for key, item in value.items())
    if kind is list or kind is tuple:
        return all(_is_plain_json(item, id_dict) for item in value)
    return False


def _plain_json_ids(id_dict_module: Any = None) -> bool:
    """Let GX's IDDict.to_id skip convert_to_json_serializable for plain values; False (and GX as
    shipped, with a warning) if the installed to_id is not the one read for this.

    Every metric configuration of a validation takes ids of its domain and value kwargs, and the
    conversion runs a value such as None past three numpy dtype tests before it is recognised:
    about a fifth of validating a one-row table (GX's cost per batch does not depend on its size,
    so a stream of one-event batches pays it per event). For plain values the conversion returns
    the same JSON, so the ids are the same; anything else (numpy scalars, dates, enums, floats)
    goes through GX's conversion as before."""
    if id_dict_module is None:
        from great_expectations.core import id_dict as id_dict_module

    convert = id_dict_module.convert_to_json_serializable
    if getattr(convert, "plain_json_first", False):
        return True
    if source_sha256(id_dict_module.IDDict.to_id) != TO_ID_READ_FROM:
        log.warning("GX's IDDict.to_id is not the one newsflow read (GX %s): its ids are computed as shipped",
                    _gx_version())
        return False
    id_dict = id_dict_module.IDDict

    def plain_json_first(data: Any) -> Any:
        return data if _is_plain_json(data, id_dict) else convert(data)

    plain_json_first.plain_json_first = True  # type: ignore[attr-defined]
    id_dict_module.convert_to_json_serializable = plain_json_first
    return True


def _gx_version() -> str:
    from importlib.metadata import PackageNotFoundError, version

    try:
        return version("great-expectations")
    except PackageNotFoundError:
        return "unknown"


@contextlib.contextmanager
def configurations_memoised() -> Iterator[None]:
    """Within the block, this thread's Expectation.configuration reads and
    ExpectationConfiguration.to_domain_obj calls are memoised (see above)."""
    _memo.configurations, _memo.domain_objects = {}, {}
    try:
        yield
    finally:
        _memo.configurations = _memo.domain_objects = None


@dataclass
class TableResult:
    """What one table's validation found."""

    table: str
    rows: int
    success: bool
    # Row position -> names of the expectations it failed.
    failed_rows: dict[int, list[str]] = field(default_factory=dict)
    # Expectations that failed for the table as a whole (not attributable to rows).
    table_failures: list[str] = field(default_factory=list)
    evaluated: int = 0
    # One entry per expectation; unexpected_count is only known (from the second run) if it failed.
    results: list[dict[str, Any]] = field(default_factory=list)


class BatchValidator:
    """One ephemeral GX context per process; each table's suite is validated on a whole batch."""

    def __init__(self, tables: tuple[str, ...]):
        os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
        import great_expectations as gx  # slow import (~4 s): only when validation starts
        from great_expectations.data_context.types.base import ProgressBarsConfig

        self._gx = gx
        _memoise_configurations()
        _memoise_domain_objects()
        _plain_json_ids()
        self.context = gx.get_context(mode="ephemeral")
        self.context.variables.progress_bars = ProgressBarsConfig(globally=False)
        source = self.context.data_sources.add_pandas("newsflow")
        self._batch_definitions = {}
        self.suites = {}
        self._columns: dict[str, set[str]] = {}
        for table in tables:
            asset = source.add_dataframe_asset(name=table)
            self._batch_definitions[table] = asset.add_batch_definition_whole_dataframe(table)
            config = load_suite_config(table)
            self._columns[table] = referenced_columns(config)
            suite = gx.ExpectationSuite(
                name=config["name"], expectations=config["expectations"], meta=config.get("meta", {})
            )
            self.suites[table] = self.context.suites.add(suite)

    def suite_columns(self, table: str, data: pa.Table) -> pa.Table:
        """Only the columns the table's suite reads: GX copies and slices the frame per
        expectation, and raw HTML, bodies' lists and the like it never checks make that dearer."""
        return data.select([c for c in data.column_names if c in self._columns[table]])

    def gx_frame(self, table: str, data: pa.Table) -> Any:
        """The table as GX sees it: the suite's columns and ROW_KEY, which names failed rows."""
        frame = self.suite_columns(table, data).to_pandas()
        frame[ROW_KEY] = range(len(frame))
        return frame

    def gx_batch(self, table: str, data: pa.Table) -> Batch:
        """The table as a GX batch (for callers that want GX's own Batch API)."""
        return self._batch_definitions[table].get_batch(batch_parameters={"dataframe": self.gx_frame(table, data)})

    def validate(self, table: str, data: pa.Table) -> TableResult:
        if data.num_rows == 0:
            return TableResult(table, 0, True)
        with configurations_memoised():
            return self._validate(table, data)

    def _validate(self, table: str, data: pa.Table) -> TableResult:
        # One GX validator per table and batch, for the suite and for re-running what failed:
        # Batch.validate() builds a new one per call, and each loads the batch again, hashing the
        # whole frame for its markers (a tenth of a one-event batch's validation).
        from great_expectations.validator.v1_validator import Validator

        validator = Validator(self._batch_definitions[table], result_format="BOOLEAN_ONLY",
                              batch_parameters={"dataframe": self.gx_frame(table, data)})
        outcome = validator.validate_expectation_suite(self.suites[table])
        result = TableResult(table, data.num_rows, bool(outcome.success))
        validator.result_format = ROWS_THAT_FAILED
        for item in outcome.results:
            assert item.expectation_config is not None  # always set on a suite run's results
            name = describe(item.expectation_config.to_json_dict())
            result.evaluated += 1
            if item.success:
                result.results.append({"expectation": name, "success": True, "unexpected_count": None})
                continue
            rerun = validator.validate_expectation(item.expectation_config.to_domain_obj())
            details = rerun.result or {}
            result.results.append({
                "expectation": name, "success": False, "unexpected_count": details.get("unexpected_count"),
            })
            exception = exception_message(rerun.exception_info)
            indices = details.get("unexpected_index_list")
            if indices:
                for entry in indices:
                    result.failed_rows.setdefault(int(entry[ROW_KEY]), []).append(name)
            else:
                result.table_failures.append(f"{name}: {exception}" if exception else name)
        return result


@lru_cache(maxsize=1)
def default_validator() -> BatchValidator:
    from newsflow.schemas import VALIDATED_TABLES

    return BatchValidator(VALIDATED_TABLES)


def _inert(value: Any) -> Any:
    """A cell with every string in it HTML-escaped (lists and structs included)."""
    if isinstance(value, str):
        return html.escape(value)
    if isinstance(value, dict):
        return {key: _inert(item) for key, item in value.items()}
    if isinstance(value, (list, tuple)) or type(value).__name__ == "ndarray":
        return [_inert(item) for item in value]
    return value


def html_inert_frame(data: pa.Table) -> Any:
    """The table as a pandas frame for Data Docs, its text HTML-escaped.

    GX renders observed values (unexpected values, samples) into its pages without escaping, so a
    quote or content_type holding <script> ran in the browser of whoever opened the docs. Escaped,
    the page shows the text as written. The docs' own validation sees the escaped text: values
    with &, <, > or quotes grow a little, which only matters to length checks near a bound."""
    import pandas as pd

    frame = data.to_pandas()
    for column in frame.columns:
        if pd.api.types.is_object_dtype(frame[column]) or pd.api.types.is_string_dtype(frame[column]):
            frame[column] = frame[column].map(_inert, na_action="ignore")
    return frame


def build_data_docs(samples: dict[str, pa.Table], site_dir: Path, run_name: str) -> Path:
    """Validate each table's rows of this run through a GX checkpoint and update Data Docs there.

    A separate context from the batch validator: Data Docs need stores and a checkpoint, which the
    per-batch hot path does not. Called once per flow run; returns the site's index.html.
    """
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "false")
    import great_expectations as gx
    from great_expectations.checkpoint import UpdateDataDocsAction
    from great_expectations.data_context.types.base import ProgressBarsConfig

    context = gx.get_context(mode="ephemeral")
    context.variables.progress_bars = ProgressBarsConfig(globally=False)
    site_dir = site_dir.resolve()  # GX's filesystem store wants an absolute path
    site_dir.mkdir(parents=True, exist_ok=True)
    context.add_data_docs_site(
        site_name="newsflow",
        site_config={
            "class_name": "SiteBuilder",
            "store_backend": {"class_name": "TupleFilesystemStoreBackend", "base_directory": str(site_dir)},
            "site_index_builder": {"class_name": "DefaultSiteIndexBuilder"},
        },
    )
    source = context.data_sources.add_pandas("newsflow")
    for table, data in samples.items():
        if data.num_rows == 0:
            continue
        config = load_suite_config(table)
        suite = context.suites.add(gx.ExpectationSuite(name=config["name"], expectations=config["expectations"]))
        batch_definition = source.add_dataframe_asset(name=table).add_batch_definition_whole_dataframe(run_name)
        definition = context.validation_definitions.add(
            gx.ValidationDefinition(name=f"{table}-{run_name}", data=batch_definition, suite=suite)
        )
        checkpoint = context.checkpoints.add(
            gx.Checkpoint(name=f"{table}-docs", validation_definitions=[definition],
                          actions=[UpdateDataDocsAction(name="update-data-docs")])
        )
        checkpoint.run(batch_parameters={"dataframe": html_inert_frame(data)})
    return site_dir / "index.html"
