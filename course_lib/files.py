"""Files: writing them so that nothing a user made is ever half-written; finding notebooks.

Every file the course writes for a person to keep (checkpoints, cached data, grade
tables, feedback, executed notebooks) goes through :func:`atomic_writer`: the bytes
go to a temporary file in the same folder, are flushed to disk, and only then renamed
over the target, which is one atomic step on every common filesystem. A crash or an
interrupt mid-write leaves the previous file untouched and no temporary file behind.
"""
from __future__ import annotations

import os
import tempfile
from contextlib import contextmanager
from pathlib import Path
from typing import IO, Iterator


@contextmanager
def atomic_writer(path: str | os.PathLike, mode: str = "wb",
                  encoding: str | None = None) -> Iterator[IO]:
    """``with atomic_writer(path, "w") as fh: ...``: ``path`` changes only if the block succeeds."""
    if mode not in ("w", "wb"):
        raise ValueError(f"atomic_writer writes whole files: mode must be 'w' or 'wb', got {mode!r}")
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, mode, encoding=encoding if mode == "w" else None) as fh:
            yield fh
            fh.flush()
            os.fsync(fh.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def atomic_write_text(path: str | os.PathLike, text: str) -> None:
    with atomic_writer(path, "w", encoding="utf-8") as fh:
        fh.write(text)


def atomic_write_bytes(path: str | os.PathLike, data: bytes) -> None:
    with atomic_writer(path, "wb") as fh:
        fh.write(data)


def find_notebooks(paths: list[str | os.PathLike]) -> list[Path]:
    """The ``.ipynb`` files named by ``paths``: notebooks themselves, or folders of them (sorted)."""
    found: list[Path] = []
    for p in map(Path, paths):
        if p.is_dir():
            found += sorted(q for q in p.glob("*.ipynb") if not q.name.startswith("."))
        elif p.suffix == ".ipynb" and p.exists():
            found.append(p)
        else:
            raise ValueError(f"{p} is neither a folder nor an existing .ipynb file")
    if not found:
        raise ValueError(f"no notebooks found in {[str(p) for p in paths]}")
    return found
