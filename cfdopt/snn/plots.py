"""Figures for the spiking networks (the only matplotlib user in ``cfdopt.snn``)."""

from __future__ import annotations

import matplotlib

matplotlib.use("Agg")
import matplotlib.pyplot as plt  # noqa: E402
import numpy as np  # noqa: E402

from cfdopt.util.surrogates import SURROGATES, surrogate_grad  # noqa: E402

__all__ = ["plot_curves", "plot_raster", "plot_surrogates"]


def plot_curves(history, path) -> None:
    """Training loss and train/test accuracy per epoch from a list of ``EpochRecord``."""
    epochs = [r.epoch for r in history]
    fig, (ax_loss, ax_acc) = plt.subplots(1, 2, figsize=(9, 3.5))
    ax_loss.plot(epochs, [r.loss for r in history], "k-o", ms=3)
    ax_loss.set_yscale("log")
    ax_loss.set_xlabel("epoch")
    ax_loss.set_ylabel("training loss (-)")
    ax_acc.plot(epochs, [100 * r.train_acc for r in history], "-o", ms=3, label="train")
    ax_acc.plot(epochs, [100 * r.test_acc for r in history], "-s", ms=3, label="test")
    ax_acc.set_xlabel("epoch")
    ax_acc.set_ylabel("accuracy (%)")
    ax_acc.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_raster(inputs, hidden, path, dt_ms: float = 1.0, title: str = "", output=None,
                output_spikes: bool = False) -> None:
    """Spike raster of one sample: inputs ``(n_steps, n_in)``, hidden ``(n_steps, n_hidden)``.

    Analog inputs (currents, as in the race task) are drawn as an image.
    ``output``, if given, is the readout ``(n_steps, n_out)``: membrane
    traces, or a raster when ``output_spikes``.
    """
    inputs, hidden = np.asarray(inputs), np.asarray(hidden)
    rows = 3 if output is not None else 2
    fig, axes = plt.subplots(rows, 1, figsize=(7, 2.2 * rows), sharex=True)
    t = np.arange(inputs.shape[0]) * dt_ms
    binary = np.all((inputs == 0) | (inputs == 1))
    if binary:
        ti, ni = np.nonzero(inputs)
        axes[0].plot(t[ti], ni, "|", color="k", ms=4)
    else:
        axes[0].imshow(inputs.T, aspect="auto", origin="lower", cmap="viridis",
                       extent=(t[0], t[-1] + dt_ms, -0.5, inputs.shape[1] - 0.5))
        axes[0].set_yticks(range(inputs.shape[1]))
    axes[0].set_ylabel("input neuron")
    th, nh = np.nonzero(hidden)
    axes[1].plot(t[th], nh, "|", color="C3", ms=4)
    axes[1].set_ylabel("hidden neuron")
    if output is not None and output_spikes:
        output = np.asarray(output)
        to, no = np.nonzero(output)
        axes[2].plot(t[to], no, "|", color="C0", ms=8)
        axes[2].set_ylim(-0.5, output.shape[1] - 0.5)
        axes[2].set_yticks(range(output.shape[1]))
        axes[2].set_ylabel("output neuron")
    elif output is not None:
        axes[2].plot(t, np.asarray(output))
        axes[2].set_ylabel("readout (membrane units)")
    axes[-1].set_xlabel("time (ms)")
    if title:
        axes[0].set_title(title)
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


def plot_surrogates(path, slope: float = 25.0) -> None:
    """Every surrogate derivative ``g(x; k)`` of :data:`cfdopt.util.surrogates.SURROGATES` at one slope."""
    x = np.linspace(-0.3, 0.3, 601)
    fig, ax = plt.subplots(figsize=(6, 3.5))
    for name in sorted(SURROGATES):
        ax.plot(x, np.asarray(surrogate_grad(name, slope)(x)), label=name)
    ax.set_xlabel("u - theta (membrane units)")
    ax.set_ylabel(f"surrogate dH/du, k = {slope:g} (1/membrane units)")
    ax.legend()
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)
