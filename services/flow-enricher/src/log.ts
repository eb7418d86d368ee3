import type { LogLevel } from './config.js';

const RANK: Record<LogLevel, number> = { debug: 10, info: 20, warn: 30, error: 40 };

export type LogFields = Record<string, unknown>;

/** One JSON object per line on stdout: what Kubernetes log collectors parse without help. */
export class Logger {
  public constructor(private readonly level: LogLevel = 'info', private readonly write: (line: string) => void = (l) => process.stdout.write(l)) {}

  public debug(msg: string, fields?: LogFields): void { this.log('debug', msg, fields); }
  public info(msg: string, fields?: LogFields): void { this.log('info', msg, fields); }
  public warn(msg: string, fields?: LogFields): void { this.log('warn', msg, fields); }
  public error(msg: string, fields?: LogFields): void { this.log('error', msg, fields); }

  public enabled(level: LogLevel): boolean {
    return RANK[level] >= RANK[this.level];
  }

  private log(level: LogLevel, msg: string, fields?: LogFields): void {
    if (!this.enabled(level)) return;
    this.write(`${JSON.stringify({ time: new Date().toISOString(), level, msg, ...fields })}\n`);
  }
}
