"""The denoiser training loop: seeded, resumable from its checkpoint, logging progress and validation loss.

Layout of the run folder ``OUT``::

    train-config.json   the TrainConfig (a rerun with another config in the same folder is refused)
    checkpoint.pt       written every ``eval_every`` steps, atomically; a rerun resumes from it
    train.log           one line per evaluation: step, train/val loss, learning rate, patches/s, ETA
    dncnn.pt, dncnn.onnx, dncnn.json   the final bundle (models.bundle), written when the last step is done
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import torch

from imaging.atomic import write_json_atomic
from imaging.errors import InputError
from models.bundle import BundleInfo, load_adaptable_model, load_bundle_info, save_bundle
from models.device import torch_device
from models.dncnn import DnCNN, DnCNNConfig
from models.pruning import prune_idle
from models.training.checkpoint import Checkpoint, load_checkpoint, restore_generator, save_checkpoint
from models.training.config import TrainConfig
from models.training.data import Batch, PatchSet, lesion_draw_weights, load_patch_sets, sample_batch
from models.training.loss import lesion_consistency, weighted_mse
from models.training.sparsity import SparsityState, idle_channels, proximal_step, select_channels, zero_channels

__all__ = [
    "CONFIG_NAME",
    "DENOISER_NAME",
    "TrainResult",
    "evaluate_loss",
    "init_bundle",
    "prepare_run",
    "train_denoiser",
]

CONFIG_NAME = "train-config.json"
DENOISER_NAME = "petiq-dncnn"


@dataclass(frozen=True, kw_only=True)
class TrainResult:
    """The finished run: its bundle, the evaluations and the seconds this invocation trained."""

    bundle: BundleInfo
    history: list[dict[str, float]]
    seconds: float


def prepare_run(*, config: TrainConfig, out: Path) -> BundleInfo | None:
    """Check ``config.init`` (:func:`init_bundle`), then create ``out`` and record ``config`` there, or check the
    recorded one equals it (InputError if not). Returns the init bundle (None without one)."""
    init = init_bundle(config=config)
    out.mkdir(parents=True, exist_ok=True)
    path = out / CONFIG_NAME
    if path.exists():
        found = TrainConfig.from_json(json.loads(path.read_text())).to_json()  # settings added later: defaults
        wanted = config.to_json()
        differing = sorted(key for key in set(found) | set(wanted) if found.get(key) != wanted.get(key))
        if differing:
            raise InputError(
                f"Argument 'out' holds a run with other settings (differing: {', '.join(differing)}); "
                "use a new folder or the same settings to resume.",
                check="train_config",
                path=str(path),
            )
        return init
    write_json_atomic(path=path, value=config.to_json())
    return init


@torch.no_grad()
def evaluate_loss(*, model: DnCNN, patches: PatchSet, limit: int, device: torch.device) -> dict[str, float]:
    """Mean squared error of ``model`` and of the identity (the noisy centre slice) on the first ``limit`` patches."""
    model.eval()
    total, identity, count = 0.0, 0.0, 0
    for start in range(0, min(limit, len(patches)), 128):
        stop = min(start + 128, limit, len(patches))
        x, y = patches.x[start:stop].to(device), patches.y[start:stop].to(device)
        total += float(((model(x) - y) ** 2).sum())
        identity += float(((x[:, 1:2] - y) ** 2).sum())
        count += y.numel()
    model.train()
    return {"val_loss": total / count, "val_identity_loss": identity / count}


def _architecture(config: TrainConfig) -> DnCNNConfig:
    return DnCNNConfig(width=config.width, depth=config.depth, noise_map=config.noise_map)


def init_bundle(*, config: TrainConfig) -> BundleInfo | None:
    """The bundle ``config.init`` names (None without one); InputError when it is unreadable or its architecture
    is not the run's."""
    if config.init is None:
        return None
    info = load_bundle_info(directory=Path(config.init))
    found = info.config if info.sparse_path is None else DnCNNConfig(**info.metadata["sparse_config"])
    if found != _architecture(config):  # a pruned bundle: the full sparse network it ships is what is trained
        raise InputError(
            f"Argument 'init' holds a network of another architecture ({found.to_json()}) than this run's "
            f"({_architecture(config).to_json()}).",
            check="init_architecture",
            path=config.init,
        )
    return info


def _start(
    *, config: TrainConfig, init: BundleInfo | None, out: Path, device: torch.device
) -> tuple[DnCNN, torch.optim.Adam, Checkpoint]:
    torch.manual_seed(config.seed)
    if init is None:
        model = DnCNN(config=_architecture(config)).to(device)
    else:
        model = load_adaptable_model(info=init, device=device).train()
    optimizer = torch.optim.Adam(model.parameters(), lr=config.lr, weight_decay=config.weight_decay)
    found = load_checkpoint(directory=out)
    if found is None:
        rng = np.random.default_rng(config.seed)
        return (
            model,
            optimizer,
            Checkpoint(
                step=0, model={}, optimizer={}, numpy_rng=rng.bit_generator.state, torch_rng=torch.get_rng_state()
            ),
        )
    model.load_state_dict(found.model)
    optimizer.load_state_dict(found.optimizer)
    torch.set_rng_state(found.torch_rng)
    return model, optimizer, found


def _step(*, model: DnCNN, optimizer: torch.optim.Adam, batch: Batch, config: TrainConfig) -> float:
    optimizer.zero_grad(set_to_none=True)
    x, y = batch.x, batch.y
    noisy = x[:, 1:2] if config.level_balance > 0 else None
    prediction = model(x)
    loss = weighted_mse(
        prediction=prediction,
        target=y,
        strength=config.contrast_weight,
        sigma=config.contrast_sigma,
        noisy=noisy,
        relative=config.contrast_relative,
        balance=config.level_balance,
    )
    if config.lesion_weight > 0 and batch.lesion is not None:
        loss = loss + config.lesion_weight * lesion_consistency(prediction=prediction, target=y, labels=batch.lesion)
    loss.backward()  # type: ignore[no-untyped-call]
    torch.nn.utils.clip_grad_norm_(model.parameters(), config.clip_norm)
    optimizer.step()
    return float(loss.detach())


def _sparsify(*, model: DnCNN, config: TrainConfig, step: int, state: SparsityState) -> None:
    """The proximal step of :mod:`models.training.sparsity` after optimiser step ``step`` (0-based): shrink until
    the target share of hidden channels is idle, then pin those at 0."""
    if config.sparsity <= 0:
        return
    if state.pinned is not None:
        zero_channels(model=model, channels=state.pinned)
        return
    if config.sparsity_select and state.selected is None:
        state.selected = select_channels(model=model, share=config.sparsity_target)
    threshold = config.lr_at(step=step) * config.sparsity_at(step=step)
    proximal_step(model=model, threshold=threshold, only=state.selected)
    idle = idle_channels(model=model)
    if state.selected is not None:
        done = all(bool(mask[chosen].all()) for mask, chosen in zip(idle, state.selected, strict=True))
    else:
        done = float(torch.cat(idle).float().mean()) >= config.sparsity_target
    if done:
        state.pinned, state.pinned_at = [mask.cpu() for mask in idle], step + 1


def idle_share(*, model: DnCNN) -> float:
    """Fraction of all hidden channels whose group is exactly 0 (:mod:`models.training.sparsity`)."""
    return float(torch.cat(idle_channels(model=model)).float().mean())


def train_denoiser(*, config: TrainConfig, out: Path, log: Callable[[str], None]) -> TrainResult:
    """Train (or resume) the run in ``out`` to ``config.steps`` and write its bundle (module docstring); a
    fine-tune's bundle records the ``init_sha256`` of the weights it was started from (read when this call
    starts)."""
    init = prepare_run(config=config, out=out)
    device = torch_device()
    train, val = load_patch_sets(config=config)
    model, optimizer, state = _start(config=config, init=init, out=out, device=device)
    rng = restore_generator(state=state.numpy_rng)
    sparse = SparsityState.from_json(state.sparsity)
    draw = lesion_draw_weights(patches=train, oversample=config.lesion_oversample)
    log(f"{len(train)} training / {len(val)} validation patches; {device}; resuming at step {state.step}")
    started, losses, first_step = time.perf_counter(), [], state.step
    model.train()
    for step in range(state.step, config.steps):
        for group in optimizer.param_groups:
            group["lr"] = config.lr_at(step=step)
        batch = sample_batch(patches=train, batch=config.batch, gain_range=config.gain_range, rng=rng, draw=draw)
        batch = Batch(
            x=batch.x.to(device), y=batch.y.to(device), lesion=None if batch.lesion is None else batch.lesion.to(device)
        )
        losses.append(_step(model=model, optimizer=optimizer, batch=batch, config=config))
        _sparsify(model=model, config=config, step=step, state=sparse)
        done = step + 1
        if done % config.eval_every == 0 or done == config.steps:
            entry = {"step": float(done), "train_loss": float(np.mean(losses)), "lr": config.lr_at(step=step)}
            if config.sparsity > 0:
                entry |= {"idle_share": idle_share(model=model), "sparsity": config.sparsity_at(step=step)}
            entry |= evaluate_loss(model=model, patches=val, limit=config.val_patches, device=device)
            state = Checkpoint(
                step=done,
                model=model.state_dict(),
                optimizer=optimizer.state_dict(),
                numpy_rng=rng.bit_generator.state,
                torch_rng=torch.get_rng_state(),
                history=[*state.history, entry],
                sparsity=sparse.to_json(),
            )
            save_checkpoint(directory=out, checkpoint=state)
            log(_progress_line(entry=entry, config=config, started=started, first=first_step))
            losses = []
    model = model.cpu().eval()
    version = (
        f"w{config.width}{'-nm' if config.noise_map else ''}{'-sp' if config.sparsity > 0 else ''}"
        f"-s{config.seed}{'-ft' if config.init else ''}"
    )
    bundle = save_bundle(  # a sparse run ships pruned, with its full sparse network beside it for TGD
        model=prune_idle(model=model) if config.sparsity > 0 else model,
        sparse=model if config.sparsity > 0 else None,
        directory=out,
        name=DENOISER_NAME,
        version=version,
        extra={"training": config.to_json(), "history": state.history}
        | ({"sparsity": sparse.to_json() | {"idle_share": idle_share(model=model)}} if config.sparsity > 0 else {})
        | ({} if init is None else {"init_sha256": init.onnx_sha256}),
    )
    return TrainResult(bundle=bundle, history=state.history, seconds=time.perf_counter() - started)


def _progress_line(*, entry: dict[str, float], config: TrainConfig, started: float, first: int) -> str:
    step = int(entry["step"])
    elapsed = max(time.perf_counter() - started, 1e-9)
    rate = (step - first) / elapsed
    eta = (config.steps - step) / rate if rate > 0 else 0.0
    sparse = f" idle {entry['idle_share']:.1%} λ {entry['sparsity']:.3g}" if "idle_share" in entry else ""
    return (
        f"step {step}/{config.steps} train {entry['train_loss']:.5f} val {entry['val_loss']:.5f} "
        f"(noisy input {entry['val_identity_loss']:.5f}) lr {entry['lr']:.2e}{sparse} "
        f"{rate * config.batch:.1f} patches/s, eta {eta / 60:.0f} min"
    )
