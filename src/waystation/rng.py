"""Counter-based random numbers: every draw of a run is a pure function of where it is used.

The engine draws nothing from a sequential stream. Each random number is
computed by **Philox4x32-10** (Salmon et al. 2011, "Parallel random numbers:
as easy as 1, 2, 3"; the Random123 generator) from a 128-bit *counter* and a
64-bit *key*:

* key = :func:`key_of` (seed): two 32-bit words derived from the run's seed
  through :class:`numpy.random.SeedSequence`, so nearby seeds give unrelated
  keys;
* counter = (global world index, step, variable id, lane): the world's index
  in the whole run (not in its block), the time step (0 before the first
  step), the variable's id in :data:`VARIABLES`, and a lane numbering the
  pairs of draws a variable needs (one lane per two actors or two inputs).

So a world's draws never depend on the block size, the number of workers,
the engine, how many worlds the run has, or which other worlds are still
being stepped: the numpy engine draws only for the worlds it still steps, and
the JAX backend computes the same numbers on the device inside its compiled
loop.

One Philox call gives four 32-bit words. Two words make one uniform on
[0, 1) with 53 random bits, ``((a >> 5) * 2**26 + (b >> 6)) * 2**-53`` (the
same construction as numpy's ``Generator.random``), exact in float64 on every
backend. Two uniforms make two standard normals by the Box-Muller transform
(:func:`normal_pair`): a radius ``sqrt(-2 log(1 - u1))``, where ``1 - u1``
lies in (0, 1] so the logarithm is always finite, and an angle uniform on
the circle whose cosine and sine come from one tangent of the half angle. The
uniforms and the integer words are bit-identical in numpy and JAX; the
normals go through each library's own ``log``, ``sqrt`` and ``tan`` and agree
within a few units in the last place (about 1e-15; a test checks it).

The same function is written once over the array namespace (numpy, or
``jax.numpy`` with ``jax_enable_x64``, which the JAX backend turns on): 32-bit
words are held in uint64 arrays, so the 32 x 32 -> 64-bit products that Philox
needs are plain multiplications.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

import numpy as np

from waystation.state import Array, Shocks

__all__ = [
    "VARIABLES",
    "Draws",
    "Variable",
    "key_of",
    "normal_pair",
    "normals",
    "philox4x32",
    "step_shocks",
    "uniform_pair",
    "uniforms_from",
]

#: What a backend draws a block's shocks from: the run's key (:func:`key_of`) and
#: the global index of each of the block's worlds.
Draws = tuple[tuple[int, int], Array]

#: Philox4x32 multipliers and Weyl key increments (Random123, philox.h).
PHILOX_M = (0xD2511F53, 0xCD9E8D57)
PHILOX_W = (0x9E3779B9, 0xBB67AE85)
ROUNDS = 10
_MASK = 0xFFFFFFFF
#: Global world indices stay below this: they fill one 32-bit counter word.
MAX_WORLDS = 2**32


@dataclass(frozen=True)
class Variable:
    """One random variable of a world: its counter id, step word and how its lanes are used."""

    name: str
    id: int  #: third counter word
    steps: str  #: what the step word holds
    lanes: str  #: what the lanes and the four words of each Philox call become


#: The draw order, stated once: every random number of a run is one of these.
VARIABLES: dict[str, Variable] = {
    v.name: v
    for v in (
        Variable("inputs", 1, "0", "normal pairs; input column j (stream layout) uses lane "
                 "j // 2, cosine for even j, sine for odd j; then the Gaussian copula"),
        Variable("noise0", 2, "0", "normal pairs; actor a's initial evaluation error uses "
                 "lane a // 2, cosine for even a, sine for odd a"),
        Variable("eval_z", 3, "step i >= 1", "normal pairs; actor a's innovation of "
                 "evaluation error in step i uses lane a // 2, cosine / sine as noise0"),
        Variable("events", 4, "step i >= 1", "lane 0; words 0-1 give warn_u (warning shot), "
                 "words 2-3 give verify_u (verification breakthrough)"),
    )
}  # fmt: skip


def key_of(seed: int) -> tuple[int, int]:
    """The Philox key of a run's root seed: two 32-bit words hashed by SeedSequence."""
    words = np.random.SeedSequence(seed).generate_state(2, np.uint32)
    return int(words[0]), int(words[1])


def _xp(x: object) -> Any:
    """numpy, or jax.numpy for JAX arrays (without importing JAX otherwise)."""
    if type(x).__module__.startswith(("jax", "jaxlib")):
        import jax.numpy as jnp  # optional dependency, loaded only for JAX inputs

        return jnp
    return np


def philox4x32(counter: tuple[Any, Any, Any, Any], key: tuple[Any, Any]) -> tuple[Any, ...]:
    """Philox4x32-10 of ``counter`` (four words, arrays or ints) under ``key``.

    Words are uint64 arrays holding 32-bit values (numpy or JAX, which must
    have ``jax_enable_x64``); the result is four such arrays, broadcast
    together. Verified against the Random123 known-answer vectors.
    """
    xp = _xp(counter[0]) if _xp(key[0]) is np else _xp(key[0])
    x0, x1, x2, x3 = (xp.asarray(c, dtype=xp.uint64) for c in counter)
    k0, k1 = (xp.asarray(k, dtype=xp.uint64) for k in key)  # ints, or traced JAX words
    m0, m1 = xp.uint64(PHILOX_M[0]), xp.uint64(PHILOX_M[1])
    w0, w1 = xp.uint64(PHILOX_W[0]), xp.uint64(PHILOX_W[1])
    mask, shift = xp.uint64(_MASK), xp.uint64(32)
    for r in range(ROUNDS):
        if r:  # the key schedule: a Weyl sequence, bumped before every round but the first
            k0, k1 = (k0 + w0) & mask, (k1 + w1) & mask
        p0, p1 = m0 * x0, m1 * x2  # full 64-bit products of 32-bit words
        x0, x1, x2, x3 = ((p1 >> shift) ^ x1 ^ k0, p1 & mask, (p0 >> shift) ^ x3 ^ k1, p0 & mask)
    return x0, x1, x2, x3


def uniforms_from(a: Any, b: Any) -> Any:
    """Uniform on [0, 1) with 53 random bits from two 32-bit words (exact in float64)."""
    xp = _xp(a)
    bits = ((a >> xp.uint64(5)) << xp.uint64(26)) | (b >> xp.uint64(6))
    return bits.astype(xp.float64) * (2.0**-53)


def normal_pair(x: tuple[Any, Any, Any, Any]) -> tuple[Any, Any]:
    """Two standard normals from the four words of one Philox call (Box-Muller).

    ``r = sqrt(-2 log(1 - u1))`` and an angle ``2 phi`` uniform on [-pi, pi),
    ``phi = pi (u2 - 1/2)``, whose cosine and sine come from ``t = tan(phi)``
    by the half-angle identities ``cos 2phi = (1 - t^2) / (1 + t^2)`` and
    ``sin 2phi = 2 t / (1 + t^2)``: one ``tan`` (vectorised in numpy) instead
    of a ``cos`` and a ``sin`` (scalar libm calls, ten times slower here).
    """
    xp = _xp(x[0])
    u1, u2 = uniforms_from(x[0], x[1]), uniforms_from(x[2], x[3])
    r = xp.sqrt(-2.0 * xp.log(1.0 - u1))
    t = xp.tan(math.pi * (u2 - 0.5))
    scale = r / (1.0 + t * t)
    return (1.0 - t * t) * scale, (2.0 * t) * scale


def _philox_np(world: Array, counters: list[tuple[int, int, int]], key: tuple[int, int]) -> Array:
    """:func:`philox4x32` for numpy, for several counters sharing the world word.

    Segment ``l`` of each of the four returned rows (shape (4, len(counters)
    * n)) holds the words of counter ``(world, *counters[l])``. The rounds
    work in place on two (2, m) uint64 buffers, ``A = (x0, x2)`` and
    ``B = (x1, x3)``, five numpy calls per round; a test checks the result
    against :func:`philox4x32` bit for bit.
    """
    n, L = len(world), len(counters)
    A = np.empty((2, L * n), dtype=np.uint64)
    B = np.empty((2, L * n), dtype=np.uint64)
    P = np.empty((2, L * n), dtype=np.uint64)
    for seg, (c1, c2, c3) in enumerate(counters):
        part = slice(seg * n, (seg + 1) * n)
        A[0, part], A[1, part], B[0, part], B[1, part] = world, c2, c1, c3
    for lo in range(0, L * n, _CHUNK):  # chunks small enough to stay in cache
        part = slice(lo, lo + _CHUNK)
        _rounds(A[:, part], B[:, part], P[:, part], key)
    return np.stack([A[0], B[0], A[1], B[1]])


#: Worlds per pass of the numpy Philox rounds (their buffers then stay in the L2 cache).
_CHUNK = 8192
_M = np.array([[PHILOX_M[1]], [PHILOX_M[0]]], dtype=np.uint64)  # products (x2 m1, x0 m0)
_W = np.array([[PHILOX_W[0]], [PHILOX_W[1]]], dtype=np.uint64)


def _rounds(A: Array, B: Array, P: Array, key: tuple[int, int]) -> None:
    """The ten Philox rounds in place on ``A = (x0, x2)``, ``B = (x1, x3)`` (scratch ``P``)."""
    mask, shift = np.uint64(_MASK), np.uint64(32)
    K = np.array([[key[0]], [key[1]]], dtype=np.uint64)
    for r in range(ROUNDS):
        if r:
            np.add(K, _W, out=K)
            np.bitwise_and(K, mask, out=K)
        np.multiply(A[::-1], _M, out=P)  # P = (p1, p0)
        np.right_shift(P, shift, out=A)  # new x0 = hi(p1) ^ x1 ^ k0, new x2 = hi(p0) ^ x3 ^ k1
        np.bitwise_xor(A, B, out=A)
        np.bitwise_xor(A, K, out=A)
        np.bitwise_and(P, mask, out=B)  # new x1 = lo(p1), new x3 = lo(p0)


def normals(key: tuple[Any, Any], world: Any, step: Any, var: str, count: int) -> Any:
    """Standard normals of shape (worlds, ``count``): columns 2l and 2l + 1 from lane l.

    ``world`` holds global world indices (a uint64 array); ``step`` is an
    int, or a traced JAX scalar inside the JAX backend's loop. Column-major
    for numpy, so every column is contiguous like the model's per-actor arrays.
    """
    vid, lanes = VARIABLES[var].id, (count + 1) // 2
    if _xp(world) is np:
        x = _philox_np(world, [(int(step), vid, lane) for lane in range(lanes)], key)
        return _columns(normal_pair((x[0], x[1], x[2], x[3])), len(world), count)
    cols: list[Any] = []
    for lane in range(lanes):
        cols += normal_pair(philox4x32((world, step, vid, lane), key))
    return _xp(world).stack(cols[:count], axis=1)


def _columns(pair: tuple[Array, Array], n: int, count: int) -> Array:
    """Lay out normals of stacked lanes as (n, count) columns, column-major."""
    out: Array = np.empty((n, count), order="F")
    for j in range(count):
        lane = j // 2
        out[:, j] = pair[j % 2][lane * n : (lane + 1) * n]
    return out


def uniform_pair(key: tuple[Any, Any], world: Any, step: Any, var: str) -> tuple[Any, Any]:
    """Two independent uniforms on [0, 1) per world, from lane 0 of ``var`` at ``step``."""
    vid = VARIABLES[var].id
    x: Any
    if _xp(world) is np:
        x = _philox_np(world, [(int(step), vid, 0)], key)
    else:
        x = philox4x32((world, step, vid, 0), key)
    return uniforms_from(x[0], x[1]), uniforms_from(x[2], x[3])


def step_shocks(key: tuple[Any, Any], world: Any, step: Any, actors: int) -> Shocks:
    """The shocks of step ``step`` for the worlds ``world``: eval_z, warn_u, verify_u.

    numpy computes the Philox words of all lanes of ``eval_z`` and ``events``
    in one pass; JAX traces the same counters call by call. Either way the
    numbers are those of :func:`normals` and :func:`uniform_pair`.
    """
    if _xp(world) is not np:
        warn, verify = uniform_pair(key, world, step, "events")
        return Shocks(normals(key, world, step, "eval_z", actors), warn[:, None], verify[:, None])
    n, lanes = len(world), (actors + 1) // 2
    ez, ev = VARIABLES["eval_z"].id, VARIABLES["events"].id
    x = _philox_np(world, [*((int(step), ez, lane) for lane in range(lanes)), (int(step), ev, 0)],
                   key)  # fmt: skip
    z = x[:, : lanes * n]
    eval_z = _columns(normal_pair((z[0], z[1], z[2], z[3])), n, actors)
    e = x[:, lanes * n :]
    warn, verify = uniforms_from(e[0], e[1]), uniforms_from(e[2], e[3])
    return Shocks(eval_z, warn[:, None], verify[:, None])
