"""Post-process ``chalice package``'s deployment.zip for cold starts.

1. Drop the distributions Lambda's Python runtime already provides, precompiled
   (boto3/botocore and their dependencies). Chalice packages botocore because
   PynamoDB depends on it: 30 MB of sources that, first on ``sys.path`` in
   /var/task, shadow the runtime's compiled copy and are compiled at every cold start.
2. Ship bytecode: /var/task is read-only, so Python cannot cache what it compiles.
   ``__pycache__/*.pyc`` in ``unchecked-hash`` mode are used whatever the files' times
   are after unpacking. Compiled only when this interpreter's version is the runtime's.

``python -m infra.slim_zip build/prod/deployment.zip [--runtime python3.11]``
"""

from __future__ import annotations

import argparse
import importlib.util
import io
import json
import marshal
import sys
import zipfile
from pathlib import Path, PurePosixPath

# What the Lambda Python runtimes install next to boto3 (importable from /var/runtime).
RUNTIME_PROVIDED = ("boto3", "botocore", "s3transfer", "jmespath", "urllib3", "python_dateutil", "six")


def _dist_name(dist_info: str) -> str:
    return dist_info.split("-", 1)[0].lower().replace(".", "_")


def slim(zip_path: str, runtime: str) -> dict[str, int]:
    with zipfile.ZipFile(zip_path) as z:
        infos = z.infolist()
        payload = {info.filename: z.read(info.filename) for info in infos}
    dropped: set[str] = set()
    for name in list(payload):
        top = name.split("/", 1)[0]
        if top.endswith((".dist-info", ".data")) and name.endswith("RECORD") and _dist_name(top) in RUNTIME_PROVIDED:
            for line in payload[name].decode().splitlines():
                path = line.rsplit(",", 2)[0]
                if path and not path.startswith(".."):
                    dropped.add(path)
            dropped.update(n for n in payload if n.startswith(top + "/"))
    for name in list(payload):
        top = name.split("/", 1)[0]
        if _dist_name(top) in RUNTIME_PROVIDED and top.endswith((".dist-info", ".data")):
            dropped.add(name)
    kept = [i for i in infos if i.filename not in dropped and "__pycache__/" not in i.filename]
    version = f"python{sys.version_info.major}.{sys.version_info.minor}"
    compiled = 0
    with zipfile.ZipFile(zip_path, "w", zipfile.ZIP_DEFLATED) as out:
        for info in kept:
            out.writestr(info, payload[info.filename])
        if version == runtime:
            for info in kept:
                if not info.filename.endswith(".py"):
                    continue
                try:
                    code = compile(payload[info.filename], info.filename, "exec", dont_inherit=True)
                except SyntaxError:
                    continue  # e.g. templates named .py; Python would fail on them too
                source_hash = importlib.util.source_hash(payload[info.filename])
                data = io.BytesIO()
                data.write(importlib.util.MAGIC_NUMBER)
                data.write((0b01).to_bytes(4, "little"))  # hash-based, unchecked
                data.write(source_hash)
                data.write(marshal.dumps(code))
                source = PurePosixPath(info.filename)
                tag = sys.implementation.cache_tag
                pyc = zipfile.ZipInfo(
                    str(source.parent / "__pycache__" / f"{source.stem}.{tag}.pyc"), (1980, 1, 1, 0, 0, 0)
                )
                pyc.external_attr = 0o644 << 16
                pyc.compress_type = zipfile.ZIP_DEFLATED
                out.writestr(pyc, data.getvalue())
                compiled += 1
    return {"dropped": len(dropped), "compiled": compiled}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("zip")
    parser.add_argument("--runtime", help="the functions' runtime (default: read from sam.json next to the zip)")
    args = parser.parse_args(argv)
    if not args.runtime:
        template = json.loads((Path(args.zip).parent / "sam.json").read_text())
        runtimes = {
            r["Properties"]["Runtime"]
            for r in template["Resources"].values()
            if r["Type"] == "AWS::Serverless::Function"
        }
        (args.runtime,) = runtimes
    counts = slim(args.zip, args.runtime)
    note = "" if counts["compiled"] else f" (no bytecode: this is not {args.runtime})"
    print(
        f"{args.zip}: dropped {counts['dropped']} runtime-provided files, compiled {counts['compiled']} modules{note}"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
