"""The event bus: delivers call events (`gateway.core.events`) to every subscriber, in order (pure)."""

from __future__ import annotations

from collections.abc import Callable

from gateway.core.events import CallEvent, Listener

ErrorHook = Callable[[CallEvent, Exception], None]


class EventBus:
    """Synchronous fan-out; a failing listener is reported to `on_error` and never breaks the call."""

    def __init__(self, on_error: ErrorHook | None = None) -> None:
        self.listeners: list[Listener] = []
        self._on_error = on_error

    def subscribe(self, listener: Listener) -> None:
        self.listeners.append(listener)

    def unsubscribe(self, listener: Listener) -> None:
        if listener in self.listeners:
            self.listeners.remove(listener)

    def publish(self, event: CallEvent) -> None:
        for listener in list(self.listeners):
            try:
                listener(event)
            except Exception as exc:  # a broken listener must not break the call
                if self._on_error is not None:
                    self._on_error(event, exc)
