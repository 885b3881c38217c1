"""Fine-tune a pretrained ResNet-18 on a folder of cat and dog pictures."""

import argparse

import torch
import yaml

from datasets.data_loader import make_loaders
from models.model import build_model
from utils.metrics import evaluate


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--config", default="configs/config.yaml")
    args = parser.parse_args()
    with open(args.config) as handle:
        config = yaml.safe_load(handle)

    torch.manual_seed(0)
    device = "cuda" if torch.cuda.is_available() else "cpu"
    model = build_model().to(device)
    train_loader, val_loader = make_loaders(**config["data"])
    optimizer = torch.optim.Adam(model.parameters(), lr=config["optimizer"]["lr"],
                                 weight_decay=config["optimizer"]["weight_decay"])
    criterion = torch.nn.CrossEntropyLoss()

    for epoch in range(config["trainer"]["epochs"]):
        model.train()
        for images, targets in train_loader:
            optimizer.zero_grad()
            loss = criterion(model(images.to(device)), targets.to(device))
            loss.backward()
            optimizer.step()
        print(epoch, evaluate(model, val_loader, device))


if __name__ == "__main__":
    main()
