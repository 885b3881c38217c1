import numpy as np
import torch
from sklearn.metrics import accuracy_score, roc_auc_score


@torch.no_grad()
def evaluate(model, loader, device):
    model.eval()
    labels, preds = [], []
    for images, targets in loader:
        logits = model(images.to(device))
        preds.append(logits.argmax(dim=1).cpu().numpy())
        labels.append(targets.numpy())
    labels = np.concatenate(labels)
    preds = np.concatenate(preds)
    return {
        "accuracy": accuracy_score(labels, preds),
        "auc": roc_auc_score(labels, preds),
    }
