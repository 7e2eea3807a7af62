"""The network edge: WebSocket and HTTP serving, the consent state machine, per-call sessions."""
