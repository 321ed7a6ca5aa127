import { expect } from 'vitest';

/**
 * Field-by-field response check: `spec` maps a path (`a.b[]`, `a.b[].c`) to the proto3 JSON type
 * the MLflow client reads there (string | int | number | bool | object | array). Every path of
 * the spec must be present in the body with that type — in every element of every array on the way.
 */
export type FieldType = 'string' | 'int' | 'number' | 'bool' | 'object' | 'array';

function typeOk(value: unknown, type: FieldType): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'int':
      return Number.isInteger(value);
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'bool':
      return typeof value === 'boolean';
    case 'object':
      return value !== null && typeof value === 'object' && !Array.isArray(value);
    case 'array':
      return Array.isArray(value);
  }
}

function valuesAt(body: unknown, path: string): { where: string; value: unknown }[] {
  let current: { where: string; value: unknown }[] = [{ where: '', value: body }];
  for (const part of path.split('.')) {
    const each = part.endsWith('[]');
    const key = each ? part.slice(0, -2) : part;
    const next: { where: string; value: unknown }[] = [];
    for (const { where, value } of current) {
      const child = (value as Record<string, unknown> | undefined)?.[key];
      const at = where ? `${where}.${key}` : key;
      if (each) {
        if (!Array.isArray(child)) next.push({ where: at, value: child });
        else child.forEach((c, i) => next.push({ where: `${at}[${i}]`, value: c }));
      } else next.push({ where: at, value: child });
    }
    current = next;
  }
  return current;
}

export function expectShape(body: unknown, spec: Record<string, FieldType>): void {
  for (const [path, type] of Object.entries(spec)) {
    for (const { where, value } of valuesAt(body, path)) {
      expect(typeOk(value, type), `${where} should be ${type}, got ${JSON.stringify(value)}`).toBe(true);
    }
  }
}

/** MLflow's error body: exactly {error_code, message}, the message naming what was wrong. */
export function expectMlflowError(
  res: { statusCode: number; headers: Record<string, unknown>; json: () => unknown; body: string },
  status: number,
  code: string,
) {
  expect(res.statusCode, res.body).toBe(status);
  expect(String(res.headers['content-type'])).toContain('application/json');
  const body = res.json() as { error_code: string; message: string };
  expect(Object.keys(body).sort()).toEqual(['error_code', 'message']);
  expect(body.error_code).toBe(code);
  expect(typeof body.message).toBe('string');
  return body;
}
