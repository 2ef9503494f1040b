"""Per-world export: a run's rows as Parquet or CSV, with a data dictionary from the registry.

:func:`data_dictionary` says, for every column of a run's per-world rows
(:func:`waystation.tally.world_records`, plus the store's ``world`` index),
its unit and definition, read from the parameter, lever and output
registries, so an exported file can be read without this package.
:func:`write_worlds` writes the rows (Parquet with the dictionary in its
schema metadata, or CSV) and the dictionary beside them as
``<name>.dictionary.csv``. An edge module: pyarrow is imported here only.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import numpy as np

from waystation.definitions import define
from waystation.levers import LEVER_REGISTRY
from waystation.params import REGISTRY
from waystation.state import MILESTONES, WAYSTATION_DEFINITIONS, WAYSTATIONS

__all__ = ["FORMATS", "data_dictionary", "dictionary_csv", "table_bytes", "write_worlds"]

#: File formats of a per-world export, by suffix.
FORMATS: tuple[str, ...] = ("parquet", "csv")

_FIXED: dict[str, tuple[str, str]] = {
    "world": ("index", "the world's global index in the run (its random numbers depend on it "
              "and the seed only)"),
    "p_victory": ("probability", "this world's probability of victory by the horizon (its "
                  "hazard integrated along its path): " + define("victory").meaning),
    "p_costly_non_failure": ("probability", "this world's probability of neither victory nor "
                             "failure by the horizon"),
    "p_failure": ("probability", "this world's probability of failure by the horizon: "
                  + define("failure").meaning),
    "victory_year": ("year", "year the world reached victory (empty if it did not)"),
    "warning_shots": ("count", "survivable warning shots the world saw"),
    "sweet_spot_years": ("years", "years some actor spent in the sweet spot (AI labour useful "
                         "for safety while its frontier is inside its safety range)"),
    "initial_growth": ("OOM/yr", "the frontier's capability growth rate at the start"),
}  # fmt: skip
_MILESTONE_TEXT = {
    "C_aar": "first year the frontier reached C_aar (automated AI research)",
    "C_si": "first year the frontier reached C_si (superintelligence), safe or not",
    "takeoff": "first year the frontier finished take-off",
}


def describe(column: str) -> tuple[str, str]:
    """``(unit, definition)`` of one per-world column."""
    if column in _FIXED:
        return _FIXED[column]
    head, _, tail = column.rpartition(".")
    if head == "reached" and tail in WAYSTATIONS:
        return "year", f"year the waystation {tail} was first reached (empty if never): " + (
            WAYSTATION_DEFINITIONS[tail]
        )
    if head == "frontier_year" and tail in MILESTONES:
        return "year", _MILESTONE_TEXT[tail] + " (empty if never)"
    if tail == "final_capability":
        return "OOM", f"{head}'s capability frontier at the horizon (or at victory)"
    if tail == "final_safety_range":
        return "OOM", f"{head}'s effective safety range at the horizon (or at victory)"
    name = tail or column
    who = f"{head}'s " if head else ""
    if name in REGISTRY:
        p = REGISTRY[name]
        return p.unit, f"drawn input: {who}{p.meaning}"
    if name in LEVER_REGISTRY:
        lv = LEVER_REGISTRY[name]
        return lv.unit, f"drawn lever: {who}{lv.meaning}"
    return "", "(not in the registry)"


def data_dictionary(columns: list[str]) -> list[dict[str, str]]:
    """One row per column: ``column``, ``unit``, ``definition``."""
    return [dict(zip(("column", "unit", "definition"), (c, *describe(c)), strict=True))
            for c in columns]  # fmt: skip


def dictionary_csv(columns: list[str]) -> str:
    """The data dictionary as CSV text."""
    buf = io.StringIO()
    writer = csv.DictWriter(buf, ["column", "unit", "definition"], lineterminator="\n")
    writer.writeheader()
    writer.writerows(data_dictionary(columns))
    return buf.getvalue()


def _table(records: Mapping[str, Any]) -> Any:
    """A pyarrow Table of per-world rows (a dict of arrays or a Table), ``world`` first."""
    import pyarrow as pa

    if isinstance(records, pa.Table):
        return records
    n = len(next(iter(records.values())))
    columns = {"world": pa.array(np.arange(n, dtype=np.int64))}
    columns.update({k: pa.array(np.asarray(v)) for k, v in records.items()})
    return pa.table(columns)


def table_bytes(records: Mapping[str, Any], fmt: str) -> bytes:
    """Per-world rows as the bytes of a Parquet or CSV file."""
    import pyarrow as pa
    import pyarrow.csv as pcsv
    import pyarrow.parquet as pq

    table = _table(records)
    sink = pa.BufferOutputStream()
    if fmt == "parquet":
        meta = {"waystation.data_dictionary": json.dumps(data_dictionary(table.column_names))}
        pq.write_table(table.replace_schema_metadata(meta), sink, compression="zstd")
    elif fmt == "csv":
        pcsv.write_csv(table, sink)
    else:
        raise ValueError(f"unknown export format {fmt!r}: use {' or '.join(FORMATS)}")
    return bytes(sink.getvalue().to_pybytes())


def export_format(path: Path) -> str:
    """``"parquet"`` or ``"csv"`` from a file name, or a ValueError naming what is accepted."""
    fmt = path.suffix.lower().lstrip(".")
    if fmt not in FORMATS:
        raise ValueError(f"cannot export worlds to {path.name!r}: the file must end in "
                         ".parquet or .csv")  # fmt: skip
    return fmt


def dictionary_path(path: Path) -> Path:
    """Where the data dictionary of an export goes: ``<stem>.dictionary.csv`` beside it."""
    return path.with_name(f"{path.stem}.dictionary.csv")


def write_worlds(
    records: Mapping[str, Any], path: Path, dictionary: Path | None = None, fmt: str | None = None
) -> None:
    """Write per-world rows to ``path`` (.parquet or .csv) and their data dictionary.

    The dictionary goes to ``dictionary`` (default :func:`dictionary_path`);
    ``fmt`` overrides the format the suffix names (for temporary names).
    """
    data = table_bytes(records, fmt or export_format(path))
    columns = list(_table(records).column_names)
    path.write_bytes(data)
    target = dictionary or dictionary_path(path)
    target.write_text(dictionary_csv(columns), encoding="utf-8")
