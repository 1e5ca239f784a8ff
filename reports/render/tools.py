"""Running the external converters: pandoc (from pypandoc-binary) and quarto.

Examples
--------
>>> result = run_command([str(pandoc_path()), "--version"], timeout=60)
>>> result.returncode, result.stdout.startswith(b"pandoc")
(0, True)
>>> tail("one\\ntwo\\nthree", lines=2)
'two | three'
"""

from __future__ import annotations

import os
import signal
import subprocess
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from reports.render.errors import RenderError

__all__ = ["CommandResult", "CommandTimeout", "pandoc_path", "run_command", "tail"]


class CommandTimeout(TimeoutError):
    """A converter ran longer than the time it was given (and was stopped)."""


@dataclass(frozen=True)
class CommandResult:
    """What a finished command returned.

    Attributes
    ----------
    returncode
        The exit status.
    stdout
        Everything it wrote to standard output.
    stderr
        Everything it wrote to standard error, decoded as UTF-8 (undecodable bytes replaced).
    """

    returncode: int
    stdout: bytes
    stderr: str


def pandoc_path() -> Path:
    """Return the pandoc executable that the pypandoc-binary wheel ships.

    Raises
    ------
    RenderError
        When pypandoc (with its bundled pandoc) is not installed.
    """
    try:
        import pypandoc
    except ImportError as exc:
        raise RenderError(
            "the builtin engine needs pandoc from the PyPI package pypandoc-binary, which is not installed. "
            "Fix: `python -m pip install pypandoc-binary` (or rerun `make`)"
        ) from exc
    try:
        return Path(pypandoc.get_pandoc_path())
    except OSError as exc:
        raise RenderError(
            f"pypandoc finds no pandoc executable ({exc}). "
            "Fix: `python -m pip install --force-reinstall pypandoc-binary`"
        ) from exc


def run_command(
    args: Sequence[str],
    *,
    timeout: float,
    cwd: Path | None = None,
    env: Mapping[str, str] | None = None,
) -> CommandResult:
    """Run ``args`` and return its exit status and output; stop it and its children after ``timeout`` seconds.

    Parameters
    ----------
    args
        The program and its arguments.
    timeout
        Seconds it may run. It runs in a session of its own, so on time-out the whole
        process group (quarto's pandoc, deno and typst children too) is killed.
    cwd
        Working directory.
    env
        Extra environment variables, added to the current environment.

    Returns
    -------
    CommandResult

    Raises
    ------
    CommandTimeout
        When it was still running after ``timeout`` seconds.
    """
    full_env = dict(os.environ)
    if env:
        full_env.update(env)
    proc = subprocess.Popen(
        list(args),
        cwd=cwd,
        env=full_env,
        stdin=subprocess.DEVNULL,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        start_new_session=True,
    )
    try:
        stdout, stderr = proc.communicate(timeout=timeout)
    except subprocess.TimeoutExpired:
        try:
            os.killpg(proc.pid, signal.SIGKILL)
        except ProcessLookupError:
            pass
        proc.communicate()
        raise CommandTimeout(f"{Path(args[0]).name} ran longer than {timeout:g} s and was stopped") from None
    return CommandResult(proc.returncode, stdout, stderr.decode("utf-8", errors="replace"))


def tail(text: str, *, lines: int = 12) -> str:
    """Return the last ``lines`` non-empty lines of ``text`` joined by `` | `` (for one-line error messages)."""
    kept = [line.strip() for line in text.splitlines() if line.strip()]
    return " | ".join(kept[-lines:]) if kept else "(no message)"
