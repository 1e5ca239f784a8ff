"""Detect the text encoding of a CSV export: UTF-8, UTF-8 with BOM or GB18030.

Survey platforms and Excel in Chinese locales save CSV files in GB18030 (a
superset of GBK and GB2312); everything else we meet is UTF-8.  Detection is
strict decoding, not guessing: UTF-8 first (with or without a byte-order mark),
then GB18030.  A file that is neither is refused with the position of the first
byte that does not decode.

Examples
--------
>>> detect_encoding("学生".encode("gb18030"), "x.csv")
'gb18030'
>>> detect_encoding(b"\\xef\\xbb\\xbfid\\n1\\n", "x.csv")
'utf-8-sig'
"""

from __future__ import annotations

import codecs

from data_schema.errors import InputFileError

__all__ = ["detect_encoding", "decode"]

_ALIASES = {"utf8": "utf-8", "utf-8": "utf-8", "utf_8": "utf-8", "utf-8-sig": "utf-8-sig",
            "utf_8_sig": "utf-8-sig", "gb18030": "gb18030", "gbk": "gb18030", "gb2312": "gb18030"}


def _line_of(data: bytes, position: int) -> int:
    return data.count(b"\n", 0, position) + 1


def _looks_gb18030(data: bytes) -> bool:
    try:
        data.decode("gb18030")
    except UnicodeDecodeError:
        return False
    return True


def _check_utf8(data: bytes, chunk: int = 1 << 24) -> None:
    """Raise UnicodeDecodeError (offsets into ``data``) unless ``data`` is UTF-8; decodes in 16 MB pieces."""
    if data.isascii():
        return
    decoder = codecs.getincrementaldecoder("utf-8")()
    view = memoryview(data)
    for start in range(0, len(data), chunk):
        try:
            decoder.decode(view[start:start + chunk], final=start + chunk >= len(data))
        except UnicodeDecodeError:
            data.decode("utf-8")  # rare path: decode whole to get the exact offset, which raises
            raise


def detect_encoding(data: bytes, path: str, *, forced: str | None = None) -> str:
    """Return the encoding of ``data``: ``utf-8``, ``utf-8-sig`` or ``gb18030``.

    Parameters
    ----------
    data
        The file's bytes.
    path
        File name, for messages.
    forced
        An encoding named in the study config; checked, not trusted.

    Raises
    ------
    InputFileError
        The bytes do not decode in the forced encoding, or in none of the three.
    """
    if forced is not None:
        name = _ALIASES.get(forced.lower().replace(" ", ""), None)
        if name is None:
            raise InputFileError(path, f"unsupported encoding {forced!r}", hint="use utf-8 or gb18030")
        try:
            data.decode(name)
        except UnicodeDecodeError as exc:
            guess = " The file decodes as GB18030." if name != "gb18030" and _looks_gb18030(data) else ""
            raise InputFileError(
                path,
                f"line {_line_of(data, exc.start)} is not valid {forced} (byte 0x{data[exc.start]:02x} "
                f"at offset {exc.start}).{guess}",
                hint="remove the encoding setting so progeval detects it, or re-export the file as UTF-8",
            ) from None
        return name
    if data.startswith(codecs.BOM_UTF8):
        return "utf-8-sig"
    try:
        _check_utf8(data)
    except UnicodeDecodeError as first:
        if _looks_gb18030(data):
            return "gb18030"
        raise InputFileError(
            path,
            f"not UTF-8 or GB18030 text: byte 0x{data[first.start]:02x} at offset {first.start} "
            f"(line {_line_of(data, first.start)}) does not decode",
            hint="save the export as CSV UTF-8",
        ) from None
    return "utf-8"


def decode(data: bytes, encoding: str) -> str:
    """Decode bytes already checked by :func:`detect_encoding`."""
    return data.decode(encoding)
