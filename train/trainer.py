"""The SFT training loop: AdamW, warm-up and cosine decay, clipping, logs, checkpoints and resume.

Resume is exact: the data order of an epoch is rebuilt from (seed, epoch), the checkpoint holds the
step, the epoch and the position in it, the optimizer and scheduler states and every RNG state, and
the model is restored bit for bit. On the CPU (same thread count) a run that is killed and resumed
ends with exactly the weights of a run that never stopped.
"""

from __future__ import annotations

import contextlib
import functools
import json
import math
import os
import shutil
import sys
import time
from collections.abc import Callable, Iterator
from dataclasses import asdict, dataclass, replace
from pathlib import Path
from typing import Any, NamedTuple

import torch
import torch.nn.functional as F
import transformers

import checkpoint
from batching import IGNORE, Batch, BatchList, Collator, epoch_batches, eval_batches
from data import PIXEL_HASH_MISMATCH, Dataset, load_dataset
from errors import DataError, ResumeMismatchError, TrainError
from files import read_json, write_json
from gog_tiny import ModelDir, parameter_counts
from images import ImageProcessor

Report = Callable[[str], None]


def stderr(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


@dataclass(frozen=True)
class TrainArgs:
    """The `train` command's arguments. Those in RUN_FIELDS define the run: resuming with other
    values is refused. The rest (where and how fast it runs, how often it reports) may change."""

    model: Path
    data: Path
    out: Path
    val: Path | None = None
    epochs: int | None = None
    steps: int | None = None
    lr: float = 1e-3
    warmup: float = 0.03
    min_lr_ratio: float = 0.1
    weight_decay: float = 0.1
    batch_tokens: int = 8192
    grad_clip: float = 1.0
    digit_weight: float = 3.0
    picture_weight: float = 0.5
    box_weight: float = 0.0
    seed: int = 0
    shuffle_window: int = 1024
    max_val_records: int = 256
    verify_pixels: int = 32
    threads: int | None = None
    device: str = "auto"
    precision: str = "auto"
    workers: int | None = None
    checkpoint_minutes: float = 5.0
    checkpoint_every: int = 0
    eval_every: int = 250
    log_every: int = 10
    behaviour: str | None = None  # train only on the records of this behaviour label (e.g. reading)

    def validated(self) -> TrainArgs:
        """These arguments with the default length filled in; raises TrainError on impossible values."""
        if self.epochs is not None and self.steps is not None:
            raise TrainError("give --epochs or --steps, not both")
        checks = {
            "--epochs must be at least 1": self.epochs is not None and self.epochs < 1,
            "--steps must not be negative": self.steps is not None and self.steps < 0,
            "--lr must be positive": self.lr <= 0,
            "--digit-weight must be positive": self.digit_weight <= 0,
            "--picture-weight must not be negative": self.picture_weight < 0,
            "--box-weight must not be negative": self.box_weight < 0,
            "--warmup must not be negative": self.warmup < 0,
            "--min-lr-ratio must be in [0, 1]": not 0 <= self.min_lr_ratio <= 1,
            "--batch-tokens must be positive": self.batch_tokens < 1,
            "--shuffle-window must be positive": self.shuffle_window < 1,
            "--log-every must be positive": self.log_every < 1,
            "--checkpoint-minutes must be positive": self.checkpoint_minutes <= 0,
        }
        if wrong := [message for message, failed in checks.items() if failed]:
            raise TrainError("; ".join(wrong))
        return self if self.epochs is not None or self.steps is not None else replace(self, epochs=1)

    def json(self) -> dict[str, Any]:
        return {k: (str(v) if isinstance(v, Path) else v) for k, v in asdict(self).items()}


RUN_FIELDS = (
    "epochs", "steps", "lr", "warmup", "min_lr_ratio", "weight_decay", "batch_tokens", "grad_clip",
    "digit_weight", "picture_weight", "box_weight", "seed", "shuffle_window", "max_val_records", "behaviour",
)  # fmt: skip


def lr_factor(step: int, total: int, warmup: int, min_ratio: float) -> float:
    """Linear warm-up to 1 over `warmup` steps, then cosine decay to `min_ratio` at `total`."""
    if step < warmup:
        return (step + 1) / warmup
    progress = min(1.0, (step - warmup) / max(1, total - warmup))
    return min_ratio + (1 - min_ratio) * 0.5 * (1 + math.cos(math.pi * progress))


@dataclass
class Progress:
    """Where the run is; saved in every checkpoint's state.json."""

    step: int = 0
    epoch: int = 0
    position: int = 0  # batches of `epoch` already trained on
    tokens: int = 0  # non-padding tokens trained on
    loss_tokens: int = 0
    elapsed_s: float = 0.0


@dataclass
class Window:
    """Sums over the steps since the last log line."""

    loss: float = 0.0  # summed over loss tokens
    correct: int = 0
    count: int = 0
    tokens: int = 0
    grad_norm: float = 0.0
    steps: int = 0
    started: float = 0.0

    def add(self, loss: float, correct: int, count: int, tokens: int, grad_norm: float) -> None:
        self.loss += loss
        self.correct += correct
        self.count += count
        self.tokens += tokens
        self.grad_norm += grad_norm
        self.steps += 1


class Environment:
    """Device, threads and precision, resolved from the arguments."""

    def __init__(self, args: TrainArgs) -> None:
        if args.device == "auto":
            self.device = torch.device("cuda" if torch.cuda.is_available() else "cpu")
        elif args.device == "cuda" and not torch.cuda.is_available():
            raise TrainError("--device cuda, but torch sees no CUDA device")
        else:
            self.device = torch.device(args.device)
        self.threads = args.threads or os.cpu_count() or 1
        torch.set_num_threads(self.threads)
        cuda = self.device.type == "cuda"
        self.precision = ("bf16" if cuda else "fp32") if args.precision == "auto" else args.precision
        if self.precision == "bf16" and not cuda:
            raise TrainError("--precision bf16 needs --device cuda (on the CPU it is slower and not exact)")
        self.workers = args.workers if args.workers is not None else (min(8, self.threads - 1) if cuda else 0)

    def autocast(self) -> contextlib.AbstractContextManager:
        if self.precision == "bf16":
            return torch.autocast(device_type="cuda", dtype=torch.bfloat16)
        return contextlib.nullcontext()

    def describe(self) -> dict[str, Any]:
        name = torch.cuda.get_device_name(self.device) if self.device.type == "cuda" else "cpu"
        return {"device": name, "threads": self.threads, "precision": self.precision, "workers": self.workers}


class Losses(NamedTuple):
    """One batch's sums: cross-entropy over the loss tokens (each of the `digits` counted
    `digit_weight` times), correct argmax predictions and loss tokens; the same for the picture
    kind of every labelled image token (zero when the batch has none); the correct predictions
    among the loss tokens that copy a tool response (Batch.copies), with their number; and, on the
    image tokens that show a picture, the L1 error of the picture's box read off the vision
    tower's output (summed over its four coordinates), the tokens whose read box has IoU >= 0.5
    with it, and their number."""

    lm: torch.Tensor
    correct: torch.Tensor
    count: int
    picture: torch.Tensor
    picture_correct: torch.Tensor
    picture_count: int
    copy_correct: int = 0
    copy_count: int = 0
    box: torch.Tensor | None = None
    box_hits: int = 0
    box_count: int = 0


def box_readout(hidden_size: int) -> torch.Tensor:
    """Four fixed orthonormal directions of the vision tower's output space, [hidden, 4], along
    which the box loss reads each image token's picture box. Fixed rather than learned: the
    merger's last linear layer in front of them is learned anyway, and a fixed readout is no
    parameter to checkpoint or export."""
    generator = torch.Generator().manual_seed(4)
    return torch.linalg.qr(torch.randn(hidden_size, 4, generator=generator))[0]


@contextlib.contextmanager
def vision_output(model: torch.nn.Module) -> Iterator[list[torch.Tensor]]:
    """Collects what the vision tower's merger computes during the forward passes inside: the
    embeddings that stand for the <|image_pad|> tokens, in their order."""
    captured: list[torch.Tensor] = []
    handle = model.model.visual.merger.register_forward_hook(lambda _module, _inputs, out: captured.append(out))
    try:
        yield captured
    finally:
        handle.remove()


def box_iou(a: torch.Tensor, b: torch.Tensor) -> torch.Tensor:
    """IoU of rows of (x1, y1, x2, y2); a box with no area has IoU 0."""
    width = (torch.minimum(a[:, 2], b[:, 2]) - torch.maximum(a[:, 0], b[:, 0])).clamp(min=0)
    height = (torch.minimum(a[:, 3], b[:, 3]) - torch.maximum(a[:, 1], b[:, 1])).clamp(min=0)
    overlap = width * height

    def area(box: torch.Tensor) -> torch.Tensor:
        return (box[:, 2] - box[:, 0]).clamp(min=0) * (box[:, 3] - box[:, 1]).clamp(min=0)

    return overlap / (area(a) + area(b) - overlap).clamp(min=1e-9)


def batch_loss(
    model: torch.nn.Module,
    batch: Batch,
    env: Environment,
    digits: torch.Tensor | None = None,
    digit_weight: float = 1.0,
    pictures: torch.Tensor | None = None,
    boxes: torch.Tensor | None = None,
) -> Losses:
    """The batch's losses. The head runs only on positions that predict a loss token, and, given
    `pictures` (the token ids of PICTURE_KINDS' words), on labelled image tokens, scored against
    those words' rows of the head alone: what each image token shows, read out through the
    vocabulary the model writes kinds with. Given `boxes` (box_readout), each image token that
    shows a picture is also read, as it leaves the vision tower, for that picture's box."""
    # The vision tower's output is kept only when the box loss reads it.
    watch = vision_output(model) if boxes is not None else contextlib.nullcontext([])
    with env.autocast(), watch as merged:
        hidden = model.model(
            input_ids=batch.input_ids,
            attention_mask=batch.attention_mask,
            pixel_values=batch.pixel_values,
            image_grid_thw=batch.image_grid_thw,
            mm_token_type_ids=batch.mm_token_type_ids,
            use_cache=False,
        ).last_hidden_state
        targets = batch.labels[:, 1:]
        mask = targets != IGNORE
        logits = model.lm_head(hidden[:, :-1][mask]).float()
        shown = None
        if pictures is not None and batch.picture_labels is not None:
            labelled = batch.picture_labels != IGNORE
            kind_rows = model.lm_head.weight[pictures]
            shown = (hidden[labelled] @ kind_rows.T).float(), batch.picture_labels[labelled]
    targets = targets[mask]
    box, box_hits, box_count = None, 0, 0
    if boxes is not None and batch.picture_boxes is not None and merged:
        true = batch.picture_boxes[batch.mm_token_type_ids.bool()]
        tokens = torch.cat(merged).float()
        if tokens.shape[0] != true.shape[0]:
            raise TrainError(f"the vision tower gave {tokens.shape[0]} image tokens for {true.shape[0]} in the batch")
        boxed = ~torch.isnan(true[:, 0])
        read = tokens[boxed] @ boxes
        box = F.l1_loss(read, true[boxed], reduction="sum")
        box_hits = int((box_iou(read.detach(), true[boxed]) >= 0.5).sum())
        box_count = int(boxed.sum())
    losses = F.cross_entropy(logits, targets, reduction="none")
    if digits is not None and digit_weight != 1.0:
        losses = torch.where(torch.isin(targets, digits), losses * digit_weight, losses)
    right = logits.detach().argmax(-1) == targets
    correct = right.sum()
    copy_correct = copy_count = 0
    if batch.copies is not None:
        copied = batch.copies[:, 1:][mask]
        copy_correct, copy_count = int(right[copied].sum()), int(copied.sum())
    zero = logits.new_zeros(())
    picture, picture_correct, picture_count = zero, zero.long(), 0
    if shown is not None:
        kind_logits, kinds = shown
        picture = F.cross_entropy(kind_logits, kinds, reduction="sum")
        picture_correct = (kind_logits.detach().argmax(-1) == kinds).sum()
        picture_count = int(kinds.numel())
    return Losses(
        losses.sum(), correct, int(targets.numel()), picture, picture_correct, picture_count, copy_correct, copy_count,
        box, box_hits, box_count,
    )  # fmt: skip


class Validation(NamedTuple):
    """Token-level loss and accuracy over the validation set (unweighted); the accuracy of the
    picture kinds its image tokens are read as (None when its images have no regions); of the
    tokens that copy a tool response (None when it has none); and the share of image tokens showing
    a picture whose box read off the vision tower has IoU >= 0.5 with it, with the mean error of
    its coordinates in thousandths (None without regions, or without `boxes`)."""

    loss: float
    acc: float
    picture_acc: float | None
    copy_acc: float | None
    box_acc: float | None = None
    box_error: float | None = None


@torch.no_grad()
def evaluate(
    model: torch.nn.Module,
    loader: Callable[[], Iterator[Batch]],
    env: Environment,
    pictures: torch.Tensor | None,
    boxes: torch.Tensor | None = None,
) -> Validation:
    model.eval()
    loss_sum, correct_sum, count_sum, picture_correct, picture_count, copy_correct, copy_count = 0.0, 0, 0, 0, 0, 0, 0
    box_error, box_hits, box_count = 0.0, 0, 0
    for batch in loader():
        losses = batch_loss(model, batch.to(env.device), env, pictures=pictures, boxes=boxes)
        loss_sum += float(losses.lm)
        correct_sum += int(losses.correct)
        count_sum += losses.count
        picture_correct += int(losses.picture_correct)
        picture_count += losses.picture_count
        copy_correct += losses.copy_correct
        copy_count += losses.copy_count
        if losses.box is not None:
            box_error += float(losses.box)
            box_hits += losses.box_hits
            box_count += losses.box_count
    model.train()
    return Validation(
        loss_sum / max(count_sum, 1),
        correct_sum / max(count_sum, 1),
        picture_correct / picture_count if picture_count else None,
        copy_correct / copy_count if copy_count else None,
        box_hits / box_count if box_count else None,
        1000 * box_error / (4 * box_count) if box_count else None,
    )


def make_optimizer(model: torch.nn.Module, args: TrainArgs, env: Environment) -> torch.optim.AdamW:
    """AdamW with weight decay on matrices only (not on norms and biases)."""
    params = [p for p in model.parameters() if p.requires_grad]
    groups = [
        {"params": [p for p in params if p.ndim >= 2], "weight_decay": args.weight_decay},
        {"params": [p for p in params if p.ndim < 2], "weight_decay": 0.0},
    ]
    return torch.optim.AdamW(groups, lr=args.lr, betas=(0.9, 0.95), eps=1e-8, fused=env.device.type == "cuda")


class RunLog:
    """RUN_DIR/log.jsonl. On resume it is cut back to the checkpoint's step, so the log always
    describes exactly the run whose weights are on disk."""

    def __init__(self, path: Path, resume_step: int | None) -> None:
        self.path = path
        kept = []
        if resume_step is not None and path.exists():
            for line in path.read_text(encoding="utf-8").splitlines():
                with contextlib.suppress(json.JSONDecodeError):
                    if json.loads(line).get("step", 0) <= resume_step:
                        kept.append(line)
        temporary = path.with_name(path.name + ".tmp")
        temporary.write_text("".join(line + "\n" for line in kept), encoding="utf-8")
        os.replace(temporary, path)
        self.handle = open(path, "a", encoding="utf-8")  # noqa: SIM115 - kept open for the run; close() closes it

    def write(self, entry: dict[str, Any]) -> None:
        self.handle.write(json.dumps(entry) + "\n")
        self.handle.flush()

    def last(self, kind: str) -> dict[str, Any] | None:
        found = None
        for line in self.path.read_text(encoding="utf-8").splitlines():
            entry = json.loads(line)
            if entry.get("kind") == kind:
                found = entry
        return found

    def close(self) -> None:
        self.handle.close()


def _identity(args: TrainArgs, model: ModelDir, train: Dataset, val: Dataset | None) -> dict[str, Any]:
    identity = {name: getattr(args, name) for name in RUN_FIELDS}
    identity["model"] = model.fingerprint()
    identity["data"] = train.manifest.sha256
    identity["val"] = val.manifest.sha256 if val else None
    return identity


def _check_identity(saved: dict[str, Any], current: dict[str, Any], run_dir: Path) -> None:
    names = {"model": "--model (fingerprint of config, weights, tokenizer)", "data": "--data (manifest sha256)",
             "val": "--val (manifest sha256)"}  # fmt: skip
    differences = [
        f"{names.get(key, '--' + key.replace('_', '-'))}: {saved.get(key)!r} then, {value!r} now"
        for key, value in current.items()
        if saved.get(key) != value
    ]
    if differences:
        raise ResumeMismatchError(
            f"{run_dir} holds a run with other arguments; resume with the same ones or use a new --out. "
            + "; ".join(differences)
        )


def _load_data(args: TrainArgs, model: ModelDir, report: Report) -> tuple[Dataset, Dataset | None]:
    datasets = []
    for label, directory in (("train", args.data), ("val", args.val)):
        if directory is None:
            datasets.append(None)
            continue
        dataset = load_dataset(directory, model, pixel_sample=args.verify_pixels, seed=args.seed)
        stats = dataset.stats()
        report(
            f"{label} data {directory}: {stats['records']} records, {stats['tokens']} tokens "
            f"({stats['loss_tokens']} trained on), {stats['images']} images; "
            f"dropped: {dict(dataset.dropped) or 'none'}; pixel hashes checked on {dataset.pixels_checked} images"
        )
        for problem in dataset.problems[:10]:
            report(f"  {problem}")
        if len(dataset.problems) > 10:
            report(f"  ... and {len(dataset.problems) - 10} more image problems")
        if dataset.dropped[PIXEL_HASH_MISMATCH]:
            raise DataError(
                f"{directory}: {dataset.dropped[PIXEL_HASH_MISMATCH]} records have images whose pixel values differ "
                "from the exporter's (see above); the trainer's processor disagrees with the runtime's, so every "
                "image is suspect. Run `sft.py check` for the full list."
            )
        if label == "train" and args.behaviour is not None:
            dataset.records = [r for r in dataset.records if r.info.get("behaviour") == args.behaviour]
            report(f"  of them {len(dataset.records)} records of behaviour {args.behaviour!r}, the only ones trained on")
        if not dataset.records:
            raise DataError(f"{directory}: no usable records")
        datasets.append(dataset)
    train, val = datasets
    if val is not None:
        shared = {r.info["scene"] for r in train.records} & {r.info["scene"] for r in val.records} - {""}
        if shared:
            report(f"warning: {len(shared)} scenes are in both --data and --val (e.g. {sorted(shared)[0]})")
    return train, val


def _total_steps(args: TrainArgs, lengths: list[int]) -> int:
    if args.steps is not None:
        return args.steps
    return sum(
        len(epoch_batches(lengths, args.seed, epoch, args.batch_tokens, args.shuffle_window))
        for epoch in range(args.epochs or 1)
    )


def _loader(batches: list[list[int]], dataset: Dataset, collator: Collator, env: Environment) -> Iterator[Batch]:
    if env.workers == 0:
        return (collator([dataset.records[i] for i in batch]) for batch in batches)
    return iter(
        torch.utils.data.DataLoader(
            BatchList(batches, dataset.records, collator),
            batch_size=None,
            shuffle=False,
            num_workers=env.workers,
            pin_memory=env.device.type == "cuda",
            prefetch_factor=4,
        )
    )


def _format_time(seconds: float) -> str:
    seconds = int(seconds)
    return f"{seconds // 3600}:{seconds // 60 % 60:02d}:{seconds % 60:02d}"


class Run:
    """One training run in args.out: set up (or resumed), trained to the end, exported."""

    def __init__(self, args: TrainArgs, report: Report) -> None:
        self.args, self.report = args, report
        self.env = Environment(args)
        self.model_dir = ModelDir.open(args.model)
        self.train_data, self.val_data = _load_data(args, self.model_dir, report)
        self.identity = _identity(args, self.model_dir, self.train_data, self.val_data)
        self.lengths = [r.length for r in self.train_data.records]
        self.total = _total_steps(args, self.lengths)
        self.warmup = round(args.warmup * self.total) if args.warmup < 1 else int(args.warmup)
        self.collator = self._collator(args.data)
        # Box coordinates, counts and numbers are few tokens that decide an action: they weigh more
        # in training (validation loss stays unweighted).
        self.digits = torch.tensor(self.model_dir.ids.digits, dtype=torch.long, device=self.env.device)
        # What each image token shows (data with regions), read out through the words for it: a
        # dense signal for the vision tower, which from random weights learns too little from the
        # few box digits a trajectory holds.
        self.pictures = torch.tensor(self.model_dir.ids.picture_kinds, dtype=torch.long, device=self.env.device)
        # Where each image token's picture is, read off the vision tower's output: the box digits a
        # trajectory writes are a few tokens that need the whole picture found first; this asks
        # every token of it for the box, so the text model only has to find one and read it.
        self.boxes = (
            box_readout(self.model_dir.config["vision_config"]["out_hidden_size"]).to(self.env.device)
            if args.box_weight > 0
            else None
        )
        self.val_records = self.val_data.records[: args.max_val_records] if self.val_data else []
        self.val_plan = eval_batches([r.length for r in self.val_records], args.batch_tokens)

        torch.manual_seed(args.seed)
        self.model = self.model_dir.load(self.env.device)
        self.model.train()
        self.optimizer = make_optimizer(self.model, args, self.env)
        schedule = functools.partial(lr_factor, total=self.total, warmup=self.warmup, min_ratio=args.min_lr_ratio)
        self.scheduler = torch.optim.lr_scheduler.LambdaLR(self.optimizer, schedule)
        self.counts = parameter_counts(self.model)

        args.out.mkdir(parents=True, exist_ok=True)
        self.root = args.out / "checkpoints"
        self.progress = Progress()
        resume = checkpoint.newest_valid(self.root, report)
        if resume is not None:
            saved = read_json(resume / checkpoint.STATE, TrainError)
            _check_identity(saved.get("run", {}), self.identity, args.out)
            if (before := saved.get("environment")) != self.env.describe():
                report(f"note: the run continues on {self.env.describe()}, it ran on {before}: not bit-exact")
            state = checkpoint.load(resume, self.model, self.optimizer, self.scheduler, self.env.device).state
            self.progress = Progress(**state["progress"])
            report(f"resuming from {resume} (step {self.progress.step} of {self.total}, epoch {self.progress.epoch})")
        self.log = RunLog(args.out / "log.jsonl", self.progress.step if resume else None)
        self.saved_step = self.progress.step if resume else -1
        self.base_elapsed = self.progress.elapsed_s
        self.session_start = self.last_checkpoint = time.monotonic()
        report(
            f"model {args.model}: {self.counts['total']:,} parameters ({self.counts['text']:,} text, "
            f"{self.counts['vision']:,} vision); {self.total} steps, {self.warmup} warm-up; {self.env.describe()}"
        )

    def _collator(self, directory: Path, copies: bool = False) -> Collator:
        """With `copies`, batches mark the tokens that copy a tool response: validation reports
        them; training has no use for them."""
        ids = self.model_dir.ids
        return Collator(
            directory,
            ImageProcessor(self.model_dir.processor),
            ids.endoftext,
            ids.image_pad,
            ids.tool_response if copies else None,
        )

    def elapsed(self) -> float:
        return self.base_elapsed + time.monotonic() - self.session_start

    def train_step(self, batch: Batch, window: Window) -> None:
        """One optimizer step on one batch; adds the step's sums to the log window."""
        pictures = self.pictures if self.args.picture_weight > 0 else None
        losses = batch_loss(
            self.model, batch.to(self.env.device), self.env, self.digits, self.args.digit_weight, pictures, self.boxes
        )
        loss_sum, correct, count = losses.lm, losses.correct, losses.count
        loss = loss_sum / max(count, 1)
        if losses.picture_count:
            loss = loss + self.args.picture_weight * losses.picture / losses.picture_count
        if losses.box_count:
            loss = loss + self.args.box_weight * losses.box / (4 * losses.box_count)
        if not torch.isfinite(loss):
            raise TrainError(f"the loss is {float(loss)} at step {self.progress.step + 1}; stopping")
        loss.backward()
        max_norm = self.args.grad_clip if self.args.grad_clip > 0 else float("inf")
        grad_norm = torch.nn.utils.clip_grad_norm_(self.model.parameters(), max_norm)
        self.optimizer.step()
        self.scheduler.step()
        self.optimizer.zero_grad(set_to_none=True)
        window.add(float(loss_sum.detach()), int(correct), count, batch.tokens, float(grad_norm))
        self.progress.step += 1
        self.progress.tokens += batch.tokens
        self.progress.loss_tokens += count

    def validate(self) -> None:
        if not self.val_data:
            return
        collator = self._collator(self.args.val, copies=True)

        def loader() -> Iterator[Batch]:
            return (collator([self.val_records[i] for i in batch]) for batch in self.val_plan)

        val = evaluate(self.model, loader, self.env, self.pictures, self.boxes)
        step = self.progress.step
        entry = {"kind": "val", "step": step, "loss": val.loss, "acc": val.acc, "records": len(self.val_records)}
        extra = ""
        if val.picture_acc is not None:
            entry["picture_acc"] = val.picture_acc
            extra += f", picture kinds {val.picture_acc:.4f}"
        if val.copy_acc is not None:
            entry["copy_acc"] = val.copy_acc
            extra += f", copies {val.copy_acc:.4f}"
        if val.box_acc is not None:
            entry["box_acc"], entry["box_error"] = val.box_acc, val.box_error
            extra += f", picture boxes {val.box_acc:.4f} (error {val.box_error:.0f}/1000)"
        self.log.write(entry)
        self.report(f"step {step}: val loss {val.loss:.4f} acc {val.acc:.4f}{extra} on {len(self.val_records)} records")

    def save_checkpoint(self) -> None:
        self.progress.elapsed_s = self.elapsed()
        state = {
            "progress": asdict(self.progress),
            "run": self.identity,
            "args": self.args.json(),
            "environment": self.env.describe(),
            "total_steps": self.total,
        }
        checkpoint.save(self.root, self.model, self.optimizer, self.scheduler, self.progress.step, state)
        self.last_checkpoint, self.saved_step = time.monotonic(), self.progress.step

    def log_window(self, window: Window) -> None:
        now = time.monotonic()
        rate = window.tokens / max(now - window.started, 1e-9)
        entry = {
            "kind": "train",
            "step": self.progress.step,
            "epoch": self.progress.epoch,
            "tokens": self.progress.tokens,
            "loss": window.loss / max(window.count, 1),
            "acc": window.correct / max(window.count, 1),
            "lr": self.scheduler.get_last_lr()[0],
            "grad_norm": window.grad_norm / max(window.steps, 1),
            "tokens_per_s": rate,
            "elapsed_s": self.elapsed(),
        }
        self.log.write(entry)
        eta = (self.total - self.progress.step) * (now - window.started) / max(window.steps, 1)
        self.report(
            f"step {self.progress.step}/{self.total} epoch {self.progress.epoch} loss {entry['loss']:.4f} "
            f"acc {entry['acc']:.3f} lr {entry['lr']:.2e} grad {entry['grad_norm']:.2f} {rate:,.0f} tok/s "
            f"elapsed {_format_time(entry['elapsed_s'])} eta {_format_time(eta)}"
        )

    def run(self) -> dict[str, Any]:
        """Trains from the current position to the last step, then validates, checkpoints and exports."""
        args, progress = self.args, self.progress
        window = Window(started=time.monotonic())
        try:
            while progress.step < self.total:
                plan = epoch_batches(self.lengths, args.seed, progress.epoch, args.batch_tokens, args.shuffle_window)
                for batch in _loader(plan[progress.position :], self.train_data, self.collator, self.env):
                    self.train_step(batch, window)
                    progress.position += 1
                    if progress.position == len(plan):
                        progress.epoch, progress.position = progress.epoch + 1, 0
                    done = progress.step >= self.total
                    if done or progress.step % args.log_every == 0:
                        self.log_window(window)
                        window = Window(started=time.monotonic())
                    paused = time.monotonic()  # validation and checkpoints do not count as training time
                    if args.eval_every and progress.step % args.eval_every == 0 and not done:
                        self.validate()
                    every = args.checkpoint_every and progress.step % args.checkpoint_every == 0
                    if not done and (every or time.monotonic() - self.last_checkpoint >= args.checkpoint_minutes * 60):
                        self.save_checkpoint()
                    window.started += time.monotonic() - paused
                    if done or progress.position == 0:
                        break  # the end, or a new epoch with a new plan
            last_val = self.log.last("val")
            if self.val_data and (last_val is None or last_val["step"] != progress.step):
                self.validate()
            if self.saved_step != progress.step:
                self.save_checkpoint()
            progress.elapsed_s = self.elapsed()
            return self.finish()
        finally:
            self.log.close()

    def finish(self) -> dict[str, Any]:
        """Writes RUN_DIR/final/ (a loadable model directory) and RUN_DIR/summary.json."""
        args, progress = self.args, self.progress
        final, staging = args.out / "final", args.out / "final.tmp"
        if staging.exists():
            shutil.rmtree(staging)
        self.model_dir.write_export(self.model.float(), staging)
        if final.exists():
            shutil.rmtree(final)
        os.replace(staging, final)
        last_train, last_val = self.log.last("train"), self.log.last("val")
        summary = {
            "steps": progress.step,
            "epoch": progress.epoch,
            "tokens": progress.tokens,
            "loss_tokens": progress.loss_tokens,
            "wall_time_s": round(progress.elapsed_s, 3),
            "train": {"loss": last_train["loss"], "acc": last_train["acc"]} if last_train else None,
            "val": {k: last_val[k] for k in ("loss", "acc", "records")} if last_val else None,
            "records": {
                "train": len(self.train_data.records),
                "val": len(self.val_data.records) if self.val_data else 0,
            },
            "dropped": {
                "train": dict(self.train_data.dropped),
                "val": dict(self.val_data.dropped) if self.val_data else {},
            },
            "parameters": self.counts,
            **self.env.describe(),
            "torch": torch.__version__,
            "transformers": transformers.__version__,
            "args": args.json(),
        }
        write_json(args.out / "summary.json", summary)
        self.report(f"done: {progress.step} steps; model in {final}; summary in {args.out / 'summary.json'}")
        return summary


def train(args: TrainArgs, report: Report = stderr) -> dict[str, Any]:
    """Runs (or resumes) the training run in args.out and returns its summary."""
    return Run(args.validated(), report).run()
