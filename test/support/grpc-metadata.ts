/**
 * A stand-in for @grpc/grpc-js `Metadata`, which is not installed here (no gRPC peer can run on
 * this machine): keys are lower-cased when set, `get` gives every value of a key (an array, empty
 * when none), `getMap` the first of each, as its server hands metadata to a handler.
 */
export class GrpcMetadata {
  private readonly map = new Map<string, (string | Buffer)[]>();

  constructor(entries: [string, string | Buffer][] = []) {
    for (const [key, value] of entries) this.add(key, value);
  }

  add(key: string, value: string | Buffer): void {
    const k = key.toLowerCase();
    this.map.set(k, [...(this.map.get(k) ?? []), value]);
  }

  get(key: string): (string | Buffer)[] {
    return this.map.get(key.toLowerCase()) ?? [];
  }

  getMap(): Record<string, string | Buffer> {
    return Object.fromEntries([...this.map].map(([k, v]) => [k, v[0]!]));
  }
}
