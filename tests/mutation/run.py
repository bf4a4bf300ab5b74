#!/usr/bin/env python
"""Mutation testing of tvips-ks's core with mutmut (issue 19).  Not part of CI.

    pip install -e ".[test,mutation]" && npm ci   # the tests compare with the Kaitai JS reader
    python tests/mutation/run.py                 # every group; resumes where it stopped
    python tests/mutation/run.py --group check   # one group (repeatable option)
    python tests/mutation/run.py --fresh         # forget earlier results first
    python tests/mutation/run.py --report        # only re-read the results and report
    python tests/mutation/run.py --retry --group write  # only the survivors again

The modules and the tests that may kill their mutants are in ``config.toml`` beside
this file.  Each group runs mutmut in a work directory of its own,
``.mutation/<group>/`` at the repository root (git-ignored), holding links to
``tvips_ks/`` and ``tests/`` and a ``pyproject.toml`` with the group's
``[tool.mutmut]`` table; mutmut copies and mutates the sources under
``.mutation/<group>/mutants/``.  mutmut first runs the group's tests once to record
which tests call which function, then tries each mutant only against the tests that
call the mutated function, ``--jobs`` mutants at a time.  Its verdicts are cached per
function (keyed by the function's source), so a second run only tries mutants of
functions that changed; survivors and mutants without tests left by an earlier run are
tried again, so that new tests count, and so are timeouts.

Mutation operators: mutmut's, except that prose strings (error messages, warnings:
string literals holding whitespace) are not mutated.  Changing the wording of a
message is not the kind of bug this measures; strings that are data (field names,
"auto", "x", file extensions) are still mutated.

A group may also name ``subprocess_tests`` (test id prefixes tried against every mutant
of its modules, because mutmut cannot see calls made in a subprocess, which does run the
mutant) and ``deselect`` (slow tests left out, that use the group's code only to make
input for something else).

Each group's wall and CPU time (CPU time does not depend on what else shares the
cores) are printed and appended to ``.mutation/times.txt``.  A worker that dies on a
mutant (SIGSEGV, SIGABRT, SIGBUS) counts as a kill.

At the end it prints a score per module and in total, and writes each group's table
and every survivor with its diff to ``survivors/<group>.md`` beside this file (for the
groups run, or all with ``--report``; a group's file is left alone when the group has
no results here, so a run of one group keeps the others' last results).  Mutants that no test of the group calls ("no tests": they never ran)
are counted apart from survivors; they are not caught either.  A survivor listed in
``equivalent.toml`` (matched by module, function and the changed line) is shown with
the reason it cannot change behaviour; the score counts it as surviving all the same,
and a second score leaves equivalent mutants out.
Exit status: 0 when the total score reaches ``--min-score`` (default 95), else 1.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import time
from collections import Counter, defaultdict
from pathlib import Path

try:
    import tomllib
except ModuleNotFoundError:  # Python 3.10
    import tomli as tomllib

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
WORK = ROOT / ".mutation"

# mutmut's exit codes for a mutant's test run; a worker killed by SIGSEGV, SIGABRT or SIGBUS
# (-11, -6, -7) died running the tests on the mutant (say, as_strided over None): caught
KILLED = {1, 3, -11, -6, -7}
# no test of the group calls the mutated function: the mutant never ran (reported apart
# from survivors, as it says nothing about the tests' asserts, but not caught either)
NO_TESTS = {5, 33}
# CPU-time limits (SIGXCPU) and mutmut's wall-clock timeout; not 255, which mutmut also
# calls a timeout but is what a worker that failed to start (say, an import that
# raised) exits with: that is not a kill
TIMEOUT = {-24, 24, 152, 36}
# a mutant explained as equivalent, not run (see _equivalent_mutants); a survivor in the score
SKIPPED = 34
STATUS = {0: "survived", 1: "killed", 3: "killed", 5: "no tests", 33: "no tests",
          34: "equivalent, not run", 35: "suspicious", 36: "timeout", 37: "type check", None: "not run",
          -24: "timeout", 24: "timeout", 152: "timeout", 255: "worker failed", -11: "crashed", -6: "crashed", -7: "crashed",
          -9: "crashed", 2: "interrupted"}


def load_config() -> dict:
    with open(HERE / "config.toml", "rb") as f:
        return tomllib.load(f)


def load_equivalents() -> list[dict]:
    path = HERE / "equivalent.toml"
    if not path.exists():
        return []
    with open(path, "rb") as f:
        return tomllib.load(f).get("equivalent", [])


# --- inside the work directory: mutmut with the project's operator choice ---------------

def _patched_operators():
    """mutmut's operators without mutations of prose strings."""
    import libcst as cst
    from mutmut.mutation import file_mutation, mutators

    def prose(node) -> bool:
        """A literal holding whitespace: a sentence, not a name."""
        if isinstance(node, cst.SimpleString):
            try:
                value = node.evaluated_value
            except Exception:
                return False
            return isinstance(value, str) and any(c.isspace() for c in value)
        if isinstance(node, cst.FormattedString):
            return any(isinstance(p, cst.FormattedStringText) and any(c.isspace() for c in p.value)
                       for p in node.parts)
        return False

    def pieces(node):
        if isinstance(node, cst.ConcatenatedString):
            yield from pieces(node.left)
            yield from pieces(node.right)
        else:
            yield node

    in_prose: set[int] = set()  # literals that continue a sentence ("…, reads the " "anyway")
    visit = file_mutation.MutationVisitor.on_visit
    create = file_mutation.create_mutations
    skipped = {tuple(entry["function"].split(":")) for entry in
               load_config()["run"].get("not_mutated", [])}
    current = {"file": ""}

    def create_mutations(filename, *args, **kwargs):
        current["file"] = Path(filename).as_posix()
        return create(filename, *args, **kwargs)

    def on_visit(self, node):
        if (isinstance(node, (cst.FunctionDef, cst.ClassDef))
                and (current["file"], node.name.value) in skipped):
            return False
        if isinstance(node, cst.ConcatenatedString):
            parts = list(pieces(node))
            if any(prose(p) for p in parts):
                in_prose.update(id(p) for p in parts)
        return visit(self, node)

    def operator_string(node):
        if prose(node) or id(node) in in_prose:
            return
        yield from mutators.operator_string(node)

    file_mutation.MutationVisitor.on_visit = on_visit
    file_mutation.create_mutations = create_mutations
    ops = [(t, operator_string if op is mutators.operator_string else op)
           for t, op in mutators.mutation_operators]
    file_mutation.mutation_operators = ops


KILLERS = "killers.jsonl"  # in the group's work directory: which test killed which mutant


def _mangled(mutant_name: str) -> str:
    """``tvips_ks.io.chunks.x_part_aligned__mutmut_3`` -> ``tvips_ks.io.chunks.x_part_aligned``:
    the function a mutant belongs to, as mutmut names it."""
    return mutant_name.partition("__mutmut_")[0]


def _record_killers():
    """In each mutant's process, note the first test that failed (the one that killed it)."""
    from mutmut.runners.harness import PytestRunner

    path = os.path.abspath(KILLERS)  # taken before run_tests moves into mutants/
    run_tests = PytestRunner.run_tests

    class FirstFailure:
        nodeid = None

        def pytest_runtest_logreport(self, report):
            if report.failed and self.nodeid is None:
                self.nodeid = report.nodeid

    def recording_run_tests(self, *, mutant_name, tests):
        if not mutant_name:
            return run_tests(self, mutant_name=mutant_name, tests=tests)
        seen = FirstFailure()
        execute = self.execute_pytest
        self.execute_pytest = lambda params, **kw: execute(
            params, **{**kw, "plugins": [*kw.get("plugins", []), seen]})
        try:
            code = run_tests(self, mutant_name=mutant_name, tests=tests)
        finally:
            del self.execute_pytest
        if seen.nodeid:
            with open(path, "a") as f:  # one short line per kill: appends do not interleave
                f.write(json.dumps({"mutant": mutant_name, "test": seen.nodeid}) + "\n")
        return code

    PytestRunner.run_tests = recording_run_tests


def _killers_by_function() -> dict[str, Counter]:
    """``{mangled function name: Counter(test id)}`` of the kills recorded so far."""
    found: dict[str, Counter] = defaultdict(Counter)
    try:
        with open(KILLERS) as f:  # the parent stays in the work directory
            for line in f:
                try:
                    kill = json.loads(line)
                except json.JSONDecodeError:  # a line cut short by an interrupted run
                    continue
                found[_mangled(kill["mutant"])][kill["test"]] += 1
    except FileNotFoundError:
        pass
    return found


def _equivalent_mutants():
    """A test of ``mutant name -> bool``: the mutant is explained in ``equivalent.toml``.

    Such a mutant changes no behaviour, so no test can kill it, and trying it costs every
    test that calls its function (10-48 s each by mutmut's estimates): it is not run but recorded as
    skipped (mutmut's exit code 34), and counted as a surviving equivalent mutant.  Its
    diff is matched against the entries as the report matches survivors, so an entry
    that no longer fits the code lets the mutant run.  ``run.py --rerun-equivalent``
    runs them all."""
    if os.environ.get("TVIPS_MUTATION_RERUN_EQUIVALENT"):
        return lambda mutant_name: False
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    equivalents = load_equivalents()
    explained = {(e["module"], e["function"]) for e in equivalents}

    def skip(mutant_name: str) -> bool:
        module = _mangled(mutant_name).rsplit(".", 1)[0].replace(".", "/") + ".py"
        if (module, function_of(mutant_name)) not in explained:
            return False
        try:
            diff = get_diff_for_mutant(mutant_name)
        except Exception:  # cannot tell: run it
            return False
        return equivalence(module, mutant_name, diff, equivalents) is not None

    return skip


def _fast_tests_first():
    """Hand each mutant its tests in the order most likely to kill it soon: first the
    tests that killed other mutants of the same function (most kills first), then the
    rest fastest first.  pytest stops at the first failure, so a mutant that a test
    kills costs only the tests before it; mutants of one function mostly fall to the
    same few tests.  (mutmut's fork server runner would keep its set order.)"""
    from mutmut.state import state
    from mutmut.workers import isolation

    submit = isolation.ForkServerRunner.submit
    skip_equivalent = _equivalent_mutants()
    killers: dict[str, Counter] = {}
    read_at = {"size": -1}

    def sorted_submit(self, mutant_name, tests, cpu_time_limit, estimated_time):
        if skip_equivalent(mutant_name):
            self._no_tests_results.append(
                isolation.MutantResult(mutant_name=mutant_name, exit_code=SKIPPED, duration=0.0))
            return
        try:
            size = os.path.getsize(KILLERS)
        except OSError:
            size = 0
        if size != read_at["size"]:  # a kill was recorded since
            killers.clear()
            killers.update(_killers_by_function())
            read_at["size"] = size
        kills = killers.get(_mangled(mutant_name), Counter())
        durations = state().duration_by_test
        tests = sorted(tests, key=lambda t: (-kills.get(t, 0), durations.get(t, 0.0), t))
        return submit(self, mutant_name, tests, cpu_time_limit, estimated_time)

    isolation.ForkServerRunner.submit = sorted_submit


def _record_durations():
    """Each mutant's wall time, from its submission to its verdict, appended to
    ``durations.jsonl`` in the work directory: what a kill and a survivor cost."""
    from mutmut.workers import isolation

    runner = isolation.ForkServerRunner
    submit, wait = runner.submit, runner.wait_for_result
    started: dict[str, float] = {}

    def timed_submit(self, mutant_name, *args, **kwargs):
        started[mutant_name] = time.monotonic()
        return submit(self, mutant_name, *args, **kwargs)

    def timed_wait(self, *args, **kwargs):
        result = wait(self, *args, **kwargs)
        began = started.pop(result.mutant_name, None)
        if began is not None:
            with open("durations.jsonl", "a") as f:
                f.write(json.dumps({"mutant": result.mutant_name, "exit": result.exit_code,
                                    "wall": round(time.monotonic() - began, 3)}) + "\n")
        return result

    runner.submit, runner.wait_for_result = timed_submit, timed_wait


def _subprocess_tests(group: dict):
    """Give every function of the group's modules the group's ``subprocess_tests`` too.

    mutmut learns which tests call which function by recording calls in the process
    that runs the tests; a test that runs ``python -m tvips_ks`` in a subprocess calls
    the code where mutmut does not see it (the subprocess does run the mutant: it
    imports ``tvips_ks`` from ``mutants/``, the working directory, and inherits
    ``MUTANT_UNDER_TEST``).  Without this, a function reached only through the command
    line would have "no tests", and one reached also in-process would be tried against
    the in-process tests alone."""
    import mutmut.__main__ as mm
    from mutmut.state import state

    prefixes = tuple(group.get("subprocess_tests", []))
    modules = tuple(m[:-3].replace("/", ".") + "." for m in group["modules"])
    if not prefixes:
        return
    collect = mm.collect_or_load_stats

    class WithSubprocessTests(defaultdict):
        def get(self, key, default=None):
            found = super().get(key, default)
            if not key.startswith(modules):
                return found
            extra = {t for t in state().duration_by_test if t.startswith(prefixes)}
            return set(found or ()) | extra

    def collect_or_load_stats(*args, **kwargs):
        collect(*args, **kwargs)
        st = state()
        st.tests_by_mangled_function_name = WithSubprocessTests(
            set, st.tests_by_mangled_function_name)

    mm.collect_or_load_stats = collect_or_load_stats


def _no_second_clean_run():
    """Skip mutmut's clean run of the tests right after a full stats pass.

    The stats pass has just run every test of the group on the unmutated code, and mutmut
    stops when one fails; running them all again (a minute or more per group) proves
    nothing more.  After an incremental stats pass (a resumed run) the clean run stays."""
    import mutmut.__main__ as mm
    from mutmut.workers import isolation

    passed = {"full": False}
    collect = mm.run_stats_collection

    def run_stats_collection(runner, tests=None):
        collect(runner, tests)  # exits the process when a test fails
        passed["full"] = passed["full"] or not tests

    mm.run_stats_collection = run_stats_collection
    for runner in isolation.MutantRunner.__subclasses__():
        clean = runner.run_clean_tests

        def run_clean_tests(self, tests, _clean=clean):
            return 0 if passed["full"] else _clean(self, tests)

        runner.run_clean_tests = run_clean_tests


def mutmut_main(argv: list[str]) -> None:
    """``run.py _mutmut ARGS``: mutmut's command line, with the operator choice above."""
    _patched_operators()
    _fast_tests_first()
    _record_durations()
    _record_killers()
    _no_second_clean_run()
    group = os.environ.get("TVIPS_MUTATION_GROUP")
    if group:
        _subprocess_tests(load_config()["groups"][group])
    import mutmut.__main__ as mm

    mm.cli.main(args=argv, prog_name="mutmut", standalone_mode=True)


def diffs_main(names: list[str]) -> None:
    """``run.py _diffs NAMES``: each mutant's diff, as JSON (run inside a work directory)."""
    from mutmut.mutation.diff_apply import get_diff_for_mutant

    out = {}
    for name in names:
        try:
            out[name] = get_diff_for_mutant(name)
        except Exception as err:  # a function that changed since the run
            out[name] = f"(no diff: {err})"
    print(json.dumps(out))


# --- the driver ---------------------------------------------------------------------------

def pyproject_for(group: dict, common: list[str], run: dict) -> str:
    """The repository's pyproject.toml plus the group's [tool.mutmut] table."""
    text = (ROOT / "pyproject.toml").read_text()
    tests = list(dict.fromkeys(group["tests"] + common))
    deselect = [d for d in run.get("deselect", []) + group.get("deselect", [])
                if d.split("::")[0] in tests]

    def arr(items):
        return "[" + ", ".join(json.dumps(str(i)) for i in items) + "]"

    return text + "\n\n# written by tests/mutation/run.py for this group\n[tool.mutmut]\n" + "\n".join([
        f'source_paths = ["tvips_ks"]',
        f"only_mutate = {arr(group['modules'])}",
        f"pytest_add_cli_args_test_selection = "
        f"{arr(tests + [a for d in deselect for a in ('--deselect', d)])}",
        # pytest's unraisableexception plugin runs gc.collect() five times at the end of
        # every session: ~0.4 s per mutant in a process that holds dask and every test
        # module, over 80 % of a mutant's cost (the tests themselves take milliseconds);
        # it only turns exceptions raised in __del__ into warnings, no test's verdict.
        # pytest-benchmark runs git at start-up, and no test of the core uses it.
        'pytest_add_cli_args = ["-p", "no:cacheprovider", "-p", "no:unraisableexception", '
        '"-p", "no:benchmark", "-W", "ignore::DeprecationWarning"]',
        f"timeout_constant = {float(run.get('timeout_constant', 10.0))}",
        f"timeout_multiplier = {float(run.get('timeout_multiplier', 10.0))}",
        "use_git_change_detection = false",
        # workers fork from a server that never ran a test: forking the process that
        # ran the tests (with dask's and the stats pass's threads) deadlocks at times
        'process_isolation = "forkserver"',
        'on_dependency_change = "ignore"',
    ]) + "\n"


def prepare(name: str, group: dict, common: list[str], run: dict, fresh: bool) -> Path:
    work = WORK / name
    if fresh and work.exists():
        shutil.rmtree(work)
    work.mkdir(parents=True, exist_ok=True)
    for link in ("tvips_ks", "tests"):
        target = work / link
        if not target.is_symlink():
            target.symlink_to(ROOT / link, target_is_directory=True)
    # the tests run in mutants/ and find spec/, generated/, docs/ … beside tests/
    (work / "mutants").mkdir(exist_ok=True)
    for entry in ROOT.iterdir():
        if entry.name in {"tvips_ks", "tests", "pyproject.toml", ".git", ".mutation"}:
            continue
        target = work / "mutants" / entry.name
        if not target.is_symlink() and not target.exists():
            target.symlink_to(entry, target_is_directory=entry.is_dir())
    (work / "pyproject.toml").write_text(pyproject_for(group, common, run))
    return work


def read_results(work: Path, modules: list[str]) -> dict[str, dict[str, int | None]]:
    """``{module: {mutant name: exit code}}`` from mutmut's .meta files."""
    out = {}
    for module in modules:
        meta = work / "mutants" / (module + ".meta")
        codes = {}
        if meta.exists():
            codes = json.loads(meta.read_text()).get("exit_code_by_key", {})
        out[module] = codes
    return out


def _forget_skipped(work: Path, modules: list[str]) -> list[str]:
    """Mark mutants skipped as equivalent as not run: each run decides again, against
    the entries of equivalent.toml as they are now, whether to skip them."""
    forgotten = []
    for module in modules:
        meta = work / "mutants" / (module + ".meta")
        if not meta.exists():
            continue
        data = json.loads(meta.read_text())
        codes = data.get("exit_code_by_key", {})
        if SKIPPED in codes.values():
            forgotten += [m for m, c in codes.items() if c == SKIPPED]
            data["exit_code_by_key"] = {m: (None if c == SKIPPED else c) for m, c in codes.items()}
            meta.write_text(json.dumps(data, indent=4))
    return forgotten


def mutmut(work: Path, args: list[str], log) -> int:
    cmd = [sys.executable, str(Path(__file__).resolve()), "_mutmut", *args]
    env = dict(os.environ, PYTHONDONTWRITEBYTECODE="1", TVIPS_MUTATION_GROUP=work.name)
    proc = subprocess.run(cmd, cwd=work, stdout=log, stderr=subprocess.STDOUT, env=env)
    return proc.returncode


def run_group(name: str, group: dict, common: list[str], run: dict, jobs: int,
              fresh: bool, retry_only: bool = False) -> None:
    work = prepare(name, group, common, run, fresh)
    log_path = work / "mutmut.log"
    started = time.monotonic()
    cpu_before = _children_cpu()
    print(f"== {name}: {', '.join(group['modules'])}", flush=True)
    with open(log_path, "a") as log:
        log.write(f"\n\n===== run at {time.ctime()}\n")
        log.flush()
        forgotten = set(_forget_skipped(work, group["modules"]))
        known = {m: c for codes in read_results(work, group["modules"]).values()
                 for m, c in codes.items()}
        status = 0 if retry_only else mutmut(work, ["run", "--max-children", str(jobs)], log)
        # survivors and mutants without a test from an earlier run are tried again: tests
        # added since may kill them (mutmut records new tests' coverage first); this run's
        # own survivors met today's tests already.  Timeouts are always tried again: on a
        # busy machine a timeout may be a survivor or a kill.
        again = [m for codes in read_results(work, group["modules"]).values()
                 for m, c in codes.items()
                 if c in TIMEOUT or (c in (0, 5, 33) and (retry_only or known.get(m) == c))
                 or (retry_only and m in forgotten)]
        if status == 0 and again:
            log.write(f"\n===== retrying {len(again)} survivors and timeouts\n")
            log.flush()
            status = mutmut(work, ["run", "--max-children", str(jobs), *again], log)
    took = time.monotonic() - started
    cpu = _children_cpu() - cpu_before
    # CPU seconds do not depend on what else shares the cores: on 2 idle cores the wall
    # time is about cpu / 2
    print(f"   mutmut exit {status} in {took:.0f} s of wall time, {cpu:.0f} s of CPU time "
          f"(log: {log_path.relative_to(ROOT)})", flush=True)
    with open(WORK / "times.txt", "a") as f:
        f.write(f"{time.strftime('%Y-%m-%d %H:%M:%S')} {name} wall {took:.0f} s cpu {cpu:.0f} s "
                f"exit {status}{' (retry only)' if retry_only else ''}\n")
    if status != 0:
        print("   see the log: mutmut did not finish", flush=True)


def _children_cpu() -> float:
    """User + system CPU seconds of every finished child process (mutmut and its workers)."""
    import resource

    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def diffs(work: Path, names: list[str]) -> dict[str, str]:
    if not names:
        return {}
    cmd = [sys.executable, str(Path(__file__).resolve()), "_diffs", *names]
    proc = subprocess.run(cmd, cwd=work, capture_output=True, text=True)
    try:
        return json.loads(proc.stdout.strip().splitlines()[-1])
    except (IndexError, json.JSONDecodeError):
        return {n: f"(no diff: {proc.stderr.strip()[-300:]})" for n in names}


def changed_lines(diff: str) -> tuple[str, str]:
    minus = " ".join(l[1:].strip() for l in diff.splitlines()
                     if l.startswith("-") and not l.startswith("---"))
    plus = " ".join(l[1:].strip() for l in diff.splitlines()
                    if l.startswith("+") and not l.startswith("+++"))
    return minus, plus


def function_of(mutant: str) -> str:
    """``tvips_ks.io.chunks.x_part_aligned__mutmut_3`` -> ``part_aligned``
    (``xǁClassǁmethod__mutmut_1`` -> ``Class.method``)."""
    func = mutant.rsplit(".", 1)[-1].rsplit("__mutmut_", 1)[0]
    if func.startswith("xǁ"):
        return ".".join(func[2:].split("ǁ"))
    return func[2:] if func.startswith("x_") else func


def equivalence(module: str, mutant: str, diff: str, equivalents: list[dict]) -> str | None:
    before, after = changed_lines(diff)
    for e in equivalents:
        if (e["module"] == module and e["function"] == function_of(mutant)
                and e["before"].strip() == before and e["after"].strip() == after):
            return e["reason"]
    return None


def score_without(c) -> float:
    """The score over the mutants that can change behaviour (equivalent ones left out)."""
    n = c["total"] - c["equivalent"]
    return 100.0 * (c["killed"] + c["timeout"]) / n if n else float("nan")


def score(c) -> float:
    """The share of mutants caught (killed or timed out)."""
    return 100.0 * (c["killed"] + c["timeout"]) / c["total"] if c["total"] else float("nan")


def report(config: dict, names: list[str], min_score: float) -> int:
    equivalents = load_equivalents()
    rows = []
    total = Counter()
    for name in names:
        group = config["groups"][name]
        work = WORK / name
        results = read_results(work, group["modules"])
        lost = {m: c for codes in results.values() for m, c in codes.items()
                if c is not None and c not in KILLED and c not in TIMEOUT}
        texts = diffs(work, sorted(lost))
        group_rows, survivors, group_total = [], [], Counter()
        for module, codes in results.items():
            counts = Counter()
            for mutant, code in codes.items():
                if code is None:  # the run stopped before it: not in the score
                    counts["not run"] += 1
                elif code in KILLED:
                    counts["killed"] += 1
                elif code in TIMEOUT:
                    counts["timeout"] += 1
                else:
                    counts["no tests" if code in NO_TESTS else "survived"] += 1
                    diff = texts.get(mutant, "")
                    survivors.append((module, mutant, STATUS.get(code, str(code)), diff,
                                      equivalence(module, mutant, diff, equivalents)))
            counts["total"] = len(codes) - counts["not run"]
            counts["equivalent"] = sum(1 for s in survivors if s[0] == module and s[4])
            group_rows.append((module, counts))
            group_total.update(counts)
        if group_total["total"] or group_total["not run"]:
            write_survivors(name, group_rows, group_total, survivors)
        rows += group_rows
        total.update(group_total)

    width = max(len(m) for m, _ in rows) if rows else 10
    lines = [f"{'module':<{width}}  mutants  killed  timeout  survived  no tests  equivalent"
             f"   score  score without equivalent"]
    for module, c in rows + [("total", total)]:
        lines.append(f"{module:<{width}}  {c['total']:7d}  {c['killed']:6d}  {c['timeout']:7d}  "
                     f"{c['survived']:8d}  {c['no tests']:8d}  {c['equivalent']:10d}  "
                     f"{score(c):5.1f} %  {score_without(c):5.1f} %")
    table = "\n".join(lines)
    print(table)
    if total["not run"]:
        print(f"{total['not run']} mutants not run yet (the run stopped): not in the score")
    print(f"\nsurvivors: {(HERE / 'survivors').relative_to(ROOT)}/<group>.md")
    if total["total"] == 0 or any(c["total"] == 0 for _, c in rows):
        print("some module has no results: run the groups first")
        return 1
    return 0 if score(total) >= min_score else 1


def write_survivors(group: str, rows, total, survivors) -> None:
    out = [f"# Mutation testing: the `{group}` group's survivors", "",
           "Written by `python tests/mutation/run.py` (see its docstring and the README's "
           "Testing section); do not "
           "edit by hand. A killed or timed-out mutant counts as caught. \"no tests\": no "
           "test of the group calls the mutated function, so the mutant never ran (not "
           "caught). \"equivalent\" mutants (survivors or not run) are listed in "
           "`tests/mutation/equivalent.toml` with the reason they cannot change behaviour; "
           "they count against the score, and the last column leaves them out.", "",
           "| module | mutants | killed | timeout | survived | no tests | of which equivalent "
           "| score | score without equivalent |",
           "| --- | ---: | ---: | ---: | ---: | ---: | ---: | ---: | ---: |"]
    for module, c in rows + [("**total**", total)]:
        out.append(f"| {module} | {c['total']} | {c['killed']} | {c['timeout']} | "
                   f"{c['survived']} | {c['no tests']} | {c['equivalent']} | {score(c):.1f} % | "
                   f"{score_without(c):.1f} % |")
    if total["not run"]:
        out += ["", f"{total['not run']} mutants were not run (the run stopped before them) "
                "and are not in the table."]
    modules = {m for m, _ in rows}
    skipped = [e for e in load_config()["run"].get("not_mutated", [])
               if e["function"].split(":")[0] in modules]
    if skipped:
        out += ["", "Not mutated (code that runs only at import time, where mutmut cannot "
                "switch a mutant on):", ""]
        out += [f"- `{e['function']}`: {e['reason']}" for e in skipped]
    out += ["", f"## Survivors ({len(survivors)})", ""]
    if not survivors:
        out.append("None.")
    for module, mutant, status, diff, reason in survivors:
        out += [f"### `{mutant}` ({status})", "",
                f"Equivalent: {reason}" if reason else "Not explained yet: add a test that "
                "kills it, or an entry in `equivalent.toml`.", "",
                "```diff", diff.strip(), "```", ""]
    folder = HERE / "survivors"
    folder.mkdir(exist_ok=True)
    (folder / f"{group}.md").write_text("\n".join(out))


def main(argv=None) -> int:
    argv = sys.argv[1:] if argv is None else argv
    if argv and argv[0] == "_mutmut":
        mutmut_main(argv[1:])
        return 0
    if argv and argv[0] == "_diffs":
        diffs_main(argv[1:])
        return 0
    config = load_config()
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--group", action="append", choices=sorted(config["groups"]),
                        help="run only this group (repeatable); default: all")
    parser.add_argument("--jobs", type=int, default=os.cpu_count() or 2,
                        help="mutants tried at once (default: the number of CPUs)")
    parser.add_argument("--fresh", action="store_true", help="forget earlier results")
    parser.add_argument("--retry", action="store_true",
                        help="only try the survivors, mutants without tests and timeouts "
                             "again (after adding tests), not the mutants not run yet")
    parser.add_argument("--report", action="store_true",
                        help="do not run mutmut, only report the results so far")
    parser.add_argument("--rerun-equivalent", action="store_true",
                        help="also run the mutants explained in equivalent.toml (by default "
                             "they are skipped and counted as surviving equivalents)")
    parser.add_argument("--min-score", type=float, default=95.0)
    args = parser.parse_args(argv)
    if args.rerun_equivalent:
        os.environ["TVIPS_MUTATION_RERUN_EQUIVALENT"] = "1"
    names = args.group or list(config["groups"])
    common = config["run"].get("common_tests", [])
    missing = [t for n in names for t in config["groups"][n]["tests"] + common
               if not (ROOT / t.split("::")[0]).exists()]
    if missing:
        parser.error(f"test files in config.toml that do not exist: {missing}")
    if not args.report and not (ROOT / "node_modules").is_dir():
        parser.error("node_modules/ is missing: run `npm ci` first (the tests compare the "
                     "readers with the Kaitai JavaScript one)")
    if not args.report:
        for name in names:
            run_group(name, config["groups"][name], common, config["run"], args.jobs,
                      args.fresh, args.retry)
    return report(config, list(config["groups"]) if args.report and not args.group
                  else names, args.min_score)


if __name__ == "__main__":
    sys.exit(main())
