"""Independent RTN quantization and MatMulNBits packing with Debian's python3-numpy.

usage: /usr/bin/python3 quantize_rtn.py W.bin N K BITS GRANULARITY BLOCK SYM OUTDIR

W.bin holds an (N, K) float32 matrix (row-major, HF Linear layout). GRANULARITY is tensor|channel|block, SYM is 1|0.
Writes OUTDIR/b.bin (uint8 MatMulNBits B), OUTDIR/scales.bin (float32 (N, k_blocks)), OUTDIR/zp.bin (uint8 packed zero
points; empty when symmetric), and prints max |dequant - w| / scale.

The rules (ORT.md §3 and the design card's recipe), all in float32 with round-half-to-even (np.rint):
  symmetric:  qmax = 2^(b-1)-1, scale = max|w| / qmax, code = clip(rint(w/scale), -qmax, qmax) + 2^(b-1)
  asymmetric: lo = min(w.min(), 0), hi = max(w.max(), 0), scale = (hi-lo)/(2^b-1),
              zp = clip(rint(-lo/scale), 0, 2^b-1), code = clip(rint(w/scale) + zp, 0, 2^b-1)
  a group of zeros: scale 0, code = zp.
  MatMulNBits: block = BLOCK (block granularity) or min(256, next power of two >= max(K, 16)) with the row's one
  scale and zero point repeated over its blocks;
  4-bit element k of a row goes to byte (k % block)//2 of block k//block, even k low nibble; padding holds the zp.
"""
import os
import sys

import numpy as np


def params(x, bits, sym):
    x = x.astype(np.float32)
    if sym:
        qmax = np.float32(2 ** (bits - 1) - 1)
        amax = np.abs(x).max(axis=-1)
        return (amax / qmax).astype(np.float32), np.full(amax.shape, 2 ** (bits - 1), np.uint8)
    lo = np.minimum(x.min(axis=-1), np.float32(0))
    hi = np.maximum(x.max(axis=-1), np.float32(0))
    levels = np.float32(2 ** bits - 1)
    scale = ((hi - lo) / levels).astype(np.float32)
    safe = np.where(scale == 0, np.float32(1), scale)
    zp = np.clip(np.rint(-lo / safe), 0, levels)
    return np.where(scale == 0, np.float32(0), scale), np.where(scale == 0, 0, zp).astype(np.uint8)


def codes(x, scale, zp, bits, sym):
    safe = np.where(scale == 0, np.float32(1), scale)[..., None]
    r = np.rint(x / safe)
    if sym:
        qmax = 2 ** (bits - 1) - 1
        q = np.clip(r, -qmax, qmax) + zp[..., None].astype(np.float32)
    else:
        q = np.clip(r + zp[..., None].astype(np.float32), 0, 2 ** bits - 1)
    q = np.where(scale[..., None] == 0, zp[..., None].astype(np.float32), q)
    return q.astype(np.uint8)


def main():
    path, n, k, bits, gran, block, sym, out = sys.argv[1:9]
    n, k, bits, block, sym = int(n), int(k), int(bits), int(block), sym == "1"
    w = np.fromfile(path, dtype=np.float32).reshape(n, k)
    if gran == "block":
        g = w.reshape(n, k // block, block)
        scale, zp = params(g, bits, sym)                       # (n, kb)
        q = codes(g, scale, zp, bits, sym).reshape(n, k)
        op_block = block
    else:
        if gran == "tensor":
            s, z = params(w.reshape(1, -1), bits, sym)
            scale, zp = np.repeat(s, n), np.repeat(z, n)
        else:
            scale, zp = params(w, bits, sym)                   # (n,)
        q = codes(w, scale, zp, bits, sym)
        scale, zp = scale[:, None], zp[:, None]                # (n, 1)
        op_block = min(256, max(16, 1 << (k - 1).bit_length()))
    kb = -(-k // op_block)
    deq = ((q.reshape(n, kb if gran == "block" else 1, -1).astype(np.float32) - zp[..., None].astype(np.float32)) * scale[..., None]).reshape(n, k)
    step = np.repeat(scale, k // scale.shape[1], axis=1) if gran == "block" else np.repeat(scale, k, axis=1)
    err = np.abs(deq - w)
    ratio = np.where(step > 0, err / np.where(step > 0, step, 1), 0).max()
    # MatMulNBits B: pad each row to kb * op_block with the (last) zero point
    if gran != "block":
        scale, zp = np.repeat(scale, kb, axis=1), np.repeat(zp, kb, axis=1)
    padded = np.concatenate([q, np.repeat(zp[:, -1:], kb * op_block - k, axis=1)], axis=1).reshape(n, kb, op_block)
    if bits == 8:
        b = padded.astype(np.uint8)
    else:
        b = (padded[..., 0::2] | (padded[..., 1::2] << 4)).astype(np.uint8)
    zp_packed = np.zeros((n, 0), np.uint8)
    if not sym:
        if bits == 8:
            zp_packed = zp.astype(np.uint8)
        else:
            z = np.concatenate([zp, np.zeros((n, kb % 2), np.uint8)], axis=1)
            zp_packed = (z[:, 0::2] | (z[:, 1::2] << 4)).astype(np.uint8)
    b.tofile(os.path.join(out, "b.bin"))
    scale.astype(np.float32).tofile(os.path.join(out, "scales.bin"))
    zp_packed.tofile(os.path.join(out, "zp.bin"))
    print(f"max |dequant - w| / scale = {ratio:.6f}")


if __name__ == "__main__":
    main()
