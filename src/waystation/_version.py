"""The installed version of waystation, read from the package metadata (no heavy imports)."""

from __future__ import annotations

from importlib.metadata import PackageNotFoundError, metadata, version


def package_version() -> str:
    """The installed version of waystation."""
    try:
        return version("waystation")
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        return "0+unknown"


#: Where bugs are reported when the package metadata names no ``Issues`` URL.
BUG_TRACKER = "the waystation issue tracker (see the project's README)"


def bug_tracker() -> str:
    """Where to report a bug: the ``Issues`` (or ``Bug Tracker``) URL of the package metadata."""
    try:
        urls = metadata("waystation").get_all("Project-URL") or []
    except PackageNotFoundError:  # pragma: no cover - running from a source tree
        urls = []
    for entry in urls:
        label, _, url = entry.partition(",")
        if label.strip().lower() in ("issues", "bug tracker", "bugs") and url.strip():
            return url.strip()
    return BUG_TRACKER
