"""Settings: a TOML file, environment variables and flags, parsed once into typed config (pure).

Layers, lowest first: the dataclass defaults, the config file, `CALLSCRIBE_<SECTION>_<KEY>` environment
variables, command-line flags. Each layer is a nested dict (tables merge key by key, so a mapping such as
`tokens` gains entries from every layer); `build` turns the merged dict into `Settings` once, coercing
text from the environment and flags into each field's type. Any problem is a `SettingError` whose text
is one line, `config: <setting>: <problem>`. The file format is described in docs/config.md.
"""

from __future__ import annotations

import dataclasses
import difflib
import enum
import os
import re
import tomllib
import types
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, Union, get_args, get_origin, get_type_hints

import tomli_w

from gateway.config import ServerConfig
from store.errors import StoreConfigError

Raw = dict[str, Any]
ENV_PREFIX = "CALLSCRIBE_"
#: Environment variables that are not settings (read elsewhere); no setting may take these names.
RESERVED_ENV = frozenset({"CALLSCRIBE_CACHE", "CALLSCRIBE_CONFIG", "CALLSCRIBE_MASTER_KEY"})
#: Older names kept working, setting path -> variable (the canonical name wins when both are set).
LEGACY_ENV = {"store.master_key_file": "CALLSCRIBE_MASTER_KEY_FILE"}
#: Mappings of bearer tokens: in text form `TOKEN[:TENANT]` items, the tenant defaulting to "default".
TOKEN_MAPS = frozenset({"tokens", "admin_tokens"})
#: Settings whose values are secrets, and mappings whose keys are (`--print-config` masks them).
SECRET_VALUES = frozenset({"twilio_auth_token"})
SECRET_KEYS = TOKEN_MAPS
MASK = "<secret"


class SettingError(ValueError):
    """A bad setting; `str()` is the one line to show (`config: vad.threshold: expected a number, ...`)."""

    def __init__(self, setting: str, problem: str) -> None:
        super().__init__(f"config: {setting}: {problem}")
        self.setting, self.problem = setting, problem


@dataclass(frozen=True, slots=True)
class Launch:
    """Settings of the `callscribe` process itself (top-level keys of the file, beside ServerConfig's)."""

    data_dir: str = "data"
    """Where the embedded store (`sqlite:///<data_dir>/callscribe.db` unless `store_dsn` is set) and a
    development master key (generated on first run when none is configured) live."""
    log_level: str = "info"
    """structlog level: debug, info, warning or error."""

    def __post_init__(self) -> None:
        if self.log_level.lower() not in ("debug", "info", "warning", "error", "critical"):
            raise ValueError("log_level must be debug, info, warning, error or critical")
        if not self.data_dir:
            raise ValueError("data_dir must name a directory")


@dataclass(frozen=True, slots=True)
class Settings:
    """The effective configuration: the gateway's and the launcher's."""

    server: ServerConfig = field(default_factory=ServerConfig)
    launch: Launch = field(default_factory=Launch)


# -- layers -------------------------------------------------------------------------------------------------


def read_file(path: str | Path) -> Raw:
    """The config file as a nested dict (a missing file or bad TOML is one line naming the file)."""
    try:
        with open(path, "rb") as fh:
            return tomllib.load(fh)
    except OSError as exc:
        raise SettingError(str(path), f"cannot read the config file ({exc.strerror or exc})") from None
    except tomllib.TOMLDecodeError as exc:
        raise SettingError(str(path), f"invalid TOML: {exc}") from None


def env_names() -> dict[str, str]:
    """Every setting's dotted path -> its environment variable (`vad.threshold` -> CALLSCRIBE_VAD_THRESHOLD)."""
    return {path: ENV_PREFIX + path.replace(".", "_").upper() for path in setting_paths()}


def env_layer(environ: Mapping[str, str]) -> Raw:
    """The settings given as `CALLSCRIBE_*` environment variables (empty values count as unset)."""
    layer: Raw = {}
    types_ = setting_types()
    for path, name in env_names().items():
        value = environ.get(name) or environ.get(LEGACY_ENV.get(path, ""), "")
        if value:
            set_path(layer, path, text_value(types_[path], value, path))
    return layer


def text_value(tp: Any, text: str, path: str) -> object:
    """Text for a setting as a layer value: a mapping's `key:value,...` becomes a table (so it merges)."""
    return _text_table(text, path) if get_origin(tp) is Mapping else text


def set_path(layer: Raw, path: str, value: object) -> None:
    """Put `value` at dotted `path` of `layer`, creating tables on the way."""
    *tables, key = path.split(".")
    for name in tables:
        layer = layer.setdefault(name, {})
    layer[key] = value


def merge(*layers: Mapping[str, Any]) -> Raw:
    """Later layers override earlier ones; tables (dicts) merge key by key."""
    out: Raw = {}
    for layer in layers:
        for key, value in layer.items():
            if isinstance(value, Mapping) and isinstance(out.get(key), dict):
                out[key] = merge(out[key], value)
            else:
                out[key] = dict(value) if isinstance(value, Mapping) else value
    return out


def with_store_default(raw: Raw) -> Raw:
    """`store_dsn` defaults to the embedded store in `data_dir` (`"none"` stores nothing)."""
    if "store_dsn" in raw:
        return raw
    data_dir = os.path.abspath(str(raw.get("data_dir", Launch().data_dir)))
    return {**raw, "store_dsn": f"sqlite:///{Path(data_dir) / 'callscribe.db'}"}


# -- building -----------------------------------------------------------------------------------------------


def build(raw: Mapping[str, Any]) -> Settings:
    """Typed settings from a merged nested dict; raises SettingError."""
    launch_keys = {f.name for f in dataclasses.fields(Launch)}
    launch = {k: v for k, v in raw.items() if k in launch_keys}
    server = {k: v for k, v in raw.items() if k not in launch_keys}
    return Settings(server=_build(ServerConfig, server, "", extra=launch_keys), launch=_build(Launch, launch, ""))


def setting_paths() -> list[str]:
    """Dotted paths of every leaf setting (ServerConfig recursively, plus Launch at the top)."""
    return list(setting_types())


def setting_types(cls: type = ServerConfig, prefix: str = "") -> dict[str, Any]:
    """Every leaf setting's dotted path -> its type."""
    out: dict[str, Any] = {}
    hints = get_type_hints(cls)
    for f in dataclasses.fields(cls):
        tp = hints[f.name]
        if isinstance(tp, type) and dataclasses.is_dataclass(tp):
            out |= setting_types(tp, f"{prefix}{f.name}.")
        else:
            out[prefix + f.name] = tp
    return out | (setting_types(Launch) if cls is ServerConfig else {})


def _join(path: str, key: str) -> str:
    return f"{path}.{key}" if path else key


def _build(cls: type, raw: Mapping[str, Any], path: str, extra: frozenset[str] | set[str] = frozenset()) -> Any:
    hints = get_type_hints(cls)
    names = [f.name for f in dataclasses.fields(cls)]
    for key in raw:
        if key not in names:
            close = difflib.get_close_matches(str(key), [*names, *extra], n=1)
            raise SettingError(
                _join(path, str(key)), "unknown setting" + (f" (did you mean {close[0]}?)" if close else "")
            )
    values = {key: _coerce(hints[key], value, _join(path, key)) for key, value in raw.items()}
    for key, value in values.items():
        _refuse_masked(_join(path, key), value)
    try:
        return cls(**values)
    except (ValueError, StoreConfigError) as exc:
        raise _invalid(names, path, str(exc)) from None


def _refuse_masked(path: str, value: object) -> None:
    """A secret copied from `--print-config` output is a mistake, never a credential."""
    masked: list[object] = [value] if path in SECRET_VALUES else []
    if path in SECRET_KEYS and isinstance(value, Mapping):
        masked = list(value)
    if any(isinstance(v, str) and v.startswith(MASK) for v in masked):
        raise SettingError(path, "holds a masked secret from --print-config; put the real secret here")


def _invalid(names: list[str], path: str, message: str) -> SettingError:
    """A dataclass's own validation message, named by the setting(s) it starts with (or its section)."""
    listed = re.match(r"([a-z_]+(?:, [a-z_]+)*): (.*)", message)
    if listed and all(n in names for n in listed[1].split(", ")):
        return SettingError(", ".join(_join(path, n) for n in listed[1].split(", ")), listed[2])
    for name in sorted(names, key=len, reverse=True):
        match = re.match(rf"{re.escape(name)}\b:?\s*", message)
        if match:
            return SettingError(_join(path, name), message[match.end() :])
    return SettingError(path or "settings", message)


def _show(value: object) -> str:
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "an array"
    return repr(value)


def _coerce(tp: Any, value: object, path: str) -> Any:
    """`value` (TOML-typed, or text from the environment or a flag) as type `tp`."""
    origin, args = get_origin(tp), get_args(tp)
    if origin in (Union, types.UnionType):
        if isinstance(value, str) and value.lower() == "none":
            return None
        return _coerce(next(a for a in args if a is not type(None)), value, path)
    if isinstance(tp, type) and dataclasses.is_dataclass(tp):
        if not isinstance(value, Mapping):
            raise SettingError(path, f"expected a table, got {_show(value)}")
        return _build(tp, value, path)
    if origin is tuple:
        items = [v.strip() for v in value.split(",") if v.strip()] if isinstance(value, str) else value
        if not isinstance(items, list | tuple):
            raise SettingError(path, f"expected an array, got {_show(value)}")
        return tuple(_coerce(args[0], item, f"{path}[{i}]") for i, item in enumerate(items))
    if origin is Literal:
        if value not in args:
            raise SettingError(path, f"expected one of {', '.join(map(str, args))}, got {_show(value)}")
        return value
    if origin is Mapping:
        table = _text_table(value, path) if isinstance(value, str) else value
        if not isinstance(table, Mapping):
            raise SettingError(path, f"expected a table, got {_show(value)}")
        return {str(k): _coerce(args[1], v, _join(path, str(k))) for k, v in table.items()}
    return _scalar(tp, value, path)


def _text_table(text: str, path: str) -> dict[str, str]:
    """`key:value,key:value` (for token maps `TOKEN[:TENANT]`, the tenant defaulting to "default")."""
    table: dict[str, str] = {}
    for item in filter(None, (part.strip() for part in text.split(","))):
        key, sep, val = item.partition(":")
        if path in TOKEN_MAPS:
            val = val or "default"
        elif not sep:
            raise SettingError(path, f"expected key:value items, got {item!r}")
        table[key] = val
    return table


_BOOLS = {"true": True, "1": True, "yes": True, "on": True, "false": False, "0": False, "no": False, "off": False}


def _scalar(tp: Any, value: object, path: str) -> Any:
    if isinstance(tp, type) and issubclass(tp, enum.Enum):
        if value not in [m.value for m in tp]:
            raise SettingError(path, f"expected one of {', '.join(str(m.value) for m in tp)}, got {_show(value)}")
        return tp(value)
    if tp is bool:
        if isinstance(value, str) and value.lower() in _BOOLS:
            return _BOOLS[value.lower()]
        if not isinstance(value, bool):
            raise SettingError(path, f"expected true or false, got {_show(value)}")
        return value
    if tp in (int, float):
        return _number(tp, value, path)
    if tp is str:
        if not isinstance(value, str):
            raise SettingError(path, f"expected a string, got {_show(value)}")
        return value
    raise SettingError(path, f"unsupported setting type {tp!r}")  # a new field type: teach _coerce


def _number(tp: type, value: object, path: str) -> Any:
    kind = "an integer" if tp is int else "a number"
    if isinstance(value, bool) or not isinstance(value, str | int | float) or (tp is int and isinstance(value, float)):
        raise SettingError(path, f"expected {kind}, got {_show(value)}")
    try:
        return tp(value)
    except ValueError:
        raise SettingError(path, f"expected {kind}, got {_show(value)}") from None


# -- printing -----------------------------------------------------------------------------------------------


def to_toml(settings: Settings) -> str:
    """The effective settings as a config file (secrets masked; None written as "none")."""
    table = {**_table(settings.launch, ""), **_table(settings.server, "")}
    return tomli_w.dumps(table)


def _table(obj: object, path: str) -> Raw:
    return {f.name: _plain(getattr(obj, f.name), _join(path, f.name)) for f in dataclasses.fields(obj)}  # type: ignore[arg-type]


def _plain(value: object, path: str) -> Any:
    if dataclasses.is_dataclass(value):
        return _table(value, path)
    if value is None:
        return "none"
    if path in SECRET_VALUES:
        return f"{MASK}>"
    if isinstance(value, Mapping):
        if path in SECRET_KEYS:
            return {f"{MASK} {i}>": _plain(v, path) for i, v in enumerate(value.values(), 1)}
        return {str(k): _plain(v, _join(path, str(k))) for k, v in value.items()}
    if isinstance(value, tuple):
        return [_plain(v, path) for v in value]
    if isinstance(value, enum.Enum):
        return value.value
    return value
