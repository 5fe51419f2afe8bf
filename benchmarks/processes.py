"""The product's processes as a user runs them, for the benchmarks and the end-to-end tests:
`assistant serve` on a free port, a `chroma run` server that can be stopped and started again
on the same data and port, and the memory of a process with its children (Linux ``/proc``)."""

from __future__ import annotations

import socket
import subprocess
import sys
import time
from collections.abc import Iterator, Mapping
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx

BIN = Path(sys.executable).parent
ASSISTANT, CHROMA = BIN / "assistant", BIN / "chroma"


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def children(pid: int) -> list[int]:
    """Child processes of ``pid``, whichever of its threads started them."""
    found = []
    for task in Path(f"/proc/{pid}/task").glob("*"):
        try:
            found += [int(child) for child in (task / "children").read_text().split()]
        except OSError:
            continue
    return sorted(set(found))


def descendants(pid: int) -> list[int]:
    found = []
    for child in children(pid):
        found += [child, *descendants(child)]
    return found


def rss_mb(pid: int, field: str = "VmRSS") -> float:
    """Resident memory of one process in MB: now (``VmRSS``) or at its peak (``VmHWM``);
    0 if it has gone."""
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith(f"{field}:"):
                return int(line.split()[1]) / 1024
    except OSError:
        pass
    return 0.0


def tree_rss_mb(pid: int, field: str = "VmRSS") -> float:
    """Resident memory of a process and all its children, in MB (shared pages counted in each
    process, as ``ps`` does: an upper bound)."""
    return round(sum(rss_mb(p, field) for p in [pid, *descendants(pid)]), 1)


def wait_for_port(port: int, process: subprocess.Popen, timeout: float, log: Path) -> None:
    deadline = time.monotonic() + timeout
    while True:
        try:
            with socket.create_connection(("127.0.0.1", port), timeout=1):
                return
        except OSError:
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"{process.args[0]} did not start:\n{log.read_text()}") \
                    from None
            time.sleep(0.05)


@dataclass(frozen=True)
class Served:
    """A running `assistant serve`."""

    url: str
    process: subprocess.Popen

    def engine_pid(self) -> int | None:
        """The engine process's id: the page process's child that multiprocessing spawned."""
        for pid in children(self.process.pid):
            try:
                if b"spawn_main" in Path(f"/proc/{pid}/cmdline").read_bytes():
                    return pid
            except OSError:
                continue
        return None

    def queue_size(self) -> int:
        """Questions waiting in the page's queue (not counting those being answered)."""
        return httpx.get(f"{self.url}gradio_api/queue/status", timeout=10).json()["queue_size"]


@contextmanager
def serving(env: Mapping[str, str], log: Path, cwd: Path | None = None,
            args: tuple[str, ...] = ("--ingest-if-stale",),
            timeout: float = 180) -> Iterator[Served]:
    """`assistant serve` on a free port with ``env``, until the block ends; its output goes to
    ``log``. Ready once the page answers HTTP (the engine may still be loading)."""
    port = free_port()
    with log.open("w") as output:
        process = subprocess.Popen([str(ASSISTANT), "serve", *args, "--port", str(port)],
                                   stdout=output, stderr=subprocess.STDOUT, cwd=cwd,
                                   env=dict(env))
        url = f"http://127.0.0.1:{port}/"
        deadline = time.monotonic() + timeout
        while True:
            try:
                if httpx.get(url, timeout=2).status_code == 200:
                    break
            except httpx.HTTPError:
                pass
            if process.poll() is not None or time.monotonic() > deadline:
                process.kill()
                raise RuntimeError(f"assistant serve did not start:\n{log.read_text()}")
            time.sleep(0.3)
        try:
            yield Served(url, process)
        finally:
            process.terminate()
            try:
                process.wait(timeout=20)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()


class ChromaServer:
    """`chroma run` on loopback over one data folder and port; it can be stopped and started
    again on both, as a restart would."""

    def __init__(self, data: Path, port: int | None = None) -> None:
        self.data = data
        self.port = port or free_port()
        self.log = data.with_name(f"{data.name}.log")
        self.process: subprocess.Popen | None = None

    @property
    def host(self) -> str:
        return "127.0.0.1"

    def start(self, timeout: float = 60) -> float:
        """Start the server; return the seconds until it accepts connections."""
        started = time.perf_counter()
        with self.log.open("a") as output:
            self.process = subprocess.Popen(
                [str(CHROMA), "run", "--path", str(self.data), "--host", self.host, "--port",
                 str(self.port)], stdout=output, stderr=subprocess.STDOUT)
        wait_for_port(self.port, self.process, timeout, self.log)
        return time.perf_counter() - started

    def stop(self) -> None:
        if self.process is None:
            return
        self.process.terminate()
        try:
            self.process.wait(timeout=10)
        except subprocess.TimeoutExpired:
            self.process.kill()
            self.process.wait()
        self.process = None
