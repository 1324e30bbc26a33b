// Selects the wasm backend once and patches the kernels that make LLM training
// on it slow or impossible (see shared/STACK.md, "Training in TypeScript"):
// - Slice/SplitV read the *whole* input through readSync (a full copy) on every
//   call; per-head attention splits tensors dozens of times per layer, so we
//   replace them with versions that read the wasm heap in place.
// - UnsortedSegmentSum (the gradient of gather) is missing on wasm, which
//   blocks training the token embedding during pretraining.
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";

interface WasmTensorInfo {
  dataId: object;
  shape: number[];
  dtype: tf.DataType;
}
interface WasmBackend {
  makeOutput(shape: number[], dtype: tf.DataType): WasmTensorInfo;
  typedArrayFromHeap(t: WasmTensorInfo): Float32Array | Int32Array | Uint8Array;
}

function fastSlice(x: WasmTensorInfo, begin: number[], size: number[], backend: WasmBackend): WasmTensorInfo {
  const out = backend.makeOutput(size, x.dtype);
  // Views are taken after makeOutput: allocating may grow (and detach) the heap.
  const xs = backend.typedArrayFromHeap(x);
  const os = backend.typedArrayFromHeap(out);
  const rank = x.shape.length;
  const strides = new Array<number>(rank).fill(1);
  for (let i = rank - 2; i >= 0; i--) strides[i] = strides[i + 1] * x.shape[i + 1];
  // Copy runs of the innermost contiguous block; fold trailing full axes into it.
  let inner = 1;
  let axis = rank - 1;
  while (axis >= 0 && begin[axis] === 0 && size[axis] === x.shape[axis]) inner *= size[axis--];
  if (axis < 0) {
    os.set(xs.subarray(0, inner));
    return out;
  }
  const run = inner * size[axis];
  const idx = new Array<number>(axis).fill(0);
  let o = 0;
  for (;;) {
    let off = begin[axis] * strides[axis];
    for (let i = 0; i < axis; i++) off += (begin[i] + idx[i]) * strides[i];
    os.set(xs.subarray(off, off + run), o);
    o += run;
    let d = axis - 1;
    while (d >= 0 && ++idx[d] === size[d]) idx[d--] = 0;
    if (d < 0) break;
  }
  return out;
}

function registerPatches(): void {
  const replace = (config: tf.KernelConfig) => {
    tf.unregisterKernel(config.kernelName, "wasm");
    tf.registerKernel(config);
  };
  replace({
    kernelName: "Slice",
    backendName: "wasm",
    kernelFunc: ({ inputs, attrs = {}, backend }) => {
      const x = inputs.x as unknown as WasmTensorInfo;
      const [b, s] = tf.slice_util.parseSliceParams(x as unknown as tf.TensorInfo, attrs.begin as number[], attrs.size as number[]);
      return fastSlice(x, b, s, backend as unknown as WasmBackend) as unknown as tf.TensorInfo;
    },
  });
  replace({
    kernelName: "SplitV",
    backendName: "wasm",
    kernelFunc: ({ inputs, attrs = {}, backend }) => {
      const x = inputs.x as unknown as WasmTensorInfo;
      const axis = tf.util.parseAxisParam(attrs.axis as number, x.shape)[0];
      const sizes = tf.backend_util.prepareSplitSize(x as unknown as tf.Tensor, attrs.numOrSizeSplits as number[], axis);
      const begin = new Array<number>(x.shape.length).fill(0);
      return sizes.map((s) => {
        const size = x.shape.slice();
        size[axis] = s;
        const out = fastSlice(x, begin.slice(), size, backend as unknown as WasmBackend);
        begin[axis] += s;
        return out as unknown as tf.TensorInfo;
      });
    },
  });
  if (!tf.getKernel("UnsortedSegmentSum", "wasm")) {
    tf.registerKernel({
      kernelName: "UnsortedSegmentSum",
      backendName: "wasm",
      kernelFunc: ({ inputs, attrs = {}, backend }) => {
        const be = backend as unknown as WasmBackend;
        const x = inputs.x as unknown as WasmTensorInfo;
        const ids = inputs.segmentIds as unknown as WasmTensorInfo;
        const numSegments = attrs.numSegments as number;
        const rows = ids.shape.reduce((a, b) => a * b, 1);
        const inner = x.shape.slice(ids.shape.length).reduce((a, b) => a * b, 1);
        const out = be.makeOutput([numSegments, ...x.shape.slice(ids.shape.length)], x.dtype);
        const xs = be.typedArrayFromHeap(x);
        const is = be.typedArrayFromHeap(ids);
        const os = be.typedArrayFromHeap(out);
        os.fill(0);
        for (let r = 0; r < rows; r++) {
          const seg = is[r];
          if (seg < 0 || seg >= numSegments) continue;
          const src = r * inner;
          const dst = seg * inner;
          for (let j = 0; j < inner; j++) os[dst + j] += xs[src + j];
        }
        return out as unknown as tf.TensorInfo;
      },
    });
  }
}

let ready: Promise<typeof tf> | null = null;

/** Idempotent: select wasm and install the kernel patches. Returns tf for convenience. */
export function initBackend(): Promise<typeof tf> {
  ready ??= (async () => {
    await tf.setBackend("wasm");
    await tf.ready();
    registerPatches();
    return tf;
  })();
  return ready;
}

export { tf };
