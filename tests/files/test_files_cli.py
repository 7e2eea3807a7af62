"""`callscribe-transcribe`: embedded engine and against a running gateway, subtitles that parse, one-line errors."""

from __future__ import annotations

import asyncio
from pathlib import Path

import pytest
import srt
import webvtt

from bench.wer import wer
from files.cli import http_base, main
from tests.conftest import AUDIO, TOKEN, Gateway

JFK = AUDIO / "real" / "jfk.wav"
JFK_TEXT = "And so my fellow Americans, ask not what your country can do for you, ask what you can do for your country."


def test_embedded_writes_srt(tmp_path: Path) -> None:
    """Without --url the bundled model transcribes the file in-process; the SRT parses and holds the words."""
    assert main([str(JFK), "--language", "en", "--format", "srt", "--output-dir", str(tmp_path), "--quiet"]) == 0
    subs = list(srt.parse((tmp_path / "jfk.wav.srt").read_text()))
    assert subs and wer([JFK_TEXT], [" ".join(s.content for s in subs)]) < 0.2


async def test_against_a_gateway_writes_vtt(fgw: Gateway, tmp_path: Path) -> None:
    """With --url ws://... the file goes to the gateway's endpoint; the WebVTT parses and holds the words."""
    argv = [
        str(JFK),
        "--url",
        fgw.url,
        "--token",
        TOKEN,
        "--language",
        "en",
        "--format",
        "vtt",
        "--output-dir",
        str(tmp_path),
        "--quiet",
    ]
    assert await asyncio.to_thread(main, argv) == 0
    captions = webvtt.read(str(tmp_path / "jfk.wav.vtt"))
    assert wer([JFK_TEXT], [" ".join(c.text for c in captions)]) < 0.2


async def test_failures_are_one_line_each(fgw: Gateway, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    """A non-audio file and a refused token each print one line and make the exit status 1; a bad URL is 2."""
    notes = tmp_path / "notes.txt"
    notes.write_text("hello")
    assert main([str(notes), "--quiet"]) == 1
    argv = [str(JFK), "--url", fgw.http, "--token", "wrong-token-123", "--quiet"]
    assert await asyncio.to_thread(main, argv) == 1
    assert main([str(JFK), "--url", "ftp://x", "--quiet"]) == 2
    lines = capsys.readouterr().err.strip().splitlines()
    assert len(lines) == 3 and "not a supported format" in lines[0] and "401" in lines[1] and "--url" in lines[2], lines


def test_http_base() -> None:
    """The gateway's stream URL maps to its HTTP base (ws -> http, wss -> https)."""
    assert http_base("ws://127.0.0.1:8080/v1/stream") == "http://127.0.0.1:8080"
    assert http_base("wss://gw.example/v1/stream?token=x") == "https://gw.example"
