"""The installed version of waystation, read from the package metadata (no heavy imports)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, version


def package_version() -> str:
    """The installed version of waystation."""
    try:
        return version("waystation")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0+unknown"
