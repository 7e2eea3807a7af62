"""Insights settings from the command line and environment: a bad one is one clear error naming it."""

from __future__ import annotations

import argparse
from pathlib import Path

import pytest

from insights.model import InsightsError
from insights.settings import SECRET_ENV, add_arguments, config_from_args


def _parse(*argv: str) -> argparse.Namespace:
    p = argparse.ArgumentParser()
    p.add_argument("--data-dir", default="data")
    add_arguments(p)
    return p.parse_args(list(argv))


def test_secret_comes_from_the_environment_or_a_file(tmp_path: Path) -> None:
    """The webhook secret is read from the environment or a secret file, never from the command line."""
    args = _parse("--insights-webhook-url", "https://crm.example/hook", "--data-dir", str(tmp_path))
    config = config_from_args(args, {SECRET_ENV: "s" * 32})
    assert config.webhook_secret == b"s" * 32 and config.outbox_path == str(tmp_path / "insights-outbox.db")
    secret = tmp_path / "secret"
    secret.write_bytes(b"f" * 32 + b"\n")
    from_file = config_from_args(
        _parse("--insights-webhook-url", "https://crm.example/hook", "--insights-webhook-secret-file", str(secret)), {}
    )
    assert from_file.webhook_secret == b"f" * 32


@pytest.mark.parametrize(
    ("argv", "named"),
    [
        (("--insights-webhook-url", "https://crm.example/hook"), "webhook_secret"),
        (("--insights-webhook-url", "crm.example"), "webhook_url"),
        (("--insights-webhook-secret-file", "/nonexistent/secret"), "--insights-webhook-secret-file"),
        (("--insights-summary-url", "localhost:8000"), "summary_url"),
    ],
)
def test_bad_setting_names_itself(argv: tuple[str, ...], named: str) -> None:
    """Each bad setting raises one InsightsError whose message names the setting."""
    with pytest.raises(InsightsError, match=named):
        config_from_args(_parse(*argv), {})
