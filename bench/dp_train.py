"""DP-SGD on Fashion-MNIST through ``veil.dp.train``: accuracy at the epsilon the ledger charged, and
the wall time of the whole run (features, training, evaluation) on this machine's CPU.

    apt-get install dataset-fashion-mnist   # the images; nothing is downloaded
    .venv/bin/python bench/dp_train.py [--epsilon 3] [--epochs 40] [--output bench/results/dp_train.json]

The model is Tramer and Boneh's ScatterNet + linear classifier ("Differentially Private Learning
Needs Better Features", ICLR 2021): data-independent scattering features (bench/_fashion_mnist.py),
a linear layer trained with DP-SGD (ghost clipping: per-sample gradient norms without materialising
per-sample gradients), Poisson sampling, noise calibrated by Opacus to the target (epsilon, delta)
and the run charged to a ledger budget before the first step. Hyperparameters are those of that
paper for this model (batch 8,192, learning rate 4, momentum 0.9, clipping norm 0.1, 40 epochs).
The test set is used once, after training; no hyperparameter is tuned on it in this script.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

import torch
from bench._dp_report import save
from bench._fashion_mnist import features, load
from bench._provenance import source_state, versions
from bench.dp import ledger_in

DELTA = 1e-5


def _accuracy(model: torch.nn.Module, x: torch.Tensor, y: torch.Tensor) -> float:
    with torch.no_grad():
        return float((model(x).argmax(dim=1) == y).float().mean())


def train(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    from veil.dp.train import make_private

    torch.manual_seed(args.seed)
    started = time.perf_counter()
    x, y, x_test, y_test = load()
    train_x, test_x = features(x), features(x_test)
    train_y, test_y = torch.from_numpy(y.astype("int64")), torch.from_numpy(y_test.astype("int64"))
    features_s = time.perf_counter() - started

    ledger = ledger_in(folder)
    ledger.create("fashion-mnist", epsilon=args.epsilon, delta=DELTA, owner="bench", actor="bench")
    model = torch.nn.Linear(train_x.shape[1], 10)
    optimizer = torch.optim.SGD(model.parameters(), lr=args.lr, momentum=0.9)
    loader = torch.utils.data.DataLoader(
        torch.utils.data.TensorDataset(train_x, train_y), batch_size=args.batch_size
    )
    run = make_private(
        ledger, "fashion-mnist", model=model, optimizer=optimizer, data_loader=loader,
        epochs=args.epochs, target_epsilon=args.epsilon, max_grad_norm=args.clip,
        actor="bench", purpose="training", dataset_version="fashion-mnist-debian-0.0~git20200523",
        criterion=torch.nn.CrossEntropyLoss(),
    )  # fmt: skip
    train_started = time.perf_counter()
    for _ in range(run.epochs):
        for batch_x, batch_y in run.data_loader:
            run.optimizer.zero_grad()
            run.criterion(run.model(batch_x), batch_y).backward()
            run.optimizer.step()
    train_s = time.perf_counter() - train_started
    accuracy = _accuracy(model, test_x, test_y)
    total_s = time.perf_counter() - started
    report = ledger.report("fashion-mnist", actor="bench")
    ledger.audit.close()
    return {
        "test_accuracy": accuracy, "train_accuracy": _accuracy(model, train_x, train_y),
        "target_epsilon": args.epsilon, "delta": DELTA,
        "ledger_epsilon_pld": report.spent, "ledger_epsilon_rdp": report.spent_rdp,
        "opacus_epsilon_rdp": float(run.engine.get_epsilon(DELTA)),
        "noise_multiplier": run.noise_multiplier, "sample_rate": run.sample_rate, "steps": run.steps,
        "steps_taken": run.steps_taken, "epochs": args.epochs, "batch_size": args.batch_size,
        "learning_rate": args.lr, "max_grad_norm": args.clip, "feature_dims": int(train_x.shape[1]),
        "features_seconds": features_s, "training_seconds": train_s, "total_seconds": total_s,
        "threads": torch.get_num_threads(), "clipping": "ghost",
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epsilon", type=float, default=3.0)
    parser.add_argument("--epochs", type=int, default=40)
    parser.add_argument("--batch-size", type=int, default=8192)
    parser.add_argument("--lr", type=float, default=4.0)
    parser.add_argument("--clip", type=float, default=0.1)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--output", type=Path, default=Path("bench/results/dp_train.json"))
    parser.add_argument("--docs", type=Path, default=Path("docs/benchmarks.md"), help="the table to update")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        result = {
            "command": " ".join([".venv/bin/python", "bench/dp_train.py", *sys.argv[1:]]),
            "versions": versions(["torch", "opacus", "dp-accounting", "veil"]),
            "source": source_state(),
            "training": train(args, Path(tmp)),
        }
    save(result, args.output, args.docs)


if __name__ == "__main__":
    main()
