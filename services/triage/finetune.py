"""Fine-tuning the shipped MiniLM end to end, with one linear head per task on the one shared encoder.

Multi-task: every row trains the heads it has labels for (category, sentiment, priority), each
with a class-weighted cross-entropy, and all of them train the encoder. Bounded by a number of
epochs and a time budget, whichever ends first. The heads are kept as plain arrays, so reading
with them after the encoder's pass needs no torch.
"""

from __future__ import annotations

import os
import time
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any

import numpy as np
from pydantic import BaseModel

from libs.ml.embeddings import load_sentence_transformer
from services.triage.evaluation import LabelledRow

if TYPE_CHECKING:
    import torch
    from sentence_transformers import SentenceTransformer


class FineTuneOptions(BaseModel):
    # On a fixed 80/20 split of ../shared/data (docs/triage.md): 4 epochs of every layer read category
    # 0.743, sentiment 0.822, direction 0.863; 3 epochs 0.738 / 0.814 / 0.858; the top 2 layers alone,
    # 3 epochs, 0.713 / 0.767 / 0.816 in less than half the time.
    epochs: int = 4
    # Whichever ends first: the epochs or this budget (checked after every batch).
    max_minutes: float = 30.0
    batch_size: int = 32
    max_tokens: int = 128
    learning_rate: float = 5e-5
    # The heads start from nothing on unit-length embeddings: they need a larger step than the encoder.
    head_learning_rate: float = 3e-3
    # How many of MiniLM's 6 layers train, from the top; the states below them are computed once, not every
    # epoch. All of them by default: the top 2 alone cost half the time and 4-5 points (above).
    trainable_layers: int = 6
    seed: int = 0


class FineTuneReport(BaseModel):
    epochs: float
    steps: int
    seconds: float
    rows: int


@dataclass
class LinearHead:
    """Softmax over a linear map of the (unit-length) sentence embedding."""

    classes: list[str]
    weight: np.ndarray  # classes x dimension
    bias: np.ndarray

    def predict_proba(self, embeddings: np.ndarray) -> np.ndarray:
        logits = embeddings @ self.weight.T + self.bias
        logits -= logits.max(axis=1, keepdims=True)
        exponentials = np.exp(logits)
        return exponentials / exponentials.sum(axis=1, keepdims=True)


def labels_of(rows: Sequence[LabelledRow], head: str) -> list[str | None]:
    return [label.value if (label := getattr(row, head)) is not None else None for row in rows]


def balanced_weights(labels: Sequence[str], classes: Sequence[str]) -> np.ndarray:
    """n / (k * count) per class, as scikit-learn's class_weight="balanced"."""
    counts = np.array([sum(label == name for label in labels) for name in classes], dtype=float)
    return len(labels) / (len(classes) * counts)


def fine_tune(
    rows: Sequence[LabelledRow], heads: Sequence[str], options: FineTuneOptions
) -> tuple[SentenceTransformer, dict[str, LinearHead], FineTuneReport]:
    """A fresh copy of the bundled MiniLM whose top layers are trained, with a head for each of
    `heads` that the rows label (at least two classes)."""
    import torch
    from torch import nn

    started = time.monotonic()
    deadline = started + options.max_minutes * 60
    model = load_sentence_transformer()
    # Training is a batch job the operator started: it may use every core unless told otherwise.
    # Set after loading, which limits a service's torch to one thread.
    if "OMP_NUM_THREADS" not in os.environ:
        torch.set_num_threads(os.cpu_count() or 1)
    torch.manual_seed(options.seed)
    model.max_seq_length = options.max_tokens
    bert: Any = model[0].auto_model  # transformers' BertModel
    layers = bert.encoder.layer
    frozen = max(0, len(layers) - options.trainable_layers)
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    trainable = [parameter for layer in layers[frozen:] for parameter in layer.parameters()]
    for parameter in trainable:
        parameter.requires_grad_(True)

    targets, classes, losses = _tasks(rows, heads)
    linear = nn.ModuleDict({head: nn.Linear(bert.config.hidden_size, len(names)) for head, names in classes.items()})

    # The frozen layers give the same states every epoch: compute them once, per row, unpadded.
    texts = [row.text for row in rows]
    states = _frozen_states(model, texts, frozen)
    batches = _length_batches([len(state) for state in states], options.batch_size)
    total_steps = max(1, len(batches) * options.epochs)
    optimizer = torch.optim.AdamW(
        [
            {"params": trainable, "lr": options.learning_rate},
            {"params": linear.parameters(), "lr": options.head_learning_rate},
        ],
        weight_decay=0.01,
    )
    warmup = max(1, total_steps // 10)
    schedule = torch.optim.lr_scheduler.LambdaLR(
        optimizer, lambda step: min((step + 1) / warmup, max(0.0, (total_steps - step) / max(1, total_steps - warmup)))
    )
    generator = torch.Generator().manual_seed(options.seed)
    steps = 0
    model.train()
    while steps < total_steps:
        for batch_number in torch.randperm(len(batches), generator=generator).tolist():
            batch = batches[batch_number]
            hidden, mask = _pad([states[index] for index in batch])
            embeddings = _top(layers[frozen:], hidden, mask)
            loss = torch.zeros(())
            for head, criterion in losses.items():
                wanted = targets[head][batch]
                if (wanted >= 0).any():
                    loss = loss + criterion(linear[head](embeddings), wanted)
            optimizer.zero_grad()
            loss.backward()
            torch.nn.utils.clip_grad_norm_([*trainable, *linear.parameters()], 1.0)
            optimizer.step()
            schedule.step()
            steps += 1
            if steps >= total_steps or time.monotonic() >= deadline:
                break
        if time.monotonic() >= deadline:
            break
    model.eval()
    for parameter in model.parameters():
        parameter.requires_grad_(False)
    trained = {head: _as_arrays(linear[head], names) for head, names in classes.items()}
    report = FineTuneReport(
        epochs=round(steps / len(batches), 2),
        steps=steps,
        seconds=round(time.monotonic() - started, 1),
        rows=len(rows),
    )
    return model, trained, report


def _as_arrays(layer: Any, classes: list[str]) -> LinearHead:
    return LinearHead(classes, layer.weight.detach().numpy().copy(), layer.bias.detach().numpy().copy())


def _tasks(rows: Sequence[LabelledRow], heads: Sequence[str]) -> tuple[dict, dict[str, list[str]], dict]:
    """Per head with two or more classes: the target index of every row (-1: no label), its classes,
    and its class-weighted loss."""
    import torch
    from torch import nn

    targets, classes, losses = {}, {}, {}
    for head in heads:
        labels = labels_of(rows, head)
        names = sorted({label for label in labels if label is not None})
        if len(names) < 2:
            continue
        classes[head] = names
        # -1 marks a row without this label: it trains the other heads only.
        targets[head] = torch.tensor([names.index(label) if label is not None else -1 for label in labels])
        weights = balanced_weights([label for label in labels if label is not None], names)
        losses[head] = nn.CrossEntropyLoss(weight=torch.tensor(weights, dtype=torch.float32), ignore_index=-1)
    if not classes:
        raise ValueError("no task has two or more labelled classes to fine-tune on")
    return targets, classes, losses


def _additive_mask(mask: torch.Tensor) -> torch.Tensor:
    """Padding mask (batch x tokens, 1 = token) as the attention layers add it to their scores."""
    import torch

    return (1.0 - mask[:, None, None, :].float()) * torch.finfo(torch.float32).min


def _frozen_states(model: SentenceTransformer, texts: list[str], frozen: int) -> list[torch.Tensor]:
    """Each text's token states after the first `frozen` layers (no padding), computed without gradients."""
    import torch

    bert: Any = model[0].auto_model  # transformers' BertModel
    order = sorted(range(len(texts)), key=lambda index: len(texts[index]))
    by_index: dict[int, torch.Tensor] = {}
    with torch.no_grad():
        for start in range(0, len(order), 64):
            chunk = order[start : start + 64]
            tokens = model.tokenizer(
                [texts[index] for index in chunk],
                padding=True,
                truncation=True,
                max_length=model.max_seq_length,
                return_tensors="pt",
            )
            hidden = bert.embeddings(input_ids=tokens["input_ids"], token_type_ids=tokens.get("token_type_ids"))
            additive = _additive_mask(tokens["attention_mask"])
            for layer in bert.encoder.layer[:frozen]:
                hidden = layer(hidden, additive)
            for row, index in enumerate(chunk):
                by_index[index] = hidden[row, : int(tokens["attention_mask"][row].sum())].clone()
    return [by_index[index] for index in range(len(texts))]


def _length_batches(lengths: list[int], size: int) -> list[list[int]]:
    """Batches of rows of similar length, so that little is padding."""
    order = sorted(range(len(lengths)), key=lengths.__getitem__)
    return [order[start : start + size] for start in range(0, len(order), size)]


def _pad(states: list[torch.Tensor]) -> tuple[torch.Tensor, torch.Tensor]:
    import torch

    longest = max(len(state) for state in states)
    hidden = torch.zeros(len(states), longest, states[0].shape[1])
    mask = torch.zeros(len(states), longest)
    for row, state in enumerate(states):
        hidden[row, : len(state)] = state
        mask[row, : len(state)] = 1
    return hidden, mask


def _top(layers: Any, hidden: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
    """The trained layers, then the model's own pooling: the mean over tokens, unit length."""
    import torch

    additive = _additive_mask(mask)
    for layer in layers:
        hidden = layer(hidden, additive)
    pooled = (hidden * mask[:, :, None]).sum(1) / mask.sum(1, keepdim=True).clamp(min=1)
    return torch.nn.functional.normalize(pooled, dim=1)
