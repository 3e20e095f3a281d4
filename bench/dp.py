"""Differential privacy: the ledger's accounting against dp-accounting, incremental composition, and
private queries on 1,000,000 rows against theory and against OpenDP called directly.

    .venv/bin/python bench/dp.py [--rows 1000000] [--draws 20000] [--opendp-draws 2000] \\
        [--output bench/results/dp.json]

Every figure is measured in this run; the JSON names the command, versions and source state.
Training (DP-SGD on Fashion-MNIST) is bench/dp_train.py.
"""

from __future__ import annotations

import argparse
import random
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from bench._dp_report import save
from bench._provenance import source_state, versions

DELTA = 1e-5
SGD = {"noise_multiplier": 1.1, "sampling_rate": 256 / 60000, "steps": 60 * 60000 // 256}


def ledger_in(folder: Path) -> Any:
    from veil.access import Policy
    from veil.audit import AuditLog
    from veil.dp import Ledger
    from veil.storage import Database, upgrade

    db = Database.from_url(f"sqlite:///{folder}/veil.db")
    upgrade(db, "data")
    policy = Policy.from_mapping(
        {"access": {"principals": [{"id": "bench", "kind": "service", "roles": ["analyst"]}],
                    "grants": [{"name": "bench-all", "roles": ["analyst"], "actions": ["*"],
                                "purposes": ["*"]}]}},
        source="bench",
    )  # fmt: skip
    return Ledger(db, AuditLog(db), policy)


def accounting(folder: Path) -> dict[str, Any]:
    """The canonical DP-SGD run as the ledger reports it, and as dp-accounting computes it directly."""
    import dp_accounting as dpa

    from veil.dp import SubsampledGaussian

    step = dpa.PoissonSampledDpEvent(SGD["sampling_rate"], dpa.GaussianDpEvent(SGD["noise_multiplier"]))
    event = dpa.SelfComposedDpEvent(step, SGD["steps"])
    pld = dpa.pld.PLDAccountant()
    pld.compose(event)
    reference_pld = pld.get_epsilon(DELTA)
    reference_rdp = dpa.rdp.RdpAccountant().compose(event).get_epsilon(DELTA)
    ledger = ledger_in(folder)
    ledger.create("mnist", epsilon=10.0, delta=DELTA, owner="bench", actor="bench")
    started = time.perf_counter()
    charge = ledger.charge(
        "mnist", [SubsampledGaussian(**SGD)], actor="bench", purpose="training", kind="training"
    )
    charge_s = time.perf_counter() - started
    started = time.perf_counter()
    report = ledger.report("mnist", actor="bench")
    report_s = time.perf_counter() - started
    ledger.audit.close()
    return {
        "setting": SGD | {"delta": DELTA},
        "dp_accounting_pld": reference_pld, "dp_accounting_rdp": reference_rdp,
        "ledger_charge_epsilon": charge.epsilon_spent, "ledger_reported_epsilon": report.spent,
        "ledger_vs_pld_relative": abs(report.spent - reference_pld) / reference_pld,
        "naive_epsilon": report.naive_epsilon, "charge_seconds_cold": charge_s, "report_seconds": report_s,
    }  # fmt: skip


def _mixed(count: int, seed: int) -> list[Any]:
    from veil.dp import PureDp, SubsampledGaussian, Zcdp

    rng = random.Random(seed)
    kinds = [lambda: PureDp(rng.choice([0.001, 0.005, 0.01, 0.05])), lambda: Zcdp(rng.choice([1e-5, 1e-4])),
             lambda: SubsampledGaussian(rng.choice([0.8, 1.0, 1.2]), 0.01,
                                        rng.choice([10, 100]))]  # fmt: skip
    return [rng.choice(kinds)() for _ in range(count)]


def incremental(folder: Path, count: int) -> dict[str, Any]:
    """``count`` mixed releases composed one at a time (the accountant alone, then through the ledger)."""
    from veil.dp import _accountant
    from veil.dp._accountant import Composition

    releases = _mixed(count, seed=11)
    _accountant.orders()  # importing dp-accounting is not composition
    started = time.perf_counter()
    composition = Composition.empty()
    for release in releases:
        composition = composition.plus([release], DELTA)
        composition.fast_bound(DELTA)
    cold_s = time.perf_counter() - started
    started = time.perf_counter()
    composition = Composition.empty()
    for release in releases:
        composition = composition.plus([release], DELTA)
        bound = composition.fast_bound(DELTA)
    warm_s = time.perf_counter() - started
    ledger = ledger_in(folder)
    ledger.create("mixed", epsilon=1e6, delta=DELTA, owner="bench", actor="bench")
    charges = releases[: min(count, 2000)]
    started = time.perf_counter()
    for release in charges:
        spent = ledger.charge(
            "mixed", [release], actor="bench", purpose="analytics", kind="query"
        ).epsilon_spent
    ledger_s = time.perf_counter() - started
    ledger.audit.close()
    return {
        "releases": count, "distinct_mechanisms": len(set(releases)),
        "accountant_seconds_first_run": cold_s, "accountant_seconds_warm": warm_s,
        "epsilon_after": bound, "ledger_charges": len(charges), "ledger_seconds": ledger_s,
        "ledger_ms_per_charge": 1000 * ledger_s / len(charges), "ledger_epsilon_after": spent,
    }  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--draws", type=int, default=20000)
    parser.add_argument("--opendp-draws", type=int, default=2000)
    parser.add_argument("--releases", type=int, default=10_000)
    parser.add_argument("--output", type=Path, default=Path("bench/results/dp.json"))
    parser.add_argument("--docs", type=Path, default=Path("docs/benchmarks.md"), help="the table to update")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(tmp)
        (folder / "a").mkdir()
        (folder / "b").mkdir()
        (folder / "c").mkdir()
        result = {
            "command": " ".join([".venv/bin/python", "bench/dp.py", *sys.argv[1:]]),
            "versions": versions(["opendp", "dp-accounting", "numpy", "veil"]),
            "source": source_state(),
            "accounting": accounting(folder / "a"),
            "incremental": incremental(folder / "b", args.releases),
        }
        from bench._dp_queries import queries

        result["queries"] = queries(
            ledger_in(folder / "c"), rows=args.rows, draws=args.draws, opendp_draws=args.opendp_draws
        )
    save(result, args.output, args.docs)


if __name__ == "__main__":
    main()
