"""The configuration snippets of docs/adapters.md, read from the doc itself, and what they configure.

Each snippet follows a `<!-- snippet: NAME -->` marker in the doc. The parsers here read only what the
media server would act on (a URI, a dial string, a TwiML `<Stream>`, a JSON verb) and substitute what the
media server would substitute (`${UNIQUEID}`, `${uuid}`, `{{From}}`, `TOKEN`, the host).
"""

from __future__ import annotations

import json
import re
import tomllib
import xml.etree.ElementTree as ET
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, urlsplit

from gateway.core.telephony_config import AudioSocketEntryPoint, EntryPoint, TelephonyConfig

DOC = Path(__file__).resolve().parents[2] / "docs" / "adapters.md"
HOST = "wss://gateway.example.com"


def snippet(name: str) -> str:
    """The body of the fenced block right after `<!-- snippet: name -->`."""
    text = DOC.read_text()
    match = re.search(rf"<!-- snippet: {re.escape(name)} -->\n```[a-z]*\n(.*?)\n```", text, re.S)
    assert match is not None, f"docs/adapters.md has no snippet {name!r}"
    return match.group(1)


def config_overrides(toml_text: str) -> dict[str, Any]:
    """ServerConfig overrides from a TOML snippet (`[telephony.<name>]` tables become `TelephonyConfig`)."""
    data = tomllib.loads(toml_text)
    entries = {
        name: (AudioSocketEntryPoint if name == "audiosocket" else EntryPoint)(**table)
        for name, table in data.pop("telephony", {}).items()
    }
    return data | ({"telephony": TelephonyConfig(**entries)} if entries else {})


@dataclass
class Endpoint:
    """Where a snippet points the media server: the gateway path and the query it appends."""

    path: str
    query: dict[str, str]


def endpoint(url: str, substitutions: dict[str, str]) -> Endpoint:
    """The gateway path and query of a URL written in a snippet, after the media server's substitutions."""
    for key, value in substitutions.items():
        url = url.replace(key, value)
    assert url.startswith(HOST), url
    parts = urlsplit(url)
    return Endpoint(parts.path, dict(parse_qsl(parts.query)))


def ini_section(text: str, section: str) -> dict[str, str]:
    """`key = value` lines of `[section]` in an Asterisk .conf snippet."""
    out: dict[str, str] = {}
    current = None
    for line in text.splitlines():
        line = line.split(";", 1)[0].strip()
        if line.startswith("["):
            current = line.strip("[]")
        elif current == section and "=" in line and not line.startswith("exten") and not line.startswith("same"):
            key, _, value = line.partition("=")
            out[key.strip()] = value.strip()
    return out


def dialplan_apps(text: str, app: str) -> list[str]:
    """The argument strings of every `app(...)` in the extension lines of a dialplan snippet."""
    args: list[str] = []
    for line in text.splitlines():
        line = line.strip()
        if line.startswith(("exten", "same")) and f",{app}(" in line:
            body = line.split(f",{app}(", 1)[1]
            args.append(body[: body.rindex(")")])
    return args


def dial_options(dial: str) -> dict[str, str]:
    """`Dial(WebSocket/<section>/c(ulaw)v(a=b,...)f(json))` -> {'section', 'c', 'v', 'f'} option texts."""
    resource = dial.split("/", 2)
    options = {"section": resource[1]}
    for letter, value in re.findall(r"([a-z])\(([^)]*)\)", resource[2] if len(resource) > 2 else ""):
        options[letter] = value
    return options


def twiml_stream(text: str) -> tuple[str, str, dict[str, str]]:
    """(url, track, parameters) of the TwiML snippet's `<Stream>`."""
    stream = ET.fromstring(text).find(".//Stream")
    assert stream is not None
    params = {p.attrib["name"]: p.attrib["value"] for p in stream.findall("Parameter")}
    return stream.attrib["url"], stream.attrib.get("track", "inbound_track"), params


def fork_command(text: str) -> tuple[str, str, str, dict[str, Any] | None]:
    """(url, mix type, rate, metadata or None) of a `uuid_audio_fork|stream <uuid> start ...` snippet."""
    match = re.search(r"uuid_audio_(?:fork|stream) \S+ start (\S+) (\S+) (\S+)(?: (\{.*?\}))?(?:'|$)", text, re.M)
    assert match is not None, text
    url, mix, rate, metadata = match.groups()
    return url, mix, rate, json.loads(metadata) if metadata else None


def listen_verb(text: str) -> dict[str, Any]:
    """The `listen` verb of the jambonz application snippet."""
    verbs = json.loads(text)
    return next(v for v in verbs if v.get("verb") == "listen")
