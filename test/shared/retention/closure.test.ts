import { describe, expect, it } from 'vitest';
import { NAME_LIST_EXACT_MAX, nameList } from '../../../shared/names/name-set';
import { closeOverReferences, newAssessment } from '../../../shared/retention/plan';

/** `n` distinct file names with a tag, as a `_metadata` or a directory holds them. */
const names = (tag: string, n: number) => Array.from({ length: n }, (_, i) => `${tag}-${i}`);

describe('closeOverReferences (docs/state-pruner.md §4.5)', () => {
  it('rescues a chain of units through short and long name lists alike, and nothing unnamed', () => {
    for (const long of [false, true]) {
      const size = long ? NAME_LIST_EXACT_MAX + 40 : 5;
      const a = newAssessment();
      // Kept: names one file of unit A. A's _metadata names a file of B among many; B's names nothing dropped.
      a.referenced.add('a-file-2', 'kept/');
      a.dropped.set('A/', {
        files: nameList(names('a-file', size)),
        refs: nameList([...names('elsewhere', size), 'b-file-1']),
      });
      a.dropped.set('B/', { files: nameList(names('b-file', size)), refs: nameList(names('nowhere', size)) });
      a.dropped.set('C/', { files: nameList(names('c-file', size)), refs: nameList(['a-file-0']) });
      closeOverReferences(a);
      expect(Object.fromEntries(a.rescued), long ? 'fingerprint lists' : 'name lists').toEqual({
        'A/': 'kept/',
        'B/': 'A/',
      });
    }
  });

  it('does not count a unit naming its own files as a reason to keep it', () => {
    const a = newAssessment();
    a.dropped.set('A/', { files: nameList(['x', 'y']), refs: nameList(['x']) });
    a.referenced.addAll(nameList(['x']), 'A/');
    closeOverReferences(a);
    expect(a.rescued.size).toBe(0);
  });
});
