"""Training of the spiking classifier with optax (Adam) from an :class:`SnnConfig`.

The library does not print: :func:`train` calls ``progress(record)`` once per
epoch with that epoch's :class:`EpochRecord`, and returns the full history.
All arrays are float32 (the package enables x64 for the CFD side, so the
dtype is set explicitly).
"""

from __future__ import annotations

import time
from typing import Callable, NamedTuple

import jax
import jax.numpy as jnp
import numpy as np
import optax

from cfdopt.snn import losses
from cfdopt.snn.data import Dataset, digits_dataset, race_dataset, randman_dataset
from cfdopt.snn.network import SnnModel, forward, init_params
from cfdopt.snn.neurons import LifParams
from cfdopt.snn.settings import SnnConfig

__all__ = ["EpochRecord", "TrainResult", "load_task", "build_model", "make_loss", "evaluate", "train"]

DTYPE = jnp.float32
_forward_jit = jax.jit(forward, static_argnums=1)


class EpochRecord(NamedTuple):
    """Per-epoch summary: mean training loss, accuracies, hidden rate (Hz), elapsed seconds."""

    epoch: int
    loss: float
    train_acc: float
    test_acc: float
    rate_hz: float
    elapsed_s: float


class TrainResult(NamedTuple):
    """Trained parameters, the static model and the history (one record per epoch)."""

    params: dict
    model: SnnModel
    history: list
    wall_time_s: float


def load_task(cfg: SnnConfig) -> Dataset:
    """The data set named by ``cfg.task``."""
    if cfg.task == "randman":
        return randman_dataset(cfg.n_classes, cfg.n_inputs, cfg.n_steps, cfg.manifold_dim,
                               cfg.samples_per_class, cfg.randman_alpha, cfg.step_frac,
                               cfg.test_fraction, cfg.seed)
    if cfg.task == "digits":
        return digits_dataset(cfg.n_steps, cfg.step_frac, cfg.test_fraction, cfg.seed)
    return race_dataset(2 * cfg.samples_per_class, cfg.n_steps, cfg.race_gap, cfg.test_fraction, cfg.seed)


def build_model(cfg: SnnConfig, n_in: int, n_out: int) -> SnnModel:
    """Network for the configured neuron, reset, surrogate and loss (spiking outputs for count/first-spike)."""
    common = dict(dt=cfg.dt_ms, threshold=cfg.threshold, reset=cfg.reset, detach_reset=cfg.detach_reset,
                  surrogate=cfg.surrogate, slope=cfg.slope)
    tau_syn = cfg.tau_syn_ms if cfg.tau_syn_ms > 0 else None
    hidden = LifParams(tau_mem=cfg.tau_mem_ms, tau_syn=tau_syn, refractory=cfg.refractory,
                       tau_adapt=cfg.tau_adapt_ms if cfg.neuron == "alif" else None,
                       adapt_strength=cfg.adapt_strength * cfg.threshold if cfg.neuron == "alif" else 0.0,
                       **common)
    spiking = cfg.loss in ("count", "first-spike")
    output = LifParams(tau_mem=cfg.tau_out_ms, tau_syn=tau_syn, **common)
    return SnnModel(n_in, cfg.n_hidden, n_out, hidden, recurrent=cfg.neuron == "rlif",
                    readout="spiking" if spiking else "integrator", output=output,
                    init_scale=cfg.init_scale)


def make_loss(cfg: SnnConfig, model: SnnModel) -> Callable:
    """``loss_fn(params, x (n_steps, batch, n_in), y (batch,)) -> (loss, NetOutput)``."""
    per_step = cfg.dt_ms / 1000.0  # Hz -> spikes per step
    lower, upper = cfg.rate_lower_hz * per_step, cfg.rate_upper_hz * per_step

    def loss_fn(params, x, y):
        out = forward(params, model, x)
        if cfg.loss == "max-ce":
            data = losses.max_over_time_ce(out.out, y)
        elif cfg.loss == "sum-ce":
            data = losses.sum_over_time_ce(out.out, y)
        elif cfg.loss == "count":
            data = losses.spike_count_loss(out.out, y, cfg.count_correct, cfg.count_incorrect)
        else:
            data = losses.temporal_margin_loss(out.out, y, cfg.margin)
        pen_lo, pen_hi = losses.rate_regularizer(out.hidden, lower, upper)
        return data + cfg.reg_lower * pen_lo + cfg.reg_upper * pen_hi, out

    return loss_fn


def evaluate(params, model: SnnModel, loss: str, x, y, batch_size: int = 256):
    """Accuracy and mean hidden spikes per step on sample-major ``x (n, n_steps, n_in)``."""
    correct, spikes = 0, 0.0
    for start in range(0, len(y), batch_size):
        xb = jnp.asarray(np.swapaxes(x[start:start + batch_size], 0, 1), DTYPE)
        out = _forward_jit(params, model, xb)
        correct += int(jnp.sum(losses.predict(out.out, loss) == jnp.asarray(y[start:start + batch_size])))
        spikes += float(jnp.sum(jnp.mean(out.hidden, axis=(0, 2))))
    return correct / len(y), spikes / len(y)


def train(cfg: SnnConfig, data: Dataset | None = None,
          progress: Callable[[EpochRecord], None] | None = None) -> TrainResult:
    """Train with Adam for ``cfg.epochs`` epochs of shuffled mini-batches.

    Args:
        cfg: settings (``[snn]`` section).
        data: data set; ``load_task(cfg)`` if None.
        progress: called with each epoch's :class:`EpochRecord`.

    Returns:
        :class:`TrainResult`.
    """
    start = time.perf_counter()
    data = load_task(cfg) if data is None else data
    model = build_model(cfg, data.x_train.shape[2], data.n_classes)
    key = jax.random.PRNGKey(cfg.seed)
    params = init_params(key, model, DTYPE)
    optimizer = optax.adam(cfg.learning_rate)
    opt_state = optimizer.init(params)
    loss_fn = make_loss(cfg, model)

    @jax.jit
    def step(params, opt_state, x, y):
        (loss, _), grads = jax.value_and_grad(loss_fn, has_aux=True)(params, x, y)
        updates, opt_state = optimizer.update(grads, opt_state, params)
        return optax.apply_updates(params, updates), opt_state, loss

    rng = np.random.default_rng(cfg.seed)
    n = len(data.y_train)
    batch = min(cfg.batch_size, n)
    history = []
    for epoch in range(1, cfg.epochs + 1):
        order = rng.permutation(n)
        epoch_loss = []
        for i in range(0, n - batch + 1, batch):
            idx = order[i:i + batch]
            xb = jnp.asarray(np.swapaxes(data.x_train[idx], 0, 1), DTYPE)
            params, opt_state, loss = step(params, opt_state, xb, jnp.asarray(data.y_train[idx]))
            epoch_loss.append(loss)
        train_acc, _ = evaluate(params, model, cfg.loss, data.x_train, data.y_train)
        test_acc, spikes = evaluate(params, model, cfg.loss, data.x_test, data.y_test)
        record = EpochRecord(epoch, float(np.mean(jnp.stack(epoch_loss))), train_acc, test_acc,
                             spikes * 1000.0 / cfg.dt_ms, time.perf_counter() - start)
        history.append(record)
        if progress is not None:
            progress(record)
    return TrainResult(params, model, history, time.perf_counter() - start)
