import { catalogFromSpec } from '../ratings/catalog.ts';
import { parseBulk } from './bulk.ts';

const catalog = catalogFromSpec({
  voices: ['Darth Vader', 'Joan of Arc', 'Beyoncé'],
  battles: ['Adam vs Eve', 'Zeus vs Thor'],
  scale: ['Hated', 'Meh', 'Liked'],
});
const good = { battle: 'Zeus vs Thor', voices: ['Beyoncé', 'Joan of Arc'], rating: 2, researcher: 'Dr. Ada' };
const ndjson = (...lines: unknown[]) =>
  lines.map((l) => (typeof l === 'string' ? l : JSON.stringify(l))).join('\n');

describe('parseBulk', () => {
  it('takes a JSON array and NDJSON alike, with optional client ids', () => {
    const lines = [good, { ...good, id: 'import-7', rating: 0 }];
    const fromJson = parseBulk(JSON.stringify(lines), 'json', catalog, 10);
    const fromNdjson = parseBulk(`${ndjson(...lines)}\n\n`, 'ndjson', catalog, 10);
    const expected = {
      ok: true,
      lines: [
        { line: 1, submission: good, id: undefined },
        { line: 2, submission: { ...good, rating: 0 }, id: 'import-7' },
      ],
    };
    expect(fromJson).toEqual(expected);
    expect(fromNdjson).toEqual(expected);
  });

  it('records every line under the authenticated rater, refusing lines that name someone else', () => {
    const { researcher: _omitted, ...anonymous } = good;
    const rater = 'system:serviceaccount:lab:rater';
    expect(
      parseBulk(ndjson(anonymous, { ...good, researcher: rater }), 'ndjson', catalog, 10, rater),
    ).toEqual({
      ok: true,
      lines: [
        { line: 1, submission: { ...good, researcher: rater }, id: undefined },
        { line: 2, submission: { ...good, researcher: rater }, id: undefined },
      ],
    });
    const named = parseBulk(ndjson(anonymous, good), 'ndjson', catalog, 10, rater);
    expect(named).toMatchObject({ ok: false, status: 400, rejected: [{ line: 2 }] });
    expect(JSON.stringify(named)).toContain('is not the authenticated user');
  });

  it('rejects the whole batch with every bad line and all of its reasons', () => {
    const body = ndjson(
      good,
      { ...good, battle: 'Cats vs Dogs', rating: 9 },
      '{"battle": ',
      '',
      { ...good, id: 'a' },
      { ...good, id: 'a' },
      { ...good, id: 'has space', extra: true },
    );
    expect(parseBulk(body, 'ndjson', catalog, 10)).toEqual({
      ok: false,
      status: 400,
      error: '4 of 6 ratings are invalid; none was taken',
      rejected: [
        {
          line: 2,
          reasons: [
            'unknown battle "Cats vs Dogs"',
            'rating must be an integer from 0 to 2 (0=Hated, 1=Meh, 2=Liked)',
          ],
        },
        { line: 3, reasons: ['line is not valid JSON'] },
        { line: 6, reasons: ['id "a" is already used on line 5'] },
        {
          line: 7,
          reasons: ['id must be 1 to 128 visible ASCII characters', 'unexpected field "extra"'],
        },
      ],
    });
  });

  it('answers 400 for a malformed body, 413 for too many ratings', () => {
    expect(parseBulk('[{"battle":', 'json', catalog, 10)).toMatchObject({
      ok: false,
      status: 400,
      error: 'body is not valid JSON',
    });
    expect(parseBulk(JSON.stringify(good), 'json', catalog, 10)).toMatchObject({
      status: 400,
      error: 'body must be a JSON array of ratings',
    });
    expect(parseBulk('[]', 'json', catalog, 10)).toMatchObject({ status: 400, error: 'no ratings' });
    expect(parseBulk('\n\n', 'ndjson', catalog, 10)).toMatchObject({ status: 400, error: 'no ratings' });
    expect(parseBulk(JSON.stringify([good, good, good]), 'json', catalog, 2)).toEqual({
      ok: false,
      status: 413,
      error: '3 ratings in one request; at most 2',
    });
    expect(parseBulk(ndjson(good, good, good), 'ndjson', catalog, 2)).toMatchObject({ status: 413 });
    expect(parseBulk(JSON.stringify([1, null, []]), 'json', catalog, 10)).toMatchObject({
      status: 400,
      rejected: [1, 2, 3].map((line) => ({
        line,
        reasons: ['body must be a JSON object {battle, voices, rating, researcher}'],
      })),
    });
  });
});
