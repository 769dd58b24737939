import { KeeperOp, takeNext } from '../../lib/core/lease/write-queue';

const noop = () => undefined;
const reg = (path: string, value = 'v'): KeeperOp => ({ kind: 'register', path, value, resolve: noop, reject: noop });
const unreg = (path: string): KeeperOp => ({ kind: 'unregister', path, resolve: noop, reject: noop });
const paths = (ops: KeeperOp[]) => ops.map((o) => ('path' in o ? `${o.kind}:${o.path}` : o.kind));

describe("the keeper's queue: what goes into one unit of work (pure)", () => {
  it('coalesces consecutive registrations of distinct paths, in order', () => {
    const queue = [reg('/a'), reg('/b'), reg('/c'), unreg('/a'), reg('/d')];
    expect(paths(takeNext(queue))).toEqual(['register:/a', 'register:/b', 'register:/c']);
    expect(paths(takeNext(queue))).toEqual(['unregister:/a']);
    expect(paths(takeNext(queue))).toEqual(['register:/d']);
    expect(takeNext(queue)).toEqual([]);
  });

  it('a second registration of the same path waits for the next batch (its order kept)', () => {
    const queue = [reg('/a', '1'), reg('/b'), reg('/a', '2')];
    expect(paths(takeNext(queue))).toEqual(['register:/a', 'register:/b']);
    expect(takeNext(queue)).toEqual([expect.objectContaining({ path: '/a', value: '2' })]);
  });

  it('respects the key and byte budgets of one transaction', () => {
    const queue = Array.from({ length: 10 }, (_, i) => reg(`/k${i}`));
    expect(takeNext(queue, 4).length).toBe(4);
    expect(takeNext(queue, 100, 2 * (3 * 3 + 1 + 32)).length).toBe(2);
    expect(queue.length).toBe(4);
  });

  it('a restore is a unit of its own', () => {
    const queue: KeeperOp[] = [{ kind: 'restore' }, reg('/a')];
    expect(paths(takeNext(queue))).toEqual(['restore']);
    expect(paths(takeNext(queue))).toEqual(['register:/a']);
  });
});
