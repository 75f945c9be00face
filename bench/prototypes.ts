/**
 * NOT the library: a prototype measured next to it, to size a proposed change to src/.
 *
 * `RowCachingUserSyncService` is the library's UserSyncService with its (protected) lookup
 * `findByLookup` answered from a small per-process cache: the row found for a lookup value is
 * reused for `ttlMs`, bounded to `maxEntries` (oldest dropped first). With it, a user who is
 * already in the table costs no database round within the TTL; a change made in the database
 * reaches requests after at most the TTL. It is served on /sync-sqlite-cached only.
 */
import type { ObjectLiteral, Repository } from 'typeorm';
import { UserSyncService } from '../src/index.js';

export class RowCachingUserSyncService extends UserSyncService {
  static ttlMs = 5000;
  static maxEntries = 10_000;
  private readonly rows = new Map<string, { row: ObjectLiteral; until: number }>();

  protected override async findByLookup(repo: Repository<ObjectLiteral>, where: ObjectLiteral): Promise<ObjectLiteral | null> {
    const key = JSON.stringify(where);
    const now = Date.now();
    const hit = this.rows.get(key);
    if (hit && hit.until > now) return hit.row;
    const row = await super.findByLookup(repo, where);
    if (row) {
      this.rows.delete(key);
      this.rows.set(key, { row, until: now + RowCachingUserSyncService.ttlMs });
      if (this.rows.size > RowCachingUserSyncService.maxEntries) this.rows.delete(this.rows.keys().next().value as string);
    }
    return row;
  }
}
