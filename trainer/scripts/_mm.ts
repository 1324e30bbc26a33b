import { initBackend, tf } from '../src/engine/backend';
await initBackend();
const shapes: [number, number, number][] = [[1024,128,128],[1024,128,344],[1024,344,128],[1024,128,1024],[1024,1024,128],[128,1024,128],[128,32,128],[128,128,32],[32,128,128],[128,128,128],[1024,128,8],[8,1024,128],[128,1024,8]];
for (const [m,k,n] of shapes) {
  const a = tf.randomNormal([m,k]) as tf.Tensor2D, b = tf.randomNormal([k,n]) as tf.Tensor2D;
  for (let i=0;i<3;i++) tf.matMul(a,b).dispose();
  const reps = Math.max(3, Math.round(2e8/(m*k*n*2)));
  const t0=performance.now();
  for (let i=0;i<reps;i++) tf.matMul(a,b).dataSync();
  const ms=(performance.now()-t0)/reps;
  console.log(`${m}x${k}x${n}: ${ms.toFixed(3)} ms, ${(2*m*k*n/ms/1e6).toFixed(1)} GFLOP/s`);
}
