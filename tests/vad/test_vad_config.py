"""VadConfig validation."""

from __future__ import annotations

import pytest

from vad import VadConfig, VadConfigError, VadError


def test_defaults_are_valid_and_documented_values() -> None:
    """The default configuration is accepted and carries the documented values."""
    config = VadConfig()
    assert (config.threshold, config.neg_threshold) == (0.5, 0.35)
    assert (config.min_silence_ms, config.min_speech_ms) == (400, 200)
    assert (config.pre_roll_ms, config.post_roll_ms) == (200, 150)
    assert (config.max_utterance_s, config.split_search_s) == (15.0, 4.0)


@pytest.mark.parametrize(
    "kwargs",
    [
        {"threshold": 0.0},
        {"threshold": 1.5},
        {"neg_threshold": 0.6},
        {"neg_threshold": -0.1},
        {"min_silence_ms": 0},
        {"min_speech_ms": -1},
        {"pre_roll_ms": -1},
        {"post_roll_ms": 500},
        {"split_search_s": 15.0},
        {"split_search_s": 0.0},
        {"max_utterance_s": 0.7, "split_search_s": 0.5},
        {"post_roll_ms_by_language": {"nl": 500}},
        {"pre_roll_ms_by_language": {"nl": -1}},
    ],
)
def test_inconsistent_values_are_rejected(kwargs: dict[str, float]) -> None:
    """Out-of-range or mutually inconsistent fields raise VadConfigError (a ValueError and a VadError)."""
    with pytest.raises(VadConfigError) as info:
        VadConfig(**kwargs)  # type: ignore[arg-type]
    assert isinstance(info.value, ValueError)
    assert isinstance(info.value, VadError)


def test_config_is_frozen() -> None:
    """A config cannot be changed after validation."""
    config = VadConfig()
    with pytest.raises(AttributeError):
        config.threshold = 0.9  # type: ignore[misc]


def test_a_language_gets_its_own_rolls() -> None:
    """Dutch calls keep 300 ms before the onset and after the last speech window by default, other languages
    `pre_roll_ms` / `post_roll_ms`."""
    config = VadConfig()
    nl = config.for_language("nl")
    assert (nl.pre_roll_ms, nl.post_roll_ms) == (300, 300)
    assert config.for_language("en") is config and (config.pre_roll_ms, config.post_roll_ms) == (200, 150)
    assert config.for_language("auto") is config
    plain = VadConfig(pre_roll_ms_by_language={}, post_roll_ms_by_language={})
    assert plain.for_language("nl") is plain
