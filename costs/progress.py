"""A progress indicator on stderr that appears only when the work takes longer than a second."""

from __future__ import annotations

import itertools
import threading
import time
from types import TracebackType
from typing import TextIO


class Progress:
    """`with Progress("running the prod program", sys.stderr): ...`: silent if done within `delay` seconds.

    On a terminal it spins with the elapsed time; elsewhere (CI logs) it writes one line, so piped output stays clean.
    """

    def __init__(self, message: str, stream: TextIO, delay: float = 1.0, interval: float = 0.1) -> None:
        self.message = message
        self.stream = stream
        self.delay = delay
        self.interval = interval
        self.shown = False
        self._done = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)
        self._started = 0.0

    def __enter__(self) -> Progress:
        self._started = time.monotonic()
        self._thread.start()
        return self

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._done.set()
        self._thread.join()
        if self.shown and self._interactive:
            self.stream.write("\r\033[K")
            self.stream.flush()

    @property
    def _interactive(self) -> bool:
        return hasattr(self.stream, "isatty") and self.stream.isatty()

    def _run(self) -> None:
        if self._done.wait(self.delay):
            return
        self.shown = True
        if not self._interactive:
            self.stream.write(f"{self.message}...\n")
            self.stream.flush()
            return
        for frame in itertools.cycle("|/-\\"):
            elapsed = time.monotonic() - self._started
            self.stream.write(f"\r{frame} {self.message} ({elapsed:.0f}s)")
            self.stream.flush()
            if self._done.wait(self.interval):
                return
