import { catalogFromSpec } from '../ratings/catalog.ts';
import { createRating, type Rating } from '../ratings/rating.ts';
import { RecentRatings, renderRecentRatingsPage } from './page.ts';

const rating = (battle: string, n = 0): Rating =>
  createRating({ battle, voices: ['a', 'b'], rating: n, researcher: 'r' });

describe('RecentRatings', () => {
  it('lists the newest first and forgets beyond its capacity', () => {
    const recent = new RecentRatings(3);
    recent.add([rating('1'), rating('2')]);
    recent.add([rating('3'), rating('4')]);
    expect(recent.list().map((r) => r.battle)).toEqual(['4', '3', '2']);
  });

  it('keeps only the tail of a batch larger than its capacity', () => {
    const recent = new RecentRatings(2);
    recent.add(['1', '2', '3', '4', '5'].map((b) => rating(b)));
    expect(recent.list().map((r) => r.battle)).toEqual(['5', '4']);
  });
});

describe('renderRecentRatingsPage', () => {
  const catalog = catalogFromSpec({ voices: ['a', 'b'], battles: ['<b>x</b>'], scale: ['Hated', 'Liked'] });

  it('shows battle, both voices and the rating label, escaped', () => {
    const html = renderRecentRatingsPage({
      experiment: 'appdev/<erb>',
      ratePerSecond: 5,
      catalog,
      ratings: [createRating({ battle: '<b>x</b>', voices: ['a', 'b'], rating: 1, researcher: 'r' })],
    });
    expect(html).toContain('<tr><td>&lt;b&gt;x&lt;/b&gt;</td><td>a</td><td>b</td><td>Liked</td></tr>');
    expect(html).toContain('<title>Ratings: appdev/&lt;erb&gt;</title>');
    expect(html).not.toContain('<b>x</b>');
    expect(html).not.toContain('<erb>');
  });
});
