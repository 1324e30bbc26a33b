// A bounded in-memory map whose entries expire: for lookups a hot path repeats
// (the deployed endpoint's API key and model version), so that the database is
// asked once per entry and lifetime instead of on every request. Whoever owns
// one also invalidates it when the data changes; the lifetime bounds what a
// missed invalidation (another instance's Redis message lost) can keep alive.

type Entry<V> = { value: V; expiresAt: number };

/** What a load read: `value` (null: nothing), kept until `validUntil` (ms since the epoch) at most; 0 keeps nothing. */
export type Loaded<V> = { value: V | null; validUntil: number };

export class ExpiringCache<K, V> {
  private readonly entries = new Map<K, Entry<V>>();
  /** Counts invalidations: a load that overlapped one may have read the data before the change, so it is not kept. */
  private generation = 0;

  constructor(private readonly options: { ttlMs: number; maxEntries: number }) {}

  /** The cached value of `key`, or what `load` reads (kept for the lifetime, or until `validUntil` when that is sooner). */
  async get(key: K, load: () => Promise<Loaded<V>>): Promise<V | null> {
    const now = Date.now();
    const hit = this.entries.get(key);
    if (hit && hit.expiresAt > now) return hit.value;
    if (hit) this.entries.delete(key);
    const generation = this.generation;
    const { value, validUntil } = await load();
    const expiresAt = Math.min(now + this.options.ttlMs, validUntil);
    if (value !== null && expiresAt > now && generation === this.generation) {
      // Full: the oldest entry makes room (a Map iterates in insertion order).
      if (this.entries.size >= this.options.maxEntries) this.entries.delete(this.entries.keys().next().value!);
      this.entries.set(key, { value, expiresAt });
    }
    return value;
  }

  /** Drops the entries `stale` picks; loads in flight keep nothing. */
  invalidate(stale: (value: V) => boolean) {
    this.generation++;
    for (const [key, entry] of this.entries) if (stale(entry.value)) this.entries.delete(key);
  }
}
