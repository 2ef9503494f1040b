"""The explorer's memory of runs: what an edit, a strategy switch or a refinement need not redo.

A run is identified by a content hash of what fixes its numbers
(:func:`family_of`): the compiled model (canonical scenario, levers and
strategy, :func:`waystation.provenance.model_hash`), the seed and the
model's equations (:func:`waystation.provenance.model_version`). A world's
random numbers depend only on the seed and its index, so the first *n*
worlds of any run are the same worlds whatever its total: a run of a
*family* is kept as chunks of consecutive worlds ``[lo, hi)``, and a larger
run computes only the worlds its family lacks (a refinement adds worlds, a
strategy switch finds the baseline's worlds already run). Tallies are exact
fixed-point integers (:mod:`waystation.tally`), so a run served from chunks
is bit-identical to the same run computed at once.

Fresh computations are split at :data:`PREVIEW_WORLDS`, the size of the
page's first estimate, so that both the first estimate and the full count
are always whole chains of chunks.

The server holds one :class:`RunCache` (least recently used families
dropped past its byte limit). Simulations run in worker processes
(:mod:`.workers`); each runs under a :class:`WorkerKeeper`, the engine's
:class:`~waystation.keeping.Keeper` hook, which asks the server for a
family's chunks when a run needs them and hands back the chunks it computed.
Only the outcome probabilities of each world are kept (columns ``p_*``):
all that the page's paired differences, comparisons and lever values read.
"""

from __future__ import annotations

import itertools
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from typing import TYPE_CHECKING

import numpy as np

from waystation.provenance import digest, model_hash, model_version
from waystation.tally import BlockOut

if TYPE_CHECKING:
    from waystation.keeping import Compute
    from waystation.model import Model

__all__ = ["PREVIEW_WORLDS", "Chunk", "RunCache", "WorkerKeeper", "family_of", "trimmed"]

#: Worlds of the page's first estimate; fresh computations are split here.
PREVIEW_WORLDS = 2048
#: Default bound of the cache's memory, in bytes.
DEFAULT_CACHE_BYTES = 256 * 2**20


def family_of(model: Model, seed: int) -> str:
    """Content hash of a run less its number of worlds: model, seed and equations."""
    return digest({"model": model_hash(model), "seed": seed, "model_version": model_version()})


def trimmed(out: BlockOut) -> BlockOut:
    """``out`` with only the per-world outcome probabilities kept (columns ``p_*``)."""
    if out.records is None:
        return out
    return replace(out, records={k: v for k, v in out.records.items() if k.startswith("p_")})


@dataclass(frozen=True)
class Chunk:
    """Consecutive worlds ``lo .. hi - 1`` of a family, stepped by ``backend``, as one block.

    ``block`` holds the worlds' summed tallies and histograms and their
    per-world outcome columns. A chunk kept without its trajectory histograms
    (``hist_shape`` set, ``block.hist`` empty) serves only runs that read no
    trajectories (:class:`WorkerKeeper` with ``hist=False``: valuing the
    levers, whose dozens of runs would otherwise keep megabytes of
    histograms each).
    """

    lo: int
    hi: int
    backend: str
    block: BlockOut
    hist_shape: tuple[int, ...] | None = None

    @property
    def has_hist(self) -> bool:
        """Whether the chunk kept its trajectory histograms."""
        return self.hist_shape is None

    @property
    def nbytes(self) -> int:
        """Memory the chunk's arrays hold."""
        b = self.block
        total = int(b.hist.nbytes) + sum(int(v.nbytes) for v in b.tally.values())
        return total + sum(int(v.nbytes) for v in (b.records or {}).values())

    def served(self) -> BlockOut:
        """The chunk as a block (histograms of zeros where they were not kept)."""
        if self.hist_shape is None:
            return self.block
        return replace(self.block, hist=np.zeros(self.hist_shape, dtype=np.int64))


def joined(blocks: list[BlockOut], hist: bool = True) -> tuple[BlockOut, tuple[int, ...] | None]:
    """Blocks of consecutive worlds as one (exact sums, rows in order), histograms optional."""
    tally = {k: sum((b.tally[k] for b in blocks[1:]), blocks[0].tally[k].copy())
             for k in blocks[0].tally}  # fmt: skip
    keys = blocks[0].records or {}
    records = {k: np.concatenate([(b.records or {})[k] for b in blocks]) for k in keys}
    if not hist:
        empty = np.zeros(0, dtype=np.int64)
        return BlockOut(0, tally, empty, records or None), tuple(blocks[0].hist.shape)
    total = sum((b.hist for b in blocks[1:]), blocks[0].hist.copy())
    return BlockOut(0, tally, total, records or None), None


def chain(chunks: list[Chunk], worlds: int, backend: str, hist: bool = True) -> list[Chunk]:
    """The longest run of consecutive chunks from world 0 that ends at or before ``worlds``.

    With ``hist``, only chunks that kept their trajectory histograms count.
    """
    out: list[Chunk] = []
    end = 0
    while True:
        fits = [c for c in chunks if c.lo == end and c.hi <= worlds and c.backend == backend
                and (c.has_hist or not hist)]  # fmt: skip
        if not fits:
            return out
        best = max(fits, key=lambda c: c.hi)
        out.append(best)
        end = best.hi


@dataclass
class RunCache:
    """Chunks of runs by family, at most ``limit`` bytes (least recently used dropped first)."""

    limit: int = DEFAULT_CACHE_BYTES
    _families: OrderedDict[str, list[Chunk]] = field(default_factory=OrderedDict)
    size: int = 0
    hits: int = 0  #: families asked for and found
    misses: int = 0  #: families asked for and not found

    def get(self, family: str) -> list[Chunk]:
        """The family's chunks (none if unknown); marks it recently used."""
        chunks = self._families.get(family)
        if chunks is None:
            self.misses += 1
            return []
        self.hits += 1
        self._families.move_to_end(family)
        return list(chunks)

    def add(self, family: str, chunks: list[Chunk]) -> None:
        """Keep new chunks of a family, then drop the least recently used past the limit."""
        kept = self._families.setdefault(family, [])
        for c in chunks:
            same = [k for k in kept if (k.lo, k.hi, k.backend) == (c.lo, c.hi, c.backend)]
            if same and (same[0].has_hist or not c.has_hist):
                continue
            for k in same:  # a chunk with histograms replaces one kept without
                kept.remove(k)
                self.size -= k.nbytes
            kept.append(c)
            self.size += c.nbytes
        self._families.move_to_end(family)
        while self.size > self.limit and self._families:
            _, dropped = self._families.popitem(last=False)
            self.size -= sum(c.nbytes for c in dropped)

    def __len__(self) -> int:
        return len(self._families)


Ask = Callable[[str], list[Chunk]]


@dataclass
class WorkerKeeper:
    """The engine's keeper inside a worker: serves chunks it is given, computes the rest.

    ``ask(family)`` fetches a family's chunks from the server (once per
    family and job); ``new`` collects the chunks computed here, to be sent
    back. Computations are split at ``split`` worlds (see the module's note).
    ``hist=False``: the job reads no trajectories (valuing the levers), so the
    chunks it keeps drop their histograms, and it may use chunks without them.
    """

    ask: Ask
    split: int = PREVIEW_WORLDS
    hist: bool = True
    new: dict[str, list[Chunk]] = field(default_factory=dict)
    served: int = 0  #: worlds served from chunks
    computed: int = 0  #: worlds computed here
    _known: dict[str, list[Chunk]] = field(default_factory=dict)

    def __call__(
        self, model: Model, worlds: int, seed: int, backend: str, compute: Compute, rows: bool
    ) -> list[BlockOut]:
        """The run's blocks: its family's chunks, then the worlds they lack computed."""
        family = family_of(model, seed)
        if family not in self._known:
            self._known[family] = self.ask(family)
        have = chain(self._known[family] + self.new.get(family, []), worlds, backend, self.hist)
        end = have[-1].hi if have else 0
        blocks = [c.served() for c in have]
        self.served += end
        cuts = [end, *([self.split] if end < self.split < worlds else []), worlds]
        for lo, hi in itertools.pairwise(cuts):
            if hi <= lo:
                continue
            made = [trimmed(b) for b in compute(lo, hi - lo)]
            block, shape = joined(made, self.hist)
            self.new.setdefault(family, []).append(Chunk(lo, hi, backend, block, shape))
            blocks.extend(made)
            self.computed += hi - lo
        return blocks
