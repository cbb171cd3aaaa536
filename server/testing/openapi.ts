/**
 * GitHub's published REST description (@octokit/openapi) as a check on what the forge stand-in
 * receives: the route a request names must exist for its method, and its JSON body must satisfy the
 * route's request body schema. A small validator for the OpenAPI 3.0 subset those schemas use (type,
 * nullable, enum, required, properties, additionalProperties, items, min/max lengths and items,
 * oneOf/anyOf/allOf, $ref), so the check needs no dependency of its own.
 */
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';

type Schema = Record<string, unknown>;
interface Operation {
  requestBody?: { required?: boolean; content?: Record<string, { schema?: Schema }> };
}
interface Description {
  paths: Record<string, Record<string, Operation>>;
  components: { schemas: Record<string, Schema> };
}

let loaded: Description | null = null;

function description(): Description {
  if (!loaded) {
    const file = createRequire(import.meta.url).resolve('@octokit/openapi/generated/api.github.com.json');
    loaded = JSON.parse(readFileSync(file, 'utf8')) as Description;
  }
  return loaded;
}

function deref(schema: Schema): Schema {
  const ref = schema.$ref;
  if (typeof ref !== 'string') return schema;
  const name = ref.replace('#/components/schemas/', '');
  return deref(description().components.schemas[name] ?? {});
}

function typeOk(type: string, value: unknown): boolean {
  switch (type) {
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
    case 'array':
      return Array.isArray(value);
    case 'integer':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number';
    default:
      return typeof value === type;
  }
}

/** Problems of `value` against `schema`, each naming where (`body.output.title: ...`); empty when valid. */
export function validate(raw: Schema, value: unknown, where = 'body'): string[] {
  const schema = deref(raw);
  if (value === null) return schema.nullable || schema.type === 'null' || schema.type === undefined ? [] : [`${where}: null is not allowed`];
  const problems: string[] = [];
  if (Array.isArray(schema.allOf)) for (const s of schema.allOf as Schema[]) problems.push(...validate(s, value, where));
  for (const key of ['oneOf', 'anyOf'] as const) {
    const options = schema[key] as Schema[] | undefined;
    if (!options) continue;
    const passing = options.filter((s) => validate(s, value, where).length === 0).length;
    if (key === 'oneOf' ? passing !== 1 : passing === 0) problems.push(`${where}: matches ${passing} of the ${key} schemas`);
  }
  const types = schema.type === undefined ? [] : Array.isArray(schema.type) ? (schema.type as string[]) : [schema.type as string];
  if (types.length && !types.some((t) => typeOk(t, value))) return [...problems, `${where}: must be ${types.join(' or ')}`];
  if (Array.isArray(schema.enum) && !schema.enum.includes(value)) problems.push(`${where}: must be one of ${(schema.enum as unknown[]).join(', ')}`);
  if (typeof value === 'string') {
    if (typeof schema.maxLength === 'number' && value.length > schema.maxLength) problems.push(`${where}: longer than ${schema.maxLength}`);
    if (typeof schema.minLength === 'number' && value.length < schema.minLength) problems.push(`${where}: shorter than ${schema.minLength}`);
    if (schema.format === 'date-time' && Number.isNaN(Date.parse(value))) problems.push(`${where}: not a date-time`);
  }
  if (Array.isArray(value)) {
    if (typeof schema.maxItems === 'number' && value.length > schema.maxItems) problems.push(`${where}: more than ${schema.maxItems} items`);
    if (typeof schema.minItems === 'number' && value.length < schema.minItems) problems.push(`${where}: fewer than ${schema.minItems} items`);
    if (schema.items) value.forEach((item, i) => problems.push(...validate(schema.items as Schema, item, `${where}[${i}]`)));
  }
  if (typeOk('object', value)) {
    const record = value as Record<string, unknown>;
    const properties = (schema.properties ?? {}) as Record<string, Schema>;
    for (const name of (schema.required ?? []) as string[]) if (!(name in record)) problems.push(`${where}.${name}: required`);
    for (const [name, v] of Object.entries(record)) {
      if (properties[name]) problems.push(...validate(properties[name], v, `${where}.${name}`));
      else if (schema.additionalProperties === false) problems.push(`${where}.${name}: not a property of this route's body`);
      else if (typeof schema.additionalProperties === 'object') problems.push(...validate(schema.additionalProperties as Schema, v, `${where}.${name}`));
    }
  }
  return problems;
}

/** The described route a request path matches (`/repos/a/b/check-runs/7` -> `/repos/{owner}/{repo}/check-runs/{check_run_id}`). */
export function routeOf(method: string, path: string): { template: string; operation: Operation } | null {
  const wanted = path.replace(/\?.*$/, '').split('/');
  let best: { template: string; operation: Operation; literal: number } | null = null;
  for (const [template, operations] of Object.entries(description().paths)) {
    const parts = template.split('/');
    if (parts.length !== wanted.length) continue;
    if (!parts.every((p, i) => (p.startsWith('{') ? wanted[i].length > 0 : p === wanted[i]))) continue;
    const operation = operations[method.toLowerCase()];
    // `/issues/comments/{id}` over `/issues/{number}/...`: the most literal template is the route.
    const literal = parts.filter((p) => !p.startsWith('{')).length;
    if (operation && (!best || literal > best.literal)) best = { template, operation, literal };
  }
  return best && { template: best.template, operation: best.operation };
}

/** What is wrong with a request to GitHub by its published description; empty when nothing is. */
export function githubRequestProblems(method: string, path: string, body: unknown): string[] {
  const route = routeOf(method, path);
  if (!route) return [`${method} ${path}: no such route in GitHub's REST description`];
  const schema = route.operation.requestBody?.content?.['application/json']?.schema;
  if (!schema) return body === undefined ? [] : [`${method} ${route.template} takes no body`];
  if (body === undefined) return route.operation.requestBody?.required ? [`${method} ${route.template} needs a body`] : [];
  return validate(schema, body);
}
