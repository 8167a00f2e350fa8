"""Atomic, verifiable training checkpoints.

A checkpoint is a directory `RUN/checkpoints/step-00001234/` holding the model weights, the
optimizer and scheduler state, the RNG states, and state.json (step, epoch, position in the epoch,
counters and the run's arguments). It is written under a temporary name, every file is fsynced,
checkpoint.json (each file's size and sha256) is written last, and only then is the directory renamed
into place. A checkpoint whose files do not match its checkpoint.json (a crash mid-write, a truncated
copy, a flipped bit) is reported, moved aside as `rejected-step-*`, and the previous one used.
"""

from __future__ import annotations

import os
import random
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import torch
from safetensors.torch import load_model, save_model

from errors import CheckpointError
from files import fsync_dir, fsync_file, read_json, sha256_file, write_json

PREFIX = "step-"
TEMP_PREFIX = ".tmp-"
REJECTED_PREFIX = "rejected-"
MANIFEST = "checkpoint.json"
MODEL, OPTIMIZER, TRAINER, STATE = "model.safetensors", "optimizer.pt", "trainer_state.pt", "state.json"
REQUIRED = (MODEL, OPTIMIZER, TRAINER, STATE)
KEEP = 2


@dataclass(frozen=True)
class Loaded:
    """What a checkpoint restores besides the model and optimizer (already loaded in place)."""

    path: Path
    state: dict[str, Any]


def rng_states() -> dict[str, Any]:
    """Every RNG the run may draw from, in a form torch.load(weights_only=True) accepts."""
    kind, keys, position, has_gauss, gauss = np.random.get_state()
    states: dict[str, Any] = {
        "torch": torch.get_rng_state(),
        "numpy": (kind, torch.from_numpy(keys.astype(np.int64)), position, has_gauss, gauss),
        "python": random.getstate(),
    }
    if torch.cuda.is_available():
        states["cuda"] = torch.cuda.get_rng_state_all()
    return states


def set_rng_states(states: dict[str, Any]) -> None:
    torch.set_rng_state(states["torch"])
    kind, keys, position, has_gauss, gauss = states["numpy"]
    np.random.set_state((kind, keys.numpy().astype(np.uint32), position, has_gauss, gauss))
    random.setstate(states["python"])
    if "cuda" in states and torch.cuda.is_available():
        torch.cuda.set_rng_state_all(states["cuda"])


def save(
    root: Path,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    step: int,
    state: dict[str, Any],
) -> Path:
    """Writes checkpoint `step-<step>` atomically and keeps only the newest KEEP."""
    root.mkdir(parents=True, exist_ok=True)
    name = f"{PREFIX}{step:08d}"
    final = root / name
    temporary = root / f"{TEMP_PREFIX}{name}"
    if temporary.exists():
        shutil.rmtree(temporary)
    temporary.mkdir()
    save_model(model, str(temporary / MODEL))
    torch.save(optimizer.state_dict(), temporary / OPTIMIZER)
    torch.save({"scheduler": scheduler.state_dict(), "rng": rng_states()}, temporary / TRAINER)
    write_json(temporary / STATE, state)
    files = {}
    for filename in REQUIRED:
        fsync_file(temporary / filename)
        files[filename] = {"bytes": (temporary / filename).stat().st_size, "sha256": sha256_file(temporary / filename)}
    write_json(temporary / MANIFEST, {"step": step, "files": files}, sync=True)
    fsync_dir(temporary)
    if final.exists():  # the same step saved again (a finished run re-run): replace it
        shutil.rmtree(final)
    os.replace(temporary, final)
    fsync_dir(root)
    for old in checkpoints(root)[:-KEEP]:
        shutil.rmtree(old)
    return final


def checkpoints(root: Path) -> list[Path]:
    """Checkpoint directories, oldest first."""
    if not root.is_dir():
        return []
    found = [p for p in root.iterdir() if p.is_dir() and p.name.startswith(PREFIX) and p.name[len(PREFIX) :].isdigit()]
    return sorted(found, key=lambda p: int(p.name[len(PREFIX) :]))


def verify(path: Path) -> None:
    """Raises CheckpointError unless every file matches checkpoint.json."""
    listing = read_json(path / MANIFEST, CheckpointError)
    files = listing.get("files", {}) if isinstance(listing, dict) else {}
    for filename in REQUIRED:
        if filename not in files:
            raise CheckpointError(f"{path / MANIFEST}: does not list {filename}")
    for filename, expected in files.items():
        file = path / filename
        if not file.is_file():
            raise CheckpointError(f"{file}: missing")
        if (size := file.stat().st_size) != expected["bytes"]:
            raise CheckpointError(f"{file}: {size} bytes, {MANIFEST} says {expected['bytes']} (truncated?)")
        if sha256_file(file) != expected["sha256"]:
            raise CheckpointError(f"{file}: sha256 differs from {MANIFEST} (corrupt)")


def newest_valid(root: Path, report=lambda message: print(message, file=sys.stderr)) -> Path | None:
    """The newest checkpoint that verifies. Invalid newer ones are reported and renamed aside so the
    resumed run can write its own checkpoints of those steps; half-written temporaries are removed."""
    if root.is_dir():
        for temporary in root.glob(f"{TEMP_PREFIX}*"):
            report(f"removing {temporary}: a checkpoint whose writing was interrupted")
            shutil.rmtree(temporary)
    for path in reversed(checkpoints(root)):
        try:
            verify(path)
        except CheckpointError as exc:
            rejected = path.with_name(REJECTED_PREFIX + path.name)
            if rejected.exists():
                shutil.rmtree(rejected)
            os.replace(path, rejected)
            report(f"checkpoint {path.name} is invalid ({exc}); moved to {rejected.name}, trying the previous one")
            continue
        return path
    return None


def load_weights(path: Path, model: torch.nn.Module) -> None:
    """Loads a checkpoint's model weights into `model` after verifying every file of it."""
    verify(path)
    try:
        load_model(model, str(path / MODEL), strict=True, device=str(next(model.parameters()).device))
    except (OSError, RuntimeError, KeyError, ValueError) as exc:
        raise CheckpointError(f"{path}: cannot load the weights: {exc}") from None


def load(
    path: Path,
    model: torch.nn.Module,
    optimizer: torch.optim.Optimizer,
    scheduler: torch.optim.lr_scheduler.LRScheduler,
    device: torch.device,
) -> Loaded:
    """Restores model, optimizer, scheduler and RNG states in place from a verified checkpoint."""
    try:
        load_model(model, str(path / MODEL), strict=True, device=str(device))
        optimizer.load_state_dict(torch.load(path / OPTIMIZER, map_location=device, weights_only=True))
        trainer = torch.load(path / TRAINER, map_location="cpu", weights_only=True)
        scheduler.load_state_dict(trainer["scheduler"])
        set_rng_states(trainer["rng"])
    except (OSError, RuntimeError, KeyError, ValueError) as exc:
        raise CheckpointError(f"{path}: cannot restore: {exc}") from None
    return Loaded(path, read_json(path / STATE, CheckpointError))
