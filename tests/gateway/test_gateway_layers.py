"""The gateway's pure core stays pure: `gateway/core` never imports an I/O or network library."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import gateway.core
from tests.protocol.test_protocol_imports import imported_roots

FORBIDDEN = {"asyncio", "starlette", "uvicorn", "aiortc", "websockets", "socket", "av"}
CORE_DIR = Path(gateway.core.__file__).parent


def test_no_core_module_imports_io_libraries() -> None:
    """No source file under gateway/core names asyncio, starlette, uvicorn, aiortc, websockets, socket or av."""
    files = sorted(CORE_DIR.rglob("*.py"))
    assert {"consent.py", "session.py", "registry.py", "caption_hub.py", "events.py"} <= {f.name for f in files}
    offenders = {f.name: imported_roots(f) & FORBIDDEN for f in files}
    assert {name: bad for name, bad in offenders.items() if bad} == {}


def test_core_modules_import_no_shell_of_the_gateway() -> None:
    """The core never reaches up into the shells (transports, http, driver, runtime, app)."""
    shells = (
        "gateway.transports",
        "gateway.http",
        "gateway.driver",
        "gateway.runtime",
        "gateway.app",
        "gateway.server",
        "gateway.cli",
    )
    for path in sorted(CORE_DIR.rglob("*.py")):
        text = path.read_text()
        assert not [s for s in shells if f"from {s}" in text or f"import {s}" in text], path.name


def test_importing_the_core_pulls_in_no_io_library() -> None:
    """Importing every core module in a fresh interpreter loads none of the I/O libraries, even indirectly."""
    modules = sorted(f"gateway.core.{f.stem}" for f in CORE_DIR.glob("*.py") if f.stem != "__init__")
    loaded = sorted(FORBIDDEN - {"socket"})  # the standard library's own modules may load socket
    code = f"import sys, {', '.join(modules)}; print(sorted(m for m in {loaded!r} if m in sys.modules))"
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=CORE_DIR.parents[1]
    )
    assert result.stdout.strip() == "[]"
