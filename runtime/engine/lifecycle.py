"""The container state machine: start, stop, kill, restart, pause, unpause, remove, exits and restart
policies. Each container's transitions are serialized by its own lock; waiting (for an exit, a stop timeout, a
removal) happens outside it, on the StateWatch that every state change notifies.

What the kernel is asked to do comes first, its record second: a signal, an exit, a freeze happen whatever the
disk says, and a record that cannot be written (a full disk) is kept in memory and written by DeferredWork once
space returns. The same goes for the cleanup after an exit (cgroup, network): a failure is retried, and done
again before the container's next start. Only a create fails on a full disk, and it leaves nothing."""

import logging
import signal
import threading
import time
from collections.abc import Callable
from dataclasses import replace

from common import rfc3339
from logdrivers.errors import LogDriverError
from logdrivers.registry import Registry
from runtime.atomicfile import read_json
from runtime.cgroups import CgroupManager, Resources
from runtime.engine.config import DaemonConfig
from runtime.engine.deferred import DeferredWork
from runtime.engine.events import EventBus
from runtime.engine.exits import ExitMonitor
from runtime.engine.exitsamples import ExitSamples
from runtime.engine.health import HealthMonitor
from runtime.engine.isolation import mount_shared_shm, plan_isolation
from runtime.engine.launch import (
    Layout,
    build_spec,
    cgroup_for,
    give_etc_files,
    is_cgroup_v2,
    prepare_cgroup,
    shim_log_config,
)
from runtime.engine.model import CREATED, DEAD, EXITED, PAUSED, REMOVING, RESTARTING, RUNNING, Container
from runtime.engine.namespace_modes import remapping_of
from runtime.engine.networking import ContainerNetworks
from runtime.engine.restart import RestartPolicy, RestartTimers
from runtime.engine.shims import ShimLauncher, StartFailed
from runtime.engine.signals import is_alive, parse_signal, send_signal
from runtime.engine.statewatch import StateWatch
from runtime.engine.store import ContainerStore
from runtime.engine.upkeep import Upkeep
from runtime.engine.volume_mounts import ContainerVolumes
from runtime.errors import (
    Conflict,
    EngineError,
    HostError,
    InsufficientStorage,
    InvalidParameter,
    NotFound,
    NotModified,
)
from runtime.network import Sandbox
from runtime.security import SecurityPolicy
from runtime.shim.init import exit_code_for

DEFAULT_STOP_TIMEOUT = 10

log = logging.getLogger("porthole.engine")


class Lifecycle:
    def __init__(
        self,
        config: DaemonConfig,
        store: ContainerStore,
        shims: ShimLauncher,
        monitor: ExitMonitor,
        events: EventBus,
        sandboxes: ContainerNetworks,
        log_registry: Registry,
        security: SecurityPolicy,
        remove_files: Callable[[Container, bool], None],
        *,
        volume_mounts: ContainerVolumes,
        exit_samples: ExitSamples | None = None,
        deferred: DeferredWork | None = None,  # records and cleanups the host refuses, retried (a full disk)
    ) -> None:
        self._config = config
        self._exit_samples = exit_samples  # final counters of the containers a build step runs
        self._security = security
        self._log_registry = log_registry
        self._store = store
        self._shims = shims
        self._monitor = monitor
        self._events = events
        self._sandboxes = sandboxes
        self._volume_mounts = volume_mounts  # volumes that are mounts: mounted at start, unmounted at exit
        self._remove_files = remove_files  # volumes and records, after the process is gone
        self._locks: dict[str, threading.RLock] = {}
        self._locks_guard = threading.Lock()
        self.watch = StateWatch()
        self._restarting_by_hand: set[str] = set()  # their exit in a `restart` is not the end of a --rm
        self._timers = RestartTimers()
        self._upkeep = Upkeep(config, store, sandboxes, deferred or DeferredWork(), self.watch, self.lock)
        self.health = HealthMonitor(config, security, shims, events, self._upkeep, self.lock)

    # -- bookkeeping ------------------------------------------------------------------------------------
    def lock(self, container: Container) -> threading.RLock:
        with self._locks_guard:
            return self._locks.setdefault(container.id, threading.RLock())

    def _save(self, container: Container) -> None:
        self._upkeep.save_state(container)

    def _volume_events(self, container: Container, action: str) -> None:
        """moby's volume `mount` at a container's start and `unmount` at its exit, one per volume it mounts."""
        for m in container.mounts:
            if m["type"] != "volume":
                continue
            attributes = {"driver": m.get("driver") or "local", "container": container.id}
            if action == "mount":
                attributes.update(destination=m["destination"], propagation="", **{"read/write": str(m["rw"]).lower()})
            self._events.publish("volume", action, m["name"], **attributes)

    def event(self, container: Container, action: str, **extra: str) -> None:
        """A container event with Docker's attributes (image, name, labels, and `extra`)."""
        self._events.publish_container(container, action, **extra)

    # -- start --------------------------------------------------------------------------------------------
    def start(self, container: Container) -> None:
        with self.lock(container):
            status = container.state.status
            if status == PAUSED:
                raise Conflict("cannot start a paused container, try unpause instead")
            if status == RUNNING:
                raise NotModified("Container already started")
            if status in (REMOVING, DEAD):
                raise Conflict("container is marked for removal and cannot be started")
            self._cancel_restart(container)
            container.state.manually_stopped = False
            try:
                self._launch(container)
                return
            except (EngineError, LogDriverError) as e:  # the API maps either to its status (runtime.api.errors)
                error = e
        if container.host_config.get("AutoRemove"):  # as moby: a --rm container that failed to start goes
            self.remove(container, force=True, volumes=True)
        raise error

    def _launch(self, container: Container) -> None:
        """Start the process now; on failure everything prepared is undone and the reason is recorded."""
        if self.watch.is_removed(container):  # a start that raced a removal must not leave an orphan running
            raise NotFound(f"No such container: {container.id}")
        link_env = self._sandboxes.link_environment(container)  # first: a linked container that is down is a 400
        log_config = shim_log_config(container, self._log_registry)  # before anything is made that needs undoing
        self._upkeep.release_pending(container)
        layout = Layout(self._config, container.id)
        layout.exec_dir.mkdir(mode=0o700, parents=True, exist_ok=True)
        layout.exit_path.unlink(missing_ok=True)
        isolation = plan_isolation(
            container, self._store.get, self._config.init_path, is_cgroup_v2(self._config), self._config.exec_dir
        )
        resources = replace(Resources.from_host_config(container.host_config), device_rules=isolation.device_rules)
        cgroup, _ = prepare_cgroup(self._config, container.id, resources)
        volumes_attached = False
        try:
            mount_shared_shm(container, layout.exec_dir)
            self._volume_mounts.attach(container)  # undoes itself when it fails
            volumes_attached = True
            sandbox = self._sandboxes.plan(container)
            spec = build_spec(self._config, container, cgroup, sandbox, log_config, self._security, isolation, link_env)
            spec.write(layout.spec_path)
            # The network is made while the shim starts: joining a v1 cgroup sleeps for an RCU grace
            # period (~15 ms here), and the container's init does it first, then waits for the network.
            started = self._shims.start_container(
                layout.spec_path, spec.terminal, lambda: self._make_network(container, sandbox)
            )
        except StartFailed as e:
            self._upkeep.release(container)
            if volumes_attached:
                self._volume_mounts.detach(container)
            self._record_failure(container, str(e))
            raise (InvalidParameter if exit_code_for(str(e)) != 125 else HostError)(str(e)) from None
        except BaseException as e:
            self._upkeep.release(container)
            if volumes_attached:
                self._volume_mounts.detach(container)
            if isinstance(e, EngineError) or not isinstance(e, Exception) or InsufficientStorage.covers(e):
                raise  # a full disk answers 507 naming the file, which the client can act on
            # An error no step expects is still a failed start: recorded (which ends the waits of `docker run`,
            # and lets start remove a --rm container) and answered as Docker answers a runtime's failure, a 500.
            message = f"failed to start container: {e}"
            log.exception("container %s: %s", container.short_id, message)  # its traceback, for the bug it is
            self._record_failure(container, message)
            raise HostError(message) from e
        state = container.state
        state.status, state.pid, state.pid_starttime, state.shim_pid = (
            RUNNING,
            started.pid,
            started.starttime,
            started.shim_pid,
        )
        state.started_at, state.finished_at = rfc3339.now(), rfc3339.NEVER
        state.exit_code, state.error, state.oom_killed = 0, "", False
        self._save(container)
        self._volume_events(container, "mount")
        self.event(container, "start")
        self._monitor.watch(started.shim_pid, lambda: self._on_shim_exit(container))
        self.health.watch(container)

    def _make_network(self, container: Container, sandbox: Sandbox) -> None:
        self._sandboxes.create(container)
        give_etc_files(sandbox, remapping_of(container.host_config, self._config.userns_remap))

    def _record_failure(self, container: Container, message: str) -> None:
        state = container.state
        state.status, state.pid, state.shim_pid = (CREATED if state.started_at == rfc3339.NEVER else EXITED), 0, 0
        state.exit_code, state.error = exit_code_for(message), message
        self.watch.record_exit(container)  # ends attach and next-exit waits
        self._save(container)

    # -- exit and restart policies ----------------------------------------------------------------------
    def _on_shim_exit(self, container: Container) -> None:
        layout = Layout(self._config, container.id)
        with self.lock(container):
            if container.state.status not in (RUNNING, PAUSED):
                return
            self.health.forget(container)
            cgroup = cgroup_for(self._config, container.id)
            try:
                record = read_json(layout.exit_path)
                exit_code, finished_ns = record["exit_code"], record["finished_at_ns"]
                error = ""
            except FileNotFoundError:
                exit_code, finished_ns = 255, time.time_ns()
                error = "porthole: the shim exited without recording the container's exit status"
            state = container.state
            state.oom_killed = _oom_killed(cgroup, container)
            if self._exit_samples is not None:
                self._exit_samples.take(container.id, cgroup)
            # before the exit is recorded, so that a waiter who hears of it finds the network free; a failure
            # is retried (DeferredWork) and never keeps the exit from being recorded. Hence the network's
            # disconnect comes before the die (moby's die comes first, with its state recorded: here the die
            # cannot precede the state, nor the state the release)
            self._upkeep.release(container)
            self._volume_mounts.detach(container)  # each failure is logged: an exit is never refused
            ran_for = (finished_ns / 1e9) - (rfc3339.unix_seconds(state.started_at) or 0.0)
            state.status, state.pid, state.shim_pid = EXITED, 0, 0
            state.exit_code, state.error, state.finished_at = exit_code, error, rfc3339.format_ns(finished_ns)
            self.watch.record_exit(container)
            if state.oom_killed:
                self.event(container, "oom")
            self.event(container, "die", exitCode=str(exit_code))
            self._volume_events(container, "unmount")  # after the die, as moby's Cleanup follows it
            policy = RestartPolicy.from_host_config(container.host_config)
            if policy.should_restart(exit_code, state.restart_count, state.manually_stopped):
                state.status = RESTARTING
                self._save(container)
                self._timers.schedule(container.id, ran_for, lambda turn: self._restart_now(container, turn))
                return
            self._save(container)
            # decided under the lock: a `restart` marks the container before its stop and unmarks it after
            # its start, so the mark cannot be gone while this exit is being handled
            auto_remove = container.host_config.get("AutoRemove") and container.id not in self._restarting_by_hand
        if auto_remove:
            self.remove(container, force=True, volumes=True)

    def _restart_now(self, container: Container, turn: object) -> None:
        with self.lock(container):
            if not self._timers.claim(container.id, turn) or container.state.status != RESTARTING:
                return
            container.state.restart_count += 1
            try:
                self._launch(container)
            except Exception as e:  # noqa: BLE001 - the failure is recorded in the state; try again later
                container.state.status = EXITED
                container.state.error = str(e)
                self._save(container)
                return
            self.event(container, "restart")

    def _cancel_restart(self, container: Container) -> None:
        self._timers.cancel(container.id)
        if container.state.status == RESTARTING:
            container.state.status = EXITED
            self._save(container)

    # -- stop, kill, restart ------------------------------------------------------------------------------
    def _signal(self, container: Container, signum: int) -> None:
        state = container.state
        send_signal(state.pid, state.pid_starttime, signum)
        if state.status == PAUSED:  # a frozen task handles no signal until it is thawed
            cgroup_for(self._config, container.id).freeze(False)
            state.status = RUNNING
            self._save(container)

    def _kill_hard(self, container: Container) -> None:
        """SIGKILL, told as moby's `kill` event (signal=9) of a stop past its timeout or an `rm -f`."""
        self._signal(container, signal.SIGKILL)
        self.event(container, "kill", signal=str(int(signal.SIGKILL)))

    def _exited(self, container: Container) -> Callable[[], bool]:
        return lambda: container.state.status not in (RUNNING, PAUSED)

    def stop(self, container: Container, timeout: int | None = None, signum: int | None = None) -> None:
        with self.lock(container):
            if container.state.status == RESTARTING:
                container.state.manually_stopped = True
                self._cancel_restart(container)
                return
            if not container.state.live:
                raise NotModified("Container already stopped")
            if timeout is None:
                timeout = container.config.get("StopTimeout") or DEFAULT_STOP_TIMEOUT
            stop_signal = signum or _stop_signal(container)
            container.state.manually_stopped = True  # the exit handler waits for this lock: it sees the flag
            self._signal(container, stop_signal)
            self._save(container)
            self.event(container, "kill", signal=str(stop_signal))
        # a negative timeout waits as long as the process takes, as in moby
        if not self.watch.wait_until(self._exited(container), None if timeout < 0 else timeout):
            with self.lock(container):
                if container.state.live:
                    self._kill_hard(container)
            self.watch.wait_until(self._exited(container), None)
        self.event(container, "stop")

    def kill(self, container: Container, signum: int) -> None:
        """Send `signum`; for SIGKILL, reply once the exit is recorded, as moby does (so that an inspect or an
        `rm` right after a `docker kill` finds the container exited)."""
        with self.lock(container):
            if not container.state.live:
                raise Conflict(f"Container {container.id} is not running")
            container.state.manually_stopped = True  # the exit handler waits for this lock: it sees the flag
            self._signal(container, signum)
            self._save(container)
            self.event(container, "kill", signal=str(signum))
        if signum == signal.SIGKILL:
            self.watch.wait_until(self._exited(container), None)

    def restart(self, container: Container, timeout: int | None = None) -> None:
        self._restarting_by_hand.add(container.id)
        try:
            with self.lock(container):
                self._cancel_restart(container)  # this restart supersedes a policy restart still waiting
                live = container.state.live
            if live:
                try:
                    self.stop(container, timeout)
                except NotModified:  # it exited on its own meanwhile
                    pass
            with self.lock(container):
                self._cancel_restart(container)  # one its exit may have scheduled before the stop
                container.state.manually_stopped = False
                if not container.state.live:  # else a policy restart won the lock: it runs anew already
                    self._launch(container)
        finally:
            self._restarting_by_hand.discard(container.id)
        self.event(container, "restart")

    # -- pause ------------------------------------------------------------------------------------------
    def pause(self, container: Container) -> None:
        with self.lock(container):
            if container.state.status == PAUSED:
                raise Conflict(f"Container {container.id} is already paused")
            if container.state.status != RUNNING:
                raise Conflict(f"Container {container.id} is not running")
            cgroup_for(self._config, container.id).freeze(True)
            container.state.status = PAUSED
            self._save(container)
            self.event(container, "pause")

    def unpause(self, container: Container) -> None:
        with self.lock(container):
            if container.state.status != PAUSED:
                raise Conflict(f"Container {container.id} is not paused")
            cgroup_for(self._config, container.id).freeze(False)
            container.state.status = RUNNING
            self._save(container)
            self.event(container, "unpause")

    # -- remove and wait --------------------------------------------------------------------------------
    def remove(self, container: Container, *, force: bool, volumes: bool) -> None:
        with self.lock(container):
            if self.watch.is_removed(container):
                return
            if container.state.status == RESTARTING and not force:
                raise Conflict(
                    f"You cannot remove a restarting container {container.id}. Stop the container before "
                    "attempting removal or force remove"
                )
            if container.state.live and not force:
                raise Conflict(
                    f"You cannot remove a running container {container.id}. Stop the container before "
                    "attempting removal or force remove"
                )
            self._cancel_restart(container)
            if container.state.live:
                container.state.manually_stopped = True
                self._kill_hard(container)
        self.watch.wait_until(self._exited(container), None)
        with self.lock(container):
            if self.watch.is_removed(container):
                return
            container.state.status = REMOVING
            self._save(container)
            try:
                self._remove_files(container, volumes)
            except OSError as e:
                raise self._removal_failed(container, e) from e
            self.watch.record_removal(container)
            self.event(container, "destroy")

    def _removal_failed(self, container: Container, error: OSError) -> HostError:
        """As moby's SetRemovalError: the container stays, dead, until an `rm` succeeds. Its records are
        written again, since the failed deletion may have taken them and a restarted daemon must still see it."""
        container.state.status = DEAD
        container.state.error = f"unable to remove filesystem for {container.id}: {error}"
        self._upkeep.save_config(container)
        self._save(container)
        return HostError(container.state.error)

    # -- daemon start -----------------------------------------------------------------------------------
    def restore(self, container: Container) -> None:
        """Re-attach to a container's shim after a daemon restart, or record the exit that happened while
        the daemon was away; then bring back what the restart policy says should run."""
        state = container.state
        if state.status in (RUNNING, PAUSED) and is_alive(state.pid, state.pid_starttime):
            self._upkeep.reconcile_pause(container)
            self._monitor.watch(state.shim_pid, lambda: self._on_shim_exit(container))
            self.health.watch(container, fresh=False)
            return
        if state.status in (RUNNING, PAUSED):
            self._on_shim_exit(container)  # records the exit code the shim wrote, applies the policy
            return
        # not running by its record: a cgroup or sandbox it holds was left by a cleanup that failed, or by a
        # start whose record the daemon never wrote (killed in between); its process, if any, goes with it
        self._upkeep.release(container)
        if state.status == REMOVING:  # the daemon went in the middle of an `rm`: what is left waits for another
            state.status = DEAD
            self._save(container)
        if state.status == RESTARTING:
            state.status = EXITED
            self._save(container)
        policy = RestartPolicy.from_host_config(container.host_config)
        # a restart that was pending when the daemon went (RESTARTING) is decided here again
        if state.status == EXITED and policy.starts_with_daemon(
            state.exit_code, state.restart_count, state.manually_stopped
        ):
            state.manually_stopped = False  # started again: the policy holds from here on, as after `start`
            try:
                self._launch(container)
            except Exception as e:  # noqa: BLE001 - recorded in the state; the daemon keeps starting
                state.error = str(e)
                self._save(container)

    def close(self) -> None:
        self._timers.close()
        self.health.close()


def _oom_killed(cgroup: CgroupManager, container: Container) -> bool:
    try:
        return cgroup.oom_kills() > 0
    except (OSError, EngineError) as e:  # the exit is recorded all the same, without the flag
        log.warning("porthole: container %s: OOM kills unreadable at exit: %s", container.id, e)
        return False


def _stop_signal(container: Container) -> int:
    return parse_signal(container.config.get("StopSignal"), default=signal.SIGTERM)
