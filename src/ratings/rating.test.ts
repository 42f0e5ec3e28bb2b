import { catalogFromSpec } from './catalog.ts';
import {
  createRating,
  encodeRating,
  MAX_RECORD_BYTES,
  parseRecord,
  type ParseResult,
  type Rating,
  validateSubmission,
} from './rating.ts';

const catalog = catalogFromSpec({
  voices: ['Darth Vader', 'Joan of Arc', 'Beyoncé', '声優 甲'],
  battles: ['Adam vs Eve', "John Lennon vs Bill O'Reilly"],
  scale: ['Hated', 'Meh', 'Liked'],
});

const valid: Rating = {
  v: 1,
  id: '6f1c1d43-7a8e-4c55-9b0a-7f3e3c0d2b11',
  battle: 'Adam vs Eve',
  voices: ['Darth Vader', 'Joan of Arc'],
  rating: 2,
  researcher: 'sim-1',
  ratedAt: '2024-05-01T12:00:00.000Z',
};

function json(overrides: Record<string, unknown>, omit: string[] = []): string {
  const doc: Record<string, unknown> = { ...valid, ...overrides };
  for (const key of omit) delete doc[key];
  return JSON.stringify(doc);
}

function reasonOf(result: ParseResult): string {
  if (result.ok) throw new Error(`expected a rejection, got ${JSON.stringify(result.rating)}`);
  return result.reason;
}

describe('parseRecord, JSON v1', () => {
  it('accepts a valid rating given as a Buffer or a string', () => {
    const expected = {
      ok: true,
      rating: { battle: 'Adam vs Eve', voices: ['Darth Vader', 'Joan of Arc'], rating: 2 },
    };
    expect(parseRecord(Buffer.from(encodeRating(valid)), catalog)).toEqual(expected);
    expect(parseRecord(encodeRating(valid), catalog)).toEqual(expected);
  });

  it('accepts every rating of the scale, including 0', () => {
    for (const rating of [0, 1, 2]) {
      expect(parseRecord(json({ rating }), catalog)).toMatchObject({ ok: true, rating: { rating } });
    }
  });

  it('accepts unicode voices spelled as in the catalog, given as UTF-8 bytes', () => {
    const record = Buffer.from(json({ voices: ['Beyoncé', '声優 甲'] }), 'utf8');
    expect(parseRecord(record, catalog)).toMatchObject({
      ok: true,
      rating: { voices: ['Beyoncé', '声優 甲'] },
    });
  });

  it('does not normalise unicode: a decomposed é is another voice', () => {
    const decomposed = 'Beyonce\u0301';
    expect(reasonOf(parseRecord(json({ voices: [decomposed, 'Darth Vader'] }), catalog))).toBe(
      `unknown voice "${decomposed}"`,
    );
  });

  it('tolerates whitespace around the document and fields it does not know', () => {
    expect(parseRecord(`\n  ${json({ comment: 'later versions may add fields' })}\r\n`, catalog).ok).toBe(
      true,
    );
  });

  it('compares names exactly in JSON: surrounding spaces make an unknown voice', () => {
    expect(reasonOf(parseRecord(json({ voices: [' Darth Vader', 'Joan of Arc'] }), catalog))).toBe(
      'unknown voice " Darth Vader"',
    );
  });

  it.each<[string, string, string]>([
    ['malformed JSON', '{"v":1,"id":', 'malformed JSON'],
    ['an array', '[1,2,3]', 'JSON rating must be an object'],
    ['null inside an array', '[null]', 'JSON rating must be an object'],
    ['no version', json({}, ['v']), 'v is required'],
    ['another version', json({ v: 2 }), 'unsupported version v="2"'],
    ['version as a string', json({ v: '1' }), 'unsupported version v="1"'],
    ['no id', json({}, ['id']), 'id must be a non-empty string'],
    ['empty id', json({ id: '' }), 'id must be a non-empty string'],
    ['no battle', json({}, ['battle']), 'battle is required'],
    ['battle not a string', json({ battle: 7 }), 'battle must be a string'],
    ['empty battle', json({ battle: '' }), 'battle must not be empty'],
    ['unknown battle', json({ battle: 'Cats vs Dogs' }), 'unknown battle "Cats vs Dogs"'],
    ['no voices', json({}, ['voices']), 'voices is required'],
    ['voices not an array', json({ voices: 'Darth Vader' }), 'voices must be an array of two voice names'],
    ['one voice', json({ voices: ['Darth Vader'] }), 'voices must be an array of two voice names'],
    [
      'three voices',
      json({ voices: ['Darth Vader', 'Joan of Arc', 'Beyoncé'] }),
      'voices must be an array of two voice names',
    ],
    [
      'a voice not a string',
      json({ voices: ['Darth Vader', 3] }),
      'voices must be an array of two voice names',
    ],
    ['first voice unknown', json({ voices: ['Elmo', 'Joan of Arc'] }), 'unknown voice "Elmo"'],
    ['second voice unknown', json({ voices: ['Joan of Arc', 'Elmo'] }), 'unknown voice "Elmo"'],
    ['both voices unknown', json({ voices: ['Elmo', 'Ernie'] }), 'unknown voices "Elmo", "Ernie"'],
    ['an unknown voice twice', json({ voices: ['Elmo', 'Elmo'] }), 'unknown voice "Elmo"'],
    [
      'the same voice twice',
      json({ voices: ['Joan of Arc', 'Joan of Arc'] }),
      'the two voices must differ, got "Joan of Arc" twice',
    ],
    ['no rating', json({}, ['rating']), 'rating is required'],
    [
      'rating above the scale',
      json({ rating: 3 }),
      'rating must be an integer from 0 to 2 (0=Hated, 1=Meh, 2=Liked)',
    ],
    [
      'negative rating',
      json({ rating: -1 }),
      'rating must be an integer from 0 to 2 (0=Hated, 1=Meh, 2=Liked)',
    ],
    [
      'fractional rating',
      json({ rating: 1.5 }),
      'rating must be an integer from 0 to 2 (0=Hated, 1=Meh, 2=Liked)',
    ],
    [
      'rating as a string',
      json({ rating: '1' }),
      'rating must be an integer from 0 to 2 (0=Hated, 1=Meh, 2=Liked)',
    ],
    [
      'rating as a label',
      json({ rating: 'Liked' }),
      'rating must be an integer from 0 to 2 (0=Hated, 1=Meh, 2=Liked)',
    ],
    ['no researcher', json({}, ['researcher']), 'researcher is required'],
    ['blank researcher', json({ researcher: '  ' }), 'researcher must be a non-empty string'],
    ['no ratedAt', json({}, ['ratedAt']), 'ratedAt must be an ISO 8601 timestamp'],
    ['ratedAt not a date', json({ ratedAt: 'yesterday' }), 'ratedAt must be an ISO 8601 timestamp'],
  ])('rejects %s', (_name, record, reason) => {
    expect(reasonOf(parseRecord(record, catalog))).toBe(reason);
  });

  it('reports the first problem only: the consumer logs one line per record', () => {
    expect(reasonOf(parseRecord(json({ battle: 'Cats vs Dogs', rating: 9 }), catalog))).toBe(
      'unknown battle "Cats vs Dogs"',
    );
  });

  it('cuts long names short in reasons, so that a huge field cannot flood the logs', () => {
    const reason = reasonOf(parseRecord(json({ battle: 'x'.repeat(10_000) }), catalog));
    expect(reason).toBe(`unknown battle "${'x'.repeat(64)}…"`);
  });
});

describe('parseRecord, pipe format', () => {
  it('accepts battle|voice1|voice2|rating with the rating as scale index', () => {
    expect(parseRecord('Adam vs Eve|Darth Vader|Joan of Arc|1', catalog)).toEqual({
      ok: true,
      rating: { battle: 'Adam vs Eve', voices: ['Darth Vader', 'Joan of Arc'], rating: 1 },
    });
  });

  it('accepts battles with quotes and unicode voices from UTF-8 bytes', () => {
    const record = Buffer.from("John Lennon vs Bill O'Reilly|Beyoncé|声優 甲|0", 'utf8');
    expect(parseRecord(record, catalog)).toEqual({
      ok: true,
      rating: { battle: "John Lennon vs Bill O'Reilly", voices: ['Beyoncé', '声優 甲'], rating: 0 },
    });
  });

  it('trims every field, tolerating CRLF line endings and padding', () => {
    expect(parseRecord('  Adam vs Eve | Darth Vader |\tJoan of Arc | 2 \r\n', catalog)).toEqual({
      ok: true,
      rating: { battle: 'Adam vs Eve', voices: ['Darth Vader', 'Joan of Arc'], rating: 2 },
    });
  });

  it('accepts leading zeros in the index', () => {
    expect(parseRecord('Adam vs Eve|Darth Vader|Joan of Arc|002', catalog)).toMatchObject({
      ok: true,
      rating: { rating: 2 },
    });
  });

  const scaleReason = 'rating must be an integer from 0 to 2 (0=Hated, 1=Meh, 2=Liked)';
  const notIndex = 'rating must be a scale index (digits only)';
  it.each<[string, string, string]>([
    ['no separator', 'hello', 'neither JSON nor a pipe record battle|voice1|voice2|rating'],
    [
      'three fields',
      'Adam vs Eve|Darth Vader|Joan of Arc',
      'neither JSON nor a pipe record battle|voice1|voice2|rating',
    ],
    ['five fields', 'Adam vs Eve|Darth Vader|Joan of Arc|1|x', 'pipe record has more than 4 fields'],
    ['a JSON string', '"Adam vs Eve|Darth Vader|Joan of Arc|1"', 'unknown battle "\\"Adam vs Eve"'],
    ['empty battle', '|Darth Vader|Joan of Arc|1', 'battle must not be empty'],
    ['unknown battle', 'Cats vs Dogs|Darth Vader|Joan of Arc|1', 'unknown battle "Cats vs Dogs"'],
    ['empty voice', 'Adam vs Eve||Joan of Arc|1', 'unknown voice ""'],
    ['unknown voice', 'Adam vs Eve|Darth Vader|Elmo|1', 'unknown voice "Elmo"'],
    ['voice in another case', 'Adam vs Eve|darth vader|Joan of Arc|1', 'unknown voice "darth vader"'],
    [
      'same voice twice',
      'Adam vs Eve|Darth Vader|Darth Vader|1',
      'the two voices must differ, got "Darth Vader" twice',
    ],
    ['rating above the scale', 'Adam vs Eve|Darth Vader|Joan of Arc|3', scaleReason],
    ['rating with many digits', 'Adam vs Eve|Darth Vader|Joan of Arc|9999999999', notIndex],
    ['empty rating', 'Adam vs Eve|Darth Vader|Joan of Arc|', notIndex],
    ['negative rating', 'Adam vs Eve|Darth Vader|Joan of Arc|-1', notIndex],
    ['fractional rating', 'Adam vs Eve|Darth Vader|Joan of Arc|1.0', notIndex],
    ['exponent rating', 'Adam vs Eve|Darth Vader|Joan of Arc|1e0', notIndex],
    ['hex rating', 'Adam vs Eve|Darth Vader|Joan of Arc|0x1', notIndex],
    ['label rating', 'Adam vs Eve|Darth Vader|Joan of Arc|Liked', notIndex],
    ['space inside the rating', 'Adam vs Eve|Darth Vader|Joan of Arc|1 2', notIndex],
  ])('rejects %s', (_name, record, reason) => {
    expect(reasonOf(parseRecord(record, catalog))).toBe(reason);
  });
});

describe('parseRecord, degenerate input', () => {
  it.each<[string, Buffer | string | null | undefined, string]>([
    ['a tombstone (null value)', null, 'empty record (no value)'],
    ['an undefined value', undefined, 'empty record (no value)'],
    ['an empty buffer', Buffer.alloc(0), 'empty record'],
    ['an empty string', '', 'empty record'],
    ['whitespace only', ' \n\t ', 'empty record'],
    [
      'binary garbage',
      Buffer.from([0xff, 0xfe, 0x00, 0x01]),
      'neither JSON nor a pipe record battle|voice1|voice2|rating',
    ],
  ])('rejects %s', (_name, value, reason) => {
    expect(reasonOf(parseRecord(value, catalog))).toBe(reason);
  });

  it('rejects invalid UTF-8 in a name as an unknown voice rather than throwing', () => {
    const record = Buffer.concat([
      Buffer.from('Adam vs Eve|Darth Vader|'),
      Buffer.from([0xc3, 0x28]),
      Buffer.from('|1'),
    ]);
    expect(reasonOf(parseRecord(record, catalog))).toBe('unknown voice "\uFFFD("');
  });

  it('rejects records over the size limit without decoding them', () => {
    const huge = Buffer.alloc(MAX_RECORD_BYTES + 1, 0x7b);
    expect(reasonOf(parseRecord(huge, catalog))).toBe(
      `record too large (${MAX_RECORD_BYTES + 1} > ${MAX_RECORD_BYTES} bytes)`,
    );
    const atLimit = json({ pad: 'x'.repeat(MAX_RECORD_BYTES - json({ pad: '' }).length) });
    expect(atLimit.length).toBe(MAX_RECORD_BYTES);
    expect(parseRecord(atLimit, catalog).ok).toBe(true);
  });
});

describe('validateSubmission', () => {
  const good = {
    battle: 'Adam vs Eve',
    voices: ['Darth Vader', 'Joan of Arc'],
    rating: 0,
    researcher: 'Dr. Ada',
  };

  it('accepts a complete body and returns a copy of its fields', () => {
    const result = validateSubmission(good, catalog);
    expect(result).toEqual({ ok: true, submission: good });
    if (result.ok) expect(result.submission.voices).not.toBe(good.voices);
  });

  it.each<[string, unknown, string[]]>([
    ['null', null, ['body must be a JSON object {battle, voices, rating, researcher}']],
    ['an array', [good], ['body must be a JSON object {battle, voices, rating, researcher}']],
    [
      'a string',
      'Adam vs Eve|Darth Vader|Joan of Arc|1',
      ['body must be a JSON object {battle, voices, rating, researcher}'],
    ],
    [
      'an empty object',
      {},
      ['battle is required', 'voices is required', 'rating is required', 'researcher is required'],
    ],
    ['an extra field', { ...good, ratting: 2 }, ['unexpected field "ratting"']],
    ['server-assigned fields', { ...good, id: 'x', v: 1 }, ['unexpected field "id"', 'unexpected field "v"']],
    ['an unknown battle', { ...good, battle: 'Cats vs Dogs' }, ['unknown battle "Cats vs Dogs"']],
    ['an unknown voice', { ...good, voices: ['Darth Vader', 'Elmo'] }, ['unknown voice "Elmo"']],
    [
      'the same voice twice',
      { ...good, voices: ['Beyoncé', 'Beyoncé'] },
      ['the two voices must differ, got "Beyoncé" twice'],
    ],
    ['one voice', { ...good, voices: ['Beyoncé'] }, ['voices must be an array of two voice names']],
    [
      'an out-of-scale rating',
      { ...good, rating: 5 },
      ['rating must be an integer from 0 to 2 (0=Hated, 1=Meh, 2=Liked)'],
    ],
    ['a blank researcher', { ...good, researcher: ' ' }, ['researcher must be a non-empty string']],
    ['a researcher of another type', { ...good, researcher: 42 }, ['researcher must be a non-empty string']],
    [
      'an overlong researcher',
      { ...good, researcher: 'r'.repeat(129) },
      ['researcher must be at most 128 characters'],
    ],
  ])('rejects %s', (_name, body, reasons) => {
    expect(validateSubmission(body, catalog)).toEqual({ ok: false, reasons });
  });

  it('reports every problem at once, extra fields first', () => {
    const result = validateSubmission(
      { battle: 3, voices: ['Elmo', 'Ernie'], rating: 1.5, researcher: '', extra: true },
      catalog,
    );
    expect(result).toEqual({
      ok: false,
      reasons: [
        'unexpected field "extra"',
        'battle must be a string',
        'unknown voices "Elmo", "Ernie"',
        'rating must be an integer from 0 to 2 (0=Hated, 1=Meh, 2=Liked)',
        'researcher must be a non-empty string',
      ],
    });
  });
});

describe('createRating and encodeRating', () => {
  const submission = {
    battle: 'Adam vs Eve',
    voices: ['Beyoncé', '声優 甲'] as [string, string],
    rating: 1,
    researcher: 'sim-3',
  };

  it('stamps version, id and time onto a submission', () => {
    const rating = createRating(submission, 'id-1', '2024-05-01T12:00:00.000Z');
    expect(rating).toEqual({ v: 1, id: 'id-1', ...submission, ratedAt: '2024-05-01T12:00:00.000Z' });
  });

  it('draws a fresh UUID and the current time by default', () => {
    const a = createRating(submission);
    const b = createRating(submission);
    expect(a.id).toMatch(/^[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
    expect(a.id).not.toBe(b.id);
    expect(Math.abs(Date.parse(a.ratedAt) - Date.now())).toBeLessThan(60_000);
  });

  it('writes the fields in the documented order', () => {
    expect(encodeRating({ ...valid, ratedAt: valid.ratedAt })).toBe(
      '{"v":1,"id":"6f1c1d43-7a8e-4c55-9b0a-7f3e3c0d2b11","battle":"Adam vs Eve","voices":["Darth Vader","Joan of Arc"],' +
        '"rating":2,"researcher":"sim-1","ratedAt":"2024-05-01T12:00:00.000Z"}',
    );
  });

  it('writes exactly what JSON.stringify writes, for any string the API admits', () => {
    const awkward = [
      'plain',
      'quote " and backslash \\',
      'control \u0000\u0007\b\f\n\r\t\u001f and DEL \u007f',
      'lone surrogates \ud800 and \udfff, a pair 😀',
      'line separators \u2028\u2029',
      '</script><!--',
      'é decomposed e\u0301',
      '',
    ];
    const reference = (r: Rating) =>
      JSON.stringify({
        v: r.v,
        id: r.id,
        battle: r.battle,
        voices: r.voices,
        rating: r.rating,
        researcher: r.researcher,
        ratedAt: r.ratedAt,
      });
    for (const a of awkward) {
      for (const b of awkward) {
        // The same strings again and again, as the catalog's are, and each in every field.
        for (let round = 0; round < 2; round++) {
          const rating: Rating = {
            v: 1,
            id: a,
            battle: b,
            voices: [a, b],
            rating: 9,
            researcher: a + b,
            ratedAt: b,
          };
          expect(encodeRating(rating)).toBe(reference(rating));
        }
      }
    }
  });

  it('writes the same whatever order the fields of the rating were set in', () => {
    const shuffled = {
      ratedAt: valid.ratedAt,
      researcher: 'sim-1',
      rating: 2,
      voices: valid.voices,
      battle: valid.battle,
      id: valid.id,
      v: 1,
    } as Rating;
    expect(encodeRating(shuffled)).toBe(encodeRating(valid));
  });

  it('round-trips through parseRecord for every voice pair and rating', () => {
    for (const a of catalog.voices) {
      for (const b of catalog.voices) {
        if (a === b) continue;
        for (let rating = 0; rating < catalog.scale.length; rating++) {
          const encoded = encodeRating(
            createRating({ battle: 'Adam vs Eve', voices: [a, b], rating, researcher: 'r' }),
          );
          expect(parseRecord(Buffer.from(encoded), catalog)).toEqual({
            ok: true,
            rating: { battle: 'Adam vs Eve', voices: [a, b], rating },
          });
        }
      }
    }
  });
});
