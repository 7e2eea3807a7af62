"""Settings: the TOML file, CALLSCRIBE_* environment variables and flags, layered into typed config."""

from __future__ import annotations

import dataclasses
import os
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any, get_type_hints

import pytest

from asr.testing import FakeTranscriber
from gateway import settings as cfg
from gateway.cli import build_config, load_settings
from gateway.config import ServerConfig
from gateway.core.caption_viewer import HubConfig
from gateway.http import captions
from gateway.runtime import Runtime
from protocol.vocab import RedactionPolicy, SpecialPolicy
from store.keys import MasterKey
from tests.conftest import make_config
from vad.silero import SileroModel

ROOT = Path(__file__).resolve().parents[2]
EXAMPLE = ROOT / "docs" / "callscribe.example.toml"

#: A value other than the default for every setting (a new field must be added here to pass).
NON_DEFAULT = """
data_dir = "/srv/callscribe"
log_level = "debug"
host = "0.0.0.0"
port = 9000
english_model = "none"
multilingual_model = "small"
redaction = "pseudonymise"
special_categories = "stop"
max_calls = 8
max_frame_bytes = 4096
max_outbound_frames = 64
mask_digit_runs = 6
readable_numbers = "amounts,times"
idle_timeout_s = 5.0
drain_timeout_s = 1.0
resume_ttl_s = 60.0
store_dsn = "postgresql://db/callscribe"
twilio_auth_token = "twilio-secret-value"
twilio_tenant = "acme"
audiosocket_port = 4573
audiosocket_host = "10.0.0.2"
audiosocket_tenant = "acme"
[audiosocket_params]
language = "nl"
[tokens]
"stream-token-abcdef" = "acme"
[admin_tokens]
"admin-token-0123456789" = "acme"
[engine]
model = "base"
device = "cpu"
compute_type = "int8"
cpu_threads = 2
workers = 3
beam_size = 1
final_pad_s = 0.5
partial_pad_s = 0.5
min_window_s = 10.0
partial_min_window_s = 4.0
no_speech_threshold = 0.5
logprob_threshold = -0.5
compression_ratio_threshold = 2.0
tokens_per_second = 10.0
final_timestamps = true
context_mode = "words"
fallback_temperatures = [0.5]
fallback_best_of = 2
fallback_budget_s = 0.5
[batcher]
max_batch = 4
max_partial_batch = 2
max_inflight = 2
file_share = 0.5
live_quiet_s = 2.0
window_s = 0.02
max_pending = 32
[remote]
backend = "ray"
ray_address = "ray://head:10001"
ray_namespace = "contact-centre"
app_prefix = "asr-"
timeout_s = 10.0
retries = 3
retry_delay_s = 0.5

[cluster]
redis_url = "redis://bus:6379/1"
node_id = "node-7"
stream = "cs:events"
max_len = 5000
outbox = 100

[files]
consent_bases = ["voicemail", "recording announced"]
compat_consent_basis = "voicemail"
max_upload_bytes = 4096
max_audio_seconds = 60.0
max_jobs = 2
job_ttl_s = 5.0

[insights]
enabled = false
webhook_url = "https://crm.example/hook"
webhook_secret_file = "/run/secrets/crm"
outbox_path = "/srv/outbox.db"
crm_purposes = ["quality"]
summary_url = "http://127.0.0.1:8000/v1"
summary_model = "local-llm"
timezone = "Europe/Brussels"

[telephony]
request_webhook_url = "https://pbx.example/transcription"
ws_ping_interval_s = 5.0
ws_ping_timeout_s = 7.0

[telephony.asterisk]
consent = "announced"
announcement = "greeting-0"
idle_timeout_s = 100.0
[telephony.asterisk.params]
language = "nl"

[telephony.freeswitch]
consent = "announced"
announcement = "greeting-1"
idle_timeout_s = 101.0
[telephony.freeswitch.params]
language = "nl"

[telephony.twilio]
consent = "announced"
announcement = "greeting-2"
idle_timeout_s = 102.0
[telephony.twilio.params]
language = "nl"

[telephony.telnyx]
consent = "announced"
announcement = "greeting-3"
idle_timeout_s = 103.0
[telephony.telnyx.params]
language = "nl"

[telephony.jambonz]
consent = "announced"
announcement = "greeting-4"
idle_timeout_s = 104.0
[telephony.jambonz.params]
language = "nl"

[telephony.audiosocket]
consent = "granted"
announcement = "greeting-as"
idle_timeout_s = 99.0
audio_format = "ulaw"
[telephony.audiosocket.params]
language = "en"

[limits]
header_timeout_s = 3.0
max_header_bytes = 8192
max_offer_bytes = 32768
allowed_origins = ["https://agents.example"]
max_calls_per_tenant = 10
audio_burst_s = 5.0
max_audio_speed = 2.0
max_final_wait_s = 1.5
max_final_p95_s = 0.8
format_check = false
takeover_wait_s = 2.0

[limits.tenant_calls]
acme = 4

[compat]
deepgram_consent = "granted"
openai_consent = "announced"

[vad]
threshold = 0.6
neg_threshold = 0.4
min_silence_ms = 300
min_speech_ms = 100
pre_roll_ms = 100
post_roll_ms = 100
early_final_ms = 150
early_final_max_busy = 0.3
turn_silence_ms = 700
turn_gap_ms = 1500
max_utterance_s = 12.0
split_search_s = 3.0
batch_calls = false
batch_window_ms = 40
[vad.pre_roll_ms_by_language]
nl = 250
[vad.post_roll_ms_by_language]
nl = 250
[session]
opt_out_digit = "#"
opt_out_window_s = 3.0
partial_interval_s = 1.0
first_partial_s = 1.0
partial_lag_target_s = 0.5
partial_max_interval_s = 4.0
max_frame_seconds = 0.5
condition_on_previous = true
context_s = 4.0
context_max_gap_s = 1.5
context_max_utterance_s = 6.0
[captions]
viewer_queue = 8
viewer_max_finals = 64
max_history = 100
max_viewers_per_call = 4
max_waiting_calls = 2
ended_ttl_s = 5.0
[store]
default_retention_days = 7.0
purge_interval_s = 60.0
master_key_file = "/run/secrets/master.key"
master_key_env = "MY_MASTER_KEY"
old_master_key_files = ["/run/secrets/old.key"]
rotate_batch = 50
anchor_file = "/srv/anchor.log"
anchor_interval_s = 60.0
anchor_webhook = "https://anchor.example/head"

[store.retention_days]
quality = 14.0
[store.recipients]
quality = ["QA team"]
"""


def _leaf_paths(cls: type, prefix: str = "") -> set[str]:
    """Every dataclass field, recursively, as a dotted path (nested dataclasses are tables)."""
    hints = get_type_hints(cls)
    paths: set[str] = set()
    for f in dataclasses.fields(cls):
        tp = hints[f.name]
        if isinstance(tp, type) and dataclasses.is_dataclass(tp):
            paths |= _leaf_paths(tp, f"{prefix}{f.name}.")
        else:
            paths.add(prefix + f.name)
    return paths


def _file_paths(table: dict[str, Any], leaves: set[str], prefix: str = "") -> set[str]:
    """The leaf settings a parsed TOML file names (a mapping setting counts as one leaf)."""
    found: set[str] = set()
    for key, value in table.items():
        path = prefix + key
        if isinstance(value, dict) and path not in leaves:
            found |= _file_paths(value, leaves, path + ".")
        else:
            found.add(path)
    return found


def _at(settings: cfg.Settings, path: str) -> Any:
    obj: Any = settings.launch if path in ("data_dir", "log_level") else settings.server
    for name in path.split("."):
        obj = getattr(obj, name)
    return obj


def _expected(value: Any) -> Any:
    if value == "none":
        return None
    if isinstance(value, list):
        return tuple(value)
    if isinstance(value, dict):
        return {k: _expected(v) for k, v in value.items()}
    return value


def _error(raw: dict[str, Any]) -> str:
    with pytest.raises(cfg.SettingError) as info:
        cfg.build(raw)
    return str(info.value)


def test_every_field_is_reachable_from_the_file() -> None:
    """Each ServerConfig field, recursively (and each launcher setting), is set by a config file key."""
    leaves = _leaf_paths(ServerConfig) | _leaf_paths(cfg.Launch)
    table = tomllib.loads(NON_DEFAULT)
    assert _file_paths(table, leaves) == leaves == set(cfg.setting_paths())
    built, default = cfg.build(table), cfg.Settings()
    flat = {p: v for p, v in _flatten(table, leaves).items()}
    for path in sorted(leaves):
        assert _at(built, path) == _expected(flat[path]), path
        assert _at(built, path) != _at(default, path), path


def _flatten(table: dict[str, Any], leaves: set[str], prefix: str = "") -> dict[str, Any]:
    out: dict[str, Any] = {}
    for key, value in table.items():
        path = prefix + key
        if isinstance(value, dict) and path not in leaves:
            out |= _flatten(value, leaves, path + ".")
        else:
            out[path] = value
    return out


def test_example_file_loads_and_names_every_setting() -> None:
    """docs/callscribe.example.toml parses, names every setting, and holds the defaults (store_dsn aside)."""
    table = cfg.read_file(EXAMPLE)
    leaves = _leaf_paths(ServerConfig) | _leaf_paths(cfg.Launch)
    assert _file_paths(table, leaves) == leaves
    built = cfg.build(table)
    assert built.server.store_dsn == "sqlite:///data/callscribe.db"
    assert dataclasses.replace(built.server, store_dsn=None) == ServerConfig()
    assert built.launch == cfg.Launch()


def test_unknown_setting_suggests_the_near_name() -> None:
    """A misspelt key is rejected with its full path and the setting it probably meant."""
    assert _error({"vad": {"treshold": 0.6}}) == "config: vad.treshold: unknown setting (did you mean threshold?)"
    assert _error({"prot": 1}) == "config: prot: unknown setting (did you mean port?)"
    assert _error({"vad": {"zzz": 1}}) == "config: vad.zzz: unknown setting"


@pytest.mark.parametrize(
    ("raw", "line"),
    [
        ({"vad": {"threshold": "high"}}, "config: vad.threshold: expected a number, got 'high'"),
        ({"port": 80.5}, "config: port: expected an integer, got 80.5"),
        ({"port": True}, "config: port: expected an integer, got True"),
        ({"session": {"condition_on_previous": "maybe"}},
         "config: session.condition_on_previous: expected true or false, got 'maybe'"),
        ({"redaction": "hide"}, "config: redaction: expected one of mask, pseudonymise, off, got 'hide'"),
        ({"host": 127}, "config: host: expected a string, got 127"),
        ({"vad": 0.5}, "config: vad: expected a table, got 0.5"),
        ({"store": {"old_master_key_files": {"a": 1}}},
         "config: store.old_master_key_files: expected an array, got a table"),
        ({"store": {"retention_days": {"quality": "long"}}},
         "config: store.retention_days.quality: expected a number, got 'long'"),
    ],
)  # fmt: skip
def test_wrong_type_is_one_line_naming_the_setting(raw: dict[str, Any], line: str) -> None:
    """A value of the wrong type names the setting and the value it got."""
    assert _error(raw) == line


@pytest.mark.parametrize(
    ("raw", "line"),
    [
        ({"vad": {"threshold": 1.5}}, "config: vad.threshold: must be within (0, 1]"),
        ({"port": 70000}, "config: port: must be within 0..65535"),
        ({"english_model": "none", "multilingual_model": "none"},
         "config: english_model, multilingual_model: configure at least one model"),
        ({"engine": {"beam_size": 0}}, "config: engine.beam_size: must be >= 1"),
        ({"session": {"opt_out_digit": "x"}}, "config: session.opt_out_digit: must be one DTMF key"),
        ({"store": {"purge_interval_s": 0}},
         "config: store.purge_interval_s, store.anchor_interval_s, store.rotate_batch: must be positive"),
        ({"log_level": "loud"}, "config: log_level: must be debug, info, warning, error or critical"),
    ],
)  # fmt: skip
def test_validation_errors_name_the_setting(raw: dict[str, Any], line: str) -> None:
    """A dataclass's own check (__post_init__) comes back as one line naming the setting."""
    assert _error(raw) == line


def test_environment_overrides_file_and_flags_override_both(tmp_path: Path) -> None:
    """CALLSCRIBE_<SECTION>_<KEY> beats the file; a flag (named or --set) beats the environment."""
    path = tmp_path / "c.toml"
    path.write_text('port = 9000\nhost = "0.0.0.0"\n[vad]\nthreshold = 0.6\nmin_silence_ms = 500\n')
    env = {"CALLSCRIBE_PORT": "9001", "CALLSCRIBE_VAD_THRESHOLD": "0.7", "CALLSCRIBE_VAD_MIN_SILENCE_MS": ""}
    settings, _ = load_settings(["--config", str(path), "--port", "9002", "--set", "vad.threshold=0.8"], env)
    assert (settings.server.host, settings.server.port) == ("0.0.0.0", 9002)
    assert (settings.server.vad.threshold, settings.server.vad.min_silence_ms) == (0.8, 500)
    settings, _ = load_settings(["--config", str(path)], env)
    assert (settings.server.port, settings.server.vad.threshold) == (9001, 0.7)


def test_existing_flags_and_variables_keep_working(tmp_path: Path) -> None:
    """The pre-file flags and variables still set their settings; stream tokens from the file, the
    environment and --token are all accepted."""
    path = tmp_path / "c.toml"
    path.write_text('[tokens]\n"file-token-123" = "filed"\n')
    env = {
        "CALLSCRIBE_CONFIG": str(path),
        "CALLSCRIBE_TOKENS": "env-token-123:envy,bare-token-123",
        "CALLSCRIBE_ADMIN_TOKENS": "admin-token-0123456789:acme",
        "CALLSCRIBE_TWILIO_AUTH_TOKEN": "twilio-secret",
        "CALLSCRIBE_MASTER_KEY_FILE": str(tmp_path / "k.key"),
        "CALLSCRIBE_DATA_DIR": str(tmp_path / "d"),
    }
    argv = ["--token", "flag-token-123:flagged", "--device", "cpu", "--threads", "2", "--max-batch", "4",
            "--redaction", "off", "--special-categories", "mask", "--english-model", "none",
            "--old-master-key-file", "old.key", "--audiosocket-port", "0"]  # fmt: skip
    s, _ = load_settings(argv, env)
    assert dict(s.server.tokens) == {
        "file-token-123": "filed", "env-token-123": "envy", "bare-token-123": "default", "flag-token-123": "flagged",
    }  # fmt: skip
    assert dict(s.server.admin_tokens) == {"admin-token-0123456789": "acme"}
    assert s.server.twilio_auth_token == "twilio-secret" and s.server.english_model is None
    assert (s.server.engine.device, s.server.engine.cpu_threads, s.server.batcher.max_batch) == ("cpu", 2, 4)
    assert s.server.redaction is RedactionPolicy.OFF and s.server.special_categories is SpecialPolicy.MASK
    assert s.server.store.master_key_file == str(tmp_path / "k.key")
    assert s.server.store.old_master_key_files == ("old.key",) and s.server.audiosocket_port == 0
    assert s.server.store_dsn == f"sqlite:///{tmp_path / 'd' / 'callscribe.db'}"
    none, _ = load_settings(["--store-dsn", "none"], {})
    assert none.server.store_dsn is None


def test_environment_names_are_unique_and_leave_others_alone() -> None:
    """Each setting has its own CALLSCRIBE_ variable, none of them taken by a non-setting variable."""
    names = cfg.env_names()
    assert len(set(names.values())) == len(names)
    assert not set(names.values()) & cfg.RESERVED_ENV
    assert names["vad.threshold"] == "CALLSCRIBE_VAD_THRESHOLD" and names["store_dsn"] == "CALLSCRIBE_STORE_DSN"


def test_print_config_masks_secrets_and_reads_back() -> None:
    """--print-config output is a config file: secrets are masked, everything else reads back equal."""
    table = tomllib.loads(NON_DEFAULT)
    settings = cfg.build(table)
    text = cfg.to_toml(settings)
    for secret in ("stream-token-abcdef", "admin-token-0123456789", "twilio-secret-value"):
        assert secret not in text
    read = tomllib.loads(text)
    for key in ("tokens", "admin_tokens", "twilio_auth_token"):
        with pytest.raises(cfg.SettingError, match=f"^config: {key}: holds a masked secret from --print-config"):
            cfg.build({key: read[key]})
    del read["tokens"], read["admin_tokens"], read["twilio_auth_token"]
    again = cfg.build(read)
    unmasked = dataclasses.replace(
        again.server, tokens=settings.server.tokens, admin_tokens=settings.server.admin_tokens,
        twilio_auth_token=settings.server.twilio_auth_token,
    )  # fmt: skip
    assert (unmasked, again.launch) == (settings.server, settings.launch)


def test_development_master_key_is_generated_once(tmp_path: Path) -> None:
    """With a store and no key configured, <data_dir>/master.key is generated once and then reused;
    a key in the environment turns that off."""
    argv = ["--data-dir", str(tmp_path), "--token", "a-token-123456"]
    config, generated = build_config(argv, {})
    key = tmp_path / "master.key"
    assert not generated and config.store.master_key_file == str(key) and key.exists()
    first = key.read_bytes()
    build_config(argv, {})
    assert key.read_bytes() == first
    env = {"CALLSCRIBE_MASTER_KEY": MasterKey.generate().to_base64()}
    config, _ = build_config(["--data-dir", str(tmp_path / "other")], env)
    assert config.store.master_key_file is None and not (tmp_path / "other").exists()
    config, generated = build_config(["--store-dsn", "none"], {})
    assert generated and len(config.tokens) == 1


def test_caption_hub_takes_its_bounds_from_the_config(vad_model: SileroModel) -> None:
    """The [captions] table reaches the live caption hub of the runtime."""
    rt = Runtime(make_config(captions=HubConfig(max_viewers_per_call=3), multilingual_model=None),
                 {"tiny.en": FakeTranscriber("tiny.en")}, vad_model)  # fmt: skip
    captions.routes(rt)
    service = captions.service_for(rt)
    assert service is not None and service.hub.config.max_viewers_per_call == 3


def _callscribe(*args: str, cwd: Path, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    environ = {k: v for k, v in os.environ.items() if not k.startswith("CALLSCRIBE_")}
    environ |= {"PYTHONPATH": str(ROOT), **(env or {})}
    return subprocess.run([sys.executable, "-m", "gateway", *args], capture_output=True, text=True, cwd=cwd,
                          env=environ, timeout=60, check=False)  # fmt: skip


def test_bad_setting_is_one_line_and_exit_2(tmp_path: Path) -> None:
    """`callscribe` with a bad setting in the file prints exactly one line to stderr and exits 2."""
    (tmp_path / "c.toml").write_text("[vad]\ntreshold = 0.6\n")
    result = _callscribe("--config", "c.toml", cwd=tmp_path)
    assert result.returncode == 2 and result.stdout == ""
    assert result.stderr.splitlines() == ["callscribe: config: vad.treshold: unknown setting (did you mean threshold?)"]
    result = _callscribe(cwd=tmp_path, env={"CALLSCRIBE_VAD_THRESHOLD": "high"})
    assert result.returncode == 2
    assert result.stderr.splitlines() == ["callscribe: config: vad.threshold: expected a number, got 'high'"]


def test_print_config_command(tmp_path: Path) -> None:
    """`callscribe --print-config` prints the effective settings as TOML with the token masked, and exits 0."""
    result = _callscribe("--print-config", "--set", "vad.threshold=0.65", cwd=tmp_path,
                         env={"CALLSCRIBE_TOKENS": "secret-stream-token:acme"})  # fmt: skip
    assert result.returncode == 0, result.stderr
    table = tomllib.loads(result.stdout)
    assert table["vad"]["threshold"] == 0.65 and table["tokens"] == {"<secret 1>": "acme"}
    assert "secret-stream-token" not in result.stdout and not (tmp_path / "data").exists()


@pytest.mark.parametrize(
    ("argv", "line"),
    [
        (["--bogus"], "config: flags: unrecognized arguments: --bogus"),
        (["--redaction", "hide"],
         "config: --redaction: invalid choice: 'hide' (choose from 'mask', 'pseudonymise', 'off')"),
        (["--set", "vad.treshold=0.6"], "config: vad.treshold: unknown setting (did you mean vad.threshold?)"),
        (["--set", "vad.threshold"], "config: vad.threshold: --set takes SECTION.KEY=VALUE"),
        (["--port", "http"], "config: port: expected an integer, got 'http'"),
    ],
)  # fmt: skip
def test_bad_flags_are_one_line_too(argv: list[str], line: str) -> None:
    """A bad flag is reported like a bad file setting (one line naming it), not with argparse's usage text."""
    with pytest.raises(cfg.SettingError) as info:
        load_settings(argv, {})
    assert str(info.value) == line


def _as_text(value: Any) -> str:
    """A TOML value written the way an environment variable carries it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, list):
        return ",".join(_as_text(v) for v in value)
    if isinstance(value, dict):
        return ",".join(f"{k}:{_as_text(v)}" for k, v in value.items())
    return str(value)


def test_every_setting_is_reachable_from_the_environment() -> None:
    """Each setting's CALLSCRIBE_ variable, given as text, yields the same config as the file's typed value."""
    table = tomllib.loads(NON_DEFAULT)
    leaves = _leaf_paths(ServerConfig) | _leaf_paths(cfg.Launch)
    names = cfg.env_names()
    env = {names[path]: _as_text(value) for path, value in _flatten(table, leaves).items()}
    assert len(env) == len(leaves)
    assert cfg.build(cfg.env_layer(env)) == cfg.build(table)
