"""Container networking: bridge networks on pyroute2, IPAM, embedded DNS, published ports (kernel NAT).

The public surface is NetworkService (service.py) with the dataclasses of config.py and the views it answers
with (views.py); everything else is an implementation detail of this room.
"""

from runtime.network.config import NetworkConfig, Sandbox, SandboxSpec
from runtime.network.service import NetworkService
from runtime.network.views import ContainerNetworking, NetworkView

__all__ = ["ContainerNetworking", "NetworkConfig", "NetworkService", "NetworkView", "Sandbox", "SandboxSpec"]
