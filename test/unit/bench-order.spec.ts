import { seededRandom, shuffled } from '../../bench/stats';

/** The order figure 1 measures the designs in, change by change (bench/figures/propagation.ts). */
describe('benchmark order of designs', () => {
  const designs = ['raw', 'rawtxn', 'seed', 'ours', 'go', 'goseed'];

  it('is a permutation, the same for the same seed', () => {
    const a = seededRandom(11);
    const b = seededRandom(11);
    for (let i = 0; i < 50; i++) {
      const x = shuffled(designs, a);
      expect([...x].sort()).toEqual([...designs].sort());
      expect(shuffled(designs, b)).toEqual(x);
    }
  });

  it('gives every design every predecessor: none always follows the same one', () => {
    const random = seededRandom(11);
    const follows = new Map<string, number>();
    let previous: string | undefined;
    for (let change = 0; change < 1200; change++) {
      for (const d of shuffled(designs, random)) {
        if (previous !== undefined) follows.set(`${previous}>${d}`, (follows.get(`${previous}>${d}`) ?? 0) + 1);
        previous = d;
      }
    }
    // 30 ordered pairs of distinct designs (plus a design after itself across changes), each about 1/6 of a design's turns.
    for (const a of designs)
      for (const b of designs) {
        if (a === b) continue;
        const n = follows.get(`${a}>${b}`) ?? 0;
        expect(n).toBeGreaterThan(1200 / 6 / 2);
        expect(n).toBeLessThan((1200 / 6) * 2);
      }
  });
});
