"""The README's commands and examples are the ones that work."""

from __future__ import annotations

import os
import re
import subprocess
from pathlib import Path

import numpy as np

import tvips_ks

ROOT = Path(__file__).resolve().parent.parent
README = (ROOT / "README.md").read_text()


def blocks(language: str) -> list[str]:
    return re.findall(rf"```{language}\n(.*?)```", README, re.S)


def test_ci_runs_the_readme_setup_commands():
    setup = README.split("## Set-up on a fresh machine", 1)[1].split("\n## ", 1)[0]
    main_job, tests = re.findall(r"```bash\n(.*?)\n```", setup, re.S)
    ci = (ROOT / ".ci" / "run").read_text().splitlines()
    assert main_job in ci and tests in ci
    assert "python spec/generate.py --check" in ci


def test_the_javascript_example_reads_the_shipped_series(tmp_path):
    (snippet,) = blocks("js")
    parts = sorted(Path(str(tvips_ks.example_path())).parent.glob("example_*.tvips"))
    script = (snippet.replace("./generated/javascript/Tvips.js",
                              str(ROOT / "generated" / "javascript" / "Tvips.js"))
              .replace("scan_000.tvips", str(parts[0])).replace("scan_001.tvips", str(parts[1]))
              + "\nconsole.log(part.records.length);\n")
    (tmp_path / "example.js").write_text(script)
    env = {**os.environ, "NODE_PATH": str(ROOT / "node_modules")}  # as if run from the repo
    proc = subprocess.run(["node", str(tmp_path / "example.js")], cwd=ROOT, capture_output=True,
                          text=True, env=env)
    assert proc.returncode == 0, proc.stderr
    with tvips_ks.open(parts[0]) as ds:
        expected = [f"{ds.layout.width} {ds.layout.height} {ds.files[0].num_frames}",
                    str(ds.frame_headers["rotator_index"][0]), str(ds.files[1].num_frames)]
    assert proc.stdout.split("\n")[:3] == expected


def test_the_python_reading_example_runs(tmp_path, monkeypatch):
    """The first Python block, on a series of the shape it assumes."""
    code = blocks("python")[0]
    data = np.random.default_rng(0).integers(0, 100, (64 * 64, 4, 4), dtype=np.uint16)
    tvips_ks.save(tmp_path / "scan.tvips", data)
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    assert namespace["vbf"].shape == (64, 64)
