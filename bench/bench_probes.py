"""Overhead of the runtime probes on small CPU training loops: probed wall time / plain wall time.

    python bench/bench_probes.py [--steps 300] [--repeats 5] [--threads 1]

Each loop runs as a script, plainly (`runpy`, as `python script.py`) and under `dllint probe`'s
session, alternately, in one process (torch is imported once). The script times its own training
loop (wall and CPU time), so start-up is not counted. Reports the median of the repeats per model.
Aim: <= 1.2x. On a shared, busy machine the CPU-time ratio is the steadier of the two.
"""

from __future__ import annotations

import argparse
import json
import runpy
import statistics
import sys
import tempfile
from pathlib import Path

LOOP = '''
import json, sys, time
import torch
from torch import nn

torch.manual_seed(0)
steps, out = int(sys.argv[1]), sys.argv[2]
model = {model}
optimizer = torch.optim.{optimizer}
data = [torch.randn({shape}) for _ in range(8)]
labels = [torch.randint(0, 10, ({batch},)) for _ in range(8)]
start, cpu = time.perf_counter(), time.process_time()
for step in range(steps):
    loss = nn.functional.cross_entropy(model(data[step % 8]), labels[step % 8])
    optimizer.zero_grad()
    loss.backward()
    optimizer.step()
json.dump({{"seconds": time.perf_counter() - start, "cpu": time.process_time() - cpu}}, open(out, "w"))
'''

MODELS = {
    "mlp": dict(model="nn.Sequential(nn.Flatten(), nn.Linear(784, 256), nn.ReLU(), nn.Linear(256, 128), "
                      "nn.ReLU(), nn.Linear(128, 10))",
                optimizer="Adam(model.parameters(), lr=1e-3)", shape="64, 1, 28, 28", batch=64),
    "cnn": dict(model="nn.Sequential(nn.Conv2d(3, 16, 3, padding=1), nn.BatchNorm2d(16), nn.ReLU(), "
                      "nn.MaxPool2d(2), nn.Conv2d(16, 32, 3, padding=1), nn.BatchNorm2d(32), nn.ReLU(), "
                      "nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(32, 10))",
                optimizer="SGD(model.parameters(), lr=0.05, momentum=0.9, weight_decay=5e-4)",
                shape="32, 3, 32, 32", batch=32),
}


def _run(script: Path, steps: int, probed: bool) -> dict:
    out = script.with_suffix(".json")
    if probed:
        from dllint.probes.findings import probe_codes
        from dllint.probes.session import probe_script

        result = probe_script(str(script), [str(steps), str(out)], codes=probe_codes(), options={})
        assert result.error is None, result.error
    else:
        saved = sys.argv[:]
        sys.argv = [str(script), str(steps), str(out)]
        try:
            runpy.run_path(str(script), run_name="__main__")
        finally:
            sys.argv = saved
    return json.loads(out.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--steps", type=int, default=300)
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=1)
    args = parser.parse_args()
    import torch

    torch.set_num_threads(args.threads)
    directory = Path(tempfile.mkdtemp(prefix="dllint-bench-"))
    results = {}
    for name, parts in MODELS.items():
        script = directory / f"{name}.py"
        script.write_text(LOOP.format(**parts))
        _run(script, 20, False)  # warm-up: allocator, kernels, imports
        plain, probed = [], []
        for repeat in range(args.repeats):
            # Alternate which goes first: the first run of a pair warms caches for the second.
            for probed_run in ((False, True) if repeat % 2 else (True, False)):
                (probed if probed_run else plain).append(_run(script, args.steps, probed_run))
        ratios = {}
        for clock in ("seconds", "cpu"):
            base = statistics.median(r[clock] for r in plain)
            ratios[clock] = statistics.median(r[clock] for r in probed) / base
        results[name] = ratios["seconds"]
        print(f"{name}: plain {statistics.median(r['seconds'] for r in plain):.3f}s, probed "
              f"{statistics.median(r['seconds'] for r in probed):.3f}s ({args.steps} steps, median of "
              f"{args.repeats}): wall {ratios['seconds']:.2f}x, CPU time {ratios['cpu']:.2f}x")
    print(f"worst: {max(results.values()):.2f}x (aim <= 1.2x)")


if __name__ == "__main__":
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    main()
