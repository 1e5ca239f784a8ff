"""Scan a CSV export once, block by block: refuse unusable files, detect the encoding, find the header.

:func:`~data_schema.readers.read_csv` holds the whole file in memory to check it; an export of any size
cannot be.  :func:`scan_csv` makes the same checks, in the same order and with the same messages, on
blocks of 16 MB: the file is not empty and not binary; its encoding is UTF-8, UTF-8 with BOM or GB18030
(detected by strict decoding, or the one forced by the study config and checked); line 1 is the header.
It also counts the lines after the header as :func:`~data_schema.readers.read_csv` counts them, which
tells the chunked reader whether the file's rows can be numbered line by line.

Every block ends at a line break.  The byte 0x0A never occurs inside a multi-byte character in UTF-8 or
GB18030, so each block decodes on its own and the offset and line of a bad byte are exact.

Examples
--------
>>> import tempfile, pathlib
>>> p = pathlib.Path(tempfile.mkdtemp()) / "t.csv"
>>> _ = p.write_bytes("学号,专业\\n1,a\\n2,b".encode("gb18030"))
>>> scan = scan_csv(p)
>>> scan.encoding, scan.header, scan.n_lines, scan.blank_line
('gb18030', '学号,专业', 2, False)
"""

from __future__ import annotations

import codecs
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from data_schema.errors import InputFileError
from data_schema.readers.encoding import _ALIASES  # the encoding names a study config may force

__all__ = ["CsvScan", "scan_csv", "BLOCK_BYTES"]

BLOCK_BYTES = 1 << 24
"""Bytes read at a time (a block is extended to the next line break)."""


@dataclass(frozen=True)
class CsvScan:
    """What one pass over a CSV file found.

    Attributes
    ----------
    path
        The file.
    encoding
        ``utf-8``, ``utf-8-sig`` or ``gb18030``.
    header
        Line 1, decoded, without its line break.
    body_offset
        Byte offset of line 2 in the file (the file's length when there is no line 2).
    n_lines
        Lines after the header; a last line without a line break counts.
    blank_line
        Whether an empty line follows the header somewhere; its rows must then be numbered line by line.
    """

    path: Path
    encoding: str
    header: str
    body_offset: int
    n_lines: int
    blank_line: bool


@dataclass(frozen=True)
class _BadByte:
    offset: int
    line: int
    byte: int


@dataclass(frozen=True)
class _Pass:
    bad: _BadByte | None
    newlines: int
    blank: bool
    ends_with_break: bool


def _blocks(path: Path) -> Iterator[tuple[int, bytes]]:
    """``(offset, bytes)`` blocks of the file, each ending at a line break except perhaps the last."""
    with open(path, "rb") as stream:
        offset, carry = 0, b""
        while data := stream.read(BLOCK_BYTES):
            data = carry + data
            cut = data.rfind(b"\n") + 1
            if cut:
                yield offset, data[:cut]
                offset, carry = offset + cut, data[cut:]
            else:
                carry = data
        if carry:
            yield offset, carry


def _read_through(path: Path, encoding: str) -> _Pass:
    """Decode every block in ``encoding`` (up to the first bad byte) and count line breaks and empty lines."""
    bad = None
    newlines, blank, last = 0, False, b""
    for offset, block in _blocks(path):
        if bad is None and not (encoding != "gb18030" and block.isascii()):
            try:
                block.decode(encoding)
            except UnicodeDecodeError as exc:
                bad = _BadByte(offset + exc.start, newlines + block.count(b"\n", 0, exc.start) + 1, block[exc.start])
        blank = blank or (offset > 0 and block.startswith((b"\n", b"\r\n"))) or b"\n\n" in block \
            or b"\n\r\n" in block
        newlines += block.count(b"\n")
        last = block[-1:]
    return _Pass(bad, newlines, blank, last == b"\n")


def _decodes(path: Path, encoding: str) -> bool:
    return all(_try_decode(block, encoding) for _, block in _blocks(path))


def _try_decode(block: bytes, encoding: str) -> bool:
    try:
        block.decode(encoding)
    except UnicodeDecodeError:
        return False
    return True


def _encoding(path: Path, head: bytes, forced: str | None) -> tuple[str, _Pass]:
    """The encoding, with :func:`~data_schema.readers.encoding.detect_encoding`'s rules and messages."""
    if forced is not None:
        name = _ALIASES.get(forced.lower().replace(" ", ""))
        if name is None:
            raise InputFileError(path, f"unsupported encoding {forced!r}", hint="use utf-8 or gb18030")
        found = _read_through(path, name)
        if found.bad is not None:
            guess = " The file decodes as GB18030." if name != "gb18030" and _decodes(path, "gb18030") else ""
            raise InputFileError(
                path,
                f"line {found.bad.line} is not valid {forced} (byte 0x{found.bad.byte:02x} at offset "
                f"{found.bad.offset}).{guess}",
                hint="remove the encoding setting so progeval detects it, or re-export the file as UTF-8",
            )
        return name, found
    found = _read_through(path, "utf-8")
    if head.startswith(codecs.BOM_UTF8):
        return "utf-8-sig", found
    if found.bad is None:
        return "utf-8", found
    if _decodes(path, "gb18030"):
        return "gb18030", found
    raise InputFileError(
        path,
        f"not UTF-8 or GB18030 text: byte 0x{found.bad.byte:02x} at offset {found.bad.offset} "
        f"(line {found.bad.line}) does not decode",
        hint="save the export as CSV UTF-8",
    )


def _refuse_empty_or_binary(path: Path, head: bytes) -> None:
    if not any(block.strip() for _, block in _blocks(path)):
        raise InputFileError(path, "the file is empty", hint="export the table again with its header row")
    if b"\x00" in head:
        raise InputFileError(path, "this is a binary file, not a CSV table",
                             hint="export the table as CSV, XLSX, SAV, DTA or Parquet")


def scan_csv(path: str | Path, *, encoding: str | None = None) -> CsvScan:
    """Check a CSV file and find its encoding, header and line count without reading it into memory.

    Parameters
    ----------
    path
        The file.
    encoding
        Force an encoding (checked, not trusted), as the study config's ``encoding`` setting.

    Returns
    -------
    CsvScan

    Raises
    ------
    InputFileError
        Empty file, binary content, undecodable bytes, unsupported forced encoding, blank line 1; the
        messages are those of :func:`~data_schema.readers.read_csv`.
    """
    path = Path(path)
    with open(path, "rb") as stream:
        head = stream.read(65536)
    _refuse_empty_or_binary(path, head)
    enc, found = _encoding(path, head, encoding)
    first = next(_blocks(path))[1]
    first_break = first.find(b"\n")
    header = (first if first_break < 0 else first[:first_break]).decode(enc).rstrip("\r")
    if not header.strip():
        raise InputFileError(path, "line 1 is blank; the first line must be the header row")
    if first_break < 0:
        return CsvScan(path, enc, header, len(first), 0, False)
    body = found.newlines - 1
    n_lines = body + (first_break + 1 < path.stat().st_size and not found.ends_with_break)
    return CsvScan(path, enc, header, first_break + 1, n_lines, found.blank)
