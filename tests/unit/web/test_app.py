"""Pages and JSON API through Flask's test client, over the fake engine."""

import orjson
import pytest

from tests.unit.web.conftest import DB_ID, OLD_ID, WEB_ID, make_app
from web.errors import UnsafeExposure
from web.sampler import HOST_KEY


def fill_history(state):
    for t, cpu in ((1000.0, 0.0), (1001.0, 2.5e8)):
        state.history.append(WEB_ID, t, {"pid": 100, "cpu.usage_ns": cpu, "memory.usage": 1048576.0})
        state.history.append(HOST_KEY, t, {"pid": 1, "load.1": 0.5, "load.5": 0.25, "load.15": 0.1})


def body(response):
    return orjson.loads(response.data)


def test_overview_lists_every_container_with_its_state(http, state):
    fill_history(state)
    page = http.get("/").get_data(as_text=True)
    assert page.count('<tr data-id="') == 3
    for name in ("web", "db", "old"):
        assert f">{name}</a>" in page
    assert page.count('<span class="state state-running">running</span>') == 2
    assert page.count('<span class="state state-exited">exited</span>') == 1
    assert "25.0 %" in page  # web's CPU over the last second
    assert "fakehost 0.0-test" in page


def test_overview_filters_on_the_server_too(http):
    page = http.get("/?filter=label:tier=back").get_data(as_text=True)
    assert page.count('<tr data-id="') == 1
    assert ">db</a>" in page


def test_overview_tells_a_bad_filter_and_shows_everything(http):
    page = http.get("/?filter=colour:red").get_data(as_text=True)
    assert "web: invalid filter &#39;colour:red&#39;: unknown key" in page
    assert page.count('<tr data-id="') == 3


def test_api_list_filters_sorts_and_computes(http, state):
    fill_history(state)
    listed = body(http.get("/api/v1/containers?sort=-name"))
    assert [c["name"] for c in listed["containers"]] == ["web", "old", "db"]
    web = listed["containers"][0]
    assert (web["state"], web["cpu_percent"], web["memory_usage"], web["labels"]) == (
        "running",
        25.0,
        1048576.0,
        {"tier": "front"},
    )
    assert listed["total"] == 3
    assert [c["name"] for c in body(http.get("/api/v1/containers?filter=state:exited"))["containers"]] == ["old"]


@pytest.mark.parametrize(
    "url, status, message",
    [
        ("/api/v1/containers?filter=colour:red", 400, "web: invalid filter 'colour:red'"),
        ("/api/v1/containers?sort=colour", 400, "web: invalid sort 'colour'"),
        ("/api/v1/containers/nosuch", 404, "web: no such container 'nosuch'"),
        ("/api/v1/containers/web/samples?since=soon", 400, "web: invalid since 'soon': expected a number"),
        ("/api/v1/containers/web/logs?tail=x", 400, "web: invalid tail 'x'"),
    ],
)
def test_api_errors_are_json_messages(http, url, status, message):
    response = http.get(url)
    assert response.status_code == status
    assert body(response)["message"].startswith(message)


def test_samples_window_and_since(http, state):
    fill_history(state)
    everything = body(http.get(f"/api/v1/containers/{WEB_ID[:8]}/samples"))
    assert everything["t"] == [1000.0, 1001.0]
    assert everything["columns"]["cpu.usage_ns"] == [0.0, 2.5e8]
    assert (everything["id"], everything["pid"], everything["interval_seconds"]) == (WEB_ID, 100, 1.0)
    assert body(http.get("/api/v1/containers/web/samples?since=1000"))["t"] == [1001.0]
    assert body(http.get("/api/v1/host/samples?since=999"))["columns"]["load.1"] == [0.5, 0.5]


def test_one_container_has_limits_and_the_latest_sample(http, state):
    fill_history(state)
    db = body(http.get("/api/v1/containers/db"))
    assert db["cpu_limit_cores"] == 1.5
    assert db["limits"]["Memory limit"] == "512.0 MiB"
    assert db["latest"] is None
    web = body(http.get("/api/v1/containers/web"))
    assert web["latest"] == {"t": 1001.0, "columns": {"pid": 100, "cpu.usage_ns": 2.5e8, "memory.usage": 1048576.0}}


def test_processes_of_a_running_and_a_stopped_container(http):
    assert body(http.get("/api/v1/containers/web/processes")) == {
        "titles": ["PID", "CMD"],
        "processes": [["1", "sleep 1000"]],
        "note": None,
    }
    assert body(http.get("/api/v1/containers/old/processes")) == {
        "titles": [],
        "processes": [],
        "note": "old is exited",
    }


def test_events_newest_first(http, state, engine):
    for n, action in enumerate(("start", "die")):
        state.watcher.record_event(
            {
                "Type": "container",
                "Action": action,
                "timeNano": (n + 1) * 10**9,
                "Actor": {"ID": WEB_ID, "Attributes": {"exitCode": "0"} if n else {}},
            }
        )
    assert body(http.get("/api/v1/containers/web/events"))["events"] == [
        {"time": 2.0, "action": "die", "detail": "exit code 0"},
        {"time": 1.0, "action": "start", "detail": ""},
    ]


def test_host_reports_engine_and_containers(http, engine):
    host = body(http.get("/api/v1/host"))
    assert host["engine"]["name"] == "fakehost"
    assert host["containers"] == {"total": 3, "by_state": {"running": 2, "exited": 1}}
    engine.down = True
    assert body(http.get("/api/v1/host"))["engine"]["error"].startswith("web: cannot reach the engine at unix:///")


def test_container_page_masks_the_environment_unless_asked(http):
    page = http.get("/containers/web").get_data(as_text=True)
    assert "PASSWORD=••••••" in page and "hunter2" not in page
    assert "PASSWORD=hunter2" in http.get("/containers/web?env=show").get_data(as_text=True)
    assert 'data-samples-url="/api/v1/containers/' + WEB_ID + '/samples"' in page
    assert "<form" not in page.split("<main>")[1].split("Limits")[0]  # no controls without the flag


def test_unknown_container_page_is_a_404_page(http):
    response = http.get("/containers/nosuch")
    assert response.status_code == 404
    assert "web: no such container &#39;nosuch&#39;" in response.get_data(as_text=True)


def test_a_container_created_after_the_last_refresh_is_found(http, engine):
    from tests.unit.exporter.fakes import inspect_json

    engine.inspected["d4" * 32] = inspect_json("d4" * 32, "newcomer")
    assert http.get("/containers/newcomer").status_code == 200


def test_log_stream_sends_lines_as_events_with_their_time_as_id(http, engine):
    engine.log_lines[(WEB_ID, "stdout")] = [b"2024-05-01T10:00:01Z hello\n"]
    engine.log_lines[(WEB_ID, "stderr")] = [b"2024-05-01T10:00:02Z oops\n"]
    response = http.get("/api/v1/containers/web/logs?follow=0")
    assert response.mimetype == "text/event-stream"
    text = response.get_data(as_text=True)
    assert text.startswith("retry: 2000\n\n")
    stamp = "2024-05-01T10:00:01.000000000Z"
    assert f'id: 1714557601000000000\ndata: {{"t":"{stamp}","stream":"stdout","text":"hello"}}' in text
    assert '"stream":"stderr","text":"oops"' in text
    assert text.endswith("event: end\ndata: {}\n\n")


def test_log_stream_resumes_after_last_event_id(http, engine):
    engine.log_lines[(WEB_ID, "stdout")] = [b"2024-05-01T10:00:01Z old\n", b"2024-05-01T10:00:05Z new\n"]
    text = http.get(
        "/api/v1/containers/web/logs?follow=0&stderr=0", headers={"Last-Event-ID": "1714557601000000000"}
    ).get_data(as_text=True)
    assert '"text":"new"' in text and '"text":"old"' not in text


def test_pages_carry_security_headers(http):
    headers = http.get("/").headers
    assert "script-src" not in headers["Content-Security-Policy"]  # default-src 'self' covers scripts
    assert headers["Content-Security-Policy"].startswith("default-src 'self'")
    assert headers["X-Frame-Options"] == "DENY"


def test_controls_without_a_token_are_refused(state):
    with pytest.raises(UnsafeExposure, match="web: refusing CONTROLS without a TOKEN"):
        make_app(state, CONTROLS=True)


def test_no_control_routes_without_the_flag(http, engine):
    assert http.post("/containers/web/stop").status_code in (404, 405)
    assert engine.actions == []


def test_the_navigation_links_to_the_topology_map(http, app):
    assert "topology" in app.blueprints  # issue 7's blueprint, registered by create_app
    assert '<a href="/topology">Topology</a>' in http.get("/").get_data(as_text=True)


def test_old_container_ids_are_kept_apart(http):
    assert body(http.get(f"/api/v1/containers/{OLD_ID}"))["state"] == "exited"
    assert body(http.get(f"/api/v1/containers/{DB_ID}"))["name"] == "db"


def test_overview_says_when_the_engine_is_down_and_keeps_the_last_list(http, state, engine):
    engine.down = True
    state.watcher.refresh()
    page = http.get("/").get_data(as_text=True)
    assert "web: cannot reach the engine at unix:///fake.sock" in page
    assert "web: cannot list the containers of the engine: connection refused" in page
    assert page.count('<tr data-id="') == 3
