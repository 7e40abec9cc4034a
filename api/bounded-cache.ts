/**
 * A per-process map that forgets: at most `capacity` entries (the least recently written go first) and none
 * older than `ttlMs`. Memory stays bounded whatever a caller sends; forgetting too early only costs work that
 * the next layer (the workflow's own dedupe) absorbs.
 */
export interface BoundedCacheOptions {
  capacity: number;
  ttlMs: number;
  now?: () => number;
}

export class BoundedCache<K, V> {
  /** Map order is insertion order: re-inserting on write keeps the oldest write first. */
  private readonly entries = new Map<K, { value: V; expiresAt: number }>();
  private readonly now: () => number;

  constructor(private readonly options: BoundedCacheOptions) {
    if (options.capacity < 1 || options.ttlMs <= 0)
      throw new Error('BoundedCache: capacity and ttl must be > 0');
    this.now = options.now ?? Date.now;
  }

  get size(): number {
    return this.entries.size;
  }

  get(key: K): V | undefined {
    const entry = this.entries.get(key);
    if (!entry) return undefined;
    if (entry.expiresAt <= this.now()) {
      this.entries.delete(key);
      return undefined;
    }
    return entry.value;
  }

  has(key: K): boolean {
    return this.get(key) !== undefined;
  }

  set(key: K, value: V): void {
    this.entries.delete(key);
    this.entries.set(key, { value, expiresAt: this.now() + this.options.ttlMs });
    this.evict();
  }

  delete(key: K): void {
    this.entries.delete(key);
  }

  private evict(): void {
    const now = this.now();
    for (const [key, entry] of this.entries) {
      // Oldest first: stop at the first entry that is both young enough and within capacity.
      if (this.entries.size <= this.options.capacity && entry.expiresAt > now) break;
      this.entries.delete(key);
    }
  }
}
