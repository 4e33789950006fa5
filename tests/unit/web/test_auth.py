"""The token login, bearer tokens for scripts, and CSRF on the controls."""

import re
from urllib.parse import unquote

import pytest

from tests.unit.web.conftest import WEB_ID, make_app
from web.auth import FAILED_LOGIN_WINDOW, LoginFailures

TOKEN = "correct-horse-battery-staple"


@pytest.fixture
def guarded(state):
    return make_app(state, TOKEN=TOKEN, CONTROLS=True).test_client()


def login(client):
    response = client.post("/login", data={"token": TOKEN, "next": "/containers/web"})
    assert response.status_code == 303
    assert response.headers["Location"] == "/containers/web"


def csrf_of(client) -> str:
    page = client.get("/containers/web").get_data(as_text=True)
    return re.search(r'name="csrf_token" value="([^"]+)"', page).group(1)


def test_pages_redirect_to_the_login_and_the_api_answers_401(guarded):
    response = guarded.get("/containers/web?env=show")
    assert response.status_code == 302
    assert response.headers["Location"] == "/login?next=/containers/web?env%3Dshow"
    api = guarded.get("/api/v1/containers")
    assert api.status_code == 401
    assert api.json["message"].startswith("web: login required")
    assert guarded.get("/static/css/app.css").status_code == 200  # the login page needs it


def test_a_wrong_token_is_told_and_lets_nobody_in(guarded):
    response = guarded.post("/login", data={"token": "wrong"})
    assert response.status_code == 401
    assert "That is not the token" in response.get_data(as_text=True)
    assert guarded.get("/api/v1/containers").status_code == 401


def test_after_login_pages_and_api_answer(guarded):
    login(guarded)
    assert guarded.get("/api/v1/containers").status_code == 200
    assert guarded.get("/").status_code == 200


def test_login_never_sends_one_to_another_site(guarded):
    response = guarded.post("/login", data={"token": TOKEN, "next": "//evil.example/"})
    assert response.headers["Location"] == "/"


@pytest.mark.parametrize("header, status", [(f"Bearer {TOKEN}", 200), ("Bearer nope", 401), ("Basic abc", 401)])
def test_bearer_tokens_for_scripts(guarded, header, status):
    assert guarded.get("/api/v1/containers", headers={"Authorization": header}).status_code == status


def test_a_control_needs_the_sessions_csrf_token(guarded, engine):
    login(guarded)
    refused = guarded.post("/containers/web/pause", data={})
    assert refused.status_code == 403
    assert "CSRF" in refused.get_data(as_text=True)
    assert guarded.post("/containers/web/pause", data={"csrf_token": "forged"}).status_code == 403
    assert engine.actions == []
    done = guarded.post("/containers/web/pause", data={"csrf_token": csrf_of(guarded)})
    assert done.status_code == 303
    assert engine.actions == [("pause", WEB_ID)]


def test_a_control_posted_from_another_origin_is_refused(guarded, engine):
    login(guarded)
    token = csrf_of(guarded)
    response = guarded.post(
        "/containers/web/stop", data={"csrf_token": token}, headers={"Origin": "http://evil.example"}
    )
    assert response.status_code == 403
    assert engine.actions == []


def test_scripts_with_a_bearer_token_need_no_csrf_token(guarded, engine):
    response = guarded.post("/containers/web/restart", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 303
    assert engine.actions == [("restart", WEB_ID)]


def test_the_container_page_offers_the_controls_with_the_token(guarded):
    login(guarded)
    page = guarded.get("/containers/web").get_data(as_text=True)
    for action in ("stop", "restart", "pause", "unpause"):
        assert f'action="/containers/web/{action}"' in page


def test_an_unknown_action_is_a_404(guarded):
    response = guarded.post("/containers/web/explode", headers={"Authorization": f"Bearer {TOKEN}"})
    assert response.status_code == 404


def test_logout_needs_the_csrf_token_and_ends_the_session(guarded):
    login(guarded)
    assert guarded.post("/logout").status_code == 403
    assert guarded.post("/logout", data={"csrf_token": csrf_of(guarded)}).status_code == 303
    assert guarded.get("/api/v1/containers").status_code == 401


@pytest.mark.parametrize(
    "target",
    ["/%09/evil.example/x", "/\t/evil.example/x", "/\\evil.example", "/\\/evil.example", "http://evil.example/",
     "/\n/evil.example", "//evil.example"],
)  # fmt: skip
def test_login_never_redirects_off_site_however_the_next_is_spelled(guarded, target):
    response = guarded.post("/login", data={"token": TOKEN, "next": unquote(target)})
    assert response.status_code == 303
    assert response.headers["Location"] == "/"


def test_failed_logins_are_throttled_per_address(guarded):
    for _ in range(5):
        assert guarded.post("/login", data={"token": "wrong"}).status_code == 401
    throttled = guarded.post("/login", data={"token": TOKEN})  # even the right token waits
    assert throttled.status_code == 429
    assert int(throttled.headers["Retry-After"]) > 0
    other = guarded.post("/login", data={"token": TOKEN}, environ_base={"REMOTE_ADDR": "10.9.8.7"})
    assert other.status_code == 303


def test_the_throttle_forgets_after_its_window():
    now = [0.0]
    failures = LoginFailures(clock=lambda: now[0])
    for _ in range(5):
        failures.record("a")
    assert failures.wait_seconds("a") == pytest.approx(FAILED_LOGIN_WINDOW)
    now[0] = FAILED_LOGIN_WINDOW + 1
    assert failures.wait_seconds("a") == 0


@pytest.mark.parametrize(("host", "status"), [("localhost:8080", 200), ("127.0.0.1:8080", 200), ("[::1]:8080", 200),
                                              ("evil.example:8080", 403), ("127.0.0.1.evil.example", 403)])  # fmt: skip
def test_without_a_token_only_loopback_names_are_answered(http, host, status):
    response = http.get("/api/v1/containers", headers={"Host": host})
    assert response.status_code == status
    if status == 403:
        assert "is not a loopback name" in response.json["message"]


def test_a_forged_report_from_a_rebound_page_is_refused(http):
    response = http.post("/api/report", json={}, headers={"Host": "evil.example"})
    assert response.status_code == 403
