"""DL914: the first layer gets unnormalized data (runtime probe)."""

from dataclasses import dataclass, field

from dllint.engine.diagnostic import Severity
from dllint.engine.rule import Rule


class InputNotNormalized(Rule):
    """
    ## What it does
    Runtime probe (`dllint probe`, `dllint.probes.watch`). On sampled training steps looks at
    the input of the first layer with parameters that runs in a model's forward pass and, when it
    is a linear, convolutional or recurrent layer, reports inputs whose mean is far from 0 or whose
    spread is far above 1 (0-255 pixel values, raw physical units). A model that normalizes inside
    `forward` (`x / 255`, a BatchNorm or LayerNorm first) or starts with an embedding is fine: the
    first layer then sees normalized values or token ids.

    ## Why is this bad?
    Large inputs make huge initial activations and logits: saturated units, dead ReLUs, a first
    loss far above ln C, and gradients scaled by the input so the learning rate that suits one
    feature is wrong for another. The field notes list data normalization among the first causes
    of a loss that will not decrease.

    ## Example
    ```python
    import torch
    from torch import nn

    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 6 * 6, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
    for step in range(10):
        images = torch.randint(0, 256, (16, 3, 8, 8), dtype=torch.uint8).float()
        labels = torch.randint(0, 10, (16,))
        loss = nn.functional.cross_entropy(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    ```

    ## Use instead
    ```python
    import torch
    from torch import nn

    torch.manual_seed(0)
    model = nn.Sequential(nn.Conv2d(3, 8, 3), nn.ReLU(), nn.Flatten(), nn.Linear(8 * 6 * 6, 10))
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
    mean, std = torch.tensor([0.485, 0.456, 0.406]), torch.tensor([0.229, 0.224, 0.225])
    for step in range(10):
        images = torch.randint(0, 256, (16, 3, 8, 8), dtype=torch.uint8).float() / 255
        images = (images - mean[:, None, None]) / std[:, None, None]
        labels = torch.randint(0, 10, (16,))
        loss = nn.functional.cross_entropy(model(images), labels)
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    ```
    """

    code = "DL914"
    name = "input-not-normalized"
    severity = Severity.WARNING
    summary = "The first layer receives unnormalized inputs, e.g. 0-255 pixel values (runtime probe)"
    help = "scale images to [0, 1] and normalize with the dataset mean/std; standardize tabular features"
    origin = "Neural Network Hyperparameter Tuning: Loss Issues (3.5 data normalization)"
    # A runtime probe: `dllint probe` and `dllint.probes` emit it; `check` never runs it.
    engine_emitted = True
    enabled_by_default = False
    probe = True

    @dataclass(frozen=True)
    class Options:
        max_abs_mean: float = field(default=5.0, metadata={"help": "largest |mean| of normalized inputs"})
        max_std: float = field(default=5.0, metadata={"help": "largest standard deviation of normalized inputs"})
