import type { CallOptions } from '@grpc/grpc-js';
import { RegistryClosedError } from './errors';
import { HostSelection, hostName } from './etcd/host-order';
import { isInvalidToken, isLeanHostFailure, LeanEtcdMember, leanErrorKind, LeanTls, prefixRangeEnd } from './etcd/lean-range';
import { decodeRangeEntries, RangeEntry } from './etcd/lean-range-entries';
import { assertPrefix } from './input-validation';
import { attachRevisions } from './map-revisions';
import { messages } from './messages';
import { OperationRunner } from './operation-runner';
import { ResolvedRegistryOptions, resolveRegistryOptions } from './options';
import type { RegistryOptions, ServiceMap } from './registry.interface';

/** One key of a prefix read: the key without the namespace, its value and its mod_revision. */
export type PrefixEntry = RangeEntry;

const pem = (value: string | Buffer | undefined): Buffer | undefined =>
  value === undefined ? undefined : Buffer.isBuffer(value) ? value : Buffer.from(value);

/**
 * One-shot reads of a prefix, for a short process (the CLI's `ls` and `get`): the registry's
 * `getServices` with the same options, budget, retries, member avoidance and errors (the
 * OperationRunner and HostSelection), through etcd/lean-range.ts instead of etcd3, so neither
 * etcd3 nor protobufjs is loaded. Registers and watches nothing; `close()` ends its connections.
 */
export class PrefixReader {
  readonly options: ResolvedRegistryOptions;
  private readonly selection: HostSelection;
  private readonly runner: OperationRunner;
  private readonly members = new Map<string, LeanEtcdMember>();
  private readonly tls?: LeanTls;
  /** The auth token (etcd's tokens hold on every member), fetched by the first attempt that needs it. */
  private token?: string;
  private closed = false;

  constructor(options: RegistryOptions) {
    this.options = resolveRegistryOptions(options);
    // TLS as the full client has it (etcd3 uses TLS whenever it is given credentials): with `tls`, or https:// endpoints.
    const tls = this.options.tls;
    if (tls || this.options.hosts[0].startsWith('https://')) this.tls = { ca: pem(tls?.ca), cert: pem(tls?.cert), key: pem(tls?.key) };
    this.selection = new HostSelection(this.options.hosts.map(hostName));
    this.runner = new OperationRunner(this.options, this.selection, leanErrorKind);
  }

  /** The keys under `prefix` (without the namespace) and their values, as `Registry.getServices` gives them. */
  async getServices(prefix: string): Promise<ServiceMap> {
    const entries = await this.getEntries(prefix);
    const map: Record<string, string> = Object.create(null);
    const revisions = new Map<string, string>();
    for (const entry of entries) {
      map[entry.key] = entry.value;
      revisions.set(entry.key, entry.revision);
    }
    const services: ServiceMap = Object.freeze(map);
    attachRevisions(services, (k) => revisions.get(k));
    return services;
  }

  /**
   * What getServices reads, as a list in etcd's key order: each key (without the namespace) once,
   * with its value and mod_revision. No map is built: a one-shot decode (decodeEntries) needs none.
   * `whileEtcdAnswers` is called once, when the read's request is written out (not when every
   * attempt fails before): work a short process runs then (loading the modules that decode the
   * answer, for the CLI's `ls`) overlaps with etcd's answering instead of adding to it.
   */
  async getEntries(prefix: string, whileEtcdAnswers?: () => void): Promise<PrefixEntry[]> {
    assertPrefix(prefix);
    if (this.closed) throw new RegistryClosedError(messages.closed());
    const namespace = this.options.namespace;
    const key = Buffer.from(namespace + prefix);
    const rangeEnd = prefixRangeEnd(key);
    // Every key starts with the namespace (the range asked for it): what follows is the registry's key.
    const decode = (message: Buffer) => decodeRangeEntries(message, namespace.length);
    let onSent = whileEtcdAnswers;
    const sent = () => {
      const call = onSent;
      onSent = undefined;
      call?.();
    };
    return this.runner.run(`read of prefix ${JSON.stringify(prefix)}`, this.runner.deadline(), (call) =>
      this.attempt((member) =>
        this.authorized(member, call, (token) => member.rangeAs({ key, rangeEnd }, decode, call, token, onSent && sent)),
      ),
    );
  }

  /** Ends every connection. Idempotent. */
  async close(): Promise<void> {
    this.closed = true;
    this.runner.close();
    for (const member of this.members.values()) member.close();
    this.members.clear();
  }

  /** One attempt on the member the selection puts first; a member failure makes the selection avoid it. */
  private async attempt<T>(call: (member: LeanEtcdMember) => Promise<T>): Promise<T> {
    const name = this.selection.ordered(this.selection.names, (n) => n)[0];
    let member = this.members.get(name);
    if (!member) {
      member = new LeanEtcdMember(name, this.tls);
      this.members.set(name, member);
    }
    try {
      const res = await call(member);
      this.selection.answered(name);
      return res;
    } catch (error) {
      if (isLeanHostFailure(error)) this.selection.failed(name);
      throw error;
    }
  }

  /** Runs `call` with a token when the options carry credentials (authenticating first, and again once if etcd forgot the token). */
  private async authorized<T>(member: LeanEtcdMember, options: CallOptions, call: (token?: string) => Promise<T>): Promise<T> {
    const { username, password } = this.options;
    if (username === undefined || password === undefined) return call();
    this.token ??= (await member.authenticate(username, password, options)).token;
    try {
      return await call(this.token);
    } catch (error) {
      if (!isInvalidToken(error)) throw error;
      this.token = (await member.authenticate(username, password, options)).token;
      return call(this.token);
    }
  }
}

/** A PrefixReader (see there): validates the options at once; etcd is not contacted until the first read. */
export function createPrefixReader(options: RegistryOptions): PrefixReader {
  return new PrefixReader(options);
}
