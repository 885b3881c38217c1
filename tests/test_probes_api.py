"""The Python API (`watch`, `check_overfit_batch`) and the promise that probes only read."""

from __future__ import annotations

import json
import runpy
import sys

import pytest

torch = pytest.importorskip("torch")

from test_probes import probe  # noqa: E402
from torch import nn  # noqa: E402

import dllint.probes  # noqa: E402
from dllint.probes import check_overfit_batch, watch  # noqa: E402

torch.set_num_threads(1)


class TwoHeads(nn.Module):
    def __init__(self):
        super().__init__()
        self.body = nn.Sequential(nn.Linear(6, 16), nn.ReLU())
        self.head = nn.Linear(16, 2)
        self.unused = nn.Linear(16, 2)

    def forward(self, x):
        return self.head(self.body(x))


def _train(model, optimizer, steps, seed=0):
    generator = torch.Generator().manual_seed(seed)
    for _ in range(steps):
        x = torch.randn(16, 6, generator=generator)
        loss = nn.functional.cross_entropy(model(x), (x[:, 0] > 0).long())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()


def test_watch_reports_on_the_watched_model_only():
    torch.manual_seed(0)
    model, other = TwoHeads(), TwoHeads()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    other_optimizer = torch.optim.SGD(other.parameters(), lr=50.0)
    with watch(model, optimizer) as w:
        _train(model, optimizer, 5)
        _train(other, other_optimizer, 5)  # not watched: its lr of 50 is not this watch's business
    assert [d.code for d in w.findings] == ["DL909"]
    (finding,) = w.findings
    assert "`unused.weight`, `unused.bias` of TwoHeads" in finding.message
    assert finding.path.endswith("test_probes_api.py")  # the `with watch(...)` line, nothing closer known


def test_watch_options_and_select():
    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(6, 16), nn.Tanh(), nn.Linear(16, 2))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    with watch(model, optimizer, options={"DL912": {"max-log10-ratio": -3.0}}, select=["DL912"]) as w:
        _train(model, optimizer, 12)
    assert [d.code for d in w.findings] == ["DL912"]
    with watch(model, optimizer, select="DL909") as quiet:
        _train(model, optimizer, 12)
    assert quiet.findings == []
    with pytest.raises(ValueError):
        watch(model, optimizer, options={"DL999": {}})


def test_findings_inside_the_block_show_the_steps_so_far():
    torch.manual_seed(0)
    model = TwoHeads()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    with watch(model, optimizer) as w:
        _train(model, optimizer, 2)
        assert w.findings == []  # two checks are not enough to call a head unused
        _train(model, optimizer, 2)
        assert [d.code for d in w.findings] == ["DL909"]


def test_overfit_check_passes_fails_and_leaves_model_and_rng_alone():
    torch.manual_seed(0)
    batch = (torch.randn(8, 10), torch.randint(0, 5, (8,)))
    good = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Linear(32, 5))
    before = [p.detach().clone() for p in good.parameters()]
    result = check_overfit_batch(good, batch, nn.CrossEntropyLoss(), lambda p: torch.optim.Adam(p, lr=1e-2),
                                 steps=100)
    assert result.passed and result.findings == [] and result.losses[-1] < 0.1 * result.losses[0]
    assert all(torch.equal(a, b) for a, b in zip(before, good.parameters()))
    softmaxed = nn.Sequential(nn.Linear(10, 32), nn.ReLU(), nn.Dropout(0.2), nn.Linear(32, 5), nn.Softmax(dim=1))
    rng = torch.random.get_rng_state()
    result = check_overfit_batch(softmaxed, batch, nn.CrossEntropyLoss(), lambda p: torch.optim.Adam(p, lr=1e-2),
                                 steps=100)
    assert not result.passed and [d.code for d in result.findings] == ["DL917"]
    assert result.findings[0].path.endswith("test_probes_api.py")
    assert torch.equal(rng, torch.random.get_rng_state())


LOSSES = """
import json
import sys

import torch
from torch import nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(12, 32), nn.BatchNorm1d(32), nn.ReLU(), nn.Dropout(0.3), nn.Linear(32, 3))
optimizer = torch.optim.AdamW(model.parameters(), lr=1e-2, weight_decay=0.05)
losses = []
for step in range(int(sys.argv[2])):
    x = torch.randn(16, 12)
    y = torch.randint(0, 3, (16,))
    loss = nn.CrossEntropyLoss()(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
    losses.append(loss.item())
    hooked = bool(torch.nn.modules.module._global_forward_hooks)
    json.dump({"losses": [repr(v) for v in losses], "hooked": hooked}, open(f"{sys.argv[1]}.{step}", "w"))
"""


def _plain(script, *args):
    saved = sys.argv[:]
    sys.argv = [str(script), *args]
    try:
        runpy.run_path(str(script), run_name="__main__")
    finally:
        sys.argv = saved


def test_probed_losses_are_bit_identical_to_an_unprobed_run(tmp_path):
    script = tmp_path / "train.py"
    script.write_text(LOSSES)
    _plain(script, str(tmp_path / "plain"), "25")
    plain = json.loads((tmp_path / "plain.24").read_text())["losses"]
    for every in (10, 1):  # the default schedule, and every step sampled
        result = probe(tmp_path, LOSSES, str(tmp_path / f"probed{every}"), "25", sample_every=every)
        assert result.error is None
        assert json.loads((tmp_path / f"probed{every}.24").read_text())["losses"] == plain


def test_module_hooks_exist_only_on_sampled_steps(tmp_path):
    probe(tmp_path, LOSSES, str(tmp_path / "run"), "25")
    hooked = [json.loads((tmp_path / f"run.{step}").read_text())["hooked"] for step in range(25)]
    # Recorded after `step()`: the hooks then belong to the next step (1-3, then every 10th sampled).
    assert [step + 1 for step, on in enumerate(hooked) if on] == [1, 2, 10, 20]


def test_steps_limit_stops_the_script(tmp_path):
    result = probe(tmp_path, LOSSES, str(tmp_path / "run"), "25", steps=7)
    assert result.stopped and result.steps == 7 and result.error is None
    # It ends inside the 7th `optimizer.step()`: the rest of that iteration does not run.
    assert (tmp_path / "run.5").exists() and not (tmp_path / "run.6").exists()


def test_overfit_check_inside_a_probed_script_is_reported_and_not_counted(tmp_path):
    source = """
    import torch
    from torch import nn

    from dllint.probes import check_overfit_batch

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 3), nn.Softmax(dim=1))
    batch = (torch.randn(8, 4), torch.randint(0, 3, (8,)))
    check_overfit_batch(model, batch, nn.CrossEntropyLoss(), lambda p: torch.optim.SGD(p, lr=0.1), steps=30)
    """
    result = probe(tmp_path, source)
    assert [d.code for d in result.diagnostics] == ["DL917"]
    assert result.diagnostics[0].location.line == 10 and result.steps == 0


def test_package_import_is_cheap():
    assert set(dllint.probes.__all__) == {"watch", "check_overfit_batch"}


def test_weights_updated_by_hand_count_backward_passes_as_steps(tmp_path):
    source = """
    import torch

    torch.manual_seed(0)
    x = torch.randn(64, 3)
    y = x @ torch.tensor([[1.0], [-2.0], [0.5]])
    w = torch.zeros(3, 1, requires_grad=True)
    model = torch.nn.Linear(3, 1)
    for step in range(200):
        loss = torch.nn.functional.mse_loss(model(x) + x @ w, y)
        loss.backward()
        with torch.no_grad():
            for p in [w, *model.parameters()]:
                p -= 0.05 * p.grad
                p.grad = None
    """
    result = probe(tmp_path, source)
    assert result.error is None and result.steps == 200 - 64 and result.diagnostics == []


def test_a_failing_probe_never_breaks_the_run(tmp_path, monkeypatch):
    import dllint.probes.sampler as sampler

    def broken(*args, **kwargs):  # a bug in dllint, injected: the user's run must not notice
        raise RuntimeError("probe bug")

    monkeypatch.setattr(sampler, "_norm", broken)
    (tmp_path / "train.py").write_text(LOSSES)
    _plain(tmp_path / "train.py", str(tmp_path / "plain"), "12")
    result = probe(tmp_path, LOSSES, str(tmp_path / "probed"), "12")
    assert result.error is None and "RuntimeError: probe bug" in result.internal_error
    assert (json.loads((tmp_path / "probed.11").read_text())["losses"]
            == json.loads((tmp_path / "plain.11").read_text())["losses"])
    assert not torch.nn.modules.module._global_forward_hooks
