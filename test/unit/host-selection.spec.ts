import { AVOID_MIN_MS, HostSelection, isHostFailure } from '../../lib/core/etcd/host-selection';
import { OWN_DEADLINE } from '../../lib/core/etcd/host-failure.interceptor';
import { GRPCFailedPreconditionError, GRPCUnavailableError, EtcdLeaseInvalidError } from 'etcd3';

describe('HostSelection', () => {
  const names = ['a:1', 'b:2', 'c:3'];
  const id = (h: string) => h;

  it('an avoided member comes last, after every usable one, whatever the shuffle', () => {
    const s = new HostSelection(names);
    s.failed('a:1');
    for (let i = 0; i < 50; i++) expect(s.ordered(names, id)[2]).toBe('a:1');
    expect(s.isAvoided('a:1')).toBe(true);
    expect(s.hasAlternative()).toBe(true);
  });

  it('every member avoided: the one whose last failed call is the oldest first; a member that fails again goes to the back', () => {
    let clock = 0;
    const s = new HostSelection(names, Math.random, () => clock);
    s.failed('c:3');
    clock += 10;
    s.failed('a:1');
    clock += 10;
    s.failed('b:2');
    expect(s.ordered(names, id)).toEqual(['c:3', 'a:1', 'b:2']);
    expect(s.hasAlternative()).toBe(false);
    // c:3 is dead: it refuses the call sent to it at once. It goes behind the others (which did
    // not answer in time: followers without a leader) without its avoidance being lengthened.
    clock += 10;
    s.failed('c:3');
    expect(s.ordered(names, id)).toEqual(['a:1', 'b:2', 'c:3']);
    clock = 2000 + 1;
    expect(s.isAvoided('c:3')).toBe(false);
  });

  it('an answer makes a member usable at once; a preferred usable member comes first', () => {
    const s = new HostSelection(names);
    s.failed('b:2');
    s.answered('b:2');
    expect(s.isAvoided('b:2')).toBe(false);
    for (let i = 0; i < 20; i++) expect(s.ordered(names, id, 'c:3')[0]).toBe('c:3');
  });

  it('failures in a row avoid a member longer (from AVOID_MIN_MS)', () => {
    let clock = 0;
    const s = new HostSelection(names, Math.random, () => clock);
    s.failed('a:1');
    clock += AVOID_MIN_MS - 10;
    expect(s.isAvoided('a:1')).toBe(true);
    clock += 20;
    expect(s.isAvoided('a:1')).toBe(false);
    s.failed('a:1');
    clock += AVOID_MIN_MS + 10;
    expect(s.isAvoided('a:1')).toBe(true);
  });

  it('host failures: our own deadline and recoverable errors; etcd answering is not one', () => {
    expect(isHostFailure(new GRPCFailedPreconditionError(`9 FAILED_PRECONDITION: ${OWN_DEADLINE}: Deadline exceeded`))).toBe(true);
    expect(isHostFailure(new GRPCUnavailableError('14 UNAVAILABLE: No connection established'))).toBe(true);
    expect(isHostFailure(new EtcdLeaseInvalidError('requested lease not found'))).toBe(false);
    expect(isHostFailure('nope')).toBe(false);
  });
});
