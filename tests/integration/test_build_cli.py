"""`docker build` (the CLI 28's legacy builder, POST /build) against porthole: every instruction, the image config
compared field by field with the Dockerfile, the layer cache (hit, miss after a change, --no-cache, after a
daemon restart), a failing RUN, multi-stage with --target and COPY --from, .dockerignore, ONBUILD, history."""

import json
import re
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.root


def write(directory: Path, files: dict[str, str]) -> Path:
    for name, text in files.items():
        path = directory / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text)
    return directory


def build(ph, context: Path, *args: str, check: bool = True):
    result = ph.docker("build", *args, str(context), timeout=180)
    if check:
        assert result.returncode == 0, result.stdout.decode() + result.stderr.decode()
    return result


def inspect(ph, name: str) -> dict:
    return json.loads(ph.docker("image", "inspect", name, check=True).stdout)[0]


def run(ph, image: str, *command: str) -> str:
    return ph.docker("run", "--rm", image, *command, check=True).stdout.decode()


EVERYTHING = """\
# syntax=docker/dockerfile:1
FROM busybox AS base
LABEL maintainer=me "two words"="a b"
MAINTAINER someone
ARG VERSION=1
ENV APP=/app \\
    V=$VERSION D=${UNSET:-dflt} P=${VERSION:+set}
WORKDIR $APP
COPY a.txt dir ./
COPY --chown=1000:1000 --chmod=0640 a.txt /owned/
ADD a.txt /x/
ADD archive.tar /unpacked/
RUN echo $V > v.txt && echo run-output
RUN ["/bin/sh", "-c", "echo exec-form > /exec.txt"]
EXPOSE 8080/tcp 53/udp
VOLUME ["/data"]
USER 1000:1000
STOPSIGNAL SIGINT
HEALTHCHECK --interval=5s --retries=2 CMD true
SHELL ["/bin/sh", "-xc"]
ONBUILD RUN echo child
ENTRYPOINT ["/bin/sh", "-c"]
CMD echo hi
"""


def test_every_instruction_shapes_the_image_config(ph, images_cleaned, tmp_path):
    import io
    import tarfile

    buffer = io.BytesIO()
    with tarfile.open(fileobj=buffer, mode="w") as tar:
        member = tarfile.TarInfo("inside/file.txt")
        member.size = 7
        tar.addfile(member, io.BytesIO(b"in tar\n"))
    (tmp_path / "archive.tar").write_bytes(buffer.getvalue())
    context = write(tmp_path, {"Dockerfile": EVERYTHING, "a.txt": "hello\n", "dir/sub/f": "deep\n"})
    result = build(ph, context, "-t", "every:1", "-t", "every:2", "--build-arg", "VERSION=3")
    out = result.stdout.decode()
    assert "Step 1/21 : FROM busybox AS base" in out
    assert re.search(r"Step 11/21 : RUN echo \$V > v.txt && echo run-output\n ---> Running in [0-9a-f]{12}\n", out)
    assert "run-output\n" in out
    assert re.search(r" ---> Step profile: wall [0-9.]+ s, CPU [0-9.]+ s, peak memory [0-9.]+ MB", out)
    assert re.search(r"Removing intermediate container [0-9a-f]{12}\n ---> [0-9a-f]{12}\n", out)
    assert re.search(
        r"Successfully built [0-9a-f]{12}\nSuccessfully tagged every:1\nSuccessfully tagged every:2\n", out
    )
    config = inspect(ph, "every:1")["Config"]
    assert config["Env"] == [
        "PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        "APP=/app",
        "V=3",
        "D=dflt",
        "P=set",
    ]
    assert config["Labels"] == {"maintainer": "me", "two words": "a b"}
    assert config["WorkingDir"] == "/app"
    assert config["ExposedPorts"] == {"53/udp": {}, "8080/tcp": {}}
    assert config["Volumes"] == {"/data": {}}
    assert config["User"] == "1000:1000"
    assert config["StopSignal"] == "SIGINT"
    assert config["Healthcheck"] == {"Test": ["CMD-SHELL", "true"], "Interval": 5_000_000_000, "Retries": 2}
    assert config["Shell"] == ["/bin/sh", "-xc"]
    assert config["OnBuild"] == ["RUN echo child"]
    assert config["Entrypoint"] == ["/bin/sh", "-c"]
    assert config["Cmd"] == ["/bin/sh", "-xc", "echo hi"]
    assert inspect(ph, "every:1")["Author"] == "someone"
    files = run(
        ph,
        "every:1",
        "cat /app/v.txt /app/a.txt /app/sub/f /x/a.txt /unpacked/inside/file.txt /exec.txt; "
        "stat -c '%u:%g %a' /owned/a.txt",
    )
    assert files == "3\nhello\ndeep\nhello\nin tar\nexec-form\n1000:1000 640\n"


def test_history_shows_each_step_as_docker_does(ph, images_cleaned, tmp_path):
    context = write(
        tmp_path,
        {"Dockerfile": 'FROM busybox\nARG V=2\nCOPY a.txt /a.txt\nRUN echo $V > /v\nCMD ["cat", "/v"]\n', "a.txt": "x"},
    )
    build(ph, context, "-t", "hist")
    rows = ph.docker("history", "--no-trunc", "--format", "{{.ID}}\t{{.CreatedBy}}\t{{.Size}}", "hist", check=True)
    lines = rows.stdout.decode().splitlines()
    created_by = [line.split("\t")[1] for line in lines]
    assert created_by[0] == '/bin/sh -c #(nop)  CMD ["cat" "/v"]'
    assert created_by[1] == "|1 V=2 /bin/sh -c echo $V > /v"
    assert re.fullmatch(r"/bin/sh -c #\(nop\) COPY file:[0-9a-f]{64} in /a.txt ", created_by[2])
    assert created_by[3] == "/bin/sh -c #(nop)  ARG V=2"
    assert lines[0].split("\t")[2] == "0B" and lines[1].split("\t")[2] == "2B"
    assert all(line.startswith("sha256:") for line in lines)  # every step's image is stored, as in Docker


def test_config_image_names_the_image_the_last_step_ran_on(ph, images_cleaned, tmp_path):
    build(ph, write(tmp_path, {"Dockerfile": "FROM busybox\nLABEL one=1\nRUN true\n"}), "-t", "stepped")
    built = inspect(ph, "stepped")
    assert built["Config"]["Image"] == built["Parent"] != ""
    assert inspect(ph, built["Parent"])["Config"]["Image"] == inspect(ph, "busybox")["Id"]


def test_a_built_image_has_no_comment_of_its_base(ph, images_cleaned, tmp_path):
    assert inspect(ph, "busybox")["Comment"] == "Imported from -"
    build(ph, write(tmp_path, {"Dockerfile": "FROM busybox\nLABEL one=1\n"}), "-t", "uncommented")
    assert inspect(ph, "uncommented")["Comment"] == ""


def test_expose_history_lists_the_ports_sorted_as_written(ph, images_cleaned, tmp_path):
    dockerfile = 'FROM busybox\nENV P="9 1"\nEXPOSE 80 443/udp 8080/tcp $P\n'
    build(ph, write(tmp_path, {"Dockerfile": dockerfile}), "-t", "exposed")
    top = ph.docker("history", "--no-trunc", "--format", "{{.CreatedBy}}", "exposed", check=True).stdout.decode()
    assert top.splitlines()[0] == "/bin/sh -c #(nop)  EXPOSE 9 1 443/udp 80 8080/tcp"  # $P sorts first, as Docker's
    assert set(inspect(ph, "exposed")["Config"]["ExposedPorts"]) == {"1/tcp", "9/tcp", "80/tcp", "443/udp", "8080/tcp"}


def test_build_with_a_tag_sends_dockers_tag_event(ph, client, images_cleaned, tmp_path):
    since = time.time()
    build(ph, write(tmp_path, {"Dockerfile": "FROM busybox\nLABEL z=1\n"}), "-t", "evented:1")
    events = client.events(since=since, until=time.time(), filters={"type": "image"}, decode=True)
    seen = [(e["Action"], e["Actor"]["ID"], e["Actor"]["Attributes"]) for e in events]
    assert seen == [("tag", inspect(ph, "evented:1")["Id"], {"name": "evented:1", "z": "1"})]


def test_cache_hits_misses_after_a_change_and_no_cache(ph, images_cleaned, tmp_path):
    dockerfile = "FROM busybox\nCOPY src/ /src/\nRUN ls /src > /list\nCOPY other.txt /\nRUN cat /list\n"
    context = write(tmp_path, {"Dockerfile": dockerfile, "src/a": "a", "src/b": "b", "other.txt": "o"})
    first = build(ph, context, "-t", "cached").stdout.decode()
    assert "Using cache" not in first
    second = build(ph, context, "-t", "cached").stdout.decode()
    assert second.count(" ---> Using cache") == 4 and "Running in" not in second
    (context / "other.txt").write_text("changed")
    third = build(ph, context, "-t", "cached").stdout.decode()
    assert third.count(" ---> Using cache") == 2  # COPY src/ and RUN ls hit; COPY other.txt and after re-run
    assert "Running in" in third.split("Step 4/5")[1]
    fourth = build(ph, context, "--no-cache", "-t", "cached").stdout.decode()
    assert "Using cache" not in fourth


def test_cache_survives_a_daemon_restart(ph, images_cleaned, tmp_path):
    context = write(tmp_path, {"Dockerfile": "FROM busybox\nRUN echo slow > /f\n"})
    build(ph, context, "-t", "restart-cache")
    ph.kill()
    ph.start()
    again = build(ph, context, "-t", "restart-cache").stdout.decode()
    assert " ---> Using cache" in again and "Running in" not in again


def test_failing_run_ends_with_its_exit_code_and_message(ph, images_cleaned, tmp_path):
    context = write(tmp_path, {"Dockerfile": "FROM busybox\nRUN echo before && exit 3\n"})
    result = build(ph, context, "-t", "fails", check=False)
    assert result.returncode != 0
    assert "before\n" in result.stdout.decode()
    assert "The command '/bin/sh -c echo before && exit 3' returned a non-zero code: 3" in result.stderr.decode()
    assert ph.docker("image", "inspect", "fails").returncode != 0


def test_multi_stage_target_and_copy_from(ph, images_cleaned, tmp_path):
    dockerfile = (
        "ARG BASE=busybox\n"
        "FROM $BASE AS builder\nRUN echo built > /artifact\n"
        "FROM scratch AS assets\nCOPY --from=builder /artifact /from-builder\n"
        "FROM busybox AS final\nCOPY --from=assets /from-builder /app/artifact\nCOPY --from=0 /artifact /again\n"
        'CMD ["cat", "/app/artifact", "/again"]\n'
        "FROM busybox AS unused\nRUN exit 1\n"
    )
    context = write(tmp_path, {"Dockerfile": dockerfile})
    build(ph, context, "--target", "final", "-t", "staged")
    assert ph.docker("run", "--rm", "staged", check=True).stdout == b"built\nbuilt\n"
    bad = build(ph, context, "--target", "nope", check=False)
    assert "failed to reach build target nope in Dockerfile" in bad.stderr.decode()


def test_dockerignore_keeps_files_out_of_the_context(ph, images_cleaned, tmp_path):
    context = write(
        tmp_path,
        {
            "Dockerfile": "FROM busybox\nCOPY . /ctx/\nRUN cd /ctx && find . -type f | sort\n",
            ".dockerignore": "*.log\nsecret/\n**/tmp\n!keep.log\n",
            "a.log": "x",
            "keep.log": "k",
            "secret/key": "k",
            "src/tmp/x": "t",
            "src/main.c": "m",
        },
    )
    out = build(ph, context, "-t", "ignored").stdout.decode()
    listed = [line for line in out.splitlines() if line.startswith("./")]
    assert listed == ["./.dockerignore", "./Dockerfile", "./keep.log", "./src/main.c"]


def test_a_dockerfile_and_dockerignore_the_dockerignore_lists_stay_out_of_copy(ph, images_cleaned, tmp_path):
    context = write(
        tmp_path,
        {
            "Dockerfile": "FROM busybox\nCOPY . /ctx/\nRUN cd /ctx && find . -type f | sort\n",
            ".dockerignore": "Dockerfile\n.dockerignore\n",
            "kept": "k",
        },
    )
    out = build(ph, context).stdout.decode()
    assert [line for line in out.splitlines() if line.startswith("./")] == ["./kept"]


def test_onbuild_triggers_run_in_the_child_build(ph, images_cleaned, tmp_path):
    parent = write(tmp_path / "p", {"Dockerfile": "FROM busybox\nONBUILD COPY marker /marker\nONBUILD RUN echo trig\n"})
    build(ph, parent, "-t", "onbuild-parent")
    child = write(tmp_path / "c", {"Dockerfile": 'FROM onbuild-parent\nCMD ["cat", "/marker"]\n', "marker": "m!"})
    out = build(ph, child, "-t", "onbuild-child").stdout.decode()
    assert "# Executing 2 build triggers" in out and "trig\n" in out
    after_triggers = inspect(ph, "onbuild-child")["Parent"][7:19]  # the image FROM's step ends with, as Docker
    assert out.index(f" ---> {after_triggers}\n") > out.index("trig\n") > out.index("Step 1/2 : FROM onbuild-parent")
    assert f" ---> {inspect(ph, 'onbuild-parent')['Id'][7:19]}\n" not in out
    assert ph.docker("run", "--rm", "onbuild-child", check=True).stdout == b"m!"
    assert inspect(ph, "onbuild-child")["Config"]["OnBuild"] is None


def test_a_stage_arg_without_a_default_takes_the_global_one(ph, images_cleaned, tmp_path):
    context = write(tmp_path, {"Dockerfile": 'ARG G=g1\nFROM busybox\nARG G\nLABEL g=$G\nRUN echo "G=[$G]"\n'})
    assert "G=[g1]\n" in build(ph, context, "-t", "global-arg").stdout.decode()
    assert inspect(ph, "global-arg")["Config"]["Labels"] == {"g": "g1"}
    assert "G=[given]\n" in build(ph, context, "--build-arg", "G=given").stdout.decode()


@pytest.mark.parametrize(
    "dockerfile, message",
    [
        ("FROM busybox\nFOOBAR x\n", "dockerfile parse error line 2: unknown instruction: FOOBAR"),
        ("FROM busybox\nCOPY\n", "dockerfile parse error line 2: COPY requires at least two arguments"),
        ("# only comment\n", "failed to parse Dockerfile: file with no instructions"),
        ("RUN true\n", "no build stage in current context"),
        ("FROM busybox\nCOPY ../outside /\n", "COPY failed: forbidden path outside the build context: ../outside ()"),
        ("FROM busybox\nCOPY nothere /\n", "COPY failed: file not found in build context or excluded by .dockerignore"),
        ("FROM busybox\nEXPOSE abc\n", "Invalid containerPort: abc"),
        ("FROM busybox\nENV A=${B\n", "missing ':' in substitution"),
        (
            "FROM busybox\nHEALTHCHECK --retries=0 CMD true\n",
            "dockerfile parse error line 2: --retries must be at least 1 (not 0)",
        ),
        ("FROM busybox\nHEALTHCHECK CMD\n", "dockerfile parse error line 2: Missing command after HEALTHCHECK CMD"),
        ("FROM busybox\nCOPY --from=0 /bin/sh /x\n", "invalid from flag value 0: refers to current build stage"),
        ("FROM busybox\nCOPY --from=1 /bin/sh /x\n", "invalid from flag value 1: index out of bounds"),
    ],
)
def test_bad_dockerfiles_fail_with_dockers_message(ph, images_cleaned, tmp_path, dockerfile, message):
    context = write(tmp_path, {"Dockerfile": dockerfile})
    result = build(ph, context, check=False)
    assert result.returncode != 0
    assert message in result.stderr.decode()
    assert ph.docker("ps", "-aq", check=True).stdout == b""


def test_a_bad_healthcheck_duration_fails_before_any_step(ph, images_cleaned, tmp_path):
    context = write(tmp_path, {"Dockerfile": "FROM busybox\nRUN echo ran\nHEALTHCHECK --interval=xx CMD true\n"})
    result = build(ph, context, check=False)
    assert result.returncode == 1
    assert 'dockerfile parse error line 3: time: invalid duration "xx"' in result.stderr.decode()
    assert b"Step 1/3" not in result.stdout


def test_the_shell_form_of_volume_and_copy_splits_at_whitespace_alone(ph, images_cleaned, tmp_path):
    build(ph, write(tmp_path / "v", {"Dockerfile": 'FROM busybox\nVOLUME /data ["/data2"]\n'}), "-t", "volumes")
    assert inspect(ph, "volumes")["Config"]["Volumes"] == {"/data": {}, "[/data2]": {}}
    refused = build(ph, write(tmp_path / "c", {"Dockerfile": 'FROM busybox\nCOPY "a b" /x\n', "a b": "x"}), check=False)
    assert refused.returncode == 1
    assert "unexpected end of statement while looking for matching double-quote" in refused.stderr.decode()


def test_quiet_prints_only_the_image_id(ph, images_cleaned, tmp_path):
    context = write(tmp_path, {"Dockerfile": "FROM busybox\nRUN echo noisy\n"})
    out = build(ph, context, "-q", "-t", "quiet").stdout.decode()
    assert re.fullmatch(r"sha256:[0-9a-f]{64}\n", out)
    assert inspect(ph, "quiet")["Id"] == out.strip()


def test_label_flag_and_file_flag(ph, images_cleaned, tmp_path):
    context = write(tmp_path, {"other.Dockerfile": "FROM busybox\nENV X=1\nLABEL a=1\n"})
    out = build(
        ph, context, "-f", str(context / "other.Dockerfile"), "--label", "c=$X", "--label", "b=2 'x'", "-t", "labelled"
    ).stdout.decode()
    assert inspect(ph, "labelled")["Config"]["Labels"] == {"a": "1", "b": "2 'x'", "c": "$X"}
    assert "Step 4/5 : LABEL b=2 'x'\n" in out and "Step 5/5 : LABEL c=$X\n" in out  # one step each, as Docker
