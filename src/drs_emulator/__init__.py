"""A stateful AWS Elastic Disaster Recovery (``drs``) emulator speaking the real rest-json wire
protocol from botocore's service model, with recovery instances that are real moto EC2 instances.

Test and local-stack only: production code never imports this package.

>>> from drs_emulator import Emulator, EmulatorClock, serve
>>> emu = Emulator(clock=EmulatorClock(speed=0))          # doctest: +SKIP
>>> emu.load_default_fleet()                             # inside moto (mock_aws or moto.server)
>>> handle = serve(emu)                                  # AWS_ENDPOINT_URL_DRS = handle.url
"""

from .clock import EmulatorClock
from .emulator import Emulator, account_for_access_key, emulated_operations
from .errors import DrsError
from .fleet import DEFAULT_FLEET, FleetError, load_fleet_file
from .ids import server_id_for
from .server import ServerHandle, serve
from .state import Conventions, Quotas, Timings
from .wsgi import make_app

__all__ = [
    "DEFAULT_FLEET",
    "Conventions",
    "DrsError",
    "Emulator",
    "EmulatorClock",
    "FleetError",
    "Quotas",
    "ServerHandle",
    "Timings",
    "account_for_access_key",
    "emulated_operations",
    "load_fleet_file",
    "make_app",
    "serve",
    "server_id_for",
]
