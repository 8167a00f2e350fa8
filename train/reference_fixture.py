"""A reference fixture from exported records, for `gog vlm check`: the trained model's positions
and logits on the records' own token ids and pixel values, in the format
tests/reference/make_fixtures.py writes for random-weight models. It closes the contract between
the trainer and the runtime from the other side: the data tests check that the runtime's inputs
are the trainer's; this checks that, given them, the runtime computes what was trained."""

from __future__ import annotations

import json
from pathlib import Path

import torch
from safetensors.torch import save_file

from batching import Collator
from data import load_dataset
from errors import DataError
from gog_tiny import ModelDir
from images import ImageProcessor


def write_fixture(model_dir: Path, data: Path, records: int, out: Path, max_tokens: int) -> list[str]:
    """Writes the first `records` records with a picture and at most `max_tokens` tokens as the
    fixture's cases; returns their ids."""
    model_info = ModelDir.open(model_dir)
    model = model_info.load(torch.device("cpu")).eval()
    dataset = load_dataset(data, model_info, pixel_sample=None)
    ids = model_info.ids
    collator = Collator(data, ImageProcessor(model_info.processor), ids.endoftext, ids.image_pad)
    picked = [r for r in dataset.records if r.images and r.length <= max_tokens][:records]
    if not picked:
        raise DataError(f"{data}: no record with a picture and at most {max_tokens} tokens")
    tensors: dict[str, torch.Tensor] = {}
    cases = []
    for record in picked:
        batch = collator([record])
        case = f"record{len(cases)}"
        with torch.no_grad():
            positions, delta = model.model.get_rope_index(
                batch.input_ids, mm_token_type_ids=batch.mm_token_type_ids, image_grid_thw=batch.image_grid_thw
            )
            logits = model(
                input_ids=batch.input_ids,
                pixel_values=batch.pixel_values,
                image_grid_thw=batch.image_grid_thw,
                mm_token_type_ids=batch.mm_token_type_ids,
            ).logits
        tensors[f"{case}.input_ids"] = batch.input_ids[0]
        tensors[f"{case}.pixel_values"] = batch.pixel_values.float()
        tensors[f"{case}.image_grid_thw"] = batch.image_grid_thw
        tensors[f"{case}.position_ids"] = positions[:, 0, :]
        tensors[f"{case}.rope_delta"] = delta.reshape(-1)
        tensors[f"{case}.logits"] = logits[0].float()
        cases.append(case)
    settings = {"cases": cases, "records": [r.id for r in picked], "model": str(model_dir), "data": str(data)}
    out.parent.mkdir(parents=True, exist_ok=True)
    save_file(
        {k: v.contiguous() for k, v in tensors.items()}, out, metadata={"gog": json.dumps(settings, sort_keys=True)}
    )
    return [r.id for r in picked]
