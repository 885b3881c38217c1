"""Runtime probes on real (tiny) training runs: each symptom really happens, and healthy runs stay
silent. Scripts run in-process under the same session `dllint probe` uses, on CPU."""

from __future__ import annotations

import textwrap

import pytest

torch = pytest.importorskip("torch")

from dllint.engine.diagnostic import Severity  # noqa: E402
from dllint.probes.findings import probe_codes  # noqa: E402
from dllint.probes.session import probe_script  # noqa: E402

# Other tests and processes share the machine: one thread keeps these runs short and steady.
torch.set_num_threads(1)


def probe(tmp_path, source: str, *args: str, name: str = "train.py", **kwargs):
    """Write `source` as a script in `tmp_path` and run it under the probes; the ProbeResult."""
    script = tmp_path / name
    script.write_text(textwrap.dedent(source), encoding="utf-8")
    kwargs.setdefault("codes", probe_codes())
    kwargs.setdefault("options", {})
    return probe_script(str(script), list(args), cwd=tmp_path, **kwargs)


def codes(result) -> list[str]:
    return sorted({d.code for d in result.diagnostics})


def line_of(source: str, text: str) -> int:
    return next(n for n, line in enumerate(textwrap.dedent(source).splitlines(), 1) if text in line)


MLP = """
import torch
from torch import nn

torch.manual_seed(0)
model = nn.Sequential(nn.Linear(16, 64), nn.Tanh(), nn.Linear(64, 4))
optimizer = torch.optim.SGD(model.parameters(), lr={lr}{extra})
for step in range({steps}):
    x = torch.randn(64, 16)
    y = x[:, :4].argmax(dim=1)
    loss = nn.functional.cross_entropy(model(x), y)
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
"""


def test_learning_rate_50_moves_weights_by_their_own_size(tmp_path):
    source = MLP.format(lr=50, extra="", steps=20)
    result = probe(tmp_path, source)
    found = [d for d in result.diagnostics if d.code == "DL912"]
    assert len(found) == 1 and "too high" in found[0].message and "lr=50" in found[0].message
    assert (found[0].path, found[0].location.line) == ("train.py", line_of(source, "optimizer = "))


def test_clamped_cross_entropy_on_an_impossible_target_sticks_at_87_3365(tmp_path):
    source = """
    import torch
    from torch import nn

    torch.manual_seed(0)
    model = nn.Linear(8, 4)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    mask = torch.tensor([True, False, False, False])  # class 0 can never be predicted
    for step in range(12):
        x = torch.randn(16, 8)
        y = torch.zeros(16, dtype=torch.long)
        probs = model(x).masked_fill(mask, float("-inf")).softmax(dim=1)
        loss = -probs.gather(1, y[:, None]).clamp(min=torch.finfo(torch.float32).tiny).log().mean()
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    """
    result = probe(tmp_path, source)
    found = [d for d in result.diagnostics if d.code == "DL902"]
    assert len(found) == 1 and "87.3365" in found[0].message
    assert found[0].location.line == line_of(source, "loss.backward()")


def test_dead_bias_network_has_dead_relus_and_a_loss_at_chance(tmp_path):
    source = """
    import torch
    from torch import nn

    torch.manual_seed(0)
    hidden = nn.Linear(10, 32)
    nn.init.constant_(hidden.bias, -20.0)
    model = nn.Sequential(hidden, nn.ReLU(), nn.Linear(32, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.5)
    for step in range(45):
        x = torch.randn(64, 10)
        y = (x[:, :1] > 0).float()
        loss = nn.functional.binary_cross_entropy_with_logits(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    """
    result = probe(tmp_path, source)
    assert {"DL903", "DL913"} <= set(codes(result))
    dead = next(d for d in result.diagnostics if d.code == "DL913")
    assert "100%" in dead.message and dead.location.line == line_of(source, "model = nn.Sequential")


def test_unused_head_never_gets_a_gradient(tmp_path):
    source = """
    import torch
    from torch import nn


    class Net(nn.Module):
        def __init__(self):
            super().__init__()
            self.body = nn.Sequential(nn.Linear(10, 32), nn.ReLU())
            self.head = nn.Linear(32, 2)
            self.aux_head = nn.Linear(32, 2)

        def forward(self, x):
            return self.head(self.body(x))


    model = Net()
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    for step in range(6):
        x = torch.randn(16, 10)
        loss = nn.functional.cross_entropy(model(x), (x[:, 0] > 0).long())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    """
    result = probe(tmp_path, source)
    assert codes(result) == ["DL909"]
    (finding,) = result.diagnostics
    assert "`aux_head.weight`, `aux_head.bias` of Net" in finding.message
    assert finding.location.line == line_of(source, "self.aux_head = ")


def test_parameter_created_after_the_optimizer_is_in_no_optimizer(tmp_path):
    source = """
    import torch
    from torch import nn

    model = nn.Sequential(nn.Linear(10, 16), nn.ReLU(), nn.Linear(16, 2))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    model.temperature = nn.Parameter(torch.ones(1))  # added later, for calibration
    for step in range(5):
        x = torch.randn(16, 10)
        loss = nn.functional.cross_entropy(model(x) / model.temperature, (x[:, 0] > 0).long())
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    """
    result = probe(tmp_path, source)
    assert codes(result) == ["DL910"]
    (finding,) = result.diagnostics
    assert "`Sequential.temperature`" in finding.message
    assert finding.location.line == line_of(source, "optimizer = ")
    assert finding.related[0].location.line == line_of(source, "model.temperature = ")


def test_raw_pixels_reach_the_first_convolution(tmp_path):
    source = """
    import torch
    from torch import nn

    model = nn.Sequential(nn.Conv2d(3, 4, 3), nn.ReLU(), nn.Flatten(), nn.Linear(4 * 6 * 6, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-4)
    for step in range(4):
        images = torch.randint(0, 256, (8, 3, 8, 8)).float()
        logits = model(images)
        loss = nn.functional.cross_entropy(logits, torch.randint(0, 10, (8,)))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    """
    result = probe(tmp_path, source)
    found = next(d for d in result.diagnostics if d.code == "DL914")
    assert "0-255 pixel" in found.message and "`0` (Conv2d)" in found.message
    assert found.location.line == line_of(source, "logits = model(images)")


def test_weight_decay_of_2_dominates_the_gradient(tmp_path):
    result = probe(tmp_path, MLP.format(lr=0.01, extra=", weight_decay=2.0", steps=6))
    assert codes(result) == ["DL916"]
    assert "weight decay 2 " in result.diagnostics[0].message


def test_labels_out_of_range_are_reported_even_though_the_script_crashes(tmp_path, capsys):
    source = """
    import torch
    from torch import nn

    model = nn.Linear(20, 10)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for step in range(3):
        labels = torch.randint(1, 11, (32,))
        labels[0] = 10
        loss = nn.functional.cross_entropy(model(torch.randn(32, 20)), labels)
        loss.backward()
        optimizer.step()
    """
    result = probe(tmp_path, source)
    assert result.error and "IndexError" in result.error
    (finding,) = result.diagnostics
    assert finding.code == "DL915" and "1-based" in finding.message
    assert finding.severity is Severity.ERROR
    traceback = capsys.readouterr().err
    assert "IndexError: Target 10 is out of bounds." in traceback and "dllint" not in traceback


def test_plus_minus_one_labels_for_bce_with_logits(tmp_path):
    source = """
    import torch
    from torch import nn

    model = nn.Linear(5, 1)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for step in range(3):
        x = torch.randn(32, 5)
        y = torch.where(x[:, :1] > 0, 1.0, -1.0)
        loss = nn.BCEWithLogitsLoss()(model(x), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    """
    result = probe(tmp_path, source)
    found = [d for d in result.diagnostics if d.code == "DL915"]
    assert len(found) == 1 and "from -1 to 1" in found[0].message
    assert found[0].location.line == line_of(source, "loss = nn.BCEWithLogitsLoss")


def test_heavy_imbalance_is_info_and_class_weights_silence_it(tmp_path):
    source = """
    import torch
    from torch import nn

    model = nn.Linear(4, 3)
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    for step in range(12):
        y = torch.zeros(64, dtype=torch.long)
        y[:2] = torch.tensor([1, 2])
        loss = nn.CrossEntropyLoss({weights})(model(torch.randn(64, 4)), y)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    """
    result = probe(tmp_path, source.format(weights=""))
    (finding,) = [d for d in result.diagnostics if d.code == "DL915"]
    assert finding.severity is Severity.INFO and "62x" in finding.message
    weighted = probe(tmp_path, source.format(weights="weight=torch.tensor([0.1, 1.0, 1.0])"))
    assert "DL915" not in codes(weighted)


def test_bfloat16_weights_do_not_update(tmp_path):
    source = MLP.format(lr=1e-4, extra="", steps=12).replace(
        "nn.Linear(64, 4))", "nn.Linear(64, 4)).to(torch.bfloat16)").replace(
        "x = torch.randn(64, 16)", "x = torch.randn(64, 16, dtype=torch.bfloat16)").replace(
        "cross_entropy(model(x), y)", "cross_entropy(model(x).float(), y)")
    result = probe(tmp_path, source)
    found = next(d for d in result.diagnostics if d.code == "DL911")
    assert "bfloat16" in found.message and "`0.bias`" in found.message


def test_nll_loss_on_raw_scores_starts_negative(tmp_path):
    source = """
    import torch
    from torch import nn

    torch.manual_seed(0)
    model = nn.Sequential(nn.Linear(10, 5), nn.ReLU())
    optimizer = torch.optim.SGD(model.parameters(), lr=0.01)
    for step in range(3):
        x = torch.randn(32, 10) + 3
        loss = nn.NLLLoss()(model(x), torch.randint(0, 5, (32,)))  # wants log_softmax first
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    """
    result = probe(tmp_path, source)
    found = next(d for d in result.diagnostics if d.code == "DL906")
    assert "first loss is -" in found.message


def test_non_finite_loss_names_the_first_layer_that_overflowed(tmp_path):
    source = """
    import torch
    from torch import nn

    model = nn.Sequential(nn.Linear(4, 8), nn.ReLU(), nn.Linear(8, 1))
    optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
    with torch.no_grad():
        model[2].weight.fill_(3e38)  # a checkpoint gone bad
    for step in range(4):
        x = torch.rand(8, 4) + 1
        loss = nn.functional.mse_loss(model(x), torch.zeros(8, 1))
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    """
    result = probe(tmp_path, source)
    found = next(d for d in result.diagnostics if d.code == "DL901")
    assert "step 1" in found.message and "`2` (Linear)" in found.message
    assert found.location.line == line_of(source, "loss = nn.functional.mse_loss")


INF_GRAD = """
import torch
from torch import nn


class Overflowing(torch.autograd.Function):
    # The forward is harmless; the backward overflows from some step on, like a float16 layer.
    @staticmethod
    def forward(ctx, x, bad):
        ctx.bad = bad
        return x.clone()

    @staticmethod
    def backward(ctx, grad):
        return (grad * float("inf") if ctx.bad else grad), None


model = nn.Linear(8, 2)
optimizer = torch.optim.SGD(model.parameters(), lr=0.1)
{scaler}
for step in range({steps}):
    x = torch.randn(16, 8)
    loss = nn.functional.cross_entropy(Overflowing.apply(model(x), step >= 3), (x[:, 0] > 0).long())
    optimizer.zero_grad()
    {backward}
"""


def test_gradscaler_skipping_step_after_step_is_exploding(tmp_path):
    scaled = INF_GRAD.format(scaler='scaler = torch.amp.GradScaler("cpu")', steps=12,
                             backward="scaler.scale(loss).backward()\n    scaler.step(optimizer)\n"
                                      "    scaler.update()")
    result = probe(tmp_path, scaled)
    found = [d for d in result.diagnostics if d.code == "DL907"]
    assert len(found) == 1 and "skipped 9 steps of SGD in a row" in found[0].message
    assert result.steps == 12  # skipped steps still count as steps


def test_gradscaler_skipping_once_is_normal(tmp_path):
    source = INF_GRAD.replace("step >= 3", "step == 3").format(
        scaler='scaler = torch.amp.GradScaler("cpu")', steps=12,
        backward="scaler.scale(loss).backward()\n    scaler.step(optimizer)\n    scaler.update()")
    assert "DL907" not in codes(probe(tmp_path, source))


def test_non_finite_gradient_with_a_finite_loss(tmp_path):
    # Step 11 is a sampled one (steps 1-3, then every 10th): its gradients are read.
    source = INF_GRAD.replace("step >= 3", "step >= 10").format(
        scaler="", steps=12, backward="loss.backward()\n    optimizer.step()")
    found = [d for d in probe(tmp_path, source).diagnostics if d.code == "DL907"]
    assert len(found) == 1 and "non-finite gradient in `Linear.weight`" in found[0].message


# Healthy runs, modelled on real training code that looks like the pitfalls: none may warn.
HEALTHY = {
    "cnn_batchnorm_inplace_relu_weight_decay": """
        import torch
        from torch import nn

        torch.manual_seed(0)
        model = nn.Sequential(
            nn.Conv2d(3, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(inplace=True),
            nn.Conv2d(8, 8, 3, padding=1, bias=False), nn.BatchNorm2d(8), nn.ReLU(inplace=True),
            nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(8, 4))
        optimizer = torch.optim.SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)
        for step in range(60):
            y = torch.randint(0, 4, (16,))
            x = torch.randn(16, 3, 8, 8) + y[:, None, None, None].float()
            loss = nn.functional.cross_entropy(model(x), y)
            optimizer.zero_grad(set_to_none=True)
            loss.backward()
            optimizer.step()
        """,
    "accumulation_param_groups_warmup_adamw": """
        import torch
        from torch import nn

        torch.manual_seed(0)
        model = nn.Sequential(nn.Linear(16, 32), nn.LayerNorm(32), nn.GELU(), nn.Linear(32, 3))
        decay = [p for p in model.parameters() if p.dim() >= 2]
        rest = [p for p in model.parameters() if p.dim() < 2]
        optimizer = torch.optim.AdamW([{"params": decay, "weight_decay": 0.01},
                                       {"params": rest, "weight_decay": 0.0}], lr=1e-3)
        scheduler = torch.optim.lr_scheduler.LambdaLR(optimizer, lambda s: min(1.0, (s + 1) / 200))
        w = torch.randn(16, 3)
        for step in range(130):
            for micro in range(2):
                x = torch.randn(16, 16)
                loss = nn.functional.cross_entropy(model(x), (x @ w).argmax(1)) / 2
                loss.backward()
            optimizer.step()
            scheduler.step()
            optimizer.zero_grad()
        """,
    "gan_two_optimizers": """
        import torch
        from torch import nn

        torch.manual_seed(0)
        G = nn.Sequential(nn.Linear(4, 16), nn.ReLU(), nn.Linear(16, 2))
        D = nn.Sequential(nn.Linear(2, 16), nn.LeakyReLU(0.2), nn.Linear(16, 1))
        opt_g = torch.optim.Adam(G.parameters(), lr=2e-4, betas=(0.5, 0.999))
        opt_d = torch.optim.Adam(D.parameters(), lr=2e-4, betas=(0.5, 0.999))
        bce = nn.BCEWithLogitsLoss()
        for step in range(40):
            fake = G(torch.randn(32, 4))
            d_loss = bce(D(torch.randn(32, 2) + 2), torch.ones(32, 1)) + bce(D(fake.detach()), torch.zeros(32, 1))
            opt_d.zero_grad()
            d_loss.backward()
            opt_d.step()
            g_loss = bce(D(fake), torch.ones(32, 1))
            opt_g.zero_grad(set_to_none=True)
            g_loss.backward()
            opt_g.step()
        """,
    "frozen_backbone_target_network_and_validation": """
        import copy
        import torch
        from torch import nn

        torch.manual_seed(0)
        backbone = nn.Sequential(nn.Linear(8, 16), nn.ReLU())
        for p in backbone.parameters():
            p.requires_grad = False
        model = nn.Sequential(backbone, nn.Linear(16, 2))
        target = copy.deepcopy(model)  # updated by copying, never by an optimizer
        optimizer = torch.optim.SGD(model[1].parameters(), lr=0.1, momentum=0.9)
        for step in range(40):
            x = torch.randn(32, 8)
            with torch.no_grad():
                q_next = target(x).max(1, keepdim=True).values
            loss = nn.functional.smooth_l1_loss(model(x)[:, :1], 0.5 * q_next + x[:, :1])
            optimizer.zero_grad()
            loss.backward()
            optimizer.step()
            if step % 10 == 0:
                target.load_state_dict(model.state_dict())
                model.eval()
                with torch.no_grad():
                    nn.functional.cross_entropy(model(x), (x[:, 0] > 0).long())
                model.train()
        """,
    "embedding_lstm_scaled_tokens_clipped": """
        import math
        import torch
        from torch import nn


        class TextClassifier(nn.Module):
            def __init__(self):
                super().__init__()
                self.embedding = nn.Embedding(200, 16, padding_idx=0)
                self.lstm = nn.LSTM(16, 16, batch_first=True)
                self.out = nn.Linear(16, 3)

            def forward(self, tokens):
                h, _ = self.lstm(self.embedding(tokens) * math.sqrt(16))
                return self.out(h[:, -1])


        torch.manual_seed(0)
        model = TextClassifier()
        optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
        for step in range(60):
            tokens = torch.randint(1, 200, (16, 8))
            loss = nn.functional.cross_entropy(model(tokens), tokens[:, -1] % 3)
            optimizer.zero_grad()
            loss.backward()
            nn.utils.clip_grad_norm_(model.parameters(), 1.0)
            optimizer.step()
        """,
    "pixels_normalized_inside_forward_and_amp_scaler": """
        import torch
        from torch import nn


        class Net(nn.Module):
            def __init__(self):
                super().__init__()
                self.conv = nn.Conv2d(1, 4, 3)
                self.fc = nn.Linear(4 * 6 * 6, 2)

            def forward(self, x):
                x = (x / 255.0 - 0.1307) / 0.3081
                return self.fc(torch.relu(self.conv(x)).flatten(1))


        torch.manual_seed(0)
        model = Net()
        optimizer = torch.optim.SGD(model.parameters(), lr=0.01, momentum=0.9)
        scaler = torch.amp.GradScaler("cpu")
        for step in range(40):
            images = torch.randint(0, 256, (16, 1, 8, 8)).float()
            labels = (images.mean(dim=(1, 2, 3)) > 127.5).long()
            with torch.autocast("cpu", dtype=torch.bfloat16):
                logits = model(images)
            loss = nn.functional.cross_entropy(logits.float(), labels)
            optimizer.zero_grad()
            scaler.scale(loss).backward()
            scaler.step(optimizer)
            scaler.update()
        """,
    "regression_dataloader_multilabel_distillation": """
        import torch
        from torch import nn

        torch.manual_seed(0)
        X = torch.randn(256, 8)
        Y = X @ torch.randn(8, 1)
        loader = torch.utils.data.DataLoader(torch.utils.data.TensorDataset(X, Y), batch_size=32, shuffle=True)
        teacher = nn.Linear(8, 4).eval()
        model = nn.Sequential(nn.Linear(8, 32), nn.Tanh(), nn.Linear(32, 1 + 4 + 6))
        optimizer = torch.optim.Adam(model.parameters(), lr=3e-3)
        for epoch in range(6):
            for xb, yb in loader:
                out = model(xb)
                with torch.no_grad():
                    soft = (teacher(xb) / 2).softmax(1)
                tags = (xb[:, :6] > 1.0).float()
                loss = (nn.MSELoss()(out[:, :1], yb)
                        + nn.functional.kl_div(out[:, 1:5].log_softmax(1), soft, reduction="batchmean")
                        + nn.functional.binary_cross_entropy_with_logits(out[:, 5:], tags))
                optimizer.zero_grad()
                loss.backward()
                optimizer.step()
        """,
}


@pytest.mark.parametrize("name", sorted(HEALTHY))
def test_healthy_run_is_silent(tmp_path, name):
    result = probe(tmp_path, HEALTHY[name])
    assert result.error is None
    alarms = [d for d in result.diagnostics if d.severity >= Severity.WARNING]
    assert alarms == [], [f"{d.code} {d.message}" for d in alarms]
