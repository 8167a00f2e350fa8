#!/usr/bin/env python3
"""Trains GoG-Tiny's byte-level BPE tokenizer and writes a Hugging Face tokenizer directory.

    python train/tokenizer.py --text FILE [FILE ...] --vocab-size 4096 --out DIR

The tokenizer has Qwen's shape, so the Rust runtime's Qwen tokenizer and chat handling apply
unchanged: NFC normalisation, Qwen's pre-tokenizer split (single digits, letter runs, punctuation
runs, newlines, spaces) followed by GPT-2's byte-to-unicode map, and a byte-level decoder. The
vocabulary is exactly --vocab-size: the learned BPE tokens first, then Qwen's 16 special tokens,
then `<answer>` and `</answer>` as ordinary added tokens, so the specials sit at the end with
consecutive ids. Training is deterministic: the same files in the same order give the same bytes.

Writes tokenizer.json, tokenizer_config.json (with Qwen2-VL's chat template, which renders every
message on its own; the data export relies on that) and tokenizer_report.json.
"""

from __future__ import annotations

import argparse
import sys
from dataclasses import dataclass
from pathlib import Path

from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers

from errors import TokenizerTrainError, TrainError
from files import json_text, read_json, sha256_file, write_json

# Qwen's chat format lives beside the reference script that builds the tiny reference models.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "reference"))
from qwen_chat import CHAT_TEMPLATE, QWEN_SPLIT, SPECIAL_TOKENS  # noqa: E402

# The agent's answer tags: single tokens, but not special, so decoding keeps them.
ADDED_TOKENS = ["<answer>", "</answer>"]
BYTE_ALPHABET = 256

TOKENIZER_FILES = ["tokenizer.json", "tokenizer_config.json"]


# What an image token can show, as words: the first is no picture, the rest are the kinds the
# scenes draw (the nouns GoG-Tiny's reasoning and grounding turns use).
PICTURE_KINDS = ("background", "flag", "monument", "animal", "logo", "picture")


def first_tokens(tokenizer: Tokenizer, words: tuple[str, ...], path: Path) -> tuple[int, ...]:
    """The first token of each word, which must all differ."""
    ids = tuple(tokenizer.encode(word, add_special_tokens=False).ids[:1] for word in words)
    if any(not i for i in ids) or len({i[0] for i in ids}) != len(words):
        raise TrainError(f"{path}: the words {', '.join(words)} do not start with distinct tokens")
    return tuple(i[0] for i in ids)


@dataclass(frozen=True)
class TokenIds:
    """The ids the model config and the data checks need, read from a tokenizer.json."""

    vocab_size: int
    endoftext: int
    im_start: int
    im_end: int
    vision_start: int
    vision_end: int
    image_pad: int
    video_pad: int
    digits: tuple[int, ...] = ()  # the ids of "0" to "9" (digits are split one by one)
    picture_kinds: tuple[int, ...] = ()  # the first token of each word of PICTURE_KINDS
    tool_response: int | None = None  # <tool_response>, where what the model reads begins

    @classmethod
    def from_tokenizer_file(cls, path: Path) -> TokenIds:
        """Looks the special tokens up by name, so no id is ever hard-coded."""
        try:
            tokenizer = Tokenizer.from_file(str(path))
        except Exception as exc:  # tokenizers raises plain Exception subclasses
            raise TrainError(f"{path}: not a tokenizers JSON file: {exc}") from None

        def lookup(token: str) -> int:
            token_id = tokenizer.token_to_id(token)
            if token_id is None:
                raise TrainError(f"{path}: the tokenizer has no {token} token")
            return token_id

        return cls(
            vocab_size=tokenizer.get_vocab_size(with_added_tokens=True),
            endoftext=lookup("<|endoftext|>"),
            im_start=lookup("<|im_start|>"),
            im_end=lookup("<|im_end|>"),
            vision_start=lookup("<|vision_start|>"),
            vision_end=lookup("<|vision_end|>"),
            image_pad=lookup("<|image_pad|>"),
            video_pad=lookup("<|video_pad|>"),
            digits=tuple(lookup(digit) for digit in "0123456789"),
            picture_kinds=first_tokens(tokenizer, PICTURE_KINDS, path),
            tool_response=lookup("<tool_response>"),
        )


def read_texts(paths: list[Path]) -> list[str]:
    """Reads the training text strictly as UTF-8: a mis-encoded file is an error, not noise."""
    texts = []
    for path in paths:
        try:
            texts.append(path.read_bytes().decode("utf-8"))
        except FileNotFoundError:
            raise TokenizerTrainError(f"{path}: file not found") from None
        except UnicodeDecodeError as exc:
            raise TokenizerTrainError(f"{path}: not UTF-8 at byte {exc.start}: {exc.reason}") from None
    if not any(texts):
        raise TokenizerTrainError("the training text is empty")
    return texts


def train_tokenizer(texts: list[str], vocab_size: int) -> Tokenizer:
    """Learns vocab_size - 18 BPE tokens from the texts, then appends the special and answer tokens."""
    reserved = len(SPECIAL_TOKENS) + len(ADDED_TOKENS)
    bpe_size = vocab_size - reserved
    if bpe_size < BYTE_ALPHABET:
        raise TokenizerTrainError(
            f"--vocab-size {vocab_size} is too small: the 256 bytes and {reserved} special tokens need "
            f"at least {BYTE_ALPHABET + reserved}"
        )
    tokenizer = Tokenizer(models.BPE())
    tokenizer.normalizer = normalizers.NFC()
    tokenizer.pre_tokenizer = pre_tokenizers.Sequence(
        [
            pre_tokenizers.Split(Regex(QWEN_SPLIT), behavior="isolated", invert=False),
            pre_tokenizers.ByteLevel(add_prefix_space=False, use_regex=False),
        ]
    )
    tokenizer.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=bpe_size, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False
    )
    lines = [line for text in texts for line in text.splitlines(keepends=True)]
    tokenizer.train_from_iterator(lines, trainer, length=len(lines))
    learned = tokenizer.get_vocab_size(with_added_tokens=True)
    if learned != bpe_size:
        raise TokenizerTrainError(
            f"the text yields only {learned} BPE tokens, but --vocab-size {vocab_size} needs {bpe_size} "
            f"(plus {reserved} special tokens): give more text or a smaller vocabulary"
        )
    tokenizer.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in SPECIAL_TOKENS])
    tokenizer.add_tokens([AddedToken(t, special=False, normalized=False) for t in ADDED_TOKENS])
    for offset, token in enumerate(SPECIAL_TOKENS + ADDED_TOKENS):
        if tokenizer.token_to_id(token) != bpe_size + offset:
            raise TokenizerTrainError(f"{token} did not get id {bpe_size + offset}: the BPE learned it as a word")
    if tokenizer.get_vocab_size(with_added_tokens=True) != vocab_size:
        raise TokenizerTrainError(f"vocabulary is {tokenizer.get_vocab_size()} tokens, expected {vocab_size}")
    return tokenizer


def tokenizer_config(model_max_length: int) -> dict:
    """tokenizer_config.json as transformers and the Rust runtime read it."""
    return {
        "tokenizer_class": "Qwen2TokenizerFast",
        "eos_token": "<|im_end|>",
        "pad_token": "<|endoftext|>",
        "unk_token": None,
        "bos_token": None,
        "add_prefix_space": False,
        "clean_up_tokenization_spaces": False,
        "errors": "replace",
        "split_special_tokens": False,
        "model_max_length": model_max_length,
        "chat_template": CHAT_TEMPLATE,
    }


def report(tokenizer: Tokenizer, paths: list[Path], texts: list[str], tokenizer_json: Path) -> dict:
    """Sizes, special ids and compression on the training text, to compare tokenizers by."""
    per_file = []
    for path, text in zip(paths, texts, strict=True):
        tokens = sum(
            len(e.ids) for e in tokenizer.encode_batch(text.splitlines(keepends=True), add_special_tokens=False)
        )
        per_file.append({"file": str(path), "characters": len(text), "tokens": tokens})
    characters = sum(f["characters"] for f in per_file)
    tokens = sum(f["tokens"] for f in per_file)
    return {
        "vocab_size": tokenizer.get_vocab_size(with_added_tokens=True),
        "bpe_tokens": tokenizer.get_vocab_size(with_added_tokens=True) - len(SPECIAL_TOKENS) - len(ADDED_TOKENS),
        "special_token_ids": {t: tokenizer.token_to_id(t) for t in SPECIAL_TOKENS + ADDED_TOKENS},
        "characters_per_token": round(characters / max(tokens, 1), 4),
        "text": per_file,
        "tokenizer_sha256": sha256_file(tokenizer_json),
    }


def write_tokenizer_dir(paths: list[Path], vocab_size: int, out: Path, model_max_length: int) -> dict:
    """Trains on the files and writes the three files into out; returns the report."""
    texts = read_texts(paths)
    tokenizer = train_tokenizer(texts, vocab_size)
    out.mkdir(parents=True, exist_ok=True)
    tokenizer_json = out / "tokenizer.json"
    tokenizer.save(str(tokenizer_json))
    write_json(out / "tokenizer_config.json", tokenizer_config(model_max_length))
    summary = report(tokenizer, paths, texts, tokenizer_json)
    write_json(out / "tokenizer_report.json", summary)
    return summary


def check_tokenizer_dir(directory: Path) -> TokenIds:
    """Checks that a directory holds both tokenizer files and returns its special ids."""
    for name in TOKENIZER_FILES:
        if not (directory / name).is_file():
            raise TrainError(f"{directory / name}: file not found (make it with train/tokenizer.py)")
    read_json(directory / "tokenizer_config.json", TrainError)
    return TokenIds.from_tokenizer_file(directory / "tokenizer.json")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--text", type=Path, nargs="+", required=True, help="UTF-8 text files to learn merges from")
    parser.add_argument("--vocab-size", type=int, default=4096, help="total vocabulary, special tokens included")
    parser.add_argument("--model-max-length", type=int, default=4096, help="written to tokenizer_config.json")
    parser.add_argument("--out", type=Path, required=True, help="directory to write the tokenizer into")
    args = parser.parse_args(argv)
    try:
        summary = write_tokenizer_dir(args.text, args.vocab_size, args.out, args.model_max_length)
    except TrainError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(json_text({k: v for k, v in summary.items() if k != "text"}), end="")
    return 0


if __name__ == "__main__":
    sys.exit(main())
