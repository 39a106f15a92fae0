"""Baseline for benchmarks/DpoStepBench.cs: a plain PyTorch-eager DPO training step, written for the comparison.

Usage: /usr/bin/python3 dpo_step.py THREADS PRESET PAIRS SEQ DTYPE STEPS
  PRESET: tiny | llama-125m (shapes as train/Model/Presets.cs); DTYPE: float32 | bfloat16 (CPU autocast).
Prints one JSON line: {"step_s": median seconds per step, "peak_rss_mb": VmHWM during the timed steps, "rss_at_reset_mb", "threads": n,
"loss0": first step's loss}.
What a step is (the same algorithm as the C# "same algorithm" variant, and as TRL does it): policy and a frozen
reference copy; chosen and rejected concatenated into one 2B-row forward of SEQ tokens each (prompt SEQ/2, completion
SEQ/2); full (2B, T, V) logits, log_softmax in float32, gather, masked sum (summed log-probs); reference forward under
no_grad; DPO sigmoid loss (beta 0.1); backward; AdamW step. Weights float32; bf16 via torch.autocast("cpu").
Peak RSS: after the warm-up step, malloc_trim(0) then /proc/self/clear_refs "5" resets VmHWM, so the figure is the
process's peak during the timed steps; rss_at_reset_mb is the RSS at that moment (interpreter, torch, weights, AdamW state).
"""
import copy, ctypes, json, math, statistics, sys, time
import torch
import torch.nn as nn
import torch.nn.functional as F

PRESETS = {
    "tiny": dict(E=256, F=768, L=4, H=4, G=2, D=64, V=4096, eps=1e-6, theta=10000.0, tied=True),
    "llama-125m": dict(E=768, F=2048, L=12, H=12, G=4, D=64, V=32000, eps=1e-5, theta=10000.0, tied=False),
}

class Rms(nn.Module):
    def __init__(self, n, eps):
        super().__init__(); self.w = nn.Parameter(torch.ones(n)); self.eps = eps
    def forward(self, x):
        xf = x.float()
        return self.w * (xf * torch.rsqrt(xf.pow(2).mean(-1, keepdim=True) + self.eps)).to(self.w.dtype)

def rotate_half(x):
    h = x.shape[-1] // 2
    return torch.cat((-x[..., h:], x[..., :h]), dim=-1)

class Block(nn.Module):
    def __init__(s, c):
        super().__init__()
        E, H, G, D, Fd = c["E"], c["H"], c["G"], c["D"], c["F"]
        s.c = c
        s.n1, s.n2 = Rms(E, c["eps"]), Rms(E, c["eps"])
        s.q, s.k, s.v = nn.Linear(E, H * D, bias=False), nn.Linear(E, G * D, bias=False), nn.Linear(E, G * D, bias=False)
        s.o = nn.Linear(H * D, E, bias=False)
        s.gate, s.up, s.down = nn.Linear(E, Fd, bias=False), nn.Linear(E, Fd, bias=False), nn.Linear(Fd, E, bias=False)
    def forward(s, h, cos, sin, mask):
        c = s.c; B, T, _ = h.shape
        x = s.n1(h)
        q = s.q(x).view(B, T, c["H"], c["D"]).transpose(1, 2)
        k = s.k(x).view(B, T, c["G"], c["D"]).transpose(1, 2)
        v = s.v(x).view(B, T, c["G"], c["D"]).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        r = c["H"] // c["G"]
        k, v = k.repeat_interleave(r, 1), v.repeat_interleave(r, 1)
        att = (q @ k.transpose(-2, -1)).float() / math.sqrt(c["D"]) + mask
        o = (att.softmax(-1).to(v.dtype) @ v).transpose(1, 2).reshape(B, T, -1)
        h = h + s.o(o)
        x = s.n2(h)
        return h + s.down(F.silu(s.gate(x)) * s.up(x))

class Llama(nn.Module):
    def __init__(s, c):
        super().__init__()
        s.c = c
        s.emb = nn.Embedding(c["V"], c["E"])
        s.layers = nn.ModuleList([Block(c) for _ in range(c["L"])])
        s.norm = Rms(c["E"], c["eps"])
        s.head = None if c["tied"] else nn.Linear(c["E"], c["V"], bias=False)
        for p in s.parameters():
            if p.dim() == 2: nn.init.normal_(p, std=0.02)
    def forward(s, ids):
        c = s.c; B, T = ids.shape
        inv = 1.0 / (c["theta"] ** (torch.arange(0, c["D"], 2).float() / c["D"]))
        f = torch.outer(torch.arange(T).float(), inv)
        emb = torch.cat((f, f), -1)
        cos, sin = emb.cos()[None, None], emb.sin()[None, None]
        mask = torch.full((T, T), float("-inf")).triu(1)
        h = s.emb(ids)
        for l in s.layers: h = l(h, cos, sin, mask)
        h = s.norm(h)
        return F.linear(h, s.emb.weight) if s.head is None else s.head(h)

def logps(model, ids, labels):
    logits = model(ids)[:, :-1].float()                        # (2B, T-1, V): all positions, as TRL computes them
    lp = logits.log_softmax(-1)
    y = labels[:, 1:]
    m = y != -100
    tok = lp.gather(-1, y.clamp(min=0).unsqueeze(-1)).squeeze(-1)
    return (tok * m).sum(-1)

def status_mb(key):
    for line in open("/proc/self/status"):
        if line.startswith(key): return int(line.split()[1]) / 1024
    return float("nan")

def main():
    threads, preset, pairs, seq, dtype, steps = int(sys.argv[1]), sys.argv[2], int(sys.argv[3]), int(sys.argv[4]), sys.argv[5], int(sys.argv[6])
    torch.set_num_threads(threads)
    torch.manual_seed(0)
    c = PRESETS[preset]
    policy = Llama(c)
    ref = copy.deepcopy(policy).requires_grad_(False)
    opt = torch.optim.AdamW(policy.parameters(), lr=1e-6, weight_decay=0.0)
    g = torch.Generator().manual_seed(1)
    ids = torch.randint(1, c["V"], (2 * pairs, seq), generator=g)
    ids[pairs:, : seq // 2] = ids[:pairs, : seq // 2]         # same prompt for chosen and rejected
    labels = ids.clone(); labels[:, : seq // 2] = -100
    ac = dtype == "bfloat16"

    def step():
        opt.zero_grad(set_to_none=True)
        with torch.autocast("cpu", dtype=torch.bfloat16, enabled=ac):
            with torch.no_grad():
                r = logps(ref, ids, labels)
            p = logps(policy, ids, labels)
            z = 0.1 * ((p[:pairs] - r[:pairs]) - (p[pairs:] - r[pairs:]))
            loss = -F.logsigmoid(z).mean()
        loss.backward()
        opt.step()
        return loss.item()

    loss0 = step()                                             # warm-up (allocates AdamW state)
    ctypes.CDLL("libc.so.6").malloc_trim(0)
    with open("/proc/self/clear_refs", "w") as f: f.write("5")
    rss_at_reset = status_mb("VmRSS:")
    times = []
    for _ in range(steps):
        t0 = time.perf_counter(); step(); times.append(time.perf_counter() - t0)
    print(json.dumps({"step_s": statistics.median(times), "peak_rss_mb": status_mb("VmHWM:"), "rss_at_reset_mb": rss_at_reset, "threads": torch.get_num_threads(), "loss0": loss0}))

if __name__ == "__main__":
    main()
