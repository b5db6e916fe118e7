// Tenants of the service: a name, an API key stored as its SHA-256 (the key holds 256 random bits, so a
// fast hash is enough; no password stretching is needed), quota overrides and a fair-share weight. The
// rows live in the state database's `tenants` table (`settings` jsonb).
import { createHash, randomBytes, timingSafeEqual } from 'node:crypto';
import type { SqlDriver } from '@charter/state';
import { ServeError, ServeErrorCode } from './errors.js';
import { checkQuotas, type Quotas } from './quotas.js';

export interface Tenant {
  readonly id: string;
  /** Share of the workers when tenants compete (default 1): a tenant of weight 2 gets twice the runs of weight 1. */
  readonly weight: number;
  readonly quotas: Partial<Quotas>;
  readonly createdAt: string;
  readonly revokedAt: string | undefined;
  /** The first characters of the key, to recognise it in a list (never enough to use it). */
  readonly keyPrefix: string;
}

interface Settings {
  keyHash?: string;
  keyPrefix?: string;
  revokedAt?: string;
  quotas?: Partial<Quotas>;
  weight?: number;
}

interface Row {
  tenant_id: string;
  settings: Settings | string;
  created_at: Date | string;
}

const TENANT_ID = /^[a-z][a-z0-9-]{0,62}$/;
const KEY = /^chk_([a-z][a-z0-9-]{0,62})\.([\w-]{43})$/;

function checkId(id: string): string {
  if (!TENANT_ID.test(id))
    throw new ServeError(
      ServeErrorCode.BadTenant,
      `tenant "${id.slice(0, 80)}" is not a tenant id: lower-case letters, digits and "-", starting with a letter, at most 63 characters`,
    );
  return id;
}

const sha256 = (text: string): Buffer => createHash('sha256').update(text).digest();

function toTenant(row: Row): Tenant {
  const settings: Settings = typeof row.settings === 'string' ? (JSON.parse(row.settings) as Settings) : row.settings;
  return {
    id: row.tenant_id,
    weight: settings.weight ?? 1,
    quotas: settings.quotas ?? {},
    createdAt: new Date(row.created_at).toISOString(),
    revokedAt: settings.revokedAt,
    keyPrefix: settings.keyPrefix ?? '',
  };
}

/** Tenants in the state database. */
export class TenantStore {
  readonly #db: SqlDriver;
  readonly #cacheMs: number;
  readonly #cache = new Map<string, { at: number; row: Row | undefined }>();
  /** Authentication reads in flight, per tenant: concurrent requests of one tenant share one (a flood's too). */
  readonly #reading = new Map<string, Promise<Row | undefined>>();

  /** `cacheMs`: how long an authentication may reuse a tenant row it read (revocation reaches every instance within it). */
  constructor(db: SqlDriver, options: { readonly cacheMs?: number } = {}) {
    this.#db = db;
    this.#cacheMs = options.cacheMs ?? 1000;
  }

  /** Adds a tenant and returns its API key: shown once, stored only as a hash. */
  async add(
    id: string,
    options: { readonly quotas?: Partial<Quotas>; readonly weight?: number } = {},
  ): Promise<{ readonly tenant: Tenant; readonly apiKey: string }> {
    checkId(id);
    const quotas = checkQuotas(options.quotas, `tenant ${id}`);
    const weight = checkWeight(options.weight ?? 1);
    const secret = randomBytes(32).toString('base64url');
    const apiKey = `chk_${id}.${secret}`;
    const settings: Settings = { keyHash: sha256(secret).toString('hex'), keyPrefix: apiKey.slice(0, id.length + 9), quotas, weight };
    const { rows } = await this.#db.query<Row>(
      `INSERT INTO tenants (tenant_id, name, settings) VALUES ($1, $1, $2::jsonb) ON CONFLICT (tenant_id) DO NOTHING RETURNING *`,
      [id, JSON.stringify(settings)],
    );
    const row = rows[0];
    this.#cache.delete(id);
    this.#reading.delete(id);
    if (row === undefined)
      throw new ServeError(ServeErrorCode.BadTenant, `tenant "${id}" exists already: pick another id, or revoke it first`);
    return { tenant: toTenant(row), apiKey };
  }

  async list(): Promise<Tenant[]> {
    const { rows } = await this.#db.query<Row>('SELECT * FROM tenants ORDER BY tenant_id');
    return rows.map(toTenant);
  }

  async get(id: string): Promise<Tenant | undefined> {
    const row = await this.#row(id, false);
    return row === undefined ? undefined : toTenant(row);
  }

  /** Revokes the tenant's key: its requests get 401 from then on (within `cacheMs` on every instance). */
  async revoke(id: string): Promise<Tenant> {
    return this.#update(id, (settings) => ({ ...settings, revokedAt: settings.revokedAt ?? new Date().toISOString() }));
  }

  /** Sets quota overrides (merged over the current ones) and, optionally, the fair-share weight. */
  async setQuota(id: string, quotas: Partial<Quotas>, weight?: number): Promise<Tenant> {
    const checked = checkQuotas(quotas, `tenant ${id}`);
    const w = weight === undefined ? undefined : checkWeight(weight);
    return this.#update(id, (settings) => ({
      ...settings,
      quotas: { ...settings.quotas, ...checked },
      ...(w === undefined ? {} : { weight: w }),
    }));
  }

  /** The tenant an API key belongs to; undefined for a malformed, unknown or revoked key. Compares hashes in constant time. */
  async authenticate(apiKey: string | undefined): Promise<Tenant | undefined> {
    if (apiKey === undefined || apiKey.length > 200) return undefined;
    const match = KEY.exec(apiKey);
    if (match === null) return undefined;
    const row = await this.#row(match[1] ?? '', true);
    if (row === undefined) return undefined;
    const settings: Settings = typeof row.settings === 'string' ? (JSON.parse(row.settings) as Settings) : row.settings;
    const stored = Buffer.from(settings.keyHash ?? '', 'hex');
    const given = sha256(match[2] ?? '');
    if (stored.length !== given.length || !timingSafeEqual(stored, given) || settings.revokedAt !== undefined) return undefined;
    return toTenant(row);
  }

  async #row(id: string, cached: boolean): Promise<Row | undefined> {
    const now = Date.now();
    const hit = this.#cache.get(id);
    if (cached && hit !== undefined && now - hit.at < this.#cacheMs) return hit.row;
    const inFlight = cached ? this.#reading.get(id) : undefined;
    if (inFlight !== undefined) return inFlight;
    const read = this.#db.query<Row>('SELECT * FROM tenants WHERE tenant_id = $1', [id]).then(({ rows }) => {
      if (this.#cache.size > 10_000) this.#cache.clear();
      this.#cache.set(id, { at: now, row: rows[0] });
      return rows[0];
    });
    if (!cached) return read;
    this.#reading.set(id, read);
    try {
      return await read;
    } finally {
      if (this.#reading.get(id) === read) this.#reading.delete(id);
    }
  }

  async #update(id: string, change: (settings: Settings) => Settings): Promise<Tenant> {
    checkId(id);
    const tenant = await this.#db.transaction(async (tx) => {
      const { rows } = await tx.query<Row>('SELECT * FROM tenants WHERE tenant_id = $1 FOR UPDATE', [id]);
      const row = rows[0];
      if (row === undefined) return undefined;
      const settings: Settings = typeof row.settings === 'string' ? (JSON.parse(row.settings) as Settings) : row.settings;
      const updated = await tx.query<Row>('UPDATE tenants SET settings = $2::jsonb WHERE tenant_id = $1 RETURNING *', [
        id,
        JSON.stringify(change(settings)),
      ]);
      return updated.rows[0];
    });
    if (tenant === undefined)
      throw new ServeError(ServeErrorCode.UnknownTenant, `no tenant "${id}": list them with "charter tenants list"`);
    this.#cache.delete(id);
    this.#reading.delete(id);
    return toTenant(tenant);
  }
}

function checkWeight(weight: number): number {
  if (!Number.isFinite(weight) || weight <= 0 || weight > 1000)
    throw new ServeError(ServeErrorCode.BadTenant, `a tenant's weight is a number above 0 and at most 1000, got ${weight}`);
  return weight;
}
