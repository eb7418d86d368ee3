import { stringify } from 'yaml';

/**
 * Config files that hold credentials are rendered by the External Secrets Operator
 * (template engine v2, Go text/template with Sprig): Helios writes the file with a
 * placeholder where each credential goes, and ESO fills in the value it fetched.
 * `toJson` makes the value a double-quoted JSON string, which YAML reads back
 * verbatim whatever characters the credential contains.
 */
export function secretField(key: string): string {
  if (!/^[A-Za-z][A-Za-z0-9]*$/.test(key)) {
    throw new Error(`secret field "${key}": use letters and digits only (it is a Go template field name)`);
  }
  return `${SENTINEL}${key}${SENTINEL}`;
}

/** The ESO template expression a placeholder becomes. */
export function secretTemplateExpression(key: string): string {
  return `{{ .${key} | toJson }}`;
}

// A plain YAML scalar that no real value contains, so the emitter leaves it unquoted.
const SENTINEL = 'HELIOSSECRETFIELD';
const PLACEHOLDER = new RegExp(`${SENTINEL}([A-Za-z][A-Za-z0-9]*)${SENTINEL}`, 'g');

/**
 * A YAML document whose `secretField()` values become ESO template expressions.
 * Returns the text and the fields it refers to (each must be a data key of the
 * ExternalSecret that renders it).
 */
export function yamlSecretTemplate(document: unknown): { readonly text: string; readonly fields: readonly string[] } {
  const yaml = stringify(document, { lineWidth: 0, aliasDuplicateObjects: false });
  if (yaml.includes('{{')) {
    throw new Error('a secret template must not contain "{{": ESO would read it as a template action');
  }
  const fields = new Set<string>();
  const text = yaml.replace(PLACEHOLDER, (_, key: string) => {
    fields.add(key);
    return secretTemplateExpression(key);
  });
  if (text.includes(SENTINEL)) {
    throw new Error('a secret placeholder ended up inside a longer string; give each credential a value of its own');
  }
  return { text, fields: [...fields].sort() };
}
