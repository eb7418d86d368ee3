/**
 * CronJob schedules as Kubernetes reads them. The API server validates
 * `spec.schedule` with robfig/cron v3's `ParseStandard` and refuses any schedule
 * containing "TZ" (time zones belong in `spec.timeZone`); the CronJob controller
 * parses with the same function. This is that parser's grammar, rule for rule, so
 * Helios refuses exactly what `kubectl apply` would and accepts everything else.
 */

interface FieldBounds {
  readonly name: string;
  readonly min: number;
  readonly max: number;
  readonly names?: Readonly<Record<string, number>>;
}

const MONTH_NAMES = { jan: 1, feb: 2, mar: 3, apr: 4, may: 5, jun: 6, jul: 7, aug: 8, sep: 9, oct: 10, nov: 11, dec: 12 };
const DAY_NAMES = { sun: 0, mon: 1, tue: 2, wed: 3, thu: 4, fri: 5, sat: 6 };

const FIELDS: readonly FieldBounds[] = [
  { name: 'minute', min: 0, max: 59 },
  { name: 'hour', min: 0, max: 23 },
  { name: 'day of month', min: 1, max: 31 },
  { name: 'month', min: 1, max: 12, names: MONTH_NAMES },
  { name: 'day of week', min: 0, max: 6, names: DAY_NAMES },
];

const CRON_MACROS = ['@yearly', '@annually', '@monthly', '@weekly', '@daily', '@midnight', '@hourly'] as const;

const SYNTAX = 'five fields "minute hour day-of-month month day-of-week" (each *, ?, a number or name, a range a-b, a step /n, or a list of these joined by ","), '
  + `such as "*/5 * * * *" or "0 6 * * MON-FRI"; or one of ${CRON_MACROS.join(', ')}, "@every <duration>"`;

// Go's unicode.IsSpace, which strings.Fields splits on (JavaScript's \s differs: it has U+FEFF and lacks U+0085).
const GO_SPACE = /[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+/;
const INT64_MAX = 2n ** 63n - 1n;

/** Why a CronJob schedule is not one Kubernetes accepts, or undefined when it is one. */
export function cronScheduleProblem(schedule: string): string | undefined {
  const problem = parseProblem(schedule);
  if (problem) return `is not a Kubernetes CronJob schedule: ${problem}; write ${SYNTAX}`;
  if (schedule.includes('TZ')) return 'names a time zone (TZ= or CRON_TZ=), which Kubernetes refuses in a CronJob schedule; schedules run in the time zone of the kube-controller-manager';
  return undefined;
}

function parseProblem(spec: string): string | undefined {
  if (spec.length === 0) return 'it is empty';
  // A TZ= prefix is refused as a whole (any "TZ"); its remainder is not worth parsing.
  if (spec.startsWith('TZ=') || spec.startsWith('CRON_TZ=')) return undefined;
  if (spec.startsWith('@')) return descriptorProblem(spec);
  const fields = spec.split(GO_SPACE).filter((f) => f.length > 0);
  if (fields.length !== 5) return `expected exactly 5 fields, found ${fields.length}`;
  for (const [i, field] of fields.entries()) {
    // Go's strings.FieldsFunc: empty list items are skipped, not errors.
    for (const expr of field.split(',').filter((e) => e.length > 0)) {
      const problem = rangeProblem(expr, FIELDS[i]);
      if (problem) return `${FIELDS[i].name} "${field}": ${problem}`;
    }
  }
  return undefined;
}

function descriptorProblem(spec: string): string | undefined {
  if ((CRON_MACROS as readonly string[]).includes(spec)) return undefined;
  const every = '@every ';
  if (spec.startsWith(every)) {
    return goDurationProblem(spec.slice(every.length)) === undefined ? undefined : `"${spec.slice(every.length)}" is not a duration such as 90s, 15m or 1h30m`;
  }
  return `"${spec}" is not a schedule macro`;
}

function rangeProblem(expr: string, bounds: FieldBounds): string | undefined {
  const rangeAndStep = expr.split('/');
  const lowAndHigh = rangeAndStep[0].split('-');
  let start: bigint;
  let end: bigint;
  if (lowAndHigh[0] === '*' || lowAndHigh[0] === '?') {
    start = BigInt(bounds.min);
    end = BigInt(bounds.max);
  } else {
    const low = intOrName(lowAndHigh[0], bounds);
    if (typeof low === 'string') return low;
    start = low;
    if (lowAndHigh.length === 1) {
      end = start;
    } else if (lowAndHigh.length === 2) {
      const high = intOrName(lowAndHigh[1], bounds);
      if (typeof high === 'string') return high;
      end = high;
    } else {
      return `too many hyphens in "${expr}"`;
    }
  }
  let step = 1n;
  if (rangeAndStep.length === 2) {
    const parsed = nonNegativeInt(rangeAndStep[1]);
    if (typeof parsed === 'string') return parsed;
    step = parsed;
    // "N/step" means "N-max/step".
    if (lowAndHigh.length === 1) end = BigInt(bounds.max);
  } else if (rangeAndStep.length > 2) {
    return `too many slashes in "${expr}"`;
  }
  const allowed = `${bounds.min}-${bounds.max}`;
  if (start < BigInt(bounds.min)) return `${start} is below ${bounds.min} (allowed: ${allowed})`;
  if (end > BigInt(bounds.max)) return `${end} is above ${bounds.max} (allowed: ${allowed})`;
  if (start > end) return `the range ${start}-${end} runs backwards`;
  if (step === 0n) return `the step of "${expr}" is 0; a step must be 1 or more`;
  return undefined;
}

function intOrName(expr: string, bounds: FieldBounds): bigint | string {
  if (bounds.names) {
    // Go's strings.ToLower turns U+0130 into a plain "i"; JavaScript adds a combining dot.
    const named = bounds.names[expr.replaceAll('\u0130', 'i').toLowerCase()];
    if (named !== undefined) return BigInt(named);
  }
  return nonNegativeInt(expr);
}

/** Go's strconv.Atoi (an optional sign, decimal digits, 64 bits), then "not negative". */
function nonNegativeInt(expr: string): bigint | string {
  if (!/^[+-]?[0-9]+$/.test(expr)) return `"${expr}" is not a number${expr ? '' : ' (it is empty)'}`;
  const n = BigInt(expr);
  if (n > INT64_MAX || n < -INT64_MAX - 1n) return `"${expr}" is out of range`;
  if (n < 0n) return `"${expr}" is negative`;
  return n;
}

const DURATION_UNITS: Readonly<Record<string, bigint>> = {
  ns: 1n,
  us: 1_000n,
  µs: 1_000n,
  μs: 1_000n,
  ms: 1_000_000n,
  s: 1_000_000_000n,
  m: 60_000_000_000n,
  h: 3_600_000_000_000n,
};

/** Why `text` is not a duration Go's time.ParseDuration reads, or undefined when it is one. */
function goDurationProblem(text: string): string | undefined {
  let s = text;
  let negative = false;
  if (s.startsWith('-') || s.startsWith('+')) {
    negative = s[0] === '-';
    s = s.slice(1);
  }
  if (s === '0') return undefined;
  if (s === '') return 'empty';
  let total = 0n;
  const limit = 1n << 63n;
  while (s !== '') {
    const m = /^([0-9]*)(?:\.([0-9]*))?/.exec(s)!;
    const [whole, int, frac] = m;
    if (int === '' && (frac === undefined || frac === '')) return 'a number is missing';
    s = s.slice(whole.length);
    const unitMatch = /^[^.0-9]*/.exec(s)![0];
    if (unitMatch === '') return 'a unit is missing';
    const unit = DURATION_UNITS[unitMatch];
    if (unit === undefined) return `unknown unit "${unitMatch}"`;
    s = s.slice(unitMatch.length);
    const v = int === '' ? 0n : BigInt(int);
    if (v > limit / unit) return 'overflow';
    let d = v * unit;
    if (frac) {
      // Go keeps fraction digits while they fit; a few more never change the result.
      const digits = frac.slice(0, 19);
      d += (BigInt(digits) * unit) / 10n ** BigInt(digits.length);
    }
    total += d;
    if (total > limit) return 'overflow';
  }
  if (!negative && total > limit - 1n) return 'overflow';
  return undefined;
}
