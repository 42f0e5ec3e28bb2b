import { renderLeaderboard } from './leaderboard-page.ts';
import { view } from './leaderboard.fixtures.ts';

describe('leaderboard page', () => {
  it('renders a page with the charts, the method and every name escaped, nothing inline to run', () => {
    const html = renderLeaderboard(view);
    expect(html).not.toContain('<img');
    expect(html).toContain('<td>&lt;img src=x onerror=alert(1)&gt;</td><td>9</td><td>4</td><td>2.250</td>');
    expect(html).toContain('5 counted · 8 produced · lag 1');
    expect(html).toContain('1 rejected · 2 lost');
    expect(html).toContain('Student t 95% interval of the mean');
    expect(html.match(/<g class="voice"/g)).toHaveLength(4);
    expect(html.match(/<g class="battle"/g)).toHaveLength(1);
    expect(html.match(/<script/g)).toEqual(['<script']);
    expect(html).toContain('<script src="leaderboard.js"></script>');
    expect(html).not.toMatch(/<style| style=| on[a-z]+="/i);
  });
});
