"""The engine's states and the only transitions allowed between them."""

from __future__ import annotations

from enum import StrEnum


class State(StrEnum):
    IDLE = "idle"  # nothing to do until the next tick or "Sync now"
    PUSHING = "pushing"
    PULLING = "pulling"
    BACKING_OFF = "backing_off"  # a request failed; waiting before the retry
    OFFLINE = "offline"  # retries exhausted: the server is unreachable for now


TRANSITIONS: dict[State, frozenset[State]] = {
    State.IDLE: frozenset({State.PUSHING}),
    State.PUSHING: frozenset({State.PULLING, State.BACKING_OFF, State.IDLE, State.OFFLINE}),
    State.PULLING: frozenset({State.IDLE, State.BACKING_OFF, State.OFFLINE}),
    State.BACKING_OFF: frozenset({State.PUSHING, State.OFFLINE, State.IDLE}),
    State.OFFLINE: frozenset({State.PUSHING, State.IDLE}),
}


class BadTransition(RuntimeError):
    """A bug: the engine tried a move its state machine does not have."""


class Machine:
    def __init__(self, state: State = State.IDLE) -> None:
        self.state = state

    def go(self, new: State) -> bool:
        """Move to ``new``; False when already there; raise on a transition that is not allowed."""
        if new == self.state:
            return False
        if new not in TRANSITIONS[self.state]:
            raise BadTransition(f"{self.state} -> {new}")
        self.state = new
        return True
