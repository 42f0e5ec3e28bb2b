import { describeError } from './describe-error.ts';

describe('describeError', () => {
  it("prefers the API server's Status message and keeps the code", () => {
    const err = Object.assign(new Error('HTTP-Code: 409'), {
      code: 409,
      body: JSON.stringify({ kind: 'Status', message: 'pods "p" already exists' }),
    });
    expect(describeError(err)).toBe('409: pods "p" already exists');
  });

  it('falls back to the error message, and to String for non-errors', () => {
    expect(describeError(new Error('connect ECONNREFUSED'))).toBe('connect ECONNREFUSED');
    expect(describeError(Object.assign(new Error('x'), { body: 'not json' }))).toBe('x');
    expect(describeError('plain')).toBe('plain');
  });
});
