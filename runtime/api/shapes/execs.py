"""Docker's JSON shape of an exec instance (GET /exec/{id}/json)."""

from typing import Any

from runtime.engine.execs import ExecInstance


def exec_inspect(instance: ExecInstance) -> dict[str, Any]:
    cfg = instance.config
    return {
        "ID": instance.id,
        "ContainerID": instance.container.id,
        "Running": instance.running,
        "ExitCode": instance.exit_code,
        "Pid": instance.pid,
        "OpenStdin": bool(cfg.get("AttachStdin")),
        "OpenStdout": bool(cfg.get("AttachStdout")),
        "OpenStderr": bool(cfg.get("AttachStderr")),
        "CanRemove": False,
        "DetachKeys": cfg.get("DetachKeys") or "",
        "ProcessConfig": {
            "tty": instance.tty,
            "entrypoint": cfg["Cmd"][0],
            "arguments": cfg["Cmd"][1:],
            "privileged": bool(cfg.get("Privileged")),
            "user": cfg.get("User") or "",
        },
    }
