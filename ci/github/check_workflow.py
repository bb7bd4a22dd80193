#!/usr/bin/python3
"""Validates ci/github/bench-gate.yml, which cannot run here: it must parse as YAML, run on pull
requests, keep its logic in the project's scripts (every `run` is one `bash scripts/...` line naming a
script that exists), answer on the pull request (scripts/ci-pr-comment, skipped on forks), split the release suite over a matrix whose shards 1..N match the N it passes to
scripts/ci-release-shard, and join the shards' artifacts in a job that needs them.
Usage: check_workflow.py WORKFLOW.yml [PROJECT_ROOT]  -> exit 0, or 1 with one line per problem."""
import os
import re
import sys

import yaml  # Debian: python3-yaml (scripts/setup installs it)


def problems_of(path, root):
    try:
        with open(path, encoding="utf-8") as f:
            doc = yaml.safe_load(f)
    except (OSError, yaml.YAMLError) as e:
        return [f"{path}: not valid YAML: {e}".replace("\n", " ")]
    out = []
    if not isinstance(doc, dict):
        return [f"{path}: the workflow is not a mapping"]
    triggers = doc.get("on", doc.get(True))  # YAML 1.1 reads a bare `on` key as true
    if not (isinstance(triggers, dict) and "pull_request" in triggers) and triggers != "pull_request":
        out.append(f"{path}: $.on: must run on pull_request")
    jobs = doc.get("jobs")
    if not isinstance(jobs, dict):
        return out + [f"{path}: $.jobs: missing"]
    shards_env = str(doc.get("env", {}).get("RELEASE_SHARDS", ""))
    for name, job in jobs.items():
        where = f"{path}: $.jobs.{name}"
        if not isinstance(job, dict) or "runs-on" not in job or not isinstance(job.get("steps"), list):
            out.append(f"{where}: needs runs-on and steps")
            continue
        for i, step in enumerate(job["steps"]):
            if "uses" in step and not re.match(r"^actions/[a-z-]+@v\d+$", str(step["uses"])):
                out.append(f"{where}.steps[{i}].uses: only pinned actions/* steps ({step['uses']})")
            if "run" not in step:
                continue
            run = str(step["run"]).strip()
            plain = re.sub(r"\$\{\{ [A-Za-z_.]+ \}\}", "EXPR", run)  # workflow expressions are plain arguments
            m = re.match(r"^bash (scripts/[A-Za-z0-9_.-]+)( [A-Za-z0-9_./=:-]+)*$", plain)
            if "\n" in run or not m:
                out.append(f"{where}.steps[{i}].run: logic belongs in scripts/: expected one 'bash scripts/NAME ARGS' line, got {run!r}")
                continue
            if not os.path.isfile(os.path.join(root, m.group(1))):
                out.append(f"{where}.steps[{i}].run: {m.group(1)} does not exist")
    gate = jobs.get("gate", {})
    if not any("scripts/ci-gate" in str(s.get("run", "")) for s in gate.get("steps", [])):
        out.append(f"{path}: $.jobs.gate: must run scripts/ci-gate (tests + scripts/gate)")
    comment = [s for s in gate.get("steps", []) if "scripts/ci-pr-comment" in str(s.get("run", ""))]
    if not comment:
        out.append(f"{path}: $.jobs.gate: must answer on the pull request (scripts/ci-pr-comment)")
    elif "head.repo.full_name == github.repository" not in str(comment[0].get("if", "")):
        out.append(f"{path}: $.jobs.gate: the pull-request comment must be skipped on forks (if: head.repo.full_name == github.repository)")
    elif gate.get("permissions", {}).get("pull-requests") != "write":
        out.append(f"{path}: $.jobs.gate.permissions: pull-requests: write is needed for the comment")
    shard_job = jobs.get("release-shard", {})
    matrix = shard_job.get("strategy", {}).get("matrix", {}).get("shard")
    if not shards_env.isdigit() or int(shards_env) < 2:
        out.append(f"{path}: $.env.RELEASE_SHARDS: the number of release shards (>= 2)")
    elif matrix != list(range(1, int(shards_env) + 1)):
        out.append(f"{path}: $.jobs.release-shard.strategy.matrix.shard: must be 1..{shards_env}, got {matrix}")
    runs = [str(s.get("run", "")) for s in shard_job.get("steps", [])]
    if not any(r.startswith("bash scripts/ci-release-shard ${{ matrix.shard }} ${{ env.RELEASE_SHARDS }}") for r in runs):
        out.append(f"{path}: $.jobs.release-shard: must run scripts/ci-release-shard ${{{{ matrix.shard }}}} ${{{{ env.RELEASE_SHARDS }}}}")
    join = jobs.get("release-join", {})
    needs = join.get("needs", [])
    if "release-shard" not in ([needs] if isinstance(needs, str) else needs):
        out.append(f"{path}: $.jobs.release-join.needs: must wait for release-shard")
    if not any("scripts/ci-release-join" in str(s.get("run", "")) for s in join.get("steps", [])):
        out.append(f"{path}: $.jobs.release-join: must run scripts/ci-release-join (bench-all merge)")
    uploads = [s.get("with", {}).get("name", "") for s in shard_job.get("steps", []) if "upload-artifact" in str(s.get("uses", ""))]
    patterns = [s.get("with", {}).get("pattern", "") for s in join.get("steps", []) if "download-artifact" in str(s.get("uses", ""))]
    if not uploads or not patterns or not any(u.startswith(p.rstrip("*")) for u in uploads for p in patterns):
        out.append(f"{path}: the join's download-artifact pattern must match the shards' upload-artifact names")
    return out


def main():
    if len(sys.argv) not in (2, 3):
        print(__doc__.strip().splitlines()[-1], file=sys.stderr)
        return 2
    root = sys.argv[2] if len(sys.argv) == 3 else os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..")
    problems = problems_of(sys.argv[1], root)
    for p in problems:
        print(p)
    if not problems:
        print(f"{sys.argv[1]}: ok")
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main())
