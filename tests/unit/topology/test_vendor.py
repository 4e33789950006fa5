"""The vendored cytoscape.js is the npm registry's, with its licence, and every asset the page names exists."""

import hashlib
import json
import re
from pathlib import Path

import web.topology

PACKAGE = Path(web.topology.__file__).parent
STATIC = PACKAGE / "static"
MANIFEST = json.loads((STATIC / "vendor" / "manifest.json").read_text())


def test_vendored_files_match_the_manifest():
    for package in MANIFEST["packages"]:
        directory = STATIC / "vendor" / package["directory"]
        assert "Permission is hereby granted, free of charge" in (directory / "LICENSE").read_text()
        for name, entry in package["files"].items():
            digest = hashlib.sha256((directory / name).read_bytes()).hexdigest()
            assert digest == entry["sha256"], f"{directory / name} differs from npm's {package['name']}"


def test_cytoscape_is_the_pinned_version():
    (cytoscape,) = MANIFEST["packages"]
    source = (STATIC / "vendor/cytoscape/cytoscape.min.js").read_text()
    assert f'"{cytoscape["version"]}"' in source


def test_every_static_file_the_page_names_exists():
    named = set()
    for template in (PACKAGE / "templates").rglob("*.html"):
        named |= set(re.findall(r"url_for\('topology.static', filename='([^']+)'\)", template.read_text()))
    assert len(named) == 6
    assert [name for name in sorted(named) if not (STATIC / name).is_file()] == []
