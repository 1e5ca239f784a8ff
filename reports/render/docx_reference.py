"""The reference document that styles the builtin engine's DOCX output.

pandoc takes paragraph, table and character styles from a ``reference.docx``. This
module starts from pandoc's own and changes four things, so nothing binary is kept in
the repository and the styles follow the pandoc version in use:

* the East-Asian font of every style is the CJK family (``w:eastAsia``), so Word
  sets Chinese in it (or in its own substitute when the reader lacks it);
* tables get a top and a bottom rule and a bold header row with a rule below;
* the page is A4 with 2.4 cm side margins;
* callouts get paragraph styles ("Callout Note", "Callout Note Title", ... for note,
  tip, important, warning and caution): a coloured, boxed and shaded block that Word
  draws as one box around the consecutive paragraphs of a callout.

Examples
--------
>>> import zipfile, tempfile, pathlib
>>> out = write_reference_docx(pathlib.Path(tempfile.mkdtemp()) / "ref.docx", cjk_family="Noto Sans SC")
>>> styles = zipfile.ZipFile(out).read("word/styles.xml").decode()
>>> 'w:eastAsia="Noto Sans SC"' in styles, "Callout Warning Title" in styles
(True, True)
"""

from __future__ import annotations

import io
import re
import subprocess
import zipfile
from pathlib import Path
from xml.sax.saxutils import quoteattr

from reports.render.errors import RenderError
from reports.render.tools import pandoc_path

__all__ = ["CALLOUT_COLOURS", "write_reference_docx"]

CALLOUT_COLOURS: dict[str, tuple[str, str, str]] = {
    "Note": ("0072B2", "005A8C", "E8F2F9"),
    "Tip": ("009E73", "00745A", "E6F6F1"),
    "Important": ("D55E00", "A84A00", "FCEEE5"),
    "Warning": ("E69F00", "946600", "FDF5E5"),
    "Caution": ("CC79A7", "9C4F7C", "FAF0F6"),
}
"""Callout kind -> (border colour, title colour, shading), the Okabe-Ito palette."""

_FIXED_TIME = (1980, 1, 1, 0, 0, 0)


def _callout_styles() -> str:
    parts = []
    for kind, (border, title, fill) in CALLOUT_COLOURS.items():
        style_id = f"Callout{kind}"
        edges = "".join(
            f'<w:{edge} w:val="single" w:sz="{24 if edge == "left" else 6}" w:space="6" w:color="{border}"/>'
            for edge in ("top", "left", "bottom", "right")
        )
        parts.append(
            f'<w:style w:type="paragraph" w:customStyle="1" w:styleId="{style_id}">'
            f'<w:name w:val="Callout {kind}"/><w:basedOn w:val="BodyText"/><w:qFormat/>'
            f"<w:pPr><w:pBdr>{edges}</w:pBdr>"
            f'<w:shd w:val="clear" w:color="auto" w:fill="{fill}"/>'
            '<w:spacing w:before="60" w:after="60"/><w:ind w:left="170" w:right="170"/></w:pPr>'
            "</w:style>"
            f'<w:style w:type="paragraph" w:customStyle="1" w:styleId="{style_id}Title">'
            f'<w:name w:val="Callout {kind} Title"/><w:basedOn w:val="{style_id}"/>'
            f'<w:next w:val="{style_id}"/><w:qFormat/><w:pPr><w:keepNext/></w:pPr>'
            f'<w:rPr><w:b/><w:color w:val="{title}"/></w:rPr></w:style>'
        )
    return "".join(parts)


def _restyle(styles: str, cjk_family: str) -> str:
    family = quoteattr(cjk_family)
    styles = re.sub(r'w:eastAsiaTheme="[^"]*"', f"w:eastAsia={family}", styles)
    table_style = styles.find('w:styleId="Table"')
    if table_style < 0:
        raise RenderError("pandoc's reference.docx has no table style 'Table'; this pandoc version is not supported")
    borders = (
        '<w:tblBorders><w:top w:val="single" w:sz="12" w:space="0" w:color="000000"/>'
        '<w:bottom w:val="single" w:sz="12" w:space="0" w:color="000000"/></w:tblBorders>'
    )
    start = styles.index("<w:tblCellMar>", table_style)  # the schema puts tblBorders before tblCellMar
    styles = styles[:start] + borders + styles[start:]
    first_row = styles.index('<w:tblStylePr w:type="firstRow">', table_style)
    first_row_end = first_row + len('<w:tblStylePr w:type="firstRow">')
    styles = styles[:first_row_end] + "<w:rPr><w:b/></w:rPr>" + styles[first_row_end:]
    return styles.replace("</w:styles>", _callout_styles() + "</w:styles>")


def _a4_section(document: str) -> str:
    """Give the reference document's last section an A4 page with 2.4 cm side margins."""
    page = (
        '<w:pgSz w:w="11906" w:h="16838"/>'
        '<w:pgMar w:top="1418" w:right="1361" w:bottom="1474" w:left="1361" '
        'w:header="709" w:footer="709" w:gutter="0"/>'
    )
    end = document.rfind("</w:sectPr>")
    if end < 0:
        return document
    return document[:end] + page + document[end:]


def write_reference_docx(path: Path, *, cjk_family: str) -> Path:
    """Write progeval's reference DOCX for pandoc to ``path`` and return ``path``.

    Parameters
    ----------
    path
        Where to write it (a temporary file of the render).
    cjk_family
        The family name Word should use for Chinese text.

    Returns
    -------
    Path
        ``path``, written with fixed zip timestamps (the same bytes every time).
    """
    proc = subprocess.run(
        [str(pandoc_path()), "--print-default-data-file", "reference.docx"],
        capture_output=True,
        check=False,
        timeout=60,
    )
    if proc.returncode != 0:
        raise RenderError(f"pandoc could not print its reference.docx: {proc.stderr.decode(errors='replace')}")
    source = zipfile.ZipFile(io.BytesIO(proc.stdout))
    with zipfile.ZipFile(path, "w", compression=zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "word/styles.xml":
                data = _restyle(data.decode("utf-8"), cjk_family).encode("utf-8")
            elif info.filename == "word/document.xml":
                data = _a4_section(data.decode("utf-8")).encode("utf-8")
            entry = zipfile.ZipInfo(info.filename, date_time=_FIXED_TIME)
            entry.compress_type = zipfile.ZIP_DEFLATED
            target.writestr(entry, data)
    return path
