"""Small file helpers: hashing, durable writes and canonical JSON.

Durability matters because a checkpoint or a final model that is half written after a crash must
be detectable (by its recorded sizes and hashes) rather than loaded.
"""

from __future__ import annotations

import hashlib
import json
import os
from pathlib import Path
from typing import Any

CHUNK = 1 << 20


def sha256_file(path: Path) -> str:
    """Hex sha256 of a file's bytes, read in chunks so large shards do not fill memory."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        while chunk := handle.read(CHUNK):
            digest.update(chunk)
    return digest.hexdigest()


def sha256_bytes(data: bytes) -> str:
    """Hex sha256 of bytes in memory."""
    return hashlib.sha256(data).hexdigest()


def fsync_file(path: Path) -> None:
    """Flushes a file that was written by another library (safetensors, torch.save) to disk."""
    with open(path, "rb") as handle:
        os.fsync(handle.fileno())


def fsync_dir(path: Path) -> None:
    """Makes a directory's entries (new files, renames) durable."""
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def json_text(value: Any) -> str:
    """Indented, key-sorted JSON with a final newline: stable bytes for stable inputs."""
    return json.dumps(value, indent=2, sort_keys=True, ensure_ascii=False) + "\n"


def write_json(path: Path, value: Any, *, sync: bool = False) -> None:
    """Writes JSON via a temporary file and a rename, so readers never see half a file."""
    temporary = path.with_name(f".{path.name}.tmp")
    with open(temporary, "w", encoding="utf-8") as handle:
        handle.write(json_text(value))
        if sync:
            handle.flush()
            os.fsync(handle.fileno())
    os.replace(temporary, path)
    if sync:
        fsync_dir(path.parent)


def read_json(path: Path, error: type[Exception]) -> Any:
    """Parses a JSON file, raising `error` with the file name on any failure."""
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise error(f"{path}: file not found") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise error(f"{path}: cannot read JSON: {exc}") from None
