"""Benchmark one surrogate-gradient training step of cfdopt.snn (and snnTorch if installed).

Network: 700 Bernoulli inputs (p = 0.05 per step) -> 256 LIF (reset by
subtraction, detached; tau_mem 10 ms at dt 1 ms, i.e. beta = 0.905) -> 20
leaky-integrator readouts; 100 steps, batch 128, fast-sigmoid surrogate with
slope 25, float32, cross-entropy on the max over time, Adam. Reports the
median wall time of one step (forward, backward, Adam update) over
``--repeats`` steps after warm-up, and the peak resident memory of the
process (``resource.getrusage``, which includes everything loaded so far).

Rows, in the order they run:

1. dense input, the C library's default allocator (what a library user gets);
2. dense input after :func:`cfdopt.cli.keep_freed_memory` (what ``cfdopt snn`` does);
3. the same spikes as event lists (:mod:`cfdopt.snn.events`), kept heap; the
   host-side conversion (``to_events``, once per batch) is timed separately.

The first-step loss of rows 1-3 agrees to float32 rounding: the same network
on the same data (later steps drift apart once a rounding difference flips a spike).

Usage: python scripts/bench_snn.py [--repeats 30] [--threads N]
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import sys
import time


def _peak_mib() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024.0


def bench_cfdopt(x_np, y_np, n_hidden, n_out, repeats, events=False):
    import jax
    import jax.numpy as jnp
    import optax

    import cfdopt  # noqa: F401  (enables x64; everything below is explicitly float32)
    from cfdopt.snn import losses
    from cfdopt.snn.events import to_events
    from cfdopt.snn.network import SnnModel, forward, init_params
    from cfdopt.snn.neurons import LifParams

    hidden = LifParams(tau_mem=10.0, reset="subtract", detach_reset=True, surrogate="fast_sigmoid", slope=25.0)
    model = SnnModel(x_np.shape[2], n_hidden, n_out, hidden, output=LifParams(tau_mem=20.0))
    params = init_params(jax.random.PRNGKey(0), model, jnp.float32)
    opt = optax.adam(1e-3)
    state = opt.init(params)

    @jax.jit
    def step(params, state, x, y):
        loss, grads = jax.value_and_grad(lambda p: losses.max_over_time_ce(forward(p, model, x).out, y))(params)
        updates, state = opt.update(grads, state, params)
        return optax.apply_updates(params, updates), state, loss

    x, y = (to_events(x_np) if events else jnp.asarray(x_np, jnp.float32)), jnp.asarray(y_np)
    t0 = time.perf_counter()
    params, state, loss = step(params, state, x, y)
    loss.block_until_ready()
    compile_s = time.perf_counter() - t0
    first_loss = float(loss)
    times = []
    for _ in range(repeats):
        t0 = time.perf_counter()
        params, state, loss = step(params, state, x, y)
        loss.block_until_ready()
        times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times), compile_s, first_loss


def _time_torch(forward, opt, y, repeats):
    """Median and best seconds of a PyTorch Adam step on the max-over-time cross-entropy (2 warm-up steps)."""
    import torch

    times = []
    for k in range(repeats + 2):
        t0 = time.perf_counter()
        loss = torch.nn.functional.cross_entropy(forward().max(dim=0).values, y)
        opt.zero_grad()
        loss.backward()
        opt.step()
        if k >= 2:
            times.append(time.perf_counter() - t0)
    return statistics.median(times), min(times)


def bench_torch(x_np, y_np, n_hidden, n_out, repeats):
    """The same network in plain PyTorch: the per-step LIF update snnTorch's ``Leaky`` performs
    (reset by subtraction, detached; SuperSpike surrogate), for machines without snnTorch."""
    import math

    import torch

    class Spike(torch.autograd.Function):
        @staticmethod
        def forward(ctx, v):
            ctx.save_for_backward(v)
            return (v > 0).to(v.dtype)

        @staticmethod
        def backward(ctx, g):
            (v,) = ctx.saved_tensors
            return g / (1.0 + 25.0 * v.abs()) ** 2

    beta1, beta2 = math.exp(-0.1), math.exp(-0.05)
    torch.manual_seed(0)
    fc1 = torch.nn.Linear(x_np.shape[2], n_hidden, bias=False)
    fc2 = torch.nn.Linear(n_hidden, n_out, bias=False)
    opt = torch.optim.Adam(list(fc1.parameters()) + list(fc2.parameters()), lr=1e-3)
    x, y = torch.tensor(x_np), torch.tensor(y_np, dtype=torch.long)

    def forward():
        cur = fc1(x)
        mem1 = torch.zeros(x.shape[1], n_hidden)
        spikes = []
        for t in range(x.shape[0]):
            mem1 = beta1 * mem1 + cur[t]
            spk = Spike.apply(mem1 - 1.0)
            mem1 = mem1 - spk.detach()
            spikes.append(spk)
        out_cur = fc2(torch.stack(spikes))
        mem2, rec = torch.zeros(x.shape[1], n_out), []
        for t in range(x.shape[0]):
            mem2 = beta2 * mem2 + out_cur[t]
            rec.append(mem2)
        return torch.stack(rec)

    return _time_torch(forward, opt, y, repeats)


def bench_snntorch(x_np, y_np, n_hidden, n_out, repeats):
    import torch
    import snntorch as snn
    from snntorch import surrogate

    beta = float(__import__("math").exp(-0.1))
    grad = surrogate.fast_sigmoid(slope=25)

    class Net(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.fc1 = torch.nn.Linear(x_np.shape[2], n_hidden, bias=False)
            self.lif = snn.Leaky(beta=beta, spike_grad=grad, reset_mechanism="subtract")
            self.fc2 = torch.nn.Linear(n_hidden, n_out, bias=False)
            self.out = snn.Leaky(beta=float(__import__("math").exp(-0.05)), reset_mechanism="none")

        def forward(self, x):
            mem1, mem2 = self.lif.init_leaky(), self.out.init_leaky()
            cur = self.fc1(x)
            rec = []
            for t in range(x.shape[0]):
                spk, mem1 = self.lif(cur[t], mem1)
                _, mem2 = self.out(self.fc2(spk), mem2)
                rec.append(mem2)
            return torch.stack(rec)

    net = Net()
    opt = torch.optim.Adam(net.parameters(), lr=1e-3)
    x, y = torch.tensor(x_np), torch.tensor(y_np, dtype=torch.long)
    return _time_torch(lambda: net(x), opt, y, repeats)


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=30)
    parser.add_argument("--steps", type=int, default=100)
    parser.add_argument("--batch", type=int, default=128)
    args = parser.parse_args(argv)
    import numpy as np

    n_in, n_hidden, n_out = 700, 256, 20
    rng = np.random.default_rng(0)
    x = (rng.random((args.steps, args.batch, n_in)) < 0.05).astype(np.float32)
    y = rng.integers(0, n_out, args.batch)
    print(f"# {n_in} -> {n_hidden} LIF -> {n_out} readout, {args.steps} steps, batch {args.batch}, "
          f"p = 0.05, fast sigmoid k = 25, float32, Adam; {os.cpu_count()} CPU cores")
    from cfdopt.cli import keep_freed_memory
    from cfdopt.snn.events import to_events

    rows = []
    med, best, comp, loss = bench_cfdopt(x, y, n_hidden, n_out, args.repeats)
    rows.append(("cfdopt dense, default malloc", med, best, f"compile {comp:.1f} s, loss {loss:.4f}"))
    kept = keep_freed_memory()
    med, best, comp, loss = bench_cfdopt(x, y, n_hidden, n_out, args.repeats)
    rows.append(("cfdopt dense, kept heap", med, best,
                 f"compile {comp:.1f} s, loss {loss:.4f}" + ("" if kept else " (mallopt unavailable)")))
    med, best, comp, loss = bench_cfdopt(x, y, n_hidden, n_out, args.repeats, events=True)
    rows.append(("cfdopt events, kept heap", med, best, f"compile {comp:.1f} s, loss {loss:.4f}"))
    conv = []
    for _ in range(5):
        t0 = time.perf_counter()
        ev = to_events(x)
        conv.append(time.perf_counter() - t0)
    rows.append(("  to_events (host)", statistics.median(conv), min(conv),
                 f"once per batch; widths {ev.rows.shape[1]} per row, {ev.cols.shape[1]} per input"))
    peak_jax = _peak_mib()
    try:
        t_med, t_best = bench_snntorch(x, y, n_hidden, n_out, args.repeats)
        rows.append(("snnTorch", t_med, t_best, f"ratio snnTorch / cfdopt events = {t_med / med:.2f}"))
    except ImportError as err:
        rows.append(("snnTorch", None, None, f"not installed ({err.name}); skipped"))
    try:
        t_med, t_best = bench_torch(x, y, n_hidden, n_out, args.repeats)
        rows.append(("PyTorch, same LIF by hand", t_med, t_best, f"ratio PyTorch / cfdopt events = {t_med / med:.2f}"))
    except ImportError as err:
        rows.append(("PyTorch, same LIF by hand", None, None, f"not installed ({err.name}); skipped"))
    print(f"{'implementation':<30} {'median ms/step':>15} {'best ms/step':>13}  notes")
    for name, m, b, note in rows:
        ms = f"{1e3 * m:15.1f} {1e3 * b:13.1f}" if m is not None else f"{'-':>15} {'-':>13}"
        print(f"{name:<30} {ms}  {note}")
    print(f"peak resident memory after cfdopt run: {peak_jax:.0f} MiB; at exit: {_peak_mib():.0f} MiB")
    target = 0.060
    print(f"target <= {1e3 * target:.0f} ms/step (event input, kept heap): {'met' if med <= target else 'NOT met'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
