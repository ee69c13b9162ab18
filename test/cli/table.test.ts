/** The `get` table formatter: sized to content, long cells cut with "…". */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { formatTable, truncate } from '../../src/cli/table';

describe('formatTable', () => {
  test('sizes each column to its widest cell, two spaces apart, no trailing spaces', () => {
    const out = formatTable(
      ['NAME', 'N'],
      [
        ['a', 1],
        ['longer-name', 22],
      ],
    );
    assert.equal(out, 'NAME         N\na            1\nlonger-name  22\n');
  });

  test('empty, null and undefined cells show "-"; newlines cannot break a row', () => {
    const out = formatTable(['A', 'B', 'C'], [[null, undefined, 'x\ny']]);
    assert.equal(out, 'A  B  C\n-  -  x y\n');
  });

  test('cells longer than the limit end with "…" at exactly the limit', () => {
    const out = formatTable(['REASON', 'X'], [['a'.repeat(100), 'b'.repeat(100)]], {
      maxCellWidth: 10,
      maxWidths: { X: 5 },
    });
    assert.equal(out, `REASON      X\n${'a'.repeat(9)}…  bbbb…\n`);
  });

  test('truncate counts characters, not UTF-16 units', () => {
    assert.equal(truncate('ééééé', 5), 'ééééé');
    assert.equal(truncate('😀😀😀😀', 3), '😀😀…');
    assert.equal(truncate('abc', 1), '…');
  });
});
