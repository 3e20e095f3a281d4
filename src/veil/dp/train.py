"""DP-SGD training charged to a dataset's privacy budget before its first step (extra ``veil[train]``).

``make_private`` turns a PyTorch model, optimizer and data loader into their Opacus DP-SGD
counterparts for a target (epsilon, delta)::

    run = make_private(ledger, "patients", model=model, optimizer=optimizer, data_loader=loader,
                       epochs=5, target_epsilon=3.0, max_grad_norm=1.0, actor=token,
                       purpose="training", dataset_version=export.artifact_id)
    for _ in range(run.epochs):
        for x, y in run.data_loader:
            run.optimizer.zero_grad()
            loss_fn(run.model(x), y).backward()
            run.optimizer.step()

In that order: the noise multiplier is calibrated to the target for the whole planned run (Opacus'
RDP accountant, Poisson sampling at rate 1 / len(data_loader), epochs * len(data_loader) steps); the
ledger is charged that run (its own accountant decides what it costs, at the budget's delta) with the
dataset version and hyperparameters as the release's lineage record; only then are the objects
wrapped. A refused charge raises ``BudgetExhausted`` and leaves the model, optimizer and loader
untouched. The wrapped optimizer refuses (``BudgetExhausted``) any step past the charged number, so
no update is ever released that the budget has not paid for.

Given a ``criterion`` (the loss, with ``reduction="mean"``), the run clips by Opacus' ghost clipping:
per-sample gradient norms are computed without materialising per-sample gradients (for a linear
layer over thousands of features, a batch of 8,192 would otherwise allocate gigabytes each step),
and the loss to call ``backward`` on is ``run.criterion(output, target)``. The guarantee is the same.

Only the returned objects are private: stepping the original optimizer, or releasing per-sample
gradients, bypasses DP-SGD. Opacus draws its noise from torch's generator (not a CSPRNG) unless its
``secure_mode`` is available; that is Opacus' documented threat model.
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from veil.dp import _accountant
from veil.dp._ledger import Charge, Ledger
from veil.dp._mechanisms import SubsampledGaussian, _positive
from veil.errors import BudgetExhausted, DependencyMissing, InvalidInput
from veil.vault import Actor

__all__ = ["PrivateTraining", "make_private"]

#: The detail names ``make_private`` writes itself; caller details may not override them.
RESERVED_DETAILS = frozenset(
    {"dataset_version", "epochs", "batch_size", "learning_rate", "max_grad_norm", "noise_multiplier",
     "sample_rate", "steps", "target_epsilon", "target_delta", "optimizer", "accountant", "clipping"}
)  # fmt: skip


def _module(name: str) -> Any:
    try:
        return importlib.import_module(name)
    except ModuleNotFoundError:
        raise DependencyMissing("train", "DP training") from None


class _StepGuard:
    """Counts the optimizer's real (noised) steps and refuses one past the charged plan, before any
    clipping or noise, so a refused step changes nothing."""

    def __init__(self, optimizer: Any, planned: int) -> None:
        self.optimizer = optimizer
        self.planned = planned
        self.taken = 0
        self._pre_step = optimizer.pre_step
        # DPOptimizer.step() calls self.pre_step(): the instance attribute takes precedence
        optimizer.pre_step = self.pre_step

    def pre_step(self, closure: Any = None) -> Any:
        # a step Opacus will skip (accumulation of a split Poisson batch) adds no noise and costs nothing
        skipped = self.optimizer._check_skip_next_step(pop_next=False)
        if self.taken >= self.planned and not skipped:
            raise BudgetExhausted(
                f"this training run was charged for {self.planned} optimizer steps; charge a new run to go on"
            )
        stepped = self._pre_step(closure)
        if stepped:
            self.taken += 1
        return stepped


@dataclass(frozen=True)
class PrivateTraining:
    """A charged DP-SGD run: the wrapped objects to train with, the plan and what the ledger charged."""

    model: Any  # opacus GradSampleModule around the caller's module
    optimizer: Any  # opacus DPOptimizer; steps past ``steps`` raise BudgetExhausted
    data_loader: Any  # opacus DPDataLoader (Poisson sampling)
    engine: Any  # the opacus PrivacyEngine, whose accountant follows the steps taken
    criterion: Any  # with ghost clipping: the wrapped loss to call backward on; otherwise None
    epochs: int
    steps: int
    sample_rate: float
    noise_multiplier: float
    max_grad_norm: float
    target_epsilon: float
    target_delta: float
    run_epsilon: float
    charge: Charge
    _guard: _StepGuard

    @property
    def release_id(self) -> str:
        """The ledger release that records this run (dataset version, hyperparameters, epsilon)."""
        return self.charge.release_id

    @property
    def epsilon_spent(self) -> float:
        """The dataset's cumulative epsilon after this run's charge (the run's own cost on a fresh budget)."""
        return self.charge.epsilon_spent

    @property
    def steps_taken(self) -> int:
        return self._guard.taken

    @property
    def steps_left(self) -> int:
        return self.steps - self._guard.taken


def make_private(
    ledger: Ledger,
    dataset: str,
    *,
    model: Any,
    optimizer: Any,
    data_loader: Any,
    epochs: int,
    target_epsilon: float,
    max_grad_norm: float,
    actor: Actor,
    purpose: str,
    dataset_version: str,
    target_delta: float | None = None,
    criterion: Any = None,
    details: Mapping[str, str | int | float] | None = None,
) -> PrivateTraining:
    """Charge ``dataset``'s budget for a DP-SGD run of ``epochs`` over ``data_loader`` at
    (``target_epsilon``, ``target_delta``), then wrap the model, optimizer and loader for it.

    ``target_delta`` defaults to the budget's delta and may not exceed it. A ``criterion`` turns on
    ghost clipping (train with ``run.criterion``, see above). ``dataset_version`` names
    the data trained on (a vault dataset export's artifact id, say). Raises ``BudgetExhausted`` (and
    wraps nothing) when the budget cannot cover the run, ``AccessDenied`` when ``actor`` may not
    spend it for ``purpose``, ``InvalidInput`` for a bad argument or a model Opacus cannot train.
    """
    _module("torch")
    opacus = _module("opacus")
    budget = ledger.get(dataset)
    delta = _target_delta(target_delta, budget.delta)
    plan = _plan(data_loader, epochs, target_epsilon, delta, max_grad_norm)
    _check_trainable(opacus, model, optimizer)
    mechanism = SubsampledGaussian(plan.noise_multiplier, plan.sample_rate, plan.steps)
    meta = _details(details, plan, optimizer, data_loader, _version(dataset_version))
    meta["clipping"] = "per-sample" if criterion is None else "ghost"
    charge = ledger.charge(dataset, [mechanism], actor=actor, purpose=purpose, kind="training", details=meta)
    engine = opacus.PrivacyEngine(accountant="rdp")
    common = {"module": model, "optimizer": optimizer, "data_loader": data_loader, "poisson_sampling": True,
              "noise_multiplier": plan.noise_multiplier, "max_grad_norm": plan.max_grad_norm}  # fmt: skip
    if criterion is None:
        private_model, private_optimizer, private_loader = engine.make_private(**common)
        private_criterion = None
    else:
        private_model, private_optimizer, private_criterion, private_loader = engine.make_private(
            **common, criterion=criterion, grad_sample_mode="ghost"
        )
    run_epsilon = _accountant.rdp_epsilon(_accountant.rdp_of(mechanism), budget.delta)
    guard = _StepGuard(private_optimizer, plan.steps)
    return PrivateTraining(
        private_model, private_optimizer, private_loader, engine, private_criterion, plan.epochs, plan.steps,
        plan.sample_rate, plan.noise_multiplier, plan.max_grad_norm, plan.target_epsilon, plan.target_delta,
        run_epsilon, charge, guard,
    )  # fmt: skip


@dataclass(frozen=True, slots=True)
class _Plan:
    epochs: int
    sample_rate: float
    steps: int
    noise_multiplier: float
    max_grad_norm: float
    target_epsilon: float
    target_delta: float


def _plan(data_loader: Any, epochs: int, target_epsilon: float, delta: float, max_grad_norm: float) -> _Plan:
    """Poisson sampling at 1 / batches-per-epoch for epochs * batches steps, as Opacus will run it."""
    if isinstance(epochs, bool) or not isinstance(epochs, int) or epochs < 1:
        raise InvalidInput("epochs must be a positive integer")
    epsilon, clip = _positive("target_epsilon", target_epsilon), _positive("max_grad_norm", max_grad_norm)
    batches = len(data_loader)
    if batches < 1:
        raise InvalidInput("data_loader must yield at least one batch")
    sample_rate, steps = 1 / batches, epochs * batches
    utils = _module("opacus.accountants.utils")
    try:
        sigma = utils.get_noise_multiplier(
            target_epsilon=epsilon, target_delta=delta, sample_rate=sample_rate, steps=steps, accountant="rdp"
        )
    except ValueError:  # Opacus gives up past a noise multiplier of 1e6
        raise InvalidInput("target_epsilon is too small for any usable noise multiplier") from None
    return _Plan(epochs, sample_rate, steps, float(sigma), clip, epsilon, delta)


def _check_trainable(opacus: Any, model: Any, optimizer: Any) -> None:
    """What ``PrivacyEngine.make_private`` would refuse, checked before the budget is charged."""
    if opacus.validators.ModuleValidator.validate(model, strict=False):
        # batch norm mixes samples, so per-sample gradients (and DP-SGD's guarantee) do not exist
        raise InvalidInput("model has modules DP-SGD cannot train; opacus' ModuleValidator.fix replaces them")
    owned = {id(p) for p in model.parameters()}
    if any(id(p) not in owned for group in optimizer.param_groups for p in group["params"]):
        raise InvalidInput("optimizer must optimize the model's own parameters")


def _details(
    extra: Mapping[str, str | int | float] | None, plan: _Plan, optimizer: Any, data_loader: Any, version: str
) -> dict[str, str | int | float]:
    """The run's lineage record: what was trained on and how (hyperparameters, never data)."""
    clash = sorted(RESERVED_DETAILS & set(extra or {}))
    if clash:
        raise InvalidInput(f"details may not set {', '.join(clash)} (make_private records them)")
    meta: dict[str, str | int | float] = {
        "dataset_version": version, "epochs": plan.epochs, "steps": plan.steps,
        "sample_rate": plan.sample_rate, "noise_multiplier": plan.noise_multiplier,
        "max_grad_norm": plan.max_grad_norm, "target_epsilon": plan.target_epsilon,
        "target_delta": plan.target_delta, "optimizer": type(optimizer).__name__, "accountant": "rdp",
    }  # fmt: skip
    if isinstance(getattr(data_loader, "batch_size", None), int):
        meta["batch_size"] = data_loader.batch_size
    rate = optimizer.param_groups[0].get("lr") if optimizer.param_groups else None
    if isinstance(rate, int | float) and not isinstance(rate, bool):
        meta["learning_rate"] = float(rate)
    return {**meta, **(extra or {})}


def _target_delta(value: float | None, budget_delta: float) -> float:
    if value is None:
        if budget_delta <= 0:
            raise InvalidInput("target_delta is needed: the budget's delta is 0 and DP-SGD needs one")
        return budget_delta
    delta = _positive("target_delta", value)
    if delta > budget_delta:
        raise InvalidInput("target_delta may not exceed the budget's delta")
    return delta


def _version(value: object) -> str:
    if not isinstance(value, str) or not 1 <= len(value) <= 128 or not value.isprintable():
        raise InvalidInput("dataset_version must be 1 to 128 printable characters")
    return value
