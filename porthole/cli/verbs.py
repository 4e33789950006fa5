"""The registry of `porthole` verbs: every spelling, its one-line summary, and where its flags and its work are.
Nothing here imports a verb's module; `main` imports only the one being run."""

from porthole.cli.command import USAGE_STATUS, Verb

MANAGEMENT_GROUPS = {
    "container": "Manage containers",
    "image": "Manage images",
    "volume": "Manage volumes",
    "network": "Manage networks",
}


def _verb(names: tuple[str, ...], summary: str, module: str, arguments: str, run: str, **options: object) -> Verb:
    """`module` is a module of porthole.cli (or a full dotted path); `arguments` may name another one's function
    as "module:function"."""
    where = module if "." in module else f"porthole.cli.{module}"
    flags = f"porthole.cli.{arguments}" if ":" in arguments else f"{where}:{arguments}"
    return Verb(names, summary, flags, f"{where}:{run}", **options)  # type: ignore[arg-type]


VERBS = (
    # containers
    _verb(
        ("run", "container run"),
        "Create and run a new container from an image",
        "running",
        "runflags:add_run_arguments",
        "run",
        daemon_error_status=USAGE_STATUS,
        add_help=False,
    ),
    _verb(
        ("create", "container create"),
        "Create a new container",
        "running",
        "runflags:add_create_arguments",
        "create",
        daemon_error_status=USAGE_STATUS,
        add_help=False,
    ),
    _verb(("ps", "container ls"), "List containers", "containers", "add_ps_arguments", "ps"),
    _verb(
        ("inspect",),
        "Show low-level information on containers, images, networks or volumes",
        "containers",
        "add_generic_inspect_arguments",
        "inspect",
    ),
    _verb(
        ("container inspect",),
        "Show low-level information on containers",
        "containers",
        "add_inspect_arguments",
        "container_inspect",
    ),
    _verb(("port", "container port"), "List a container's published ports", "containers", "add_port_arguments", "port"),
    _verb(("top", "container top"), "Show a container's processes", "containers", "add_top_arguments", "top"),
    _verb(("start", "container start"), "Start stopped containers", "lifecycle", "add_container_names", "start"),
    _verb(("stop", "container stop"), "Stop running containers", "lifecycle", "add_stop_arguments", "stop"),
    _verb(("restart", "container restart"), "Restart containers", "lifecycle", "add_restart_arguments", "restart"),
    _verb(("kill", "container kill"), "Kill running containers", "lifecycle", "add_kill_arguments", "kill"),
    _verb(
        ("pause", "container pause"), "Freeze the processes of containers", "lifecycle", "add_container_names", "pause"
    ),
    _verb(
        ("unpause", "container unpause"),
        "Thaw the processes of containers",
        "lifecycle",
        "add_container_names",
        "unpause",
    ),
    _verb(("rm", "container rm"), "Remove containers", "lifecycle", "add_rm_arguments", "rm"),
    _verb(
        ("wait", "container wait"),
        "Wait for containers to stop and print their exit codes",
        "lifecycle",
        "add_container_names",
        "wait",
    ),
    _verb(
        ("exec", "container exec"),
        "Run a command in a running container",
        "lifecycle",
        "add_exec_arguments",
        "exec_",
    ),
    _verb(
        ("attach", "container attach"),
        "Attach to a running container's input and output",
        "attach",
        "add_attach_arguments",
        "attach",
    ),
    _verb(("logs", "container logs"), "Show a container's output", "logs", "add_logs_arguments", "logs"),
    _verb(("stats", "container stats"), "Show containers' resource use", "stats", "add_stats_arguments", "stats"),
    # images
    _verb(("images", "image ls"), "List images", "images", "add_images_arguments", "images"),
    _verb(
        ("image inspect",),
        "Show low-level information on images",
        "images",
        "containers:add_inspect_arguments",
        "image_inspect",
    ),
    _verb(("history", "image history"), "Show the history of an image", "images", "add_history_arguments", "history"),
    _verb(("tag", "image tag"), "Give an image another name", "images", "add_tag_arguments", "tag"),
    _verb(("rmi", "image rm"), "Remove images", "images", "add_rmi_arguments", "rmi"),
    _verb(
        ("import", "image import"),
        "Import a root filesystem tar as an image",
        "imagetransfer",
        "add_import_arguments",
        "import_",
    ),
    _verb(
        ("load", "image load"),
        "Load images from a `docker save` or OCI tar",
        "imagetransfer",
        "add_load_arguments",
        "load",
    ),
    _verb(("save", "image save"), "Save images to a tar", "imagetransfer", "add_save_arguments", "save"),
    _verb(
        ("busybox-rootfs",),
        "Write a busybox root filesystem tar (from the host's busybox-static) for "
        "`porthole import -c 'CMD [\"sh\"]' - busybox`",
        "imagetransfer",
        "add_busybox_arguments",
        "busybox_rootfs",
    ),
    # volumes and networks
    _verb(("volume create",), "Create a volume", "volumes", "add_create_arguments", "create"),
    _verb(("volume ls",), "List volumes", "volumes", "add_ls_arguments", "ls"),
    _verb(
        ("volume inspect",),
        "Show low-level information on volumes",
        "volumes",
        "containers:add_inspect_arguments",
        "inspect",
    ),
    _verb(("volume rm",), "Remove volumes", "volumes", "add_rm_arguments", "rm"),
    _verb(("volume prune",), "Remove unused volumes", "volumes", "add_prune_arguments", "prune"),
    _verb(("network create",), "Create a network", "networks", "add_create_arguments", "create"),
    _verb(("network ls",), "List networks", "networks", "add_ls_arguments", "ls"),
    _verb(
        ("network inspect",),
        "Show low-level information on networks",
        "networks",
        "containers:add_inspect_arguments",
        "inspect",
    ),
    _verb(("network rm",), "Remove networks", "networks", "add_rm_arguments", "rm"),
    _verb(("network prune",), "Remove unused networks", "networks", "add_prune_arguments", "prune"),
    _verb(("network connect",), "Connect a container to a network", "networks", "add_connect_arguments", "connect"),
    _verb(
        ("network disconnect",),
        "Disconnect a container from a network",
        "networks",
        "add_disconnect_arguments",
        "disconnect",
    ),
    # system
    _verb(("version",), "Show the client's and the daemon's versions", "system", "add_no_arguments", "version"),
    _verb(("info",), "Show system-wide information", "system", "add_no_arguments", "info"),
    _verb(("events",), "Show the daemon's events as they happen", "system", "add_events_arguments", "events"),
    # services: programs of their own, run(args) with args.host the global -H
    _verb(("daemon",), "Run the engine (as root)", "porthole.serve.daemon", "add_arguments", "run", service=True),
    _verb(
        ("exporter",),
        "Serve the containers' cAdvisor-named metrics for Prometheus",
        "porthole.serve.exporter",
        "add_arguments",
        "run",
        service=True,
    ),
    _verb(
        ("sd",),
        "Write Prometheus file-SD targets for every host of a cluster store",
        "porthole.serve.sd",
        "add_arguments",
        "run",
        service=True,
    ),
    _verb(
        ("web",),
        "Serve the dashboard and the topology map for the containers of -H",
        "porthole.serve.web",
        "add_arguments",
        "run",
        service=True,
    ),
)
