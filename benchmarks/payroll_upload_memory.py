"""Peak memory of one payroll upload: how much the web tier's process grows while a ~100 MiB CSV streams to S3.

    uv run python benchmarks/payroll_upload_memory.py [--size-mib 100] [--runs 1]

S3 is moto's server in a child process on 127.0.0.1, so its copy of the object is not counted. Each measurement runs
in a fresh Python process that imports the app, makes its clients and does a small upload first (one-off costs), then
resets the kernel's peak-RSS mark (/proc/self/clear_refs) and calls the app's `upload()` with a request body that is
not seekable and arrives 64 KiB at a time, like a socket. It prints the peak RSS above the baseline for the app's
TransferConfig and, for comparison, for s3transfer's default of 10 parts in memory.

A script, not a test: it prints numbers and asserts nothing about them.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import threading
import uuid
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
APP_DIR = ROOT / "src" / "aws_compute_platform" / "beanstalk" / "app"
BUCKET = "payroll-benchmark"
HEADER = b"employee_id,employee_name,gross_pay,tax_withheld,net_pay\r\n"
MiB = 1024 * 1024


class SocketLikeBody:
    """`size` bytes of valid payroll rows, produced as they are read (never held whole), and not seekable."""

    def __init__(self, block: bytes, blocks: int) -> None:
        self._block = block
        self._left = blocks * len(block)
        self._offset = 0

    def read(self, size: int = -1) -> bytes:
        size = min(self._left, 64 * 1024 if size < 0 else size, 64 * 1024)
        out = bytearray()
        while len(out) < size:
            take = min(size - len(out), len(self._block) - self._offset)
            out += self._block[self._offset : self._offset + take]
            self._offset = (self._offset + take) % len(self._block)
        self._left -= size
        return bytes(out)

    def readline(self, size: int = -1) -> bytes:
        raise AssertionError("the header is read from a separate buffer in this benchmark")


def _rows_block() -> bytes:
    lines = (
        f"E-{i:06d},Employee {i:06d},{3000 + i}.25,{600 + i % 89}.05,{2400 + i - i % 89}.20\r\n" for i in range(900)
    )
    return "".join(lines).encode()


class _HeaderThenBody:
    def __init__(self, body: SocketLikeBody) -> None:
        self._header = HEADER
        self._body = body

    def readline(self, size: int = -1) -> bytes:
        line, self._header = self._header, b""
        return line

    def read(self, size: int = -1) -> bytes:
        return self._body.read(size)


def _status(field: str) -> int:
    """A VmRSS/VmHWM line of /proc/self/status, in bytes."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def measure(mode: str, size_mib: int) -> dict[str, Any]:
    """In this (fresh) process: one upload of about size_mib MiB; the peak RSS growth it caused."""
    sys.path.insert(0, str(APP_DIR))
    import application  # noqa: PLC0415 - imported after the path is set, in the child only
    import signin  # noqa: PLC0415 - likewise

    if mode == "s3transfer-default":
        application.TRANSFER.max_in_memory_upload_chunks = 10
    block = _rows_block()
    blocks = max(1, size_mib * MiB // len(block))

    def run(n_blocks: int) -> dict[str, Any]:
        length = len(HEADER) + n_blocks * len(block)
        environ = {
            "REQUEST_METHOD": "POST",
            "PATH_INFO": "/uploads",
            "CONTENT_TYPE": "text/csv",
            "CONTENT_LENGTH": str(length),
            "wsgi.input": _HeaderThenBody(SocketLikeBody(block, n_blocks)),
            # Signed in, as the web tier's sign-in check leaves it for every request it lets through.
            "payroll.user": signin.User(subject="benchmark", email="hr@example.com"),
        }
        status, answer = application.upload(environ)
        assert status.startswith("202"), (status, answer)
        return dict(answer)

    run(200)  # clients, imports, thread pools and a multipart upload: one-off costs, not the upload's
    baseline = _status("VmRSS")
    Path("/proc/self/clear_refs").write_text("5")  # resets VmHWM (peak RSS) to the current RSS
    answer = run(blocks)
    peak = _status("VmHWM")
    return {
        "mode": mode,
        "bytes": answer["bytes"],
        "partBytes": application.TRANSFER.multipart_chunksize,
        "partsInMemory": application.TRANSFER.max_in_memory_upload_chunks,
        "baselineRss": baseline,
        "peakRss": peak,
        "growth": peak - baseline,
    }


def _moto_server() -> tuple[subprocess.Popen[str], str]:
    server = subprocess.Popen(
        [sys.executable, "-m", "moto.server", "-H", "127.0.0.1", "-p", "0"],
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    assert server.stdout is not None
    for line in server.stdout:
        if "Running on http://" in line:
            threading.Thread(target=lambda: [None for _ in server.stdout or []], daemon=True).start()
            return server, line.split("Running on ", 1)[1].strip()
    raise RuntimeError("moto server did not start")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n", 1)[0])
    parser.add_argument("--size-mib", type=int, default=100)
    parser.add_argument("--runs", type=int, default=1, help="measurements per configuration")
    parser.add_argument("--child", choices=["app", "s3transfer-default"], help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        print(json.dumps(measure(args.child, args.size_mib)))
        return

    server, endpoint = _moto_server()
    try:
        import boto3  # noqa: PLC0415

        env = {
            **os.environ,
            "AWS_ENDPOINT_URL": endpoint,
            "AWS_ACCESS_KEY_ID": "testing",
            "AWS_SECRET_ACCESS_KEY": "testing",
            "AWS_DEFAULT_REGION": "us-east-1",
            "UPLOADS_BUCKET": BUCKET,
            "SENDER_EMAIL": "payroll@example.com",
            # Larger sizes than the deployed limit show whether the peak grows with the file (it should not).
            "MAX_UPLOAD_BYTES": str(max(args.size_mib + 1, 100) * MiB),
        }
        os.environ.update({k: env[k] for k in ("AWS_ENDPOINT_URL", "AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY")})
        os.environ["AWS_DEFAULT_REGION"] = "us-east-1"
        boto3.client("s3").create_bucket(Bucket=BUCKET)
        env["JOBS_QUEUE_URL"] = boto3.client("sqs").create_queue(QueueName=f"jobs-{uuid.uuid4().hex[:8]}")["QueueUrl"]
        print(f"{'configuration':<22} {'upload':>10} {'parts':>12} {'peak RSS growth':>16}")
        growth: dict[str, float] = {}
        for mode in ("app", "s3transfer-default"):
            for _ in range(args.runs):
                child = subprocess.run(
                    [sys.executable, __file__, "--child", mode, "--size-mib", str(args.size_mib)],
                    env=env,
                    capture_output=True,
                    text=True,
                    check=False,
                )
                if child.returncode:
                    sys.exit(f"the {mode} measurement failed:\n{child.stderr}")
                result = json.loads(child.stdout.strip().splitlines()[-1])
                parts = f"{result['partsInMemory']} x {result['partBytes'] // MiB} MiB"
                print(f"{mode:<22} {result['bytes'] / MiB:>6.1f} MiB {parts:>12} {result['growth'] / MiB:>12.1f} MiB")
                growth[f"{mode}_peak_growth_mib"] = max(growth.get(mode, 0.0), result["growth"] / MiB)
        # The figures as one JSON object on the last line, for `python -m benchmarks`.
        print(json.dumps(growth))
    finally:
        server.terminate()
        server.wait(timeout=10)


if __name__ == "__main__":
    main()
