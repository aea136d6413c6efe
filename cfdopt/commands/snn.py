"""``cfdopt snn CASE``: train the spiking network of a case's ``[snn]`` section."""

from __future__ import annotations

import json

import jax.numpy as jnp
import numpy as np

HELP = "train a spiking neural network with surrogate gradients ([snn] section)"
KEEP_FREED_MEMORY = True  # see cfdopt.cli.keep_freed_memory: XLA's per-step buffers otherwise page-fault


def _line(r) -> str:
    return (f"epoch {r.epoch:3d}  loss {r.loss:.4f}  train {100 * r.train_acc:5.1f}%  "
            f"test {100 * r.test_acc:5.1f}%  rate {r.rate_hz:6.1f} Hz  {r.elapsed_s:6.1f} s")


def run(args, cfg) -> int:
    from cfdopt.snn import plots
    from cfdopt.snn.network import forward
    from cfdopt.snn.train import load_task, train

    s = cfg.snn
    data = load_task(s)
    progress = None if args.quiet else (lambda r: print(_line(r), flush=True))
    result = train(s, data, progress)
    last = result.history[-1]
    summary = {
        "task": s.task, "neuron": s.neuron, "loss": s.loss, "surrogate": s.surrogate,
        "epochs": s.epochs, "train_accuracy": last.train_acc, "test_accuracy": last.test_acc,
        "final_loss": last.loss, "wall_time_s": result.wall_time_s, "mean_firing_rate_hz": last.rate_hz,
        "n_train": int(len(data.y_train)), "n_test": int(len(data.y_test)),
        "history": [r._asdict() for r in result.history],
    }
    out = args.out
    (out / "summary.json").write_text(json.dumps(summary, indent=2))
    plots.plot_curves(result.history, out / "curves.png")
    x = jnp.asarray(data.x_test[:1].swapaxes(0, 1), jnp.float32)
    net = forward(result.params, result.model, x)
    plots.plot_raster(data.x_test[0], np.asarray(net.hidden[:, 0]), out / "raster.png", s.dt_ms,
                      title=f"{s.task}: test sample of class {int(data.y_test[0])}",
                      output=np.asarray(net.out[:, 0]), output_spikes=result.model.readout == "spiking")
    if not args.quiet:
        print(f"test accuracy {100 * last.test_acc:.1f}%  ({result.wall_time_s:.1f} s); wrote {out}")
    return 0
