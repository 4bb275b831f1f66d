// The pool × purchase option key: one layout that plans, prices, holdings and the simulated cloud share.
import { describe, expect, it } from 'vitest';
import {
  parsePoolOptionKey,
  poolId,
  PoolOptionKeyError,
  poolOptionKey,
  PURCHASE_OPTIONS,
} from '../../lib/domain/pool.ts';

describe('poolOptionKey', () => {
  it('gives back the pool and option it was made of, for every option', () => {
    const pool = poolId('aws', 'us-east-1', 'us-east-1a', 'p4d.24xlarge');
    for (const option of PURCHASE_OPTIONS) {
      expect(parsePoolOptionKey(poolOptionKey(pool, option))).toEqual({ poolId: pool, option });
    }
  });

  it('keeps an on-prem pool id whole', () => {
    const pool = poolId('onprem', 'prometheus', 'prometheus', 'NVIDIA A100-SXM4-80GB');
    expect(parsePoolOptionKey(poolOptionKey(pool, 'on-prem')).poolId).toBe(pool);
  });

  it.each(['aws:us-east-1:a:p5', 'aws:us-east-1:a:p5|preemptible', '|spot', 'aws:p5|'])(
    'refuses %j, saying what a key looks like',
    (key) => {
      expect(() => parsePoolOptionKey(key)).toThrow(PoolOptionKeyError);
      expect(() => parsePoolOptionKey(key)).toThrow(/expected <pool id>\|<purchase option>/);
    },
  );
});
