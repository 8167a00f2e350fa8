"""train/tokenizer.py: determinism, exact vocabulary layout, and agreement with transformers."""

from __future__ import annotations

import json
import subprocess
import tempfile
import unittest
from pathlib import Path

import support

from errors import TokenizerTrainError
from tokenizer import ADDED_TOKENS, CHAT_TEMPLATE, SPECIAL_TOKENS, write_tokenizer_dir


class TokenizerTest(unittest.TestCase):
    @classmethod
    def setUpClass(cls) -> None:
        cls.tmp = tempfile.TemporaryDirectory()
        cls.root = Path(cls.tmp.name)
        cls.text = cls.root / "corpus.txt"
        cls.text.write_text(support.corpus(), encoding="utf-8")
        cls.report = write_tokenizer_dir([cls.text], 512, cls.root / "a", 4096)

    @classmethod
    def tearDownClass(cls) -> None:
        cls.tmp.cleanup()

    def test_cli_is_deterministic(self) -> None:
        out = self.root / "cli"
        subprocess.run(
            [support.PYTHON, str(support.TRAIN_DIR / "tokenizer.py"), "--text", str(self.text), "--vocab-size", "512",
             "--out", str(out)],
            check=True, capture_output=True,
        )  # fmt: skip
        for name in ("tokenizer.json", "tokenizer_config.json"):
            self.assertEqual((out / name).read_bytes(), (self.root / "a" / name).read_bytes(), name)

    def test_vocabulary_layout(self) -> None:
        ids = self.report["special_token_ids"]
        self.assertEqual(self.report["vocab_size"], 512)
        expected = {token: 512 - 18 + i for i, token in enumerate(SPECIAL_TOKENS + ADDED_TOKENS)}
        self.assertEqual(ids, expected)
        data = json.loads((self.root / "a" / "tokenizer.json").read_text())
        added = {t["content"]: t for t in data["added_tokens"]}
        self.assertTrue(all(added[t]["special"] and not added[t]["normalized"] for t in SPECIAL_TOKENS))
        self.assertTrue(all(not added[t]["special"] and not added[t]["normalized"] for t in ADDED_TOKENS))
        self.assertGreater(self.report["characters_per_token"], 1.5)

    def test_config_and_transformers_agree(self) -> None:
        from tokenizers import Tokenizer
        from transformers import AutoTokenizer

        config = json.loads((self.root / "a" / "tokenizer_config.json").read_text())
        self.assertEqual(config["tokenizer_class"], "Qwen2TokenizerFast")
        self.assertEqual((config["eos_token"], config["pad_token"]), ("<|im_end|>", "<|endoftext|>"))
        self.assertEqual(config["chat_template"], CHAT_TEMPLATE)
        raw = Tokenizer.from_file(str(self.root / "a" / "tokenizer.json"))
        loaded = AutoTokenizer.from_pretrained(self.root / "a")
        for text in ["Hello, world 1234!", "<|im_start|>user\nx<|im_end|>", "<think>a</think><answer>b</answer>",
                     "  two  spaces\r\n\n", "一张图片 café"]:  # fmt: skip
            ids = raw.encode(text, add_special_tokens=False).ids
            self.assertEqual(loaded.encode(text, add_special_tokens=False), ids, text)
            self.assertEqual(loaded.decode(ids), text)
        messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "Where?"}]}]
        rendered = loaded.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
        self.assertEqual(
            rendered,
            "<|im_start|>system\nYou are a helpful assistant.<|im_end|>\n<|im_start|>user\n"
            "<|vision_start|><|image_pad|><|vision_end|>Where?<|im_end|>\n<|im_start|>assistant\n",
        )

    def test_errors(self) -> None:
        short = self.root / "short.txt"
        short.write_text("tiny text\n", encoding="utf-8")
        with self.assertRaisesRegex(TokenizerTrainError, "yields only"):
            write_tokenizer_dir([short], 512, self.root / "b", 4096)
        latin1 = self.root / "latin1.txt"
        latin1.write_bytes("café".encode("latin-1"))
        with self.assertRaisesRegex(TokenizerTrainError, "latin1.txt: not UTF-8"):
            write_tokenizer_dir([latin1], 512, self.root / "c", 4096)
        with self.assertRaisesRegex(TokenizerTrainError, "too small"):
            write_tokenizer_dir([self.text], 200, self.root / "d", 4096)


if __name__ == "__main__":
    unittest.main()
