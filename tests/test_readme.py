"""The README's commands and examples are the ones that work."""

from __future__ import annotations

import os
import re
import subprocess
import sys
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


def _section(title: str) -> str:
    return README.split(f"## {title}\n", 1)[1].split("\n## ", 1)[0]


def test_the_quick_look_examples_run(tmp_path, monkeypatch):
    """The library and command-line examples of "Quick looks", on a series of the size they
    assume: 5 blank frames, then a 64 x 64 scan of a beam disc at (128, 130)."""
    section = _section("Quick looks")
    (code,) = re.findall(r"```python\n(.*?)```", section, re.S)
    (command,) = re.findall(r"```bash\n(.*?)\n```", section, re.S)
    rng = np.random.default_rng(0)
    yy, xx = np.indices((256, 256))
    disc = ((yy - 128) ** 2 + (xx - 130) ** 2 <= 20 ** 2) * 300.0
    # a 64 x 64 scan of 256 x 256 frames is 512 MiB: a 16 x 16 one stands in for it
    data = np.concatenate([rng.poisson(1.0, (5, 256, 256)),
                           rng.poisson(disc + 2, (16 * 16, 256, 256))])
    tvips_ks.save(tmp_path / "scan.tvips", data.astype(np.uint16))
    monkeypatch.chdir(tmp_path)
    namespace: dict = {}
    exec(compile(code, "README.md", "exec"), namespace)
    look = namespace["look"]
    assert namespace["start"].frame == 5
    assert np.hypot(look.beam_center[0] - 128, look.beam_center[1] - 130) < 0.5
    args = command.split()
    assert args[:2] == ["tvips-ks", "preview"]
    args[args.index("64,64")] = "16,16"  # the shortened scan above
    proc = subprocess.run([sys.executable, "-m", "tvips_ks", *args[1:], "--scan-start-frame",
                           "5"], cwd=tmp_path, capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.splitlines()[0].startswith("beam centre: (y, x) = (128.0")
    assert (tmp_path / "look.png").stat().st_size > 0


def test_the_virtual_image_example_runs(tmp_path, monkeypatch):
    """The Virtual images block on a series of the scan it assumes, checked against numpy."""
    section = README.split("### Virtual images", 1)[1].split("\n### ", 1)[0]
    (code,) = re.findall(r"```python\n(.*?)```", section, re.S)
    data = np.random.default_rng(1).integers(0, 1000, (64 * 64 + 5, 32, 32), dtype=np.uint16)
    tvips_ks.save(tmp_path / "scan.tvips", data)
    monkeypatch.chdir(tmp_path)
    namespace: dict = {"np": np, "tvips_ks": tvips_ks}
    exec(compile(code, "README.md", "exec"), namespace)
    with tvips_ks.open(tmp_path / "scan.tvips", scan_shape=(64, 64), winding_scan_axis="x",
                       hysteresis=3) as ds:
        arranged = np.asarray(ds.data)
    disk, ring = namespace["disk"], namespace["ring"]
    assert disk.sum() and ring.sum() and not (disk & ring).any()
    assert np.array_equal(namespace["vbf"], arranged[..., disk].sum(axis=-1))
    assert np.array_equal(namespace["adf"], arranged[..., ring].sum(axis=-1))
    assert np.array_equal(namespace["total"], arranged.sum(axis=(-2, -1)))
    assert np.array_equal(namespace["lazy"].compute(), namespace["vbf"])
    assert np.array_equal(namespace["pattern"], arranged.sum(axis=(0, 1)))
    roi = namespace["vbf"] > np.median(namespace["vbf"])
    assert 0 < roi.sum() < roi.size
    assert np.array_equal(namespace["bright"], arranged[roi].sum(axis=0))
    np.testing.assert_allclose(namespace["com_x"],
                               (arranged * np.arange(32)).sum(axis=(-2, -1)) / namespace["total"])
