import { SEEDS } from './test/fuzz/config-cases.ts';
import { parseConfig } from './src/config/load.ts';
import { synthesize } from './src/synth.ts';
import { checkPolicy } from './src/policy/policy.ts';
for (const s of SEEDS) {
  for (let i = 0; i < 3; i++) {
    let t0 = performance.now(); const c = parseConfig(s.text, 'x'); let t1 = performance.now();
    const o = synthesize(c); let t2 = performance.now(); checkPolicy(o.files); let t3 = performance.now();
    console.log(s.name, (t1-t0).toFixed(1), (t2-t1).toFixed(1), (t3-t2).toFixed(1));
  }
}
