"""Listener registries: how a lower slice makes an upper one act without importing it.

A slice that announces something (the catalog: "these products changed") owns a
:class:`Listeners` for it and calls it; the slices that react connect their functions to it
in one place at start-up, ``pim.wiring.connect_listeners()``, which every entry point calls
(the app factory, the ``pim`` command and so its workers, the test set-up, the benchmark
harness). A registry may also ask (the catalog: "which channel codes exist?"): calling it
returns each listener's answer.

Forgetting the wiring in a new entry point cannot go unnoticed: announcing before
``connect_listeners()`` ran in the process raises :class:`ListenersNotConnected` instead of
quietly leaving completeness, search or "changed since published" behind.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from typing import Generic, ParamSpec, TypeVar

P = ParamSpec("P")
R = TypeVar("R")

_connected = False
_lock = threading.Lock()


class ListenersNotConnected(RuntimeError):
    """A registry was called in a process whose entry point did not wire the slices."""


def mark_connected() -> None:
    """Called by ``pim.wiring.connect_listeners()`` once every listener is connected."""
    global _connected
    _connected = True


def listeners_connected() -> bool:
    return _connected


class Listeners(Generic[P, R]):
    """The functions connected to one announcement (or question) of a slice, called in the
    order they were connected, in the caller's thread and transaction."""

    def __init__(self, name: str):
        self.name = name
        self._listeners: tuple[Callable[P, R], ...] = ()

    def connect(self, listener: Callable[P, R]) -> Callable[P, R]:
        """Add ``listener``; connecting the same function again changes nothing."""
        with _lock:
            if listener not in self._listeners:
                self._listeners = (*self._listeners, listener)
        return listener

    def disconnect(self, listener: Callable[P, R]) -> None:
        with _lock:
            self._listeners = tuple(f for f in self._listeners if f is not listener)

    def __iter__(self) -> Iterator[Callable[P, R]]:
        """The listeners, in order, for a caller that handles each one's failure itself."""
        self._check_connected()
        return iter(self._listeners)

    def __call__(self, *args: P.args, **kwargs: P.kwargs) -> list[R]:
        """Call every listener; their answers, in order."""
        self._check_connected()
        return [listener(*args, **kwargs) for listener in self._listeners]

    def _check_connected(self) -> None:
        if not _connected:
            raise ListenersNotConnected(
                f"{self.name} was announced before pim.wiring.connect_listeners() ran in this "
                "process: call it at start-up (every entry point does), or nothing above the "
                "announcing slice would hear of it")

    def __repr__(self) -> str:
        names = ", ".join(f"{f.__module__}.{f.__qualname__}" for f in self._listeners)
        return f"<Listeners {self.name}: {names or 'none'}>"
