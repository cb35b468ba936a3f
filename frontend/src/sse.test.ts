import { describe, expect, it } from 'vitest';
import { SseParser } from './sse';

describe('SseParser', () => {
  it('emits events across arbitrary chunk splits and skips comments', () => {
    const text = ': ping\n\nevent: order\ndata: {"a":1}\n\nevent: order\r\ndata: {"a":2}\r\n\r\n';
    for (let cut = 0; cut <= text.length; cut++) {
      const p = new SseParser();
      const events = [...p.push(text.slice(0, cut)), ...p.push(text.slice(cut))];
      expect(events.map((e) => [e.event, e.data])).toEqual([
        ['order', '{"a":1}'],
        ['order', '{"a":2}'],
      ]);
    }
  });

  it('joins multi-line data, defaults the event name, keeps ids', () => {
    const p = new SseParser();
    expect(p.push('id: 7\ndata: one\ndata:two\n\n')).toEqual([{ event: 'message', data: 'one\ntwo', id: '7' }]);
  });

  it('holds an unfinished event until its blank line', () => {
    const p = new SseParser();
    expect(p.push('event: order\ndata: x\n')).toEqual([]);
    expect(p.push('\n')).toEqual([{ event: 'order', data: 'x', id: null }]);
  });
});
