/** A gNMI path as the wire carries it (gnmi.Path without the deprecated `element`). */
export interface GnmiPath {
  readonly origin?: string;
  readonly elem: readonly { readonly name: string; readonly key?: Readonly<Record<string, string>> }[];
}

export class PathError extends Error {
  public constructor(message: string) {
    super(message);
    this.name = 'PathError';
  }
}

/**
 * Parses a path in gnmic's string form: `/a/b[k=v][k2=v2]/c`, with an optional
 * `origin:` before the first slash. Key values may hold `/` and `=` (`name=Ethernet1/1`);
 * `\]` and `\\` escape inside them.
 */
export function parsePath(text: string): GnmiPath {
  let rest = text.trim();
  let origin: string | undefined;
  const colon = rest.indexOf(':');
  if (!rest.startsWith('/') && colon > 0 && rest[colon + 1] === '/') {
    origin = rest.slice(0, colon);
    rest = rest.slice(colon + 1);
  }
  if (!rest.startsWith('/')) throw new PathError(`"${text}" is not a gNMI path (it starts with "/", e.g. /interfaces/interface[name=Ethernet1]/config)`);
  const elem: { name: string; key?: Record<string, string> }[] = [];
  let i = 1;
  while (i < rest.length) {
    let name = '';
    while (i < rest.length && rest[i] !== '/' && rest[i] !== '[') name += rest[i++];
    if (name === '') throw new PathError(`"${text}": empty element at ${i}`);
    const key: Record<string, string> = {};
    while (rest[i] === '[') {
      i++;
      let k = '';
      while (i < rest.length && rest[i] !== '=' && rest[i] !== ']') k += rest[i++];
      if (rest[i] !== '=' || k === '') throw new PathError(`"${text}": key of ${name} is not [name=value]`);
      i++;
      let v = '';
      while (i < rest.length && rest[i] !== ']') {
        if (rest[i] === '\\' && i + 1 < rest.length) i++;
        v += rest[i++];
      }
      if (rest[i] !== ']') throw new PathError(`"${text}": unclosed "[" in ${name}`);
      i++;
      key[k] = v;
    }
    elem.push(Object.keys(key).length > 0 ? { name, key } : { name });
    if (i < rest.length) {
      if (rest[i] !== '/') throw new PathError(`"${text}": expected "/" at ${i}`);
      i++;
      if (i === rest.length) throw new PathError(`"${text}": ends with "/"`);
    }
  }
  return origin === undefined ? { elem } : { origin, elem };
}

/** The string form of a path (keys sorted, as gnmic prints them). */
export function formatPath(path: GnmiPath): string {
  const body = path.elem.map((e) => e.name + Object.keys(e.key ?? {}).sort().map((k) => `[${k}=${(e.key ?? {})[k].replace(/[\\\]]/g, (c) => `\\${c}`)}]`).join('')).join('/');
  return `${path.origin ? `${path.origin}:` : ''}/${body}`;
}
