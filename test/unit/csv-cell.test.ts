import { test } from 'node:test'
import assert from 'node:assert/strict'
import { csvRow, neutraliseCell, restoreCell } from '../../src/formats/csv-cell.js'

test('csv cells: formula starts get one quote, which reading removes; everything round-trips exactly', () => {
  const cases: Array<[string, string]> = [
    ['=cmd|\' /C calc\'!A0', '\'=cmd|\' /C calc\'!A0'],
    ['+1', '\'+1'], ['-1', '\'-1'], ['@SUM(1)', '\'@SUM(1)'], ['\t=1', '\'\t=1'], ['\r=1', '\'\r=1'],
    ['\'=x', '\'\'=x'], ['\'\'+x', '\'\'\'+x'],
    ['\'abc', '\'abc'], ['abc=1', 'abc=1'], ['', ''], ['ncmec:12-3', 'ncmec:12-3'],
    ['84f64b65db3192a980783835b078a28b', '84f64b65db3192a980783835b078a28b']
  ]
  for (const [value, written] of cases) {
    assert.equal(neutraliseCell(value), written, JSON.stringify(value))
    assert.equal(restoreCell(written), value, JSON.stringify(written))
  }
  assert.equal(csvRow(['md5', '=1+1', 'a;b'], ';'), '\'=1+1'.replace(/^/, 'md5;') + ';"a;b"\n')
})
