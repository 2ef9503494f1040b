"""The run store: every kept run's per-world rows on disk, queryable with DuckDB.

A run is keyed by a content hash of what fixes its numbers (:func:`run_key`):
the compiled model (canonical scenario, strategy and overridden levers or
inputs, :func:`waystation.provenance.model_hash`), the seed, the number of
worlds, the model's equations (:func:`waystation.provenance.model_version`)
and the backend that stepped the worlds. Runs that differ only in their
number of worlds form a *family*: a world's numbers depend only on the seed
and its index, so the first *n* worlds of a larger run are exactly a run of
*n* worlds, and a family's worlds are kept once, as chunks of consecutive
worlds ``[lo, hi)``:

- ``runs/<family>/<lo>-<hi>.parquet``: the per-world rows (inputs drawn,
  outcome probabilities, years of events, waystations reached), zstd, with
  the columns ``family`` and ``world`` (global index) added;
- ``runs/<family>/<lo>-<hi>.npz``: the chunk's exact fixed-point tallies and
  trajectory-histogram counts, so a served run's summary is bit-identical to
  the one computed (:mod:`waystation.tally`);
- ``catalogue.duckdb``: tables ``runs`` (one row per key) and ``chunks``.

Re-running a stored key loads its chunks; growing a run computes only the
new worlds and appends a chunk; a smaller run than the stored one splits a
chunk (tallies are integers: the rest is an exact difference). The store is
bounded: past its size limit the least recently used families are removed,
and :attr:`RunStore.notices` says which. The location is a user data
directory (platformdirs), or ``WAYSTATION_STORE``; the limit
``WAYSTATION_STORE_LIMIT`` (e.g. ``500MB``); both also in the config file
(:func:`config`).

This is an edge module: it imports pyarrow, DuckDB and platformdirs, and the
core reaches it only through :mod:`waystation.keeping`.
"""

from __future__ import annotations

import datetime as _dt
import os
import re
import shutil
import threading
import time
import tomllib
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from waystation._version import package_version
from waystation.keeping import Compute
from waystation.model import Model
from waystation.provenance import digest, model_hash, model_version, scenario_hash
from waystation.state import Array
from waystation.tally import FIX, BlockOut

__all__ = [
    "DEFAULT_LIMIT",
    "RunStore",
    "StoreError",
    "config",
    "parse_size",
    "run_key",
    "store_dir",
]

#: Size limit of the store unless configured: 2 GB.
DEFAULT_LIMIT = 2 * 10**9
#: Environment variables: store folder, size limit, keep every run (1/0).
ENV_DIR, ENV_LIMIT, ENV_KEEP, ENV_CONFIG = (
    "WAYSTATION_STORE",
    "WAYSTATION_STORE_LIMIT",
    "WAYSTATION_KEEP",
    "WAYSTATION_CONFIG",
)
_UNITS = {"": 1, "B": 1, "KB": 10**3, "MB": 10**6, "GB": 10**9, "TB": 10**12,
          "KIB": 2**10, "MIB": 2**20, "GIB": 2**30}  # fmt: skip
_SCHEMA = (
    "CREATE TABLE IF NOT EXISTS runs (key VARCHAR PRIMARY KEY, family VARCHAR, "
    "scenario VARCHAR, strategy VARCHAR, seed BIGINT, worlds BIGINT, backend VARCHAR, "
    "model_version VARCHAR, waystation_version VARCHAR, scenario_hash VARCHAR, "
    "run_hash VARCHAR, p_victory DOUBLE, p_costly_non_failure DOUBLE, p_failure DOUBLE, "
    "created TIMESTAMP, used TIMESTAMP, hits BIGINT, command VARCHAR)",
    "CREATE TABLE IF NOT EXISTS chunks (family VARCHAR, lo BIGINT, hi BIGINT, bytes BIGINT, "
    "PRIMARY KEY (family, lo))",
)


_LOCK = threading.RLock()


class StoreError(ValueError):
    """A store problem for people: unknown key, unreadable config, bad size."""


def parse_size(text: str | int) -> int:
    """Bytes of ``"500MB"``, ``"2 GB"``, ``"1GiB"`` or a plain number."""
    if isinstance(text, int):
        return text
    m = re.fullmatch(r"\s*([0-9.]+)\s*([A-Za-z]*)\s*", str(text))
    unit = m.group(2).upper() if m else ""
    if not m or unit not in _UNITS:
        raise StoreError(f"store size limit: expected e.g. 500MB or 2GB, got {text!r}")
    return int(float(m.group(1)) * _UNITS[unit])


def config() -> dict[str, Any]:
    """The ``[store]`` table of the config file (empty if there is none).

    The file is ``WAYSTATION_CONFIG`` or ``config.toml`` in the user config
    directory (``waystation runs list`` prints where); its keys: ``keep``
    (keep every run by default), ``dir`` and ``limit``.
    """
    from platformdirs import user_config_dir

    path = Path(os.environ.get(ENV_CONFIG) or Path(user_config_dir("waystation")) / "config.toml")
    if not path.is_file():
        return {}
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8"))
    except (OSError, tomllib.TOMLDecodeError) as err:
        raise StoreError(f"{path}: cannot read the config file: {err}") from None
    table = data.get("store", {})
    if not isinstance(table, dict):
        raise StoreError(f"{path}: [store] must be a table")
    return table


def store_dir() -> Path:
    """Where the store lives: ``WAYSTATION_STORE``, the config's ``dir``, or the user data dir."""
    from platformdirs import user_data_dir

    given = os.environ.get(ENV_DIR) or config().get("dir")
    return Path(given).expanduser() if given else Path(user_data_dir("waystation")) / "runs"


def keep_by_default() -> bool:
    """Whether commands keep their runs without ``--keep``: ``WAYSTATION_KEEP`` or the config."""
    env = os.environ.get(ENV_KEEP, "").strip().lower()
    if env:
        return env in ("1", "true", "yes", "on")
    return bool(config().get("keep", False))


def run_key(model: Model, seed: int, worlds: int, backend: str) -> tuple[str, str]:
    """``(key, family)``: content hashes of a run, and of the run less its number of worlds."""
    parts = {"model": model_hash(model), "seed": seed, "backend": backend}
    family = digest({**parts, "model_version": model_version()})
    return digest({"family": family, "worlds": worlds}), family


@dataclass(frozen=True)
class Chunk:
    """Consecutive worlds ``lo .. hi - 1`` of a family, kept on disk."""

    lo: int
    hi: int


@dataclass
class RunStore:
    """A run store in folder ``root``, at most ``limit`` bytes; also a :class:`Keeper`.

    ``command`` is recorded with each run it keeps; ``notices`` collects
    what people should be told (runs served, evictions); ``served`` and
    ``kept`` the keys served from the store and computed and kept.
    """

    root: Path
    limit: int = DEFAULT_LIMIT
    command: str = ""
    notices: list[str] = field(default_factory=list)
    served: list[str] = field(default_factory=list)
    kept: list[str] = field(default_factory=list)

    @classmethod
    def open(cls, root: Path | str | None = None, limit: int | str | None = None) -> RunStore:
        """The store at ``root`` (default :func:`store_dir`) with its configured limit."""
        chosen = limit if limit is not None else (
            os.environ.get(ENV_LIMIT) or config().get("limit", DEFAULT_LIMIT))  # fmt: skip
        store = cls(Path(root) if root is not None else store_dir(), parse_size(chosen))
        store.root.mkdir(parents=True, exist_ok=True)
        with store._db() as db:
            for statement in _SCHEMA:
                db.execute(statement)
        return store

    # -- the catalogue -------------------------------------------------------------

    @contextmanager
    def _db(self, read_only: bool = False) -> Iterator[Any]:
        """A connection to the catalogue, retried while another process holds it (10 s).

        One thread of this process at a time (the report runs analyses on threads).
        """
        with _LOCK, self._connect(read_only) as db:
            yield db

    @contextmanager
    def _connect(self, read_only: bool) -> Iterator[Any]:
        import duckdb

        path = str(self.root / "catalogue.duckdb")
        for attempt in range(41):
            try:
                db = duckdb.connect(path, read_only=read_only)
                break
            except duckdb.IOException:
                if attempt == 40:
                    raise StoreError(f"the run store {self.root} is busy (locked by another "
                                     "waystation process); try again") from None  # fmt: skip
                time.sleep(0.25)
        try:
            yield db
        finally:
            db.close()

    def _chunks(self, db: Any, family: str) -> list[Chunk]:
        rows = db.execute(
            "SELECT lo, hi FROM chunks WHERE family = ? ORDER BY lo", [family]
        ).fetchall()
        return [Chunk(int(lo), int(hi)) for lo, hi in rows]

    def _folder(self, family: str) -> Path:
        return self.root / "runs" / family

    def _files(self, family: str, c: Chunk) -> tuple[Path, Path]:
        stem = self._folder(family) / f"{c.lo}-{c.hi}"
        return stem.with_suffix(".parquet"), stem.with_suffix(".npz")

    # -- the keeper ------------------------------------------------------------------

    def __call__(
        self, model: Model, worlds: int, seed: int, backend: str, compute: Compute, rows: bool
    ) -> list[BlockOut]:
        """Serve the run from the store, computing (and keeping) only worlds it lacks."""
        key, family = run_key(model, seed, worlds, backend)
        with self._db() as db:
            chunks = self._chunks(db, family)
        have = [c for c in chunks if c.hi <= worlds]
        end = have[-1].hi if have else 0
        blocks = [self._load(family, c, rows) for c in have]
        if end < worlds:
            new = _joined(compute(end, worlds - end), end)
            straddle = next((c for c in chunks if c.lo == end), None)
            self._add(family, Chunk(end, worlds), new, replacing=straddle)
            blocks.append(new)
            self.kept.append(key)
        else:
            self.served.append(key)
        self._record(key, family, model, seed, worlds, backend, blocks)
        self._evict(keep=family)
        return blocks

    def _add(self, family: str, c: Chunk, out: BlockOut, replacing: Chunk | None) -> None:
        """Write a chunk; if it is the start of a stored chunk, split that one at ``c.hi``."""
        parts = [(c, out)]
        if replacing is not None:  # the rest of the old chunk: an exact difference
            old = self._load(family, replacing, True)
            rest = Chunk(c.hi, replacing.hi)
            parts.append((rest, _minus(old, out, c.hi - replacing.lo)))
        for part, block in parts:
            self._write(family, part, block)
        with self._db() as db:
            if replacing is not None:
                db.execute("DELETE FROM chunks WHERE family = ? AND lo = ?", [family, replacing.lo])
            for part, _ in parts:
                size = sum(p.stat().st_size for p in self._files(family, part))
                db.execute("INSERT OR REPLACE INTO chunks VALUES (?, ?, ?, ?)",
                           [family, part.lo, part.hi, size])  # fmt: skip
        if replacing is not None:
            for path in self._files(family, replacing):
                path.unlink(missing_ok=True)

    def _write(self, family: str, c: Chunk, out: BlockOut) -> None:
        """The chunk's rows as Parquet and its tallies as npz, each written whole or not at all."""
        import pyarrow as pa
        import pyarrow.parquet as pq

        rows_path, sums_path = self._files(family, c)
        rows_path.parent.mkdir(parents=True, exist_ok=True)
        records = out.records or {}
        columns = {"family": pa.array([family] * (c.hi - c.lo), pa.string()).dictionary_encode(),
                   "world": pa.array(np.arange(c.lo, c.hi, dtype=np.int64))}  # fmt: skip
        columns.update({k: pa.array(np.asarray(v)) for k, v in records.items()})
        tmp = rows_path.with_suffix(".parquet.tmp")
        pq.write_table(pa.table(columns), tmp, compression="zstd")
        tmp.replace(rows_path)
        tmp = sums_path.with_suffix(".tmp.npz")
        arrays: dict[str, Any] = {f"tally.{k}": v for k, v in out.tally.items()}
        np.savez_compressed(tmp, hist=out.hist, **arrays)
        tmp.replace(sums_path)

    def _load(self, family: str, c: Chunk, rows: bool) -> BlockOut:
        """A stored chunk as a block: its tallies, histograms and (if ``rows``) per-world rows."""
        rows_path, sums_path = self._files(family, c)
        if not sums_path.is_file() or (rows and not rows_path.is_file()):
            raise StoreError(f"the run store lost files of {family} worlds {c.lo}-{c.hi}: "
                             f"remove it with `waystation runs rm {family}`")  # fmt: skip
        with np.load(sums_path) as z:
            tally = {k.removeprefix("tally."): z[k] for k in z.files if k.startswith("tally.")}
            hist = z["hist"]
        records = _read_rows(rows_path) if rows else None
        return BlockOut(c.lo, tally, hist, records)

    def _record(self, key: str, family: str, model: Model, seed: int, worlds: int,
                backend: str, blocks: Sequence[BlockOut]) -> None:  # fmt: skip
        """Insert the run's catalogue row, or mark it used."""
        outcome = np.sum([b.tally["outcome"] for b in blocks], axis=0) / FIX / worlds
        now = _dt.datetime.now(_dt.UTC).replace(tzinfo=None)
        with self._db() as db:
            hit = db.execute(
                "UPDATE runs SET used = ?, hits = hits + 1 WHERE key = ? RETURNING key", [now, key]
            ).fetchall()
            if hit:
                return
            db.execute(
                "INSERT INTO runs VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, 0, ?)",
                [key, family, model.name, model.strategy.name, seed, worlds, backend,
                 model_version(), package_version(), scenario_hash(model), model_hash(model),
                 *outcome.tolist(), now, now, self.command],
            )  # fmt: skip

    def _evict(self, keep: str) -> None:
        """Remove least recently used families until the store fits its limit."""
        with self._db() as db:
            total = int(db.execute("SELECT coalesce(sum(bytes), 0) FROM chunks").fetchone()[0])
            if total <= self.limit:
                return
            order = db.execute(
                "SELECT c.family, sum(c.bytes), max(r.used) AS u FROM chunks c LEFT JOIN runs r "
                "ON r.family = c.family GROUP BY c.family ORDER BY u NULLS FIRST"
            ).fetchall()
            gone: list[str] = []
            for fam, size, _ in order:
                if total <= self.limit:
                    break
                if fam == keep:
                    continue
                gone.append(fam)
                total -= int(size)
            for fam in gone:
                db.execute("DELETE FROM chunks WHERE family = ?", [fam])
                db.execute("DELETE FROM runs WHERE family = ?", [fam])
        for fam in gone:
            shutil.rmtree(self._folder(fam), ignore_errors=True)
        alone = total > self.limit
        over = " (the run just kept is larger than the limit on its own)" if alone else ""
        self.notices.append(
            f"run store over its {_size(self.limit)} limit: removed the {len(gone)} least "
            f"recently used run famil{'y' if len(gone) == 1 else 'ies'}; now {_size(total)}{over}. "
            f'Raise it with {ENV_LIMIT}=5GB or limit = "5GB" under [store] in the config file'
        )

    # -- what `waystation runs` shows --------------------------------------------------

    def runs(self) -> list[dict[str, Any]]:
        """Every stored run, most recently used first, with its size on disk."""
        with self._db() as db:
            cur = db.execute(
                "SELECT r.*, (SELECT coalesce(sum(bytes), 0) FROM chunks c "
                "WHERE c.family = r.family) AS family_bytes FROM runs r ORDER BY used DESC"
            )
            names = [d[0] for d in cur.description]
            return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]

    def size(self) -> int:
        """Bytes of every chunk on disk."""
        with self._db() as db:
            return int(db.execute("SELECT coalesce(sum(bytes), 0) FROM chunks").fetchone()[0])

    def resolve(self, key: str) -> dict[str, Any]:
        """The catalogue row of a key or of a unique prefix of one (at least 4 characters)."""
        found = [r for r in self.runs() if r["key"].startswith(key)] if len(key) >= 4 else []
        if len(found) != 1:
            why = "matches several runs" if found else "matches no stored run"
            raise StoreError(f"{key!r} {why}: give more of a key from `waystation runs list`")
        return found[0]

    def worlds(self, key: str) -> Any:
        """The per-world rows of a stored run as a pyarrow Table, in world order."""
        import pyarrow as pa

        row = self.resolve(key)
        with self._db() as db:
            chunks = [c for c in self._chunks(db, row["family"]) if c.lo < row["worlds"]]
        tables = [_read_table(self._files(row["family"], c)[0]) for c in chunks]
        table = pa.concat_tables(tables).drop_columns(["family"])
        return table.slice(0, int(row["worlds"]))

    def remove(self, keys: Sequence[str]) -> list[str]:
        """Remove runs (by key or unique prefix); a family's files go with its last run."""
        rows = [self.resolve(k) for k in keys]
        with self._db() as db:
            for r in rows:
                db.execute("DELETE FROM runs WHERE key = ?", [r["key"]])
            families = {r["family"] for r in rows}
            used = "SELECT 1 FROM runs WHERE family = ?"
            orphans = [f for f in families if not db.execute(used, [f]).fetchall()]
            for fam in orphans:
                db.execute("DELETE FROM chunks WHERE family = ?", [fam])
        for fam in orphans:
            shutil.rmtree(self._folder(fam), ignore_errors=True)
        return [r["key"] for r in rows]

    def sql(self, query: str) -> tuple[list[str], list[tuple[Any, ...]]]:
        """Column names and rows of a read-only SQL query.

        The tables are ``runs`` and ``chunks``, and the view ``worlds``: one
        row per world of each stored run, with the run's ``key``.
        """
        import duckdb

        files = str(self.root / "runs" / "*" / "*.parquet").replace("'", "''")
        with self._db(read_only=True) as db:
            if any((self.root / "runs").glob("*/*.parquet")):
                db.execute(
                    f"CREATE TEMP VIEW worlds AS SELECT r.key, w.* EXCLUDE (family) FROM runs r "
                    f"JOIN read_parquet('{files}', union_by_name = true) w "
                    "ON w.family = r.family AND w.world < r.worlds"
                )
            else:
                db.execute("CREATE TEMP VIEW worlds AS SELECT NULL::VARCHAR AS key, "
                           "NULL::BIGINT AS world WHERE false")  # fmt: skip
            try:
                cur = db.execute(query)
            except duckdb.Error as err:
                raise StoreError(f"SQL: {err}") from None
            if cur.description is None:
                return [], []
            return [d[0] for d in cur.description], cur.fetchall()


def _joined(blocks: Sequence[BlockOut], lo: int) -> BlockOut:
    """Blocks of consecutive worlds as one: tallies and histograms added, rows concatenated."""
    tally = {k: sum((b.tally[k] for b in blocks[1:]), blocks[0].tally[k].copy())
             for k in blocks[0].tally}  # fmt: skip
    hist = sum((b.hist for b in blocks[1:]), blocks[0].hist.copy())
    keys = blocks[0].records or {}
    records = {k: np.concatenate([(b.records or {})[k] for b in blocks]) for k in keys}
    return BlockOut(lo, tally, hist, records)


def _minus(whole: BlockOut, head: BlockOut, n: int) -> BlockOut:
    """The block of ``whole``'s worlds after its first ``n`` (which are ``head``): exact."""
    tally = {k: whole.tally[k] - head.tally[k] for k in whole.tally}
    records = {k: v[n:] for k, v in (whole.records or {}).items()}
    return BlockOut(whole.index + n, tally, whole.hist - head.hist, records)


def _read_table(path: Path) -> Any:
    import pyarrow.parquet as pq

    return pq.read_table(path)


def _read_rows(path: Path) -> dict[str, Array]:
    """Per-world rows of a chunk file, as the engine returns them (numpy arrays, its order)."""
    table = _read_table(path)
    return {name: table.column(name).to_numpy() for name in table.column_names
            if name not in ("family", "world")}  # fmt: skip


def _size(n: int) -> str:
    """Bytes for people: 1.2 GB, 340 MB, 12 kB."""
    for unit, scale in (("GB", 10**9), ("MB", 10**6), ("kB", 10**3)):
        if n >= scale:
            return f"{n / scale:.3g} {unit}"
    return f"{n} B"
