"""The optional abstractive summary: off by default, sends only redacted text, falls back when the model fails."""

from __future__ import annotations

from pathlib import Path

import pytest

from insights.config import InsightsConfig
from insights.fake import FakeChat
from insights.model import InsightsError
from insights.schema import from_dict
from insights.worker import InsightsWorker
from store import SqlTranscriptStore
from tests.insights.calls import dutch_call
from tests.insights.conftest import open_call


async def test_summary_comes_from_the_operators_chat_model(tmp_path: Path, store: SqlTranscriptStore) -> None:
    """With `summary_url` set the stored insights carry the model's summary; the request held display text only."""
    await open_call(store, "tenant-a", "call-nl")
    async with FakeChat("Jan belde over een storing; de monteur komt morgen.") as chat:
        worker = InsightsWorker(
            store, InsightsConfig(outbox_path=str(tmp_path / "o.db"), summary_url=chat.url, summary_model="local-llm")
        )
        try:
            result = await worker.call_closed(dutch_call())
        finally:
            await worker.aclose()
    assert result is not None and result.abstract == "Jan belde over een storing; de monteur komt morgen."
    stored = await store.read_insights("tenant-a", "call-nl", "quality", "admin:test")
    assert stored["abstract"] == result.abstract and stored["summary"].startswith("De beller belde over")
    assert from_dict("tenant-a", stored) == result
    sent = str(chat.requests)
    assert chat.requests[0]["model"] == "local-llm"
    assert "[EMAIL]" in sent and "apenstaartje" not in sent and "Jan de Vries" not in sent


async def test_a_failing_model_keeps_the_extractive_summary(tmp_path: Path, store: SqlTranscriptStore) -> None:
    """A 503 from the chat endpoint leaves `abstract` empty and the insights are still stored."""
    await open_call(store, "tenant-a", "call-nl")
    async with FakeChat("unused", status=503) as chat:
        worker = InsightsWorker(store, InsightsConfig(outbox_path=str(tmp_path / "o.db"), summary_url=chat.url))
        try:
            result = await worker.call_closed(dutch_call())
        finally:
            await worker.aclose()
    assert result is not None and result.abstract is None
    assert (await store.read_insights("tenant-a", "call-nl", "quality", "admin:test"))["abstract"] is None


def test_off_by_default_and_bad_url_named() -> None:
    """No summary URL unless configured; a URL without a scheme is refused naming the setting."""
    assert InsightsConfig().summary_url is None
    with pytest.raises(InsightsError, match="summary_url"):
        InsightsConfig(summary_url="localhost:8000")
