"""`docker run` and `docker create` + `start` flags, driven by one client and checked with the other."""

import docker
import pytest

from tests.support.waiting import wait_for

pytestmark = pytest.mark.root


def _out(result) -> str:
    assert result.returncode == 0, result.stderr.decode()
    return result.stdout.decode()


def test_env_workdir_hostname_and_user_reach_the_process(ph):
    out = _out(
        ph.docker(
            "run",
            "--rm",
            "-e",
            "FOO=bar",
            "-e",
            "EMPTY=",
            "-w",
            "/srv/app",
            "-h",
            "box1",
            "-u",
            "1000:1000",
            "busybox",
            "sh",
            "-c",
            'echo "$FOO|$EMPTY|$(pwd)|$(hostname)|$(id)"',
        )
    )
    assert out == "bar||/srv/app|box1|uid=1000 gid=1000 groups=1000\n"


def test_supplementary_groups_start_with_the_primary_gid_as_dockers_do(ph):
    assert _out(ph.docker("run", "--rm", "busybox", "id")) == "uid=0(root) gid=0(root) groups=0(root),10(wheel)\n"
    # a group given with -u: no memberships read from /etc/group, as runc
    assert _out(ph.docker("run", "--rm", "-u", "root:staff", "busybox", "id", "-G")) == "50\n"
    ph.docker("run", "-d", "--name", "grouped", "busybox", "sleep", "60", check=True)
    assert _out(ph.docker("exec", "-u", "nobody", "grouped", "id", "-G")) == "65534\n"
    assert _out(ph.docker("exec", "grouped", "id", "-G")) == "0 10\n"


def test_user_by_name_is_looked_up_in_the_containers_passwd(ph):
    out = _out(
        ph.docker("run", "--rm", "-u", "nobody", "busybox", "sh", "-c", 'echo "$(id -un) $(id -u) $(id -g) $HOME"')
    )
    assert out == "nobody 65534 65534 /home\n"


def test_unknown_user_fails_with_dockers_message(ph):
    result = ph.docker("run", "--rm", "-u", "nosuchuser", "busybox", "true")
    assert result.returncode != 0
    assert b"unable to find user nosuchuser" in result.stderr


def test_default_environment_has_path_hostname_and_home(ph):
    out = _out(ph.docker("run", "--rm", "-h", "envhost", "busybox", "env"))
    env = dict(line.split("=", 1) for line in out.splitlines())
    assert env["PATH"] == "/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin"
    assert env["HOSTNAME"] == "envhost"
    assert env["HOME"] == "/root"


def test_a_terminal_gets_term_xterm_in_run_and_exec_as_in_docker(ph):
    """moby's CreateDaemonEnvironment adds TERM=xterm for -t, before the container's own Env (which may replace it)."""

    def term_of(*argv: str) -> list[str]:
        output = _out(ph.docker(*argv)).replace("\r\n", "\n")
        return [line for line in output.splitlines() if line.startswith("TERM=")]

    assert term_of("run", "--rm", "-t", "busybox", "env") == ["TERM=xterm"]
    assert term_of("run", "--rm", "busybox", "env") == []
    assert term_of("run", "--rm", "-t", "-e", "TERM=vt100", "busybox", "env") == ["TERM=vt100"]
    ph.docker("run", "-d", "--name", "term-exec", "busybox", "sleep", "60", check=True)
    assert term_of("exec", "-t", "term-exec", "env") == ["TERM=xterm"]
    assert term_of("exec", "term-exec", "env") == []


def test_a_variable_the_client_has_not_set_is_unset_in_run_and_exec(ph, monkeypatch):
    for name in ("UNSET_IN_CLIENT", "FOO", "HOSTNAME"):
        monkeypatch.delenv(name, raising=False)
    # the CLI sends each as a bare key: moby removes it, a default (HOSTNAME) included, rather than setting it empty
    out = _out(ph.docker("run", "--rm", "-e", "UNSET_IN_CLIENT", "-e", "HOSTNAME", "busybox", "env"))
    keys = [line.partition("=")[0] for line in out.splitlines()]
    assert keys == ["PATH", "HOME"]
    ph.docker("run", "-d", "--name", "env-exec", "-e", "FOO=bar", "busybox", "sleep", "60", check=True)
    assert "FOO=bar" in _out(ph.docker("exec", "env-exec", "env")).splitlines()
    out = _out(ph.docker("exec", "-e", "FOO", "-e", "UNSET_IN_CLIENT", "env-exec", "env"))
    assert [line for line in out.splitlines() if line.startswith(("FOO", "UNSET_IN_CLIENT"))] == []


def test_entrypoint_replaces_the_command_and_takes_the_run_args(ph, client):
    out = _out(ph.docker("run", "--name", "ep", "--entrypoint", "echo", "busybox", "one", "two"))
    assert out == "one two\n"
    attrs = client.containers.get("ep").attrs
    assert attrs["Path"] == "echo"
    assert attrs["Args"] == ["one", "two"]
    assert attrs["Config"]["Entrypoint"] == ["echo"]
    assert attrs["Config"]["Cmd"] == ["one", "two"]


def test_labels_given_to_the_cli_are_seen_by_docker_py(ph, client):
    ph.docker("create", "--name", "labelled", "-l", "tier=web", "-l", "team=ops", "busybox", "true", check=True)
    assert client.containers.get("labelled").labels == {"tier": "web", "team": "ops"}


def test_detached_run_prints_the_full_id_and_names_the_container(ph, client):
    cid = _out(ph.docker("run", "-d", "--name", "named", "busybox", "sleep", "30")).strip()
    assert len(cid) == 64 and all(c in "0123456789abcdef" for c in cid)
    container = client.containers.get("named")
    assert container.id == cid
    assert container.status == "running"
    assert container.name == "named"


def test_generated_names_are_unique_and_valid(ph, client):
    names = {client.containers.create("busybox", ["true"]).name for _ in range(5)}
    assert len(names) == 5
    for name in names:
        assert ph.docker("inspect", name).returncode == 0


def test_create_leaves_the_container_created_until_start(ph, client):
    cid = _out(ph.docker("create", "--name", "later", "busybox", "sh", "-c", "echo started")).strip()
    container = client.containers.get(cid)
    assert container.status == "created"
    assert container.attrs["State"]["StartedAt"] == "0001-01-01T00:00:00Z"
    assert container.attrs["State"]["Pid"] == 0
    container.start()
    assert container.wait(timeout=10)["StatusCode"] == 0
    assert container.logs() == b"started\n"
    assert ph.docker("inspect", "-f", "{{.State.Status}}", "later").stdout == b"exited\n"


def test_docker_start_attached_prints_output(ph):
    ph.docker("create", "--name", "attach-me", "busybox", "echo", "hello", check=True)
    result = ph.docker("start", "-a", "attach-me")
    assert result.returncode == 0
    assert result.stdout == b"hello\n"


def test_rm_flag_removes_the_container_after_a_detached_exit(ph, client):
    cid = _out(ph.docker("run", "-d", "--rm", "busybox", "sh", "-c", "sleep 0.2")).strip()

    def gone() -> bool:
        try:
            client.containers.get(cid)
        except docker.errors.NotFound:
            return True
        return False

    wait_for(gone, 10, what="the --rm container to be removed")
    assert ph.docker("ps", "-aq").stdout == b""


def test_rm_flag_removes_a_container_whose_command_is_missing(ph):
    result = ph.docker("run", "--rm", "busybox", "no-such-binary")
    assert result.returncode == 127
    assert ph.docker("ps", "-aq").stdout == b""


def test_docker_py_run_detached_with_options_is_seen_by_the_cli(ph, client):
    container = client.containers.run(
        "busybox",
        ["sleep", "30"],
        detach=True,
        name="pyrun",
        environment={"A": "1"},
        working_dir="/tmp",
        hostname="pyhost",
        user="nobody",
        labels={"k": "v"},
    )
    fmt = '{{.Config.Hostname}} {{.Config.User}} {{.Config.WorkingDir}} {{index .Config.Labels "k"}}'
    assert _out(ph.docker("inspect", "-f", fmt, "pyrun")) == "pyhost nobody /tmp v\n"
    assert "A=1" in client.api.inspect_container(container.id)["Config"]["Env"]
    assert (
        _out(ph.docker("exec", "pyrun", "sh", "-c", "echo $A $(id -u) $(pwd) $(hostname)")) == "1 65534 /tmp pyhost\n"
    )


def test_exit_code_of_a_failing_command_is_reported_by_run_and_wait(ph, client):
    assert ph.docker("run", "--name", "fails", "busybox", "sh", "-c", "exit 42").returncode == 42
    assert client.containers.get("fails").wait(timeout=5)["StatusCode"] == 42
    assert _out(ph.docker("wait", "fails")) == "42\n"


def test_workdir_is_created_when_missing(ph):
    assert _out(ph.docker("run", "--rm", "-w", "/a/b/c", "busybox", "pwd")) == "/a/b/c\n"


def test_two_containers_have_separate_writable_layers(ph):
    ph.docker("run", "--name", "writer", "busybox", "sh", "-c", "echo mine > /etc/mark", check=True)
    result = ph.docker("run", "--rm", "busybox", "cat", "/etc/mark")
    assert result.returncode == 1
    assert b"No such file" in result.stderr
    ph.docker("start", "-a", "writer", check=True)  # the first container's layer survives its exit
    assert ph.docker("ps", "-a", "--filter", "name=writer", "-q").stdout.strip() != b""


def test_volumes_from_a_missing_container_is_a_400_and_no_pull(ph, client):
    result = ph.docker("run", "--rm", "--volumes-from", "noctr", "busybox", "true")
    assert result.returncode == 125
    assert result.stderr.startswith(b"docker: Error response from daemon: No such container: noctr\n")
    assert b"Unable to find image" not in result.stderr  # a 404 made the CLI try a pull
    with pytest.raises(docker.errors.APIError) as refused:
        client.containers.create("busybox", ["true"], volumes_from=["noctr"])
    assert refused.value.status_code == 400
