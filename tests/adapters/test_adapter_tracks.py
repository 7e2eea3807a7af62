"""The track interleaver and the reorder buffer shared by the Twilio and Telnyx adapters."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from protocol.adapters._tracks import ReorderBuffer, TrackMixer


def mixer(**kwargs: float) -> TrackMixer:
    """An 8 kHz mu-law mixer of inbound and outbound."""
    return TrackMixer(("inbound", "outbound"), sample_rate=8000, silence=b"\xff", **kwargs)  # type: ignore[arg-type]


def test_small_timestamp_jitter_is_not_a_gap() -> None:
    """A chunk 1 ms off the expected position is appended without padding or trimming."""
    m = mixer()
    m.push("inbound", 0, bytes([1] * 160))
    m.push("inbound", 21, bytes([2] * 160))
    out = m.push("outbound", 0, bytes([3] * 320))
    assert out[0::2] == bytes([1] * 160 + [2] * 160)


def test_an_overlapping_chunk_loses_its_head() -> None:
    """A chunk that repeats the last 10 ms of its track is trimmed to the new samples."""
    m = mixer()
    m.push("inbound", 0, bytes([1] * 160))
    m.push("inbound", 10, bytes([2] * 80 + [3] * 80))
    out = m.push("outbound", 0, bytes([9] * 240))
    assert out[0::2] == bytes([1] * 160 + [3] * 80)


def test_a_timestamp_discontinuity_rebases_the_track() -> None:
    """A jump of minutes is not filled with silence: the chunk follows on directly."""
    m = mixer()
    m.push("inbound", 0, bytes([1] * 80))
    m.push("inbound", 600_000, bytes([2] * 80))
    m.push("inbound", 600_010, bytes([3] * 80))
    out = m.push("outbound", 0, bytes([9] * 240))
    assert out[0::2] == bytes([1] * 80 + [2] * 80 + [3] * 80)


def test_16_bit_samples_interleave_as_whole_samples() -> None:
    """With 2-byte samples each channel contributes both bytes of a sample in turn."""
    m = TrackMixer(("inbound", "outbound"), sample_rate=16000, silence=b"\x00\x00")
    m.push("inbound", None, bytes.fromhex("01000200"))
    assert m.push("outbound", None, bytes.fromhex("0a000b00")) == bytes.fromhex("01000a0002000b00")


@settings(max_examples=200, deadline=None)
@given(
    pushes=st.lists(
        st.tuples(st.sampled_from(["inbound", "outbound"]), st.integers(0, 3000), st.integers(0, 400)),
        max_size=20,
    )
)
def test_output_is_always_whole_frames_and_flush_balances(pushes: list[tuple[str, int, int]]) -> None:
    """Whatever the timestamps, output is whole 2-channel frames and never exceeds the input span."""
    m = mixer()
    total = 0
    for track, stamp, size in pushes:
        total += len(m.push(track, stamp, bytes(size)))
    total += len(m.flush())
    assert total % 2 == 0
    assert m.flush() == b""


def test_reorder_buffer_releases_in_order_and_drops_late_items() -> None:
    """Items come out in sequence order; a gap is skipped past the window; late ones drop."""
    buffer: ReorderBuffer[str] = ReorderBuffer(2)
    assert buffer.push(2, "b") == []
    assert buffer.push(1, "a") == ["a", "b"]
    assert buffer.push(4, "d") == []
    assert buffer.push(5, "e") == []
    assert buffer.push(6, "f") == ["d", "e", "f"]
    assert buffer.push(3, "c") == []
    assert buffer.push(6, "f") == []
    assert buffer.dropped == 2
