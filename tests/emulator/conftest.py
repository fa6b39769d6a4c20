"""Fixtures for the DRS emulator tests.

How the processes and patches meet (checked with moto 5.2.5 / botocore 1.44.5):

* ``moto.mock_aws()`` patches botocore in this process: STS and EC2 clients created without an
  ``endpoint_url`` are answered in-process by moto.
* The ``drs`` client is an unmodified ``boto3.client("drs", endpoint_url=<emulator>)`` with the
  production retry settings. Its requests go to ``http://127.0.0.1:<port>``; moto's botocore stubber
  only claims URLs that match its AWS URL patterns, so this request is not intercepted and reaches the
  emulator's werkzeug server over a real socket.
* The emulator runs in the same process and uses moto's in-process EC2 backends directly, so the
  recovery instances it launches are what ``ec2.describe_instances`` returns, and STS-assumed access
  keys resolve to their account through ``moto.iam.models.get_account_id_from``.

``mock_aws`` is module-scoped (with ``MOTO_EC2_LOAD_DEFAULT_AMIS=false`` so EC2 backends build fast); every
test gets a fresh
emulator seeded with the default fleet on a frozen clock (speed 0) that tests move with ``advance``.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable, Iterator
from typing import Any

import boto3
import pytest
from botocore.config import Config
from emu_support import KEYS, PRODUCTION_RETRIES, START
from moto import mock_aws

from drs_emulator import Emulator, EmulatorClock, ServerHandle, serve


@pytest.fixture(scope="module")
def aws() -> Iterator[None]:
    warnings.filterwarnings("ignore", category=UserWarning, module="moto")
    with pytest.MonkeyPatch.context() as patch:
        # moto builds ~1,300 default AMIs per EC2 backend (about 0.45 s each); the emulator does not need them
        patch.setenv("MOTO_EC2_LOAD_DEFAULT_AMIS", "false")
        with mock_aws():
            yield


@pytest.fixture
def emu(aws: None) -> Iterator[Emulator]:
    emulator = Emulator(clock=EmulatorClock(speed=0, start=START))
    emulator.load_default_fleet()
    yield emulator
    emulator.reset(terminate_instances=True)


@pytest.fixture
def server(emu: Emulator) -> Iterator[ServerHandle]:
    handle = serve(emu)
    yield handle
    handle.stop()


@pytest.fixture
def make_drs(server: ServerHandle) -> Callable[..., Any]:
    def _make(
        region: str = "us-east-1", credentials: dict[str, str] | None = None, config: Config | None = None
    ) -> Any:
        creds = credentials or KEYS
        return boto3.client(
            "drs", region_name=region, endpoint_url=server.url, config=config or PRODUCTION_RETRIES, **creds
        )

    return _make


@pytest.fixture
def drs(make_drs: Callable[..., Any]) -> Any:
    return make_drs()


@pytest.fixture
def ec2(aws: None) -> Any:
    return boto3.client("ec2", region_name="us-east-1", **KEYS)
