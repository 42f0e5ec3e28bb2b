import { parseQuantity } from './quantity.ts';

describe('parseQuantity', () => {
  it.each([
    ['250m', 0.25],
    ['1Gi', 2 ** 30],
    ['1.5G', 1.5e9],
    ['1e3', 1000],
    ['.5', 0.5],
    [2, 2],
  ])('%p is %p', (input, value) => {
    expect(parseQuantity(input)).toBeCloseTo(value);
  });

  it.each(['abc', '1Zi', '', '1.2.3'])('%p is not a quantity', (input) => {
    expect(parseQuantity(input)).toBeUndefined();
  });
});
