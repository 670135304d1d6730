import { describe, expect, it } from 'vitest';
import { createLogBuffer } from './log-buffer.ts';

function buffer(capacity: number, maxLineLength?: number) {
  let t = Date.UTC(2026, 0, 1);
  const echoed: string[] = [];
  const logs = createLogBuffer({
    now: () => (t += 1000),
    capacity,
    ...(maxLineLength !== undefined ? { maxLineLength } : {}),
    echo: (text) => echoed.push(text),
  });
  return { logs, echoed };
}

describe('log buffer', () => {
  it('echoes each line with its time and keeps it until a delivery is acknowledged', () => {
    const { logs, echoed } = buffer(10);
    logs.log('one');
    logs.log('two');
    expect(echoed).toEqual([
      '2026-01-01T00:00:01.000Z ferry-worker: one',
      '2026-01-01T00:00:02.000Z ferry-worker: two',
    ]);
    const batch = logs.peek(100);
    expect(batch.lines).toEqual([
      { at: '2026-01-01T00:00:01.000Z', stream: 'agent', line: 'one' },
      { at: '2026-01-01T00:00:02.000Z', stream: 'agent', line: 'two' },
    ]);
    expect(logs.size).toBe(2);
    logs.log('three'); // logged while the batch is in flight
    logs.ack(batch);
    expect(logs.peek(100).lines.map((l) => l.line)).toEqual(['three']);
  });

  it('peeks at most the number asked for, oldest first', () => {
    const { logs } = buffer(10);
    for (let i = 0; i < 5; i++) logs.log(`line ${i}`);
    const first = logs.peek(2);
    expect(first.lines.map((l) => l.line)).toEqual(['line 0', 'line 1']);
    logs.ack(first);
    expect(logs.peek(10).lines.map((l) => l.line)).toEqual(['line 2', 'line 3', 'line 4']);
  });

  it('is bounded: keeps the newest lines and says how many were dropped, once delivered', () => {
    const { logs } = buffer(3);
    for (let i = 0; i < 10; i++) logs.log(`line ${i}`);
    expect(logs.size).toBe(3);
    expect(logs.dropped).toBe(7);
    const batch = logs.peek(100);
    expect(batch.lines.map((l) => l.line)).toEqual([
      '7 earlier log lines were dropped (buffer full)',
      'line 7',
      'line 8',
      'line 9',
    ]);
    // Lines dropped while that batch was in flight are reported in the next one.
    logs.log('line 10');
    logs.log('line 11');
    logs.ack(batch);
    expect(logs.peek(100).lines.map((l) => l.line)).toEqual([
      '2 earlier log lines were dropped (buffer full)',
      'line 10',
      'line 11',
    ]);
  });

  it('an unacknowledged batch is sent again (a failed heartbeat loses nothing)', () => {
    const { logs } = buffer(10);
    logs.log('a');
    const first = logs.peek(10);
    expect(logs.peek(10)).toEqual(first);
  });

  it('never lets a registered secret or a bootstrap token out, on stdout or in the buffer', () => {
    const { logs, echoed } = buffer(10);
    logs.redact('ferry_node_s3cr3tvalue');
    logs.log('token ferry_node_s3cr3tvalue in a message');
    logs.log('bootstrap ferry_boot_AbCdEfGhIjKlMnOpQrStUv_- leaked?');
    logs.log('query ferry_qt_eyJ2IjoxfQ.c2lnbmF0dXJl leaked?');
    const shipped = JSON.stringify(logs.peek(10)) + echoed.join('\n');
    expect(shipped).not.toContain('s3cr3t');
    expect(shipped).not.toContain('AbCdEfGh');
    expect(shipped).not.toContain('eyJ2');
    expect(logs.peek(10).lines.map((l) => l.line)).toEqual([
      'token [redacted] in a message',
      'bootstrap [redacted] leaked?',
      'query [redacted] leaked?',
    ]);
  });

  it('keeps one entry per message and cuts lines to the contract limit', () => {
    const { logs } = buffer(10, 20);
    logs.log('first\nsecond');
    logs.log('x'.repeat(100));
    const lines = logs.peek(10).lines.map((l) => l.line);
    expect(lines[0]).toBe('first ⏎ second');
    expect(lines[1]).toHaveLength(20);
    expect(lines[1]?.endsWith('…')).toBe(true);
  });
});
