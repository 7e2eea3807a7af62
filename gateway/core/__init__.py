"""The pure core of the gateway: consent, call session, registry, redaction, caption hub, lifecycle events.

Nothing here imports asyncio, starlette, uvicorn, aiortc or websockets (tests/gateway/test_gateway_layers.py
checks it): time is passed in, and the async shells in `gateway.transports` and `gateway.http` drive it.
"""
