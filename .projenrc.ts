import { javascript, JsonFile, typescript, YamlFile } from 'projen';

/**
 * Helios is one npm package (the cdk8s app and its importable constructs) plus the
 * runtime services under services/, joined as npm workspaces so one `npm ci` installs
 * everything and one lockfile pins it. Every source file is an ES module: the
 * Kubernetes client (@kubernetes/client-node 1.x) ships ESM only.
 */
const project = new typescript.TypeScriptProject({
  name: '@helios/platform',
  description: 'Kubernetes-native network observability: cdk8s constructs and the Helios synthesizer',
  license: 'Apache-2.0',
  defaultReleaseBranch: 'main',
  packageManager: javascript.NodePackageManager.NPM,
  minNodeVersion: '20.19.0',
  projenrcTs: true,
  runner: typescript.TypeScriptRunner.tsx(),
  typescriptVersion: '~5.9',
  sampleCode: false,
  github: false,
  release: false,
  depsUpgrade: false,
  buildWorkflow: false,
  pullRequestTemplate: false,
  entrypoint: 'lib/constructs/index.js',
  entrypointTypes: 'lib/constructs/index.d.ts',
  srcdir: 'src',
  testdir: 'test',
  libdir: 'lib',
  deps: [
    // Dashboards are built with it when the app synthesizes; 0.0.x changes its API between releases.
    '@grafana/grafana-foundation-sdk@0.0.21',
    'cdk8s@^2.70.106',
    'cdk8s-plus-28@2.5.6',
    'constructs@^10.8.1',
    'yaml@^2.9.1',
    'zod@^4.6.7',
  ],
  devDeps: [
    'cdk8s-cli@^2.207.60',
    'tsx@^4',
    'ajv@^8.20.0',
    // Property-based tests of the config loader (test/fuzz).
    'fast-check@^4.10.2',
    '@types/node@^20',
    // Test peers' clients. client-node 1.x: 2.x needs Node 22.
    '@kubernetes/client-node@~1.4.0',
    'kafkajs@^2.2.4',
    'chdb@^3.4.0',
    'jest-environment-node@^30',
  ],
  tsconfig: {
    include: ['src/**/*.ts', 'constructs/**/*.ts', 'imports/**/*.ts', 'dashboards/**/*.ts'],
    compilerOptions: {
      rootDir: '.',
      outDir: 'lib',
      module: 'NodeNext',
      moduleResolution: javascript.TypeScriptModuleResolution.NODE_NEXT,
      target: 'ES2022',
      lib: ['ES2022'],
      esModuleInterop: true,
      skipLibCheck: true,
      isolatedModules: true,
      resolveJsonModule: true,
    },
  },
  // test/tsconfig.json extends tsconfig.json: type-checks tests together with the sources.
  tsconfigDev: {
    include: ['**/*.ts', '../src/**/*.ts', '../constructs/**/*.ts', '../imports/**/*.ts', '../dashboards/**/*.ts'],
    compilerOptions: { rootDir: '..' },
  },
  jest: true,
  jestOptions: {
    updateSnapshot: javascript.UpdateSnapshot.NEVER,
    passWithNoTests: false,
    junitReporting: false,
    jestConfig: {
      collectCoverage: false,
      testMatch: ['<rootDir>/test/**/*.test.ts'],
      extensionsToTreatAsEsm: ['.ts'],
      moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
      // Peers (real programs tests start) are accounted for across the whole run.
      testEnvironment: '<rootDir>/test/peers/harness/environment.cjs',
      globalSetup: '<rootDir>/test/peers/harness/global-setup.mjs',
      globalTeardown: '<rootDir>/test/peers/harness/global-teardown.mjs',
      testTimeout: 120_000,
    },
  },
  tsJestOptions: {
    transformOptions: { useESM: true, tsconfig: typescript.TsJestTsconfig.fromFile('test/tsconfig.json') },
  },
  eslint: true,
  eslintOptions: {
    dirs: ['src', 'constructs'],
    devdirs: ['test', 'dashboards'],
    ignorePatterns: ['imports/', 'dist/', 'examples/**/dist/', 'lib/', 'services/'],
    // `npm test` reports lint errors; it never rewrites code.
    commandOptions: { fix: false },
  },
  gitignore: ['.dist-*', '/coverage/'],
});

// Network engineers' arithmetic (CIDR masks) is bitwise by nature.
project.eslint?.addRules({ 'no-bitwise': 'off' });
// The tier table reads best as one row per component.
project.eslint?.addOverride({ files: ['src/config/tiers.ts'], rules: { '@stylistic/max-len': 'off' } });

project.package.addField('type', 'module');
project.package.addField('workspaces', ['services/*']);
project.package.addField('exports', {
  '.': { types: './lib/constructs/index.d.ts', default: './lib/constructs/index.js' },
});
// Synthesized manifests are committed for review and GitOps.
project.gitignore.removePatterns('/dist/');
project.npmignore?.addPatterns('/dist/', '/examples/', '/test/', '/services/');
// The package is lib/: the TypeScript sources, and the .proto and .sql files compile copies there, stay behind.
project.npmignore?.addPatterns('/constructs/', '/imports/', '/scripts/', '/.ci/', '/cdk8s.yaml');

// The registry serves only Linux builds of some native packages; keep their other
// platforms in the lockfile anyway, or `npm ci` refuses it (scripts/lockfile-platform-stubs.mjs).
// `prepare`, not `postinstall`: npm runs it after `npm install`/`npm ci` in this repository
// (and before `npm pack`), never when the package is installed from a tarball or a registry,
// where there is no lockfile of ours to fix. test/foundation/lockfile.test.ts checks the result.
project.package.setScript('prepare', 'node scripts/lockfile-platform-stubs.mjs');

// `npm pack` is not how Helios ships, and its default output folder would land in dist/.
project.packageTask.reset();

// Constructs read their .proto contracts and the ClickHouse migrations next to their code; the package needs them too.
project.compileTask.exec('mkdir -p lib/constructs/flows/proto && cp constructs/flows/proto/*.proto lib/constructs/flows/proto/');
project.compileTask.exec('mkdir -p lib/constructs/flows/clickhouse/migrations && cp constructs/flows/clickhouse/migrations/*.sql lib/constructs/flows/clickhouse/migrations/');
// The sample runbooks, which the AutomationStack reads from ../../runbooks/ beside its code.
project.compileTask.exec('mkdir -p lib/runbooks && cp runbooks/*.yaml lib/runbooks/');

project.addTask('synth', {
  description: 'Synthesize dist/<cluster>/ from helios.yaml (or the embedded default)',
  exec: 'tsx src/main.ts',
  receiveArgs: true,
});

project.addTask('synth:all', {
  description: 'Regenerate the committed output: dist/ (embedded default) and examples/*/dist/',
  steps: [
    { exec: 'tsx src/main.ts --out dist', env: { HELIOS_CONFIG: '' } },
    { exec: 'bash -c \'for e in examples/*/; do tsx src/main.ts --config "$e/helios.yaml" --out "$e/dist" || exit 1; done\'' },
  ],
});

const peers = project.addTask('peers', {
  description: 'Provision every real test peer (cached under ~/.cache/helios-peers) and print versions',
  exec: 'bash test/peers/provision/all.sh',
});

project.addTask('fuzz:config', {
  description: 'Mutated configs through parse → synth → policy: every outcome is output that passes the checks or a config error naming a path (FUZZ_SEED, FUZZ_RUNS)',
  exec: 'tsx test/fuzz/run.ts',
  receiveArgs: true,
});

project.addTask('docs', {
  description: 'Regenerate the parts of README.md derived from code (the tier table, the flow capacity table)',
  exec: 'tsx src/docs.ts',
});

interface WorkspaceOptions {
  readonly name: string;
  readonly description: string;
  readonly deps: Record<string, string>;
  readonly devDeps?: Record<string, string>;
  readonly scripts?: Record<string, string>;
  /** Globs excluded from the coverage figure (generated code). */
  readonly coverageIgnore?: string[];
}

/**
 * A package under services/<name>: an npm workspace with its own package.json,
 * tsconfigs and jest config, all generated here. Its tests run with coverage and
 * fail under 70% of lines (spec SC-009). A service is a program (bin); a library
 * is imported by the services, as its compiled lib/ with declarations.
 */
function workspacePackage(options: WorkspaceOptions, kind: 'service' | 'library'): void {
  const dir = `services/${options.name}`;
  const compilerOptions = {
    module: 'NodeNext',
    moduleResolution: 'NodeNext',
    target: 'ES2022',
    lib: ['ES2022'],
    strict: true,
    esModuleInterop: true,
    skipLibCheck: true,
    isolatedModules: true,
    resolveJsonModule: true,
    declaration: kind === 'library',
    sourceMap: true,
    noUnusedLocals: true,
    noUnusedParameters: true,
    noImplicitReturns: true,
    types: ['node', 'jest'],
  };
  const entry = kind === 'service'
    ? { main: 'lib/src/main.js', bin: { [options.name]: 'lib/src/main.js' } }
    : { main: 'lib/src/index.js', types: 'lib/src/index.d.ts', exports: { '.': { types: './lib/src/index.d.ts', default: './lib/src/index.js' } } };
  new JsonFile(project, `${dir}/package.json`, {
    obj: {
      'name': `@helios/${options.name}`,
      'description': options.description,
      'version': '0.1.0',
      'private': true,
      'license': 'Apache-2.0',
      'type': 'module',
      ...entry,
      'engines': { node: '>= 20.19.0' },
      'scripts': {
        build: 'tsc -p tsconfig.json',
        test: 'tsc -p tsconfig.dev.json && NODE_OPTIONS=--experimental-vm-modules jest --ci --coverage',
        ...options.scripts,
      },
      'dependencies': options.deps,
      'devDependencies': options.devDeps ?? {},
      'jest': {
        testEnvironment: 'node',
        testMatch: ['<rootDir>/test/**/*.test.ts'],
        extensionsToTreatAsEsm: ['.ts'],
        moduleNameMapper: { '^(\\.{1,2}/.*)\\.js$': '$1' },
        transform: { '^.+\\.ts$': ['ts-jest', { useESM: true, tsconfig: 'tsconfig.dev.json' }] },
        collectCoverageFrom: ['src/**/*.ts', ...(options.coverageIgnore ?? []).map((g) => `!${g}`)],
        coverageProvider: 'v8',
        coverageReporters: ['text-summary', 'lcov'],
        coverageThreshold: { global: { lines: 70 } },
        testTimeout: 120000,
      },
      '//': '~~ Generated by projen. To modify, edit .projenrc.ts and run "npx projen".',
    },
  });
  new JsonFile(project, `${dir}/tsconfig.json`, {
    obj: { compilerOptions: { ...compilerOptions, rootDir: '.', outDir: 'lib' }, include: ['src/**/*.ts'] },
  });
  // rootDir is the repository: tests start the real peers through test/peers/harness.
  new JsonFile(project, `${dir}/tsconfig.dev.json`, {
    obj: { extends: './tsconfig.json', compilerOptions: { noEmit: true, rootDir: '../..' }, include: ['src/**/*.ts', 'test/**/*.ts', 'bench/**/*.ts'] },
  });
}

const NETBOX_CLIENT_BUILD = 'tsc -p ../netbox-client/tsconfig.json';

/** A service that reads NetBox compiles and tests against the NetBox client's lib/ as it is now. */
function service(options: WorkspaceOptions): void {
  const first = '@helios/netbox-client' in options.deps ? `${NETBOX_CLIENT_BUILD} && ` : '';
  workspacePackage({
    ...options,
    scripts: {
      build: `${first}tsc -p tsconfig.json`,
      test: `${first}tsc -p tsconfig.dev.json && NODE_OPTIONS=--experimental-vm-modules jest --ci --coverage`,
      ...options.scripts,
    },
  }, 'service');
}

/**
 * The NetBox client the services read NetBox with (pages, timeouts, retries, the
 * token file), typed from NetBox's OpenAPI document. Services import its built lib/:
 * `npm ci` builds it (prepare), and so do the service tests and Docker builds before
 * compiling a service, so a service never runs against a stale copy.
 */
workspacePackage({
  name: 'netbox-client',
  description: 'The NetBox REST client of the Helios services, typed from NetBox\'s OpenAPI document',
  deps: { 'openapi-fetch': '^0.17.0' },
  devDeps: { 'openapi-typescript': '^7.13.0' },
  scripts: {
    'prepare': 'tsc -p tsconfig.json',
    'generate:netbox': 'tsx scripts/netbox-types.ts',
  },
  coverageIgnore: ['src/generated/**'],
}, 'library');

service({
  name: 'flow-enricher',
  description: 'Enriches goflow2 flows with NetBox and GeoIP data between two Kafka topics',
  deps: {
    '@helios/netbox-client': '0.1.0',
    'kafkajs': '^2.2.4',
    // Native CRC-32C and LZ4 for kafkajs's record batches (src/kafkajs.ts says why): prebuilt per
    // platform in optional npm packages, so installing needs no compiler and no download outside npm.
    '@node-rs/crc32': '^1.10.8',
    'lz4-napi': '^2.10.0',
    'maxmind': '^5.0.7',
    'prom-client': '^15.1.3',
    '@clickhouse/client': '^1.23.1',
    'zod': '^4.6.7',
  },
  // The service codes protobuf by hand (see src/transcode.ts); protobufjs is the independent
  // codec its tests and benchmark check it against. TypeScript builds it in its Docker image.
  devDeps: { 'protobufjs': '^8.8.1', 'typescript': '~5.9', '@types/node': '^20' },
  scripts: { bench: 'tsx bench/enricher.ts' },
});

project.addTask('bench:enricher', {
  description: 'Flow Enricher throughput: in-process decode → enrich → encode, and through a real Kafka broker',
  exec: 'npm run bench --workspace=services/flow-enricher',
});

service({
  name: 'target-generator',
  description: 'Turns the NetBox inventory into gnmic, SNMP, blackbox and Prometheus targets in ConfigMaps',
  deps: {
    '@helios/netbox-client': '0.1.0',
    '@kubernetes/client-node': '~1.4.0',
    'prom-client': '^15.1.3',
    'yaml': '^2.9.1',
    'zod': '^4.6.7',
  },
  scripts: { bench: `${NETBOX_CLIENT_BUILD} && tsc -p tsconfig.json && tsx bench/sync.ts` },
});

project.addTask('bench:targets', {
  description: 'Target Generator: one full sync of 10,000 devices from the NetBox fake into a real kube-apiserver (time, peak RSS, shards)',
  exec: 'npm run bench --workspace=services/target-generator',
});

service({
  name: 'runbook-operator',
  description: 'Runs Runbooks against network devices: approvals, Jobs that drive devices over gNMI, rollback, audit',
  deps: {
    '@grpc/grpc-js': '^1.14.7',
    '@kubernetes/client-node': '~1.4.0',
    'prom-client': '^15.1.3',
    'protobufjs': '^8.8.1',
    'yaml': '^2.9.1',
    'zod': '^4.6.7',
  },
  scripts: { bench: 'tsx bench/runbooks.ts' },
});

project.addTask('bench:runbooks', {
  description: 'Runbook operator: overhead per execution over 100 executions (creation → Job created, Job finished → final status), p50/p99 with the core count',
  exec: 'npm run bench --workspace=services/runbook-operator',
});

project.addTask('bench:goflow2', {
  description: 'goflow2 flows/s per CPU core decoding NetFlow v9, IPFIX and sFlow into Kafka (the capacity model\'s goflow2 figure; prints the load average)',
  exec: 'tsx test/bench/goflow2.ts',
});

project.addTask('bench:clickhouse-ingest', {
  description: 'ClickHouse flows/s per CPU core through one Kafka-engine consumer into flows_raw and its rollups, in chdb (the capacity model\'s ClickHouse figure)',
  exec: 'tsx test/bench/clickhouse-ingest.ts',
});

project.addTask('bench:dashboards', {
  description: 'Flow dashboards: every ClickHouse panel over 24 h of Large-tier rollup rows in chdb (p50/p95 per panel, row counts)',
  exec: 'tsx test/bench/dashboards.ts',
});

project.addTask('bench:flow-pipeline', {
  description: 'Flow pipeline end to end (flowgen → goflow2 → Kafka → enricher → Kafka → chdb): highest rate with every flow stored exactly once, per-process CPU, bottleneck',
  exec: 'tsx test/bench/flow-pipeline.ts',
});

project.addTask('bench:kafka-restart', {
  description: 'goflow2 through a Kafka broker restart: flows sent, stored, lost and duplicated at the Small shape (one broker) and the Medium shape (three, replication 3, min in-sync 2)',
  exec: 'tsx test/bench/kafka-restart.ts',
});

/**
 * `npm test` is the one command CI runs: it provisions the real peers the tests
 * start (a failed provision fails the run), type-checks everything (building lib/
 * for the test that imports the package as a user would), then runs every jest
 * suite of the app and of each service, then lints.
 */
project.testTask.reset();
project.testTask.spawn(peers);
project.testTask.spawn(project.compileTask);
// The app's tests import services' sources, which import the NetBox client's lib/.
project.testTask.exec('npm run build --workspace=services/netbox-client', { name: 'NetBox client' });
project.testTask.exec('tsc -p test/tsconfig.json', { name: 'type-check tests' });
project.testTask.exec('jest --ci', { receiveArgs: true, env: { NODE_OPTIONS: '--experimental-vm-modules' } });
project.testTask.exec('bash -c "if ls services/*/package.json >/dev/null 2>&1; then npm run test --workspaces --if-present; fi"', { name: 'services' });
project.testTask.spawn(project.tasks.tryFind('eslint')!);

/**
 * Typed classes for the custom resources Helios writes, one file per kind so a
 * construct pays type-check time only for the kinds it uses. They are generated from
 * the pinned upstream CRDs; test/schema-sources.ts lists them and says where each is
 * read from (the peers cache, or HELIOS_UNPUBLISHED_SCHEMAS).
 */
new YamlFile(project, 'cdk8s.yaml', {
  obj: {
    language: 'typescript',
    app: 'npx tsx src/main.ts',
  },
});

project.addTask('import', {
  description: 'Regenerate imports/ from the pinned upstream CRDs (test/schema-sources.ts)',
  exec: 'rm -rf imports && tsx test/import-crds.ts imports',
});

project.synth();
