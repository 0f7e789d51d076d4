"""How far `triage train` has got: a small JSON file the admin page reads, and a lock.

    <models root>/progress.json   {"state", "stage", "percent", "started_at", "updated_at",
                                   "eta_seconds", "message", "pid", "error"}
    <models root>/training.lock   held (flock) by the running training; holds its pid

`ProgressRecorder` wraps the ``progress`` callback of `train.run_training`: each
line ("[cache   41.2s] done") is passed on and mapped to a stage and a percentage
(`STAGE_PERCENT`; an epoch line moves through the training stage), with an ETA
extrapolated from the time spent so far. `read_status` is what the admin page
shows: the model being served and the training's state, with the ETA counted
down to now. `training_lock` keeps a second training from starting while one
runs (``make run`` starts one in the background on a fresh clone).

Plain Python: no Flask, no torch.
"""

import contextlib
import fcntl
import json
import math
import os
import re
import time
from collections.abc import Callable
from datetime import UTC, datetime
from pathlib import Path

from app.triage.model import store

PROGRESS_FILE = "progress.json"
LOCK_FILE = "training.lock"

#: Percentage reached when each stage starts (the stages of `train.run_training`, plus the
#: CLI's fallback), from the share of the time each took in a full run on the 2-core CPU
#: (811 s: encoder and model 15 s, caching the frozen layers 30 s, the three epochs 628 s,
#: the TF-IDF model and the blend 133 s, the rest under a second). An epoch line moves
#: through the training stage, so the ETA extrapolated from them holds from the first epoch.
STAGE_PERCENT = {
    "fallback": 0,
    "setup": 0,
    "data": 0.5,
    "encoder": 0.5,
    "model": 1.5,
    "cache": 2,
    "train": 6,
    "lexical": 83,
    "blend": 99,
    "review": 99,
    "save": 99,
    "eval": 99.5,
    "done": 100,
}
#: Where the training stage ends (its epochs share 6..83).
TRAIN_END = 83
#: Below this the ETA is not extrapolated (too little seen to tell).
MIN_PERCENT_FOR_ETA = 5

_LINE = re.compile(r"^\[(?P<stage>[a-z]+)(?:\s+[\d.]+s)?\]\s*(?P<message>.*)$")
_EPOCH = re.compile(r"epoch (?P<done>\d+)/(?P<total>\d+)")


def now_utc() -> datetime:
    return datetime.now(UTC)


def _iso(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


def progress_path(root: Path | str | None = None) -> Path:
    return (Path(root) if root is not None else store.default_model_root()) / PROGRESS_FILE


def parse_line(line: str) -> tuple[str, str] | None:
    """(stage, message) of a training log line, or None for a line without a stage tag."""
    match = _LINE.match(line.strip())
    if match is None or match["stage"] not in STAGE_PERCENT:
        return None
    return match["stage"], match["message"]


def percent_of(stage: str, message: str, previous: float = 0.0) -> float:
    """How far the training is after a line of `stage` (never going back)."""
    percent = float(STAGE_PERCENT.get(stage, previous))
    if stage == "cache" and message.strip() == "done":
        percent = STAGE_PERCENT["train"]
    epoch = _EPOCH.search(message) if stage == "train" else None
    if epoch is not None and int(epoch["total"]) > 0:
        start = STAGE_PERCENT["train"]
        percent = start + (TRAIN_END - start) * int(epoch["done"]) / int(epoch["total"])
    return max(previous, min(percent, 100.0))


def eta_seconds(elapsed: float, percent: float) -> float | None:
    """Seconds left, extrapolated linearly from `elapsed` at `percent` (None: too early)."""
    if percent >= 100:
        return 0.0
    if percent < MIN_PERCENT_FOR_ETA or elapsed <= 0:
        return None
    return elapsed * (100 - percent) / percent


class ProgressRecorder:
    """A `progress` callback that passes each line on to `echo` and keeps the progress file."""

    def __init__(
        self,
        path: Path | str,
        echo: Callable[[str], object] = print,
        clock: Callable[[], float] = time.monotonic,
    ):
        self.path = Path(path)
        self.echo = echo
        self.clock = clock
        self.started = clock()
        self.state = {
            "state": "running",
            "stage": "starting",
            "percent": 0.0,
            "started_at": _iso(now_utc()),
            "updated_at": _iso(now_utc()),
            "eta_seconds": None,
            "message": "",
            "pid": os.getpid(),
            "error": None,
        }
        self._write()

    def __call__(self, line: str) -> None:
        self.echo(line)
        parsed = parse_line(line)
        if parsed is None:
            return
        stage, message = parsed
        before = self.state["percent"]
        percent = percent_of(stage, message, before)
        elapsed = self.clock() - self.started
        eta = eta_seconds(elapsed, percent)
        self.state.update(
            stage=stage, percent=round(percent, 1), message=message[:300],
            updated_at=_iso(now_utc()),
            eta_seconds=None if eta is None else math.ceil(eta),  # "0 left" only when done
        )  # fmt: skip
        if stage == "done":
            self.state["state"] = "finished"
        self._write()
        if int(percent) // 10 > int(before) // 10 or stage == "done":
            left = f", about {eta / 60:.0f} min left" if eta else ""
            self.echo(f"[progress] {percent:.0f}% ({stage}){left}")

    def fail(self, error: str) -> None:
        """Record that the training stopped with `error`."""
        self.state.update(state="failed", error=error[:500], updated_at=_iso(now_utc()))
        self.state["eta_seconds"] = None
        self._write()

    def _write(self) -> None:
        store.write_json(self.path, self.state)


def _alive(pid) -> bool:
    try:
        os.kill(int(pid), 0)
    except (ProcessLookupError, ValueError, TypeError):
        return False
    except PermissionError:  # someone else's process: it exists
        return True
    return True


def read_progress(root: Path | str | None = None, now: datetime | None = None) -> dict | None:
    """The last training's progress, with ``eta_seconds`` counted down to `now`.

    A "running" training whose process is gone is reported as "interrupted".
    None when no training has run here.
    """
    path = progress_path(root)
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    if not isinstance(data, dict):
        return None
    now = now or now_utc()
    if data.get("state") == "running":
        if not _alive(data.get("pid")):
            data["state"] = "interrupted"
            data["eta_seconds"] = None
        elif data.get("eta_seconds") is not None and data.get("updated_at"):
            try:
                since = (now - datetime.fromisoformat(data["updated_at"])).total_seconds()
            except (TypeError, ValueError):
                since = 0.0
            data["eta_seconds"] = max(0, round(float(data["eta_seconds"]) - max(since, 0)))
    return data


def read_status(root: Path | str | None = None, now: datetime | None = None) -> dict:
    """What the admin page shows: the model triage serves and the last training's progress.

    ``serving`` is "model" when a trained model is there, else "fallback" (the TF-IDF
    classifier, trained in seconds, serves meanwhile).
    """
    model_dir = store.resolve_model_dir(root)
    return {
        "serving": "model" if model_dir is not None else "fallback",
        "model_version": model_dir.name if model_dir is not None else None,
        "training": read_progress(root, now),
    }


class TrainingBusy(RuntimeError):
    """Another training holds the lock."""

    def __init__(self, pid: str):
        super().__init__(f"a training is already running (pid {pid or '?'})")
        self.pid = pid


@contextlib.contextmanager
def training_lock(root: Path | str | None = None):
    """Hold the models root's training lock, or raise `TrainingBusy` at once.

    An flock: released by the system when the process ends, however it ends.
    """
    root = Path(root) if root is not None else store.default_model_root()
    root.mkdir(parents=True, exist_ok=True)
    handle = open(root / LOCK_FILE, "a+", encoding="utf-8")  # noqa: SIM115 (held for the block)
    try:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            handle.seek(0)
            raise TrainingBusy(handle.read().strip()) from None
        handle.seek(0)
        handle.truncate()
        handle.write(f"{os.getpid()}\n")
        handle.flush()
        yield
    finally:
        handle.close()
