"""Reads and checks a gog-train-data directory (the contract the Rust exporter writes).

    DATA/manifest.json        format, version, kind, tokenizer hash, processor settings, and the
                              size and sha256 of every shard and image
    DATA/shard-*.jsonl        one trajectory per line: input_ids, loss_spans, images
    DATA/images/*.png         the exact RGB pixels the runtime decoded

A contract violation (a bad hash, an id outside the vocabulary, an image-pad run that does not match
its image's grid, a span outside the sequence) is an error naming the file and line: such data came
from a bug and must not be trained on. A record that is well formed but unusable by this model (longer
than its context, nothing to learn, an image the processor disagrees with) is dropped and counted by
reason, never truncated.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path, PurePosixPath

import numpy as np

from errors import DataError, TokenizerMismatchError
from files import read_json, sha256_file
from gog_tiny import ModelDir
from images import ImageFailure, ImageProcessor, ProcessorSettings, pixel_sha256
from tokenizer import PICTURE_KINDS

FORMAT, VERSION, KIND = "gog-train-data", 1, "sft"
HEX64 = re.compile(r"[0-9a-f]{64}")
REQUIRED_RECORD_KEYS = ("id", "input_ids", "loss_spans", "images")
INFO_KEYS = ("scene", "split", "category", "behaviour")

# Drop reasons, as they appear in reports and summary.json.
TOO_LONG = "too_long"
NO_LOSS_TOKENS = "no_loss_tokens"
IMAGE_UNREADABLE = "image_unreadable"
IMAGE_GRID_MISMATCH = "image_grid_mismatch"
PIXEL_HASH_MISMATCH = "pixel_hash_mismatch"


@dataclass(frozen=True)
class FileEntry:
    """A shard or image listed in the manifest."""

    name: str
    bytes: int
    sha256: str
    records: int | None = None


@dataclass(frozen=True)
class Manifest:
    """manifest.json, parsed and type-checked."""

    directory: Path
    sha256: str
    tokenizer_sha256: str
    processor: ProcessorSettings
    max_length: int
    shards: tuple[FileEntry, ...]
    images: tuple[FileEntry, ...]
    summary: dict

    @classmethod
    def read(cls, directory: Path) -> Manifest:
        path = directory / "manifest.json"
        raw = read_json(path, DataError)
        if not isinstance(raw, dict):
            raise DataError(f"{path}: not a JSON object")
        if (raw.get("format"), raw.get("version"), raw.get("kind")) != (FORMAT, VERSION, KIND):
            raise DataError(
                f"{path}: format/version/kind is {raw.get('format')!r}/{raw.get('version')!r}/{raw.get('kind')!r}, "
                f"this trainer reads {FORMAT!r}/{VERSION}/{KIND!r}"
            )
        try:
            tokenizer_sha256 = raw["tokenizer_sha256"]
            if not isinstance(tokenizer_sha256, str) or not HEX64.fullmatch(tokenizer_sha256):
                raise ValueError(f"tokenizer_sha256 {tokenizer_sha256!r} is not a lowercase sha256 hex digest")
            processor = ProcessorSettings.from_manifest(raw["processor"])
            max_length = int(raw["max_length"])
            shards = tuple(_file_entry(e, with_records=True) for e in raw["shards"])
            images = tuple(_file_entry(e, with_records=False) for e in raw["images"])
            summary = raw.get("summary", {})
        except (KeyError, TypeError, ValueError) as exc:
            raise DataError(f"{path}: bad or missing field: {exc}") from None
        if not shards:
            raise DataError(f"{path}: lists no shards")
        for kind, entries in (("shard", shards), ("image", images)):
            names = Counter(e.name for e in entries)
            if duplicate := [n for n, c in names.items() if c > 1]:
                raise DataError(f"{path}: {kind} {duplicate[0]} is listed twice")
        return cls(directory, sha256_file(path), tokenizer_sha256, processor, max_length, shards, images, summary)


def _file_entry(value: dict, with_records: bool) -> FileEntry:
    name = value["name"]
    if not isinstance(name, str) or not _is_safe_relative(name):
        raise ValueError(f"file name {name!r} is not a relative path inside the data directory")
    size, digest = value["bytes"], value["sha256"]
    if not isinstance(size, int) or isinstance(size, bool) or size < 0:
        raise ValueError(f"{name}: bytes {size!r} is not a size")
    if not isinstance(digest, str) or not HEX64.fullmatch(digest):
        raise ValueError(f"{name}: sha256 {digest!r} is not a lowercase sha256 hex digest")
    records = int(value["records"]) if with_records else None
    return FileEntry(name, size, digest, records)


def _is_safe_relative(name: str) -> bool:
    path = PurePosixPath(name)
    return bool(name) and not path.is_absolute() and ".." not in path.parts and "\\" not in name


@dataclass(frozen=True)
class Region:
    """A picture the scene drew on an image: its kind and box, in the resized image's pixels."""

    kind: str
    box: tuple[int, int, int, int]  # x1, y1, x2, y2


@dataclass(frozen=True)
class ImageRef:
    """One image of a record: the PNG, the grid the exporter computed, its pixel hash, and the
    pictures on it in drawing order (a later one over an earlier one; none for older data)."""

    file: str
    grid: tuple[int, int, int]
    pixel_sha256: str
    regions: tuple[Region, ...] = ()


@dataclass(frozen=True)
class Record:
    """One trajectory, checked against the contract."""

    id: str
    where: str  # "shard-00000.jsonl:12", for messages
    info: dict[str, str]  # scene, split, category, behaviour: reported, never interpreted
    input_ids: np.ndarray  # int32
    loss_spans: tuple[tuple[int, int], ...]
    images: tuple[ImageRef, ...]

    @property
    def length(self) -> int:
        return len(self.input_ids)

    @property
    def loss_tokens(self) -> int:
        """Tokens trained on; token 0 has nothing before it to predict it from."""
        return sum(end - max(start, 1) for start, end in self.loss_spans if end > 1)


@dataclass(frozen=True)
class DataLimits:
    """What a record must satisfy to be fed to a particular model."""

    vocab_size: int
    image_pad: int
    video_pad: int
    vision_start: int
    vision_end: int
    patch_size: int
    merge_size: int
    max_positions: int

    @classmethod
    def for_model(cls, model: ModelDir) -> DataLimits:
        ids = model.ids
        return cls(
            ids.vocab_size, ids.image_pad, ids.video_pad, ids.vision_start, ids.vision_end,
            model.processor.patch_size, model.processor.merge_size, model.max_positions,
        )  # fmt: skip


def _int_list(value: object, what: str) -> list[int]:
    if not isinstance(value, list) or not all(isinstance(v, int) and not isinstance(v, bool) for v in value):
        raise ValueError(f"{what} is not a list of integers")
    return value


def parse_record(line: str, where: str, limits: DataLimits, image_names: set[str]) -> Record:
    """Parses and checks one shard line; raises DataError naming `where` and the record id."""
    try:
        raw = json.loads(line)
    except json.JSONDecodeError as exc:
        raise DataError(f"{where}: not JSON: {exc}") from None
    if not isinstance(raw, dict):
        raise DataError(f"{where}: not a JSON object")
    label = f"{where} (record {raw.get('id')!r})"
    try:
        return _check_record(raw, where, limits, image_names)
    except (KeyError, TypeError, ValueError, OverflowError) as exc:
        message = f"missing field {exc}" if isinstance(exc, KeyError) else str(exc)
        raise DataError(f"{label}: {message}") from None  # KeyError: a nested field, e.g. images[0].file


def _check_record(raw: dict, where: str, limits: DataLimits, image_names: set[str]) -> Record:
    if missing := [key for key in REQUIRED_RECORD_KEYS if key not in raw]:
        raise ValueError(f"missing field {missing[0]!r}")
    record_id = raw["id"]
    if not isinstance(record_id, str) or not record_id:
        raise ValueError("id is not a non-empty string")
    info = {key: raw.get(key, "") for key in INFO_KEYS}
    if not all(isinstance(v, str) for v in info.values()):
        raise ValueError(f"{', '.join(INFO_KEYS)} must be strings")

    ids = np.asarray(_int_list(raw["input_ids"], "input_ids"), dtype=np.int64)
    if ids.size == 0:
        raise ValueError("input_ids is empty")
    if (bad := np.flatnonzero((ids < 0) | (ids >= limits.vocab_size))).size:
        raise ValueError(
            f"input_ids[{bad[0]}] = {ids[bad[0]]} is outside the model's vocabulary of {limits.vocab_size}"
        )
    if (video := np.flatnonzero(ids == limits.video_pad)).size:
        raise ValueError(f"input_ids[{video[0]}] is <|video_pad|>; videos are not part of the contract")

    images = _check_images(raw["images"], image_names, limits)
    runs = image_pad_runs(ids, limits.image_pad)
    if len(runs) != len(images):
        raise ValueError(f"{len(runs)} runs of <|image_pad|> but {len(images)} images")
    for index, ((start, end), image) in enumerate(zip(runs, images, strict=True)):
        t, h, w = image.grid
        expected = t * h * w // limits.merge_size**2
        if end - start != expected:
            raise ValueError(
                f"image {index} ({image.file}): {end - start} <|image_pad|> tokens at {start}, "
                f"but grid_thw {list(image.grid)} needs {expected}"
            )
        if start == 0 or ids[start - 1] != limits.vision_start or end == len(ids) or ids[end] != limits.vision_end:
            raise ValueError(
                f"image {index}: the <|image_pad|> run at {start} is not between <|vision_start|> and <|vision_end|>"
            )

    spans = []
    previous_end = 0
    if not isinstance(raw["loss_spans"], list):
        raise ValueError("loss_spans is not a list")
    for span in raw["loss_spans"]:
        if len(pair := _int_list(span, "a loss span")) != 2:
            raise ValueError(f"loss span {span} is not a [start, end] pair")
        start, end = pair
        if not previous_end <= start < end <= len(ids):
            raise ValueError(
                f"loss span [{start}, {end}) is empty, overlaps the previous one or leaves the sequence of {len(ids)}"
            )
        if (ids[start:end] == limits.image_pad).any():
            raise ValueError(f"loss span [{start}, {end}) covers <|image_pad|> tokens")
        spans.append((start, end))
        previous_end = end
    return Record(record_id, where, info, ids.astype(np.int32), tuple(spans), images)


def _check_images(value: object, image_names: set[str], limits: DataLimits) -> tuple[ImageRef, ...]:
    if not isinstance(value, list):
        raise ValueError("images is not a list")
    images = []
    for index, image in enumerate(value):
        if not isinstance(image, dict):
            raise ValueError(f"images[{index}] is not an object")
        name, grid, digest = image["file"], image["grid_thw"], image["pixel_sha256"]
        if name not in image_names:
            raise ValueError(f"images[{index}].file {name!r} is not listed in manifest.json")
        grid = _int_list(grid, f"images[{index}].grid_thw")
        if len(grid) != 3 or min(grid) < 1 or grid[1] % limits.merge_size or grid[2] % limits.merge_size:
            raise ValueError(f"images[{index}].grid_thw {grid} is not a positive (t, h, w) divisible by the merge size")
        if not isinstance(digest, str) or not HEX64.fullmatch(digest):
            raise ValueError(f"images[{index}].pixel_sha256 is not a lowercase sha256 hex digest")
        size = (grid[2] * limits.patch_size, grid[1] * limits.patch_size)
        regions = _check_regions(image.get("regions", []), f"images[{index}].regions", size)
        images.append(ImageRef(name, (grid[0], grid[1], grid[2]), digest, regions))
    return tuple(images)


def _check_regions(value: object, what: str, size: tuple[int, int]) -> tuple[Region, ...]:
    """Regions of an image of `size` (width, height) pixels: known kinds, boxes inside the image."""
    if not isinstance(value, list):
        raise ValueError(f"{what} is not a list")
    regions = []
    for index, region in enumerate(value):
        if not isinstance(region, dict) or region.get("kind") not in PICTURE_KINDS[1:]:
            raise ValueError(f"{what}[{index}] is not a region of kind {', '.join(PICTURE_KINDS[1:])}")
        box = _int_list(region.get("box"), f"{what}[{index}].box")
        if len(box) != 4 or not (0 <= box[0] < box[2] <= size[0] and 0 <= box[1] < box[3] <= size[1]):
            raise ValueError(f"{what}[{index}].box {box} is not [x1, y1, x2, y2] inside the {size[0]}x{size[1]} image")
        regions.append(Region(region["kind"], (box[0], box[1], box[2], box[3])))
    return tuple(regions)


def image_pad_runs(ids: np.ndarray, image_pad: int) -> list[tuple[int, int]]:
    """[start, end) of each maximal run of image-pad tokens, in order."""
    mask = np.concatenate([[False], ids == image_pad, [False]]).astype(np.int8)
    edges = np.flatnonzero(np.diff(mask))
    return [(int(edges[i]), int(edges[i + 1])) for i in range(0, len(edges), 2)]


@dataclass
class Dataset:
    """The usable records of a data directory, and what was dropped or found wrong, by reason."""

    manifest: Manifest
    records: list[Record]
    dropped: Counter = field(default_factory=Counter)
    problems: list[str] = field(default_factory=list)  # one line per failing image reference
    images_checked: int = 0
    pixels_checked: int = 0

    @property
    def directory(self) -> Path:
        return self.manifest.directory

    def stats(self) -> dict:
        """Counts for reports: records, tokens, loss tokens, images, and the record info fields."""
        lengths = [r.length for r in self.records]
        return {
            "records": len(self.records),
            "tokens": int(sum(lengths)),
            "loss_tokens": int(sum(r.loss_tokens for r in self.records)),
            "images": int(sum(len(r.images) for r in self.records)),
            "max_length": max(lengths, default=0),
            "mean_length": round(float(np.mean(lengths)), 1) if lengths else 0.0,
            **{key: dict(sorted(Counter(r.info[key] for r in self.records).items())) for key in ("split", "behaviour")},
        }


def check_manifest(manifest: Manifest, model: ModelDir) -> None:
    """The tokenizer and processor the data was made with must be the model's."""
    if manifest.tokenizer_sha256 != model.tokenizer_sha256:
        raise TokenizerMismatchError(
            f"{manifest.directory / 'manifest.json'}: the data was tokenized with tokenizer.json sha256 "
            f"{manifest.tokenizer_sha256}, but {model.path / 'tokenizer.json'} has sha256 {model.tokenizer_sha256}"
        )
    if differences := manifest.processor.differences(model.processor):
        raise DataError(
            f"{manifest.directory / 'manifest.json'}: processor settings differ from "
            f"{model.path / 'preprocessor_config.json'} (data vs model): " + "; ".join(differences)
        )


def verify_files(manifest: Manifest) -> None:
    """Every shard and image exists with the listed size and sha256."""
    for entry in manifest.shards + manifest.images:
        path = manifest.directory / entry.name
        if not path.is_file():
            raise DataError(f"{path}: listed in manifest.json but missing")
        size = path.stat().st_size
        if size != entry.bytes:
            raise DataError(f"{path}: {size} bytes, manifest.json says {entry.bytes}")
        if (digest := sha256_file(path)) != entry.sha256:
            raise DataError(f"{path}: sha256 {digest}, manifest.json says {entry.sha256}: the file is corrupt")


def read_records(manifest: Manifest, limits: DataLimits) -> list[Record]:
    """All records of all shards, in manifest order; shard record counts and ids are checked."""
    image_names = {e.name for e in manifest.images}
    records: list[Record] = []
    seen: dict[str, str] = {}
    for shard in manifest.shards:
        path = manifest.directory / shard.name
        try:
            text = path.read_bytes().decode("utf-8")
        except UnicodeDecodeError as exc:
            raise DataError(f"{path}: not UTF-8 at byte {exc.start}") from None
        lines = text.split("\n")
        if lines and lines[-1] == "":
            lines.pop()
        if len(lines) != shard.records:
            raise DataError(f"{path}: {len(lines)} records, manifest.json says {shard.records}")
        for number, line in enumerate(lines, start=1):
            record = parse_record(line, f"{shard.name}:{number}", limits, image_names)
            if record.id in seen:
                raise DataError(f"{record.where}: record id {record.id!r} already used at {seen[record.id]}")
            seen[record.id] = record.where
            records.append(record)
    return records


def check_images(
    records: list[Record],
    processor: ImageProcessor,
    directory: Path,
    pixel_files: set[str] | None,
    progress: Callable[[int, int], None] | None = None,
) -> tuple[dict[str, str], list[str], int]:
    """Checks every image reference's grid against the image's header, and the pixel hash of the
    references whose file is in `pixel_files` (all when None).

    Returns (reason for each failing file, one message per failing reference, images processed).
    """
    references: dict[str, list[tuple[Record, ImageRef]]] = {}
    for record in records:
        for image in record.images:
            references.setdefault(image.file, []).append((record, image))
    failed: dict[str, str] = {}
    messages: list[str] = []
    processed = 0
    for index, (name, refs) in enumerate(sorted(references.items())):
        if progress:
            progress(index, len(references))
        path = directory / name
        try:
            grid = processor.header_grid(path)
            pixels = None
            if pixel_files is None or name in pixel_files:
                values, grid = processor.process(path)
                pixels = pixel_sha256(values)
                processed += 1
        except ImageFailure as exc:
            failed[name] = exc.reason
            messages.append(f"{exc} (used by {len(refs)} records, first {refs[0][0].id} at {refs[0][0].where})")
            continue
        for record, image in refs:
            if image.grid != grid:
                failed.setdefault(name, IMAGE_GRID_MISMATCH)
                messages.append(
                    f"{path}: the processor gives grid_thw {list(grid)}, record {record.id} ({record.where}) "
                    f"says {list(image.grid)}"
                )
            elif pixels is not None and image.pixel_sha256 != pixels:
                failed.setdefault(name, PIXEL_HASH_MISMATCH)
                messages.append(
                    f"{path}: the processor's pixel_values hash to {pixels}, record {record.id} ({record.where}) "
                    f"says {image.pixel_sha256}"
                )
    return failed, messages, processed


def load_dataset(
    directory: Path,
    model: ModelDir,
    *,
    pixel_sample: int | None,
    seed: int = 0,
    progress: Callable[[int, int], None] | None = None,
) -> Dataset:
    """Reads a data directory for `model`, checking everything the contract promises.

    pixel_sample: how many distinct image files to fully process and compare with their
    pixel_sha256 (None: all). Grids are checked for every image from its header either way.
    """
    manifest = Manifest.read(directory)
    check_manifest(manifest, model)
    verify_files(manifest)
    limits = DataLimits.for_model(model)
    records = read_records(manifest, limits)

    dropped: Counter = Counter()
    kept = []
    for record in records:
        if record.length > limits.max_positions:
            dropped[TOO_LONG] += 1
        elif record.loss_tokens == 0:
            dropped[NO_LOSS_TOKENS] += 1
        else:
            kept.append(record)

    files = sorted({image.file for record in kept for image in record.images})
    if pixel_sample is None or pixel_sample >= len(files):
        pixel_files = None
    else:
        rng = np.random.default_rng(seed)
        pixel_files = {files[i] for i in rng.choice(len(files), size=pixel_sample, replace=False)}
    processor = ImageProcessor(manifest.processor)
    failed, problems, processed = check_images(kept, processor, directory, pixel_files, progress)

    usable = []
    for record in kept:
        reasons = [failed[image.file] for image in record.images if image.file in failed]
        if reasons:
            dropped[reasons[0]] += 1
        else:
            usable.append(record)
    return Dataset(manifest, usable, dropped, problems, len(files), processed)
