#!/usr/bin/env python3
"""Makes the tiny random-weight Qwen-VL models and the fixtures the Rust runtime is checked against.

Dev-time only: run it through `cargo xtask reference` (which sets up a venv from requirements.txt),
then commit what it writes under tests/fixtures/vlm/. Each family gets:

  <family>-tiny/config.json, model.safetensors   the model, saved by transformers (hub-style keys)
  <family>-tiny/preprocessor_config.json          the image processor's settings (pixel budget)
  <family>-tiny/tokenizer.json,                   a tiny byte-level BPE tokenizer with Qwen's pre-tokenizer
      tokenizer_config.json                       and special tokens, and a chat template
  <family>-tiny/tokenizer_goldens.json            token ids of a dozen strings, and rendered chat prompts
  <family>-tiny/fixture.safetensors               per case: source and resized images, pixel values,
                                                  grid, input ids, 3-D position ids, per-block vision
                                                  outputs, merged image embeddings, per-layer hidden
                                                  states, logits and greedy tokens

Cases: one non-square image whose merged grid is not divisible by the attention window, and two
images in one prompt (one of them shrunk by the pixel budget).
"""

import argparse
import json
from pathlib import Path

import numpy as np
import torch
from PIL import Image
from safetensors.torch import save_file
from tokenizers import AddedToken, Regex, Tokenizer, decoders, models, normalizers, pre_tokenizers, trainers
from transformers import (
    PreTrainedTokenizerFast,
    Qwen2_5_VLConfig,
    Qwen2_5_VLForConditionalGeneration,
    Qwen3VLConfig,
    Qwen3VLForConditionalGeneration,
)
from transformers.models.qwen2_vl.image_processing_pil_qwen2_vl import Qwen2VLImageProcessorPil, smart_resize

from qwen_chat import CHAT_TEMPLATE, QWEN_SPLIT, SPECIAL_TOKENS

SEED = 20260124
GREEDY_TOKENS = 8

# Token ids remapped into the tiny vocabulary (the real ones are above 151 000): a byte-level BPE of
# 496 tokens, then Qwen's special tokens in Qwen's order.
VOCAB = 512
BPE_VOCAB = VOCAB - len(SPECIAL_TOKENS)
ENDOFTEXT, IM_START, IM_END = BPE_VOCAB, BPE_VOCAB + 1, BPE_VOCAB + 2
VISION_START, VISION_END, IMAGE_PAD, VIDEO_PAD = 500, 501, 502, 503
assert SPECIAL_TOKENS[VISION_START - BPE_VOCAB] == "<|vision_start|>"
assert SPECIAL_TOKENS[IMAGE_PAD - BPE_VOCAB] == "<|image_pad|>"

# What the tiny BPE learns its merges from: fixed text, so the same script gives the same tokenizer.
CORPUS = """\
Glance or gaze: a search agent looks at the whole image, then answers, or searches the web for text,
or searches the whole image, or crops the region that matters and searches only that. It reads the
results, reflects on what it found, changes region when a gaze led nowhere, and answers the question.
When was the tower on the left finished? Which river flows past the bridge in the picture? How tall is
the statue, and who made it? The flag on the right belongs to which country, and what is its capital?
The photo shows 3 towers, 12 windows and 2024 visitors; the answer is 1889, the year it was finished.
一张图片里有两座塔。左边的塔是哪一年建成的？答案是一八八九年。
Numbers: 0 1 2 3 4 5 6 7 8 9 10 100 1000 3.14 -42 +7 1/2 50% $20 #1 @home.
"""


# Strings whose token ids the Rust tokenizer must reproduce.
GOLDEN_TEXTS = [
    "Hello, world!",
    "When was the tower on the left finished?",
    "  leading spaces and trailing  ",
    "line one\nline two\r\n\n\nthree",
    "digits 1234567890 and 3.14159",
    "一张图片里有两座塔。",
    "emoji 🗼🌉 and accents: café, naïve, Ångström",
    "<|im_start|>user\nWhat is this?<|im_end|>",
    "<|vision_start|><|image_pad|><|image_pad|><|vision_end|>",
    "<tool_call>\n{\"name\": \"image_search\", \"arguments\": {\"bbox_2d\": [10, 20, 300, 400]}}\n</tool_call>",
    "<think>The flag is red.</think><answer>Japan</answer>",
    "",
]

GOLDEN_CHATS = [
    (
        [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": "When was the tower finished?"}]}],
        True,
    ),
    (
        [
            {"role": "system", "content": "You search the web."},
            {"role": "user", "content": [{"type": "text", "text": "Compare"}, {"type": "image"}, {"type": "image"}]},
            {"role": "assistant", "content": "<think>Two towers.</think>"},
            {"role": "user", "content": "Which is taller?"},
        ],
        True,
    ),
    ([{"role": "user", "content": "plain text"}], False),
]
# Random weights with a larger spread than the default 0.02, so greedy decoding does not collapse
# onto one token and top-1 agreement means something.
INIT_RANGE = 0.1


def synthetic_image(width: int, height: int, seed: int) -> Image.Image:
    """A deterministic picture with gradients, a disc and a bar: enough structure for bicubic."""
    rng = np.random.default_rng(seed)
    y, x = np.mgrid[0:height, 0:width].astype(np.float64)
    r = 255 * x / max(width - 1, 1)
    g = 255 * y / max(height - 1, 1)
    b = 127 + 127 * np.sin(x / 7.0 + y / 5.0)
    cx, cy, radius = width * 0.3, height * 0.6, min(width, height) * 0.2
    disc = (x - cx) ** 2 + (y - cy) ** 2 < radius**2
    r[disc], g[disc], b[disc] = 220, 40, 60
    bar = (x > width * 0.6) & (x < width * 0.75)
    r[bar], g[bar], b[bar] = 30, 30, 200
    noise = rng.integers(-12, 13, size=(height, width, 3))
    pixels = np.stack([r, g, b], axis=-1) + noise
    return Image.fromarray(np.clip(pixels, 0, 255).astype(np.uint8), mode="RGB")


# Sizes both tiny families share. Heads of 16 give 8 rotary frequency pairs, split [2, 3, 3]
# between the temporal, height and width positions.
TINY_TEXT = dict(
    vocab_size=VOCAB,
    hidden_size=32,
    intermediate_size=64,
    num_hidden_layers=2,
    num_attention_heads=2,
    num_key_value_heads=1,
    initializer_range=INIT_RANGE,
    # Long enough for the agent's prompts, which this tiny vocabulary spells almost letter by
    # letter, over several turns.
    max_position_embeddings=16384,
    rms_norm_eps=1e-6,
    bos_token_id=ENDOFTEXT,
    eos_token_id=IM_END,
)
TINY_VISION = dict(
    depth=2,
    hidden_size=32,
    intermediate_size=64,
    num_heads=2,
    out_hidden_size=32,
    initializer_range=INIT_RANGE,
    spatial_merge_size=2,
    temporal_patch_size=2,
)
TOKEN_IDS = dict(
    image_token_id=IMAGE_PAD,
    video_token_id=VIDEO_PAD,
    vision_start_token_id=VISION_START,
    vision_end_token_id=VISION_END,
    tie_word_embeddings=True,
)


def qwen2_5_vl_config() -> Qwen2_5_VLConfig:
    return Qwen2_5_VLConfig(
        text_config=dict(
            TINY_TEXT,
            rope_parameters={"rope_type": "default", "rope_theta": 1_000_000.0, "mrope_section": [2, 3, 3]},
            tie_word_embeddings=True,
        ),
        vision_config=dict(TINY_VISION, patch_size=14, window_size=56, fullatt_block_indexes=[1]),
        **TOKEN_IDS,
    )


def qwen3_vl_config() -> Qwen3VLConfig:
    return Qwen3VLConfig(
        text_config=dict(
            TINY_TEXT,
            head_dim=16,
            rope_parameters={
                "rope_type": "default",
                "rope_theta": 5_000_000.0,
                "mrope_section": [2, 3, 3],
                "mrope_interleaved": True,
            },
        ),
        vision_config=dict(TINY_VISION, patch_size=16, num_position_embeddings=16, deepstack_visual_indexes=[0, 1]),
        **TOKEN_IDS,
    )


# Merged tokens per image are capped by this budget: 12 tokens of 28x28 pixels.
MIN_PIXELS = 56 * 56
MAX_PIXELS = 28 * 28 * 12

CASES = {
    # 150x60: resized to 140x56, a 4x10 patch grid, 2x5 merged: 5 is not a multiple of the
    # 2x2 merged-token window.
    "one_image": [(150, 60, 1)],
    # 200x150 exceeds the budget and is shrunk to 112x84; 60x90 is portrait.
    "two_images": [(200, 150, 2), (60, 90, 3)],
}


def prompt_ids(grids: list[list[int]], rng: np.random.Generator) -> list[int]:
    """Text, then each image as <vision_start> <image_pad>*n <vision_end>, then more text."""
    ids = rng.integers(3, 490, size=4).tolist()
    for t, h, w in grids:
        ids += [VISION_START] + [IMAGE_PAD] * (t * h * w // 4) + [VISION_END]
        ids += rng.integers(3, 490, size=2).tolist()
    return ids + rng.integers(3, 490, size=3).tolist()


def run_case(model, processor, name: str, images_spec, rng, min_pixels, max_pixels) -> dict[str, torch.Tensor]:
    out: dict[str, torch.Tensor] = {}
    images = [synthetic_image(w, h, seed) for (w, h, seed) in images_spec]
    for i, image in enumerate(images):
        out[f"{name}.image{i}"] = torch.from_numpy(np.asarray(image).copy())
        height, width = image.height, image.width
        factor = processor.patch_size * processor.merge_size
        rh, rw = smart_resize(height, width, factor, min_pixels, max_pixels)
        out[f"{name}.resized{i}"] = torch.from_numpy(np.asarray(image.resize((rw, rh), Image.BICUBIC)).copy())
    batch = processor(images=images, return_tensors="pt")
    pixel_values, grid = batch["pixel_values"], batch["image_grid_thw"]
    out[f"{name}.pixel_values"] = pixel_values.float()
    out[f"{name}.image_grid_thw"] = grid

    ids = torch.tensor([prompt_ids(grid.tolist(), rng)])
    mm_types = (ids == IMAGE_PAD).int()
    out[f"{name}.input_ids"] = ids[0]

    visual = model.model.visual
    captured: dict[str, torch.Tensor] = {}
    hooks = [
        block.register_forward_hook(lambda _m, _i, o, k=k: captured.__setitem__(f"vision_block{k}", o))
        for k, block in enumerate(visual.blocks)
    ]
    hooks.append(visual.merger.register_forward_hook(lambda _m, _i, o: captured.__setitem__("merger", o)))
    for k, merger in enumerate(getattr(visual, "deepstack_merger_list", [])):
        hooks.append(merger.register_forward_hook(lambda _m, _i, o, k=k: captured.__setitem__(f"deepstack{k}", o)))
    with torch.no_grad():
        position_ids, deltas = model.model.get_rope_index(ids, mm_token_type_ids=mm_types, image_grid_thw=grid)
        result = model(
            input_ids=ids,
            pixel_values=pixel_values,
            image_grid_thw=grid,
            mm_token_type_ids=mm_types,
            output_hidden_states=True,
        )
        generated = model.generate(
            input_ids=ids,
            pixel_values=pixel_values,
            image_grid_thw=grid,
            mm_token_type_ids=mm_types,
            attention_mask=torch.ones_like(ids),
            max_new_tokens=GREEDY_TOKENS,
            min_new_tokens=GREEDY_TOKENS,
            do_sample=False,
        )
    for hook in hooks:
        hook.remove()
    out[f"{name}.position_ids"] = position_ids[:, 0, :]
    out[f"{name}.rope_delta"] = deltas.reshape(-1)
    for key, value in captured.items():
        # The merger output is in window order; the model un-permutes it before use.
        out[f"{name}.{key}"] = (value[0] if isinstance(value, tuple) else value).float()
    for layer, hidden in enumerate(result.hidden_states):
        out[f"{name}.hidden_state{layer}"] = hidden[0].float()
    out[f"{name}.logits"] = result.logits[0].float()
    out[f"{name}.greedy_tokens"] = generated[0, ids.shape[1] :]
    return out


def tiny_tokenizer() -> Tokenizer:
    """A byte-level BPE with Qwen's normaliser, pre-tokenizer and special tokens, and a tiny vocabulary."""
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
        vocab_size=BPE_VOCAB, initial_alphabet=pre_tokenizers.ByteLevel.alphabet(), show_progress=False
    )
    tokenizer.train_from_iterator(CORPUS.splitlines(keepends=True), trainer)
    assert tokenizer.get_vocab_size() == BPE_VOCAB, tokenizer.get_vocab_size()
    tokenizer.add_special_tokens([AddedToken(t, special=True, normalized=False) for t in SPECIAL_TOKENS])
    assert tokenizer.token_to_id("<|image_pad|>") == IMAGE_PAD
    return tokenizer


def save_tokenizer(out_dir: Path) -> Tokenizer:
    """tokenizer.json, tokenizer_config.json with the chat template, and goldens rendered by transformers."""
    tokenizer = tiny_tokenizer()
    tokenizer.save(str(out_dir / "tokenizer.json"))
    config = {
        "tokenizer_class": "Qwen2TokenizerFast",
        "eos_token": "<|im_end|>",
        "pad_token": "<|endoftext|>",
        "chat_template": CHAT_TEMPLATE,
    }
    (out_dir / "tokenizer_config.json").write_text(json.dumps(config, indent=2, ensure_ascii=False) + "\n")
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, chat_template=CHAT_TEMPLATE)
    encodings = [{"text": text, "ids": tokenizer.encode(text, add_special_tokens=False).ids} for text in GOLDEN_TEXTS]
    chats = []
    for messages, add_generation_prompt in GOLDEN_CHATS:
        rendered = fast.apply_chat_template(messages, tokenize=False, add_generation_prompt=add_generation_prompt)
        chats.append(
            {
                "messages": messages,
                "add_generation_prompt": add_generation_prompt,
                "rendered": rendered,
                "ids": tokenizer.encode(rendered, add_special_tokens=False).ids,
            }
        )
    goldens = {"encodings": encodings, "chats": chats}
    (out_dir / "tokenizer_goldens.json").write_text(json.dumps(goldens, indent=1, ensure_ascii=False) + "\n")
    return tokenizer


# The end-to-end case: a chat with one image, rendered and tokenized as a user's question would be.
CHAT_QUESTION = "When was the tower on the left finished?"
# The chat shows the one_image case's picture, so the fixture stores no extra image.
CHAT_IMAGE = CASES["one_image"][0]
CHAT_NEW_TOKENS = 12


def run_chat(model, processor, tokenizer: Tokenizer) -> dict[str, torch.Tensor]:
    """Renders the chat template, expands the image placeholder as Qwen's processor does, and
    decodes greedily until a stop token or CHAT_NEW_TOKENS."""
    image = synthetic_image(*CHAT_IMAGE)
    fast = PreTrainedTokenizerFast(tokenizer_object=tokenizer, chat_template=CHAT_TEMPLATE)
    messages = [{"role": "user", "content": [{"type": "image"}, {"type": "text", "text": CHAT_QUESTION}]}]
    text = fast.apply_chat_template(messages, tokenize=False, add_generation_prompt=True)
    batch = processor(images=[image], return_tensors="pt")
    pixel_values, grid = batch["pixel_values"], batch["image_grid_thw"]
    tokens = int(grid.prod()) // processor.merge_size**2
    text = text.replace("<|image_pad|>", "<|image_pad|>" * tokens)
    ids = torch.tensor([tokenizer.encode(text, add_special_tokens=False).ids])
    with torch.no_grad():
        generated = model.generate(
            input_ids=ids,
            pixel_values=pixel_values,
            image_grid_thw=grid,
            mm_token_type_ids=(ids == IMAGE_PAD).int(),
            attention_mask=torch.ones_like(ids),
            max_new_tokens=CHAT_NEW_TOKENS,
            do_sample=False,
        )
    return {
        "chat.input_ids": ids[0],
        "chat.greedy_tokens": generated[0, ids.shape[1] :],
    }


def make_family(family: str, model, processor, min_pixels: int, max_pixels: int, out_dir: Path) -> None:
    model.save_pretrained(out_dir, safe_serialization=True)
    processor.save_pretrained(out_dir)
    tokenizer = save_tokenizer(out_dir)
    rng = np.random.default_rng(SEED)
    tensors: dict[str, torch.Tensor] = {}
    for name, spec in CASES.items():
        tensors.update(run_case(model, processor, name, spec, rng, min_pixels, max_pixels))
    tensors.update(run_chat(model, processor, tokenizer))
    settings = {
        "family": family,
        "cases": list(CASES),
        "min_pixels": min_pixels,
        "max_pixels": max_pixels,
        "patch_size": processor.patch_size,
        "image_mean": list(processor.image_mean),
        "image_std": list(processor.image_std),
        "made_with": f"torch {torch.__version__}, transformers {__import__('transformers').__version__}",
    }
    # One metadata key: safetensors writes several keys in no fixed order, and the same seed
    # must give the same bytes.
    metadata = {"gog": json.dumps(settings, sort_keys=True)}
    save_file({k: v.contiguous() for k, v in tensors.items()}, out_dir / "fixture.safetensors", metadata=metadata)


def make_qwen2_5_vl(out_dir: Path) -> None:
    torch.manual_seed(SEED)
    model = Qwen2_5_VLForConditionalGeneration(qwen2_5_vl_config()).eval().float()
    processor = Qwen2VLImageProcessorPil(min_pixels=MIN_PIXELS, max_pixels=MAX_PIXELS)
    make_family("qwen2_5_vl", model, processor, MIN_PIXELS, MAX_PIXELS, out_dir)


def make_qwen3_vl(out_dir: Path) -> None:
    """Qwen3-VL uses the same processor with 16-pixel patches (32-pixel tokens) and 0.5 mean/std."""
    torch.manual_seed(SEED)
    model = Qwen3VLForConditionalGeneration(qwen3_vl_config()).eval().float()
    min_pixels, max_pixels = 64 * 64, 32 * 32 * 10
    processor = Qwen2VLImageProcessorPil(
        min_pixels=min_pixels, max_pixels=max_pixels, patch_size=16, image_mean=[0.5] * 3, image_std=[0.5] * 3
    )
    make_family("qwen3_vl", model, processor, min_pixels, max_pixels, out_dir)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, required=True, help="directory to write the families into")
    args = parser.parse_args()
    torch.set_num_threads(2)
    for family, make in [("qwen2_5_vl", make_qwen2_5_vl), ("qwen3_vl", make_qwen3_vl)]:
        target = args.out / f"{family}-tiny"
        target.mkdir(parents=True, exist_ok=True)
        make(target)
        for path in sorted(target.iterdir()):
            print(f"{path}: {path.stat().st_size} bytes")


if __name__ == "__main__":
    main()
