import { isIPv4 } from 'node:net';

/*
 * The rules config values must follow, each as the consumer of the value applies
 * it (the API server, S3, Thanos, Alertmanager). Each function says why a value
 * breaks its rule, or returns undefined; none throws, whatever the input.
 */

const CIDR_EXAMPLE = 'such as 10.20.0.0/16 or 2001:db8:100::/48';

/** Why `value` is not a network in CIDR notation (v4 or v6, host bits clear), or undefined when it is one. */
export function cidrProblem(value: string): string | undefined {
  const [address, prefix, ...rest] = value.split('/');
  if (prefix === undefined || rest.length > 0) {
    return `is not a CIDR: write an address and a prefix length, ${CIDR_EXAMPLE}`;
  }
  if (address.includes('%')) {
    return `is not a CIDR: "${address}" has a zone id (%...), which names an interface of one host, not a network; write the network, ${CIDR_EXAMPLE}`;
  }
  const parsed = parseAddress(address);
  if (!parsed) return `is not a CIDR: "${address}" is not an IPv4 or IPv6 address`;
  const max = parsed.family === 4 ? 32 : 128;
  if (!/^(0|[1-9][0-9]{0,2})$/.test(prefix) || Number(prefix) > max) {
    return `is not a CIDR: the prefix length must be 0 to ${max} for IPv${parsed.family}`;
  }
  const hostBits = (1n << BigInt(max - Number(prefix))) - 1n;
  if ((parsed.bits & hostBits) !== 0n) {
    return `is not a CIDR: it has host bits set; did you mean ${formatAddress(parsed.bits & ~hostBits, parsed.family)}/${prefix}?`;
  }
  return undefined;
}

interface ParsedAddress {
  readonly family: 4 | 6;
  readonly bits: bigint;
}

function ipv4Bits(address: string): bigint | undefined {
  // node's isIPv4 refuses leading zeros, which some parsers read as octal.
  if (!isIPv4(address)) return undefined;
  return address.split('.').reduce((acc, octet) => (acc << 8n) | BigInt(Number(octet)), 0n);
}

/** An IPv4 or IPv6 address (without zone id) as a number, or undefined when it is not one. */
function parseAddress(address: string): ParsedAddress | undefined {
  const v4 = ipv4Bits(address);
  if (v4 !== undefined) return { family: 4, bits: v4 };
  let text = address;
  let tail: bigint[] = [];
  // An IPv4 address may end an IPv6 one (::ffff:192.0.2.1): it counts as two groups.
  if (text.includes('.')) {
    const colon = text.lastIndexOf(':');
    const embedded = colon < 0 ? undefined : ipv4Bits(text.slice(colon + 1));
    if (embedded === undefined) return undefined;
    tail = [embedded >> 16n, embedded & 0xffffn];
    text = text.slice(0, colon + 1);
    if (!text.endsWith('::')) text = text.slice(0, -1);
  }
  const halves = text.split('::');
  if (halves.length > 2) return undefined;
  const head = halves[0] === '' ? [] : halves[0].split(':');
  const rest = halves.length === 2 && halves[1] !== '' ? halves[1].split(':') : [];
  const explicit = head.length + rest.length + tail.length;
  if (halves.length === 1 ? explicit !== 8 : explicit > 7) return undefined;
  const zeros = halves.length === 2 ? Array<string>(8 - explicit).fill('0') : [];
  const groups: bigint[] = [];
  for (const g of [...head, ...zeros, ...rest]) {
    if (!/^[0-9A-Fa-f]{1,4}$/.test(g)) return undefined;
    groups.push(BigInt(parseInt(g, 16)));
  }
  return { family: 6, bits: [...groups, ...tail].reduce((acc, g) => (acc << 16n) | g, 0n) };
}

function formatAddress(bits: bigint, family: 4 | 6): string {
  if (family === 4) {
    return [24n, 16n, 8n, 0n].map((s) => ((bits >> s) & 0xffn).toString()).join('.');
  }
  const groups = Array.from({ length: 8 }, (_, i) => ((bits >> BigInt(112 - 16 * i)) & 0xffffn).toString(16));
  // The longest run of zero groups collapses to "::" (RFC 5952).
  let best = { start: -1, len: 0 };
  for (let i = 0; i < 8;) {
    if (groups[i] !== '0') { i++; continue; }
    let j = i;
    while (j < 8 && groups[j] === '0') j++;
    if (j - i > best.len && j - i > 1) best = { start: i, len: j - i };
    i = j;
  }
  if (best.start < 0) return groups.join(':');
  return `${groups.slice(0, best.start).join(':')}::${groups.slice(best.start + best.len).join(':')}`;
}

const DNS_LABEL = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** Why `value` is not a DNS-1123 subdomain (the names of most Kubernetes objects, StorageClasses among them). */
export function dnsSubdomainProblem(value: string): string | undefined {
  if (value.length > 253 || !value.split('.').every((label) => label.length <= 63 && DNS_LABEL.test(label))) {
    return 'is not a Kubernetes object name (DNS subdomain): use at most 253 lowercase letters, digits, "-" and ".", '
      + 'each dot-separated part starting and ending with a letter or digit';
  }
  return undefined;
}

const BUCKET_RULES = '3-63 lowercase letters, digits, "." and "-", starting and ending with a letter or digit, no "..", '
  + 'not an IP address, not starting with xn--, sthree- or amzn-s3-demo-, not ending with -s3alias, --ol-s3, .mrap, --x-s3 or --table-s3';

/** Why `value` breaks S3's bucket naming rules (which MinIO follows too), or undefined when it keeps them. */
export function bucketNameProblem(value: string): string | undefined {
  const broken = !/^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]$/.test(value)
    || value.includes('..')
    || /^\d+\.\d+\.\d+\.\d+$/.test(value)
    || ['xn--', 'sthree-', 'amzn-s3-demo-'].some((p) => value.startsWith(p))
    || ['-s3alias', '--ol-s3', '.mrap', '--x-s3', '--table-s3'].some((s) => value.endsWith(s));
  return broken ? `is not a valid S3 bucket name: use ${BUCKET_RULES}` : undefined;
}

const HOSTNAME = /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?)*$/;

/**
 * Why `value` is not `host[:port]`: a DNS name, an IPv4 address or an IPv6 address
 * in brackets, and a port from 1 to 65535 (required when `portRequired`). No scheme,
 * no path: Thanos's S3 `endpoint` and Alertmanager's `smarthost` take exactly this.
 */
export function hostPortProblem(value: string, portRequired: boolean): string | undefined {
  const form = portRequired ? 'host:port, such as smtp.example.net:587 or [2001:db8::25]:25' : 'host or host:port without a scheme, such as s3.eu-central-1.amazonaws.com or [2001:db8::10]:9000';
  if (/^[a-z][a-z0-9+.-]*:\/\//i.test(value)) return `has a scheme; write ${form}`;
  const m = /^(\[([^\]]*)\]|[^:[\]]*)(?::([^:]*))?$/.exec(value);
  if (!m) {
    return parseAddress(value)?.family === 6 ? `is an IPv6 address without brackets; write ${form}` : `is not ${form}`;
  }
  const [, host, bracketed, port] = m;
  if (bracketed !== undefined ? parseAddress(bracketed)?.family !== 6 : !(isIPv4(host) || HOSTNAME.test(host))) {
    return `is not ${form}: "${host}" is not a DNS name, an IPv4 address or an IPv6 address in brackets`;
  }
  if (port === undefined) return portRequired ? `has no port; write ${form}` : undefined;
  if (!/^[0-9]{1,5}$/.test(port) || Number(port) < 1 || Number(port) > 65535) {
    return `has port "${port}"; a port is a number from 1 to 65535`;
  }
  return undefined;
}

/** Why `value` is not a bare host: a DNS name, an IPv4 address or an IPv6 address in brackets, without a port. */
export function hostProblem(value: string): string | undefined {
  const form = 'a host name or address, such as db.example.net, 10.0.0.5 or [2001:db8::5]';
  const bracketed = /^\[(.*)\]$/.exec(value);
  if (bracketed ? parseAddress(bracketed[1])?.family === 6 : isIPv4(value) || HOSTNAME.test(value)) return undefined;
  if (parseAddress(value)?.family === 6) return `is an IPv6 address without brackets; write ${form}`;
  return `is not ${form} (no scheme, no port: the port has its own field)`;
}

/** `text` with the user name and password of every URL in it replaced, for messages: they are never shown. */
export function redactUrls(text: string): string {
  return text.replace(/([a-z][a-z0-9+.-]*:\/\/)[^/?#\s]*@/gi, '$1<credentials>@');
}

/**
 * Why `value` is not an http(s) URL Helios can write into manifests: it must
 * parse, name a host, and carry no user name or password (those would land in
 * ConfigMaps and environment variables; credentials belong in the secret store).
 */
export function urlProblem(value: string): string | undefined {
  let url: URL;
  try {
    url = new URL(value);
  } catch {
    return 'is not a URL; write http:// or https://host[:port][/path]';
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return 'is not an http:// or https:// URL';
  if (url.hostname === '') return 'names no host; write http:// or https://host[:port][/path]';
  if (url.port === '0') return 'has port 0; a port is a number from 1 to 65535';
  if (url.username !== '' || url.password !== '' || /^[a-z][a-z0-9+.-]*:\/\/[^/?#]*@/i.test(value)) {
    return 'has a user name or password in it, which would be written into ConfigMaps in clear; give the URL without them '
      + 'and keep credentials in the secret store (referenced as { key, property }, such as netbox.token)';
  }
  return undefined;
}

/**
 * Why `value` cannot go into a file the External Secrets Operator renders:
 * ESO reads "{{" as the start of a template action.
 */
export function templateTextProblem(value: string): string | undefined {
  return value.includes('{{') ? 'contains "{{", which the External Secrets Operator would read as a template action' : undefined;
}
