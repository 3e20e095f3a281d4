"""The README's commands and examples run, so the docs cannot drift."""

from __future__ import annotations

import json
import os
import re
import shlex
import shutil
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text(encoding="utf-8")


def _blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, flags=re.DOTALL)


def test_quick_start_is_serve_then_curl_then_the_tests() -> None:
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    serve, curl, tests = (block.strip() for block in re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL))
    assert serve.endswith("veil init && .venv/bin/veil serve")
    assert curl.startswith("curl ")
    assert "\n" not in curl
    assert tests.endswith(".venv/bin/pytest")


def test_ci_runs_the_readme_test_command_verbatim() -> None:
    test_command = _blocks("sh")[2].strip()
    assert test_command in (ROOT / ".ci" / "run").read_text(encoding="utf-8")


def test_python_examples_run_in_order() -> None:
    namespace: dict[str, object] = {}
    cwd = os.getcwd()
    os.chdir(ROOT)
    try:
        for block in _blocks("python"):
            exec(compile(block, "README.md", "exec"), namespace)  # noqa: S102 - our own docs
    finally:
        os.chdir(cwd)


def test_toml_example_is_the_fixture_file() -> None:
    (example,) = _blocks("toml")
    assert example.strip() in (ROOT / "tests/fixtures/recognizers.toml").read_text(encoding="utf-8")


@pytest.mark.parametrize("line", [
    line.removeprefix("$ ") for block in _blocks("console") for line in block.splitlines()
    if line.startswith("$ veil ")
])
def test_console_examples_run(line: str) -> None:
    veil = Path(sys.executable).parent / "veil"
    result = subprocess.run([str(veil), *shlex.split(line)[1:]], cwd=ROOT, capture_output=True,
                            text=True, timeout=300, check=False)
    assert result.returncode in (0, 1), result.stderr  # 1 = findings, by design
    assert result.stdout.strip()


def test_quick_start_redaction_leaves_no_planted_value() -> None:
    veil = Path(sys.executable).parent / "veil"
    result = subprocess.run([str(veil), "redact", "examples/sample.txt"], cwd=ROOT, capture_output=True,
                            text=True, timeout=300, check=True)
    sample = (ROOT / "examples/sample.txt").read_text(encoding="utf-8")
    import veil as library

    planted = [sample[f.start:f.end] for f in library.detect(sample)]
    assert planted, "the sample must contain personal data"
    assert not [value for value in planted if value in result.stdout]


def test_shell_examples_of_the_vault_run_in_a_new_project(tmp_path: Path) -> None:
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    blocks = _blocks("shell")
    assert len(blocks) == 2  # the vault, then the audit log and tokens: one project, in order
    for line in filter(None, "\n".join(blocks).splitlines()):
        result = subprocess.run(["bash", "-c", line], cwd=tmp_path, capture_output=True, text=True,
                                timeout=120, check=False, env=env)
        assert result.returncode == 0, (line, result.stderr)
        assert result.stdout.strip() or ">" in line, line
        assert "ana@example.org" not in result.stdout + result.stderr  # values never echoed


def test_scanner_examples_run_in_a_repository(tmp_path: Path) -> None:
    bin_dir = Path(sys.executable).parent
    env = {**os.environ, "PATH": f"{bin_dir}{os.pathsep}{os.environ.get('PATH', '')}"}
    setup = ["git init -q -b main", "git config user.email dev@example.invalid", "git config user.name Dev",
             "mkdir exports && printf 'id,email\\n1,ana@example.org\\n2,ben@example.org\\n' > exports/customers.csv",
             "git add . && git commit -q -m first && git update-ref refs/remotes/origin/main HEAD",
             "echo 'print(1)' > app.py && git add app.py"]
    for line in setup:
        subprocess.run(["bash", "-c", line], cwd=tmp_path, check=True, capture_output=True, env=env)
    [block] = _blocks("bash")
    for line in filter(None, block.splitlines()):
        result = subprocess.run(["bash", "-c", line], cwd=tmp_path, capture_output=True, text=True,
                                timeout=300, check=False, env=env)
        assert result.returncode in (0, 1), (line, result.stderr)  # 1: it found the planted dataset
        assert "error:" not in result.stderr, (line, result.stderr)
        assert "ana@example.org" not in result.stdout + result.stderr  # values never echoed


def test_the_quick_start_gateway_answers_the_curl(tmp_path: Path) -> None:
    pytest.importorskip("fastapi", reason="veil serve needs veil[server]")
    if shutil.which("curl") is None:
        pytest.skip("curl is not installed")
    section = README.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    serve, curl, _ = (block.strip() for block in re.findall(r"```sh\n(.*?)```", section, flags=re.DOTALL))
    veil = str(Path(sys.executable).parent / "veil")
    port = _free_port()
    subprocess.run([veil, "init"], cwd=tmp_path, check=True, capture_output=True, timeout=120)
    server = subprocess.Popen([veil, "serve", "--port", str(port)], cwd=tmp_path, stderr=subprocess.PIPE,
                              stdout=subprocess.DEVNULL, text=True)
    try:
        assert server.stderr is not None
        line = server.stderr.readline()  # printed once the detector is built and the port is about to open
        assert f"serving on http://127.0.0.1:{port}" in line, line
        command = curl.replace(".venv/bin/veil", veil).replace("localhost:8730", f"localhost:{port}")
        answer = _retry_until_listening(command, tmp_path)
    finally:
        server.terminate()
        server.wait(30)
    assert answer["choices"][0]["message"]["content"] == "Mail ana@example.org about ticket 4411"
    assert answer["echo"]["received"]["messages"][0]["content"] == "Mail <EMAIL_ADDRESS_1> about ticket 4411"
    assert "veil init && .venv/bin/veil serve" in serve


def _retry_until_listening(command: str, cwd: Path) -> dict[str, object]:
    for _ in range(100):
        result = subprocess.run(["bash", "-c", command], cwd=cwd, capture_output=True, text=True, timeout=60)
        if result.returncode == 0 and result.stdout:
            answer: dict[str, object] = json.loads(result.stdout)
            return answer
        time.sleep(0.1)  # between the ready line and uvicorn's listen() there is a moment
    raise AssertionError(f"the gateway did not answer: {result.stderr}")


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])
