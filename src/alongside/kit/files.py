"""Files only their owner can read: 0600 files and 0700 directories, whatever the umask.

- :func:`private_dir` ``(path, *, own=True)``: create the directory (and parents) with 0700;
  with ``own`` also tighten an existing one (the data directory is Alongside's own; a shared
  parent such as ``/srv`` is never changed).
- :func:`private_file` ``(path)``: create the file empty with 0600 if missing, else tighten it.
- :func:`tighten` ``(path)``: 0600 for an existing file (a no-op when it is missing).
"""

from __future__ import annotations

import contextlib
import os
import stat
from pathlib import Path

FILE_MODE = 0o600
DIR_MODE = 0o700


def private_dir(path: Path, *, own: bool = True) -> Path:
    """``path`` as a directory that only its owner may enter."""
    missing = not path.exists()
    path.mkdir(mode=DIR_MODE, parents=True, exist_ok=True)
    if missing or own:
        with contextlib.suppress(PermissionError):
            path.chmod(DIR_MODE)
    return path


def tighten(path: Path) -> None:
    """Make an existing regular file readable by its owner alone."""
    try:
        mode = path.stat().st_mode
    except FileNotFoundError:
        return
    if stat.S_ISREG(mode) and stat.S_IMODE(mode) != FILE_MODE:
        with contextlib.suppress(PermissionError):
            path.chmod(FILE_MODE)


def private_file(path: Path) -> Path:
    """``path`` as a file only its owner may read (created empty when missing)."""
    try:
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE)
    except FileExistsError:
        tighten(path)
    else:
        os.close(fd)
        tighten(path)  # the umask may have taken bits away, never added: this is exact
    return path
