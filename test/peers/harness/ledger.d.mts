export interface LedgerEntry {
  readonly event: 'start' | 'stop';
  readonly name: string;
  readonly pid: number;
  readonly command?: string;
  readonly log?: string;
  readonly worker?: number;
  readonly at: string;
}
export declare const RUN_DIR_PREFIX: string;
export declare function runDir(): string;
export declare function newRunDir(): string;
export declare function runInProgress(dir: string): boolean;
export declare function ledgerPath(dir?: string): string;
export declare function record(entry: Omit<LedgerEntry, 'at'>): void;
export declare function readLedger(dir?: string): LedgerEntry[];
export declare function unstopped(entries: readonly LedgerEntry[]): LedgerEntry[];
export declare function isAlive(pid: number): boolean;
export declare function killGroup(pid: number): void;
