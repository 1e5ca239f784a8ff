"""The CJK font that reports and figures use for Chinese text.

Chinese names (institutions, programs, bilingual item text) must show in the HTML, PDF
and DOCX documents and in the matplotlib figures, and a fresh machine often has no font
with Chinese glyphs. progeval therefore depends on the PyPI package
``pylopdf-fonts-zh-cn``, a data-only wheel that carries Noto Sans SC Regular (Google's
Noto CJK, the region subset for Simplified Chinese: 8.3 MB, 30,890 characters,
all 6,763 of GB2312 among them; SIL Open Font License 1.1).

:func:`cjk_font` finds the font, in this order:

1. the file named by the environment variable ``PROGEVAL_CJK_FONT`` (an OTF, TTF or TTC
   file; for a font of your own choosing);
2. Noto Sans SC from ``pylopdf-fonts-zh-cn``;
3. a system font that fontconfig lists for Chinese (``fc-list :lang=zh``).

It raises :class:`~reports.render.errors.FontNotFoundError`, saying how to install one,
when none is found.

Examples
--------
>>> font = cjk_font()
>>> font.family
'Noto Sans SC'
>>> font.path.suffix in {".otf", ".ttf", ".ttc"}
True

Figures register the same file with matplotlib (``font_manager.fontManager.addfont``):

>>> from matplotlib import font_manager
>>> font_manager.fontManager.addfont(str(font.path))
>>> font_manager.FontProperties(fname=str(font.path)).get_name() == font.family
True
"""

from __future__ import annotations

import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path
from typing import Literal

from reports.render.errors import FontNotFoundError

__all__ = ["CJKFont", "cjk_font", "font_family", "FONT_ENV", "FONT_PACKAGE"]

FONT_ENV = "PROGEVAL_CJK_FONT"
"""Environment variable naming a CJK font file that overrides the packaged one."""

FONT_PACKAGE = "pylopdf-fonts-zh-cn"
"""The PyPI package that ships Noto Sans SC (a dependency of progeval)."""

_FONT_SUFFIXES = (".otf", ".ttf", ".ttc", ".otc")


@dataclass(frozen=True)
class CJKFont:
    """A font file with Chinese glyphs and the family name it is known by.

    Attributes
    ----------
    path
        The font file (OTF, TTF or TTC). Register it with matplotlib
        (``font_manager.fontManager.addfont(str(path))``); typst gets its folder.
    family
        The family name matplotlib, typst, CSS and Word use to select it.
    source
        Where it was found: ``"environment"`` (``PROGEVAL_CJK_FONT``), ``"package"``
        (``pylopdf-fonts-zh-cn``) or ``"system"`` (fontconfig).
    """

    path: Path
    family: str
    source: Literal["environment", "package", "system"]

    @property
    def directory(self) -> Path:
        """The folder holding the font file (what typst's ``font_paths`` takes)."""
        return self.path.parent


def font_family(path: Path) -> str:
    """Return the family name stored in the font file at ``path`` (first face of a collection).

    Parameters
    ----------
    path
        An OTF, TTF or TTC file.

    Returns
    -------
    str
        The typographic family name (name ID 16) when the font has one, else the family
        name (name ID 1).

    Examples
    --------
    >>> font_family(cjk_font().path)
    'Noto Sans SC'
    """
    from fontTools.ttLib import TTFont

    try:
        font = TTFont(str(path), lazy=True, fontNumber=0)
    except Exception as exc:  # fontTools raises several types for unreadable files
        raise FontNotFoundError(
            f"{path} is not a font file fontTools can read ({exc}); "
            f"point {FONT_ENV} at an OTF, TTF or TTC file, or unset it to use {FONT_PACKAGE}"
        ) from exc
    try:
        names = font["name"]
        for name_id in (16, 1):
            record = names.getDebugName(name_id)
            if record:
                return str(record)
    finally:
        font.close()
    raise FontNotFoundError(f"{path} has no family name in its name table; use another font file")


def _from_environment() -> CJKFont | None:
    value = os.environ.get(FONT_ENV, "").strip()
    if not value:
        return None
    path = Path(value).expanduser()
    if not path.is_file() or path.suffix.lower() not in _FONT_SUFFIXES:
        raise FontNotFoundError(
            f"{FONT_ENV}={value!r} is not an OTF, TTF or TTC file; "
            f"point it at a font file with Chinese glyphs, or unset it to use {FONT_PACKAGE}"
        )
    return CJKFont(path=path.resolve(), family=font_family(path), source="environment")


def _from_package() -> CJKFont | None:
    try:
        import pylopdf_fonts_zh_cn
    except ImportError:
        return None
    path = Path(pylopdf_fonts_zh_cn.sans_path())
    if not path.is_file():
        return None
    return CJKFont(path=path.resolve(), family=font_family(path), source="package")


def _from_system() -> CJKFont | None:
    fc_list = shutil.which("fc-list")
    if fc_list is None:
        return None
    try:
        listing = subprocess.run(
            [fc_list, ":lang=zh", "--format", "%{file}|%{index}|%{family[0]}|%{style[0]}\n"],
            capture_output=True,
            text=True,
            timeout=30,
            check=False,
        ).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    candidates = []
    for line in sorted(set(listing.splitlines())):
        parts = line.split("|")
        if len(parts) != 4 or parts[1] != "0" or not parts[0].lower().endswith(_FONT_SUFFIXES):
            continue
        file, _, family, style = parts
        rank = (style.lower() not in {"regular", "book", "normal"}, "sc" not in family.lower().split(), family)
        candidates.append((rank, file, family))
    if not candidates:
        return None
    _, file, family = min(candidates)
    return CJKFont(path=Path(file), family=family, source="system")


def cjk_font() -> CJKFont:
    """Return the CJK font reports and figures use for Chinese text.

    Returns
    -------
    CJKFont
        The font file, its family name and where it was found.

    Raises
    ------
    FontNotFoundError
        When ``PROGEVAL_CJK_FONT`` names no font file, or no CJK font is installed.

    Examples
    --------
    >>> font = cjk_font()
    >>> font.source, font.family
    ('package', 'Noto Sans SC')
    """
    for finder in (_from_environment, _from_package, _from_system):
        found = finder()
        if found is not None:
            return found
    raise FontNotFoundError(
        "no font with Chinese glyphs was found (neither the PyPI package "
        f"{FONT_PACKAGE} nor a system font listed by `fc-list :lang=zh`), so Chinese text would show "
        f"as empty boxes. Fix: install it with `python -m pip install {FONT_PACKAGE}` "
        "(or rerun `make`, which installs progeval's dependencies), or set "
        f"{FONT_ENV} to an OTF/TTF file with Chinese glyphs"
    )
