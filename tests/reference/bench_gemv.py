#!/usr/bin/env python3
"""PyTorch's decode GEMV on the CPU, the reference for `cargo xtask bench vlm`'s kernel rows.

For each case `name:k:n`, times y = x·Wᵀ with x [1, k] and an nn.Linear(k, n, bias=False) in fp32
and after torch's dynamic int8 quantisation, on 2 threads like the Rust side, and appends one
sample line per variant to --samples (the xtask bench format: case, variant, seconds).
"""

import argparse
import json
import time

import torch


def timed(fn, calls: int) -> list[float]:
    for _ in range(5):
        fn()
    seconds = []
    for _ in range(calls):
        start = time.perf_counter()
        fn()
        seconds.append(time.perf_counter() - start)
    return seconds


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--samples", required=True)
    parser.add_argument("--case", action="append", required=True, help="name:k:n")
    parser.add_argument("--calls", type=int, default=30)
    parser.add_argument("--threads", type=int, default=2)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(0)
    with open(args.samples, "a") as out, torch.inference_mode():
        for case in args.case:
            name, k, n = case.rsplit(":", 2)
            k, n = int(k), int(n)
            linear = torch.nn.Linear(k, n, bias=False).eval()
            x = torch.randn(1, k)
            int8 = torch.ao.quantization.quantize_dynamic(
                torch.nn.Sequential(linear), {torch.nn.Linear}, dtype=torch.qint8
            )
            for variant, module in [("reference", linear), ("pytorch dynamic int8", int8)]:
                seconds = timed(lambda: module(x), args.calls)
                out.write(json.dumps({"case": name, "variant": variant, "seconds": seconds}) + "\n")


if __name__ == "__main__":
    main()
