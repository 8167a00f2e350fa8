"""Builds small data directories in the gog-train-data contract format for the tests.

Everything is made the way the Rust exporter is meant to make it: a tokenizer trained by
train/tokenizer.py, PNG images, token ids rendered from the chat template one message at a time with
each image expanded to its grid's pad count, loss spans on the assistant replies (closing <|im_end|>
included), and a manifest with real sizes and hashes.
"""

from __future__ import annotations

import json
import random
import sys
from dataclasses import dataclass, field
from pathlib import Path

TRAIN_DIR = Path(__file__).resolve().parents[1]
if str(TRAIN_DIR) not in sys.path:
    sys.path.insert(0, str(TRAIN_DIR))

import numpy as np  # noqa: E402 - after the sys.path set-up
import torch  # noqa: E402 - after the sys.path set-up
from PIL import Image  # noqa: E402 - after the sys.path set-up
from tokenizers import Tokenizer  # noqa: E402 - after the sys.path set-up

from files import sha256_file  # noqa: E402 - after the sys.path set-up
from gog_tiny import init_model_dir  # noqa: E402 - after the sys.path set-up
from images import ImageProcessor, ProcessorSettings, pixel_sha256  # noqa: E402 - after the sys.path set-up
from tokenizer import write_tokenizer_dir  # noqa: E402 - after the sys.path set-up

torch.set_num_threads(1)
PYTHON = sys.executable
MIN_PIXELS, MAX_PIXELS = 64 * 64, 128 * 128
SETTINGS = ProcessorSettings(16, 2, 2, MIN_PIXELS, MAX_PIXELS, (0.5, 0.5, 0.5), (0.5, 0.5, 0.5))
COLOURS = {"red": (220, 40, 40), "blue": (40, 60, 220), "green": (40, 200, 60)}
WORDS = (  # noqa: SIM905 - a sentence of words reads better than a list of strings
    "glance gaze search image region crop answer tower bridge river flag capital statue visitor year "
    "window photo country left right which when how tall made finished flows belongs shows results "
    "reflects found changes question web text colour shape square circle box"
).split()


def corpus(lines: int = 1500, seed: int = 1) -> str:
    """Deterministic English-like text with numbers and the agent's markup, to train a tokenizer on."""
    rng = random.Random(seed)
    out = []
    for _ in range(lines):
        sentence = " ".join(rng.choice(WORDS) for _ in range(rng.randint(4, 12)))
        if rng.random() < 0.3:
            sentence += f" {rng.randint(0, 2000)}"
        out.append(sentence.capitalize() + rng.choice(["?", ".", "!"]))
    out.append('<tool_call>\n{"name": "image_search", "arguments": {"bbox_2d": [10, 20, 300, 400]}}\n</tool_call>')
    return "\n".join(out) + "\n"


def make_tokenizer(directory: Path, vocab_size: int = 512, seed: int = 1) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    text = directory.parent / f"corpus-{seed}.txt"
    text.write_text(corpus(seed=seed), encoding="utf-8")
    write_tokenizer_dir([text], vocab_size, directory, 4096)
    return directory


def make_model(directory: Path, tokenizer_dir: Path, seed: int = 0) -> Path:
    init_model_dir(tokenizer_dir, "tiny", seed, directory, MIN_PIXELS, MAX_PIXELS)
    return directory


def picture(colour: str, width: int, height: int, seed: int) -> Image.Image:
    """A coloured square on a noisy background: what the answer depends on."""
    rng = np.random.default_rng(seed)
    pixels = rng.integers(0, 60, size=(height, width, 3)).astype(np.uint8) + 100
    y0, x0 = height // 4, width // 4
    pixels[y0 : y0 + height // 2, x0 : x0 + width // 2] = COLOURS[colour]
    return Image.fromarray(pixels, mode="RGB")


@dataclass
class DataBuilder:
    """Accumulates records and images, then writes DATA/ with a correct manifest."""

    tokenizer_dir: Path
    directory: Path
    shard_size: int = 4
    records: list[dict] = field(default_factory=list)
    images: dict[str, bytes] = field(default_factory=dict)

    def __post_init__(self) -> None:
        self.tokenizer = Tokenizer.from_file(str(self.tokenizer_dir / "tokenizer.json"))
        self.processor = ImageProcessor(SETTINGS)
        (self.directory / "images").mkdir(parents=True, exist_ok=True)

    def encode(self, text: str) -> list[int]:
        return self.tokenizer.encode(text, add_special_tokens=False).ids

    def add_image(self, name: str, image: Image.Image | bytes, regions: tuple[tuple[str, tuple], ...] = ()) -> dict:
        """Writes images/<name>; returns the record's image entry (grid and pixel hash from the processor,
        and `regions`, (kind, box in the image's pixels), scaled to the processor's resized image)."""
        path = self.directory / "images" / name
        if isinstance(image, bytes):
            path.write_bytes(image)
            return {"file": f"images/{name}", "grid_thw": [1, 4, 4], "pixel_sha256": "0" * 64}
        image.save(path, format="PNG")
        values, grid = self.processor.process(path)
        entry = {"file": f"images/{name}", "grid_thw": list(grid), "pixel_sha256": pixel_sha256(values)}
        if regions:
            scale = (grid[2] * SETTINGS.patch_size / image.width, grid[1] * SETTINGS.patch_size / image.height)
            entry["regions"] = [
                {"kind": kind, "box": [round(v * scale[i % 2]) for i, v in enumerate(box)]} for kind, box in regions
            ]
        return entry

    def user_turn(self, text: str, image: dict | None) -> list[int]:
        """A user message, its image expanded to <|image_pad|> x (t*h*w / merge^2)."""
        ids = self.encode("<|im_start|>user\n")
        if image is not None:
            t, h, w = image["grid_thw"]
            ids += self.encode("<|vision_start|>" + "<|image_pad|>" * (t * h * w // 4) + "<|vision_end|>")
        return ids + self.encode(f"{text}<|im_end|>\n")

    def add_record(self, record_id: str, turns: list[tuple[str, str, dict | None]], filler: int = 0) -> dict:
        """turns: (user text, assistant reply, image shown with the user text). The replies are trained on."""
        ids = self.encode("<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n")
        if filler:
            ids += self.encode("<|im_start|>user\n" + " ".join(["search"] * filler) + "<|im_end|>\n")
        spans, images = [], []
        for user, reply, image in turns:
            ids += self.user_turn(user, image)
            if image is not None:
                images.append(image)
            ids += self.encode("<|im_start|>assistant\n")
            start = len(ids)
            ids += self.encode(reply) + self.encode("<|im_end|>")
            spans.append([start, len(ids)])
            ids += self.encode("\n")
        record = {
            "id": record_id, "scene": record_id.split(".")[0], "split": "train", "category": "gaze",
            "behaviour": "gaze", "input_ids": ids, "loss_spans": spans, "images": images,
        }  # fmt: skip
        self.records.append(record)
        return record

    def write(self) -> Path:
        shards = []
        for index in range(0, len(self.records), self.shard_size):
            name = f"shard-{index // self.shard_size:05d}.jsonl"
            chunk = self.records[index : index + self.shard_size]
            (self.directory / name).write_text("".join(json.dumps(r) + "\n" for r in chunk), encoding="utf-8")
            shards.append({"name": name, "records": len(chunk)})

        def entries(listed: list[dict]) -> list[dict]:
            return [
                {**entry, "bytes": (self.directory / entry["name"]).stat().st_size,
                 "sha256": sha256_file(self.directory / entry["name"])}
                for entry in listed
            ]  # fmt: skip

        images = sorted(f"images/{p.name}" for p in (self.directory / "images").iterdir())
        manifest = {
            "format": "gog-train-data", "version": 1, "kind": "sft",
            "tokenizer_sha256": sha256_file(self.tokenizer_dir / "tokenizer.json"),
            "processor": SETTINGS.to_manifest(), "max_length": 4096,
            "shards": entries(shards), "images": entries([{"name": n} for n in images]),
            "summary": {"records": len(self.records), "note": "made by train/tests/support.py"},
        }  # fmt: skip
        (self.directory / "manifest.json").write_text(json.dumps(manifest, indent=2), encoding="utf-8")
        return self.directory


def standard_data(tokenizer_dir: Path, directory: Path, records: int = 12, seed: int = 0) -> Path:
    """A small learnable data set: the answer is the colour of the square in the picture. Some
    records have two turns and two images (a look, then a crop); one is too long for the context."""
    rng = random.Random(seed)
    builder = DataBuilder(tokenizer_dir, directory)
    sizes = [(64, 64), (96, 64), (64, 96), (128, 96)]
    for index in range(records):
        colour = rng.choice(sorted(COLOURS))
        width, height = sizes[index % len(sizes)]
        square = ("flag", (width // 4, height // 4, width // 4 + width // 2, height // 4 + height // 2))
        first = builder.add_image(
            f"scene-{index:03d}.png", picture(colour, width, height, seed * 1000 + index), regions=(square,)
        )
        turns = [
            ("What colour is the square?", f"<think>I see a {colour} square.</think><answer>{colour}</answer>", first)
        ]
        if index % 3 == 0:
            crop = builder.add_image(f"scene-{index:03d}-crop.png", picture(colour, 64, 64, seed * 1000 + index + 500))
            call = '<tool_call>\n{"name": "crop", "arguments": {"bbox_2d": [16, 16, 48, 48]}}\n</tool_call>'
            turns = [
                ("Look closer at the square.", call, first),
                ("Here is the crop.", f"<answer>{colour}</answer>", crop),
            ]
        builder.add_record(f"scene-{index:03d}.0", turns)
    too_long = builder.add_image("long.png", picture("red", 64, 64, 99))
    builder.add_record("long.0", [("What colour?", "<answer>red</answer>", too_long)], filler=4200)
    return builder.write()
