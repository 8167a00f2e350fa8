"""train/gog_tiny.py: presets, seeded init, and a model directory transformers loads back."""

from __future__ import annotations

import json
import subprocess
import tempfile
import unittest
from pathlib import Path

import support
import torch
from safetensors.torch import load_file

from errors import ModelDirError
from gog_tiny import PRESETS, ModelDir, build_config, parameter_counts
from tokenizer import TokenIds


class ModelTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.tmp = tempfile.TemporaryDirectory()
        cls.root = Path(cls.tmp.name)
        cls.tokenizer = support.make_tokenizer(cls.root / "tok")
        cls.model = support.make_model(cls.root / "model", cls.tokenizer, seed=3)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.tmp.cleanup()

    def test_init_round_trips_through_from_pretrained(self) -> None:
        from transformers import GenerationConfig, Qwen3VLForConditionalGeneration

        model = Qwen3VLForConditionalGeneration.from_pretrained(self.model)
        saved = load_file(self.model / "model.safetensors")
        state = model.state_dict()
        for name, tensor in saved.items():
            self.assertTrue(torch.equal(state[name], tensor), name)
        ids = TokenIds.from_tokenizer_file(self.tokenizer / "tokenizer.json")
        self.assertEqual(model.config.image_token_id, ids.image_pad)
        self.assertEqual(model.config.vision_start_token_id, ids.vision_start)
        self.assertEqual(model.config.text_config.vocab_size, 512)
        self.assertTrue(model.config.tie_word_embeddings)
        self.assertEqual(model.lm_head.weight.data_ptr(), model.model.language_model.embed_tokens.weight.data_ptr())
        generation = GenerationConfig.from_pretrained(self.model)
        self.assertEqual(generation.eos_token_id, [ids.im_end, ids.endoftext])
        checked = ModelDir.open(self.model)
        self.assertEqual(checked.processor, support.SETTINGS)

    def test_preprocessor_config_loads_in_transformers(self) -> None:
        from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil

        config = json.loads((self.model / "preprocessor_config.json").read_text())
        self.assertEqual(config["image_processor_type"], "Qwen2VLImageProcessor")
        self.assertEqual(config["size"], {"shortest_edge": support.MIN_PIXELS, "longest_edge": support.MAX_PIXELS})
        processor = Qwen2VLImageProcessorPil.from_pretrained(self.model)
        self.assertEqual((processor.patch_size, processor.merge_size), (16, 2))
        self.assertEqual(processor.size["longest_edge"], support.MAX_PIXELS)

    def test_init_command(self) -> None:
        out = self.root / "cli"
        result = subprocess.run(
            [support.PYTHON, str(support.TRAIN_DIR / "sft.py"), "init", "--tokenizer", str(self.tokenizer),
             "--size", "tiny", "--seed", "3", "--out", str(out), "--min-pixels", str(support.MIN_PIXELS),
             "--max-pixels", str(support.MAX_PIXELS)],
            capture_output=True, text=True,
        )  # fmt: skip
        self.assertEqual(result.returncode, 0, result.stderr)
        self.assertRegex(result.stdout, r"parameters: text [\d,]+, vision [\d,]+, total [\d,]+")
        for name in ("config.json", "model.safetensors", "tokenizer.json", "tokenizer_config.json",
                     "preprocessor_config.json", "generation_config.json"):  # fmt: skip
            self.assertEqual((out / name).read_bytes(), (self.model / name).read_bytes(), name)

    def test_same_seed_same_bytes(self) -> None:
        again = support.make_model(self.root / "again", self.tokenizer, seed=3)
        other = support.make_model(self.root / "other", self.tokenizer, seed=4)
        weights = (self.model / "model.safetensors").read_bytes()
        self.assertEqual((again / "model.safetensors").read_bytes(), weights)
        self.assertNotEqual((other / "model.safetensors").read_bytes(), weights)

    def test_presets(self) -> None:
        ids = TokenIds(4096, 4078, 4079, 4080, 4082, 4083, 4084, 4085)
        config = build_config(PRESETS["10m"], ids)
        self.assertEqual(config.text_config.rope_parameters["mrope_section"], [12, 10, 10])
        self.assertEqual(config.vision_config.out_hidden_size, 256)
        with torch.device("meta"):
            from transformers import Qwen3VLForConditionalGeneration

            counts = parameter_counts(Qwen3VLForConditionalGeneration(config))
        self.assertTrue(9_000_000 < counts["total"] < 11_000_000, counts)

    def test_mismatched_directory_is_refused(self) -> None:
        broken = self.root / "broken"
        support.make_model(broken, self.tokenizer)
        config = json.loads((broken / "config.json").read_text())
        config["image_token_id"] = 3
        (broken / "config.json").write_text(json.dumps(config))
        with self.assertRaisesRegex(ModelDirError, "image_token_id is 3"):
            ModelDir.open(broken)


if __name__ == "__main__":
    unittest.main()
