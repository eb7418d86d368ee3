#!/usr/bin/env node
// Some native packages (chdb's ClickHouse library, eslint's resolver) ship one
// optional package per platform. The registry this project installs from serves
// only the Linux ones, so `npm install` leaves the others out of package-lock.json,
// and `npm ci` then refuses the lockfile as out of sync. This adds an entry for each
// missing platform package, marked with the os/cpu its name states, so `npm ci`
// accepts the lockfile and skips those packages on every machine they do not fit.
// It is this repository's `prepare` script: it runs after `npm install` here, never
// in a project that installs @helios/platform as a dependency.
import { readFileSync, writeFileSync } from 'node:fs';

const LOCK = 'package-lock.json';
const lock = JSON.parse(readFileSync(LOCK, 'utf8'));
const packages = lock.packages;

/** os and cpu from a platform package's name, e.g. lib-linux-arm64-gnu, binding-win32-ia32-msvc. */
function platformOf(name) {
  const os = ['android', 'darwin', 'freebsd', 'linux', 'openharmony', 'win32', 'sunos', 'aix', 'netbsd', 'openbsd']
    .find((o) => new RegExp(`[-/]${o}-`).test(name));
  const cpu = ['arm64', 'arm', 'x64', 'ia32', 'loong64', 'ppc64', 'riscv64', 's390x', 'mips64el', 'wasm32']
    .find((c) => new RegExp(`-${c}(-|$)`).test(name));
  return os && cpu ? { os, cpu } : undefined;
}

let added = 0;
for (const [path, entry] of Object.entries(packages)) {
  for (const [dep, spec] of Object.entries(entry.optionalDependencies ?? {})) {
    const key = `node_modules/${dep}`;
    const nested = `${path}/node_modules/${dep}`;
    if (packages[key] || packages[nested]) continue;
    const platform = platformOf(dep);
    if (!platform) {
      throw new Error(`${LOCK}: optional dependency ${dep} of ${path || 'the root'} is missing and is not a platform package; run npm install`);
    }
    packages[key] = {
      version: spec.replace(/^[\^~=]/, ''),
      ...(entry.dev ? { dev: true } : {}),
      optional: true,
      os: [platform.os],
      cpu: [platform.cpu],
    };
    added++;
  }
}
if (added > 0) {
  lock.packages = Object.fromEntries(Object.entries(packages).sort(([a], [b]) => (a === '' ? -1 : b === '' ? 1 : a.localeCompare(b))));
  writeFileSync(LOCK, `${JSON.stringify(lock, null, 2)}\n`);
  console.error(`${LOCK}: added ${added} platform package entries the registry does not serve`);
}
