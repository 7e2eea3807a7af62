"""The compliance texts follow the effective configuration, and the generated docs never drift from them."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from compliance import facts_from, render
from compliance.__main__ import _parser as parser
from compliance.__main__ import config_from, main
from gateway.config import ServerConfig
from gateway.core.session_config import SessionConfig
from store.config import StoreConfig

DOCS = Path(__file__).resolve().parents[2] / "docs"


def default_config() -> ServerConfig:
    return config_from(parser().parse_args([]))


@pytest.mark.parametrize("language", ["nl", "en"])
def test_generated_docs_match_the_default_config(language: str) -> None:
    """`docs/compliance-<lang>.md` is exactly what `python -m compliance --lang <lang>` renders for the
    default configuration (CALLSCRIBE_REGENERATE_DOCS=1 rewrites it)."""
    path = DOCS / f"compliance-{language}.md"
    rendered = render(facts_from(default_config()), language)
    if os.environ.get("CALLSCRIBE_REGENERATE_DOCS") == "1":
        path.write_text(rendered, encoding="utf-8")
    assert path.read_text(encoding="utf-8") == rendered, f"regenerate: python -m compliance --lang {language} > {path}"


@pytest.mark.parametrize("language", ["nl", "en"])
def test_retention_and_purpose_changes_change_the_texts(language: str) -> None:
    """A different retention, an added purpose with a recipient and a removed one show up in the register,
    the privacy statement and the announcements."""
    before = render(facts_from(default_config()), language)
    store = StoreConfig(retention_days={"quality": 14, "sales": 60}, recipients={"sales": ("CRM team",)})
    after = render(facts_from(dataclasses.replace(default_config(), store=store)), language)
    days = "dagen" if language == "nl" else "days"
    assert f"14 {days}" in after and f"14 {days}" not in before
    assert "sales" in after and "CRM team" in after and "sales" not in before
    assert "3650" in before and "3650" not in after  # the legal purpose is gone, and its retention with it
    assert ("maximaal 60 dagen" if language == "nl" else "at most 60 days") in after


def test_policies_and_opt_out_key_change_the_texts() -> None:
    """The special-category policy decides the DPIA verdict; the opt-out key is in both announcements;
    storage off says so; redaction off is named as a DPIA criterion."""
    base = default_config()
    flagged = render(facts_from(base), "nl")
    stopped = render(facts_from(dataclasses.replace(base, special_categories="stop")), "nl")
    assert "**DPIA verplicht:**" in flagged and "**DPIA verplicht:**" not in stopped
    assert "DPIA in de regel vereist" in stopped
    keyed = render(facts_from(dataclasses.replace(base, session=SessionConfig(opt_out_digit="5"))), "en")
    assert "press 5 now" in keyed and "press 5;" in keyed and "pressing 5" in keyed and "press 9" not in keyed
    unstored = render(facts_from(dataclasses.replace(base, store_dsn=None)), "en")
    assert "not stored" in unstored and "We do not keep the text." in unstored
    bare = render(facts_from(dataclasses.replace(base, redaction="off", special_categories="mask")), "en")
    assert "NOT removed (redaction is off)" in bare and "**DPIA required:**" in bare


def test_cli_prints_the_document_and_rejects_bad_settings(capsys: pytest.CaptureFixture[str]) -> None:
    """`python -m compliance` prints what `render` gives; a bad setting is one `error:` line and exit 2."""
    assert main(["--lang", "en", "--retention", "quality=7", "--basis", "quality=consent"]) == 0
    out = capsys.readouterr().out
    assert "| quality monitoring | consent (GDPR art. 6(1)(a)) | 7 days |" in out
    for bad in (
        ["--retention", "quality=soon"],
        ["--basis", "quality=whim"],
        ["--opt-out-digit", "x"],
        ["--retention", "quality"],
    ):
        assert main(bad) == 2
        err = capsys.readouterr().err
        assert err.startswith("error: ") and err.count("\n") == 1
