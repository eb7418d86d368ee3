import { TIER_NAMES, TIERS, type TierName } from './tiers.js';

const README_START = '<!-- tier-table:start (generated from src/config/tiers.ts by `npm run docs`) -->';
const README_END = '<!-- tier-table:end -->';

function isResources(v: unknown): v is { cpuRequestMilli: number; cpuLimitMilli: number; memoryRequestMiB: number; memoryLimitMiB: number } {
  return typeof v === 'object' && v !== null && 'cpuRequestMilli' in v;
}

function cell(v: unknown): string {
  if (isResources(v)) return `${v.cpuRequestMilli}–${v.cpuLimitMilli}m CPU, ${v.memoryRequestMiB}–${v.memoryLimitMiB} MiB`;
  return typeof v === 'number' ? v.toLocaleString('en-US') : String(v);
}

/** Every leaf of the tier table as [path, value per tier]. */
function rows(): Array<[string, string[]]> {
  const out: Array<[string, string[]]> = [];
  const walk = (path: string[], pick: (t: TierName) => unknown) => {
    const sample = pick('small');
    if (typeof sample === 'object' && sample !== null && !isResources(sample)) {
      for (const key of Object.keys(sample)) walk([...path, key], (t) => (pick(t) as Record<string, unknown>)[key]);
      return;
    }
    out.push([path.join('.'), TIER_NAMES.map((t) => cell(pick(t)))]);
  };
  walk([], (t) => TIERS[t]);
  return out;
}

/** The tier table as Markdown (resources are request–limit). */
export function renderTierTable(): string {
  const header = `| setting | ${TIER_NAMES.join(' | ')} |\n|---|${TIER_NAMES.map(() => '---:').join('|')}|`;
  return `${header}\n${rows().map(([path, values]) => `| \`${path}\` | ${values.join(' | ')} |`).join('\n')}\n`;
}

/** README text with the generated tier table between its markers. */
export function withTierTable(readme: string): string {
  const start = readme.indexOf(README_START);
  const end = readme.indexOf(README_END);
  if (start < 0 || end < start) throw new Error(`README.md lacks the markers ${README_START} ... ${README_END}`);
  return `${readme.slice(0, start + README_START.length)}\n${renderTierTable()}${readme.slice(end)}`;
}
