"""End-to-end training of cfdopt.snn on the three bundled tasks (reduced sizes for CI) and the command.

The reduced runs keep the issue's accuracy thresholds; only the data set size,
steps and epochs are smaller than the bundled cases (which reach 100 %, 98 %
and 100 % in about 60 s, 15 s and 10 s on 2 cores).
"""

import json
import tomllib
from pathlib import Path
from types import SimpleNamespace

import numpy as np
import pytest

from cfdopt.snn.settings import SnnConfig
from cfdopt.snn.train import train

CASES = Path(__file__).resolve().parents[1] / "cases"


def test_randman_reaches_90_percent():
    # Zenke & Vogels (2021) benchmark setting: 10 classes, 20 inputs, manifold dimension 1
    cfg = SnnConfig(task="randman", n_classes=10, n_inputs=20, manifold_dim=1, samples_per_class=200,
                    n_steps=50, n_hidden=64, epochs=8, learning_rate=3e-3, seed=0)
    records = []
    result = train(cfg, progress=records.append)
    assert [r.epoch for r in records] == list(range(1, 9))  # one progress call per epoch
    assert result.history[-1].test_acc >= 0.90  # on 400 held-out samples


def test_digits_reach_95_percent():
    pytest.importorskip("sklearn")
    cfg = SnnConfig(task="digits", n_steps=30, n_hidden=128, epochs=12, learning_rate=3e-3, seed=0)
    assert train(cfg).history[-1].test_acc >= 0.95  # on 359 held-out images


def test_race_fires_the_right_neuron_first():
    cfg = SnnConfig(task="race", samples_per_class=500, n_steps=30, n_hidden=32, loss="first-spike",
                    margin=2.0, epochs=30, learning_rate=5e-3, seed=0)
    # at least 99% of 200 held-out trials: ties and silent outputs count as wrong
    assert train(cfg).history[-1].test_acc >= 0.99


@pytest.mark.parametrize("overrides", [
    dict(neuron="rlif"), dict(neuron="alif", reset="zero", refractory=2),
    dict(loss="count", surrogate="triangle"), dict(loss="sum-ce", tau_syn_ms=0.0, reg_lower=1.0, rate_lower_hz=5.0),
])
def test_model_variants_train_without_nans(overrides):
    cfg = SnnConfig(task="randman", n_classes=3, samples_per_class=40, n_steps=30, n_hidden=16, epochs=3,
                    batch_size=32, **overrides)
    hist = train(cfg).history
    assert all(np.isfinite(r.loss) for r in hist)
    assert hist[-1].loss < hist[0].loss  # training makes progress


@pytest.mark.parametrize("case", ["snn-randman", "snn-digits", "snn-race"])
def test_bundled_cases_are_valid(case):
    table = tomllib.loads((CASES / case / "case.toml").read_text())
    assert set(table) == {"snn"}
    cfg = SnnConfig(**table["snn"])
    assert cfg.task == case.removeprefix("snn-")


def test_command_writes_summary_and_figures(tmp_path):
    from cfdopt.commands import snn as command

    cfg = SimpleNamespace(snn=SnnConfig(task="race", samples_per_class=50, n_steps=20, n_hidden=8,
                                        loss="first-spike", epochs=2),
                          case_dir=tmp_path)
    assert command.run(SimpleNamespace(out=tmp_path, quiet=True), cfg) == 0
    summary = json.loads((tmp_path / "summary.json").read_text())
    for key in ("train_accuracy", "test_accuracy", "epochs", "wall_time_s", "mean_firing_rate_hz"):
        assert key in summary
    assert summary["epochs"] == 2
    assert (tmp_path / "curves.png").stat().st_size > 0 and (tmp_path / "raster.png").stat().st_size > 0
