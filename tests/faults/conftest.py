"""The fault suite's machinery: its own redis-server, a real SMTP server (aiosmtpd), and real
`celery -A config worker` and `celery -A config beat` processes on the test database, with
short watchdog, sweeper and visibility settings so the whole suite takes a couple of minutes."""

import contextlib
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from email import message_from_bytes
from pathlib import Path

import pytest
from aiosmtpd.controller import Controller
from django.conf import settings as django_settings
from django.db import connection
from kombu import pools

from config.celery import app

REDIS_PORTS = range(6390, 6400)
SMTP_PORTS = range(8025, 8036)

# What the worker and beat run with. The watchdog's interval is JOB_WATCHDOG_SECONDS; a job is
# stale after JOB_STALE_AFTER: a stranded job is finished or failed within about 10 s.
FAST = {
    "JOB_STALE_AFTER": "6",
    "JOB_HEARTBEAT_SECONDS": "1",
    "JOB_WATCHDOG_SECONDS": "2",
    "OUTBOX_GRACE_SECONDS": "3",
    "OUTBOX_SWEEP_SECONDS": "2",
    "OUTBOX_SENDING_STALE_SECONDS": "6",
    "EMAIL_TIMEOUT": "3",
    "EMAIL_RETRY_DELAYS": "1,1,2,2,3,3,5,5",
    "TASK_DB_RETRY_BACKOFF_MAX": "2",
    "CELERY_VISIBILITY_TIMEOUT": "60",
    "CELERY_TASK_TIME_LIMIT": "50",
    "CELERY_TASK_SOFT_TIME_LIMIT": "45",
}


def wait_for(condition: Callable[[], bool], seconds: float, what: str) -> float:
    """Poll until `condition()`; returns the seconds it took, or fails saying what never came."""
    start = time.monotonic()
    while time.monotonic() - start < seconds:
        if condition():
            return time.monotonic() - start
        time.sleep(0.2)
    raise AssertionError(f"timed out after {seconds} s waiting for {what}")


def _free_port(ports: range) -> int:
    for port in ports:
        with socket.socket() as probe:
            try:
                probe.bind(("127.0.0.1", port))
            except OSError:
                continue
            return port
    raise RuntimeError(f"no free port in {ports}")


@dataclass
class RedisServer:
    """A redis-server of our own (never the shared one), stopped and started on purpose."""

    port: int
    folder: Path
    process: subprocess.Popen | None = None

    @property
    def url(self) -> str:
        return f"redis://127.0.0.1:{self.port}/0"

    def start(self) -> None:
        self.process = subprocess.Popen(  # noqa: S603 - the system's redis-server
            [shutil.which("redis-server") or "redis-server", "--port", str(self.port),
             "--bind", "127.0.0.1", "--save", "", "--appendonly", "no",
             "--dir", str(self.folder)],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )  # fmt: skip
        wait_for(self._answers, 10, f"redis-server on port {self.port}")

    def stop(self) -> None:
        if self.process and self.process.poll() is None:
            self.process.terminate()
            self.process.wait(10)

    def _answers(self) -> bool:
        try:
            with socket.create_connection(("127.0.0.1", self.port), timeout=0.5) as s:
                s.sendall(b"PING\r\n")
                return s.recv(16).startswith(b"+PONG")
        except OSError:
            return False


@dataclass
class Inbox:
    """What the SMTP server accepted: (recipient, Message-ID) per message."""

    received: list[tuple[str, str]] = field(default_factory=list)
    delay: float = 0.0
    lock: threading.Lock = field(default_factory=threading.Lock)

    async def handle_DATA(self, server, session, envelope):
        if self.delay:
            time.sleep(self.delay)  # a slow server, so a test can stop it between messages
        message = message_from_bytes(envelope.content)
        with self.lock:
            for to in envelope.rcpt_tos:
                self.received.append((to, message["Message-ID"]))
        return "250 Message accepted for delivery"

    def ids_by_recipient(self) -> dict[str, list[str]]:
        found: dict[str, list[str]] = {}
        with self.lock:
            for to, message_id in self.received:
                found.setdefault(to, []).append(message_id)
        return found


@dataclass
class SmtpServer:
    port: int
    inbox: Inbox
    controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(self.inbox, hostname="127.0.0.1", port=self.port)
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None


class Processes:
    """Celery worker and beat processes, each in its own process group (so that "kill the
    whole worker" kills its pool too), with logs kept in the test's folder."""

    def __init__(self, folder: Path, redis: RedisServer, smtp: SmtpServer) -> None:
        self.folder, self.redis, self.smtp = folder, redis, smtp
        self.running: list[subprocess.Popen] = []
        self.fault_dir = folder / "faults"
        self.fault_dir.mkdir()

    def env(self, fault: str) -> dict[str, str]:
        db = connection.settings_dict
        return {
            **os.environ,
            **FAST,
            "DJANGO_SETTINGS_MODULE": "config.settings",
            "DATABASE_URL": (
                f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}"
                f"/{db['NAME']}"
            ),
            "REDIS_URL": self.redis.url,
            "EMAIL_URL": f"smtp://127.0.0.1:{self.smtp.port}",
            "MEDIA_ROOT": str(django_settings.MEDIA_ROOT),
            "FAULT": fault,
            "FAULT_DIR": str(self.fault_dir),
            "LOG_LEVEL": "WARNING",
        }

    def _start(self, name: str, args: list[str], fault: str) -> subprocess.Popen:
        log = open(self.folder / f"{name}.log", "a")  # noqa: SIM115 - closed with the process
        process = subprocess.Popen(  # noqa: S603 - our own interpreter running celery
            [sys.executable, "-m", "celery", "-A", "config", *args],
            env=self.env(fault),
            cwd=django_settings.BASE_DIR,
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
        self.running.append(process)
        return process

    def worker(self, fault: str = "") -> subprocess.Popen:
        return self._start(
            f"worker-{len(self.running)}",
            ["worker", "--pool=prefork", "--concurrency=1", "--loglevel=WARNING",
             "--without-mingle", "--without-gossip", "-I", "tests.faults.hooks"],
            fault,
        )  # fmt: skip

    def beat(self) -> subprocess.Popen:
        return self._start(
            "beat",
            ["beat", "--loglevel=WARNING", "-s", str(self.folder / "beat-schedule")],
            "",
        )

    def marker(self, name: str) -> Path:
        return self.fault_dir / name

    @staticmethod
    def kill(process: subprocess.Popen) -> None:
        """SIGKILL the process and its whole group (main process and pool children)."""
        with contextlib.suppress(ProcessLookupError):
            os.killpg(process.pid, signal.SIGKILL)
        process.wait(10)

    def stop_all(self) -> None:
        for process in self.running:
            if process.poll() is None:
                self.kill(process)

    def logs(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text()[-3000:]}"
            for path in sorted(self.folder.glob("*.log"))
        )


@pytest.fixture
def redis_server(tmp_path) -> Iterator[RedisServer]:
    if not shutil.which("redis-server"):
        pytest.skip("needs redis-server (the fault suite starts and stops its own)")
    server = RedisServer(port=_free_port(REDIS_PORTS), folder=tmp_path)
    server.start()
    yield server
    server.stop()


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    server = SmtpServer(port=_free_port(SMTP_PORTS), inbox=Inbox())
    server.start()
    yield server
    server.stop()


@pytest.fixture
def broker(redis_server):
    """This test process queues to our redis-server, with the worker's short settings."""
    previous = (app.conf.broker_url, app.conf.task_always_eager, app.conf.broker_transport_options)
    app.conf.broker_url = redis_server.url
    app.conf.task_always_eager = False
    app.conf.broker_transport_options = {
        "visibility_timeout": int(FAST["CELERY_VISIBILITY_TIMEOUT"])
    }
    app._pool = None
    app.amqp._producer_pool = None
    yield app
    pools.reset()  # kombu's registry would hand the next test this test's (closed) pools
    app._pool = None
    app.amqp._producer_pool = None
    app.conf.broker_url, app.conf.task_always_eager, app.conf.broker_transport_options = previous


@pytest.fixture
def faults(transactional_db, broker, redis_server, smtp_server, settings, tmp_path, request):
    """Worker and beat processes (started by the test), our settings in this process too."""
    settings.MEDIA_ROOT = tmp_path / "media"
    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.EMAIL_HOST, settings.EMAIL_PORT = "127.0.0.1", smtp_server.port
    settings.EMAIL_USE_TLS = settings.EMAIL_USE_SSL = False
    settings.EMAIL_HOST_USER = settings.EMAIL_HOST_PASSWORD = ""
    for name, value in FAST.items():
        current = getattr(django_settings, name)
        if isinstance(current, list):
            setattr(settings, name, [int(v) for v in value.split(",")])
        else:
            setattr(settings, name, type(current)(value))
    processes = Processes(tmp_path, redis_server, smtp_server)
    yield processes
    processes.stop_all()
    if request.node.rep_call.failed if hasattr(request.node, "rep_call") else False:
        print(processes.logs())
    # The killed processes' database sessions end with them; make sure before the flush.
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )


@pytest.hookimpl(tryfirst=True, hookwrapper=True)
def pytest_runtest_makereport(item, call):
    outcome = yield
    report = outcome.get_result()
    setattr(item, f"rep_{report.when}", report)
