"""A throwaway PostgreSQL server on 127.0.0.1 for tests: TLS only over TCP (like
``rds.force_ssl``), SCRAM passwords, and a master user that is *not* a superuser
(``CREATEROLE CREATEDB``, like the RDS master user).

The server binaries come from the machine (``./dev setup`` installs Debian's
``postgresql`` when they are missing). As root, the server runs as the
``postgres`` (or ``nobody``) user, since PostgreSQL refuses to run as root.
"""

from __future__ import annotations

import glob
import os
import pwd
import secrets
import shutil
import signal
import subprocess
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

from ports import free_port

MASTER_USER = "infraplan_admin"


def server_bindir() -> Path | None:
    """Folder of initdb/postgres: from PATH, or Debian's /usr/lib/postgresql/<major>/bin."""
    found = shutil.which("initdb")
    if found and shutil.which("postgres"):
        return Path(found).resolve().parent
    candidates = sorted(glob.glob("/usr/lib/postgresql/*/bin/initdb"), key=lambda p: int(p.split("/")[4]))
    return Path(candidates[-1]).parent if candidates else None


@dataclass
class PostgresServer:
    root: Path
    port: int
    master_password: str
    proc: subprocess.Popen = field(repr=False)

    def env(self, user: str = MASTER_USER, password: str | None = None, database: str = "postgres") -> dict[str, str]:
        """libpq environment for a TLS connection as ``user``."""
        return {
            **os.environ,
            "PGHOST": "127.0.0.1",
            "PGPORT": str(self.port),
            "PGUSER": user,
            "PGPASSWORD": self.master_password if password is None else password,
            "PGDATABASE": database,
            "PGSSLMODE": "require",
            "PGCONNECT_TIMEOUT": "5",
        }

    def psql(self, sql: str, *, user: str = MASTER_USER, password: str | None = None, database: str = "postgres", check: bool = True) -> subprocess.CompletedProcess:
        proc = subprocess.run(
            ["psql", "--no-psqlrc", "-X", "-A", "-t", "-v", "ON_ERROR_STOP=1", "-c", sql], env=self.env(user, password, database), capture_output=True, text=True, timeout=30
        )
        if check and proc.returncode != 0:
            raise AssertionError(f"psql as {user} on {database} failed: {proc.stderr}")
        return proc

    def stop(self) -> None:
        if self.proc.poll() is None:
            self.proc.send_signal(signal.SIGINT)  # fast shutdown
            try:
                self.proc.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.proc.kill()
                self.proc.wait(timeout=10)
        shutil.rmtree(self.root, ignore_errors=True)


def start_postgres() -> PostgresServer:
    bindir = server_bindir()
    if bindir is None:
        raise RuntimeError("PostgreSQL server binaries not found; run ./dev setup (it installs Debian's postgresql)")
    root = Path(tempfile.mkdtemp(prefix="infraplan-pg-"))
    data, run = root / "data", root / "run"
    run.mkdir()
    preexec = None
    if os.geteuid() == 0:
        user = next((u for u in ("postgres", "nobody") if _has_user(u)), None)
        if user is None:
            raise RuntimeError("running as root and no 'postgres' or 'nobody' user to run PostgreSQL as")
        pw = pwd.getpwnam(user)
        for path in (root, run):
            os.chown(path, pw.pw_uid, pw.pw_gid)
        os.chmod(root, 0o700)

        def drop_root() -> None:  # in the child only
            os.setgid(pw.pw_gid)
            os.setgroups([])
            os.setuid(pw.pw_uid)

        preexec = drop_root

    superuser_password = secrets.token_hex(16)
    pwfile = root / "pw"
    pwfile.write_text(superuser_password + "\n")
    if os.geteuid() == 0:
        os.chown(pwfile, pw.pw_uid, pw.pw_gid)
    _run([str(bindir / "initdb"), "-D", str(data), "-U", "postgres", "--auth=scram-sha-256", f"--pwfile={pwfile}", "--encoding=UTF8", "--no-instructions"], preexec)
    _run(
        ["openssl", "req", "-new", "-x509", "-days", "1", "-nodes", "-subj", "/CN=127.0.0.1", "-keyout", str(data / "server.key"), "-out", str(data / "server.crt")],
        preexec,
    )
    os.chmod(data / "server.key", 0o600)
    # TLS only over TCP, as rds.force_ssl = 1 makes RDS; the local socket is for the superuser setup.
    (data / "pg_hba.conf").write_text("local all postgres scram-sha-256\nhostssl all all 127.0.0.1/32 scram-sha-256\nhostnossl all all 0.0.0.0/0 reject\n")
    port = free_port()
    proc = subprocess.Popen(
        [str(bindir / "postgres"), "-D", str(data), "-c", "listen_addresses=127.0.0.1", "-c", f"port={port}", "-c", f"unix_socket_directories={run}", "-c", "ssl=on", "-c", "fsync=off"],
        stdout=subprocess.DEVNULL,
        stderr=open(root / "server.log", "wb"),
        preexec_fn=preexec,
        start_new_session=True,
    )
    master_password = secrets.token_hex(16)
    superuser = {**os.environ, "PGHOST": str(run), "PGPORT": str(port), "PGUSER": "postgres", "PGPASSWORD": superuser_password, "PGDATABASE": "postgres"}
    deadline = time.monotonic() + 30
    while True:
        ready = subprocess.run(["psql", "-X", "-c", "select 1"], env=superuser, capture_output=True, text=True)
        if ready.returncode == 0:
            break
        if proc.poll() is not None or time.monotonic() > deadline:
            log = (root / "server.log").read_text(errors="replace")
            proc.kill()
            shutil.rmtree(root, ignore_errors=True)
            raise RuntimeError(f"PostgreSQL did not start: {ready.stderr}\n{log}")
        time.sleep(0.2)
    # The RDS master user: not a superuser; may create roles and databases.
    created = subprocess.run(
        ["psql", "-X", "-v", "ON_ERROR_STOP=1", "-v", f"pw={master_password}"],
        input=f"CREATE ROLE {MASTER_USER} LOGIN CREATEROLE CREATEDB NOSUPERUSER PASSWORD :'pw';\n",
        env=superuser,
        capture_output=True,
        text=True,
    )
    if created.returncode != 0:
        proc.kill()
        raise RuntimeError(f"could not create the master user: {created.stderr}")
    return PostgresServer(root, port, master_password, proc)


def _has_user(name: str) -> bool:
    try:
        pwd.getpwnam(name)
        return True
    except KeyError:
        return False


def _run(cmd: list[str], preexec) -> None:
    proc = subprocess.run(cmd, capture_output=True, text=True, preexec_fn=preexec)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:2])} failed: {proc.stderr}")
