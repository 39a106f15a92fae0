#!/usr/bin/env python3
"""Independent Llama/Qwen2 forward for parity tests: plain torch, written from the transformers modeling code's math.

usage: llama_forward.py CHECKPOINT_FOLDER IDS_JSON OUT_F32
  IDS_JSON: [[id, ...], ...] (equal lengths, no padding). Writes logits (B, T, V) float32 little-endian to OUT_F32.
Reads config.json and model.safetensors with struct + json only (no safetensors / transformers package needed).
"""
import json, math, struct, sys
import torch

def load_safetensors(path):
    with open(path, "rb") as f:
        n = struct.unpack("<Q", f.read(8))[0]
        header = json.loads(f.read(n))
        data = f.read()
    dtypes = {"F32": torch.float32, "BF16": torch.bfloat16, "F16": torch.float16}
    out = {}
    for name, e in header.items():
        if name == "__metadata__":
            continue
        b, end = e["data_offsets"]
        t = torch.frombuffer(bytearray(data[b:end]), dtype=dtypes[e["dtype"]]).reshape(e["shape"])
        out[name] = t.float()
    return out

def rms(x, w, eps):
    return w * (x * torch.rsqrt(x.pow(2).mean(-1, keepdim=True) + eps))

def rotate_half(x):
    x1, x2 = x[..., : x.shape[-1] // 2], x[..., x.shape[-1] // 2 :]
    return torch.cat((-x2, x1), dim=-1)

def main(folder, ids_json, out_path):
    cfg = json.load(open(f"{folder}/config.json"))
    W = load_safetensors(f"{folder}/model.safetensors")
    ids = torch.tensor(json.load(open(ids_json)), dtype=torch.long)
    B, T = ids.shape
    E, H = cfg["hidden_size"], cfg["num_attention_heads"]
    G = cfg.get("num_key_value_heads", H)
    D = cfg.get("head_dim", E // H)
    eps, theta = cfg["rms_norm_eps"], cfg.get("rope_theta", 10000.0)
    bias = cfg.get("attention_bias", cfg["model_type"] == "qwen2")
    inv = 1.0 / (theta ** (torch.arange(0, D, 2, dtype=torch.int64).float() / D))
    pos = torch.arange(T).float()
    freqs = torch.outer(pos, inv)
    emb = torch.cat((freqs, freqs), dim=-1)
    cos, sin = emb.cos()[None, None], emb.sin()[None, None]
    mask = torch.full((T, T), float("-inf")).triu(1)
    h = W["model.embed_tokens.weight"][ids]
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        x = rms(h, W[p + "input_layernorm.weight"], eps)
        def proj(n):
            return torch.nn.functional.linear(x, W[p + f"self_attn.{n}.weight"], W.get(p + f"self_attn.{n}.bias") if bias else None)
        q = proj("q_proj").view(B, T, H, D).transpose(1, 2)
        k = proj("k_proj").view(B, T, G, D).transpose(1, 2)
        v = proj("v_proj").view(B, T, G, D).transpose(1, 2)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = k.repeat_interleave(H // G, dim=1)
        v = v.repeat_interleave(H // G, dim=1)
        a = torch.softmax(q @ k.transpose(-1, -2) / math.sqrt(D) + mask, dim=-1) @ v
        h = h + a.transpose(1, 2).reshape(B, T, H * D) @ W[p + "self_attn.o_proj.weight"].T
        x = rms(h, W[p + "post_attention_layernorm.weight"], eps)
        m = torch.nn.functional.silu(x @ W[p + "mlp.gate_proj.weight"].T) * (x @ W[p + "mlp.up_proj.weight"].T)
        h = h + m @ W[p + "mlp.down_proj.weight"].T
    h = rms(h, W["model.norm.weight"], eps)
    head = W.get("lm_head.weight", W["model.embed_tokens.weight"])
    logits = (h @ head.T).contiguous()
    with open(out_path, "wb") as f:
        f.write(logits.numpy().astype("<f4").tobytes())

if __name__ == "__main__":
    main(*sys.argv[1:4])
