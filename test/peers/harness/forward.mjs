// Relays TCP and Unix-socket connections: `node forward.mjs rules.json`, each rule
// {listen, connect} with {host, port} or {path}. Unix sockets are files, so they cross
// network namespaces: a pod network reaches the node's loopback through a pair of these.
import { readFileSync, rmSync, writeFileSync } from 'node:fs';
import { connect, createServer } from 'node:net';

const rulesFile = process.argv[2];
const rules = JSON.parse(readFileSync(rulesFile, 'utf8'));
await Promise.all(rules.map((rule) => new Promise((resolve, reject) => {
  const server = createServer((inbound) => {
    const outbound = connect(rule.connect);
    inbound.pipe(outbound);
    outbound.pipe(inbound);
    const close = () => { inbound.destroy(); outbound.destroy(); };
    inbound.on('error', close);
    outbound.on('error', close);
    inbound.on('close', close);
    outbound.on('close', close);
  });
  server.on('error', reject);
  if (rule.listen.path) rmSync(rule.listen.path, { force: true });
  server.listen(rule.listen, resolve);
})));
writeFileSync(`${rulesFile}.ready`, '');
