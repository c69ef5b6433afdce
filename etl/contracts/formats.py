"""The date and timestamp formats a contract may pin, as DateTimeFormatter patterns of fixed width."""

from __future__ import annotations

import re

# DateTimeFormatter letters a contract format may use, and the exact shape each one matches.
_FORMAT_LETTERS = {
    "yyyy": r"\d{4}",
    "MM": r"\d{2}",
    "dd": r"\d{2}",
    "HH": r"\d{2}",
    "mm": r"\d{2}",
    "ss": r"\d{2}",
    "SSS": r"\d{3}",
}
_FORMAT_TOKEN = re.compile("|".join(sorted(_FORMAT_LETTERS, key=len, reverse=True)) + r"|[A-Za-z]")


def format_shape(raw_format: str) -> str:
    """An anchored regular expression for values written in the DateTimeFormatter pattern ``raw_format``.

    ValueError when the pattern uses a letter other than yyyy, MM, dd, HH, mm, ss and SSS.
    """
    pieces, position = [], 0
    for match in _FORMAT_TOKEN.finditer(raw_format):
        token = match.group()
        if token not in _FORMAT_LETTERS:
            raise ValueError(f"format {raw_format!r} uses {token!r}; supported letters: {', '.join(_FORMAT_LETTERS)}")
        pieces += [re.escape(raw_format[position : match.start()]), _FORMAT_LETTERS[token]]
        position = match.end()
    pieces.append(re.escape(raw_format[position:]))
    return "^" + "".join(pieces) + "$"


_STRPTIME = {"yyyy": "%Y", "MM": "%m", "dd": "%d", "HH": "%H", "mm": "%M", "ss": "%S", "SSS": "%f"}


def strptime_format(raw_format: str) -> str:
    """The ``datetime.strptime`` format of the DateTimeFormatter pattern ``raw_format`` (letters as above)."""
    format_shape(raw_format)  # refuses unsupported letters
    return _FORMAT_TOKEN.sub(lambda match: _STRPTIME[match.group()], raw_format.replace("%", "%%"))
