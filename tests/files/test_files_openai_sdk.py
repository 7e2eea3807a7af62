"""The official `openai` SDK, pointed at the gateway over loopback, transcribes WAV, MP3 and OGG/Opus files.

Request and response shapes: ../shared/reference/compat-apis.md §2.7 (what openai 3.57 sends and parses:
`AsyncOpenAI(base_url=...).audio.transcriptions.create(file=(name, bytes), model=..., response_format=...)`).
"""

from __future__ import annotations

from pathlib import Path

import openai
import pytest
import srt
import webvtt

from bench.wer import wer
from tests.conftest import AUDIO, TOKEN, Gateway
from tests.files.media import encode_file

JFK = AUDIO / "real" / "jfk.wav"
JFK_TEXT = "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country."


@pytest.fixture(scope="module")
def jfk_files() -> dict[str, bytes]:
    """The JFK clip as WAV, MP3 and OGG/Opus, encoded with PyAV at test time."""
    return {ext: encode_file(JFK, ext) for ext in ("wav", "mp3", "ogg")}


def client(gw: Gateway) -> openai.AsyncOpenAI:
    return openai.AsyncOpenAI(base_url=gw.http + "/v1", api_key=TOKEN, max_retries=0, timeout=120)


@pytest.mark.parametrize("ext", ["wav", "mp3", "ogg"])
async def test_every_response_format(fgw: Gateway, jfk_files: dict[str, bytes], ext: str, tmp_path: Path) -> None:
    """Each response_format comes back in the shape the SDK parses, with the clip's words (WER < 0.2)."""
    api = client(fgw)
    name, data = f"jfk.{ext}", jfk_files[ext]
    as_json = await api.audio.transcriptions.create(file=(name, data), model="whisper-1", language="en")
    assert wer([JFK_TEXT], [as_json.text]) < 0.2, as_json.text
    text = await api.audio.transcriptions.create(
        file=(name, data), model="whisper-1", language="en", response_format="text"
    )
    assert isinstance(text, str) and wer([JFK_TEXT], [text]) < 0.2
    subs = list(
        srt.parse(
            await api.audio.transcriptions.create(
                file=(name, data), model="whisper-1", language="en", response_format="srt"
            )
        )
    )
    assert subs and wer([JFK_TEXT], [" ".join(s.content for s in subs)]) < 0.2
    assert all(s.start < s.end for s in subs) and subs[-1].end.total_seconds() <= 11.5
    vtt = await api.audio.transcriptions.create(
        file=(name, data), model="whisper-1", language="en", response_format="vtt"
    )
    (tmp_path / "out.vtt").write_text(vtt)
    captions = webvtt.read(str(tmp_path / "out.vtt"))
    assert captions and wer([JFK_TEXT], [" ".join(c.text for c in captions)]) < 0.2
    assert [c.start_in_seconds for c in captions] == sorted(c.start_in_seconds for c in captions)
    verbose = await api.audio.transcriptions.create(
        file=(name, data),
        model="whisper-1",
        language="en",
        response_format="verbose_json",
        timestamp_granularities=["word", "segment"],
    )
    assert verbose.language == "english" and abs(verbose.duration - 11.0) < 0.1
    assert verbose.segments and verbose.words and wer([JFK_TEXT], [verbose.text]) < 0.2
    assert verbose.words[0].start < 3.0 and verbose.words[-1].end <= 11.5
    assert all(a.start <= b.start for a, b in zip(verbose.words, verbose.words[1:], strict=False))


async def test_word_timestamps_only_when_asked(fgw: Gateway, jfk_files: dict[str, bytes]) -> None:
    """timestamp_granularities=["word"] gives words with times that fall inside their segments; without, none."""
    api = client(fgw)
    verbose = await api.audio.transcriptions.create(
        file=("jfk.wav", jfk_files["wav"]),
        model="tiny.en",
        response_format="verbose_json",
        timestamp_granularities=["word"],
    )
    words = verbose.words or []
    assert any(w.word.strip(",.").lower() == "country" for w in words)
    for w in words:
        assert any(s.start - 0.5 <= w.start <= w.end <= s.end + 0.5 for s in verbose.segments or [])
    plain = await api.audio.transcriptions.create(
        file=("jfk.wav", jfk_files["wav"]), model="tiny.en", response_format="verbose_json"
    )
    assert plain.words is None and plain.segments


async def test_sdk_sees_typed_errors(fgw: Gateway) -> None:
    """A bad token and an unsupported file reach the SDK as its typed exceptions with our error codes."""
    bad = openai.AsyncOpenAI(base_url=fgw.http + "/v1", api_key="wrong-token-xyz", max_retries=0)
    with pytest.raises(openai.AuthenticationError):
        await bad.audio.transcriptions.create(file=("a.wav", b"RIFF"), model="whisper-1")
    with pytest.raises(openai.APIStatusError) as info:  # 415 maps to no SDK class of its own
        await client(fgw).audio.transcriptions.create(file=("notes.txt", b"hello"), model="whisper-1")
    assert info.value.status_code == 415 and info.value.code == "unsupported_format"
