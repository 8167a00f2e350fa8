"""Image preprocessing exactly as the contract defines it, and the checks built on it.

The runtime feeds the model pixels produced by its own (Rust) port of Qwen2-VL's image processor.
Training must see the same pixels, so the reference here is transformers' PIL processor with the
settings of the model's preprocessor_config.json; the exporter records each image's grid and the
sha256 of its pixel values, and this module recomputes both to prove the two agree.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np
from PIL import Image, UnidentifiedImageError
from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil, smart_resize

from files import sha256_bytes

BICUBIC = 3
RESCALE_FACTOR = 1 / 255


class ImageFailure(Exception):
    """An image the processor cannot turn into the grid the data claims; `reason` is a short key."""

    def __init__(self, reason: str, message: str) -> None:
        super().__init__(message)
        self.reason = reason


@dataclass(frozen=True)
class ProcessorSettings:
    """The processor settings that change pixels or grids; the manifest and the model must agree on all."""

    patch_size: int
    merge_size: int
    temporal_patch_size: int
    min_pixels: int
    max_pixels: int
    image_mean: tuple[float, ...]
    image_std: tuple[float, ...]

    @classmethod
    def from_manifest(cls, value: dict) -> ProcessorSettings:
        """Reads the manifest's `processor` object (KeyError/TypeError/ValueError on a bad field)."""
        return cls(
            patch_size=int(value["patch_size"]),
            merge_size=int(value["merge_size"]),
            temporal_patch_size=int(value["temporal_patch_size"]),
            min_pixels=int(value["min_pixels"]),
            max_pixels=int(value["max_pixels"]),
            image_mean=tuple(float(v) for v in value["image_mean"]),
            image_std=tuple(float(v) for v in value["image_std"]),
        )

    @classmethod
    def from_preprocessor_config(cls, value: dict) -> ProcessorSettings:
        """Reads preprocessor_config.json; pixel limits may be given either way transformers accepts.

        Settings this trainer does not reproduce (another resample filter, no rescale) raise ValueError.
        """
        size = value.get("size") or {}
        min_pixels = value.get("min_pixels", size.get("shortest_edge"))
        max_pixels = value.get("max_pixels", size.get("longest_edge"))
        if min_pixels is None or max_pixels is None:
            raise ValueError("no min_pixels/max_pixels (or size.shortest_edge/longest_edge)")
        fixed = {
            "resample": BICUBIC,
            "do_resize": True,
            "do_rescale": True,
            "do_normalize": True,
            "do_convert_rgb": True,
        }
        for key, expected in fixed.items():
            if value.get(key, expected) != expected:
                raise ValueError(f"{key} is {value[key]!r}; only {expected!r} is supported")
        if abs(float(value.get("rescale_factor", RESCALE_FACTOR)) - RESCALE_FACTOR) > 1e-12:
            raise ValueError(f"rescale_factor is {value['rescale_factor']}; only 1/255 is supported")
        return cls(
            patch_size=int(value["patch_size"]),
            merge_size=int(value["merge_size"]),
            temporal_patch_size=int(value["temporal_patch_size"]),
            min_pixels=int(min_pixels),
            max_pixels=int(max_pixels),
            image_mean=tuple(float(v) for v in value["image_mean"]),
            image_std=tuple(float(v) for v in value["image_std"]),
        )

    def to_manifest(self) -> dict:
        """The manifest's `processor` object for these settings."""
        return {
            "patch_size": self.patch_size,
            "merge_size": self.merge_size,
            "temporal_patch_size": self.temporal_patch_size,
            "min_pixels": self.min_pixels,
            "max_pixels": self.max_pixels,
            "image_mean": list(self.image_mean),
            "image_std": list(self.image_std),
        }

    def to_preprocessor_config(self) -> dict:
        """preprocessor_config.json, with the pixel limits written both ways (old and new transformers)."""
        return {
            "image_processor_type": "Qwen2VLImageProcessor",
            "do_convert_rgb": True,
            "do_resize": True,
            "do_rescale": True,
            "do_normalize": True,
            "resample": BICUBIC,
            "rescale_factor": RESCALE_FACTOR,
            "image_mean": list(self.image_mean),
            "image_std": list(self.image_std),
            "patch_size": self.patch_size,
            "merge_size": self.merge_size,
            "temporal_patch_size": self.temporal_patch_size,
            "min_pixels": self.min_pixels,
            "max_pixels": self.max_pixels,
            "size": {"shortest_edge": self.min_pixels, "longest_edge": self.max_pixels},
        }

    def differences(self, other: ProcessorSettings) -> list[str]:
        """`name: mine vs other` for each setting that differs."""
        mine, theirs = self.to_manifest(), other.to_manifest()
        return [f"{key}: {mine[key]} vs {theirs[key]}" for key in mine if mine[key] != theirs[key]]

    def grid_for(self, width: int, height: int) -> tuple[int, int, int]:
        """The (t, h, w) patch grid the processor gives an image of this size, without decoding it."""
        factor = self.patch_size * self.merge_size
        resized_height, resized_width = smart_resize(height, width, factor, self.min_pixels, self.max_pixels)
        return 1, resized_height // self.patch_size, resized_width // self.patch_size


def pixel_sha256(pixel_values: np.ndarray) -> str:
    """The contract's pixel hash: contiguous little-endian float32 bytes of the pixel values."""
    return sha256_bytes(np.ascontiguousarray(pixel_values, dtype="<f4").tobytes())


class ImageProcessor:
    """Opens contract images and turns them into pixel values and grids with the reference processor."""

    def __init__(self, settings: ProcessorSettings) -> None:
        self.settings = settings
        self._processor = Qwen2VLImageProcessorPil(
            patch_size=settings.patch_size,
            merge_size=settings.merge_size,
            temporal_patch_size=settings.temporal_patch_size,
            min_pixels=settings.min_pixels,
            max_pixels=settings.max_pixels,
            image_mean=list(settings.image_mean),
            image_std=list(settings.image_std),
            resample=BICUBIC,
            rescale_factor=RESCALE_FACTOR,
        )

    def header_grid(self, path: Path) -> tuple[int, int, int]:
        """The grid implied by the image's size, read from its header (cheap: no pixel decoding)."""
        try:
            with Image.open(path) as image:
                width, height = image.size
        except (OSError, UnidentifiedImageError) as exc:
            raise ImageFailure("image_unreadable", f"{path}: cannot open: {exc}") from None
        try:
            return self.settings.grid_for(width, height)
        except ValueError as exc:  # smart_resize rejects aspect ratios over 200
            raise ImageFailure("image_unreadable", f"{path}: {width}x{height}: {exc}") from None

    def process(self, path: Path) -> tuple[np.ndarray, tuple[int, int, int]]:
        """Decodes and processes one image: float32 pixel values [t*h*w, 3*temporal*patch*patch] and its grid."""
        try:
            with Image.open(path) as image:
                image.load()
                rgb = image.convert("RGB") if image.mode != "RGB" else image.copy()
        except (OSError, UnidentifiedImageError, SyntaxError) as exc:
            raise ImageFailure("image_unreadable", f"{path}: cannot decode: {exc}") from None
        try:
            batch = self._processor(images=[rgb], return_tensors="np")
        except ValueError as exc:
            raise ImageFailure("image_unreadable", f"{path}: the processor failed: {exc}") from None
        pixel_values = np.ascontiguousarray(batch["pixel_values"], dtype=np.float32)
        t, h, w = (int(v) for v in batch["image_grid_thw"][0])
        return pixel_values, (t, h, w)
