import { unwatchFile } from 'node:fs';
import maxmind, { type AsnResponse, type CityResponse, type Reader } from 'maxmind';
import { formatKey } from './ip.js';

/** What GeoIP says about one address; empty strings and 0 where a database has no answer. */
export interface GeoAnswer {
  /** ISO 3166-1 alpha-2, "" when the City database has no record. */
  readonly country: string;
  /** English city name. */
  readonly city: string;
  readonly asn: number;
  readonly asName: string;
  /** Whether the City and ASN databases had a record at all (for the miss counters). */
  readonly cityFound: boolean;
  readonly asnFound: boolean;
}

/** Answers GeoIp keeps (each is a few strings): twice the readers' record caches. */
const ANSWERS_MAX = 20_000;

/** Address lookups, by address key (ip.ts). */
export interface GeoLookup {
  readonly hasCity: boolean;
  readonly hasAsn: boolean;
  lookup(key: number | string): GeoAnswer;
}

export interface GeoIpFiles {
  /** GeoIP2/GeoLite2 City database. */
  readonly cityDb?: string;
  /** GeoLite2 ASN database. */
  readonly asnDb?: string;
}

/**
 * MaxMind City and ASN databases, read with the `maxmind` package. The files are
 * mounted (their licence forbids baking them into the image) and replaced in place
 * by whatever updates them: the readers watch them and reload, and `onReload`
 * lets the enricher drop answers it cached from the old data.
 */
export class GeoIp implements GeoLookup {
  public static async open(files: GeoIpFiles, onReload: () => void = () => {}): Promise<GeoIp> {
    const geo = new GeoIp(files, onReload);
    // The readers cache decoded records by their place in the file, which many
    // networks share (one city, one AS): it makes the enricher's address-cache
    // misses cheap. 10,000 records is the maxmind package's default.
    const options = (hook: () => void) => ({ cache: { max: 10_000 }, watchForUpdates: true, watchForUpdatesNonPersistent: true, watchForUpdatesHook: hook });
    if (files.cityDb) geo.city = await openDatabase<CityResponse>(files.cityDb, 'City', options(() => geo.reloaded()));
    if (files.asnDb) geo.asn = await openDatabase<AsnResponse>(files.asnDb, 'ASN', options(() => geo.reloaded()));
    return geo;
  }

  private city?: Reader<CityResponse>;
  private asn?: Reader<AsnResponse>;
  /** Answers by City record, then ASN record (null: no record). */
  private readonly answers = new Map<CityResponse | null, Map<AsnResponse | null, GeoAnswer>>();
  private answerCount = 0;

  private constructor(private readonly files: GeoIpFiles, private readonly onReload: () => void) {}

  public get hasCity(): boolean {
    return this.city !== undefined;
  }

  public get hasAsn(): boolean {
    return this.asn !== undefined;
  }

  /** When each database was built (MaxMind's metadata), for the data-age gauges. */
  public get buildTimes(): { city?: Date; asn?: Date } {
    return { city: this.city?.metadata.buildEpoch, asn: this.asn?.metadata.buildEpoch };
  }

  /**
   * The answer for an address: the same object for every address whose City and
   * ASN records are the same (the readers hand out one object per cached record),
   * so what callers derive from an answer can be kept by its identity.
   */
  public lookup(key: number | string): GeoAnswer {
    const text = formatKey(key);
    const c = this.city?.get(text) ?? null;
    const a = this.asn?.get(text) ?? null;
    let byAsn = this.answers.get(c);
    let answer = byAsn?.get(a);
    if (answer === undefined) {
      answer = {
        country: c?.country?.iso_code ?? '',
        city: c?.city?.names?.en ?? '',
        asn: a?.autonomous_system_number ?? 0,
        asName: a?.autonomous_system_organization ?? '',
        cityFound: c !== null,
        asnFound: a !== null,
      };
      if (this.answerCount >= ANSWERS_MAX) this.forgetAnswers();
      if (byAsn === undefined) this.answers.set(c, (byAsn = new Map()));
      byAsn.set(a, answer);
      this.answerCount++;
    }
    return answer;
  }

  private forgetAnswers(): void {
    this.answers.clear();
    this.answerCount = 0;
  }

  /** Stops watching the files. */
  public close(): void {
    for (const path of [this.files.cityDb, this.files.asnDb]) if (path) unwatchFile(path);
  }

  private reloaded(): void {
    this.forgetAnswers();
    this.onReload();
  }
}

async function openDatabase<T extends CityResponse | AsnResponse>(path: string, kind: string, options: Parameters<typeof maxmind.open>[1]): Promise<Reader<T>> {
  let reader: Reader<T>;
  try {
    reader = await maxmind.open<T>(path, options);
  } catch (e) {
    throw new Error(`GeoIP ${kind} database ${path}: ${(e as Error).message}`);
  }
  const type = reader.metadata.databaseType;
  if (!type.includes(kind)) {
    throw new Error(`GeoIP ${kind} database ${path} is a ${type} database; expected a ${kind} database (GeoIP2-${kind} or GeoLite2-${kind})`);
  }
  return reader;
}
