"""The ``progeval`` command: synthesize a study, validate it, run its analyses and reports, run the demo.

Exit codes: 0 success; 1 rows were quarantined and ``--strict`` was given;
2 the input cannot be used (missing file, bad config, missing key, unreadable
table); 3 an internal error (a bug: rerun with ``--debug`` and report it).
Errors print one readable message, never a traceback unless ``--debug``.

Examples
--------
>>> from typer.testing import CliRunner
>>> CliRunner().invoke(app, ["--version"]).output.startswith("progeval")
True
"""

from __future__ import annotations

from collections.abc import Callable
from importlib.metadata import version
from pathlib import Path
from typing import Annotated, TypeVar

import typer
from rich.console import Console
from rich.progress import BarColumn, Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

from data_schema.errors import ProgevalError
from data_schema.study import Study, load_study
from data_schema.synthetic import generate_study
from reports.failure_export import write_failures, write_quarantined
from reports.pipeline import STAGES, StudyRun, run_study
from reports.validation_view import print_validation

__all__ = ["app"]

app = typer.Typer(
    name="progeval",
    help="Evaluate integrated CBEC-ICE programs against traditional cohorts.",
    no_args_is_help=True,
    add_completion=False,
    pretty_exceptions_enable=False,
)
out = Console(highlight=False)
err = Console(stderr=True, highlight=False)
T = TypeVar("T")
_state = {"debug": False}


def _guard(action: Callable[[], T]) -> T:
    """Run a command body; turn errors into one message and an exit code."""
    try:
        return action()
    except ProgevalError as exc:
        if _state["debug"]:
            raise
        err.print(f"[bold red]error:[/] {exc}", soft_wrap=True)
        raise typer.Exit(exc.exit_code) from None
    except KeyboardInterrupt:
        err.print("interrupted")
        raise typer.Exit(130) from None
    except Exception as exc:  # noqa: BLE001 - the one place that turns a bug into a message
        if _state["debug"]:
            raise
        err.print(f"[bold red]internal error:[/] {type(exc).__name__}: {exc}. "
                  "Rerun with --debug for the traceback and report it.", soft_wrap=True)
        raise typer.Exit(3) from None


def _version(value: bool) -> None:
    if value:
        out.print(f"progeval {version('progeval')}")
        raise typer.Exit()


@app.callback()
def main(
    debug: Annotated[bool, typer.Option("--debug", help="Show tracebacks.")] = False,
    show_version: Annotated[bool, typer.Option("--version", callback=_version, is_eager=True,
                                               help="Print the version and exit.")] = False,
) -> None:
    """progeval: validated intake, analyses and reports for CBEC-ICE program evaluation."""
    _state["debug"] = debug


def _progress() -> Progress:
    return Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(), TimeElapsedColumn(),
                    console=err, transient=True, disable=not err.is_terminal)


def _load_with_progress(config: Path) -> Study:
    with _progress() as bar:
        task = bar.add_task("validating", total=9)

        def step(text: str) -> None:
            bar.update(task, description=text, advance=1)

        return load_study(config, progress=step)


def _validate(config: Path, failures: Path | None, strict: bool) -> tuple[int, Study]:
    study = _load_with_progress(config)
    target = failures or study.config.root / "validation" / "failures.csv"
    write_failures(study, target)
    extra = write_quarantined(study, target.parent)
    print_validation(study, out)
    out.print(f"\nFull failure table: {target}", soft_wrap=True)
    for path in extra:
        out.print(f"Quarantined rows:   {path}", soft_wrap=True)
    return (1 if study.report.n_quarantined and strict else 0), study


@app.command()
def validate(
    study: Annotated[Path, typer.Argument(help="The study config (study.yaml) or its folder.")],
    failures: Annotated[Path | None, typer.Option(help="Where to write the failure table (CSV).")] = None,
    strict: Annotated[bool, typer.Option(help="Exit 1 when any row was quarantined.")] = False,
) -> None:
    """Read and check every table of a study; print a summary, write the failures as CSV."""
    code, _ = _guard(lambda: _validate(study, failures, strict))
    raise typer.Exit(code)


@app.command()
def synth(
    directory: Annotated[Path, typer.Argument(help="Folder to write the study into.")],
    seed: Annotated[int, typer.Option(help="Random seed.")] = 20261122,
    messy: Annotated[bool, typer.Option(help="Inject the faults real exports have.")] = False,
    institutions: Annotated[int, typer.Option(help="Number of institutions.")] = 8,
    students_per_class: Annotated[int, typer.Option(help="Students per teaching class.")] = 30,
) -> None:
    """Write a synthetic study (four tables, codebooks, study.yaml, key, truth.json)."""

    def run() -> None:
        with _progress() as bar:
            bar.add_task("drawing the synthetic study", total=None)
            made = generate_study(directory, seed=seed, messy=messy, n_institutions=institutions,
                                  students_per_class=students_per_class)
        counts = made.truth["faults"]["read"]
        out.print(f"Synthetic study written to {made.root}")
        out.print("  " + ", ".join(f"{t}: {n:,} rows" for t, n in counts.items()))
        out.print(f"  config: {made.config_path}")

    _guard(run)


FORMAT_HELP = "Comma-separated formats: html, pdf, docx (default: the study config's reports.formats)."


def _split_formats(formats: str | None) -> list[str] | None:
    if formats is None:
        return None
    chosen = [f.strip().lower() for f in formats.split(",") if f.strip()]
    unknown = [f for f in chosen if f not in ("html", "pdf", "docx")]
    if unknown or not chosen:
        raise typer.BadParameter(f"{formats!r}: give one or more of html, pdf, docx, e.g. --format html,pdf")
    return chosen


def _run_with_progress(config: Path, out_dir: Path | None, **options: object) -> StudyRun:
    from reports.study_results import STAGES as ANALYSES

    with _progress() as bar:
        task = bar.add_task("starting", total=len(STAGES) + len(ANALYSES))

        def step(text: str) -> None:
            bar.update(task, description=text, advance=1)

        return run_study(config, out_dir, progress=step, **options)  # type: ignore[arg-type]


def _print_run(run: StudyRun) -> None:
    out.print(f"Results bundle: {run.bundle}", soft_wrap=True)
    for kind, paths in run.documents.items():
        label = kind.replace("_", " ")
        for fmt, path in paths.items():
            out.print(f"  {label:<15} {fmt:<5} {path}", soft_wrap=True)
    for item in run.results.not_run:
        out.print(f"  not run: {item.analysis}: {item.reason}", soft_wrap=True)


@app.command()
def run(
    study: Annotated[Path, typer.Argument(help="The study config (study.yaml) or its folder.")],
    out_dir: Annotated[Path | None, typer.Option("--out", help="The results folder to (re)build (default: the "
                                                 "study config's reports.output).")] = None,
    formats: Annotated[str | None, typer.Option("--format", help=FORMAT_HELP)] = None,
    engine: Annotated[str, typer.Option(help="auto (Quarto when found, else built-in), quarto or builtin.")] = "auto",
    force: Annotated[bool, typer.Option(help="Replace --out even when it holds another study's results.")] = False,
) -> None:
    """Validate a study, run every analysis, write the results bundle and render the reports."""
    chosen = _split_formats(formats)
    if engine not in ("auto", "quarto", "builtin"):
        raise typer.BadParameter(f"{engine!r}: use auto, quarto or builtin", param_hint="--engine")
    _print_run(_guard(lambda: _run_with_progress(study, out_dir, formats=chosen, engine=engine, force=force)))


@app.command()
def demo(
    directory: Annotated[Path, typer.Option("--dir", help="Folder for the demo study.")] = Path("progeval-demo"),
    seed: Annotated[int, typer.Option(help="Random seed.")] = 20261122,
    engine: Annotated[str, typer.Option(help="auto (Quarto when found, else built-in), quarto or builtin.")] = "auto",
) -> None:
    """Synthesize a messy study into ./progeval-demo/, validate it, analyse it and render its reports."""

    def go() -> None:
        with _progress() as bar:
            bar.add_task("drawing a synthetic study with the faults of real exports", total=None)
            made = generate_study(directory / "study", seed=seed, messy=True)
        out.print(f"[bold]1. Synthetic study[/] written to {made.root} (seed {seed}).", soft_wrap=True)
        out.print(f"[bold]2. Validation[/] of {made.config_path}:\n", soft_wrap=True)
        _, study = _validate(made.config_path, None, strict=False)
        faults = made.truth["faults"]
        injected = sum(faults["read"].values()) - sum(faults["valid"].values())
        found = study.report.failure_counts()
        expected = {(q["table"], q["rule"]): q["rows"] for q in faults["quarantine"]}
        matched = {(r.table, r.rule): r.rows for r in found.itertuples()} == expected
        out.print(f"\n[bold]3. Check against the injected faults:[/] {injected:,} rows were made faulty, "
                  f"{study.report.n_quarantined:,} were quarantined; every fault found with its exact count: "
                  f"{'yes' if matched else 'NO'}.")
        out.print("\n[bold]4. Analyses and reports[/] (progeval run):", soft_wrap=True)
        result = _run_with_progress(made.config_path, directory / "results", engine=engine, force=True)
        _print_run(result)

    _guard(go)
