"""Command-line options and environment for insights, and the app lifespan hooks (for `callscribe`).

    add_arguments(parser)                      # --insights-webhook-url, --insights-outbox, ...
    config = config_from_args(args, os.environ) # InsightsConfig, or InsightsError naming the bad setting
    worker = await attach(app, store, config)  # app.state.insights_worker; starts delivering
    await detach(app)

The webhook secret is never a command-line argument (it would show in `ps`): it comes from
CALLSCRIBE_INSIGHTS_WEBHOOK_SECRET or a file named by --insights-webhook-secret-file.
"""

from __future__ import annotations

import argparse
import os
from collections.abc import Mapping
from pathlib import Path

from starlette.applications import Starlette

from insights.config import InsightsConfig
from insights.model import InsightsError
from insights.worker import InsightsWorker
from store import TranscriptStore

SECRET_ENV = "CALLSCRIBE_INSIGHTS_WEBHOOK_SECRET"


def add_arguments(p: argparse.ArgumentParser) -> None:
    env = os.environ.get
    p.add_argument(
        "--insights-webhook-url",
        default=env("CALLSCRIBE_INSIGHTS_WEBHOOK_URL"),
        help="CRM endpoint for post-call insights and erasure notices (signed POST); default: none",
    )
    p.add_argument(
        "--insights-webhook-secret-file",
        default=env("CALLSCRIBE_INSIGHTS_WEBHOOK_SECRET_FILE"),
        help=f"file with the webhook HMAC secret (else ${SECRET_ENV})",
    )
    p.add_argument(
        "--insights-outbox",
        default=env("CALLSCRIBE_INSIGHTS_OUTBOX"),
        help="SQLite file of the webhook outbox; default <data dir>/insights-outbox.db",
    )
    p.add_argument(
        "--insights-crm-purpose",
        action="append",
        default=[],
        help="purpose under which insights may go to the CRM (repeatable); default: any of the call's",
    )
    p.add_argument(
        "--insights-summary-url",
        default=env("CALLSCRIBE_INSIGHTS_SUMMARY_URL"),
        help="OpenAI-compatible base URL of your own chat model for an abstractive summary; default off",
    )
    p.add_argument("--insights-summary-model", default=env("CALLSCRIBE_INSIGHTS_SUMMARY_MODEL", "default"))


def config_from_args(args: argparse.Namespace, environ: Mapping[str, str]) -> InsightsConfig:
    """The InsightsConfig the options name; InsightsError with one line naming a bad setting."""
    secret = environ.get(SECRET_ENV, "").encode()
    if args.insights_webhook_secret_file:
        try:
            secret = Path(args.insights_webhook_secret_file).read_bytes().strip()
        except OSError as exc:
            raise InsightsError(f"--insights-webhook-secret-file: cannot read it ({exc.strerror})") from None
    outbox = args.insights_outbox or str(Path(getattr(args, "data_dir", "data")) / "insights-outbox.db")
    return InsightsConfig(
        outbox_path=outbox,
        webhook_url=args.insights_webhook_url,
        webhook_secret=secret,
        crm_purposes=tuple(args.insights_crm_purpose),
        summary_url=args.insights_summary_url,
        summary_model=args.insights_summary_model,
    )


async def attach(app: Starlette, store: TranscriptStore, config: InsightsConfig) -> InsightsWorker:
    """Create the worker on the app (routes find it as `app.state.insights_worker`) and start delivering."""
    worker = InsightsWorker(store, config)
    worker.start()
    app.state.insights_worker = worker
    return worker


async def detach(app: Starlette) -> None:
    worker: InsightsWorker | None = getattr(app.state, "insights_worker", None)
    if worker is not None:
        app.state.insights_worker = None
        await worker.aclose()
