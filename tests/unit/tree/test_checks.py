"""The tree's own rules, checked by the tools made for them: ruff's lint and format, and import-linter's
contracts (DESIGN.md's direction of imports, written in pyproject.toml)."""

import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[3]
BIN = Path(sys.executable).parent


@pytest.mark.parametrize(
    "argv",
    [
        ["ruff", "check", "."],
        ["ruff", "format", "--check", "."],
        ["lint-imports", "--no-cache"],
    ],
    ids=["ruff-check", "ruff-format", "import-contracts"],
)
def test_tool_finds_nothing(argv):
    result = subprocess.run([str(BIN / argv[0]), *argv[1:]], cwd=REPO, capture_output=True, text=True)
    assert result.returncode == 0, result.stdout + result.stderr
