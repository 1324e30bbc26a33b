// The safetensors file format: 8-byte little-endian header length, a JSON
// header {name: {dtype, shape, data_offsets: [begin, end]}, __metadata__?},
// padded with spaces to a multiple of 8 bytes, then the raw little-endian data.
// Hugging Face and PEFT read and write it, so adapters move between us and them.
import { readFile, writeFile } from "node:fs/promises";

export type SafeDtype = "F32" | "F16" | "BF16" | "I32" | "I64" | "F64";

export interface NamedTensor {
  dtype: "F32" | "I32";
  shape: number[];
  data: Float32Array | Int32Array;
}

export type TensorMap = Record<string, NamedTensor>;

export interface SafetensorsFile {
  tensors: TensorMap;
  metadata: Record<string, string>;
}

const BYTES: Record<SafeDtype, number> = { F32: 4, F16: 2, BF16: 2, I32: 4, I64: 8, F64: 8 };

function halfToFloat(h: number): number {
  const sign = h & 0x8000 ? -1 : 1;
  const exp = (h >> 10) & 0x1f;
  const frac = h & 0x3ff;
  if (exp === 0) return sign * 2 ** -14 * (frac / 1024);
  if (exp === 31) return frac ? NaN : sign * Infinity;
  return sign * 2 ** (exp - 15) * (1 + frac / 1024);
}

/** Decode one tensor; half precision and 64-bit types are widened/narrowed to F32/I32. */
function decode(dtype: SafeDtype, bytes: Uint8Array, count: number): NamedTensor["data"] {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  switch (dtype) {
    case "F32": {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat32(i * 4, true);
      return out;
    }
    case "F64": {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getFloat64(i * 8, true);
      return out;
    }
    case "F16": {
      const out = new Float32Array(count);
      for (let i = 0; i < count; i++) out[i] = halfToFloat(view.getUint16(i * 2, true));
      return out;
    }
    case "BF16": {
      const out = new Float32Array(count);
      const tmp = new DataView(new ArrayBuffer(4));
      for (let i = 0; i < count; i++) {
        tmp.setUint32(0, view.getUint16(i * 2, true) << 16);
        out[i] = tmp.getFloat32(0);
      }
      return out;
    }
    case "I32": {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = view.getInt32(i * 4, true);
      return out;
    }
    case "I64": {
      const out = new Int32Array(count);
      for (let i = 0; i < count; i++) out[i] = Number(view.getBigInt64(i * 8, true));
      return out;
    }
  }
}

export function parseSafetensors(buf: Uint8Array): SafetensorsFile {
  if (buf.byteLength < 8) throw new Error("safetensors: file shorter than its 8-byte header length");
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const headerLen = Number(dv.getBigUint64(0, true));
  if (8 + headerLen > buf.byteLength) throw new Error("safetensors: header length exceeds file size");
  const header = JSON.parse(new TextDecoder().decode(buf.subarray(8, 8 + headerLen))) as Record<string, unknown>;
  const dataStart = 8 + headerLen;
  const tensors: TensorMap = {};
  let metadata: Record<string, string> = {};
  for (const [name, entry] of Object.entries(header)) {
    if (name === "__metadata__") {
      metadata = entry as Record<string, string>;
      continue;
    }
    const { dtype, shape, data_offsets } = entry as { dtype: SafeDtype; shape: number[]; data_offsets: [number, number] };
    if (!(dtype in BYTES)) throw new Error(`safetensors: unsupported dtype ${dtype} for ${name}`);
    const count = shape.reduce((a, b) => a * b, 1);
    const [begin, end] = data_offsets;
    if (end - begin !== count * BYTES[dtype] || dataStart + end > buf.byteLength) {
      throw new Error(`safetensors: bad data_offsets for ${name}`);
    }
    const bytes = buf.subarray(dataStart + begin, dataStart + end);
    const data = decode(dtype, bytes, count);
    tensors[name] = { dtype: data instanceof Int32Array ? "I32" : "F32", shape, data };
  }
  return { tensors, metadata };
}

/** Serialize tensors (sorted by name, like the reference implementation) with optional string metadata. */
export function serializeSafetensors(tensors: TensorMap, metadata?: Record<string, string>): Uint8Array {
  const names = Object.keys(tensors).sort();
  const header: Record<string, unknown> = {};
  if (metadata && Object.keys(metadata).length > 0) header.__metadata__ = metadata;
  let offset = 0;
  for (const name of names) {
    const t = tensors[name];
    const count = t.shape.reduce((a, b) => a * b, 1);
    if (count !== t.data.length) throw new Error(`safetensors: ${name} has ${t.data.length} values for shape [${t.shape}]`);
    header[name] = { dtype: t.dtype, shape: t.shape, data_offsets: [offset, offset + count * 4] };
    offset += count * 4;
  }
  let json = JSON.stringify(header);
  // Pad so the data section starts 8-byte aligned (readers may map it directly).
  json += " ".repeat((8 - ((Buffer.byteLength(json) + 8) % 8)) % 8);
  const headerBytes = new TextEncoder().encode(json);
  const out = new Uint8Array(8 + headerBytes.length + offset);
  const dv = new DataView(out.buffer);
  dv.setBigUint64(0, BigInt(headerBytes.length), true);
  out.set(headerBytes, 8);
  let pos = 8 + headerBytes.length;
  for (const name of names) {
    const { data } = tensors[name];
    for (let i = 0; i < data.length; i++) {
      if (data instanceof Float32Array) dv.setFloat32(pos, data[i], true);
      else dv.setInt32(pos, data[i], true);
      pos += 4;
    }
  }
  return out;
}

export async function readSafetensors(path: string): Promise<SafetensorsFile> {
  return parseSafetensors(new Uint8Array(await readFile(path)));
}

export async function writeSafetensors(path: string, tensors: TensorMap, metadata?: Record<string, string>): Promise<void> {
  await writeFile(path, serializeSafetensors(tensors, metadata));
}

/** Convenience for the common case of float32 weights. */
export function f32(shape: number[], data: Float32Array): NamedTensor {
  return { dtype: "F32", shape, data };
}
