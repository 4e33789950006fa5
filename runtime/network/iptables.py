"""The iptables binary (nf_tables backend), on the host or inside a container's namespace via nsenter.

`-w` waits for the xtables lock, which other daemons or tests on the host may hold for a moment.
"""

import subprocess
from collections.abc import Sequence
from pathlib import Path

from runtime.errors import HostError
from runtime.network.firewall_rules import ChainNames, Jump, base_jumps

_WAIT = ("-w", "10")


class Iptables:
    def __init__(self, netns: Path | None = None) -> None:
        self.netns = netns

    def _command(self, argv: Sequence[str]) -> list[str]:
        if self.netns is None:
            return list(argv)
        return ["nsenter", f"--net={self.netns}", "--", *argv]

    def _run(self, argv: Sequence[str], stdin: str | None = None, check: bool = True) -> int:
        try:
            done = subprocess.run(
                self._command(argv), input=stdin, capture_output=True, text=True, timeout=60, check=False
            )
        except (OSError, subprocess.TimeoutExpired) as exc:
            raise HostError(f"network: iptables {' '.join(argv[:4])}: cannot run: {exc}") from exc
        if check and done.returncode != 0:
            where = f" in {self.netns}" if self.netns else ""
            raise HostError(f"network: {' '.join(argv)}{where}: {done.stderr.strip() or done.returncode}")
        return done.returncode

    def restore(self, rules: str, noflush: bool = True) -> None:
        """Load iptables-restore input atomically per table."""
        self._run(["iptables-restore", *_WAIT, *(["--noflush"] if noflush else [])], stdin=rules)

    def has_rule(self, table: str, chain: str, args: Sequence[str]) -> bool:
        return self._run(["iptables", *_WAIT, "-t", table, "-C", chain, *args], check=False) == 0

    def ensure_jump(self, jump: Jump) -> None:
        if not self.has_rule(jump.table, jump.chain, jump.args):
            where = ["-I", jump.chain, "1"] if jump.insert else ["-A", jump.chain]
            self._run(["iptables", *_WAIT, "-t", jump.table, *where, *jump.args])

    def delete_jump(self, jump: Jump) -> None:
        while self.has_rule(jump.table, jump.chain, jump.args):
            self._run(["iptables", *_WAIT, "-t", jump.table, "-D", jump.chain, *jump.args])

    def chain_exists(self, table: str, chain: str) -> bool:
        return self._run(["iptables", *_WAIT, "-t", table, "-S", chain], check=False) == 0

    def flush_chain(self, table: str, chain: str) -> None:
        if self.chain_exists(table, chain):
            self._run(["iptables", *_WAIT, "-t", table, "-F", chain])

    def delete_chain(self, table: str, chain: str) -> None:
        if self.chain_exists(table, chain):
            self._run(["iptables", *_WAIT, "-t", table, "-F", chain])
            self._run(["iptables", *_WAIT, "-t", table, "-X", chain])


def remove_host_chains(iptables: Iptables, chains: ChainNames) -> None:
    """Undo everything the room ever put in the host's tables: jumps first, then the (emptied) chains."""
    for jump in base_jumps(chains):
        iptables.delete_jump(jump)
    for table, names in chains.host_chains().items():
        for chain in names:  # flush all before deleting any: a chain still referenced cannot be deleted
            iptables.flush_chain(table, chain)
        for chain in names:
            iptables.delete_chain(table, chain)
