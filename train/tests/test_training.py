"""train/trainer.py end to end: loss falls, exact resume after a kill, fallback from a corrupt
checkpoint, refused resume with other arguments, and a final model transformers loads."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import tempfile
import time
import unittest
from dataclasses import replace
from pathlib import Path

import support
import torch
from safetensors import safe_open
from safetensors.torch import load_file

from errors import DataError, ResumeMismatchError
from trainer import TrainArgs, train

STEPS = 40


def train_lines(run: Path) -> list[dict]:
    lines = [json.loads(line) for line in (run / "log.jsonl").read_text().splitlines()]
    return [line for line in lines if line["kind"] == "train"]


class TrainingTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.tmp = tempfile.TemporaryDirectory()
        cls.root = Path(cls.tmp.name)
        tokenizer = support.make_tokenizer(cls.root / "tok")
        cls.model = support.make_model(cls.root / "model", tokenizer)
        cls.data = support.standard_data(tokenizer, cls.root / "data", seed=0)
        cls.val = support.standard_data(tokenizer, cls.root / "val", records=6, seed=1)
        cls.args = TrainArgs(
            model=cls.model, data=cls.data, val=cls.val, out=cls.root / "reference", steps=STEPS, lr=3e-3,
            warmup=0.1, batch_tokens=512, threads=1, log_every=1, eval_every=20, checkpoint_minutes=60, box_weight=1.0,
        )  # fmt: skip
        cls.summary = train(cls.args, report=lambda _: None)
        cls.reference = load_file(cls.args.out / "final" / "model.safetensors")

    @classmethod
    def tearDownClass(cls) -> None:
        cls.tmp.cleanup()

    def assert_same_weights(self, run: Path) -> None:
        weights = load_file(run / "final" / "model.safetensors")
        self.assertEqual(weights.keys(), self.reference.keys())
        for name, tensor in weights.items():
            self.assertTrue(torch.equal(tensor, self.reference[name]), f"{name} differs from the uninterrupted run")
        self.assertEqual([e["loss"] for e in train_lines(run)], [e["loss"] for e in train_lines(self.args.out)])

    def test_loss_falls_and_summary(self) -> None:
        losses = [entry["loss"] for entry in train_lines(self.args.out)]
        self.assertEqual(len(losses), STEPS)
        first, last = sum(losses[:3]) / 3, sum(losses[-3:]) / 3
        self.assertLess(last, first * 0.8, losses)
        summary = json.loads((self.args.out / "summary.json").read_text())
        self.assertEqual(summary["steps"], STEPS)
        self.assertEqual(summary["dropped"]["train"], {"too_long": 1})
        self.assertEqual((summary["device"], summary["threads"]), ("cpu", 1))
        self.assertEqual(summary["val"]["records"], 6)
        self.assertLess(summary["val"]["loss"], first)
        val = [json.loads(line) for line in (self.args.out / "log.jsonl").read_text().splitlines() if '"val"' in line]
        self.assertEqual([entry["step"] for entry in val], [20, 40])
        # The squares are regions: every validation reads them, better than all-background would.
        background = 1 - 0.25  # a square covers about a quarter of each picture
        self.assertGreater(val[-1]["picture_acc"], 0.0)
        self.assertNotEqual(val[-1]["picture_acc"], background)
        # And each square's box is read off the vision tower's output: the error is a fraction of a
        # side (as thousandths), and it falls as the run trains.
        self.assertLess(val[-1]["box_error"], val[0]["box_error"], val)
        self.assertTrue(0.0 <= val[-1]["box_acc"] <= 1.0, val)

    def test_final_model_loads_and_loss_matches_transformers(self) -> None:
        from transformers import Qwen3VLForConditionalGeneration

        from batching import Collator
        from data import load_dataset
        from gog_tiny import ModelDir
        from images import ImageProcessor
        from trainer import Environment, batch_loss

        final = ModelDir.open(self.args.out / "final")
        self.assertEqual(final.tokenizer_sha256, ModelDir.open(self.model).tokenizer_sha256)
        model = Qwen3VLForConditionalGeneration.from_pretrained(self.args.out / "final").eval()
        dataset = load_dataset(self.data, final, pixel_sample=0)
        collator = Collator(self.data, ImageProcessor(final.processor), final.ids.endoftext, final.ids.image_pad)
        batch = collator(dataset.records[:4])
        with torch.no_grad():
            losses = batch_loss(model, batch, Environment(self.args))
            loss_sum, count = losses.lm, losses.count
            reference = model(
                input_ids=batch.input_ids, attention_mask=batch.attention_mask, labels=batch.labels,
                pixel_values=batch.pixel_values, image_grid_thw=batch.image_grid_thw,
                mm_token_type_ids=batch.mm_token_type_ids,
            ).loss  # fmt: skip
        self.assertAlmostEqual(float(loss_sum) / count, float(reference), places=5)

    def test_digits_weigh_digit_weight_times(self) -> None:
        from batching import Collator
        from data import load_dataset
        from gog_tiny import ModelDir
        from images import ImageProcessor
        from trainer import Environment, batch_loss

        final = ModelDir.open(self.args.out / "final")
        from tokenizers import Tokenizer

        tokenizer = Tokenizer.from_file(str(final.path / "tokenizer.json"))
        self.assertEqual(final.ids.digits, tuple(tokenizer.encode(str(d)).ids[0] for d in range(10)))
        model = final.load(torch.device("cpu")).eval()
        dataset = load_dataset(self.data, final, pixel_sample=0)
        collator = Collator(self.data, ImageProcessor(final.processor), final.ids.endoftext, final.ids.image_pad)
        batch, env = collator(dataset.records[:4]), Environment(self.args)
        every = torch.arange(final.ids.vocab_size)
        with torch.no_grad():
            plain, _, count, *_ = batch_loss(model, batch, env)
            everything = batch_loss(model, batch, env, every, 3.0).lm
            digits = batch_loss(model, batch, env, torch.tensor(final.ids.digits), 3.0).lm
            none = batch_loss(model, batch, env, torch.tensor([final.ids.video_pad]), 3.0).lm
        self.assertGreater(count, 0)
        self.assertAlmostEqual(float(everything), 3.0 * float(plain), places=3)
        self.assertAlmostEqual(float(none), float(plain), places=5)
        targets = batch.labels[:, 1:]
        if torch.isin(targets, torch.tensor(final.ids.digits)).any():
            self.assertGreater(float(digits), float(plain))
        self.assertLess(float(digits), float(everything))

    def test_export_writes_the_newest_checkpoint_as_a_model(self) -> None:
        out = self.root / "exported"
        command = [support.PYTHON, str(support.TRAIN_DIR / "sft.py"), "export", "--model", str(self.model),
                   "--checkpoint", str(self.args.out), "--out", str(out)]  # fmt: skip
        subprocess.run(command, check=True, capture_output=True)
        weights = load_file(out / "model.safetensors")
        self.assertEqual(weights.keys(), self.reference.keys())
        for name, tensor in weights.items():
            self.assertTrue(torch.equal(tensor, self.reference[name]), f"{name} differs from the final model")
        refused = subprocess.run([*command[:-4], "--checkpoint", str(self.root), "--out", str(out)],
                                 capture_output=True, text=True)  # fmt: skip
        self.assertEqual(refused.returncode, 2, refused.stderr)
        self.assertIn("neither a checkpoint nor a run directory", refused.stderr)

    def test_reference_writes_the_final_models_logits_for_gog_vlm_check(self) -> None:
        out = self.root / "reference.safetensors"
        final = self.args.out / "final"
        command = [support.PYTHON, str(support.TRAIN_DIR / "sft.py"), "reference", "--model", str(final),
                   "--data", str(self.val), "--out", str(out), "--records", "2"]  # fmt: skip
        subprocess.run(command, check=True, capture_output=True)
        with safe_open(out, "pt") as fixture:
            settings = json.loads(fixture.metadata()["gog"])
            tensors = {name: fixture.get_tensor(name) for name in fixture.keys()}
        self.assertEqual(settings["cases"], ["record0", "record1"])
        for case in settings["cases"]:
            ids = tensors[f"{case}.input_ids"]
            self.assertEqual(tensors[f"{case}.position_ids"].shape, (3, len(ids)))
            self.assertEqual(tensors[f"{case}.logits"].shape[0], len(ids))
            self.assertEqual(tensors[f"{case}.logits"].dtype, torch.float32)
            self.assertGreater(len(tensors[f"{case}.image_grid_thw"]), 0)
        refused = subprocess.run([*command[:-2], "--records", "2", "--max-tokens", "1"],
                                 capture_output=True, text=True)  # fmt: skip
        self.assertEqual(refused.returncode, 2, refused.stderr)
        self.assertIn("no record with a picture", refused.stderr)

    def test_kill_and_resume_is_exact(self) -> None:
        args = replace(self.args, out=self.root / "killed", checkpoint_every=1)
        command = [
            support.PYTHON, str(support.TRAIN_DIR / "sft.py"), "train", "--model", str(args.model),
            "--data", str(args.data), "--val", str(args.val), "--out", str(args.out), "--steps", str(STEPS),
            "--lr", str(args.lr), "--warmup", str(args.warmup), "--batch-tokens", str(args.batch_tokens),
            "--threads", "1", "--log-every", "1", "--eval-every", "20", "--checkpoint-every", "1",
            "--box-weight", str(args.box_weight),
        ]  # fmt: skip
        process = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        log = args.out / "log.jsonl"
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline and process.poll() is None:
            if log.exists() and sum(1 for line in log.read_text().splitlines() if '"train"' in line) >= 8:
                break
            time.sleep(0.01)
        os.kill(process.pid, signal.SIGKILL)
        process.wait()
        self.assertEqual(process.returncode, -signal.SIGKILL, "the run ended before it could be killed")
        self.assertFalse((args.out / "summary.json").exists())
        messages: list[str] = []
        train(args, report=messages.append)
        self.assertTrue(any(m.startswith("resuming from") for m in messages), messages)
        self.assert_same_weights(args.out)

    def test_truncated_checkpoint_falls_back_to_previous(self) -> None:
        args = replace(self.args, out=self.root / "truncated", checkpoint_every=16, eval_every=0)
        train(args, report=lambda _: None)
        checkpoints = sorted(p.name for p in (args.out / "checkpoints").iterdir())
        self.assertEqual(checkpoints, ["step-00000032", "step-00000040"])
        optimizer = args.out / "checkpoints" / "step-00000040" / "optimizer.pt"
        optimizer.write_bytes(optimizer.read_bytes()[:100])
        messages: list[str] = []
        train(args, report=messages.append)
        text = "\n".join(messages)
        self.assertRegex(text, r"checkpoint step-00000040 is invalid .*optimizer\.pt: 100 bytes")
        self.assertRegex(text, r"resuming from .*step-00000032 \(step 32 of 40")
        self.assertTrue((args.out / "checkpoints" / "rejected-step-00000040").is_dir())
        self.assertEqual(len(train_lines(args.out)), STEPS)
        self.assert_same_weights(args.out)

    def test_loader_workers_give_the_same_run(self) -> None:
        args = replace(self.args, out=self.root / "workers", workers=1)
        train(args, report=lambda _: None)
        self.assert_same_weights(args.out)

    def test_behaviour_selects_the_records_trained_on(self) -> None:
        every = replace(self.args, out=self.root / "behaviour-gaze", steps=2, eval_every=0, behaviour="gaze")
        summary = train(every, report=lambda _: None)
        self.assertEqual(summary["records"], json.loads((self.args.out / "summary.json").read_text())["records"])
        none = replace(every, out=self.root / "behaviour-reading", behaviour="reading")
        with self.assertRaisesRegex(DataError, "no usable records"):
            train(none, report=lambda _: None)

    def test_resume_with_other_arguments_is_refused(self) -> None:
        with self.assertRaisesRegex(ResumeMismatchError, r"--lr: 0\.003 then, 0\.002 now"):
            train(replace(self.args, lr=2e-3), report=lambda _: None)
        with self.assertRaisesRegex(ResumeMismatchError, r"--val \(manifest sha256\)"):
            train(replace(self.args, val=None), report=lambda _: None)


if __name__ == "__main__":
    unittest.main()
