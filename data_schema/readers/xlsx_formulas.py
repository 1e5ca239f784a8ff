"""Find the formula cells of a worksheet by reading its XML, without evaluating anything.

Fast readers such as calamine return a formula's cached result (or nothing, when
the workbook was written by a program that does not compute formulas), so a
formula would slip through as an ordinary value.  This module lists every cell
that holds a formula, with the formula text, so the intake can reject it.

Examples
--------
>>> cell_position("C17")
(17, 3)
"""

from __future__ import annotations

import io
import re
import zipfile
from pathlib import PurePosixPath
from xml.etree import ElementTree

__all__ = ["formula_cells", "cell_position", "sheet_xml_path"]

_REL_NS = "http://schemas.openxmlformats.org/officeDocument/2006/relationships"
_REF = re.compile(r"^([A-Z]+)(\d+)$")


def cell_position(ref: str) -> tuple[int, int]:
    """1-based (row, column) of an A1 reference."""
    match = _REF.match(ref)
    if match is None:
        raise ValueError(f"not a cell reference: {ref!r}")
    letters, digits = match.groups()
    column = 0
    for ch in letters:
        column = column * 26 + ord(ch) - 64
    return int(digits), column


def _local(tag: str) -> str:
    return tag.rsplit("}", 1)[-1]


def sheet_xml_path(book: zipfile.ZipFile, sheet_index: int) -> str:
    """Path inside the package of the sheet at ``sheet_index`` (workbook order)."""
    workbook = ElementTree.fromstring(book.read("xl/workbook.xml"))
    sheets = [el for el in workbook.iter() if _local(el.tag) == "sheet"]
    rel_id = sheets[sheet_index].get(f"{{{_REL_NS}}}id")
    rels = ElementTree.fromstring(book.read("xl/_rels/workbook.xml.rels"))
    target = next(el.get("Target") for el in rels if el.get("Id") == rel_id)
    if target.startswith("/"):
        return target.lstrip("/")
    return str(PurePosixPath("xl") / target)


def formula_cells(path: str, sheet_index: int) -> dict[tuple[int, int], str]:
    """``{(row, column): "=FORMULA(...)"}`` for every formula cell of the sheet."""
    with zipfile.ZipFile(path) as book:
        name = sheet_xml_path(book, sheet_index)
        data = book.read(name)
    if b"<f>" not in data and b"<f " not in data and b":f>" not in data and b":f " not in data:
        return {}
    found: dict[tuple[int, int], str] = {}
    for _, element in ElementTree.iterparse(io.BytesIO(data)):
        if _local(element.tag) != "c":
            continue
        formula = next((child for child in element if _local(child.tag) == "f"), None)
        if formula is not None:
            found[cell_position(element.get("r", ""))] = "=" + (formula.text or "")
        element.clear()
    return found
