"""The topology map (issue 7): a Weave-Scope-like live map of who talks to whom.

probe.py        one report of a host: containers, processes, TCP sockets (proc_*.py, containers.py)
report.py       the report a probe sends (JSON), its typed decoding
addresses.py    who owns an address, across hosts; joining.py: connections client -> server
nodes.py        node ids and views; render.py: the four topologies; options.py, search.py: narrowing
collector.py    the newest report of each host, merged, with metric history; the app's own probe
shapes.py       the API's JSON; views.py: the blueprint (`bp`), registered by web.create_app
probe_main.py   `python -m web.topology.probe_main`: a probe for another host, POSTing to an app
"""

from web.topology.views import bp

__all__ = ["bp"]
