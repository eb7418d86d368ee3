import { resolve } from 'node:path';
import { cdk8sImport } from './schema-sources.js';

// `npm run import`: imports/ from the pinned upstream CRDs (test/schema-sources.ts says where each is read from).
const r = cdk8sImport(resolve(process.argv[2] ?? 'imports'));
process.stdout.write(r.stdout ?? '');
process.stderr.write(r.stderr ?? '');
process.exit(r.status ?? 1);
