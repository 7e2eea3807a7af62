"""The consent of a compatible API's call: the operator's mode for the entry point, never the client's."""

from __future__ import annotations

from collections.abc import Mapping

from protocol.messages import ClientMessage, ConsentEvent, StartConsent
from protocol.vocab import ConsentEventKind, InitialConsent

__all__ = ["entry_consent"]


def entry_consent(params: Mapping[str, str]) -> tuple[StartConsent, list[ClientMessage]]:
    """`Start.consent` and the messages that follow `Start` for the mode in `params["consent"]`.

    `granted`: the call starts active. `announced`: it starts pending with the announcement just played,
    so the opt-out window runs first. Anything else (the gateway refuses `off` before the upgrade): pending,
    so nothing is processed.
    """
    mode = params.get("consent")
    if mode == "granted":
        return InitialConsent.GRANTED, []
    if mode == "announced":
        return InitialConsent.PENDING, [ConsentEvent(ConsentEventKind.ANNOUNCED)]
    return InitialConsent.PENDING, []
