import {
  Registry,
  RegistryArgumentError,
  RegistryClosedError,
  RegistryEvent,
  RegistryOptions,
  RegistryUnavailableError,
  ServiceConflictError,
  ServiceMap,
  WatchRemovedError,
} from '../../lib/core';
import { KEY_COPIES_PER_REQUEST, MAX_REQUEST_BYTES, REQUEST_OVERHEAD_BYTES } from '../../lib/core/input-validation';
import { waitFor } from '../support/wait-for';
import { recordWatch, WatchRecorder } from '../support/watch-recorder';

/**
 * One side of the contract: the registry under test and what the test drives around it. The etcd
 * side drives a real etcd (other instances hold leases of their own, a proxy cuts the registry's
 * link); the in-memory side drives InMemoryRegistry's helpers.
 */
/** Options a contract test may give a registry under test (the rest are the side's). */
export type ContractRegistryOptions = Pick<RegistryOptions, 'namespace' | 'handlerTimeoutMs' | 'leaseLingerMs'>;

export interface ContractSide {
  /**
   * A new registry under test (closed by the side after the test), TTL `ttlSeconds`; every registry
   * of one test is on the same etcd, with its own lease (several applications).
   */
  registry(options?: ContractRegistryOptions): Promise<Registry>;
  /** The TTL of every lease (the registries' and other instances'), seconds. */
  readonly ttlSeconds: number;
  /** `registry`'s application dies (SIGKILL): its keep-alives stop, it revokes nothing. */
  kill(registry: Registry): Promise<void>;
  /** Lets `ms` pass on the clock the registries use (in memory: the kit's clock; etcd: real time). */
  passTime(ms: number): Promise<void>;
  /** Now on the clock the registries' status() and events use (epoch ms). */
  now(): number;
  /** Another instance registers `path` = `value` under a lease of its own. */
  addInstance(path: string, value: string): Promise<void>;
  /** That instance shuts down cleanly: its key goes at once. */
  leave(path: string): Promise<void>;
  /** That instance dies: its keep-alives stop, its key expires after the TTL. */
  crash(path: string): Promise<void>;
  /** Lets the TTL of crashed instances pass (in memory: the test clock; etcd: real time, nothing to do). */
  passTtl(): Promise<void>;
  /** etcd unreachable from every registry under test (true), or reachable again (false). */
  setUnavailable(unavailable: boolean): Promise<void>;
  /** What etcd holds under `prefix`, read behind the registry's back. */
  read(prefix: string): Promise<Record<string, string>>;
  /**
   * Resolves once `condition` holds. In memory it must hold as soon as every delivery is done; against
   * etcd it is polled with a deadline (`timeoutMs`, default 15 s: a loaded machine, not a slow registry).
   */
  eventually(condition: () => unknown, message: string, timeoutMs?: number): Promise<void>;
  /** A key prefix no other test uses. */
  prefix(): string;
}

/** The behaviour both registries keep: the etcd one against a real etcd, and InMemoryRegistry. */
export function registryContract(name: string, side: () => ContractSide): void {
  describe(`Registry contract: ${name}`, () => {
    let s: ContractSide;
    let p: string;
    beforeEach(() => {
      s = side();
      p = s.prefix();
    });

    /** Waits until the recorder's last map equals `expected`. */
    const until = (rec: WatchRecorder, expected: Record<string, string>, message: string) =>
      s.eventually(() => sameMap(rec.last, expected), `${message}: ${JSON.stringify(expected)} (last: ${JSON.stringify(rec.last)})`);

    it('addWatch calls the handler with the whole map first, and resolves after that call', async () => {
      await s.addInstance(`${p}a/1`, 'one');
      await s.addInstance(`${p}b/2`, 'two');
      await s.addInstance(`${p.slice(0, -1)}-other/x`, 'outside the prefix');
      const registry = await s.registry();
      const rec = await recordWatch(registry, p);
      expect(rec.maps).toEqual([{ [`${p}a/1`]: 'one', [`${p}b/2`]: 'two' }]);
      expect(Object.isFrozen(rec.last)).toBe(true);
      const empty = await recordWatch(registry, `${p}none/`);
      expect(empty.maps).toEqual([{}]);
    });

    it('register: etcd holds it and the watcher gets it; unregister: gone; getServices reads the same', async () => {
      const registry = await s.registry();
      const rec = await recordWatch(registry, p);
      await registry.register(`${p}me`, '10.0.0.1:1');
      expect(await s.read(p)).toEqual({ [`${p}me`]: '10.0.0.1:1' });
      await until(rec, { [`${p}me`]: '10.0.0.1:1' }, 'the registration');
      expect(await registry.getServices(p)).toEqual({ [`${p}me`]: '10.0.0.1:1' });
      await registry.register(`${p}me`, '10.0.0.1:2');
      await until(rec, { [`${p}me`]: '10.0.0.1:2' }, 'the new value');
      await registry.unregister(`${p}me`);
      expect(await s.read(p)).toEqual({});
      await until(rec, {}, 'the removal');
      await registry.unregister(`${p}never-registered`); // resolves, deletes nothing
    });

    it('a change that changes nothing makes no call; each call gets a new map', async () => {
      const registry = await s.registry();
      const rec = await recordWatch(registry, p);
      await registry.register(`${p}k`, 'v');
      await until(rec, { [`${p}k`]: 'v' }, 'the first change');
      await registry.register(`${p}k`, 'v'); // same value again
      await registry.unregister(`${p}absent`);
      await s.addInstance(`${p}marker`, 'm');
      await until(rec, { [`${p}k`]: 'v', [`${p}marker`]: 'm' }, 'the marker');
      expect(rec.maps).toEqual([{}, { [`${p}k`]: 'v' }, { [`${p}k`]: 'v', [`${p}marker`]: 'm' }]);
      expect(new Set(rec.maps).size).toBe(rec.maps.length);
    });

    it('never two calls at once: changes made during a call coalesce into the latest map, never an older one after', async () => {
      const registry = await s.registry();
      let running = 0;
      let overlapped = false;
      let release!: () => void;
      const gate = new Promise<void>((r) => (release = r));
      const slow = new WatchRecorder();
      await registry.addWatch(p, async (map: ServiceMap) => {
        overlapped ||= running > 0;
        running++;
        slow.handler(map);
        if (slow.maps.length === 2) await gate; // the second call blocks until released
        running--;
      });
      const fast = await recordWatch(registry, p);
      await registry.register(`${p}k1`, '1');
      await s.eventually(() => slow.maps.length === 2, 'the slow handler to be in its second call');
      for (let i = 2; i <= 5; i++) await registry.register(`${p}k${i}`, String(i));
      const all = { [`${p}k1`]: '1', [`${p}k2`]: '2', [`${p}k3`]: '3', [`${p}k4`]: '4', [`${p}k5`]: '5' };
      await until(fast, all, 'the other handler on the prefix to have every change');
      expect(slow.maps).toHaveLength(2);
      release();
      await until(slow, all, 'the slow handler to get the latest map');
      expect(slow.maps).toEqual([{}, { [`${p}k1`]: '1' }, all]);
      expect(overlapped).toBe(false);
      for (let i = 1; i < fast.maps.length; i++) {
        expect(Object.keys(fast.maps[i]).length).toBeGreaterThan(Object.keys(fast.maps[i - 1]).length);
      }
    });

    it('another instance appears and leaves gracefully: the watcher sees both', async () => {
      const registry = await s.registry();
      const rec = await recordWatch(registry, p);
      await s.addInstance(`${p}other`, 'o');
      await until(rec, { [`${p}other`]: 'o' }, 'the other instance');
      await s.leave(`${p}other`);
      await until(rec, {}, 'the other instance gone');
      expect(await s.read(p)).toEqual({});
    });

    it('a crashed instance stays until its TTL has passed, then disappears', async () => {
      const registry = await s.registry();
      await registry.register(`${p}me`, 'mine');
      await s.addInstance(`${p}crashing`, 'c');
      const rec = await recordWatch(registry, p);
      await s.crash(`${p}crashing`);
      expect(await s.read(p)).toEqual({ [`${p}me`]: 'mine', [`${p}crashing`]: 'c' });
      expect(rec.last).toEqual({ [`${p}me`]: 'mine', [`${p}crashing`]: 'c' });
      await s.passTtl();
      await until(rec, { [`${p}me`]: 'mine' }, 'the crashed instance gone after its TTL');
      expect(await s.read(p)).toEqual({ [`${p}me`]: 'mine' });
    });

    it('a path held by another instance is refused with a ServiceConflictError; unregister never deletes it', async () => {
      const registry = await s.registry();
      await s.addInstance(`${p}taken`, 'theirs');
      const error = await registry.register(`${p}taken`, 'mine').then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(ServiceConflictError);
      expect((error as ServiceConflictError).path).toBe(`${p}taken`);
      expect((error as ServiceConflictError).holderLease).toMatch(/^[1-9]\d*$/);
      await registry.unregister(`${p}taken`);
      expect(await s.read(p)).toEqual({ [`${p}taken`]: 'theirs' });
      await s.leave(`${p}taken`);
      await registry.register(`${p}taken`, 'mine'); // free again
      expect(await s.read(p)).toEqual({ [`${p}taken`]: 'mine' });
    });

    it('subscription.remove() stops one handler; removeWatch stops every handler of the prefix', async () => {
      const registry = await s.registry();
      const kept = await recordWatch(registry, p);
      const removed = new WatchRecorder();
      const subscription = await registry.addWatch(p, removed.handler);
      expect(subscription.prefix).toBe(p);
      await subscription.remove();
      await registry.register(`${p}a`, '1');
      await until(kept, { [`${p}a`]: '1' }, 'the remaining handler');
      expect(removed.maps).toEqual([{}]);
      await registry.removeWatch(p);
      await registry.register(`${p}b`, '2');
      const other = await recordWatch(registry, p); // a new watch of the prefix sees both keys
      expect(other.last).toEqual({ [`${p}a`]: '1', [`${p}b`]: '2' });
      await s.addInstance(`${p}c`, '3');
      await until(other, { [`${p}a`]: '1', [`${p}b`]: '2', [`${p}c`]: '3' }, 'the new watch');
      expect(kept.last).toEqual({ [`${p}a`]: '1' });
    });

    it('a handler that throws is isolated, and called again on the next change', async () => {
      const registry = await s.registry();
      const thrown = new WatchRecorder();
      await registry.addWatch(p, (map) => {
        thrown.handler(map);
        throw new Error('boom');
      });
      const other = await recordWatch(registry, p);
      await registry.register(`${p}x`, '1');
      await until(other, { [`${p}x`]: '1' }, 'the other handler');
      await until(thrown, { [`${p}x`]: '1' }, 'the throwing handler called again');
    });

    it('with retry: a handler that throws gets the current map again without a change; each failure is one error event naming it', async () => {
      const registry = await s.registry();
      const errors: RegistryEvent[] = [];
      const delivered: RegistryEvent[] = [];
      const off = registry.events!.on((e) => (e.type === 'error' ? errors : delivered).push(e), ['error', 'delivered']);
      await registry.register(`${p}r`, '1');
      const calls: ServiceMap[] = [];
      await registry.addWatch(
        p,
        (map) => {
          calls.push(map);
          if (calls.length <= 2) throw new Error(`not ready ${calls.length}`);
        },
        { name: 'Users#onChange', retry: { initialMs: 10, maxMs: 20 } },
      );
      // Retries run on the process's clock on both sides (not the kit's): polled with a deadline.
      await waitFor(() => calls.length >= 3 && delivered.length >= 1, { timeoutMs: 5000, message: 'two retries, the second returning' });
      off();
      expect(calls.every((m) => sameMap(m, { [`${p}r`]: '1' }))).toBe(true);
      expect(errors).toEqual([
        expect.objectContaining({ source: 'handler', subject: p, message: expect.stringMatching(/Users#onChange.*not ready 1.*again in/) }),
        expect.objectContaining({ source: 'handler', subject: p, message: expect.stringMatching(/Users#onChange.*not ready 2.*again in/) }),
      ]);
      expect(delivered).toHaveLength(1); // the calls that threw are not deliveries
    });

    it('bad input is refused with a RegistryArgumentError naming the argument', async () => {
      const registry = await s.registry();
      const argument = async (call: () => Promise<unknown>) => {
        const e = await call().then(
          () => undefined,
          (error: unknown) => error,
        );
        expect(e).toBeInstanceOf(RegistryArgumentError);
        return (e as RegistryArgumentError).argument;
      };
      expect(await argument(() => registry.register('', 'v'))).toBe('path');
      expect(await argument(() => registry.register(`${p}k`, 42 as unknown as string))).toBe('value');
      expect(await argument(() => registry.addWatch(`${p}no-slash`, () => undefined))).toBe('prefix');
      expect(await argument(() => registry.addWatch(p, 'fn' as never))).toBe('fn');
      expect(await argument(() => registry.addWatch(p, () => undefined, { retry: 'always' as never }))).toBe('retry');
      expect(await argument(() => registry.getServices(''))).toBe('prefix');
      expect(await s.read(p)).toEqual({});
    });

    it('etcd unreachable: operations reject with a RegistryUnavailableError; once back, the watcher has the exact map', async () => {
      const registry = await s.registry();
      await registry.register(`${p}me`, 'mine');
      const rec = await recordWatch(registry, p);
      await s.setUnavailable(true);
      await expect(registry.getServices(p)).rejects.toBeInstanceOf(RegistryUnavailableError);
      await expect(registry.register(`${p}more`, 'm')).rejects.toBeInstanceOf(RegistryUnavailableError);
      await s.addInstance(`${p}while-away`, 'w'); // a change the watcher cannot see yet
      expect(rec.last).toEqual({ [`${p}me`]: 'mine' });
      await s.setUnavailable(false);
      await until(rec, { [`${p}me`]: 'mine', [`${p}while-away`]: 'w' }, 'the exact map after the outage');
      expect(await registry.getServices(p)).toEqual({ [`${p}me`]: 'mine', [`${p}while-away`]: 'w' });
    });

    it('close: its keys are gone, every method rejects with a RegistryClosedError, close again resolves', async () => {
      const registry = await s.registry();
      await registry.register(`${p}me`, 'mine');
      await s.addInstance(`${p}other`, 'o');
      const rec = await recordWatch(registry, p);
      await registry.close();
      expect(await s.read(p)).toEqual({ [`${p}other`]: 'o' });
      expect(registry.status().closed).toBe(true);
      await expect(registry.register(`${p}x`, 'x')).rejects.toBeInstanceOf(RegistryClosedError);
      await expect(registry.unregister(`${p}me`)).rejects.toBeInstanceOf(RegistryClosedError);
      await expect(registry.addWatch(p, () => undefined)).rejects.toBeInstanceOf(RegistryClosedError);
      await expect(registry.getServices(p)).rejects.toBeInstanceOf(RegistryClosedError);
      await registry.close();
      await s.leave(`${p}other`);
      expect(rec.last).toEqual({ [`${p}me`]: 'mine', [`${p}other`]: 'o' }); // no call after close
    });

    // --- What a test observes, the same on both ---------------------------------------------------

    it('events: registered (with the lease), delivered, unregistered, in that order', async () => {
      const registry = await s.registry();
      expect(registry.events).toBeDefined();
      const seen: RegistryEvent[] = [];
      const off = registry.events!.on((e) => seen.push(e), ['registered', 'delivered', 'unregistered']);
      const rec = await recordWatch(registry, p);
      await registry.register(`${p}me`, 'v');
      await until(rec, { [`${p}me`]: 'v' }, 'the registration');
      await registry.unregister(`${p}me`);
      await until(rec, {}, 'the removal');
      await s.eventually(() => seen.filter((e) => e.type === 'delivered').length >= 3, 'three deliveries');
      off();
      const lease = registry.status().lease?.id;
      const registered = seen.find((e) => e.type === 'registered');
      expect(registered).toMatchObject({ type: 'registered', path: `${p}me`, at: expect.any(Number) });
      if (lease !== undefined) expect(registered).toMatchObject({ lease });
      expect(seen.find((e) => e.type === 'unregistered')).toMatchObject({ path: `${p}me` });
      const order = seen.map((e) => e.type).filter((t, i, all) => t !== all[i - 1]);
      expect(order.indexOf('registered')).toBeLessThan(order.indexOf('unregistered'));
      expect(seen.find((e) => e.type === 'delivered')).toMatchObject({ prefix: p, latencyMs: expect.any(Number) });
    });

    it('ping: resolves while etcd answers, RegistryUnavailableError during an outage, RegistryClosedError once closed', async () => {
      const registry = await s.registry();
      expect(registry.ping).toBeDefined();
      await registry.ping!();
      await s.setUnavailable(true);
      await expect(registry.ping!(500)).rejects.toBeInstanceOf(RegistryUnavailableError);
      await s.setUnavailable(false);
      await s.eventually(() => registry.ping!(500).then(() => true), 'a ping once etcd is back');
      await registry.close();
      await expect(registry.ping!()).rejects.toBeInstanceOf(RegistryClosedError);
    });

    it('status() times are on the clock events use: the lease is fresh while kept alive, staleSince is the outage start', async () => {
      const registry = await s.registry();
      await registry.register(`${p}me`, 'v');
      await recordWatch(registry, p);
      await s.passTime(s.ttlSeconds * 1000 + 500);
      await s.eventually(
        () => s.now() - (registry.status().lease?.lastKeepAliveAt ?? 0) < s.ttlSeconds * 1000,
        `a keep-alive within the TTL (${JSON.stringify(registry.status().lease)}, now ${s.now()})`,
      );
      const before = s.now();
      await s.setUnavailable(true);
      await s.eventually(() => registry.status().watches[0]?.live === false, 'the watch not live');
      const stale = registry.status().watches[0].staleSince!;
      expect(stale).toBeGreaterThanOrEqual(before);
      expect(stale).toBeLessThanOrEqual(s.now());
      await s.setUnavailable(false);
      await s.eventually(() => registry.status().watches[0]?.live === true, 'the watch live again');
    });

    it('unregister during an outage rejects, drops the path, and its key goes once etcd is back', async () => {
      const registry = await s.registry();
      await registry.register(`${p}me`, 'v');
      await s.setUnavailable(true);
      await expect(registry.unregister(`${p}me`)).rejects.toBeInstanceOf(RegistryUnavailableError);
      expect(registry.status().registrations.map((r) => r.path)).not.toContain(`${p}me`);
      await s.setUnavailable(false);
      await s.eventually(async () => !(`${p}me` in (await s.read(p))), 'the key deleted once etcd is back');
      expect(registry.status().registrations).toEqual([]);
    });

    it('register(path, newValue) of a registered path during an outage rejects and drops the registration', async () => {
      const registry = await s.registry();
      await registry.register(`${p}me`, 'old');
      await s.setUnavailable(true);
      await expect(registry.register(`${p}me`, 'new')).rejects.toBeInstanceOf(RegistryUnavailableError);
      expect(registry.status().registrations.map((r) => r.path)).not.toContain(`${p}me`);
      await s.setUnavailable(false);
      await s.eventually(async () => !(`${p}me` in (await s.read(p))), 'the old value deleted once etcd is back');
    });

    it('a registration survives an outage shorter than the TTL (after the call): still registered, same value', async () => {
      const registry = await s.registry();
      await registry.register(`${p}me`, 'v');
      await s.setUnavailable(true);
      await s.setUnavailable(false);
      await s.eventually(async () => (await s.read(p))[`${p}me`] === 'v', 'the key kept');
      expect(registry.status().registrations).toEqual([expect.objectContaining({ path: `${p}me`, state: 'registered' })]);
    });

    it('an outage during register(): once etcd is back, the registry and etcd agree on whether it is registered', async () => {
      const registry = await s.registry();
      const call = registry.register(`${p}me`, 'v').then(
        () => 'resolved',
        (e: unknown) => e,
      );
      await s.setUnavailable(true);
      const outcome = await call;
      if (outcome !== 'resolved') expect(outcome).toBeInstanceOf(RegistryUnavailableError);
      await s.setUnavailable(false);
      await s.eventually(async () => {
        const registered = registry.status().registrations.some((r) => r.path === `${p}me` && r.state === 'registered');
        const inEtcd = (await s.read(p))[`${p}me`] === 'v';
        return registered === inEtcd && (outcome !== 'resolved' || registered);
      }, 'status() and etcd to agree');
    });

    it('close() during an outage: the keys stay until the lease expires (the revoke cannot reach etcd)', async () => {
      const registry = await s.registry();
      await registry.register(`${p}me`, 'v');
      await s.setUnavailable(true);
      await registry.close();
      expect(registry.status().closed).toBe(true);
      expect(await s.read(p)).toEqual({ [`${p}me`]: 'v' });
      await s.setUnavailable(false);
      await s.passTime(s.ttlSeconds * 1000);
      await s.eventually(async () => Object.keys(await s.read(p)).length === 0, 'the key gone with the lease', 20_000);
    });

    it('two applications on one etcd: a path one holds is a conflict for the other; one closing or dying leaves the other working', async () => {
      const a = await s.registry();
      const b = await s.registry();
      await a.register(`${p}a`, 'A');
      await expect(b.register(`${p}a`, 'B')).rejects.toBeInstanceOf(ServiceConflictError);
      await b.register(`${p}b`, 'B');
      const rec = await recordWatch(b, p);
      expect(rec.last).toEqual({ [`${p}a`]: 'A', [`${p}b`]: 'B' });
      await a.close();
      await until(rec, { [`${p}b`]: 'B' }, "b sees a's key go when a closes");
      expect(b.status().closed).toBe(false);
      const c = await s.registry();
      await c.register(`${p}c`, 'C');
      await until(rec, { [`${p}b`]: 'B', [`${p}c`]: 'C' }, "b sees c's key");
      await s.kill(c);
      expect(await s.read(p)).toEqual({ [`${p}b`]: 'B', [`${p}c`]: 'C' }); // a dead app's key stays until its TTL
      await s.passTime(s.ttlSeconds * 1000);
      await until(rec, { [`${p}b`]: 'B' }, "b sees c's key expire");
      await b.register(`${p}b2`, 'B2');
      expect(await b.getServices(p)).toEqual({ [`${p}b`]: 'B', [`${p}b2`]: 'B2' });
    });

    it('leaseLingerMs: the lease outlives the last key that long, and a register meanwhile reuses it', async () => {
      const registry = await s.registry({ leaseLingerMs: 1500 });
      await registry.register(`${p}a`, '1');
      const lease = registry.status().lease?.id;
      expect(lease).toMatch(/^\d+$/);
      await registry.unregister(`${p}a`);
      expect(registry.status().lease?.id).toBe(lease);
      await registry.register(`${p}a`, '2');
      expect(registry.status().lease?.id).toBe(lease);
      await registry.unregister(`${p}a`);
      await s.passTime(1500);
      await s.eventually(() => registry.status().lease === undefined, 'the lease revoked after lingering');
    });

    it('removeWatch racing addWatch: addWatch rejects with a WatchRemovedError', async () => {
      const registry = await s.registry();
      const pending = registry
        .addWatch(p, () => undefined)
        .then(
          () => 'resolved',
          (e: unknown) => e,
        );
      await registry.removeWatch(p);
      expect(await pending).toBeInstanceOf(WatchRemovedError);
    });

    it('the size check counts the namespace: a value that fits without it is refused with it', async () => {
      const namespace = `/ns-${'n'.repeat(40)}`;
      const path = `${p}big`;
      const fitsBare = MAX_REQUEST_BYTES - REQUEST_OVERHEAD_BYTES - KEY_COPIES_PER_REQUEST * Buffer.byteLength(path) - 8;
      const registry = await s.registry({ namespace });
      const error = await registry.register(path, 'x'.repeat(fitsBare)).then(
        () => undefined,
        (e: unknown) => e,
      );
      expect(error).toBeInstanceOf(RegistryArgumentError);
      expect((error as RegistryArgumentError).argument).toBe('value');
    });

    it('a handler stuck past handlerTimeoutMs holds up nothing: another handler, and another addWatch, go on', async () => {
      const registry = await s.registry({ handlerTimeoutMs: 500 });
      let calls = 0;
      await registry.addWatch(p, () => {
        calls++;
        return calls === 2 ? new Promise<void>(() => undefined) : undefined; // the second call never ends
      });
      const other = await recordWatch(registry, p);
      await s.addInstance(`${p}one`, '1');
      await until(other, { [`${p}one`]: '1' }, 'the other handler');
      await s.eventually(() => calls === 2, 'the stuck call');
      const later = await recordWatch(registry, p);
      await s.addInstance(`${p}two`, '2');
      await until(later, { [`${p}one`]: '1', [`${p}two`]: '2' }, 'a handler added after the stuck one');
    });

    it('status() lists the registrations and says whether it is closed', async () => {
      const registry = await s.registry();
      await registry.register(`${p}a`, '1');
      await registry.register(`${p}b`, '2');
      expect(
        registry
          .status()
          .registrations.map((r) => r.path)
          .sort(),
      ).toEqual([`${p}a`, `${p}b`]);
      expect(registry.status().closed).toBe(false);
      await registry.unregister(`${p}a`);
      expect(registry.status().registrations.map((r) => r.path)).toEqual([`${p}b`]);
    });
  });
}

function sameMap(a: ServiceMap | undefined, b: Record<string, string>): boolean {
  if (!a) return false;
  const ka = Object.keys(a).sort();
  const kb = Object.keys(b).sort();
  return ka.length === kb.length && ka.every((k, i) => k === kb[i] && a[k] === b[k]);
}
