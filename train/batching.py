"""Epoch order, length-bucketed batches, and collation into model inputs.

The order of an epoch is a pure function of (seed, epoch, record lengths), so a resumed run can
rebuild the epoch it was in and skip the batches already trained on: nothing about the data order
needs to be saved beyond the epoch number and the position in it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from data import ImageRef, Record, image_pad_runs
from errors import DataError
from images import ImageFailure, ImageProcessor
from tokenizer import PICTURE_KINDS

IGNORE = -100  # label of tokens that are not trained on


def pack(order: Sequence[int], lengths: Sequence[int], batch_tokens: int) -> list[list[int]]:
    """Greedy batches in the given order, each at most batch_tokens once right-padded to its longest
    record. A record longer than batch_tokens on its own becomes a batch of one."""
    batches: list[list[int]] = []
    current: list[int] = []
    longest = 0
    for index in order:
        length = lengths[index]
        if current and max(longest, length) * (len(current) + 1) > batch_tokens:
            batches.append(current)
            current, longest = [], 0
        current.append(index)
        longest = max(longest, length)
    if current:
        batches.append(current)
    return batches


def epoch_batches(lengths: Sequence[int], seed: int, epoch: int, batch_tokens: int, window: int) -> list[list[int]]:
    """One epoch's batches of record indices.

    The records are shuffled, sorted by length within consecutive windows of `window` records (so a
    batch holds records of similar length and little padding), packed, and the batches shuffled
    again so that lengths do not drift through the epoch.
    """
    rng = np.random.default_rng([seed, epoch])
    permutation = rng.permutation(len(lengths))
    order: list[int] = []
    for start in range(0, len(permutation), window):
        chunk = permutation[start : start + window]
        keys = np.asarray([lengths[i] for i in chunk])
        order.extend(int(i) for i in chunk[np.argsort(keys, kind="stable")])
    batches = pack(order, lengths, batch_tokens)
    return [batches[i] for i in rng.permutation(len(batches))]


def eval_batches(lengths: Sequence[int], batch_tokens: int) -> list[list[int]]:
    """Validation batches: records sorted by length (stable), packed; no randomness."""
    order = sorted(range(len(lengths)), key=lambda i: lengths[i])
    return pack(order, lengths, batch_tokens)


@dataclass
class Batch:
    """Model inputs for a right-padded batch, plus the counts the logs need."""

    input_ids: torch.Tensor  # [B, L] int64
    attention_mask: torch.Tensor  # [B, L] int64
    labels: torch.Tensor  # [B, L] int64, IGNORE outside loss spans (not shifted)
    mm_token_type_ids: torch.Tensor  # [B, L] int32: 1 on image tokens
    pixel_values: torch.Tensor | None  # [patches, 3*temporal*patch*patch] float32
    image_grid_thw: torch.Tensor | None  # [images, 3] int64
    tokens: int  # non-padding tokens
    # [B, L] int64: on the image tokens of images with regions, the index in PICTURE_KINDS of what
    # the token shows; IGNORE elsewhere
    picture_labels: torch.Tensor | None = None
    # [B, L] bool: the loss tokens that copy the tool response before them (see copied_tokens)
    copies: torch.Tensor | None = None
    # [B, L, 4] float32: on the image tokens of images with regions, the box of the picture the
    # token shows (see picture_targets); NaN elsewhere
    picture_boxes: torch.Tensor | None = None

    def to(self, device: torch.device) -> Batch:
        non_blocking = device.type == "cuda"

        def move(tensor: torch.Tensor | None) -> torch.Tensor | None:
            return None if tensor is None else tensor.to(device, non_blocking=non_blocking)

        return Batch(
            move(self.input_ids), move(self.attention_mask), move(self.labels), move(self.mm_token_type_ids),
            move(self.pixel_values), move(self.image_grid_thw), self.tokens, move(self.picture_labels),
            move(self.copies), move(self.picture_boxes),
        )  # fmt: skip

    def pin_memory(self) -> Batch:
        """Called by DataLoader(pin_memory=True) for faster host-to-GPU copies."""

        def pin(tensor: torch.Tensor | None) -> torch.Tensor | None:
            return None if tensor is None else tensor.pin_memory()

        return Batch(
            pin(self.input_ids), pin(self.attention_mask), pin(self.labels), pin(self.mm_token_type_ids),
            pin(self.pixel_values), pin(self.image_grid_thw), self.tokens, pin(self.picture_labels),
            pin(self.copies), pin(self.picture_boxes),
        )  # fmt: skip


def picture_targets(image: ImageRef, patch_size: int, merge_size: int) -> tuple[np.ndarray, np.ndarray] | None:
    """Per image token, in the order of the image's <|image_pad|> run (merged cells, row by row), what
    the topmost region over the cell's centre is: its index in PICTURE_KINDS (0, background, where
    there is none), and its box as fractions of the image's width and height (x1, y1, x2, y2; the
    convention's thousandths over 1000; NaN on the background). None for an image without regions
    (older data)."""
    if not image.regions:
        return None
    t, h, w = image.grid
    cell = patch_size * merge_size
    centres_y = (np.arange(h // merge_size) + 0.5) * cell
    centres_x = (np.arange(w // merge_size) + 0.5) * cell
    covering = np.full((h // merge_size, w // merge_size), -1, dtype=np.int64)
    for index, region in enumerate(image.regions):  # drawing order: a later picture covers an earlier one
        x1, y1, x2, y2 = region.box
        rows = (centres_y >= y1) & (centres_y < y2)
        columns = (centres_x >= x1) & (centres_x < x2)
        covering[np.ix_(rows, columns)] = index
    shown = np.tile(covering.reshape(-1), t) + 1  # 0: no region
    kinds = np.asarray([0] + [PICTURE_KINDS.index(region.kind) for region in image.regions], dtype=np.int64)
    size = np.asarray([w, h, w, h], dtype=np.float32) * patch_size
    boxes = np.asarray([[np.nan] * 4] + [np.asarray(r.box, dtype=np.float32) / size for r in image.regions])
    return kinds[shown], boxes[shown].astype(np.float32)


def copied_tokens(ids: np.ndarray, spans: Sequence[tuple[int, int]], tool_response: int) -> np.ndarray:
    """The loss tokens a model can only get right by copying what it last read: those whose pair
    with the token before them occurs in the latest tool response before their span and nowhere
    earlier (the second token of a name read off the results, not of the prompt's own words)."""
    copies = np.zeros(len(ids), dtype=bool)
    opens = np.flatnonzero(ids == tool_response)
    for start, end in spans:
        before = opens[opens < start]
        if before.size == 0:
            continue
        read = int(before[-1])
        pairs = set(zip(ids[read:start].tolist(), ids[read + 1 : start].tolist()))
        pairs -= set(zip(ids[:read].tolist(), ids[1 : read + 1].tolist()))
        for position in range(max(start, 1), end):
            copies[position] = (int(ids[position - 1]), int(ids[position])) in pairs
    return copies


class Collator:
    """Turns records into a Batch, processing their images with the reference processor."""

    def __init__(
        self, directory: Path, processor: ImageProcessor, pad_id: int, image_pad: int, tool_response: int | None = None
    ) -> None:
        self.directory = directory
        self.processor = processor
        self.pad_id = pad_id
        self.image_pad = image_pad
        self.tool_response = tool_response  # None: copies are not marked
        self.patch_size = processor.settings.patch_size
        self.merge_size = processor.settings.merge_size

    def __call__(self, records: Sequence[Record]) -> Batch:
        width = max(r.length for r in records)
        input_ids = torch.full((len(records), width), self.pad_id, dtype=torch.long)
        attention_mask = torch.zeros((len(records), width), dtype=torch.long)
        labels = torch.full((len(records), width), IGNORE, dtype=torch.long)
        pictures = torch.full((len(records), width), IGNORE, dtype=torch.long)
        boxes = torch.full((len(records), width, 4), float("nan"))
        copies = torch.zeros((len(records), width), dtype=torch.bool)
        pixels: list[np.ndarray] = []
        grids: list[tuple[int, int, int]] = []
        for row, record in enumerate(records):
            ids = torch.from_numpy(record.input_ids.astype(np.int64))
            input_ids[row, : record.length] = ids
            attention_mask[row, : record.length] = 1
            for start, end in record.loss_spans:
                labels[row, start:end] = ids[start:end]
            if self.tool_response is not None:
                copied = copied_tokens(record.input_ids, record.loss_spans, self.tool_response)
                copies[row, : record.length] = torch.from_numpy(copied)
            runs = image_pad_runs(record.input_ids, self.image_pad)
            for (start, end), image in zip(runs, record.images, strict=True):
                shown = picture_targets(image, self.patch_size, self.merge_size)
                if shown is not None:
                    pictures[row, start:end] = torch.from_numpy(shown[0])
                    boxes[row, start:end] = torch.from_numpy(shown[1])
                try:
                    values, grid = self.processor.process(self.directory / image.file)
                except ImageFailure as exc:
                    raise DataError(f"record {record.id} ({record.where}): {exc}") from None
                if grid != image.grid:
                    raise DataError(
                        f"record {record.id} ({record.where}): {image.file} gives grid {list(grid)}, "
                        f"the record says {list(image.grid)}"
                    )
                pixels.append(values)
                grids.append(grid)
        labelled = bool((pictures != IGNORE).any())
        return Batch(
            input_ids=input_ids,
            attention_mask=attention_mask,
            labels=labels,
            mm_token_type_ids=(input_ids == self.image_pad).int(),
            pixel_values=torch.from_numpy(np.concatenate(pixels)) if pixels else None,
            image_grid_thw=torch.tensor(grids, dtype=torch.long) if grids else None,
            tokens=int(sum(r.length for r in records)),
            picture_labels=pictures if labelled else None,
            copies=copies if self.tool_response is not None else None,
            picture_boxes=boxes if labelled else None,
        )


class BatchList(torch.utils.data.Dataset):
    """Pre-planned batches as a map-style dataset, so a DataLoader's workers can collate them."""

    def __init__(self, batches: list[list[int]], records: Sequence[Record], collator: Collator) -> None:
        self.batches = batches
        self.records = records
        self.collator = collator

    def __len__(self) -> int:
        return len(self.batches)

    def __getitem__(self, index: int) -> Batch:
        return self.collator([self.records[i] for i in self.batches[index]])
