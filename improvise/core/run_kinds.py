"""What kind of run a folder holds, and opening any of them by one call.

Every command that writes a folder records what it is; this module reads that back:

    kind       written by                       recognised by
    blues      improvise blues train            config.json "task": "blues"
    solo       improvise solo-train             config.json "task": "solo"
    kern       improvise kern train             config.json "task": "kern" (or its "chars" and "model")
    zoo        one model of improvise compare   config.json "name" and "zoo"
    compare    improvise compare                config.json "models" and "zoo", a models/ folder
    polyphonic improvise bench polyphonic       config.json "polyphonic"
    jam        improvise jam --out              session.json
    sweep      improvise blues sweep            sweep.json

`run_kind(folder)` names the kind (a UserError for a folder that is none of these);
`load_run(folder, accept=...)` opens it with that kind's own checked loader and refuses, in one
line that says which kinds the command takes, a kind the command cannot use. Loaders are looked
up lazily, so asking a folder's kind imports no torch.
"""

from __future__ import annotations

from importlib import import_module
from pathlib import Path

from improvise.core.errors import UserError

# kind -> (module, loader, what the kind is in a sentence); loader None: no model to open
KINDS: dict[str, tuple[str, str | None, str]] = {
    "blues": ("improvise.blues.task", "load_blues_run", "a blues model (improvise blues train)"),
    "solo": ("improvise.solo.soloist", "load_solo_run", "a soloist (improvise solo-train)"),
    "kern": ("improvise.kern.runfolder", "load_kern_model", "a **kern character LSTM (improvise kern train)"),
    "zoo": ("improvise.zoo.model", "load_zoo_model", "one model of a model zoo (improvise compare)"),
    "compare": ("improvise.core.run_kinds", "load_compare", "a model zoo (improvise compare)"),
    "polyphonic": ("improvise.polyphonic.task", None, "a piano-roll bench run (improvise bench polyphonic)"),
    "jam": ("improvise.live.session", None, "a jam session (improvise jam)"),
    "sweep": ("improvise.blues.sweep", None, "a multi-seed sweep (improvise blues sweep)"),
}


def run_kind(folder) -> str:
    """The kind of run `folder` holds (see the module doc); a one-line UserError otherwise."""
    from improvise.core.runs import check_format, read_json

    folder = Path(folder)
    if not folder.is_dir():
        raise UserError(f"{folder}: no such run folder" if not folder.exists() else f"{folder}: not a folder")
    config = folder / "config.json"
    if config.is_file():
        doc = read_json(config)
        if "format" in doc:
            check_format(doc["format"], None, config)  # a newer or unknown format: one line
        task = doc.get("task")
        if isinstance(task, str) and task in KINDS:
            return task
        if task is not None:
            raise UserError(
                f"{config}: unknown task {str(task)[:40]!r} (this version knows {', '.join(KINDS)})"
            )
        if "name" in doc and "zoo" in doc:
            return "zoo"
        if "models" in doc and "zoo" in doc:
            return "compare"
        if "polyphonic" in doc:
            return "polyphonic"
        if "chars" in doc and "model" in doc:
            return "kern"
    if (folder / "session.json").is_file():
        return "jam"
    if (folder / "sweep.json").is_file():
        return "sweep"
    raise UserError(
        f"{folder}: not a run folder of improvise (no config.json, session.json or sweep.json "
        "that says what it holds)"
    )


def describe(kinds) -> str:
    """'blues or solo runs' for an error message."""
    kinds = list(kinds)
    return (", ".join(kinds[:-1]) + " or " + kinds[-1] if len(kinds) > 1 else kinds[0]) + " runs"


def load_run(folder, accept=None, command: str = "this command"):
    """(kind, what the kind's loader returns) for `folder`, checked as that loader checks it.

    `accept`: the kinds the calling command can use; another kind is a one-line UserError that
    names the kind found and the kinds taken. A kind without a model to open returns None."""
    kind = run_kind(folder)
    if accept is not None and kind not in accept:
        raise UserError(f"{folder}: {KINDS[kind][2]}; {command} takes {describe(accept)}")
    module, loader, _ = KINDS[kind]
    if loader is None:
        return kind, None
    return kind, getattr(import_module(module), loader)(Path(folder))


def load_compare(folder: Path) -> dict:
    """Every model of a compare folder, each opened (and checked) as a zoo model folder."""
    from improvise.zoo.model import load_zoo_model

    models = Path(folder) / "models"
    if not models.is_dir():
        raise UserError(f"{folder}: an improvise compare folder without its models/ folder")
    return {p.name: load_zoo_model(p) for p in sorted(models.iterdir()) if p.is_dir()}
