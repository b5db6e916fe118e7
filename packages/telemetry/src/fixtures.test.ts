import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { readEvents } from './read.js';
import { createReplay, readRecording, stringifyRecording } from './replay.js';

const fixtures = join(import.meta.dirname, '__fixtures__');

// Every released format version stays readable: add a fixture per version, never edit an old one.
describe('historical formats still load', () => {
  it('events v1 (JSONL)', () => {
    const { value, issues } = readEvents(join(fixtures, 'events-v1.jsonl'));
    expect(issues).toEqual([]);
    expect(value).toHaveLength(16);
    expect(new Set(value.map((e) => e.v))).toEqual(new Set([1]));
  });

  it('recording v1, byte-stable when written back', () => {
    const path = join(fixtures, 'recordings', 'refund-v1.json');
    const recording = readRecording(path);
    expect(stringifyRecording(recording)).toBe(readFileSync(path, 'utf8'));
    const replay = createReplay(recording);
    expect(replay.model.next().toolCalls[0]?.name).toBe('lookup_order');
    expect(replay.tools.call('lookup_order', { orderId: 'A-1001' }).value).toEqual({ orderId: 'A-1001', status: 'delivered', total: 150 });
  });
});
