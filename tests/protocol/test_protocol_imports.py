"""The protocol package stays sans-I/O: it never imports asyncio, websockets or aiortc."""

from __future__ import annotations

import ast
import subprocess
import sys
from pathlib import Path

import protocol

FORBIDDEN = {"asyncio", "websockets", "aiortc"}
PACKAGE_DIR = Path(protocol.__file__).parent


def imported_roots(path: Path) -> set[str]:
    """Top-level names of every module a Python file imports (at any depth in the file)."""
    roots: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            roots.update(alias.name.split(".")[0] for alias in node.names)
        elif isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            roots.add(node.module.split(".")[0])
    return roots


def test_no_module_imports_io_libraries() -> None:
    """No source file under protocol/ (adapters included) names asyncio, websockets or aiortc."""
    files = sorted(PACKAGE_DIR.rglob("*.py"))
    assert len(files) >= 6
    offenders = {str(f.relative_to(PACKAGE_DIR)): imported_roots(f) & FORBIDDEN for f in files}
    assert {name: bad for name, bad in offenders.items() if bad} == {}


def test_importing_the_core_pulls_in_no_io_library() -> None:
    """Importing the core modules in a fresh interpreter loads none of them, even indirectly."""
    code = (
        "import sys, protocol, protocol.codec, protocol.audio, protocol.g711;"
        f"print(sorted(m for m in {sorted(FORBIDDEN)!r} if m in sys.modules))"
    )
    result = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True, cwd=PACKAGE_DIR.parent
    )
    assert result.stdout.strip() == "[]"
