import { createServer, type Server } from 'node:http';

/** The webhook sink standing in for PagerDuty's Events API, Slack and webhook receivers: records every request body, by path. */
export class Sink {
  public readonly received: Array<{ path: string; body: any }> = [];
  private server!: Server;
  public port = 0;
  public async start(): Promise<void> {
    this.server = createServer((req, res) => {
      let body = '';
      req.on('data', (c) => { body += c; });
      req.on('end', () => {
        this.received.push({ path: req.url ?? '', body: body ? JSON.parse(body) : undefined });
        res.writeHead(202, { 'content-type': 'application/json' });
        res.end('{"status":"success"}');
      });
    });
    await new Promise<void>((r) => this.server.listen(0, '127.0.0.1', r));
    this.port = (this.server.address() as { port: number }).port;
  }
  public url(path: string): string {
    return `http://127.0.0.1:${this.port}${path}`;
  }
  public stop(): Promise<void> {
    return new Promise((r) => this.server?.close(() => r()) ?? r());
  }
}
