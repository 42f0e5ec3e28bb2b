import { CatalogError, catalogFromSpec } from './catalog.ts';

const spec = { voices: ['Big Bird', 'Joan of Arc'], battles: ['Adam vs Eve'], scale: ['Hated', 'Liked'] };

describe('catalogFromSpec', () => {
  it('keeps the lists in order and indexes voices and battles', () => {
    const catalog = catalogFromSpec(spec);
    expect(catalog.voices).toEqual(['Big Bird', 'Joan of Arc']);
    expect(catalog.battles).toEqual(['Adam vs Eve']);
    expect(catalog.scale).toEqual(['Hated', 'Liked']);
    expect(catalog.voiceSet.has('Joan of Arc')).toBe(true);
    expect(catalog.voiceSet.has('joan of arc')).toBe(false);
    expect(catalog.battleSet.has('Adam vs Eve')).toBe(true);
  });

  it('copies the lists, so later changes to the spec object do not leak in', () => {
    const voices = ['a', 'b'];
    const catalog = catalogFromSpec({ ...spec, voices });
    voices.push('c');
    expect(catalog.voices).toEqual(['a', 'b']);
    expect(Object.isFrozen(catalog.voices)).toBe(true);
  });

  it.each([
    [{ ...spec, voices: undefined }, 'spec.voices is missing'],
    [{ ...spec, battles: undefined }, 'spec.battles is missing'],
    [{ ...spec, scale: undefined }, 'spec.scale is missing'],
    [{ ...spec, voices: ['solo'] }, 'spec.voices needs at least 2 entries, has 1'],
    [{ ...spec, battles: [] }, 'spec.battles needs at least 1 entries, has 0'],
    [{ ...spec, scale: ['only'] }, 'spec.scale needs at least 2 entries, has 1'],
    [{ ...spec, voices: ['a', 'b', 'a'] }, 'spec.voices lists "a" twice'],
    [{ ...spec, scale: ['x', ''] }, 'spec.scale entries must be non-empty strings'],
  ])('rejects an unusable spec (%#)', (bad, message) => {
    expect(() => catalogFromSpec(bad)).toThrow(CatalogError);
    expect(() => catalogFromSpec(bad)).toThrow(message);
  });
});
