"""The vendored front-end files are the npm registry's, with their licence, and every asset a template
names exists (a missing one is a console error in the browser)."""

import hashlib
import json
import re
from pathlib import Path

import web

STATIC = Path(web.__file__).parent / "static"
TEMPLATES = Path(web.__file__).parent / "templates"
MANIFEST = json.loads((STATIC / "vendor" / "manifest.json").read_text())


def test_vendored_files_match_the_manifest():
    for package in MANIFEST["packages"]:
        directory = STATIC / "vendor" / package["directory"]
        assert (directory / "LICENSE").is_file(), f"{package['name']} has no licence beside it"
        for name, entry in package["files"].items():
            digest = hashlib.sha256((directory / name).read_bytes()).hexdigest()
            assert digest == entry["sha256"], f"{directory / name} differs from npm's {package['name']}"


def test_uplot_is_the_pinned_version():
    (uplot,) = MANIFEST["packages"]
    assert f"(v{uplot['version']})" in (STATIC / "vendor/uplot/uPlot.iife.min.js").read_text()[:80]
    assert "MIT License" in (STATIC / "vendor/uplot/LICENSE").read_text()


def test_every_static_file_a_template_names_exists():
    named = set()
    for template in TEMPLATES.glob("*.html"):
        named |= set(re.findall(r"filename='([^']+)'", template.read_text()))
    assert named, "no url_for('static', ...) found"
    assert [name for name in sorted(named) if not (STATIC / name).is_file()] == []
