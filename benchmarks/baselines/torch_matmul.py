"""Baseline for benchmarks/TorchBench.cs: the same measurements in Python on Debian's python3-torch (the same libtorch).

Usage: /usr/bin/python3 torch_matmul.py THREADS REPS
Prints one JSON line: {"matmul": {"float32_1024": gflops, ...}, "add_ns": ns, "threads": n, "torch": version}.
Method (mirrored in TorchBench.cs): warm up for 0.5 s, then the median over REPS repetitions; each repetition times enough
matmuls to take ~0.2 s; the tiny-op figure is the median over REPS of the mean time of 20,000 `a + b` on 1-element tensors.
"""
import json
import statistics
import sys
import time

import torch

threads, reps = int(sys.argv[1]), int(sys.argv[2])
torch.set_num_threads(threads)
torch.manual_seed(0)


def matmul_gflops(n, dtype):
    a = torch.randn(n, n).to(dtype)
    b = torch.randn(n, n).to(dtype)
    t0 = time.perf_counter()
    while time.perf_counter() - t0 < 0.5:  # warm up: threads, caches, clocks (as TorchBench.cs)
        torch.matmul(a, b)
    t0 = time.perf_counter()
    torch.matmul(a, b)
    per = max(time.perf_counter() - t0, 1e-6)
    inner = max(1, int(0.2 / per))
    rates = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(inner):
            torch.matmul(a, b)
        dt = time.perf_counter() - t0
        rates.append(2.0 * n ** 3 * inner / dt / 1e9)
    return statistics.median(rates)


def add_ns():
    a = torch.ones(1)
    b = torch.ones(1)
    n = 20_000
    for _ in range(n):
        c = a + b
    times = []
    for _ in range(reps):
        t0 = time.perf_counter()
        for _ in range(n):
            c = a + b
        times.append((time.perf_counter() - t0) / n * 1e9)
    del c
    return statistics.median(times)


result = {"matmul": {}, "threads": torch.get_num_threads(), "torch": torch.__version__}
for dtype, name in ((torch.float32, "float32"), (torch.bfloat16, "bfloat16")):
    for n in (1024, 2048):
        result["matmul"][f"{name}_{n}"] = matmul_gflops(n, dtype)
result["add_ns"] = add_ns()
print(json.dumps(result))
