"""Cold start of the API function (issue 12). ``python bench/bench_cold_start.py`` (or ``make bench``);
writes bench/results/cold_start.md. Needs ``make package STAGE=prod`` first (reads build/prod/deployment.zip).

Lambda unpacks the package into a read-only /var/task: no ``.pyc`` can be written there, so
every cold start compiles whatever the zip does not carry compiled. boto3/botocore come
from the runtime, precompiled. This benchmark unpacks deployment.zip into a temporary
directory without any ``.pyc``, and times, in fresh interpreters with bytecode writing
off (``-B``) and the prod stage's environment, interleaved run by run:

- ``baseline``: ``import chalice, boto3`` (boto3 from the environment, precompiled, as on Lambda);
- ``package, sources only``: ``import app`` from the unpacked package with every ``.pyc`` removed;
- ``package as shipped``: the same with the ``__pycache__`` (``unchecked-hash``) that
  ``make package`` compiles into the zip (infra/slim_zip.py, which also drops the copy of
  botocore that would shadow the runtime's);
- ``as shipped + first request``: the same, then one ``GET /health`` through the handler
  (not the issue's measure: it shows what the lazily loaded route modules cost when the
  first request arrives: routing, pydantic, the JWT library, the route's module);

and reports the median of N runs (``BENCH_REPEAT``, default 15) of each. Wall time of the
whole interpreter run, interpreter start included in every column alike.
"""

from __future__ import annotations

import os
import platform
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from infra.build import stage_environment

REPEAT = int(os.environ.get("BENCH_REPEAT", "15"))
ZIP = Path(os.environ.get("BENCH_ZIP", ROOT / "build" / "prod" / "deployment.zip"))
RESULT = ROOT / "bench" / "results" / "cold_start.md"
# `import app`, then one request through the Lambda handler, as API Gateway would send it.
FIRST_REQUEST = """
import app
from types import SimpleNamespace
event = {"resource": "/health", "path": "/health", "httpMethod": "GET", "headers": {}, "multiValueHeaders": {},
         "queryStringParameters": None, "multiValueQueryStringParameters": None, "pathParameters": None,
         "stageVariables": None, "body": None, "isBase64Encoded": False,
         "requestContext": {"resourcePath": "/health", "httpMethod": "GET", "requestId": "bench", "path": "/health"}}
context = SimpleNamespace(function_name="api_handler", memory_limit_in_mb=512, aws_request_id="bench",
                          invoked_function_arn="arn:aws-cn:lambda:cn-north-1:123456789012:function:api_handler")
assert app.app(event, context)["statusCode"] == 200
"""


def unpack(target: Path, *, with_bytecode: bool) -> Path:
    with zipfile.ZipFile(ZIP) as z:
        for name in z.namelist():
            if not with_bytecode and ("__pycache__/" in name or name.endswith(".pyc")):
                continue
            z.extract(name, target)
    return target


def timed(code: str, path: Path | None, env: dict[str, str]) -> tuple[float, float]:
    """(CPU seconds, wall seconds) of one fresh interpreter running ``code``."""
    run_env = dict(env)
    if path is not None:
        run_env["PYTHONPATH"] = str(path)  # ahead of the environment's site-packages (boto3, as on Lambda)
    before = resource.getrusage(resource.RUSAGE_CHILDREN)
    started = time.perf_counter()
    subprocess.run([sys.executable, "-B", "-c", code], check=True, env=run_env, cwd=path or tempfile.gettempdir())
    wall = time.perf_counter() - started
    after = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (after.ru_utime - before.ru_utime) + (after.ru_stime - before.ru_stime), wall


def main() -> int:
    if not ZIP.exists():
        print(f"{ZIP} is missing: run `make package STAGE=prod` first", file=sys.stderr)
        return 2
    env = {k: v for k, v in os.environ.items() if not k.startswith(("GONGYI_", "AWS_", "POWERTOOLS_", "PYTHON"))}
    env.update(stage_environment("prod"))
    env.update({"AWS_DEFAULT_REGION": "cn-north-1", "AWS_ACCESS_KEY_ID": "bench", "AWS_SECRET_ACCESS_KEY": "bench"})
    work = Path(tempfile.mkdtemp(prefix="gongyi-cold-"))
    try:
        plain = unpack(work / "plain", with_bytecode=False)
        shipped = unpack(work / "shipped", with_bytecode=True)
        assert not list(plain.rglob("*.pyc"))
        runs: dict[str, list[tuple[float, float]]] = {
            "baseline": [],
            "package, sources only": [],
            "package as shipped": [],
            "as shipped + first request (`GET /health`)": [],
        }
        for _ in range(REPEAT):
            runs["baseline"].append(timed("import chalice, boto3", None, env))
            runs["package, sources only"].append(timed("import app", plain, env))
            runs["package as shipped"].append(timed("import app", shipped, env))
            runs["as shipped + first request (`GET /health`)"].append(timed(FIRST_REQUEST, shipped, env))
    finally:
        shutil.rmtree(work, ignore_errors=True)
    base_cpu = statistics.median(cpu for cpu, _ in runs["baseline"])
    base_wall = statistics.median(wall for _, wall in runs["baseline"])
    lines = [
        "# Cold start: `import app` of the API function",
        "",
        "Written by `python bench/bench_cold_start.py` (see its docstring). "
        f"{REPEAT} interleaved runs each, fresh interpreter, `-B`, prod stage environment; "
        f"Python {platform.python_version()} on {platform.machine()}, {os.cpu_count()} CPUs "
        f"(load average at the end {os.getloadavg()[0]:.1f}: other work shares this machine, so the CPU "
        "time of the interpreter (user + system) is the steadier figure; wall time is shown beside it).",
        "",
        "| run | median CPU s | × baseline (CPU) | median wall s | min wall s | × baseline (wall) |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for name, values in runs.items():
        cpu = statistics.median(c for c, _ in values)
        wall = statistics.median(w for _, w in values)
        lines.append(
            f"| {name} | {cpu:.3f} | {cpu / base_cpu:.2f} | {wall:.3f} | {min(w for _, w in values):.3f} "
            f"| {wall / base_wall:.2f} |"
        )
    lines.append("")
    RESULT.write_text("\n".join(lines))
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
