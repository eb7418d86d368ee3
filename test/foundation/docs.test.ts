import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { withCapacityTable } from '../../src/config/capacity.js';
import { EMBEDDED_DEFAULT_CONFIG } from '../../src/config/defaults.js';
import { loadMeasuredRates } from '../../src/config/measured-rates.js';
import { renderTierTable, withTierTable } from '../../src/config/tier-table.js';
import { TIERS } from '../../src/config/tiers.js';
import { REPO_ROOT } from '../shared.js';

const readme = readFileSync(join(REPO_ROOT, 'README.md'), 'utf8');

describe('README.md', () => {
  it('shows the tier table exactly as src/config/tiers.ts gives it (run `npm run docs`)', () => {
    expect(withTierTable(readme)).toBe(readme);
    expect(readme).toContain(renderTierTable());
    expect(readme).toContain(`| \`kafka.rawTopicPartitions\` | ${TIERS.small.kafka.rawTopicPartitions} | ${TIERS.medium.kafka.rawTopicPartitions} | ${TIERS.large.kafka.rawTopicPartitions} | ${TIERS.xl.kafka.rawTopicPartitions} |`);
  });

  it('shows the flow capacity table exactly as the tier table and the recorded figures give it (run `npm run docs`)', () => {
    expect(withCapacityTable(readme, TIERS, loadMeasuredRates())).toBe(readme);
  });

  it('shows the embedded default verbatim', () => {
    expect(readme).toContain(`<!-- embedded-default:start -->\n\`\`\`yaml\n${EMBEDDED_DEFAULT_CONFIG}\`\`\`\n<!-- embedded-default:end -->`);
  });

  it('has a Quickstart of exactly two commands: install and synthesize, then test', () => {
    const quickstart = readme.split('## Quickstart')[1].split('```sh\n')[1].split('```')[0].trim().split('\n');
    expect(quickstart.map((l) => l.split('#')[0].trim())).toEqual(['npm ci && npm run synth', 'npm test']);
  });
});

describe('the tier table', () => {
  it('grows with the tier wherever capacity is sized', () => {
    const order = ['small', 'medium', 'large', 'xl'] as const;
    for (let i = 1; i < order.length; i++) {
      const [a, b] = [TIERS[order[i - 1]], TIERS[order[i]]];
      expect(b.devices).toBeGreaterThan(a.devices);
      expect(b.prometheus.shards).toBeGreaterThanOrEqual(a.prometheus.shards);
      expect(b.kafka.rawTopicPartitions).toBeGreaterThan(a.kafka.rawTopicPartitions);
      expect(b.gnmic.replicasMax).toBeGreaterThan(a.gnmic.replicasMax);
    }
    expect(TIERS.large.kafka.rawTopicPartitions).toBe(24);
  });

  it('never asks for more enricher pods than partitions to consume, or more ClickHouse consumers than partitions', () => {
    for (const t of Object.values(TIERS)) {
      expect(t.flowEnricher.replicasMax).toBeLessThanOrEqual(t.kafka.rawTopicPartitions);
      expect(t.clickhouse.kafkaConsumers * t.clickhouse.shards * t.clickhouse.replicas).toBeLessThanOrEqual(t.kafka.enrichedTopicPartitions);
      expect(t.minio.servers === 1 || t.minio.servers * t.minio.drivesPerServer >= 4).toBe(true);
    }
  });
});
