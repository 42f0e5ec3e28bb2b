import { catalogFromSpec } from './catalog.ts';
import { judgeRecord } from './judge.ts';
import { encodeRating } from './rating.ts';

// A record stamped with a catalog generation this copy has seen names voices that copy may lack
// (removed since): it counts if the names are any the CRD admits, judged as the API server does.
const view = {
  catalog: catalogFromSpec({ voices: ['A', 'B'], battles: ['A vs B'], scale: ['0', '1'] }, 3),
  generation: 3,
  readAt: Date.parse('2026-12-01T00:00:00Z'),
};

const stamped = (voices: [string, string]) => ({
  value: encodeRating({
    v: 1,
    id: 'r-1',
    battle: 'gone vs gone',
    voices,
    rating: 1,
    researcher: 'r',
    ratedAt: '2026-12-01T00:00:00.000Z',
  }),
  stamp: 2,
  timestamp: Date.parse('2026-12-01T00:00:00Z'),
});

describe('judgeRecord of a stamped record naming voices removed since', () => {
  it.each([
    ['an ordinary name', 'Joan of Arc'],
    ['a name beginning and ending with NBSP, which RE2 does not count as space', '\u00a0Joan\u00a0'],
    ['a name with \\v at its ends', '\u000bJoan\u000b'],
    ['64 emoji: 64 characters for the API server, 128 UTF-16 units', '😀'.repeat(64)],
  ])('counts %s, as the CRD admits it', (_what, name) => {
    expect(judgeRecord(stamped([name, 'B']), view)).toMatchObject({ kind: 'count', byStamp: true });
  });

  it.each([
    ['a name beginning with a space', ' Joan'],
    ['a name with a pipe', 'Jo|an'],
    ['65 emoji', '😀'.repeat(65)],
  ])('rejects %s, which the CRD refuses', (_what, name) => {
    expect(judgeRecord(stamped([name, 'B']), view).kind).toBe('reject');
  });
});
