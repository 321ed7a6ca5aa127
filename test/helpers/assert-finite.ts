/**
 * Walks a result object and throws naming the first NaN or ±Infinity it finds: reports must be
 * plain finite JSON, and a NaN deep in a histogram is easy to miss with spot checks.
 */
export function assertFinite(value: unknown, path = '$'): void {
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`${path} is ${value}`);
    return;
  }
  if (value === null || typeof value !== 'object') return;
  if (ArrayBuffer.isView(value)) {
    const arr = value as unknown as ArrayLike<number>;
    for (let i = 0; i < arr.length; i++) assertFinite(arr[i], `${path}[${i}]`);
    return;
  }
  if (value instanceof Map) {
    for (const [k, v] of value) assertFinite(v, `${path}.get(${String(k)})`);
    return;
  }
  if (Array.isArray(value)) {
    value.forEach((v, i) => assertFinite(v, `${path}[${i}]`));
    return;
  }
  for (const [k, v] of Object.entries(value)) assertFinite(v, `${path}.${k}`);
}
