"""The "## Differential privacy" section of docs/benchmarks.md, from bench/dp.py's and
bench/dp_train.py's results (either may be missing)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from bench._docs import replace_section

HEADING = "## Differential privacy"
ACCOUNTING_TOLERANCE = 0.01
INCREMENTAL_SECONDS = 1.0
RMSE_TOLERANCE = 0.05
RELEASE_MS = 10.0
ACCURACY, TRAIN_EPSILON, TRAIN_SECONDS = 0.85, 3.0, 600.0


def _met(ok: bool) -> str:
    return "yes" if ok else "**no**"


def _row(*cells: str) -> str:
    return "| " + " | ".join(cells) + " |"


def _accounting_rows(dp: dict[str, Any]) -> list[str]:
    acc, inc = dp["accounting"], dp["incremental"]
    rel = acc["ledger_vs_pld_relative"]
    first, warm = inc["accountant_seconds_first_run"], inc["accountant_seconds_warm"]
    return [
        _row("canonical DP-SGD: ledger epsilon vs dp-accounting PLD", "within 1%",
             f"{acc['ledger_reported_epsilon']:.4f} vs {acc['dp_accounting_pld']:.4f} ({rel:.1e} relative)",
             _met(rel <= ACCOUNTING_TOLERANCE)),
        _row("  the same run by RDP / by naive summing", "(comparison)",
             f"{acc['dp_accounting_rdp']:.4f} / {acc['naive_epsilon']:,.0f}", "-"),
        _row(f"{inc['releases']:,} mixed releases composed incrementally", "< 1 s",
             f"{first:.2f} s first run, {warm:.2f} s warm", _met(first < INCREMENTAL_SECONDS)),
        _row("  through the ledger (SQLite, each charge its own transaction)", "(for scale)",
             f"{inc['ledger_ms_per_charge']:.2f} ms a charge over {inc['ledger_charges']:,}", "-"),
    ]  # fmt: skip


def _query_rows(queries: dict[str, Any]) -> list[str]:
    rows = []
    for kind in ("count", "sum", "mean"):
        veil, direct = queries[kind]["veil"], queries[kind]["opendp_direct"]
        theory, off = veil["theory"], veil["rmse_vs_theory"]
        rows += [
            _row(f"{kind}, {queries['rows']:,} rows, epsilon {queries['epsilon']:g}: RMSE vs theory",
                 "within 5%",
                 f"{veil['rmse']:.4g} vs {theory:.4g} ({off:+.1%} +- {veil['rmse_stderr'] / theory:.1%})",
                 _met(abs(off) <= RMSE_TOLERANCE)),
            _row("  OpenDP called directly, same statistic", "the same",
                 f"{direct['rmse']:.4g}; its own theory {direct['own_theory']:.4g} "
                 f"({direct['rmse_vs_own_theory']:+.1%} +- "
                 f"{direct['rmse_stderr'] / direct['own_theory']:.1%}); "
                 f"{direct['ms_per_release_p50']:.1f} ms a release", "-"),
            _row("  one release with its ledger charge, p50 (p95)", "< 10 ms",
                 f"{veil['ms_per_release_p50']:.2f} ms ({veil['ms_per_release_p95']:.2f}); 95% intervals "
                 f"held the truth in {veil['interval_coverage_at_95']:.1%}",
                 _met(veil["ms_per_release_p50"] < RELEASE_MS)),
        ]  # fmt: skip
    return rows


def _training_rows(train: dict[str, Any]) -> list[str]:
    t = train["training"]
    ok = t["test_accuracy"] >= ACCURACY and t["ledger_epsilon_rdp"] <= TRAIN_EPSILON + 1e-9
    return [
        _row("DP-SGD on Fashion-MNIST: test accuracy at epsilon <= 3", ">= 85%",
             f"{t['test_accuracy']:.2%} at epsilon {t['ledger_epsilon_pld']:.3f} (PLD; RDP "
             f"{t['ledger_epsilon_rdp']:.3f}), delta {t['delta']:g}", _met(ok)),
        _row("  the whole run: features, training, evaluation", "<= 10 min",
             f"{t['total_seconds']:.0f} s ({t['features_seconds']:.0f} s features, "
             f"{t['training_seconds']:.0f} s training)", _met(t["total_seconds"] <= TRAIN_SECONDS)),
    ]  # fmt: skip


def _method(dp: dict[str, Any] | None, train: dict[str, Any] | None) -> list[str]:
    lines = []
    if dp is not None:
        v, q = dp["versions"], dp["queries"]
        lines += [
            "- Accounting: the canonical run (noise multiplier 1.1, sampling rate 256/60000, 60 epochs, "
            "delta 1e-5) charged as one subsampled-Gaussian release; the ledger's figure is its report's "
            f"(PLD, dp-accounting {v.get('dp-accounting', '?')}), the reference dp-accounting's "
            "`PLDAccountant` on the same event. Incremental composition: mixed pure, zCDP and "
            "subsampled-Gaussian releases added one at a time to the running RDP vector, the bound read "
            "after each (no recomputation).",
            "- Queries: a seeded column of normal(45, 25) values, one row per subject, bounds [0, 100] "
            f"(rows outside are clamped). {q['count']['veil']['draws']:,} releases each through "
            "`veil.dp.release` "
            f"(OpenDP {v.get('opendp', '?')}: integer Laplace on exact fixed-point sums) and "
            f"{q['count']['opendp_direct']['draws']:,} through OpenDP's own clamp, sum or count and Laplace "
            "chain (a mean as the midpoint-shifted sum and the count at epsilon / 2 each, Veil's split). "
            "Theory is the noise's variance at scale sensitivity / epsilon (discrete Laplace for counts, "
            "Laplace for sums, to first order for a mean); +- is the RMSE's standard error. A release's time "
            "covers bounding, the exact aggregate, the ledger charge (SQLite file, fsync) and the draw; the "
            "table of 1,000,000 rows is built once.",
        ]  # fmt: skip
    if train is not None:
        t = train["training"]
        lines += [
            "- Training: `veil.dp.train.make_private` on Tramer and Boneh's ScatterNet features (2-D "
            f"scattering, J=2, 8 orientations, {t['feature_dims']:,} features, group-normalised per image; "
            "data-independent, so they cost no budget) and a linear classifier. DP-SGD by Opacus with ghost "
            f"clipping, Poisson sampling at {t['sample_rate']:.4f} for {t['steps']} steps, noise multiplier "
            f"{t['noise_multiplier']:.3f}, batch {t['batch_size']:,}, learning rate {t['learning_rate']:g}, "
            f"momentum 0.9, clipping norm {t['max_grad_norm']:g}, {t['epochs']} epochs, "
            f"{t['threads']} threads. "
            "The images come from Debian's `dataset-fashion-mnist`; the test set is read once, after "
            f"training. Opacus' own RDP accountant gives {t['opacus_epsilon_rdp']:.3f} for the steps taken.",
        ]  # fmt: skip
    return lines


def render_section(dp: dict[str, Any] | None, train: dict[str, Any] | None) -> str:
    commands = " and ".join(f"`{r['command']}`" for r in (dp, train) if r is not None)
    lines = [HEADING, "", f"Reproduce: {commands}.", ""]
    lines += ["| Target | Goal | Measured | Met |", "|---|---|---|---|"]
    if dp is not None:
        lines += _accounting_rows(dp) + _query_rows(dp["queries"])
    if train is not None:
        lines += _training_rows(train)
    return "\n".join([*lines, *_findings(dp), "", "### Method", "", *_method(dp, train)]) + "\n"


def _findings(dp: dict[str, Any] | None) -> list[str]:
    if dp is None:
        return []
    q = dp["queries"]
    mean, total = q["mean"], q["sum"]
    ratio = mean["opendp_direct"]["rmse"] / mean["veil"]["rmse"]
    speed = total["opendp_direct"]["ms_per_release_p50"] / total["veil"]["ms_per_release_p50"]
    return [
        "", "### Findings", "",
        f"- A mean by OpenDP's own chain has {ratio:.1f} times Veil's error at the same epsilon: OpenDP's "
        "float sum charges U - L for bounds of mixed sign (its privacy map gives 100 for [-50, 50], as for "
        "[0, 100]), "
        "so the midpoint-shifted sum is noised twice as much as Veil's exact fixed-point sum about the "
        "midpoint, whose sensitivity is (U - L) / 2. Each is at its own theory.",
        f"- A sum over 1,000,000 floats by OpenDP's chain takes {speed:.1f} times a whole Veil release with "
        "its ledger charge: Veil sums the fixed-point integers in cache-sized chunks of a numpy array and "
        "hands OpenDP only the exact aggregate to noise.",
    ]  # fmt: skip


def update_docs(results: Path, docs: Path) -> None:
    """Re-render the section from whichever of dp.json and dp_train.json exist in ``results``."""
    found = [results / name for name in ("dp.json", "dp_train.json")]
    loaded = [json.loads(p.read_text(encoding="utf-8")) if p.exists() else None for p in found]
    replace_section(docs, HEADING, render_section(*loaded))


def save(result: dict[str, Any], output: Path, docs: Path | None) -> None:
    """Write a benchmark's JSON, re-render the section from both results files, print the JSON."""
    output.write_text(json.dumps(result, indent=2) + "\n", encoding="utf-8")
    if docs is not None:
        update_docs(output.parent, docs)
    print(json.dumps(result, indent=2))
