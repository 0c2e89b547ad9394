/**
 * Calico's label selector language, ported from libcalico-go/lib/selector/tokenizer/tokenizer.go and
 * parser/parser.go + ast.go (v3.32.1; unchanged in substance since v3.29.7). Parsing follows the Go
 * recursive descent: `||` of `&&` of operations, any number of leading `!`.
 */

export type Labels = Readonly<Record<string, string>>;

export type SelectorNode =
  | { op: 'all' }
  | { op: 'global' }
  | { op: 'has'; label: string }
  | { op: '==' | '!=' | 'contains' | 'starts with' | 'ends with'; label: string; value: string }
  | { op: 'in' | 'not in'; label: string; values: readonly string[] }
  | { op: '!'; operand: SelectorNode }
  | { op: '&&' | '||'; operands: readonly SelectorNode[] };

export class SelectorError extends Error {
  constructor(
    readonly selector: string,
    readonly reason: string,
  ) {
    super(`invalid selector ${JSON.stringify(selector)}: ${reason}`);
    this.name = 'SelectorError';
  }
}

type Tok =
  | { k: 'label' | 'string' | 'has'; v: string }
  | {
      k:
        | '('
        | ')'
        | '{'
        | '}'
        | ','
        | '=='
        | '!='
        | 'in'
        | 'not in'
        | '!'
        | 'contains'
        | 'starts with'
        | 'ends with'
        | 'all'
        | 'global'
        | '&&'
        | '||'
        | 'eof';
    };

// tokenizer.go MaxLabelLength.
const MAX_LABEL = 512;
const isIdent = (c: string | undefined) => c !== undefined && /[a-zA-Z0-9_./-]/.test(c);
// Only space and tab are whitespace to the tokenizer (trimWhitespace).
const trimWs = (s: string) => s.replace(/^[ \t]+/, '');

function cutIdent(s: string): [string, string] {
  let i = 0;
  while (i < s.length && isIdent(s[i])) i++;
  const ident = s.slice(0, i);
  if (ident.length === 0) throw new Error('expected identifier');
  if (ident.length > MAX_LABEL) throw new Error(`label too long: ${ident}`);
  return [ident, s.slice(i)];
}

/**
 * `words` separated by optional whitespace, then a word boundary: a single word is checked before
 * trimming (cutPrefixCheckBreak), several after (cutMultiWordPrefixCheckBreak).
 */
function cutWords(s: string, ...words: string[]): string | undefined {
  let rest = s;
  for (const w of words) {
    if (!rest.startsWith(w)) return undefined;
    rest = rest.slice(w.length);
    if (words.length > 1) rest = trimWs(rest);
  }
  return isIdent(rest[0]) ? undefined : rest;
}

function tokenize(input: string): Tok[] {
  const toks: Tok[] = [];
  let s = input;
  for (;;) {
    s = trimWs(s);
    if (s.length === 0) {
      toks.push({ k: 'eof' });
      return toks;
    }
    const last = toks.at(-1)?.k;
    const c = s[0]!;
    if ('(){},'.includes(c)) {
      toks.push({ k: c as '(' });
      s = s.slice(1);
    } else if (c === '"' || c === "'") {
      const end = s.indexOf(c, 1);
      if (end === -1) throw new Error('unterminated string');
      toks.push({ k: 'string', v: s.slice(1, end) });
      s = s.slice(end + 1);
    } else if (c === '=') {
      if (!s.startsWith('==')) throw new Error('expected ==');
      toks.push({ k: '==' });
      s = s.slice(2);
    } else if (c === '!') {
      if (s.startsWith('!=')) {
        toks.push({ k: '!=' });
        s = s.slice(2);
      } else {
        toks.push({ k: '!' });
        s = s.slice(1);
      }
    } else if (c === '&' || c === '|') {
      if (s[1] !== c) throw new Error(`expected ${c}${c}`);
      toks.push({ k: c === '&' ? '&&' : '||' });
      s = s.slice(2);
    } else if (last === 'label') {
      // After a label only an operator may follow (tokenizer.go, `lastTokKind == TokLabel`).
      const ops: [Tok['k'], string[]][] = [
        ['contains', ['contains']],
        ['starts with', ['starts', 'with']],
        ['ends with', ['ends', 'with']],
        ['not in', ['not', 'in']],
        ['in', ['in']],
      ];
      const hit = ops.map(([k, w]) => [k, cutWords(s, ...w)] as const).find(([, r]) => r !== undefined);
      if (!hit) {
        const prev = toks.at(-1) as { v: string };
        throw new Error(`expected operator after label ${JSON.stringify(prev.v)}`);
      }
      toks.push({ k: hit[0] } as Tok);
      s = hit[1]!;
    } else if (s.startsWith('has(')) {
      const [ident, rest] = cutIdent(trimWs(s.slice(4)));
      const after = trimWs(rest);
      if (!after.startsWith(')')) throw new Error("no closing ')' after has(");
      toks.push({ k: 'has', v: ident });
      s = after.slice(1);
    } else if (s.startsWith('all(') || s.startsWith('global(')) {
      const name = s.startsWith('all(') ? 'all' : 'global';
      const after = trimWs(s.slice(name.length + 1));
      if (!after.startsWith(')')) throw new Error(`no closing ')' after ${name}(`);
      toks.push({ k: name });
      s = after.slice(1);
    } else {
      const [ident, rest] = cutIdent(s);
      toks.push({ k: 'label', v: ident });
      s = rest;
    }
  }
}

function describe(t: Tok): string {
  return 'v' in t ? `${t.k} ${JSON.stringify(t.v)}` : JSON.stringify(t.k);
}

class Parser {
  private i = 0;
  constructor(private readonly toks: Tok[]) {}
  private peek(): Tok {
    return this.toks[this.i]!;
  }
  private next(): Tok {
    return this.toks[this.i++]!;
  }

  or(): SelectorNode {
    const nodes = [this.and()];
    while (this.peek().k === '||') {
      this.i++;
      nodes.push(this.and());
    }
    return nodes.length === 1 ? nodes[0]! : { op: '||', operands: nodes };
  }

  and(): SelectorNode {
    const nodes = [this.operation()];
    while (this.peek().k === '&&') {
      this.i++;
      nodes.push(this.operation());
    }
    return nodes.length === 1 ? nodes[0]! : { op: '&&', operands: nodes };
  }

  operation(): SelectorNode {
    let negated = false;
    while (this.peek().k === '!') {
      negated = !negated;
      this.i++;
    }
    const t = this.next();
    let node: SelectorNode;
    switch (t.k) {
      case 'has':
        node = { op: 'has', label: t.v };
        break;
      case 'all':
      case 'global':
        node = { op: t.k };
        break;
      case 'label': {
        const op = this.next();
        if (op.k === 'eof') throw new Error('unexpected end of string looking for op');
        if (
          op.k === '==' ||
          op.k === '!=' ||
          op.k === 'contains' ||
          op.k === 'starts with' ||
          op.k === 'ends with'
        ) {
          const v = this.next();
          if (v.k !== 'string') throw new Error('expected string');
          node = { op: op.k, label: t.v, value: v.v };
        } else if (op.k === 'in' || op.k === 'not in') {
          if (this.next().k !== '{') throw new Error('expected set literal');
          const values: string[] = [];
          // A trailing comma is accepted, as in parser.go's loop.
          while (this.peek().k === 'string') {
            values.push((this.next() as { v: string }).v);
            if (this.peek().k !== ',') break;
            this.i++;
          }
          if (this.next().k !== '}') throw new Error('expected }');
          node = { op: op.k, label: t.v, values };
        } else throw new Error(`expected == or != not: ${describe(op)}`);
        break;
      }
      case '(': {
        node = this.or();
        if (this.next().k !== ')') throw new Error('expected )');
        break;
      }
      default:
        throw new Error(`unexpected token: ${describe(t)}`);
    }
    return negated ? { op: '!', operand: node } : node;
  }

  root(): SelectorNode {
    if (this.peek().k === 'eof') return { op: 'all' };
    const node = this.or();
    if (this.peek().k !== 'eof') throw new Error('unexpected content at end of selector');
    return node;
  }
}

const cache = new Map<string, SelectorNode>();

/** Parses a selector; the empty selector selects everything (parser.go parseRoot). */
export function parseSelector(text: string): SelectorNode {
  const hit = cache.get(text);
  if (hit) return hit;
  let node: SelectorNode;
  try {
    node = new Parser(tokenize(text)).root();
  } catch (e) {
    throw new SelectorError(text, (e as Error).message);
  }
  if (cache.size > 10_000) cache.clear();
  cache.set(text, node);
  return node;
}

/**
 * ast.go Evaluate: `!=` and `not in` match when the label is absent; `global()` evaluates true on
 * a labels map (it only narrows which endpoint kinds a policy selector reaches).
 */
export function evaluate(node: SelectorNode, labels: Labels): boolean {
  const has = (k: string) => Object.hasOwn(labels, k);
  switch (node.op) {
    case 'all':
    case 'global':
      return true;
    case 'has':
      return has(node.label);
    case '==':
      return has(node.label) && labels[node.label] === node.value;
    case '!=':
      return !has(node.label) || labels[node.label] !== node.value;
    case 'contains':
      return has(node.label) && labels[node.label]!.includes(node.value);
    case 'starts with':
      return has(node.label) && labels[node.label]!.startsWith(node.value);
    case 'ends with':
      return has(node.label) && labels[node.label]!.endsWith(node.value);
    case 'in':
      return has(node.label) && node.values.includes(labels[node.label]!);
    case 'not in':
      return !has(node.label) || !node.values.includes(labels[node.label]!);
    case '!':
      return !evaluate(node.operand, labels);
    case '&&':
      return node.operands.every((o) => evaluate(o, labels));
    case '||':
      return node.operands.some((o) => evaluate(o, labels));
  }
}

export function matches(selector: string, labels: Labels): boolean {
  return evaluate(parseSelector(selector), labels);
}

/** Rewrites every label name with a prefix (updateprocessors/rules.go parseSelectorAttachPrefix). */
export function prefixLabels(node: SelectorNode, prefix: string): SelectorNode {
  switch (node.op) {
    case 'all':
    case 'global':
      return node;
    case '!':
      return { op: '!', operand: prefixLabels(node.operand, prefix) };
    case '&&':
    case '||':
      return { op: node.op, operands: node.operands.map((o) => prefixLabels(o, prefix)) };
    default:
      return { ...node, label: prefix + node.label };
  }
}
