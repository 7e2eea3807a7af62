"""`callscribe`: start the gateway on the embedded default models.

Settings come from a TOML file (`--config FILE`, see docs/config.md), overridden by `CALLSCRIBE_*`
environment variables, overridden by flags (`--set SECTION.KEY=VALUE` reaches every setting).
"""

from __future__ import annotations

import argparse
import dataclasses
import difflib
import os
import secrets
import sys
from collections.abc import Mapping
from pathlib import Path
from typing import NoReturn

import structlog

from gateway import settings as cfg
from gateway.config import ServerConfig
from gateway.logs import configure
from protocol.vocab import RedactionPolicy, SpecialPolicy
from store.keys import MasterKey, write_key_file

log = structlog.get_logger("gateway.cli")

#: argparse destination -> setting path (the flags that existed before the config file, and stay).
FLAGS = {
    "host": "host", "port": "port", "english_model": "english_model", "multilingual_model": "multilingual_model",
    "device": "engine.device", "compute_type": "engine.compute_type", "threads": "engine.cpu_threads",
    "partial_min_window": "engine.partial_min_window_s", "max_calls": "max_calls", "max_batch": "batcher.max_batch",
    "redaction": "redaction", "special_categories": "special_categories", "audiosocket_port": "audiosocket_port",
    "audiosocket_tenant": "audiosocket_tenant", "twilio_tenant": "twilio_tenant", "log_level": "log_level",
    "data_dir": "data_dir", "store_dsn": "store_dsn", "master_key_file": "store.master_key_file",
    "old_master_key_file": "store.old_master_key_files", "token": "tokens", "admin_token": "admin_tokens",
    "audiosocket_host": "audiosocket_host", "audiosocket_format": "telephony.audiosocket.audio_format",
    "audiosocket_consent": "telephony.audiosocket.consent", "request_webhook_url": "telephony.request_webhook_url",
    "remote_backend": "remote.backend", "redis_url": "cluster.redis_url",
    "allowed_origin": "limits.allowed_origins", "max_calls_per_tenant": "limits.max_calls_per_tenant",
    "max_audio_speed": "limits.max_audio_speed", "mask_digit_runs": "mask_digit_runs",
    "readable_numbers": "readable_numbers", "anchor_file": "store.anchor_file",
    "consent_basis": "files.consent_bases",
}  # fmt: skip


def parse_tokens(values: list[str]) -> dict[str, str]:
    """`TOKEN[:TENANT]` items (tenant defaults to "default")."""
    tokens: dict[str, str] = {}
    for item in values:
        token, _, tenant = item.partition(":")
        tokens[token] = tenant or "default"
    return tokens


class _Parser(argparse.ArgumentParser):
    """Flag errors are one line too (`config: --port: expected one argument`), not usage and a message."""

    def error(self, message: str) -> NoReturn:
        flag, sep, problem = message.partition(": ")
        if sep and flag.startswith("argument "):
            raise cfg.SettingError(flag.removeprefix("argument ").split("/")[0], problem)
        raise cfg.SettingError("flags", message)


def _parser() -> argparse.ArgumentParser:
    p = _Parser(
        prog="callscribe",
        description=__doc__,
        argument_default=argparse.SUPPRESS,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    p.add_argument("--config", metavar="FILE", help="TOML config file (docs/config.md); also CALLSCRIBE_CONFIG")
    p.add_argument("--print-config", action="store_true", help="print the effective config (secrets masked), exit")
    p.add_argument("--set", action="append", metavar="KEY=VALUE", help="any setting, e.g. vad.threshold=0.6")
    p.add_argument("--host", help="listen address (default 127.0.0.1)")
    p.add_argument("--port", help="listen port (default 8080)")
    p.add_argument(
        "--token",
        action="append",
        help="TOKEN[:TENANT], repeatable; also CALLSCRIBE_TOKENS "
        "(comma-separated). Without any, a random token is generated and printed.",
    )
    p.add_argument("--english-model", help="model for language 'en' (default tiny.en; 'none' to disable)")
    p.add_argument("--multilingual-model", help="model for other languages and 'auto' (default base; 'none')")
    p.add_argument("--device", choices=["auto", "cpu", "cuda"])
    p.add_argument("--compute-type")
    p.add_argument("--threads", help="CPU threads for the engine (0 = all cores)")
    p.add_argument("--partial-min-window", help="encoder window floor for partials in seconds (-1 = as finals)")
    p.add_argument("--max-calls")
    p.add_argument("--max-batch")
    p.add_argument(
        "--redaction",
        choices=[p.value for p in RedactionPolicy],
        help="default PII policy (a call may choose its own in start.redaction)",
    )
    p.add_argument(
        "--special-categories",
        choices=[p.value for p in SpecialPolicy],
        help="what a GDPR art. 9 mention does (a call may choose in start.special_categories)",
    )
    p.add_argument("--audiosocket-port", help="serve Asterisk AudioSocket on this TCP port")
    p.add_argument("--audiosocket-tenant")
    p.add_argument("--audiosocket-host", help="AudioSocket listen address (default 127.0.0.1: it has no auth)")
    p.add_argument("--audiosocket-format", help="what Asterisk's 0x10 frames hold: ulaw|alaw|slin|slin16|slin24|slin48")
    p.add_argument("--audiosocket-consent", help="AudioSocket calls' consent: pending|announced|granted")
    p.add_argument("--request-webhook-url", help="where agents' 'Start transcription' requests go (PBX webhook)")
    p.add_argument("--remote-backend", help="engines: local (embedded) or ray (a Ray Serve pool)")
    p.add_argument("--redis-url", help="redis://host:6379/0: share caption streams with other gateway nodes")
    p.add_argument("--allowed-origin", action="append", help="a browser Origin allowed on captions/WebRTC (repeatable)")
    p.add_argument("--max-calls-per-tenant", help="concurrent calls one tenant may hold ('none': only --max-calls)")
    p.add_argument("--max-audio-speed", help="audio faster than this many times real time is paced ('none': off)")
    p.add_argument("--mask-digit-runs", help="fail-safe: mask runs of at least this many digits (0: off)")
    p.add_argument("--readable-numbers", help="what the fail-safe leaves readable: amounts,quantities,times,...")
    p.add_argument("--anchor-file", help="append the audit chain head to this file (outside the database)")
    p.add_argument(
        "--consent-basis",
        action="append",
        help="a consent basis accepted for uploaded recordings (repeatable), e.g. 'recording announced'",
    )
    p.add_argument(
        "--twilio-tenant",
        help="tenant of calls authenticated by Twilio signature (the account's auth "
        "token: CALLSCRIBE_TWILIO_AUTH_TOKEN or twilio_auth_token in the config file)",
    )
    p.add_argument("--log-level")
    p.add_argument("--data-dir", help="where the embedded store (and a generated development master key) live")
    p.add_argument(
        "--store-dsn",
        help="sqlite:///path.db or postgresql://...; default sqlite:///<data dir>/callscribe.db; 'none' stores nothing",
    )
    p.add_argument(
        "--master-key-file",
        help="base64 256-bit key (`python -m store keygen FILE`); else "
        "CALLSCRIBE_MASTER_KEY; else <data dir>/master.key, generated on first run (development only)",
    )
    p.add_argument("--old-master-key-file", action="append", help="a previous master key during a rotation")
    p.add_argument(
        "--admin-token",
        action="append",
        help="TOKEN[:TENANT] for /v1/admin (repeatable); also CALLSCRIBE_ADMIN_TOKENS (comma-separated)",
    )
    return p


def _flag_layer(args: argparse.Namespace) -> cfg.Raw:
    """The settings given as flags (`--set` first, the named flags over it)."""
    layer: cfg.Raw = {}
    types = cfg.setting_types()
    for item in getattr(args, "set", []):
        path, sep, text = (part.strip() for part in item.partition("="))
        if not sep:
            raise cfg.SettingError(path or item, "--set takes SECTION.KEY=VALUE")
        if path not in types:
            close = difflib.get_close_matches(path, list(types), n=1)
            raise cfg.SettingError(path, "unknown setting" + (f" (did you mean {close[0]}?)" if close else ""))
        cfg.set_path(layer, path, cfg.text_value(types[path], text, path))
    for dest, path in FLAGS.items():
        if hasattr(args, dest):
            value = getattr(args, dest)
            cfg.set_path(layer, path, parse_tokens(value) if path in cfg.TOKEN_MAPS else value)
    return layer


def load_settings(argv: list[str] | None, environ: Mapping[str, str]) -> tuple[cfg.Settings, argparse.Namespace]:
    """Parse flags, read the config file, overlay the environment and flags; raises SettingError."""
    args = _parser().parse_args(argv)
    path = getattr(args, "config", None) or environ.get("CALLSCRIBE_CONFIG")
    file_layer = cfg.read_file(path) if path else {}
    raw = cfg.with_store_default(cfg.merge(file_layer, cfg.env_layer(environ), _flag_layer(args)))
    return cfg.build(raw), args


def ensure_master_key(config: ServerConfig, data_dir: str, environ: Mapping[str, str]) -> ServerConfig:
    """Development convenience: with a store but no key configured, use (or generate) <data_dir>/master.key."""
    store = config.store
    if config.store_dsn is None or store.master_key_file is not None or environ.get(store.master_key_env):
        return config
    path = Path(data_dir) / "master.key"
    if not path.exists():
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            write_key_file(path, MasterKey.generate())
        except OSError as exc:
            raise cfg.SettingError("data_dir", f"cannot write a development master key ({exc})") from None
        log.warning(
            "master_key_generated",
            path=str(path),
            advice="development only: keep production keys away from the data they protect",
        )
    return dataclasses.replace(config, store=dataclasses.replace(store, master_key_file=str(path)))


def start_config(settings: cfg.Settings, environ: Mapping[str, str]) -> tuple[ServerConfig, bool]:
    """Configure logging; the server config to run, and whether its token was generated (I/O: the key file)."""
    configure(settings.launch.log_level)
    config = ensure_master_key(settings.server, settings.launch.data_dir, environ)
    if config.tokens:
        return config, False
    return dataclasses.replace(config, tokens={secrets.token_urlsafe(24): "default"}), True


def build_config(argv: list[str] | None = None, environ: Mapping[str, str] | None = None) -> tuple[ServerConfig, bool]:
    """The server config of a `callscribe` command line, and whether its token was generated."""
    env = os.environ if environ is None else environ
    return start_config(load_settings(argv, env)[0], env)


SUBCOMMANDS = ("transcribe", "compliance")
"""`callscribe transcribe FILE...` (files/cli.py) and `callscribe compliance` (compliance/); anything else
starts the gateway."""


def main(argv: list[str] | None = None) -> int:
    import asyncio

    args_in = sys.argv[1:] if argv is None else argv
    if args_in and args_in[0] == "transcribe":
        from files.cli import main as transcribe

        return transcribe(args_in[1:])
    if args_in and args_in[0] == "compliance":
        from compliance.__main__ import main as compliance

        return compliance(args_in[1:])
    try:
        settings, args = load_settings(argv, os.environ)
        if getattr(args, "print_config", False):
            print(cfg.to_toml(settings), end="")
            return 0
        config, generated = start_config(settings, os.environ)
    except cfg.SettingError as exc:
        print(f"callscribe: {exc}", file=sys.stderr)
        return 2
    from gateway.runtime import Runtime
    from gateway.server import GatewayServer

    if generated:
        token = next(iter(config.tokens))
        print(f"No token configured; this run accepts: Authorization: Bearer {token}", file=sys.stderr)
    from asr.types import AsrError
    from vad.errors import VadModelError

    try:
        runtime = Runtime.load(config)
    except (AsrError, VadModelError) as exc:  # a model or engine pool that is not there: one line, no traceback
        print(f"callscribe: {exc}", file=sys.stderr)
        return 2
    server = GatewayServer(runtime)
    log.info("listening", host=config.host, port=config.port)
    asyncio.run(server.serve())
    return 0


if __name__ == "__main__":
    sys.exit(main())
