#!/usr/bin/env python3
"""Independent preference-loss oracle: each loss written the way TRL writes it (dpo_trainer / cpo_trainer / orpo_trainer
/ kto_trainer), in float64 with torch autograd, for the C# loss tests.

usage: losses.py IN_JSON OUT_JSON
  IN_JSON: {"cases": [{"name", "losses": ["sigmoid", ...], "weights": [..] | null, "beta", "label_smoothing",
            "simpo_gamma", "reduction": "sum" | "mean" | null, "desirable_weight", "undesirable_weight", "vocab",
            "chosen_sum", "chosen_count", "rejected_sum", "rejected_count", "ref_chosen", "ref_rejected",
            "chosen_logits_sum", "rejected_logits_sum"}]}            (paired)
           or with "losses": ["kto"]: "sum", "count", "ref", "kl_sum", "kl_count", "ref_kl", "desirable", "logits_sum"
  OUT_JSON: {"cases": [{"name", "loss", "metrics": {...}, "grad": {"chosen_sum": [..], "rejected_sum": [..]} | {"sum": [..]}}]}
"""
import json, math, sys
import torch
import torch.nn.functional as F

D = torch.float64

def t(x):
    return torch.tensor(x, dtype=D)

def paired(c):
    beta, eps, gamma = c["beta"], c["label_smoothing"], c["simpo_gamma"]
    cs = t(c["chosen_sum"]).requires_grad_()
    rs = t(c["rejected_sum"]).requires_grad_()
    cn, rn = t(c["chosen_count"]), t(c["rejected_count"])
    ref_c = t(c["ref_chosen"]) if c.get("ref_chosen") is not None else None
    ref_r = t(c["ref_rejected"]) if c.get("ref_rejected") is not None else None
    weights = c["weights"] or [1.0] * len(c["losses"])

    def red_for(kind):
        if c["reduction"] is not None:
            return c["reduction"]
        return "mean" if kind in ("simpo", "orpo") else "sum"

    def logps(kind):
        if red_for(kind) == "mean":
            return cs / cn, rs / rn
        return cs, rs

    def refs(kind):
        if red_for(kind) == "mean":
            return ref_c / cn, ref_r / rn
        return ref_c, ref_r

    # token-mean NLL over every chosen completion token (cross_entropy with ignore_index, mean reduction)
    nll = -cs.sum() / cn.sum()
    metrics = {}
    total = torch.zeros((), dtype=D)
    for kind, w in zip(c["losses"], weights):
        if kind == "sft":
            L = nll
            metrics["nll_loss"] = nll.item()
        elif kind in ("sigmoid", "robust", "hinge"):
            pc, pr = logps(kind)
            qc, qr = refs(kind)
            logits = (pc - pr) - (qc - qr)
            if kind == "sigmoid":
                losses = -F.logsigmoid(beta * logits) * (1 - eps) - F.logsigmoid(-beta * logits) * eps
            elif kind == "robust":
                losses = (-F.logsigmoid(beta * logits) * (1 - eps) + F.logsigmoid(-beta * logits) * eps) / (1 - 2 * eps)
            else:
                losses = torch.relu(1 - beta * logits)
            L = losses.mean()
        elif kind == "ipo":
            logits = (cs / cn - rs / rn) - (ref_c / cn - ref_r / rn)
            L = ((logits - 1 / (2 * beta)) ** 2).mean()
        elif kind == "simpo":
            pc, pr = logps(kind)
            logits = (pc - pr) - gamma / beta
            L = (-F.logsigmoid(beta * logits) * (1 - eps) - F.logsigmoid(-beta * logits) * eps).mean()
        elif kind == "orpo":
            pc, pr = logps(kind)
            log_odds = (pc - pr) - (torch.log1p(-torch.exp(pc)) - torch.log1p(-torch.exp(pr)))
            ratio = F.logsigmoid(log_odds)
            L = nll - (beta * ratio).mean()
            metrics["nll_loss"] = nll.item()
            metrics["log_odds_ratio"] = ratio.mean().item()
            metrics["log_odds_chosen"] = log_odds.mean().item()
        else:
            raise SystemExit(f"unknown loss {kind}")
        total = total + w * L
    metrics["loss"] = total.item()
    with torch.no_grad():
        primary = next((k for k in c["losses"] if k != "sft"), "sft")
        pc, pr = logps(primary)
        metrics["logps/chosen"] = pc.mean().item()
        metrics["logps/rejected"] = pr.mean().item()
        V = c["vocab"]
        metrics["logits/chosen"] = sum(c["chosen_logits_sum"]) / (sum(c["chosen_count"]) * V)
        metrics["logits/rejected"] = sum(c["rejected_logits_sum"]) / (sum(c["rejected_count"]) * V)
        if primary != "sft":
            if primary in ("simpo", "orpo") or ref_c is None:
                wc, wr = beta * pc, beta * pr
            else:
                qc, qr = refs(primary)
                wc, wr = beta * (pc - qc), beta * (pr - qr)
            metrics["rewards/chosen"] = wc.mean().item()
            metrics["rewards/rejected"] = wr.mean().item()
            metrics["rewards/accuracies"] = (wc > wr).to(D).mean().item()
            metrics["rewards/margins"] = (wc - wr).mean().item()
    total.backward()
    grad = lambda x: (x.grad if x.grad is not None else torch.zeros_like(x)).tolist()
    return total.item(), metrics, {"chosen_sum": grad(cs), "rejected_sum": grad(rs)}

def kto(c):
    beta = c["beta"]
    mean = c["reduction"] == "mean"
    s = t(c["sum"]).requires_grad_()
    n, ref = t(c["count"]), t(c["ref"])
    kl_s, kl_n, ref_kl = t(c["kl_sum"]), t(c["kl_count"]), t(c["ref_kl"])
    des = torch.tensor(c["desirable"], dtype=torch.bool)
    pol = s / n if mean else s
    refv = ref / n if mean else ref
    with torch.no_grad():
        kl = ((kl_s / kl_n if mean else kl_s) - (ref_kl / kl_n if mean else ref_kl)).mean().clamp(min=0)
    chosen_ratio = pol[des] - refv[des]
    rejected_ratio = pol[~des] - refv[~des]
    chosen_losses = 1 - torch.sigmoid(beta * (chosen_ratio - kl))
    rejected_losses = 1 - torch.sigmoid(beta * (kl - rejected_ratio))
    losses = torch.cat((c["desirable_weight"] * chosen_losses, c["undesirable_weight"] * rejected_losses), 0)
    loss = losses.nanmean()
    m = {"loss": loss.item(), "kl": kl.item(), "count/chosen": float(des.sum()), "count/rejected": float((~des).sum())}
    V = c["vocab"]
    ls = t(c["logits_sum"])
    if des.any():
        m["rewards/chosen"] = (beta * chosen_ratio).mean().item()
        m["logps/chosen"] = pol[des].mean().item()
        m["logits/chosen"] = ls[des].sum().item() / (n[des].sum().item() * V)
    if (~des).any():
        m["rewards/rejected"] = (beta * rejected_ratio).mean().item()
        m["logps/rejected"] = pol[~des].mean().item()
        m["logits/rejected"] = ls[~des].sum().item() / (n[~des].sum().item() * V)
    if des.any() and (~des).any():
        m["rewards/margins"] = m["rewards/chosen"] - m["rewards/rejected"]
    loss.backward()
    return loss.item(), m, {"sum": s.grad.tolist()}

def main(inp, out):
    cases = json.load(open(inp))["cases"]
    res = []
    for c in cases:
        loss, metrics, grad = kto(c) if c["losses"] == ["kto"] else paired(c)
        res.append({"name": c["name"], "loss": loss, "metrics": metrics, "grad": grad})
    json.dump({"cases": res}, open(out, "w"))

if __name__ == "__main__":
    main(sys.argv[1], sys.argv[2])
