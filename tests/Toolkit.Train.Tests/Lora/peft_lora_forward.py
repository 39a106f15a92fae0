#!/usr/bin/env python3
"""Independent check of a PEFT-layout LoRA adapter: apply it to a base checkpoint by PEFT's conventions, then run the
plain-torch forward of tests/oracles/llama_forward.py.

usage: peft_lora_forward.py BASE_FOLDER ADAPTER_FOLDER IDS_JSON OUT_F32
PEFT's conventions, written here from its documentation and save format (not from the C# code):
  - adapter_model.safetensors keys are 'base_model.model.' + module + '.lora_A.weight' / '.lora_B.weight'
  - lora_A.weight is (r, in), lora_B.weight is (out, r); the update of module.weight (out, in) is scaling * B @ A
  - scaling = lora_alpha / r, or lora_alpha / sqrt(r) when use_rslora
With lora_dropout inactive (eval), W x + scaling * B A x == (W + scaling * B A) x, so the merged forward is the adapted one.
"""
import json, math, os, sys

sys.path.insert(0, os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", "..", "oracles"))
import llama_forward as lf  # noqa: E402

PREFIX = "base_model.model."

def main(base, adapter, ids_json, out_path):
    cfg = json.load(open(os.path.join(adapter, "adapter_config.json")))
    assert cfg["peft_type"] == "LORA", cfg["peft_type"]
    r, alpha = cfg["r"], cfg["lora_alpha"]
    scaling = alpha / math.sqrt(r) if cfg.get("use_rslora", False) else alpha / r
    lora = lf.load_safetensors(os.path.join(adapter, "adapter_model.safetensors"))
    load_base = lf.load_safetensors

    def load_adapted(path):
        W = load_base(path)
        for key, a in lora.items():
            if not key.endswith(".lora_A.weight"):
                continue
            assert key.startswith(PREFIX), f"key {key} lacks PEFT's prefix {PREFIX}"
            module = key[len(PREFIX):-len(".lora_A.weight")]
            b = lora[PREFIX + module + ".lora_B.weight"]
            w = W[module + ".weight"]
            assert a.shape == (r, w.shape[1]) and b.shape == (w.shape[0], r), (key, a.shape, b.shape, w.shape)
            W[module + ".weight"] = w + scaling * (b @ a)
        return W

    lf.load_safetensors = load_adapted
    lf.main(base, ids_json, out_path)

if __name__ == "__main__":
    main(*sys.argv[1:5])
