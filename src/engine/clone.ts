// Deep copies of the engine's data, which is JSON data throughout (parsed documents, validated
// inputs): plain objects, arrays and primitives. A walk over those is several times cheaper
// than structuredClone, which serialises its argument and reads it back.

/** A deep copy of a JSON value; a `__proto__` key stays an own property, as JSON.parse makes it. */
export function cloneJson<T>(value: T): T {
  if (typeof value !== 'object' || value === null) return value;
  if (Array.isArray(value)) {
    const copy: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) copy[i] = cloneJson(value[i]);
    return copy as T;
  }
  const copy: Record<string, unknown> = {};
  for (const key of Object.keys(value)) {
    const item = cloneJson((value as Record<string, unknown>)[key]);
    if (key === '__proto__') Object.defineProperty(copy, key, { value: item, enumerable: true, writable: true, configurable: true });
    else copy[key] = item;
  }
  return copy as T;
}
