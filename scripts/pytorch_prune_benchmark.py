#!/usr/bin/python3
"""PyTorch's own pruning utility, measured the way `lottery benchmark` measures Lottery.

LeNet-300-100 trains one epoch of Fashion-MNIST (batch 60, Adam 1.2e-3) dense, then pruned at 80% with
torch.nn.utils.prune.l1_unstructured (a forward pre-hook that multiplies weight_orig by weight_mask on
every forward), alternating, after a warm-up epoch each; prints median samples per second and the ratio.
For comparison only: Python is never a dependency of Lottery.

    sudo apt-get install python3-torch python3-numpy dataset-fashion-mnist
    /usr/bin/python3 scripts/pytorch_prune_benchmark.py [--repeats 5] [--threads 2]
"""
import argparse
import gzip
import statistics
import time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F
from torch.nn.utils import prune

FOLDER = "/usr/share/datasets/fashion-mnist"


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    rank = data[3]
    dims = [int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(rank)]
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * rank).reshape(dims)


class LeNet(nn.Module):
    def __init__(self):
        super().__init__()
        self.fc1, self.fc2, self.fc3 = nn.Linear(784, 300), nn.Linear(300, 100), nn.Linear(100, 10)

    def forward(self, x):
        x = x.reshape(x.shape[0], -1)
        return self.fc3(F.relu(self.fc2(F.relu(self.fc1(x)))))


def epoch(model, optimizer, images, labels, generator):
    order = torch.randperm(images.shape[0], generator=generator)
    start = time.perf_counter()
    for i in range(0, images.shape[0], 60):
        index = order[i:i + 60]
        optimizer.zero_grad()
        loss = F.cross_entropy(model(images[index]), labels[index])
        loss.backward()
        optimizer.step()
    return time.perf_counter() - start


def main():
    parser = argparse.ArgumentParser()
    parser.add_argument("--repeats", type=int, default=5)
    parser.add_argument("--threads", type=int, default=0)
    args = parser.parse_args()
    if args.threads > 0:
        torch.set_num_threads(args.threads)
    images = torch.tensor(read_idx(f"{FOLDER}/train-images-idx3-ubyte.gz"), dtype=torch.float32).div_(255).unsqueeze(1)
    labels = torch.tensor(read_idx(f"{FOLDER}/train-labels-idx1-ubyte.gz"), dtype=torch.int64)

    torch.manual_seed(1)
    dense = LeNet()
    torch.manual_seed(1)
    pruned = LeNet()
    for layer, amount in ((pruned.fc1, 0.8), (pruned.fc2, 0.8), (pruned.fc3, 1 - 0.9 ** (np.log(0.2) / np.log(0.8)))):
        prune.l1_unstructured(layer, "weight", amount=amount)
    remaining = sum(int(m.weight_mask.sum()) for m in (pruned.fc1, pruned.fc2, pruned.fc3)) / 266200

    dense_optimizer = torch.optim.Adam(dense.parameters(), lr=1.2e-3)
    pruned_optimizer = torch.optim.Adam(pruned.parameters(), lr=1.2e-3)
    generator = torch.Generator().manual_seed(1)
    epoch(dense, dense_optimizer, images, labels, generator)
    epoch(pruned, pruned_optimizer, images, labels, generator)
    dense_times, pruned_times = [], []
    for _ in range(args.repeats):
        dense_times.append(epoch(dense, dense_optimizer, images, labels, generator))
        pruned_times.append(epoch(pruned, pruned_optimizer, images, labels, generator))

    d, p = statistics.median(dense_times), statistics.median(pruned_times)
    print(f"PyTorch {torch.__version__}, {torch.get_num_threads()} threads, {images.shape[0]} images, {args.repeats} epochs each")
    print(f"dense:  {images.shape[0] / d:8.0f} samples/s  (median epoch {d:.3f} s)")
    print(f"pruned: {images.shape[0] / p:8.0f} samples/s  (median epoch {p:.3f} s, {remaining:.1%} of weights remaining)")
    print(f"pruned / dense time per epoch: {p / d:.3f} (pruning costs {(p / d - 1) * 100:+.1f}%)")


if __name__ == "__main__":
    main()
