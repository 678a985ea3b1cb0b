/**
 * Named prepared statements on PGlite, for the statements the queen runs again and again.
 *
 * PGlite's `query` runs every statement as the unnamed one: six round trips into its
 * WebAssembly engine (parse, describe, bind, describe, execute, sync), and PostgreSQL
 * parses, analyses and plans the text every time. Hive's hot statements — a job's insert,
 * its resolution, its event batches: CTEs over several tables, 0.5–1.6 KB of SQL — cost
 * 0.5–1.7 ms of the queen's thread each that way, measured one by one where they changed
 * nothing, and 0.1–0.27 ms as named statements (docs/PERFORMANCE.md: Statements per job). The
 * embedded database runs in the queen's thread, so that time is taken from everything
 * else the queen does.
 *
 * So a text seen before is parsed once as a named statement, with its parameter types and
 * row description kept, and each run is one round trip: bind, execute, sync. PostgreSQL
 * keeps the plan (and re-plans by itself after a change to a table the plan uses). Texts
 * seen once — migrations, one-off lookups — and texts longer than MAX_PREPARED_TEXT still
 * go the unnamed way, and at most CAPACITY statements are kept (the least recently
 * used one is closed when another is made), so PostgreSQL's memory for plans stays small.
 *
 * A text that goes the unnamed way with a long text parameter or bytes (a log chunk's
 * body or packed records, in a batch of a shape not seen before) still runs through this
 * file, as the unnamed statement: its long texts and bytes go as bytes (`#bindMessage`
 * says why), where PGlite's `query` would measure and copy each text in JavaScript, and
 * write bytes as hex a byte at a time — a large log's first batches carry megabytes.
 *
 * Results are what PGlite's `query` returns for the same statement: rows as objects or
 * arrays (`rowMode`), parsed by the same parsers (the client's, then the query's own),
 * `affectedRows`, `fields`. Errors are PostgreSQL's `DatabaseError`s as `query` throws them.
 * Statements run under PGlite's own locks: a statement outside a transaction waits for
 * the transaction in progress, as `query` does.
 *
 * PostgreSQL on a server needs none of this: its driver (postgres.js) prepares statements
 * itself.
 */
import { messages, PGlite, protocol, types, type Results, type Transaction } from '@electric-sql/pglite';
import { bindExecuteSync, type BindValue } from './pglite-bind-message.ts';

type BackendMessage = { name: string };
type ParameterDescription = InstanceType<typeof messages.ParameterDescriptionMessage>;
type RowDescription = InstanceType<typeof messages.RowDescriptionMessage>;
type DataRow = InstanceType<typeof messages.DataRowMessage>;
type CommandComplete = InstanceType<typeof messages.CommandCompleteMessage>;

/** PostgreSQL's `text` type, and the length from which a text parameter goes as bytes (`#runPrepared`). */
const TEXT_OID = 25;
const TEXT_AS_BYTES_FROM = 512;
/** PostgreSQL's `bytea`: a parameter of bytes goes as they are (`#bindMessage`). */
const BYTEA_OID = 17;

/** Statements kept prepared; Hive's hot set is a few dozen. */
export const CAPACITY = 64;
/** Texts remembered for their second use. */
const SEEN_LIMIT = 512;
/**
 * Longer texts always go the unnamed way, unremembered: Hive's hot statements are 0.5–1.6 KB,
 * and a long text is a statement whose text grows with its data (a multi-row insert of a
 * transfer, a long list of values), whose kept plan would hold PGlite memory it never gives
 * back, and whose text would be kept here too.
 */
export const MAX_PREPARED_TEXT = 8 * 1024;

type QueryOptions = Parameters<PGlite['query']>[2];
type Parser = (value: string, typeId: number) => unknown;

/** What a named statement answers with, from its description. */
interface Statement {
  name: string;
  paramTypes: number[];
  fields: { name: string; dataTypeID: number }[];
}

/** Options only PGlite's own `query` knows what to do with (a COPY's blob, given parameter types, notices). */
const leftToPglite = (options: QueryOptions): boolean => !!(options?.blob || options?.paramTypes || options?.onNotice);

/** Whether a statement run once is worth running here (`runOnce`): it has a long text parameter, or bytes. */
const hasLongValue = (params: unknown[] | undefined, options: QueryOptions): boolean =>
  !!params && !leftToPglite(options)
  && params.some((p) => (typeof p === 'string' && p.length >= TEXT_AS_BYTES_FROM) || p instanceof Uint8Array);

/** PGlite's members this relies on beyond its documented API (checked before use). */
interface PgliteLocks {
  _checkReady(): Promise<void>;
  _runExclusiveTransaction<T>(fn: () => Promise<T>): Promise<T>;
  runExclusive<T>(fn: () => Promise<T>): Promise<T>;
}

/**
 * Makes `client.query` and the queries of `client.transaction` run repeated statements as
 * named ones. Returns false (and changes nothing) on a PGlite without the locks it needs.
 */
export function usePreparedStatements(client: PGlite, capacity = CAPACITY): boolean {
  const locks = client as unknown as PgliteLocks;
  if (typeof locks._checkReady !== 'function' || typeof locks._runExclusiveTransaction !== 'function'
    || typeof locks.runExclusive !== 'function' || typeof client.execProtocol !== 'function') return false;
  const statements = new PreparedStatements(client, capacity);
  const plainQuery = client.query.bind(client);
  const plainTransaction = client.transaction.bind(client);

  client.query = (async <T>(text: string, params?: unknown[], options?: QueryOptions): Promise<Results<T>> => {
    const once = !statements.wants(text, options);
    if (once && !hasLongValue(params, options)) return plainQuery<T>(text, params, options);
    await locks._checkReady();
    return locks._runExclusiveTransaction(() => locks.runExclusive(async () => {
      const result = once ? await statements.runOnce<T>(text, params ?? [], options) : await statements.run<T>(text, params ?? [], options);
      await client.syncToFs();
      return result;
    }));
  }) as PGlite['query'];

  client.transaction = (<T>(callback: (tx: Transaction) => Promise<T>) => plainTransaction((tx) => {
    const withStatements: Transaction = Object.create(tx);
    withStatements.query = (async <R>(text: string, params?: unknown[], options?: QueryOptions): Promise<Results<R>> => {
      if (tx.closed || !statements.wants(text, options)) return tx.query<R>(text, params, options);
      return locks.runExclusive(() => statements.run<R>(text, params ?? [], options, true));
    }) as Transaction['query'];
    return callback(withStatements);
  })) as PGlite['transaction'];
  return true;
}

class PreparedStatements {
  /** Prepared, least recently used first. */
  readonly #prepared = new Map<string, Statement>();
  /** Texts seen once, oldest first. */
  readonly #seen = new Set<string>();
  /** Names of statements forgotten (made stale by DDL), to close once outside a transaction. */
  readonly #stale: string[] = [];
  #made = 0;

  constructor(private readonly client: PGlite, private readonly capacity: number) {}

  /** Whether `text` runs as a named statement: it was seen before, and nothing in the options asks for more. */
  wants(text: string, options: QueryOptions): boolean {
    if (leftToPglite(options) || text.length > MAX_PREPARED_TEXT) return false;
    if (this.#prepared.has(text)) return true;
    if (this.#seen.delete(text)) return true;
    this.#seen.add(text);
    if (this.#seen.size > SEEN_LIMIT) this.#seen.delete(this.#seen.values().next().value!);
    return false;
  }

  /**
   * Runs `text` as a named statement (made now when it is not yet); call under PGlite's
   * query lock. `inTransaction`: inside a transaction block, which a failed statement aborts.
   */
  async run<T>(text: string, params: unknown[], options: QueryOptions, inTransaction = false): Promise<Results<T>> {
    await this.#closeStale(inTransaction);
    try {
      return await this.#runPrepared<T>(text, params, options);
    } catch (err) {
      // A table the statement reads changed its columns (DDL after it was made): PostgreSQL
      // re-plans by itself but will not change a statement's row description. Made anew —
      // and run again, outside a transaction. Inside one, the failure aborted it, and a
      // second run could only answer "current transaction is aborted", hiding this error:
      // it is the caller's, the statement is forgotten, and closed after the transaction.
      if (!(err instanceof messages.DatabaseError && err.code === '0A000' && /cached plan must not change result type/.test(err.message))) throw err;
      this.#forget(text);
      if (inTransaction) throw err;
      await this.#closeStale(false);
      return this.#runPrepared<T>(text, params, options);
    }
  }

  /** Runs `text` as the unnamed statement (parsed, described, then bound and run); call under PGlite's query lock. */
  async runOnce<T>(text: string, params: unknown[], options: QueryOptions): Promise<Results<T>> {
    await this.#closeStale(false);
    const statement = await this.#describe('', text, []);
    const answer = await this.#exec(this.#bindMessage(statement, params, options), text);
    return this.#results<T>(statement, answer.messages, options);
  }

  /** Forgets the statement of `text`; it is closed by the next `#closeStale` outside a transaction. */
  #forget(text: string): void {
    const statement = this.#prepared.get(text);
    if (!statement) return;
    this.#prepared.delete(text);
    this.#stale.push(statement.name);
  }

  async #closeStale(inTransaction: boolean): Promise<void> {
    if (inTransaction || this.#stale.length === 0) return;
    const names = this.#stale.splice(0);
    await this.#exec(concat([...names.map((name) => protocol.serialize.close({ type: 'S', name })), protocol.serialize.sync()]), 'close');
  }

  async #runPrepared<T>(text: string, params: unknown[], options: QueryOptions): Promise<Results<T>> {
    const statement = this.#prepared.get(text) ?? await this.#prepare(text);
    this.#prepared.delete(text);
    this.#prepared.set(text, statement);
    const answer = await this.#exec(this.#bindMessage(statement, params, options), text);
    return this.#results<T>(statement, answer.messages, options);
  }

  /**
   * Bind, execute, sync for `statement` with these values. Long text parameters (log chunk
   * bodies) go in binary format — a text's UTF-8 bytes, which PostgreSQL takes as they are
   * (`textrecv`, checked as text input is). PGlite measures and copies a string parameter
   * in JavaScript, a character at a time (~19 ns a character: on a log of short lines, a
   * tenth of the queen's time); here it is encoded natively, straight into the message
   * (pglite-bind-message.ts). A bytea parameter goes as its bytes too, not as hex text
   * (twice the bytes, made by the serializer: pglite-bytea.ts).
   */
  #bindMessage(statement: Statement, params: unknown[], options: QueryOptions): Uint8Array {
    const serializers = this.client.serializers;
    const values = params.map((value, i): BindValue => {
      if (value === null || value === undefined) return null;
      if (typeof value === 'string' && value.length >= TEXT_AS_BYTES_FROM && statement.paramTypes[i] === TEXT_OID) {
        return { binary: value };
      }
      if (value instanceof Uint8Array && statement.paramTypes[i] === BYTEA_OID) return { binary: value };
      const serialize = options?.serializers?.[statement.paramTypes[i]] ?? serializers[statement.paramTypes[i]];
      return serialize ? serialize(value) : String(value);
    });
    return bindExecuteSync(statement.name, values);
  }

  async #prepare(text: string): Promise<Statement> {
    const name = `hive_${++this.#made}`;
    const evicted = this.#prepared.size >= this.capacity ? this.#prepared.keys().next().value : undefined;
    const close = evicted === undefined ? [] : [protocol.serialize.close({ type: 'S', name: this.#prepared.get(evicted)!.name })];
    const statement = await this.#describe(name, text, close);
    if (evicted !== undefined) this.#prepared.delete(evicted);
    return statement;
  }

  /** Parses `text` as the statement `name` ('' for the unnamed one) and reads its description; `also` goes in the same round trip. */
  async #describe(name: string, text: string, also: Uint8Array[]): Promise<Statement> {
    const parts = [protocol.serialize.parse({ name, text, types: [] }), protocol.serialize.describe({ type: 'S', name }), ...also, protocol.serialize.sync()];
    const answer = await this.#exec(concat(parts), text);
    let paramTypes: number[] = [];
    let fields: Statement['fields'] = [];
    for (const m of answer.messages) {
      if (m.name === 'parameterDescription') paramTypes = (m as ParameterDescription).dataTypeIDs;
      if (m.name === 'rowDescription') fields = (m as RowDescription).fields.map((f) => ({ name: f.name, dataTypeID: f.dataTypeID }));
    }
    return { name, paramTypes, fields };
  }

  /** Sends one message batch; a database error is thrown with the statement's text, as PGlite's `query` does. */
  async #exec(message: Uint8Array, text: string) {
    try {
      return await this.client.execProtocol(message);
    } catch (err) {
      if (err instanceof messages.DatabaseError) Object.assign(err, { query: text });
      throw err;
    }
  }

  #results<T>(statement: Statement, answer: BackendMessage[], options: QueryOptions): Results<T> {
    const parsers = statement.fields.map((f): Parser | undefined =>
      options?.parsers?.[f.dataTypeID] ?? this.client.parsers[f.dataTypeID] ?? types.parsers[f.dataTypeID]);
    const parse = (value: string | null, i: number) => {
      if (value === null) return null;
      const parser = parsers[i];
      return parser ? parser(value, statement.fields[i].dataTypeID) : value;
    };
    const asArrays = options?.rowMode === 'array';
    const rows: unknown[] = [];
    let affectedRows = 0;
    for (const m of answer) {
      if (m.name === 'dataRow') {
        const values = (m as DataRow).fields;
        if (asArrays) rows.push(values.map(parse));
        else {
          const row: Record<string, unknown> = {};
          values.forEach((value, i) => { row[statement.fields[i].name] = parse(value, i); });
          rows.push(row);
        }
      } else if (m.name === 'commandComplete') {
        const words = (m as CommandComplete).text.split(' ');
        const count = parseInt(words[words.length - 1], 10);
        if (['INSERT', 'UPDATE', 'DELETE', 'COPY', 'MERGE'].includes(words[0]) && !Number.isNaN(count)) affectedRows += count;
      }
    }
    return { rows: rows as T[], fields: statement.fields, affectedRows };
  }
}

function concat(parts: Uint8Array[]): Uint8Array {
  const out = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
  let at = 0;
  for (const p of parts) {
    out.set(p, at);
    at += p.length;
  }
  return out;
}
