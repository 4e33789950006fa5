"""Network state on disk under `<data-root>/network/`, one JSON file per object, written atomically.

networks/<network id>.json      NetworkRecord
ipam/<network id>.json          the network's address allocations (ipam.AddressPool)
containers/<container id>.json  ContainerRecord: attachments, and live endpoints while running
"""

import json
from pathlib import Path

from runtime.atomicfile import read_json, write_json_atomic
from runtime.errors import HostError
from runtime.network.records import ContainerRecord, NetworkRecord


class NetworkStore:
    def __init__(self, data_root: Path) -> None:
        self.root = data_root / "network"
        self.networks_dir = self.root / "networks"
        self.ipam_dir = self.root / "ipam"
        self.containers_dir = self.root / "containers"
        for directory in (self.networks_dir, self.ipam_dir, self.containers_dir):
            directory.mkdir(parents=True, exist_ok=True, mode=0o700)

    def ipam_path(self, network_id: str) -> Path:
        return self.ipam_dir / f"{network_id}.json"

    def load_networks(self) -> list[NetworkRecord]:
        return [NetworkRecord.from_json(data) for data in self._load_all(self.networks_dir)]

    def save_network(self, record: NetworkRecord) -> None:
        write_json_atomic(self.networks_dir / f"{record.id}.json", record.to_json())

    def delete_network(self, network_id: str) -> None:
        (self.networks_dir / f"{network_id}.json").unlink(missing_ok=True)
        self.ipam_path(network_id).unlink(missing_ok=True)

    def load_containers(self) -> list[ContainerRecord]:
        return [ContainerRecord.from_json(data) for data in self._load_all(self.containers_dir)]

    def save_container(self, record: ContainerRecord) -> None:
        write_json_atomic(self.containers_dir / f"{record.container_id}.json", record.to_json())

    def delete_container(self, container_id: str) -> None:
        (self.containers_dir / f"{container_id}.json").unlink(missing_ok=True)

    @staticmethod
    def _load_all(directory: Path) -> list[dict]:
        records = []
        for path in sorted(directory.glob("*.json")):
            try:
                records.append(read_json(path))
            except (OSError, json.JSONDecodeError) as exc:
                raise HostError(f"network: state file {path}: unreadable: {exc}") from exc
        return records
