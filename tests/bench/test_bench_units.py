"""Pure parts of the benchmark: manifest, framing, finals-to-turns matching, capacity search, peer readers."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from bench.capacity import Criteria, next_level, verdict
from bench.manifest import Turn, load_manifest
from bench.metrics import assign_finals
from bench.pacing import Pacing, pcm_frames
from bench.peer_protocols import WhisperLiveKitReader, WhisperLiveReader, parse_clock
from bench.report import update_doc
from bench.trace import Hyp, LegTrace

SHARED = Path(__file__).resolve().parents[3] / "shared" / "audio" / "manifest.tsv"


def test_two_leg_call_gets_per_turn_references_and_truncates_cleanly() -> None:
    """The synthetic call has agent/caller legs with timed turns; cutting it drops later turns."""
    item = load_manifest(SHARED, ["synthetic/synthetic_call_en.wav"])[0]
    assert item.legs == ("agent", "caller")
    assert [t.leg for t in item.turns] == ["agent", "caller", "agent", "caller", "agent"]
    assert item.reference("caller").startswith("Hi, I'm calling")
    short = item.truncated(12.0)
    assert [t.end for t in short.turns] == [6.104, 11.735]
    assert "refund" not in short.reference("agent")


def test_mono_clip_is_one_untimed_caller_leg() -> None:
    """A mono clip replays as leg `caller` with the manifest's reference and no turn times."""
    item = load_manifest(SHARED, ["real/jfk.wav"])[0]
    assert (item.legs, item.turns) == (("caller",), ())
    assert item.reference("caller").startswith("And so my fellow Americans")


def test_frames_are_twenty_ms_of_interleaved_audio_then_the_silent_tail() -> None:
    """Frames carry 20 ms of all channels each, the audio clock counts on, and the tail is zeros."""
    samples = np.arange(8000 * 2, dtype=np.int16).reshape(-1, 2)  # 1 s stereo
    frames = pcm_frames(samples, 8000, Pacing(frame_ms=20, tail_s=0.5))
    assert len(frames) == 75
    assert all(len(payload) == 160 * 2 * 2 for payload, _ in frames)
    assert [round(s, 3) for _, s in frames[:2]] == [0.02, 0.04]
    assert frames[-1][1] == pytest.approx(1.5)
    assert frames[-1][0] == bytes(640)


def test_sent_timeline_answers_when_audio_had_been_sent() -> None:
    """`time_sent` returns the send time of the first frame that covers the audio time."""
    lt = LegTrace("caller")
    for k in range(1, 6):
        lt.record_send(k * 0.02, 100 + k, None)
    assert lt.time_sent(0.04) == 102
    assert lt.time_sent(0.05) == 103
    assert lt.time_sent(0.5) is None
    assert lt.audio_sent_by(103.5) == pytest.approx(0.06)


def test_finals_go_to_the_turn_they_overlap_most() -> None:
    """A final spanning two turns is assigned to the one it covers most; a final far from any is dropped."""
    turns = [Turn("agent", 0.0, 6.1, "a"), Turn("agent", 12.3, 16.8, "b"), Turn("agent", 20.8, 25.3, "c")]
    finals = [
        Hyp("final", 1, "agent", "x", 0.0, 5.8),
        Hyp("final", 2, "agent", "y", 12.0, 20.8),
        Hyp("final", 3, "agent", "z", 40.0, 41.0),
    ]
    groups = assign_finals(turns, finals)
    assert {i: [f.text for f in fs] for i, fs in groups.items()} == {0: ["x"], 1: ["y"]}


def test_capacity_search_doubles_then_bisects() -> None:
    """Levels go 1, 2, 4, 8 until a failure, then bisect; the search ends at adjacent held/failed levels."""
    assert next_level({}, 32) == 1
    assert next_level({1: True, 2: True, 4: True}, 32) == 8
    assert next_level({1: True, 2: True, 4: True, 8: False}, 32) == 6
    assert next_level({1: True, 2: True, 4: True, 8: False, 6: True}, 32) == 7
    assert next_level({1: True, 2: True, 4: True, 8: False, 6: True, 7: False}, 32) is None
    assert next_level({1: False}, 32) is None
    assert next_level({1: True, 2: True}, 2) is None


def _overall(p95: float, completion: float = 1.0, ok: int = 4) -> dict[str, object]:
    return {"overall": {"calls": 4, "calls_ok": ok, "completion": completion, "final_latency": {"p95": p95}}}


def test_a_level_holds_only_within_target_complete_and_without_refusals() -> None:
    """p95 over target, unfinished turns (behind real time) or refused calls each fail a level."""
    c = Criteria(target_p95_s=1.5)
    assert verdict(_overall(1.2), c)[0]
    assert not verdict(_overall(1.6), c)[0]
    assert not verdict(_overall(1.2, completion=0.8), c)[0]
    assert not verdict(_overall(1.2, ok=3), c)[0]


def test_whisperlive_reader_counts_each_completed_segment_once_and_flushes_the_open_one() -> None:
    """Repeated completed segments are one final; the open segment at the end becomes a final at flush."""
    r = WhisperLiveReader("caller")
    seg = {"start": "0.000", "end": "1.500", "text": " Hello there.", "completed": True}
    assert [h.kind for h in r.feed({"segments": [{**seg, "completed": False}]}, 1.0)] == ["partial"]
    first = r.feed({"segments": [seg, {"start": "1.500", "end": "2.000", "text": " How", "completed": False}]}, 2.0)
    assert [(h.kind, h.text, h.start) for h in first] == [("final", "Hello there.", 0.0), ("partial", "How", 1.5)]
    assert (
        r.feed({"segments": [seg, {"start": "1.500", "end": "2.000", "text": " How", "completed": False}]}, 2.5) == []
    )
    assert [(h.kind, h.at, h.text) for h in r.flush(9.0)] == [("final", 9.0, "How")]
    assert r.flush(9.5) == []


def test_whisperlivekit_reader_turns_committed_growth_into_finals() -> None:
    """Newly committed words are a final from the previous committed end; the buffer is a partial."""
    r = WhisperLiveKitReader("agent")
    msg1 = {
        "lines": [{"speaker": 1, "text": " And so my", "start": "0:00:00.00", "end": "0:00:01.38"}],
        "buffer_transcription": " fellow",
        "remaining_time_transcription": 0.5,
    }
    out = r.feed(msg1, 10.0, audio_sent=2.5)
    assert [(h.kind, h.text, h.start, h.end) for h in out] == [
        ("final", "And so my", 0.0, 1.38),
        ("partial", "fellow", 1.38, 2.0),
    ]
    msg2 = {
        "lines": [{"speaker": 1, "text": " And so my fellow Americans.", "start": "0:00:00.00", "end": "0:00:02.08"}],
        "buffer_transcription": "",
    }
    assert [(h.text, h.start, h.end) for h in r.feed(msg2, 11.0, 3.0)] == [("fellow Americans.", 1.38, 2.08)]
    assert r.feed(msg2, 11.5, 3.1) == []
    assert parse_clock("1:02:03.25") == pytest.approx(3723.25)


def test_docs_section_is_replaced_between_markers(tmp_path: Path) -> None:
    """Only the generated block changes; the hand-written text around it is kept."""
    doc = tmp_path / "b.md"
    doc.write_text("intro\n<!-- bench:begin -->\nold\n<!-- bench:end -->\noutro\n")
    update_doc(doc, "new table\n")
    assert doc.read_text() == "intro\n<!-- bench:begin -->\nnew table\n<!-- bench:end -->\noutro\n"


def test_peers_get_local_copies_of_what_they_would_download(tmp_path: Path) -> None:
    """The peer's stand-in HOME holds silero's ONNX and the warm-up WAV; the hubs are off; commands use them."""
    from bench import peers

    wav = SHARED.parent / "real" / "jfk.wav"
    home = peers.prepare_home(peers.WHISPERLIVEKIT, tmp_path, wav)
    assert (home / ".cache" / "whisper-live" / "silero_vad.onnx").stat().st_size > 100_000
    assert (home / "warmup.wav").read_bytes() == wav.read_bytes()
    env = peers.peer_env(home)
    assert (env["HOME"], env["HF_HUB_OFFLINE"]) == (str(home), "1")
    cmd = peers.command(peers.WHISPERLIVEKIT, tmp_path / "python", home, 9000, tmp_path / "model", "en", 8)
    assert cmd[cmd.index("--warmup-file") + 1] == str(home / "warmup.wav")
    assert "--pcm-input" in cmd
    wl = peers.command(peers.WHISPERLIVE, tmp_path / "python", home, 9000, tmp_path / "model", "en", 8)
    assert wl[1] == str(home / "launch_whisperlive.py") and (home / "launch_whisperlive.py").is_file()
