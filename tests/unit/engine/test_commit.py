"""docker commit's config merge (moby's daemon/commit.go merge): the request's fields win, the container's
complete them; env, ports, labels and volumes add up; an entrypoint given keeps its own (empty) command."""

from runtime.engine.commit import merge_config

CONTAINER = {
    "User": "app",
    "Env": ["PATH=/bin", "A=1"],
    "Cmd": ["run"],
    "Entrypoint": ["/entry"],
    "ExposedPorts": {"80/tcp": {}},
    "Labels": {"a": "1", "b": "1"},
    "Volumes": {"/data": {}},
    "WorkingDir": "/app",
    "StopSignal": "SIGINT",
    "Healthcheck": {"Test": ["CMD", "true"], "Interval": 5},
}


def test_empty_request_takes_the_container_config():
    merged = merge_config({}, CONTAINER)
    for key in ("User", "Env", "Cmd", "Entrypoint", "ExposedPorts", "Labels", "Volumes", "WorkingDir", "StopSignal"):
        assert merged[key] == CONTAINER[key], key


def test_request_fields_win_and_collections_add_up():
    merged = merge_config(
        {
            "Env": ["A=2", "B=3"],
            "ExposedPorts": {"443/tcp": {}},
            "Labels": {"b": "2"},
            "Volumes": {"/logs": {}},
            "Healthcheck": {"Retries": 3},
        },
        CONTAINER,
    )
    assert merged["Env"] == ["A=2", "B=3", "PATH=/bin"]
    assert merged["ExposedPorts"] == {"80/tcp": {}, "443/tcp": {}}
    assert merged["Labels"] == {"a": "1", "b": "2"}
    assert merged["Volumes"] == {"/logs": {}, "/data": {}}
    assert merged["Healthcheck"] == {"Test": ["CMD", "true"], "Interval": 5, "Retries": 3}


def test_an_entrypoint_in_the_request_keeps_its_command():
    merged = merge_config({"Entrypoint": ["/other"]}, CONTAINER)
    assert merged["Entrypoint"] == ["/other"] and merged.get("Cmd") is None
    merged = merge_config({"Cmd": ["mine"]}, CONTAINER)
    assert merged["Cmd"] == ["mine"] and merged["Entrypoint"] == ["/entry"]
