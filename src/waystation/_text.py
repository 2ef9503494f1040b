"""Showing text from user files safely: control characters become visible escapes.

A scenario file is shared between people, so anything taken from one -- a key,
a name, a description, a file name -- may hold terminal control sequences
(``ESC [2J`` clears the screen; a carriage return overwrites a line) or
invisible Unicode (bidirectional overrides, zero-width spaces) that make a
message read differently from what it says. :func:`shown` is the one function
through which such text is displayed: in error messages
(:class:`waystation.io.Problem`), on the terminal (the CLI's consoles) and in
the report. Printable text, including non-ASCII letters, is unchanged.
"""

from __future__ import annotations

__all__ = ["shown"]


def _escape(char: str) -> str:
    code = ord(char)
    if code <= 0xFF:
        return f"\\x{code:02x}"
    return f"\\u{code:04x}" if code <= 0xFFFF else f"\\U{code:08x}"


def shown(text: object, *, newlines: bool = False) -> str:
    r"""``text`` with every control or invisible character written as an escape.

    ``"a\x1b[2Jb"`` becomes ``"a\\x1b[2Jb"``; a newline is kept only with
    ``newlines=True`` (for multi-line messages the program itself writes).
    "Printable" is Python's :meth:`str.isprintable`: no character of the Unicode
    categories Other (controls, format characters such as bidirectional
    overrides, surrogates, private use, unassigned) or Separator (but the
    ASCII space). Backslashes are left alone, so escaping twice changes nothing.
    """
    s = str(text)
    if s.isprintable():  # the common case: no control, format or separator character
        return s
    return "".join(c if c.isprintable() or (c == "\n" and newlines) else _escape(c) for c in s)
