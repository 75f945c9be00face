/**
 * A deep copy of an entity that keeps classes: the entity and every nested object keep their
 * prototype (`structuredClone` would turn them into plain objects, and Buffers into
 * Uint8Arrays), Dates, Buffers, typed arrays, Maps, Sets and arrays are copied, cycles are kept.
 * Functions and accessors are shared, as they hold no per-request data.
 */
export function deepCopy<T>(value: T): T {
  return copyValue(value, new Map<object, unknown>()) as T;
}

function copyValue(value: unknown, seen: Map<object, unknown>): unknown {
  if (typeof value !== 'object' || value === null) return value;
  const known = seen.get(value);
  if (known !== undefined) return known;
  const leaf = copyLeaf(value);
  if (leaf !== undefined) {
    seen.set(value, leaf);
    return leaf;
  }
  if (value instanceof Map) {
    const out = new Map<unknown, unknown>();
    seen.set(value, out);
    for (const [k, v] of value) out.set(copyValue(k, seen), copyValue(v, seen));
    return out;
  }
  if (value instanceof Set) {
    const out = new Set<unknown>();
    seen.set(value, out);
    for (const v of value) out.add(copyValue(v, seen));
    return out;
  }
  const out: object = Array.isArray(value) ? new Array<unknown>(value.length) : {};
  Object.setPrototypeOf(out, Object.getPrototypeOf(value) as object | null);
  seen.set(value, out);
  for (const key of Reflect.ownKeys(value)) {
    const descriptor = Object.getOwnPropertyDescriptor(value, key) as PropertyDescriptor;
    if (Array.isArray(out) && key === 'length') continue;
    if ('value' in descriptor) descriptor.value = copyValue(descriptor.value, seen);
    Object.defineProperty(out, key, descriptor);
  }
  return out;
}

/** A copy of a value whose contents are not plain properties, or `undefined` for other objects. */
function copyLeaf(value: object): object | undefined {
  if (value instanceof Date) return new Date(value.getTime());
  if (value instanceof RegExp) return new RegExp(value.source, value.flags);
  if (Buffer.isBuffer(value)) return Buffer.from(value);
  if (value instanceof DataView) return new DataView(value.buffer.slice(value.byteOffset, value.byteOffset + value.byteLength));
  if (ArrayBuffer.isView(value)) return (value as unknown as { slice(): object }).slice();
  if (value instanceof ArrayBuffer) return value.slice(0);
  return undefined;
}
