"""`python -m compliance --lang nl|en`: print the compliance texts for a configuration.

The configuration is the gateway's default (transcripts stored, default retention per purpose) changed
by the options below, which mirror the gateway's; `callscribe compliance` passes the gateway's own
effective configuration instead (see :func:`main`'s ``config``).

    --retention PURPOSE=DAYS   retention per purpose (repeatable; replaces the default table)
    --recipient PURPOSE=NAME   who receives transcripts kept for PURPOSE (repeatable)
    --basis PURPOSE=BASIS      legal basis: legitimate_interest, contract, legal_obligation, consent
    --no-store                 nothing is stored (`--store-dsn none`)
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from compliance.facts import facts_from
from compliance.render import LANGUAGES, render
from gateway.config import ServerConfig
from gateway.core.session_config import SessionConfig
from store.config import StoreConfig
from store.errors import StoreConfigError

DEFAULT_DSN = "sqlite:///data/callscribe.db"


def _pairs(items: Sequence[str], name: str) -> dict[str, list[str]]:
    out: dict[str, list[str]] = {}
    for item in items:
        key, sep, value = item.partition("=")
        if not sep or not key or not value:
            raise ValueError(f"--{name} expects PURPOSE=VALUE, not {item!r}")
        out.setdefault(key, []).append(value)
    return out


def _parser() -> argparse.ArgumentParser:
    p = argparse.ArgumentParser(
        prog="python -m compliance", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    p.add_argument("--lang", default="nl", choices=LANGUAGES)
    p.add_argument("--controller", default="[naam organisatie / organisation name]")
    p.add_argument("--contact", default="[privacy@organisatie.nl]")
    p.add_argument("--retention", action="append", default=[])
    p.add_argument("--recipient", action="append", default=[])
    p.add_argument("--basis", action="append", default=[])
    p.add_argument("--no-store", action="store_true")
    p.add_argument("--redaction", default="mask", choices=["mask", "pseudonymise", "off"])
    p.add_argument("--special-categories", default="flag", choices=["flag", "mask", "stop", "off"])
    p.add_argument("--opt-out-digit", default="9")
    p.add_argument("--anchor-file", default=None, help="audit anchor file (StoreConfig.anchor_file)")
    return p


def config_from(args: argparse.Namespace) -> ServerConfig:
    """The ServerConfig the options describe (the gateway's defaults otherwise)."""
    retention = {}
    for purpose, values in _pairs(args.retention, "retention").items():
        try:
            retention[purpose] = float(values[-1])
        except ValueError:
            raise ValueError(f"--retention {purpose}: days must be a number, not {values[-1]!r}") from None
    store = StoreConfig(
        retention_days=retention or StoreConfig().retention_days,
        recipients={k: tuple(v) for k, v in _pairs(args.recipient, "recipient").items()},
        anchor_file=args.anchor_file,
    )
    return ServerConfig(
        store_dsn=None if args.no_store else DEFAULT_DSN,
        store=store,
        redaction=args.redaction,
        special_categories=args.special_categories,
        session=SessionConfig(opt_out_digit=args.opt_out_digit),
    )


def main(argv: list[str] | None = None, config: ServerConfig | None = None) -> int:
    """Print the document; with ``config`` (the gateway's effective one) the store/policy options are ignored."""
    args = _parser().parse_args(argv)
    try:
        effective = config if config is not None else config_from(args)
        bases = {k: v[-1] for k, v in _pairs(args.basis, "basis").items()}
        text = render(facts_from(effective, args.controller, args.contact, bases), args.lang)
    except (ValueError, StoreConfigError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    sys.stdout.write(text)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
