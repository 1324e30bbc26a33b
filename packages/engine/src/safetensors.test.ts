import { execFileSync } from "node:child_process";
import { mkdtemp, rm, writeFile } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { parseSafetensors, readSafetensors, serializeSafetensors, writeSafetensors, type TensorMap } from "./safetensors";

const tensors: TensorMap = {
  "b.weight": { dtype: "F32", shape: [2, 3], data: Float32Array.from([1, -2.5, 3e-8, 4, 5, Math.PI]) },
  "a.bias": { dtype: "F32", shape: [3], data: Float32Array.from([0, -0, 1e30]) },
  ids: { dtype: "I32", shape: [2], data: Int32Array.from([-7, 2 ** 31 - 1]) },
};

describe("safetensors", () => {
  it("round-trips tensors and metadata with an 8-byte aligned header", () => {
    const buf = serializeSafetensors(tensors, { format: "pt" });
    const headerLen = Number(new DataView(buf.buffer).getBigUint64(0, true));
    expect(headerLen % 8).toBe(0);
    const header = JSON.parse(new TextDecoder().decode(buf.subarray(8, 8 + headerLen)));
    expect(header.__metadata__).toEqual({ format: "pt" });
    expect(header["a.bias"]).toEqual({ dtype: "F32", shape: [3], data_offsets: [0, 12] });
    const back = parseSafetensors(buf);
    expect(back.metadata).toEqual({ format: "pt" });
    for (const [k, t] of Object.entries(tensors)) {
      expect(back.tensors[k].shape).toEqual(t.shape);
      expect(Array.from(back.tensors[k].data)).toEqual(Array.from(t.data));
    }
  });

  it("reads F16, BF16 and I64 written by numpy", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tuneloop-st-"));
    try {
      const script = `
import json, struct, numpy as np, sys
arrs = {"h": np.array([1.5, -2, 65504, 2**-24], dtype="<f2"), "l": np.array([[3, -4]], dtype="<i8"),
        "b": (np.array([1.0, -0.375, 3.0e38], dtype="<f4").view("<u4") >> 16).astype("<u2")}
dt = {"h": "F16", "l": "I64", "b": "BF16"}
header, off, blob = {}, 0, b""
for k, a in arrs.items():
    raw = a.tobytes(); header[k] = {"dtype": dt[k], "shape": list(a.shape), "data_offsets": [off, off + len(raw)]}; off += len(raw); blob += raw
h = json.dumps(header).encode(); h += b" " * (-len(h) % 8)
open(sys.argv[1], "wb").write(struct.pack("<Q", len(h)) + h + blob)`;
      await writeFile(join(dir, "make.py"), script);
      execFileSync("python3", [join(dir, "make.py"), join(dir, "np.safetensors")]);
      const { tensors: t } = await readSafetensors(join(dir, "np.safetensors"));
      expect(Array.from(t.h.data)).toEqual([1.5, -2, 65504, 2 ** -24]);
      expect(t.l).toMatchObject({ dtype: "I32", shape: [1, 2] });
      expect(Array.from(t.l.data)).toEqual([3, -4]);
      expect(t.b.data[0]).toBe(1);
      expect(t.b.data[1]).toBe(-0.375);
      expect(t.b.data[2] / 3e38).toBeCloseTo(1, 2);
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("is readable by an independent numpy reader", async () => {
    const dir = await mkdtemp(join(tmpdir(), "tuneloop-st-"));
    try {
      await writeSafetensors(join(dir, "x.safetensors"), tensors);
      const out = execFileSync("python3", [
        "-c",
        `
import json, struct, numpy as np, sys
buf = open(sys.argv[1], "rb").read(); n = struct.unpack("<Q", buf[:8])[0]; h = json.loads(buf[8:8+n])
m = h["b.weight"]; s, e = m["data_offsets"]
print(json.dumps(np.frombuffer(buf[8+n+s:8+n+e], dtype="<f4").reshape(m["shape"]).tolist()))`,
        join(dir, "x.safetensors"),
      ]).toString();
      expect(JSON.parse(out).flat()).toEqual(Array.from(tensors["b.weight"].data));
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("rejects truncated files and inconsistent offsets", () => {
    const buf = serializeSafetensors(tensors);
    expect(() => parseSafetensors(buf.subarray(0, buf.length - 4))).toThrow(/data_offsets/);
    expect(() => parseSafetensors(buf.subarray(0, 4))).toThrow(/shorter/);
    expect(() => serializeSafetensors({ x: { dtype: "F32", shape: [3], data: new Float32Array(2) } })).toThrow(/2 values/);
  });
});
