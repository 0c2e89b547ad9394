import { EVENT_ID, getScalarValue, parseEvents } from 'js-yaml';

export type YamlPath = readonly (string | number)[];

/** Where a node sits in the source: its key (inside a mapping) and its value, as 1-based lines. */
export interface NodePosition {
  readonly keyLine?: number;
  readonly valueLine: number;
}

type Frame =
  | { kind: 'map'; path: YamlPath; pendingKey?: { name: string; offset: number } }
  | { kind: 'seq'; path: YamlPath; index: number };

const pathKey = (p: YamlPath) => JSON.stringify(p);

/** 1-based line of each offset, by binary search over line starts. */
function lineIndex(src: string): (offset: number) => number {
  const starts = [0];
  for (let i = src.indexOf('\n'); i !== -1; i = src.indexOf('\n', i + 1)) starts.push(i + 1);
  return (offset) => {
    let lo = 0;
    let hi = starts.length - 1;
    while (lo < hi) {
      const mid = (lo + hi + 1) >> 1;
      if ((starts[mid] ?? 0) <= offset) lo = mid;
      else hi = mid - 1;
    }
    return lo + 1;
  };
}

/**
 * Source lines of every node of the first document, by path (`['steps', 0, 'expect']`), read from
 * js-yaml's event stream (its AST carries no positions). Complex (non-scalar) keys are skipped.
 */
export class YamlPositions {
  private readonly byPath = new Map<string, NodePosition>();

  constructor(src: string) {
    const lineOf = lineIndex(src);
    const stack: Frame[] = [];
    let documents = 0;
    const record = (path: YamlPath, valueOffset: number, keyOffset?: number) => {
      const valueLine = lineOf(valueOffset >= 0 ? valueOffset : (keyOffset ?? 0));
      this.byPath.set(pathKey(path), {
        ...(keyOffset !== undefined ? { keyLine: lineOf(keyOffset) } : {}),
        valueLine,
      });
    };
    /** Claims the slot for the next node: its path and whether it is a mapping key. */
    const slot = (): { path: YamlPath; isKey: boolean; keyOffset?: number } | undefined => {
      const top = stack[stack.length - 1];
      if (!top) return { path: [], isKey: false };
      if (top.kind === 'seq') return { path: [...top.path, top.index++], isKey: false };
      if (!top.pendingKey) return { path: top.path, isKey: true };
      const { name, offset } = top.pendingKey;
      top.pendingKey = undefined;
      return { path: [...top.path, name], isKey: false, keyOffset: offset };
    };

    for (const ev of parseEvents(src, {})) {
      if (ev.type === EVENT_ID.DOCUMENT) {
        documents++;
        continue;
      }
      if (documents > 1) break;
      if (ev.type === EVENT_ID.POP) {
        stack.pop();
        continue;
      }
      const s = slot();
      if (!s) continue;
      if (ev.type === EVENT_ID.SCALAR) {
        if (s.isKey) {
          const top = stack[stack.length - 1];
          if (top?.kind === 'map') top.pendingKey = { name: getScalarValue(src, ev), offset: ev.valueStart };
        } else record(s.path, ev.valueStart, s.keyOffset);
        continue;
      }
      if (ev.type === EVENT_ID.ALIAS) {
        if (!s.isKey) record(s.path, ev.anchorStart - 1, s.keyOffset);
        continue;
      }
      // A collection: as a key it is complex and gets a placeholder path no issue will name.
      const path = s.isKey ? [...s.path, '\u0000complex-key'] : s.path;
      if (!s.isKey) record(path, ev.start, s.keyOffset);
      else {
        const top = stack[stack.length - 1];
        if (top?.kind === 'map') top.pendingKey = { name: '\u0000complex-key', offset: ev.start };
      }
      stack.push(ev.type === EVENT_ID.MAPPING ? { kind: 'map', path } : { kind: 'seq', path, index: 0 });
    }
  }

  get(path: YamlPath): NodePosition | undefined {
    return this.byPath.get(pathKey(path));
  }

  /**
   * The line for an issue at `path`: the node's key line (or its own line in a sequence), else that of
   * its nearest ancestor present in the source (a missing field is reported where its parent starts).
   */
  lineFor(path: YamlPath): number {
    for (let n = path.length; n >= 0; n--) {
      const p = this.byPath.get(pathKey(path.slice(0, n)));
      if (p) return p.keyLine ?? p.valueLine;
    }
    return 1;
  }
}
