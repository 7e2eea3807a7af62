"""`callscribe`: start the gateway on the embedded default models."""

from __future__ import annotations

import argparse
import dataclasses
import os
import secrets
import sys

import structlog

from asr.config import EngineConfig
from gateway.config import ServerConfig
from gateway.http import admin
from gateway.logs import configure

log = structlog.get_logger("gateway.cli")


def parse_tokens(values: list[str]) -> dict[str, str]:
    """`TOKEN[:TENANT]` items (tenant defaults to "default")."""
    tokens: dict[str, str] = {}
    for item in values:
        token, _, tenant = item.partition(":")
        tokens[token] = tenant or "default"
    return tokens


def _none(value: str) -> str | None:
    return None if value.lower() == "none" else value


def build_config(argv: list[str] | None = None) -> tuple[ServerConfig, bool]:
    p = argparse.ArgumentParser(prog="callscribe", description=__doc__)
    p.add_argument("--host", default=os.environ.get("CALLSCRIBE_HOST", "127.0.0.1"))
    p.add_argument("--port", type=int, default=int(os.environ.get("CALLSCRIBE_PORT", "8080")))
    p.add_argument("--token", action="append", default=[],
                   help="TOKEN[:TENANT], repeatable; also CALLSCRIBE_TOKENS (comma-separated). "
                        "Without any, a random token is generated and printed.")
    p.add_argument("--english-model", default="tiny.en", help="model for language 'en' ('none' to disable)")
    p.add_argument("--multilingual-model", default="base",
                   help="model for other languages and 'auto' ('none' to disable)")
    p.add_argument("--device", default="auto", choices=["auto", "cpu", "cuda"])
    p.add_argument("--compute-type", default="auto")
    p.add_argument("--threads", type=int, default=0, help="CPU threads for the engine (0 = all cores)")
    p.add_argument("--partial-min-window", type=float, default=-1.0,
                   help="encoder window floor for partials in seconds (-1 = as finals)")
    p.add_argument("--max-calls", type=int, default=64)
    p.add_argument("--max-batch", type=int, default=16)
    p.add_argument("--redaction", default="mask", choices=["mask", "pseudonymise", "off"],
                   help="default PII policy (a call may choose its own in start.redaction)")
    p.add_argument("--special-categories", default="flag", choices=["flag", "mask", "stop", "off"],
                   help="what a GDPR art. 9 mention does (a call may choose in start.special_categories)")
    p.add_argument("--audiosocket-port", type=int, default=None, help="serve Asterisk AudioSocket on this TCP port")
    p.add_argument("--audiosocket-tenant", default="default")
    p.add_argument("--twilio-tenant", default="default", help="tenant of calls authenticated by Twilio signature")
    p.add_argument("--log-level", default="info")
    admin.add_store_arguments(p)
    args = p.parse_args(argv)
    configure(args.log_level)
    store_dsn, store_config, admin_tokens = admin.store_settings(args, os.environ)
    env_tokens = [t for t in os.environ.get("CALLSCRIBE_TOKENS", "").split(",") if t]
    tokens = parse_tokens(args.token + env_tokens)
    generated = not tokens
    if generated:
        tokens = {secrets.token_urlsafe(24): "default"}
    base = ServerConfig()
    config = ServerConfig(
        host=args.host, port=args.port, tokens=tokens,
        english_model=_none(args.english_model), multilingual_model=_none(args.multilingual_model),
        engine=EngineConfig(device=args.device, compute_type=args.compute_type, cpu_threads=args.threads,
                            partial_min_window_s=args.partial_min_window),
        batcher=dataclasses.replace(base.batcher, max_batch=args.max_batch), max_calls=args.max_calls,
        store_dsn=store_dsn, store=store_config, admin_tokens=admin_tokens,
        redaction=args.redaction, special_categories=args.special_categories,
        audiosocket_port=args.audiosocket_port, audiosocket_tenant=args.audiosocket_tenant,
        twilio_auth_token=os.environ.get("CALLSCRIBE_TWILIO_AUTH_TOKEN") or None, twilio_tenant=args.twilio_tenant)
    return config, generated


def main(argv: list[str] | None = None) -> int:
    import asyncio

    from gateway.runtime import Runtime
    from gateway.server import GatewayServer

    config, generated = build_config(argv)
    if generated:
        token = next(iter(config.tokens))
        print(f"No token configured; this run accepts: Authorization: Bearer {token}", file=sys.stderr)
    runtime = Runtime.load(config)
    server = GatewayServer(runtime)
    log.info("listening", host=config.host, port=config.port)
    asyncio.run(server.serve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
