"""DL401: inputs reach a model without the normalization it needs."""

from __future__ import annotations

import ast
from dataclasses import dataclass, field

from dllint.engine.diagnostic import Related, Severity
from dllint.engine.rule import Rule
from dllint.facts.features import CROSS_VALIDATION, FITS, SCALE_SENSITIVE, raw_origin, sensitive_estimator
from dllint.facts.image_inputs import image_inputs

PIPELINE_HELP = ("add `transforms.Normalize(mean, std)` with the statistics the weights were trained on "
                 "(ImageNet: [0.485, 0.456, 0.406], [0.229, 0.224, 0.225]), or use the weights' own `transforms()`")
PIXELS_HELP = "divide by 255 (`x.float() / 255`), then normalize the way the model was trained"
ESTIMATOR_HELP = ("scale the features before the estimator, fit on the training split only: "
                  "`make_pipeline(StandardScaler(), estimator)`")


class MissingInputNormalization(Rule):
    """
    ## What it does
    Finds inputs that reach a model without the normalization it needs:

    - a torchvision `Compose` that turns images into float tensors (`ToTensor()`, or `ToImage()`
      with `ToDtype`) and never applies `Normalize`, in a project that loads a pretrained model
      (`pretrained=True`, torchvision `weights=`, `from_pretrained`, `torch.hub.load`,
      `load_state_dict_from_url`), also when the pipeline and the model live in different files;
    - a scale-sensitive scikit-learn estimator (SVC, k-NN, LogisticRegression, MLP, SGD*, PCA,
      KMeans) fit on features whose raw origin is visible (`pd.read_csv`, `load_wine`,
      `np.loadtxt`, through `train_test_split` and column selection) and that no scaler touched;
    - raw uint8 pixels (`cv2.imread`, `Image.open`, `read_image`) turned into floats
      (`.float()`, `.astype(np.float32)`) and given to a model with nothing dividing them.

    It stays silent when the project normalizes images some other way: a processor (timm
    `resolve_data_config`, torchvision `weights.transforms()`, Hugging Face `AutoImageProcessor`,
    `clip.load`), a `Normalize` kept outside any pipeline (in a model's `forward`, on the GPU),
    `(x - mean) / std` in code, or a torchvision detection model (those normalize inside). It
    also leaves alone pipelines for targets, masks and display (`target_transform`,
    `mask_transform`), pipelines with a step it cannot see into (`Lambda`, `*extra`, a custom
    class named like a normalization), a file that computes image statistics, a pretrained model
    in a script that builds its own normalized pipeline, and YOLO models, which take [0, 1].
    For scikit-learn it stays silent when the origin of the data is not visible, and when
    anything that might rescale the data receives it (a scaler, a pipeline with a scaler, a
    project function, an assignment into it). Raw pixels are left alone when any step on the way
    may scale them (a transform, a project function, `/ 255`, `x.div_(255)`), and in projects
    whose model divides by 255 in its own `forward`.

    ## Why is this bad?
    A pretrained network saw inputs normalized with its training mean and std; fed [0, 1] pixels,
    its features shift and fine-tuning starts from a worse place or stalls (field notes, 3.5 data
    normalization). Distance- and gradient-based estimators weigh a feature by its scale, so a
    column in thousands drowns the others, and solvers converge slowly or not at all.

    ## Example
    ```python
    from torchvision import models, transforms

    model = models.resnet50(weights=models.ResNet50_Weights.IMAGENET1K_V2)
    train_transform = transforms.Compose([
        transforms.RandomResizedCrop(224),
        transforms.ToTensor(),
    ])
    ```

    ## Use instead
    ```python
    from torchvision import models, transforms

    model = models.resnet50(weights=models.ResNet50_Weights.IMAGENET1K_V2)
    train_transform = transforms.Compose([
        transforms.RandomResizedCrop(224),
        transforms.ToTensor(),
        transforms.Normalize(mean=[0.485, 0.456, 0.406], std=[0.229, 0.224, 0.225]),
    ])
    ```
    """

    code = "DL401"
    name = "missing-input-normalization"
    severity = Severity.WARNING
    summary = "Inputs reach a model without the normalization it needs"
    help = "normalize the inputs the way the model expects them"
    origin = "Neural Network Hyperparameter Tuning: Loss Issues (3.5 data normalization)"
    triggers = ("Compose", "pretrained", "weights=", "hub.load", "load_url", "load_state_dict_from_url",
                "ormalize", "Processor", "FeatureExtractor", "_data_config", "create_transform",
                "transforms()", "get_preprocessing_fn", "clip.load", "_MEAN", "_mean", "mean=", "mean)", "std)",
                ".sub(", ".sub_(", ".fit", "cross_val", "learning_curve", "validation_curve", "imread", "Image.open",
                "read_image", "decode_image", "/ 255", "/255", "(255")

    @dataclass(frozen=True)
    class Options:
        scale_sensitive: tuple[str, ...] = field(default=SCALE_SENSITIVE, metadata={
            "help": "scikit-learn estimator classes that need scaled features"})

    def summarize_python(self, module):
        # Pipeline and pretrained model are usually in different files: the project phase decides.
        return image_inputs(module) or None

    def check_project(self, project):
        facts = list(project.rule_data(self.code))
        raw = [] if any(found.scales_pixels for _, found in facts) else [
            self._raw_pixels(pixels) for _, found in facts for pixels in found.raw_pixels]
        if any(found.normalizes_elsewhere for _, found in facts):
            return raw
        # A file that loads a pretrained model next to a pipeline that normalizes is a
        # self-contained script: it says nothing about the pipelines of other files.
        shared = [site for _, found in facts if not found.normalized_pipeline for site in found.pretrained]
        diagnostics = raw
        for path, found in facts:
            site = found.pretrained[0] if found.pretrained else shared[0] if shared else None
            for pipeline in found.unnormalized if site is not None else ():
                where = f"line {site.location.line}" if site.location.path == path else \
                    f"{site.location.path}:{site.location.line}"
                message = (f"this pipeline makes float tensors with {pipeline.step} but never applies "
                           f"`Normalize`; the pretrained model {site.call} ({where}) expects inputs "
                           "normalized with its training mean and std")
                diagnostics.append(self.diagnostic(pipeline.location, message, help=PIPELINE_HELP, related=[
                    Related(site.location, "pretrained model loaded here")]))
        return diagnostics

    def _raw_pixels(self, pixels):
        message = (f"{pixels.step} turns the 0-255 pixels from `{pixels.decoder_name}` (line {pixels.decoder.line}) "
                   f"into floats that reach the model (line {pixels.model_call.line}) unscaled")
        return self.diagnostic(pixels.conversion, message, help=PIXELS_HELP, related=[
            Related(pixels.decoder, "uint8 pixels are read here"), Related(pixels.model_call, "the model gets them")])

    def check_python(self, module):
        if "sklearn" not in module.text:
            return None
        sensitive = frozenset(self.options.scale_sensitive)
        diagnostics = []
        for call in module.nodes("Call"):
            func = call.func
            if isinstance(func, ast.Attribute) and func.attr in FITS and call.args:
                estimator, data = func.value, call.args[0]
            elif module.names.resolves_to(func, *CROSS_VALIDATION) and len(call.args) >= 2:
                estimator, data = call.args[0], call.args[1]
            else:
                continue
            shown = sensitive_estimator(module, estimator, sensitive)
            origin = raw_origin(module, data) if shown is not None else None
            if origin is None:
                continue
            message = (f"`{shown}` is fit on `{module.segment(data)}`, raw features from "
                       f"`{origin.loader_name}(...)` (line {origin.loader.lineno}) that no scaler touched; "
                       f"`{shown}` is sensitive to the scale of each feature")
            diagnostics.append(self.diagnostic(module.location(call), message, help=ESTIMATOR_HELP, related=[
                Related(module.location(origin.loader), "raw features loaded here")]))
        return diagnostics
