"""GoG-Tiny model sizes, seeded initialisation, and the model directory the trainer reads and writes.

A model directory is a complete Hugging Face checkpoint that both transformers
(`Qwen3VLForConditionalGeneration.from_pretrained`) and the project's Rust runtime load:
config.json, model.safetensors, tokenizer.json, tokenizer_config.json, preprocessor_config.json and
generation_config.json. Token ids in the config always come from the tokenizer, so the model and the
data can be checked against each other instead of trusting numbers typed twice.
"""

from __future__ import annotations

import shutil
from dataclasses import asdict, dataclass
from pathlib import Path

import torch
from transformers import GenerationConfig, Qwen3VLConfig, Qwen3VLForConditionalGeneration
from transformers.utils import logging as hf_logging

from errors import ModelDirError, TrainError
from files import read_json, sha256_bytes, sha256_file, write_json
from images import ProcessorSettings
from tokenizer import TOKENIZER_FILES, TokenIds, check_tokenizer_dir

DEFAULT_MIN_PIXELS = 32 * 32 * 4  # 4 merged tokens: the smallest image the runtime is shown
DEFAULT_MAX_PIXELS = 448 * 448  # 196 merged tokens of 32x32 pixels
PATCH_SIZE, MERGE_SIZE, TEMPORAL_PATCH_SIZE = 16, 2, 2
IMAGE_MEAN = IMAGE_STD = (0.5, 0.5, 0.5)  # Qwen3-VL's normalisation
ROPE_THETA = 1_000_000.0
MAX_POSITIONS = 4096
PROMPT_FAMILY = "gog_tiny"  # the compact prompts GoG-Tiny is trained and run on
hf_logging.disable_progress_bar()  # save_pretrained's shard bar is noise in logs and tests

MODEL_FILES = ["config.json", "model.safetensors", "preprocessor_config.json", "generation_config.json"]


@dataclass(frozen=True)
class Preset:
    """One model size. Heads of `head_dim` give head_dim/2 rotary pairs, split over (t, h, w) by
    `mrope_section` and interleaved as in Qwen3-VL."""

    text_hidden: int
    text_layers: int
    text_heads: int
    text_kv_heads: int
    head_dim: int
    text_mlp: int
    mrope_section: tuple[int, int, int]
    vision_depth: int
    vision_hidden: int
    vision_heads: int
    vision_mlp: int
    deepstack: tuple[int, ...]
    vision_positions: int = 1024  # a learned 32x32 position grid, resampled to each image's grid


PRESETS: dict[str, Preset] = {
    # For tests and smoke runs only: about 0.17 M parameters with a 512-token vocabulary.
    "tiny": Preset(
        text_hidden=32, text_layers=2, text_heads=2, text_kv_heads=1, head_dim=16, text_mlp=64,
        mrope_section=(2, 3, 3), vision_depth=2, vision_hidden=32, vision_heads=2, vision_mlp=64,
        deepstack=(0, 1), vision_positions=64,
    ),
    "3m": Preset(
        text_hidden=128, text_layers=4, text_heads=4, text_kv_heads=2, head_dim=32, text_mlp=384,
        mrope_section=(6, 5, 5), vision_depth=3, vision_hidden=128, vision_heads=2, vision_mlp=384,
        deepstack=(0, 1), vision_positions=1024,
    ),
    "10m": Preset(
        text_hidden=256, text_layers=6, text_heads=4, text_kv_heads=2, head_dim=64, text_mlp=768,
        mrope_section=(12, 10, 10), vision_depth=4, vision_hidden=192, vision_heads=3, vision_mlp=512,
        deepstack=(1, 2), vision_positions=1024,
    ),
    "25m": Preset(
        text_hidden=384, text_layers=8, text_heads=6, text_kv_heads=2, head_dim=64, text_mlp=1152,
        mrope_section=(12, 10, 10), vision_depth=6, vision_hidden=256, vision_heads=4, vision_mlp=768,
        deepstack=(1, 3), vision_positions=1024,
    ),
}  # fmt: skip


def build_config(preset: Preset, ids: TokenIds, max_positions: int = MAX_POSITIONS) -> Qwen3VLConfig:
    """A Qwen3-VL config of the preset's size, with every token id taken from the tokenizer."""
    if sum(preset.mrope_section) * 2 != preset.head_dim:
        raise TrainError(f"mrope_section {preset.mrope_section} must sum to head_dim/2 = {preset.head_dim // 2}")
    return Qwen3VLConfig(
        text_config=dict(
            vocab_size=ids.vocab_size,
            hidden_size=preset.text_hidden,
            intermediate_size=preset.text_mlp,
            num_hidden_layers=preset.text_layers,
            num_attention_heads=preset.text_heads,
            num_key_value_heads=preset.text_kv_heads,
            head_dim=preset.head_dim,
            hidden_act="silu",
            max_position_embeddings=max_positions,
            rms_norm_eps=1e-6,
            initializer_range=0.02,
            attention_dropout=0.0,
            rope_parameters={
                "rope_type": "default",
                "rope_theta": ROPE_THETA,
                "mrope_section": list(preset.mrope_section),
                "mrope_interleaved": True,
            },
            bos_token_id=ids.endoftext,
            eos_token_id=ids.im_end,
            pad_token_id=ids.endoftext,
            tie_word_embeddings=True,
        ),
        vision_config=dict(
            depth=preset.vision_depth,
            hidden_size=preset.vision_hidden,
            intermediate_size=preset.vision_mlp,
            num_heads=preset.vision_heads,
            hidden_act="gelu_pytorch_tanh",
            patch_size=PATCH_SIZE,
            spatial_merge_size=MERGE_SIZE,
            temporal_patch_size=TEMPORAL_PATCH_SIZE,
            out_hidden_size=preset.text_hidden,
            num_position_embeddings=preset.vision_positions,
            deepstack_visual_indexes=list(preset.deepstack),
            initializer_range=0.02,
        ),
        image_token_id=ids.image_pad,
        video_token_id=ids.video_pad,
        vision_start_token_id=ids.vision_start,
        vision_end_token_id=ids.vision_end,
        tie_word_embeddings=True,
        dtype="float32",
        # The runtime reads this to prompt the model as it was trained (the agent's
        # prompts/gog_tiny/); transformers keeps it as a plain attribute.
        gog_prompt_family=PROMPT_FAMILY,
    )


def parameter_counts(model: Qwen3VLForConditionalGeneration) -> dict[str, int]:
    """Unique parameters (the tied head counted once) of the text model, the vision tower and both."""
    text = sum(p.numel() for p in model.model.language_model.parameters())
    vision = sum(p.numel() for p in model.model.visual.parameters())
    total = sum(p.numel() for p in model.parameters())
    return {"text": text, "vision": vision, "total": total}


def generation_config(ids: TokenIds) -> GenerationConfig:
    """Stops on <|im_end|> (end of turn) and <|endoftext|>, as Qwen's instruct models do."""
    return GenerationConfig(
        bos_token_id=ids.endoftext, eos_token_id=[ids.im_end, ids.endoftext], pad_token_id=ids.endoftext
    )


def write_support_files(out: Path, tokenizer_dir: Path, settings: ProcessorSettings, ids: TokenIds) -> None:
    """Everything in a model directory except config.json and the weights."""
    for name in TOKENIZER_FILES:
        shutil.copyfile(tokenizer_dir / name, out / name)
    write_json(out / "preprocessor_config.json", settings.to_preprocessor_config())
    generation_config(ids).save_pretrained(out)


def init_model_dir(
    tokenizer_dir: Path, size: str, seed: int, out: Path, min_pixels: int, max_pixels: int
) -> dict[str, int]:
    """Writes a seeded random-init model directory; returns its parameter counts."""
    if size not in PRESETS:
        raise TrainError(f"unknown --size {size!r}; choose one of {', '.join(PRESETS)}")
    if not 0 < min_pixels <= max_pixels:
        raise TrainError(f"need 0 < --min-pixels <= --max-pixels, got {min_pixels} and {max_pixels}")
    ids = check_tokenizer_dir(tokenizer_dir)
    config = build_config(PRESETS[size], ids)
    torch.manual_seed(seed)
    model = Qwen3VLForConditionalGeneration(config).float()
    out.mkdir(parents=True, exist_ok=True)
    model.save_pretrained(out, safe_serialization=True)
    settings = ProcessorSettings(
        PATCH_SIZE, MERGE_SIZE, TEMPORAL_PATCH_SIZE, min_pixels, max_pixels, IMAGE_MEAN, IMAGE_STD
    )
    write_support_files(out, tokenizer_dir, settings, ids)
    counts = parameter_counts(model)
    write_json(
        out / "gog_init.json",
        {"size": size, "preset": asdict(PRESETS[size]), "seed": seed, "parameters": counts,
         "tokenizer_sha256": sha256_file(out / "tokenizer.json")},
    )  # fmt: skip
    return counts


@dataclass(frozen=True)
class ModelDir:
    """A checked model directory: its config, token ids and processor settings agree with each other."""

    path: Path
    config: dict
    ids: TokenIds
    processor: ProcessorSettings
    tokenizer_sha256: str

    @property
    def max_positions(self) -> int:
        return int(self.config["text_config"]["max_position_embeddings"])

    @classmethod
    def open(cls, path: Path) -> ModelDir:
        """Reads and cross-checks the directory; raises ModelDirError naming the file at fault."""
        for name in MODEL_FILES + TOKENIZER_FILES:
            if not (path / name).is_file():
                raise ModelDirError(f"{path / name}: file not found (make the model with `sft.py init`)")
        config = read_json(path / "config.json", ModelDirError)
        try:
            ids = TokenIds.from_tokenizer_file(path / "tokenizer.json")
        except TrainError as exc:
            raise ModelDirError(str(exc)) from None
        preprocessor = read_json(path / "preprocessor_config.json", ModelDirError)
        try:
            processor = ProcessorSettings.from_preprocessor_config(preprocessor)
        except (KeyError, TypeError, ValueError) as exc:
            raise ModelDirError(f"{path / 'preprocessor_config.json'}: {exc}") from None
        try:
            text, vision = config["text_config"], config["vision_config"]
            expected = {
                "text_config.vocab_size": (text["vocab_size"], ids.vocab_size),
                "image_token_id": (config["image_token_id"], ids.image_pad),
                "video_token_id": (config["video_token_id"], ids.video_pad),
                "vision_start_token_id": (config["vision_start_token_id"], ids.vision_start),
                "vision_end_token_id": (config["vision_end_token_id"], ids.vision_end),
                "vision_config.patch_size": (vision["patch_size"], processor.patch_size),
                "vision_config.spatial_merge_size": (vision["spatial_merge_size"], processor.merge_size),
                "vision_config.temporal_patch_size": (vision["temporal_patch_size"], processor.temporal_patch_size),
            }
        except KeyError as exc:
            raise ModelDirError(f"{path / 'config.json'}: missing {exc}") from None
        wrong = [f"{key} is {have}, expected {want}" for key, (have, want) in expected.items() if have != want]
        if wrong:
            raise ModelDirError(
                f"{path}: config.json disagrees with tokenizer.json/preprocessor_config.json: " + "; ".join(wrong)
            )
        return cls(path, config, ids, processor, sha256_file(path / "tokenizer.json"))

    def fingerprint(self) -> str:
        """sha256 over the files that define the initial model, to tell one model from another."""
        parts = [sha256_file(self.path / name) for name in ["config.json", "model.safetensors", "tokenizer.json"]]
        return sha256_bytes(",".join(parts).encode())

    def load(self, device: torch.device) -> Qwen3VLForConditionalGeneration:
        """The model in float32 on `device`."""
        try:
            model = Qwen3VLForConditionalGeneration.from_pretrained(self.path, dtype=torch.float32)
        except (OSError, ValueError, RuntimeError) as exc:
            raise ModelDirError(f"{self.path}: transformers cannot load the model: {exc}") from None
        return model.to(device)

    def write_export(self, model: Qwen3VLForConditionalGeneration, out: Path) -> None:
        """Saves `model` as a complete model directory with this directory's support files."""
        out.mkdir(parents=True, exist_ok=True)
        model.save_pretrained(out, safe_serialization=True)
        write_support_files(out, self.path, self.processor, self.ids)
