#!/usr/bin/env python3
"""Measures training throughput of a model preset on this machine (synthetic inputs).

    python train/bench.py --size 10m --batch 4 --length 800 --image 384x512 --threads 2 --steps 6

Each record is text around one image of the given size (in pixels; 384x512 is a 24x32 patch grid,
192 merged tokens), so the vision tower's share of the cost is realistic. A step is the trainer's
own: forward, loss on half of the tokens, backward, clipping and an AdamW update.
"""

from __future__ import annotations

import argparse
import statistics
import sys
import time

import torch
from transformers import Qwen3VLForConditionalGeneration

from batching import Batch
from gog_tiny import PRESETS, build_config, parameter_counts
from tokenizer import ADDED_TOKENS, SPECIAL_TOKENS, TokenIds
from trainer import Environment, TrainArgs, batch_loss


def token_ids(vocab_size: int) -> TokenIds:
    """The ids train/tokenizer.py gives a vocabulary of this size (specials at the end)."""
    base = vocab_size - len(SPECIAL_TOKENS) - len(ADDED_TOKENS)
    at = {token: base + i for i, token in enumerate(SPECIAL_TOKENS)}
    return TokenIds(
        vocab_size, at["<|endoftext|>"], at["<|im_start|>"], at["<|im_end|>"], at["<|vision_start|>"],
        at["<|vision_end|>"], at["<|image_pad|>"], at["<|video_pad|>"],
    )  # fmt: skip


def synthetic_batch(ids: TokenIds, batch: int, length: int, grid: tuple[int, int, int], patch_dim: int) -> Batch:
    generator = torch.Generator().manual_seed(0)
    pads = grid[0] * grid[1] * grid[2] // 4
    input_ids = torch.randint(0, ids.vocab_size - 32, (batch, length), generator=generator)
    input_ids[:, 10] = ids.vision_start
    input_ids[:, 11 : 11 + pads] = ids.image_pad
    input_ids[:, 11 + pads] = ids.vision_end
    labels = torch.full_like(input_ids, -100)
    labels[:, length // 2 :] = input_ids[:, length // 2 :]
    patches = batch * grid[0] * grid[1] * grid[2]
    return Batch(
        input_ids=input_ids,
        attention_mask=torch.ones_like(input_ids),
        labels=labels,
        mm_token_type_ids=(input_ids == ids.image_pad).int(),
        pixel_values=torch.randn(patches, patch_dim, generator=generator),
        image_grid_thw=torch.tensor([grid] * batch),
        tokens=batch * length,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--size", default="10m", choices=sorted(PRESETS))
    parser.add_argument("--vocab-size", type=int, default=4096)
    parser.add_argument("--batch", type=int, default=4)
    parser.add_argument("--length", type=int, default=800)
    parser.add_argument("--image", default="384x512", help="HxW in pixels, multiples of 32")
    parser.add_argument("--steps", type=int, default=6)
    parser.add_argument("--threads", type=int)
    parser.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    parser.add_argument("--precision", choices=["auto", "fp32", "bf16"], default="auto")
    args = parser.parse_args()

    env = Environment(TrainArgs(model=None, data=None, out=None, threads=args.threads, device=args.device,
                                precision=args.precision))  # type: ignore[arg-type]  # fmt: skip
    ids = token_ids(args.vocab_size)
    config = build_config(PRESETS[args.size], ids)
    torch.manual_seed(0)
    model = Qwen3VLForConditionalGeneration(config).to(env.device).train()
    height, width = (int(v) for v in args.image.split("x"))
    grid = (1, height // 16, width // 16)
    batch = synthetic_batch(ids, args.batch, args.length, grid, 3 * 2 * 16 * 16).to(env.device)
    optimizer = torch.optim.AdamW(model.parameters(), lr=1e-4, fused=env.device.type == "cuda")
    print(f"{args.size}: {parameter_counts(model)}; {env.describe()}", file=sys.stderr)
    times = []
    for step in range(args.steps):
        start = time.perf_counter()
        losses = batch_loss(model, batch, env)
        loss_sum, count = losses.lm, losses.count
        (loss_sum / count).backward()
        torch.nn.utils.clip_grad_norm_(model.parameters(), 1.0)
        optimizer.step()
        optimizer.zero_grad(set_to_none=True)
        if env.device.type == "cuda":
            torch.cuda.synchronize()
        times.append(time.perf_counter() - start)
        print(f"step {step + 1}: {times[-1]:.3f} s, {batch.tokens / times[-1]:,.0f} tokens/s", file=sys.stderr)
    warm = statistics.median(times[1:]) if len(times) > 1 else times[0]
    print(f"{args.size} batch {args.batch}x{args.length} image {grid}: first step {times[0]:.2f} s, "
          f"then {warm:.2f} s a step = {batch.tokens / warm:,.0f} tokens/s")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
