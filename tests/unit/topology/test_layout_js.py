"""The map's layout (static/layout.js) under node: clients above their servers, unconnected nodes below,
and a node keeps its place when others come, go and come back (Scope's nodes "danced")."""

import json
import shutil
import subprocess
from pathlib import Path

import pytest

import web.topology

LAYOUT = Path(web.topology.__file__).parent / "static" / "layout.js"
NODE = shutil.which("node")

SCRIPT = """
const window = {};
eval(require("fs").readFileSync(process.argv[1], "utf8"));
const P = window.Porthole;
const n = (id, adjacency) => ({ id, label: id, rank: "", adjacency: adjacency || [] });
const layout = new P.StableLayout();
const copy = (m) => Object.fromEntries([...m].map(([k, v]) => [k, { ...v }]));
const first = copy(layout.place([n("client", ["server"]), n("server"), n("idle"), n("other", ["server"])]));
const second = copy(layout.place([n("client", ["server"]), n("server"), n("new", ["server"]), n("other", ["server"])]));
const third = copy(layout.place([n("client", ["server"]), n("server"), n("idle"), n("new", ["server"])]));
console.log(JSON.stringify({ first, second, third }));
"""


@pytest.mark.skipif(NODE is None, reason="node is not installed")
def test_layers_and_stability():
    out = subprocess.run([NODE, "-e", SCRIPT, str(LAYOUT)], capture_output=True, text=True, check=True).stdout
    found = json.loads(out)
    first, second, third = found["first"], found["second"], found["third"]
    assert first["client"]["y"] < first["server"]["y"]  # clients above their server
    assert first["client"]["y"] == first["other"]["y"]
    assert first["idle"]["y"] > first["server"]["y"]  # unconnected: below
    for name in ("client", "server", "other"):
        assert second[name] == first[name]  # a newcomer moves no one
    assert second["new"]["y"] == first["client"]["y"]  # it joins its layer's row
    assert third["idle"] == first["idle"]  # back where it was
