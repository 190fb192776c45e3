#!/usr/bin/python3
# The PyTorch peer of bench_train: the same 784-H-10 MLP, data, init scheme
# and AdamW on one thread, timed the same way (the median of --repeats
# windows of --steps after --warmup). Prints "steps/s: X" on
# stdout; exits 2 (with a message on stderr) when torch is missing.
import argparse
import gzip
import os
import struct
import sys
import time

try:
    import numpy as np
    import torch
except ImportError as e:
    sys.stderr.write("torch_mlp.py: torch unavailable (%s)\n" % e)
    sys.exit(2)


def read_idx(path):
    with gzip.open(path, "rb") as f:
        data = f.read()
    magic, = struct.unpack(">I", data[:4])
    ndims = magic & 0xFF
    dims = struct.unpack(">" + "I" * ndims, data[4:4 + 4 * ndims])
    return np.frombuffer(data, np.uint8, offset=4 + 4 * ndims).reshape(dims)


def load(data_dir, n_val):
    """Training part (all but the last n_val images), standardized per
    pixel with its own mean and std, as symopt's dataset_load does."""
    x = read_idx(os.path.join(data_dir, "train-images-idx3-ubyte.gz"))
    y = read_idx(os.path.join(data_dir, "train-labels-idx1-ubyte.gz"))
    x = x.reshape(x.shape[0], -1).astype(np.float32)[:-n_val]
    y = y.astype(np.int64)[:-n_val]
    mean = x.mean(axis=0)
    std = x.std(axis=0)
    std[std == 0] = 1
    x = (x - mean) / std
    return torch.from_numpy(x), torch.from_numpy(y)


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist")
    ap.add_argument("--hidden", type=int, default=256)
    ap.add_argument("--batch", type=int, default=128)
    ap.add_argument("--steps", type=int, default=300)
    ap.add_argument("--warmup", type=int, default=20)
    ap.add_argument("--lr", type=float, default=1e-3)
    ap.add_argument("--seed", type=int, default=0)
    ap.add_argument("--repeats", type=int, default=3,
                    help="timed windows of --steps; the median is printed")
    a = ap.parse_args()

    torch.set_num_threads(1)
    torch.manual_seed(a.seed)
    x, y = load(a.data, 5000)
    n = x.shape[0]

    # He normal weights, zero biases: symopt's mlp_init.
    model = torch.nn.Sequential(torch.nn.Linear(784, a.hidden),
                                torch.nn.ReLU(),
                                torch.nn.Linear(a.hidden, 10))
    for layer in (model[0], model[2]):
        torch.nn.init.kaiming_normal_(layer.weight, nonlinearity="relu")
        torch.nn.init.zeros_(layer.bias)
    opt = torch.optim.AdamW(model.parameters(), lr=a.lr, betas=(0.9, 0.999),
                            eps=1e-8, weight_decay=0.01)
    loss_fn = torch.nn.CrossEntropyLoss()
    gen = torch.Generator().manual_seed(a.seed)

    # A new permutation per epoch and consecutive batches, like train_run.
    state = {"perm": None, "pos": n}

    def step():
        if state["pos"] + a.batch > n:
            state["perm"] = torch.randperm(n, generator=gen)
            state["pos"] = 0
        idx = state["perm"][state["pos"]:state["pos"] + a.batch]
        state["pos"] += a.batch
        xb = x.index_select(0, idx)
        yb = y.index_select(0, idx)
        opt.zero_grad(set_to_none=True)
        loss = loss_fn(model(xb), yb)
        loss.backward()
        opt.step()
        return loss

    for _ in range(a.warmup):
        step()
    rates = []
    for _ in range(a.repeats):
        t0 = time.perf_counter()
        for _ in range(a.steps):
            loss = step()
        rates.append(a.steps / (time.perf_counter() - t0))
    print("loss: %.4f" % loss.item())
    print("steps/s: %.2f" % sorted(rates)[len(rates) // 2])


if __name__ == "__main__":
    main()
