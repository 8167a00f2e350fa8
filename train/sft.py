#!/usr/bin/env python3
"""Supervised fine-tuning of GoG-Tiny on trajectories exported by the Rust side (gog-train-data).

    python train/sft.py init  --tokenizer TOK --size 10m --seed 0 --out MODEL
    python train/sft.py check --model MODEL --data DATA
    python train/sft.py train --model MODEL --data DATA [--val VAL] --out RUN [--epochs E | --steps N] ...
    python train/sft.py export --model MODEL --checkpoint RUN[/checkpoints/step-N] --out DIR
    python train/sft.py reference --model MODEL --data DATA --out FIXTURE [--records N]

`init` writes a seeded random-init model directory. `check` validates every record and image of a
data directory against a model and prints a summary (exit status 1 if images fail). `train` trains,
writing RUN/log.jsonl, checkpoints, RUN/final/ and RUN/summary.json; run it again on the same RUN
to resume. `export` writes a checkpoint of a run (the newest valid one when given the run
directory) as a model directory, to evaluate a run before it ends. `reference` writes the model's
logits on records of a data directory as a fixture for `gog vlm check`, which runs the same
records through the runtime. Errors in the inputs exit with status 2 and a message naming the
file at fault.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from errors import TrainError
from files import json_text


def cmd_init(args: argparse.Namespace) -> int:
    from gog_tiny import init_model_dir

    counts = init_model_dir(args.tokenizer, args.size, args.seed, args.out, args.min_pixels, args.max_pixels)
    print(f"{args.out}: {args.size} model, seed {args.seed}")
    print(f"parameters: text {counts['text']:,}, vision {counts['vision']:,}, total {counts['total']:,}")
    return 0


def cmd_check(args: argparse.Namespace) -> int:
    from data import load_dataset
    from gog_tiny import ModelDir

    model = ModelDir.open(args.model)

    def progress(done: int, total: int) -> None:
        if done % 500 == 0:
            print(f"checking images: {done}/{total}", file=sys.stderr, flush=True)

    dataset = load_dataset(args.data, model, pixel_sample=None, progress=progress)
    print(f"data: {args.data}")
    print(f"model: {args.model} (context {model.max_positions}, vocabulary {model.ids.vocab_size})")
    print("shards and images: sizes and sha256 match manifest.json; tokenizer and processor match the model")
    print(f"images: {dataset.images_checked} checked, {dataset.pixels_checked} processed and pixel hashes compared")
    print("usable: " + json_text(dataset.stats()), end="")
    print(
        "dropped records: " + (json_text(dict(sorted(dataset.dropped.items()))) if dataset.dropped else "none\n"),
        end="",
    )
    if dataset.manifest.summary:
        print("manifest summary: " + json_text(dataset.manifest.summary), end="")
    if dataset.problems:
        print(f"{len(dataset.problems)} image problems:")
        for problem in dataset.problems:
            print(f"  {problem}")
        return 1
    print("ok")
    return 0


def cmd_train(args: argparse.Namespace) -> int:
    from trainer import TrainArgs, train

    options = {k: v for k, v in vars(args).items() if k not in ("command", "handler")}
    train(TrainArgs(**options))
    return 0


def cmd_export(args: argparse.Namespace) -> int:
    import checkpoint
    import torch
    from gog_tiny import ModelDir

    model_dir = ModelDir.open(args.model)
    path = args.checkpoint
    if not (path / checkpoint.MANIFEST).is_file():
        found = checkpoint.newest_valid(path / "checkpoints")
        if found is None:
            raise TrainError(f"{args.checkpoint}: neither a checkpoint nor a run directory with a valid checkpoint")
        path = found
    model = model_dir.load(torch.device("cpu"))
    checkpoint.load_weights(path, model)
    model_dir.write_export(model, args.out)
    print(f"{args.out}: the weights of {path}")
    return 0


def cmd_reference(args: argparse.Namespace) -> int:
    from reference_fixture import write_fixture

    records = write_fixture(args.model, args.data, args.records, args.out, args.max_tokens)
    print(f"{args.out}: the logits of {args.model} on {len(records)} records ({', '.join(records)})")
    return 0


def parser() -> argparse.ArgumentParser:
    from gog_tiny import DEFAULT_MAX_PIXELS, DEFAULT_MIN_PIXELS, PRESETS

    root = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    commands = root.add_subparsers(dest="command", required=True)

    init = commands.add_parser("init", help="write a seeded random-init model directory")
    init.add_argument("--tokenizer", type=Path, required=True, help="directory written by train/tokenizer.py")
    init.add_argument("--size", required=True, choices=sorted(PRESETS), help="model preset")
    init.add_argument("--seed", type=int, default=0)
    init.add_argument("--out", type=Path, required=True)
    init.add_argument("--min-pixels", type=int, default=DEFAULT_MIN_PIXELS, help="image processor's minimum area")
    init.add_argument("--max-pixels", type=int, default=DEFAULT_MAX_PIXELS, help="image processor's maximum area")
    init.set_defaults(handler=cmd_init)

    check = commands.add_parser("check", help="validate a data directory against a model")
    check.add_argument("--model", type=Path, required=True)
    check.add_argument("--data", type=Path, required=True)
    check.set_defaults(handler=cmd_check)

    run = commands.add_parser("train", help="train, or resume the run in --out")
    run.add_argument("--model", type=Path, required=True, help="model directory to start from")
    run.add_argument("--data", type=Path, required=True, help="training data directory")
    run.add_argument("--val", type=Path, help="validation data directory")
    run.add_argument("--out", type=Path, required=True, help="run directory (resumed if it holds a checkpoint)")
    length = run.add_mutually_exclusive_group()
    length.add_argument("--epochs", type=int, help="passes over the data (default 1)")
    length.add_argument("--steps", type=int, help="optimizer steps, instead of --epochs")
    run.add_argument("--lr", type=float, default=1e-3, help="peak learning rate")
    run.add_argument("--warmup", type=float, default=0.03, help="warm-up: a fraction of the steps if < 1, else steps")
    run.add_argument("--min-lr-ratio", type=float, default=0.1, help="final learning rate as a fraction of --lr")
    run.add_argument("--weight-decay", type=float, default=0.1)
    run.add_argument("--batch-tokens", type=int, default=8192, help="padded tokens per batch, at most")
    run.add_argument("--grad-clip", type=float, default=1.0, help="global gradient norm limit (0: none)")
    run.add_argument(
        "--digit-weight", type=float, default=3.0, help="loss weight of the digits the model writes (boxes, counts)"
    )
    run.add_argument(
        "--picture-weight", type=float, default=0.5, help="weight of the image tokens' picture-kind loss (0: off)"
    )
    run.add_argument(
        "--box-weight", type=float, default=0.0, help="weight of the image tokens' picture-box loss (0: off)"
    )
    run.add_argument("--seed", type=int, default=0, help="data order and pixel-check sample")
    run.add_argument("--shuffle-window", type=int, default=1024, help="records sorted by length together")
    run.add_argument("--max-val-records", type=int, default=256)
    run.add_argument("--verify-pixels", type=int, default=32, help="images whose pixel hash is checked at start")
    run.add_argument("--threads", type=int, help="CPU threads (default: all cores)")
    run.add_argument("--device", choices=["auto", "cpu", "cuda"], default="auto")
    run.add_argument("--precision", choices=["auto", "fp32", "bf16"], default="auto", help="auto: bf16 on CUDA")
    run.add_argument("--workers", type=int, help="data loader processes (default: 0 on CPU, up to 8 on CUDA)")
    run.add_argument("--checkpoint-minutes", type=float, default=5.0)
    run.add_argument("--checkpoint-every", type=int, default=0, help="also checkpoint every N steps (0: off)")
    run.add_argument(
        "--behaviour", help="train only on the records of this behaviour label (e.g. reading: a reading stage)"
    )
    run.add_argument("--eval-every", type=int, default=250, help="validate every N steps (0: only at the end)")
    run.add_argument("--log-every", type=int, default=10)
    run.set_defaults(handler=cmd_train)

    export = commands.add_parser("export", help="write a run's checkpoint as a model directory")
    export.add_argument("--model", type=Path, required=True, help="the model directory the run started from")
    export.add_argument("--checkpoint", type=Path, required=True, help="a checkpoint, or a run (its newest valid one)")
    export.add_argument("--out", type=Path, required=True)
    export.set_defaults(handler=cmd_export)

    reference = commands.add_parser("reference", help="write a model's logits on data records for `gog vlm check`")
    reference.add_argument("--model", type=Path, required=True, help="a model directory (a run's final/)")
    reference.add_argument("--data", type=Path, required=True, help="a data directory (format gog-train-data)")
    reference.add_argument("--out", type=Path, required=True, help="the fixture file (safetensors)")
    reference.add_argument("--records", type=int, default=3, help="how many records with a picture")
    reference.add_argument("--max-tokens", type=int, default=2048, help="skip longer records")
    reference.set_defaults(handler=cmd_reference)
    return root


def main(argv: list[str] | None = None) -> int:
    args = parser().parse_args(argv)
    try:
        return args.handler(args)
    except TrainError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2


if __name__ == "__main__":
    sys.exit(main())
