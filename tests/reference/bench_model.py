#!/usr/bin/env python3
"""The model rows of `cargo xtask bench vlm`: real-size Qwen-VL configurations with random weights.

`make` writes a random bf16 checkpoint of Qwen3-VL-2B's or Qwen2.5-VL-3B's dimensions with
transformers' own initialisation (a Hugging Face directory the Rust side loads too) unless it exists.
`time` runs PyTorch fp32 on the CPU (2 threads) with the same prompt as the Rust side — a 448x448
image and 32 text tokens — and appends sample lines (the xtask bench format) for the vision encoder,
the prefill (decoder over the prompt, image features given) and each decode step; it prints its
peak resident memory as JSON on stdout.
"""

import argparse
import json
import resource
import time
from pathlib import Path

import torch
from transformers import (
    Qwen2_5_VLConfig,
    Qwen2_5_VLForConditionalGeneration,
    Qwen3VLConfig,
    Qwen3VLForConditionalGeneration,
)

IMAGE_SIDE = 448
TEXT_TOKENS = 16  # before and after the image each
DECODE_STEPS = 8
VISION_START, VISION_END, IMAGE_PAD = 151652, 151653, 151655


def config(family: str):
    if family == "qwen3_vl":
        return Qwen3VLConfig(
            text_config=dict(
                vocab_size=151936, hidden_size=2048, intermediate_size=6144, num_hidden_layers=28,
                num_attention_heads=16, num_key_value_heads=8, head_dim=128, max_position_embeddings=262144,
                rms_norm_eps=1e-6, tie_word_embeddings=True,
                rope_parameters={"rope_type": "default", "rope_theta": 5_000_000.0,
                                 "mrope_section": [24, 20, 20], "mrope_interleaved": True},
            ),
            vision_config=dict(
                depth=24, hidden_size=1024, intermediate_size=4096, num_heads=16, out_hidden_size=2048,
                patch_size=16, num_position_embeddings=2304, deepstack_visual_indexes=[5, 11, 17],
                spatial_merge_size=2, temporal_patch_size=2,
            ),
            image_token_id=IMAGE_PAD, video_token_id=151656, vision_start_token_id=VISION_START,
            vision_end_token_id=VISION_END, tie_word_embeddings=True,
        ), Qwen3VLForConditionalGeneration
    return Qwen2_5_VLConfig(
        text_config=dict(
            vocab_size=151936, hidden_size=2048, intermediate_size=11008, num_hidden_layers=36,
            num_attention_heads=16, num_key_value_heads=2, max_position_embeddings=128000, rms_norm_eps=1e-6,
            tie_word_embeddings=True,
            rope_parameters={"rope_type": "default", "rope_theta": 1_000_000.0, "mrope_section": [16, 24, 24]},
        ),
        vision_config=dict(
            depth=32, hidden_size=1280, intermediate_size=3420, num_heads=16, out_hidden_size=2048,
            patch_size=14, window_size=112, fullatt_block_indexes=[7, 15, 23, 31], spatial_merge_size=2,
            temporal_patch_size=2,
        ),
        image_token_id=IMAGE_PAD, video_token_id=151656, vision_start_token_id=VISION_START,
        vision_end_token_id=VISION_END, tie_word_embeddings=True,
    ), Qwen2_5_VLForConditionalGeneration


def make(family: str, out: Path) -> None:
    if (out / "config.json").exists():
        return
    torch.manual_seed(0)
    cfg, cls = config(family)
    model = cls(cfg).to(torch.bfloat16).eval()
    model.save_pretrained(out, safe_serialization=True)


def prompt(grid) -> list[int]:
    image_tokens = int(grid.prod()) // 4
    text = [1000 + 37 * i for i in range(TEXT_TOKENS)]
    return text + [VISION_START] + [IMAGE_PAD] * image_tokens + [VISION_END] + text


def timed(fn, calls: int) -> list[float]:
    seconds = []
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - start)
    return seconds


def run(family: str, model_dir: Path, label: str, samples: Path) -> None:
    torch.set_num_threads(2)
    _, cls = config(family)
    model = cls.from_pretrained(model_dir, dtype=torch.float32).eval()
    patch = 16 if family == "qwen3_vl" else 14
    side = IMAGE_SIDE // patch
    grid = torch.tensor([[1, side, side]])
    pixels = torch.randn(side * side, 3 * 2 * patch * patch)
    ids = torch.tensor([prompt(grid[0])])
    mm = (ids == IMAGE_PAD).int()
    out = open(samples, "a")

    def record(case: str, seconds: list[float]) -> None:
        out.write(json.dumps({"case": f"{label} {case}", "variant": "reference", "seconds": seconds}) + "\n")

    with torch.inference_mode():
        visual = model.model.visual
        visual(pixels, grid_thw=grid)  # warm-up
        record(f"vision {IMAGE_SIDE}x{IMAGE_SIDE}", timed(lambda: visual(pixels, grid_thw=grid), 2))

        def prefill():
            return model(input_ids=ids, pixel_values=pixels, image_grid_thw=grid, mm_token_type_ids=mm, use_cache=True)

        vision_s = min(timed(lambda: visual(pixels, grid_thw=grid), 1))
        record(f"prefill {ids.shape[1]} tokens", [s - vision_s for s in timed(prefill, 2)])
        result = prefill()
        cache, token = result.past_key_values, result.logits[:, -1:].argmax(-1)
        steps = []
        for _ in range(DECODE_STEPS):
            start = time.perf_counter()
            result = model(input_ids=token, past_key_values=cache, use_cache=True)
            cache, token = result.past_key_values, result.logits[:, -1:].argmax(-1)
            steps.append(time.perf_counter() - start)
        record("decode per token", steps)
    out.close()
    peak_mib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024
    print(json.dumps({"case": label, "variant": "reference", "peak_rss_mib": round(peak_mib)}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("command", choices=["make", "time"])
    parser.add_argument("--family", choices=["qwen3_vl", "qwen2_5_vl"], required=True)
    parser.add_argument("--dir", type=Path, required=True)
    parser.add_argument("--label", default="")
    parser.add_argument("--samples", type=Path)
    args = parser.parse_args()
    if args.command == "make":
        make(args.family, args.dir)
    else:
        run(args.family, args.dir, args.label, args.samples)


if __name__ == "__main__":
    main()
