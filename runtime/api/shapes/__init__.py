"""Docker's JSON shapes, one module per kind: the engine's services return typed records and these render them
(containers, images, networks, volumes, execs, events, stats). Nothing else in runtime/ builds a wire dict."""
