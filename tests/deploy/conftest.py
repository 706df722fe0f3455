"""Deploy fixtures: a moto server per stack under test, and Terraform runs against it.

Every server listens on 127.0.0.1 on a free port, runs as the environment's account
(``MOTO_ACCOUNT_ID``) with AWS managed policies loaded, and is stopped by its PID.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import urllib.request
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from ports import free_port

ROOT = Path(__file__).resolve().parents[2]
LAUNCHER = Path(__file__).with_name("moto_launcher.py")
REGION = "eu-west-1"


@dataclass
class MotoServer:
    url: str
    pid: int
    account_id: str
    log: Path
    proc: subprocess.Popen = field(repr=False)

    def client(self, service: str, region: str = REGION):
        import boto3

        return boto3.client(service, endpoint_url=self.url, region_name=region, aws_access_key_id="test", aws_secret_access_key="test")

    def stop(self) -> None:
        if self.proc.poll() is None:
            os.kill(self.pid, signal.SIGTERM)
            try:
                self.proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                os.kill(self.pid, signal.SIGKILL)
                self.proc.wait(timeout=10)


def start_moto(account_id: str, log_dir: Path) -> MotoServer:
    port = free_port()
    log = log_dir / f"moto-{port}.log"
    env = dict(os.environ, MOTO_IAM_LOAD_MANAGED_POLICIES="true", MOTO_ACCOUNT_ID=account_id)
    with open(log, "wb") as out:
        proc = subprocess.Popen([sys.executable, str(LAUNCHER), "-H", "127.0.0.1", "-p", str(port)], env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True)
    server = MotoServer(f"http://127.0.0.1:{port}", proc.pid, account_id, log, proc)
    deadline = time.monotonic() + 60  # loading the managed IAM policies takes a few seconds
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"moto_server exited with {proc.returncode}:\n{log.read_text()}")
        try:
            urllib.request.urlopen(f"{server.url}/moto-api/", timeout=2).read()
            return server
        except OSError:
            time.sleep(0.3)
    server.stop()
    raise RuntimeError(f"moto_server did not answer on {server.url} within 60 s:\n{log.read_text()}")


@pytest.fixture(scope="module")
def moto_factory(tmp_path_factory: pytest.TempPathFactory):
    """``moto_factory(account_id)`` starts one more server; all are stopped at module end."""
    servers: list[MotoServer] = []
    log_dir = tmp_path_factory.mktemp("moto")

    def make(account_id: str) -> MotoServer:
        server = start_moto(account_id, log_dir)
        servers.append(server)
        return server

    yield make
    for server in servers:
        server.stop()


@pytest.fixture
def moto_server(moto_factory) -> MotoServer:
    """A fresh moto server (account 111111111111, the example's dev account)."""
    return moto_factory("111111111111")

