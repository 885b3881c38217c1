"""A progress bar on stderr (rich), for long runs on a terminal."""

from __future__ import annotations


class ProgressBar:
    def __init__(self, total: int) -> None:
        from rich.console import Console
        from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

        self._progress = Progress(
            "[progress.description]{task.description}", BarColumn(), MofNCompleteColumn(),
            TimeRemainingColumn(), console=Console(stderr=True), transient=True,
        )
        self._task = self._progress.add_task("dllint", total=total)

    def __enter__(self):
        self._progress.start()
        return self.update

    def update(self, done: int, total: int) -> None:
        self._progress.update(self._task, completed=done)

    def __exit__(self, *exc):
        self._progress.stop()
        return False
