"""One writer per home folder. Runs started by the daemon queue behind one another
(dagster.yaml); `helhedsdata run` executes in its own process and bypasses that queue, so it
takes an OS file lock on the home folder first. The sensor and the schedule skip while the
lock is held. The lock is released by the kernel when the process dies (SIGKILL too)."""
from __future__ import annotations

import contextlib
import fcntl
import os
from pathlib import Path

LOCK_FILE = "warehouse.lock"


class WarehouseBusy(RuntimeError):
    pass


def lock_path(home: Path) -> Path:
    return home / LOCK_FILE


@contextlib.contextmanager
def warehouse_lock(home: Path):
    home.mkdir(parents=True, exist_ok=True)
    path = lock_path(home)
    fd = os.open(path, os.O_RDWR | os.O_CREAT, 0o644)
    try:
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            holder = path.read_text().strip() or "unknown"
            raise WarehouseBusy(f"another run holds {path} (process {holder}); the warehouse has one writer. "
                                "Wait for it to finish, or see docs/runbook.md, 'One run at a time'.") from None
        os.ftruncate(fd, 0)
        os.write(fd, str(os.getpid()).encode())
        yield path
    finally:
        os.close(fd)  # closing releases the lock


def is_locked(home: Path) -> bool:
    """True while another process holds the lock (never takes it for more than a moment)."""
    path = lock_path(home)
    if not path.exists():
        return False
    fd = os.open(path, os.O_RDONLY)
    try:
        fcntl.flock(fd, fcntl.LOCK_SH | fcntl.LOCK_NB)
        return False
    except BlockingIOError:
        return True
    finally:
        os.close(fd)
