"""Real services on loopback for fault tests: a redis-server of the test's own (so it can be killed and started
again, and no other test shares its queues), Celery workers started and killed as processes, and this test
process's Celery app pointed at that Redis for the duration of a test."""

import os
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
import redis
from django.db import connection
from django.test import override_settings

from npqel.celery import app as celery_app
from npqel.settings.base import redis_caches

ROOT = Path(__file__).resolve().parents[2]


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def wait_for(condition: Callable[[], object], seconds: float, step: float = 0.1) -> bool:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(step)
    return bool(condition())


class RedisServer:
    """`redis-server` on a free loopback port, keeping nothing on disk: killed, it forgets everything, as a
    Redis without persistence does."""

    def __init__(self) -> None:
        self.port = free_port()
        self.url = f"redis://127.0.0.1:{self.port}/0"
        self.process: subprocess.Popen[bytes] | None = None
        self.directory = tempfile.mkdtemp(prefix="npqel-redis-")

    def start(self) -> None:
        self.process = subprocess.Popen(
            [
                "redis-server",
                "--port",
                str(self.port),
                "--bind",
                "127.0.0.1",
                "--save",
                "",
                "--appendonly",
                "no",
                "--dir",
                self.directory,
            ],
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        if not wait_for(self.answers, seconds=10):
            self.kill()
            pytest.fail(f"redis-server did not start on port {self.port}")

    def kill(self) -> None:
        """SIGKILL: Redis gone at once, as when its machine is lost."""
        if self.process is not None and self.process.poll() is None:
            self.process.kill()
            self.process.wait(timeout=10)
        self.process = None

    def answers(self) -> bool:
        try:
            with self.client(timeout=0.2) as client:
                return bool(client.ping())
        except redis.RedisError:
            return False

    def client(self, timeout: float = 2.0) -> redis.Redis:
        return redis.Redis.from_url(self.url, socket_connect_timeout=timeout, socket_timeout=timeout)

    def queued(self, queue: str) -> int:
        """Messages waiting on `queue`."""
        with self.client() as client:
            return int(client.llen(queue))

    def unacked(self) -> dict[bytes, float]:
        """Messages a worker has taken and not acknowledged, with when each was taken (kombu's Redis transport
        keeps them in the `unacked` hash, timed in `unacked_index`)."""
        with self.client() as client:
            return dict(client.zrange("unacked_index", 0, -1, withscores=True))

    def idle(self, queue: str) -> bool:
        """Nothing waiting on the queue and nothing taken but unacknowledged (twice, a moment apart: a message
        leaves the queue a moment before it is noted as taken)."""
        for attempt in range(2):
            if self.queued(queue) or self.unacked():
                return False
            if not attempt:
                time.sleep(0.3)
        return True


def test_database_url() -> str:
    db = connection.settings_dict
    return f"postgres://{db['USER']}:{db['PASSWORD'] or ''}@{db['HOST']}:{db['PORT']}/{db['NAME']}"


class Worker:
    """A `celery worker` process (solo pool: one process, as one worker machine) on the default queue of
    `broker` (a Redis of the test's own, so no other test's worker shares it), with the settings a deployment
    has (npqel.settings.local with DATABASE_URL and REDIS_URL: tasks not eager, the cache on Redis), in the
    test database."""

    def __init__(self, *, broker: RedisServer, env: dict[str, str] | None = None) -> None:
        self.name = f"npqel-test-{uuid.uuid4().hex[:8]}@{os.uname().nodename}"
        self.log = tempfile.NamedTemporaryFile(prefix="npqel-worker-", suffix=".log", delete=False)  # noqa: SIM115
        self.process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "npqel",
                "worker",
                "-n",
                self.name,
                "--pool=solo",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
            ],
            cwd=ROOT,
            env={
                **os.environ,
                "DJANGO_SETTINGS_MODULE": "npqel.settings.local",
                "DATABASE_URL": test_database_url(),
                "REDIS_URL": broker.url,
                **(env or {}),
            },
            stdout=self.log,
            stderr=subprocess.STDOUT,
        )

    def alive(self) -> bool:
        return self.process.poll() is None

    def output(self) -> str:
        return Path(self.log.name).read_text(errors="replace")

    def kill(self) -> None:
        """SIGKILL: no warm shutdown, so nothing is handed back to Redis; what it had taken stays unacknowledged."""
        if self.alive():
            self.process.send_signal(signal.SIGKILL)
        self.process.wait(timeout=10)

    def stop(self) -> None:
        if self.alive():
            self.process.terminate()
            try:
                self.process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=10)
        self.log.close()
        Path(self.log.name).unlink(missing_ok=True)


# Fixtures, registered under their names by importing the *_fixture functions into a test module.


@pytest.fixture(name="broker")
def broker_fixture() -> Iterator[RedisServer]:
    """A Redis of this test's own, started; killed afterwards whatever happened."""
    server = RedisServer()
    server.start()
    try:
        yield server
    finally:
        server.kill()
        shutil.rmtree(server.directory, ignore_errors=True)


@pytest.fixture(name="start_worker")
def start_worker_fixture(broker: RedisServer, celery_on_broker: str) -> Iterator[Callable[..., Worker]]:
    """start_worker(**env) → a new worker process on this test's queue and Redis; every one is stopped afterwards."""
    started: list[Worker] = []

    def start(**env: str) -> Worker:
        worker = Worker(broker=broker, env=env)
        started.append(worker)
        return worker

    try:
        yield start
    finally:
        for worker in started:
            worker.stop()


@pytest.fixture(name="celery_on_broker")
def celery_on_broker_fixture(broker: RedisServer) -> Iterator[str]:
    """This process's Celery app sends to `broker`, and not eagerly; the Django settings (cache, health page)
    point at the same Redis. Yields the name of the queue jobs go to (the default one)."""
    with use_redis(broker.url):
        yield celery_app.conf.task_default_queue


@contextmanager
def use_redis(url: str) -> Iterator[None]:
    conf = celery_app.conf
    saved = (conf.broker_url, conf.task_always_eager)
    conf.broker_url, conf.task_always_eager = url, False
    _forget_broker_connections()
    try:
        with override_settings(
            REDIS_URL=url, CELERY_BROKER_URL=url, CELERY_TASK_ALWAYS_EAGER=False, CACHES=redis_caches(url)
        ):
            yield
    finally:
        conf.broker_url, conf.task_always_eager = saved
        _forget_broker_connections()


def _forget_broker_connections() -> None:
    # Celery keeps its pools of broker connections (and of producers on them) once made; dropped here, the
    # next send connects to the broker_url now set. (What Celery itself does after a fork: app._after_fork.)
    celery_app._pool = None
    celery_app.amqp._producer_pool = None


def blocked_backends(lock: str) -> list[int]:
    """Other sessions of this test database waiting for `lock`: a table's name, or "advisory" for any advisory
    lock. (From pg_locks: pg_stat_activity's copy of a long statement is cut short.)"""
    condition = "l.locktype = 'advisory'" if lock == "advisory" else "l.relation = %s::regclass"
    with connection.cursor() as cursor:
        # Within a transaction PostgreSQL keeps showing the first view of pg_stat_activity unless told to forget it.
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT a.pid FROM pg_locks l JOIN pg_stat_activity a ON a.pid = l.pid "  # noqa: S608
            f"WHERE NOT l.granted AND a.datname = current_database() AND {condition}",
            [] if lock == "advisory" else [lock],
        )
        return [row[0] for row in cursor.fetchall()]


def activity() -> list[tuple[object, ...]]:
    """Every other session of this test database: what it runs and what it waits for (for failure messages)."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_stat_clear_snapshot()")
        cursor.execute(
            "SELECT pid, state, wait_event_type, wait_event, left(query, 120) FROM pg_stat_activity "
            "WHERE datname = current_database() AND pid <> pg_backend_pid()"
        )
        return cursor.fetchall()
