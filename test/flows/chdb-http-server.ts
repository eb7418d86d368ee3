/**
 * chdb (ClickHouse in-process) behind the part of ClickHouse's HTTP interface
 * @clickhouse/client uses: GET /ping, and POST with the statement in the body or
 * in `?query=` followed by the body (INSERT ... FORMAT x, then the rows). The
 * output format is the statement's own FORMAT clause, as the client writes it.
 *
 * Run as its own process (`node --import tsx chdb-http-server.ts <port> <data dir>`):
 * chdb's engine lives once per process and its background pools (Kafka engine,
 * merges) do not come back after a session closes, so each test file that needs
 * them gets a ClickHouse of its own, like a server.
 */
import { createServer } from 'node:http';
import { Session } from 'chdb';

const [port, dataDir] = process.argv.slice(2);
if (!port || !dataDir) {
  process.stderr.write('usage: chdb-http-server <port> <data dir>\n');
  process.exit(2);
}
const session = new Session(dataDir);

const server = createServer((req, res) => {
  const url = new URL(req.url ?? '/', 'http://localhost');
  if (url.pathname === '/ping') {
    res.writeHead(200, { 'Content-Type': 'text/plain' }).end('Ok.\n');
    return;
  }
  const chunks: Buffer[] = [];
  req.on('data', (c: Buffer) => chunks.push(c));
  req.on('end', () => {
    const body = Buffer.concat(chunks).toString('utf8');
    const inUrl = url.searchParams.get('query');
    const sql = inUrl ? (body ? `${inUrl}\n${body}` : inUrl) : body;
    session.queryAsync(sql, { format: 'TabSeparated' }).then(
      (result) => {
        res.writeHead(200, {
          'Content-Type': 'text/plain; charset=UTF-8',
          'X-ClickHouse-Summary': JSON.stringify({ read_rows: String(result.rowsRead), read_bytes: String(result.bytesRead) }),
        }).end(Buffer.from(result.bytes()));
      },
      (e: Error) => {
        // ClickHouse's own error text ("Code: 60. DB::Exception: ... (UNKNOWN_TABLE)"), which the client parses.
        const message = e.message.replace(/^Query failed: /, '');
        res.writeHead(500, { 'Content-Type': 'text/plain; charset=UTF-8', 'X-ClickHouse-Exception-Code': /Code: (\d+)/.exec(message)?.[1] ?? '1001' }).end(message);
      },
    );
  });
});

server.listen(Number(port), '127.0.0.1', () => process.stdout.write(`chdb-http-server: listening on 127.0.0.1:${port}, data in ${dataDir}\n`));
for (const signal of ['SIGTERM', 'SIGINT'] as const) {
  process.once(signal, () => {
    server.close();
    session.close();
    process.exit(0);
  });
}
