"""train/data.py and train/batching.py: every contract check, drops, and the batch plan."""

from __future__ import annotations

import json
import shutil
import subprocess
import tempfile
import unittest
from pathlib import Path

import support

import numpy as np
import torch

from batching import IGNORE, Collator, copied_tokens, epoch_batches, pack
from data import IMAGE_GRID_MISMATCH, IMAGE_UNREADABLE, TOO_LONG, load_dataset
from errors import DataError, TokenizerMismatchError
from files import sha256_file
from gog_tiny import ModelDir
from images import ImageProcessor
from tokenizer import PICTURE_KINDS


def rewrite_manifest(directory: Path) -> None:
    """Recomputes the manifest's sizes and hashes after a test edited a file on purpose."""
    path = directory / "manifest.json"
    manifest = json.loads(path.read_text())
    for entry in manifest["shards"] + manifest["images"]:
        entry["bytes"] = (directory / entry["name"]).stat().st_size
        entry["sha256"] = sha256_file(directory / entry["name"])
    path.write_text(json.dumps(manifest))


def edit_record(directory: Path, shard: str, line: int, change) -> None:
    path = directory / shard
    lines = path.read_text().splitlines()
    record = json.loads(lines[line])
    change(record)
    lines[line] = json.dumps(record)
    path.write_text("\n".join(lines) + "\n")
    rewrite_manifest(directory)


class DataTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.tmp = tempfile.TemporaryDirectory()
        cls.root = Path(cls.tmp.name)
        cls.tokenizer = support.make_tokenizer(cls.root / "tok")
        cls.model_path = support.make_model(cls.root / "model", cls.tokenizer)
        cls.model = ModelDir.open(cls.model_path)
        cls.data = support.standard_data(cls.tokenizer, cls.root / "data")

    @classmethod
    def tearDownClass(cls) -> None:
        cls.tmp.cleanup()

    def copy(self, name: str) -> Path:
        target = self.root / name
        shutil.copytree(self.data, target)
        return target

    def test_good_data_loads_and_long_record_is_dropped(self) -> None:
        dataset = load_dataset(self.data, self.model, pixel_sample=None)
        self.assertEqual(len(dataset.records), 12)
        self.assertEqual(dict(dataset.dropped), {TOO_LONG: 1})
        self.assertEqual(dataset.pixels_checked, 16)
        self.assertEqual(dataset.problems, [])
        self.assertTrue(all(r.length <= self.model.max_positions for r in dataset.records))

    def test_check_command(self) -> None:
        result = subprocess.run(
            [support.PYTHON, str(support.TRAIN_DIR / "sft.py"), "check", "--model", str(self.model_path),
             "--data", str(self.data)],
            capture_output=True, text=True,
        )  # fmt: skip
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertIn('"too_long": 1', result.stdout)
        self.assertIn("ok", result.stdout.splitlines()[-1])

    def test_corrupt_shard_is_refused_by_name(self) -> None:
        data = self.copy("corrupt-shard")
        shard = data / "shard-00001.jsonl"
        raw = bytearray(shard.read_bytes())
        raw[10] ^= 0x01
        shard.write_bytes(bytes(raw))
        with self.assertRaisesRegex(DataError, r"shard-00001\.jsonl: sha256 .* the file is corrupt"):
            load_dataset(data, self.model, pixel_sample=0)
        shard.write_bytes(bytes(raw[:-5]))
        with self.assertRaisesRegex(DataError, r"shard-00001\.jsonl: \d+ bytes, manifest.json says"):
            load_dataset(data, self.model, pixel_sample=0)

    def test_other_tokenizer_is_refused(self) -> None:
        other_tokenizer = support.make_tokenizer(self.root / "tok-other", vocab_size=400, seed=2)
        other = ModelDir.open(support.make_model(self.root / "model-other", other_tokenizer))
        with self.assertRaisesRegex(TokenizerMismatchError, "tokenized with tokenizer.json sha256"):
            load_dataset(self.data, other, pixel_sample=0)

    def test_processor_mismatch_is_refused(self) -> None:
        data = self.copy("processor")
        manifest = json.loads((data / "manifest.json").read_text())
        manifest["processor"]["max_pixels"] = 200704
        (data / "manifest.json").write_text(json.dumps(manifest))
        with self.assertRaisesRegex(DataError, "max_pixels: 200704 vs 16384"):
            load_dataset(data, self.model, pixel_sample=0)

    def test_bad_images_are_reported_and_dropped(self) -> None:
        data = self.copy("bad-images")
        (data / "images" / "scene-001.png").write_bytes(b"\x89PNG\r\n\x1a\n" + b"garbage" * 20)

        def wrong_grid(record: dict) -> None:  # scene-002 is 64x96 (grid 1x6x4); claim 1x4x6 with matching pads
            record["images"][0]["grid_thw"] = [1, 4, 6]
            record["images"][0].pop("regions")  # drawn on the real grid, they would not fit the claimed one

        edit_record(data, "shard-00000.jsonl", 2, wrong_grid)
        rewrite_manifest(data)
        dataset = load_dataset(data, self.model, pixel_sample=None)
        self.assertEqual(dataset.dropped[IMAGE_UNREADABLE], 1)
        self.assertEqual(dataset.dropped[IMAGE_GRID_MISMATCH], 1)
        self.assertEqual(len(dataset.records), 10)
        text = "\n".join(dataset.problems)
        self.assertRegex(text, r"scene-001\.png: cannot open")
        self.assertRegex(text, r"scene-002\.png: the processor gives grid_thw \[1, 6, 4\], record scene-002\.0")
        result = subprocess.run(
            [support.PYTHON, str(support.TRAIN_DIR / "sft.py"), "check", "--model", str(self.model_path),
             "--data", str(data)],
            capture_output=True, text=True,
        )  # fmt: skip
        self.assertEqual(result.returncode, 1)
        self.assertIn("2 image problems", result.stdout)
        self.assertIn('"image_unreadable": 1', result.stdout)

    def test_pixel_hash_mismatch_is_found(self) -> None:
        data = self.copy("pixels")
        edit_record(data, "shard-00000.jsonl", 1, lambda r: r["images"][0].update(pixel_sha256="ab" * 32))
        dataset = load_dataset(data, self.model, pixel_sample=None)
        self.assertEqual(dataset.dropped["pixel_hash_mismatch"], 1)
        self.assertRegex(dataset.problems[0], r"scene-001\.png: the processor's pixel_values hash to")

    def test_contract_violations_name_the_line(self) -> None:
        pad = self.model.ids.image_pad
        cases = {
            "pad count": (lambda r: r["input_ids"].insert(r["input_ids"].index(pad), pad),
                          r"shard-00000\.jsonl:1 \(record 'scene-000\.0'\): image 0 .*: "
                          r"5 <\|image_pad\|> tokens at \d+, but grid_thw \[1, 4, 4\] needs 4"),
            "vocabulary": (lambda r: r["input_ids"].__setitem__(3, 512), r"input_ids\[3\] = 512 is outside"),
            "span": (lambda r: r["loss_spans"].append([5, 10_000]), r"loss span \[5, 10000\)"),
            "image count": (lambda r: r["images"].pop(), r"runs of <\|image_pad\|> but 1 images"),
            "field": (lambda r: r.pop("loss_spans"), r"missing field 'loss_spans'"),
            "unlisted image": (lambda r: r["images"][0].update(file="images/nope.png"), r"not listed in manifest"),
            "region kind": (lambda r: r["images"][0]["regions"][0].update(kind="cloud"),
                            r"images\[0\]\.regions\[0\] is not a region of kind flag, monument"),
            "region box": (lambda r: r["images"][0]["regions"][0].update(box=[10, 10, 999, 20]),
                           r"images\[0\]\.regions\[0\]\.box \[10, 10, 999, 20\] is not \[x1, y1, x2, y2\] inside"),
        }  # fmt: skip
        for name, (change, pattern) in cases.items():
            with self.subTest(name):
                data = self.copy(f"violation-{name.replace(' ', '-')}")
                edit_record(data, "shard-00000.jsonl", 0, change)
                with self.assertRaisesRegex(DataError, pattern):
                    load_dataset(data, self.model, pixel_sample=0)

    def test_collation(self) -> None:
        dataset = load_dataset(self.data, self.model, pixel_sample=0)
        collator = Collator(
            self.data, ImageProcessor(self.model.processor), self.model.ids.endoftext, self.model.ids.image_pad
        )
        records = dataset.records[:3]
        batch = collator(records)
        width = max(r.length for r in records)
        self.assertEqual(tuple(batch.input_ids.shape), (3, width))
        self.assertEqual(int(batch.attention_mask.sum()), sum(r.length for r in records))
        self.assertEqual(int((batch.labels != IGNORE).sum()), sum(sum(e - s for s, e in r.loss_spans) for r in records))
        self.assertEqual(int(batch.mm_token_type_ids.sum()), int(batch.image_grid_thw.prod(-1).sum()) // 4)
        self.assertEqual(batch.pixel_values.shape[0], int(batch.image_grid_thw.prod(-1).sum()))
        first = records[0]
        start, end = first.loss_spans[0]
        self.assertEqual(batch.labels[0, start:end].tolist(), first.input_ids[start:end].tolist())
        self.assertEqual(batch.labels[0, start - 1].item(), IGNORE)

    def test_picture_labels_follow_the_topmost_region_at_each_cell_centre(self) -> None:
        from batching import picture_targets
        from data import ImageRef, Region

        # 96x64 pixels: 2 rows of 3 merged 32-pixel cells, centres at x 16, 48, 80 and y 16, 48.
        flag, logo = Region("flag", (0, 0, 64, 64)), Region("logo", (40, 0, 96, 32))
        image = ImageRef("images/x.png", (1, 4, 6), "0" * 64, (flag, logo))
        kinds = PICTURE_KINDS
        labels, boxes = picture_targets(image, 16, 2)
        self.assertEqual(
            labels.tolist(),
            [kinds.index(k) for k in ("flag", "logo", "logo", "flag", "flag", "background")],
        )
        self.assertIsNone(picture_targets(ImageRef("images/x.png", (1, 4, 6), "0" * 64), 16, 2))
        flag_box, logo_box = [0, 0, 64 / 96, 1], [40 / 96, 0, 1, 0.5]
        np.testing.assert_allclose(boxes[[0, 1, 2, 3, 4]], [flag_box, logo_box, logo_box, flag_box, flag_box])
        self.assertTrue(np.isnan(boxes[5]).all(), "the background shows no picture")
        dataset = load_dataset(self.data, self.model, pixel_sample=0)
        collator = Collator(
            self.data, ImageProcessor(self.model.processor), self.model.ids.endoftext, self.model.ids.image_pad
        )
        batch = collator(dataset.records[:3])
        labelled = batch.picture_labels != IGNORE
        self.assertTrue(bool((labelled <= (batch.mm_token_type_ids == 1)).all()), "only image tokens are labelled")
        shown = batch.picture_labels[labelled]
        self.assertTrue(bool((shown == 0).any() and (shown == kinds.index("flag")).any()), shown.tolist())
        boxed = ~torch.isnan(batch.picture_boxes[..., 0])
        self.assertTrue(bool((boxed == (labelled & (batch.picture_labels != 0))).all()), "a box where a picture is")

    def test_copied_tokens_continue_a_pair_first_read_in_the_latest_tool_response(self) -> None:
        read = 90  # the <tool_response> id
        ids = np.array([5, 6, 7, 20, 21, read, 10, 11, 12, 20, 21, 3, 11, 12, 5, 6, 20, 21, 99])
        # Learned: "11 12" (read, and new there), "5 6" (the prompt's own words) and "20 21" (read,
        # but in the prompt before it too, so writing it proves no reading).
        copies = copied_tokens(ids, [(12, 19)], read)
        self.assertEqual(np.flatnonzero(copies).tolist(), [13])
        self.assertFalse(copied_tokens(ids, [(1, 5)], read).any(), "nothing was read before that span")

    def test_batch_plan(self) -> None:
        lengths = [50, 300, 120, 80, 700, 60, 90, 250, 1200, 40] * 5
        plan = epoch_batches(lengths, seed=7, epoch=2, batch_tokens=1000, window=16)
        self.assertEqual(plan, epoch_batches(lengths, seed=7, epoch=2, batch_tokens=1000, window=16))
        self.assertNotEqual(plan, epoch_batches(lengths, seed=7, epoch=3, batch_tokens=1000, window=16))
        self.assertEqual(sorted(i for batch in plan for i in batch), list(range(len(lengths))))
        for batch in plan:
            padded = max(lengths[i] for i in batch) * len(batch)
            self.assertTrue(padded <= 1000 or len(batch) == 1, batch)
        self.assertEqual(pack([0, 1, 2], [600, 600, 600], 1000), [[0], [1], [2]])


if __name__ == "__main__":
    unittest.main()
