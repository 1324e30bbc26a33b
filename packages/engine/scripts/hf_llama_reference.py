#!/usr/bin/env python3
"""Independent numpy reimplementation of Hugging Face LlamaForCausalLM.forward.

Reads config.json + model.safetensors from a model directory (and optionally a
PEFT LoRA adapter directory, merged as W + (lora_alpha / r) * B @ A), runs the
forward pass in float64 and writes the logits as little-endian float32.

It exists so the TypeScript engine can be checked against the transformers
semantics (RMSNorm, rotate_half RoPE, causal softmax attention, SwiGLU) on a
machine without torch.

usage: hf_llama_reference.py MODEL_DIR IDS_JSON OUT_F32 [ADAPTER_DIR]
  IDS_JSON: [[id, ...], ...] (equal-length rows)
"""
import json
import os
import struct
import sys

import numpy as np

DTYPES = {"F32": np.float32, "F64": np.float64, "F16": np.float16, "I32": np.int32, "I64": np.int64}


def read_safetensors(path):
    with open(path, "rb") as f:
        buf = f.read()
    (n,) = struct.unpack("<Q", buf[:8])
    header = json.loads(buf[8 : 8 + n])
    header.pop("__metadata__", None)
    out = {}
    for name, meta in header.items():
        begin, end = meta["data_offsets"]
        arr = np.frombuffer(buf[8 + n + begin : 8 + n + end], dtype=DTYPES[meta["dtype"]])
        out[name] = arr.reshape(meta["shape"]).astype(np.float64)
    return out


def rms_norm(x, w, eps):
    return w * (x / np.sqrt(np.mean(x * x, axis=-1, keepdims=True) + eps))


def rotate_half(x):
    half = x.shape[-1] // 2
    return np.concatenate([-x[..., half:], x[..., :half]], axis=-1)


def forward(cfg, W, ids):
    h = cfg["hidden_size"]
    nh = cfg["num_attention_heads"]
    nkv = cfg.get("num_key_value_heads") or nh
    d = cfg.get("head_dim") or h // nh
    eps = cfg.get("rms_norm_eps", 1e-6)
    theta = cfg.get("rope_theta", 10000.0)
    B, T = ids.shape
    # As in LlamaRotaryEmbedding: inv_freq in float32, emb = cat(freqs, freqs).
    inv_freq = (1.0 / (theta ** (np.arange(0, d, 2, dtype=np.int64).astype(np.float32) / d))).astype(np.float32)
    freqs = np.outer(np.arange(T, dtype=np.float32), inv_freq).astype(np.float32).astype(np.float64)
    emb = np.concatenate([freqs, freqs], axis=-1)
    cos, sin = np.cos(emb), np.sin(emb)
    mask = np.triu(np.full((T, T), -np.inf), k=1)

    x = W["model.embed_tokens.weight"][ids]
    for i in range(cfg["num_hidden_layers"]):
        p = f"model.layers.{i}."
        hs = rms_norm(x, W[p + "input_layernorm.weight"], eps)
        q = (hs @ W[p + "self_attn.q_proj.weight"].T).reshape(B, T, nh, d).transpose(0, 2, 1, 3)
        k = (hs @ W[p + "self_attn.k_proj.weight"].T).reshape(B, T, nkv, d).transpose(0, 2, 1, 3)
        v = (hs @ W[p + "self_attn.v_proj.weight"].T).reshape(B, T, nkv, d).transpose(0, 2, 1, 3)
        q = q * cos + rotate_half(q) * sin
        k = k * cos + rotate_half(k) * sin
        k = np.repeat(k, nh // nkv, axis=1)
        v = np.repeat(v, nh // nkv, axis=1)
        scores = q @ k.transpose(0, 1, 3, 2) / np.sqrt(d) + mask
        scores = scores - scores.max(axis=-1, keepdims=True)
        probs = np.exp(scores)
        probs = probs / probs.sum(axis=-1, keepdims=True)
        att = (probs @ v).transpose(0, 2, 1, 3).reshape(B, T, nh * d)
        x = x + att @ W[p + "self_attn.o_proj.weight"].T
        hs = rms_norm(x, W[p + "post_attention_layernorm.weight"], eps)
        gate = hs @ W[p + "mlp.gate_proj.weight"].T
        up = hs @ W[p + "mlp.up_proj.weight"].T
        x = x + ((gate / (1 + np.exp(-gate))) * up) @ W[p + "mlp.down_proj.weight"].T
    x = rms_norm(x, W["model.norm.weight"], eps)
    return x @ W["lm_head.weight"].T


def merge_adapter(W, adapter_dir):
    with open(os.path.join(adapter_dir, "adapter_config.json")) as f:
        acfg = json.load(f)
    scale = acfg["lora_alpha"] / acfg["r"]
    A = read_safetensors(os.path.join(adapter_dir, "adapter_model.safetensors"))
    prefix = "base_model.model."
    for name in A:
        if not name.endswith(".lora_A.weight"):
            continue
        module = name[len(prefix) : -len(".lora_A.weight")]
        b = A[name.replace(".lora_A.", ".lora_B.")]
        W[module + ".weight"] = W[module + ".weight"] + scale * (b @ A[name])


def main():
    model_dir, ids_json, out_path = sys.argv[1:4]
    with open(os.path.join(model_dir, "config.json")) as f:
        cfg = json.load(f)
    assert cfg.get("model_type") == "llama" and not cfg.get("tie_word_embeddings", False)
    W = read_safetensors(os.path.join(model_dir, "model.safetensors"))
    if len(sys.argv) > 4:
        merge_adapter(W, sys.argv[4])
    ids = np.array(json.loads(ids_json), dtype=np.int64)
    logits = forward(cfg, W, ids)
    logits.astype("<f4").tofile(out_path)


if __name__ == "__main__":
    main()
