"""Container networking: bridge networks on pyroute2, IPAM, embedded DNS, published ports (kernel NAT).

The public surface is NetworkService (service.py) with the dataclasses of config.py; everything else is an
implementation detail of this room.
"""

from runtime.network.config import NetworkConfig, Sandbox, SandboxSpec
from runtime.network.service import NetworkService

__all__ = ["NetworkConfig", "NetworkService", "Sandbox", "SandboxSpec"]
