/**
 * Safe arithmetic formulas for earning rules, e.g. `floor({{amount}} / 100)`.
 *
 * Grammar (whitespace allowed between tokens):
 *   expr    := term (("+" | "-") term)*
 *   term    := unary (("*" | "/") unary)*
 *   unary   := ("-" | "+") unary | primary
 *   primary := number | variable | call | "(" expr ")"
 *   number  := digits ["." digits] [("e" | "E") ["+" | "-"] digits]  |  "." digits
 *   variable:= "{{" segment ("." segment)* "}}"     segment := [A-Za-z_][A-Za-z0-9_]* | digits
 *   call    := ("min" | "max") "(" expr ("," expr)* ")"
 *            | ("floor" | "ceil" | "round" | "abs") "(" expr ")"
 *
 * A formula is parsed once, when the program loads, into a small tree; evaluation walks that tree.
 * Nothing is ever handed to eval or Function, and any other character or name is refused at load.
 * Variables read the event `context` (own properties only; `items.0.price` indexes arrays).
 */

export type FormulaFunction = 'min' | 'max' | 'floor' | 'ceil' | 'round' | 'abs';

export type FormulaNode =
  | { type: 'number'; value: number }
  | { type: 'variable'; path: string[]; name: string }
  | { type: 'negate'; operand: FormulaNode }
  | { type: 'binary'; op: '+' | '-' | '*' | '/'; left: FormulaNode; right: FormulaNode }
  | { type: 'call'; fn: FormulaFunction; args: FormulaNode[] };

export type FormulaFailure = 'missing_input' | 'non_numeric_input' | 'division_by_zero' | 'not_finite';

export type FormulaResult = { ok: true; value: number } | { ok: false; reason: FormulaFailure; message: string };

export interface CompiledFormula {
  source: string;
  /** The context paths the formula reads, e.g. `['amount', 'order.discount']`. */
  variables: string[];
  evaluate(context: Readonly<Record<string, unknown>>): FormulaResult;
}

/** A formula that cannot be parsed; `position` is the 0-based offset of the offending character. */
export class FormulaSyntaxError extends Error {
  override readonly name = 'FormulaSyntaxError';
  constructor(
    message: string,
    readonly position: number,
  ) {
    super(message);
  }
}

export const formulaLimits = { maxLength: 500, maxDepth: 32 } as const;

const unaryFunctions: readonly FormulaFunction[] = ['floor', 'ceil', 'round', 'abs'];
const variadicFunctions: readonly FormulaFunction[] = ['min', 'max'];
const forbiddenSegments = new Set(['__proto__', 'constructor', 'prototype']);

type Token =
  | { kind: 'number'; value: number; pos: number }
  | { kind: 'variable'; path: string[]; name: string; pos: number }
  | { kind: 'name'; value: string; pos: number }
  | { kind: 'op'; value: '+' | '-' | '*' | '/' | '(' | ')' | ','; pos: number }
  | { kind: 'end'; pos: number };

function tokenize(source: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < source.length) {
    const c = source[i] as string;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r') {
      i++;
      continue;
    }
    if ('+-*/(),'.includes(c)) {
      tokens.push({ kind: 'op', value: c as '+', pos: i });
      i++;
      continue;
    }
    const number = /^(?:\d+(?:\.\d+)?|\.\d+)(?:[eE][+-]?\d+)?/.exec(source.slice(i));
    if (number) {
      tokens.push({ kind: 'number', value: Number(number[0]), pos: i });
      i += number[0].length;
      continue;
    }
    if (source.startsWith('{{', i)) {
      const close = source.indexOf('}}', i + 2);
      if (close < 0) throw new FormulaSyntaxError(`unclosed '{{' at position ${i}`, i);
      const name = source.slice(i + 2, close).trim();
      const segments = name.split('.');
      if (name === '' || !segments.every((s) => /^(?:[A-Za-z_][A-Za-z0-9_]*|\d+)$/.test(s))) {
        throw new FormulaSyntaxError(
          `invalid variable '{{${source.slice(i + 2, close)}}}' at position ${i}: use dotted names such as {{amount}} or {{order.total}}`,
          i,
        );
      }
      const bad = segments.find((s) => forbiddenSegments.has(s));
      if (bad) throw new FormulaSyntaxError(`variable '{{${name}}}' at position ${i} uses the forbidden name '${bad}'`, i);
      tokens.push({ kind: 'variable', path: segments, name, pos: i });
      i = close + 2;
      continue;
    }
    const word = /^[A-Za-z_$][A-Za-z0-9_$]*/.exec(source.slice(i));
    if (word) {
      const fn = word[0] as FormulaFunction;
      if (!unaryFunctions.includes(fn) && !variadicFunctions.includes(fn)) {
        throw new FormulaSyntaxError(
          `unknown name '${word[0]}' at position ${i}: only numbers, {{variables}}, + - * / ( ) and ${[...variadicFunctions, ...unaryFunctions].join(', ')} are allowed`,
          i,
        );
      }
      tokens.push({ kind: 'name', value: word[0], pos: i });
      i += word[0].length;
      continue;
    }
    throw new FormulaSyntaxError(`unexpected character ${JSON.stringify(c)} at position ${i}`, i);
  }
  tokens.push({ kind: 'end', pos: source.length });
  return tokens;
}

/** Parses a formula into its tree, or throws a FormulaSyntaxError. */
export function parseFormula(source: string): FormulaNode {
  if (typeof source !== 'string') throw new FormulaSyntaxError('a formula must be a string', 0);
  if (source.length > formulaLimits.maxLength) {
    throw new FormulaSyntaxError(`the formula is ${source.length} characters; the limit is ${formulaLimits.maxLength}`, 0);
  }
  const tokens = tokenize(source);
  let index = 0;
  const peek = (): Token => tokens[index] as Token;
  const next = (): Token => tokens[index++] as Token;
  const describe = (t: Token): string =>
    t.kind === 'end'
      ? 'the end of the formula'
      : t.kind === 'number'
        ? `the number ${t.value} at position ${t.pos}`
        : t.kind === 'variable'
          ? `'{{${t.name}}}' at position ${t.pos}`
          : `'${t.value}' at position ${t.pos}`;
  const isOp = (t: Token, value: string): boolean => t.kind === 'op' && t.value === value;
  const expectOp = (value: string): void => {
    const t = next();
    if (!isOp(t, value)) throw new FormulaSyntaxError(`expected '${value}' but found ${describe(t)}`, t.pos);
  };

  function expr(depth: number): FormulaNode {
    if (depth > formulaLimits.maxDepth) {
      throw new FormulaSyntaxError(`the formula is nested more than ${formulaLimits.maxDepth} levels deep`, peek().pos);
    }
    let left = term(depth);
    for (let t = peek(); isOp(t, '+') || isOp(t, '-'); t = peek()) {
      next();
      left = { type: 'binary', op: (t as { value: '+' | '-' }).value, left, right: term(depth) };
    }
    return left;
  }

  function term(depth: number): FormulaNode {
    let left = unary(depth);
    for (let t = peek(); isOp(t, '*') || isOp(t, '/'); t = peek()) {
      next();
      left = { type: 'binary', op: (t as { value: '*' | '/' }).value, left, right: unary(depth) };
    }
    return left;
  }

  function unary(depth: number): FormulaNode {
    const t = peek();
    if (isOp(t, '-') || isOp(t, '+')) {
      if (depth > formulaLimits.maxDepth) {
        throw new FormulaSyntaxError(`the formula is nested more than ${formulaLimits.maxDepth} levels deep`, t.pos);
      }
      next();
      const operand = unary(depth + 1);
      return isOp(t, '-') ? { type: 'negate', operand } : operand;
    }
    return primary(depth);
  }

  function primary(depth: number): FormulaNode {
    const t = next();
    switch (t.kind) {
      case 'number':
        return { type: 'number', value: t.value };
      case 'variable':
        return { type: 'variable', path: t.path, name: t.name };
      case 'name': {
        const fn = t.value as FormulaFunction;
        expectOp('(');
        const args = [expr(depth + 1)];
        while (isOp(peek(), ',')) {
          next();
          args.push(expr(depth + 1));
        }
        expectOp(')');
        if (unaryFunctions.includes(fn) && args.length !== 1) {
          throw new FormulaSyntaxError(`${fn}() takes exactly one argument (position ${t.pos})`, t.pos);
        }
        return { type: 'call', fn, args };
      }
      case 'op':
        if (t.value === '(') {
          const inner = expr(depth + 1);
          expectOp(')');
          return inner;
        }
        break;
    }
    throw new FormulaSyntaxError(`unexpected ${describe(t)}`, t.pos);
  }

  const tree = expr(0);
  const rest = peek();
  if (rest.kind !== 'end') throw new FormulaSyntaxError(`unexpected ${describe(rest)}`, rest.pos);
  return tree;
}

class EvaluationFailure {
  constructor(
    readonly reason: FormulaFailure,
    readonly message: string,
  ) {}
}

function lookup(context: Readonly<Record<string, unknown>>, path: readonly string[]): unknown {
  let value: unknown = context;
  for (const segment of path) {
    if (value === null || typeof value !== 'object') return undefined;
    if (Array.isArray(value)) {
      if (!/^\d+$/.test(segment)) return undefined;
      value = value[Number(segment)];
    } else {
      if (!Object.hasOwn(value, segment)) return undefined;
      value = (value as Record<string, unknown>)[segment];
    }
  }
  return value;
}

function evaluateNode(node: FormulaNode, context: Readonly<Record<string, unknown>>): number {
  switch (node.type) {
    case 'number':
      return node.value;
    case 'variable': {
      const value = lookup(context, node.path);
      if (value === undefined || value === null) {
        throw new EvaluationFailure('missing_input', `context.${node.name} is missing`);
      }
      if (typeof value !== 'number' || !Number.isFinite(value)) {
        throw new EvaluationFailure('non_numeric_input', `context.${node.name} is not a number`);
      }
      return value;
    }
    case 'negate':
      return -evaluateNode(node.operand, context);
    case 'binary':
      return binary(node.op, evaluateNode(node.left, context), evaluateNode(node.right, context));
    case 'call':
      return call(node.fn, node.args.map((a) => evaluateNode(a, context)));
  }
  throw new Error('unreachable formula node');
}

function binary(op: '+' | '-' | '*' | '/', left: number, right: number): number {
  switch (op) {
    case '+':
      return left + right;
    case '-':
      return left - right;
    case '*':
      return left * right;
    case '/':
      if (right === 0) throw new EvaluationFailure('division_by_zero', 'division by zero');
      return left / right;
  }
}

function call(fn: FormulaFunction, args: number[]): number {
  const first = args[0] as number;
  switch (fn) {
    case 'min':
      return Math.min(...args);
    case 'max':
      return Math.max(...args);
    case 'floor':
      return Math.floor(first);
    case 'ceil':
      return Math.ceil(first);
    case 'round':
      return roundHalfAwayFromZero(first, 0);
    case 'abs':
      return Math.abs(first);
  }
}

/** Rounds half away from zero to `decimals` places, without the 1.005 → 1.00 float surprise. */
export function roundHalfAwayFromZero(value: number, decimals: number): number {
  const sign = value < 0 ? -1 : 1;
  const scaled = Number(`${Math.abs(value)}e${decimals}`);
  const rounded = Number(`${Math.round(scaled)}e-${decimals}`);
  return Number.isFinite(rounded) ? sign * rounded : sign * Math.round(Math.abs(value) * 10 ** decimals) / 10 ** decimals;
}

function collectVariables(node: FormulaNode, out: Set<string>): void {
  switch (node.type) {
    case 'variable':
      out.add(node.name);
      return;
    case 'negate':
      collectVariables(node.operand, out);
      return;
    case 'binary':
      collectVariables(node.left, out);
      collectVariables(node.right, out);
      return;
    case 'call':
      for (const arg of node.args) collectVariables(arg, out);
      return;
    case 'number':
      return;
  }
}

/** Parses `source` once and returns an evaluator; throws a FormulaSyntaxError on a bad formula. */
export function compileFormula(source: string): CompiledFormula {
  const tree = parseFormula(source);
  const variables = new Set<string>();
  collectVariables(tree, variables);
  return {
    source,
    variables: [...variables],
    evaluate(context) {
      try {
        const value = evaluateNode(tree, context);
        if (!Number.isFinite(value)) return { ok: false, reason: 'not_finite', message: 'the result is not a finite number' };
        return { ok: true, value: value === 0 ? 0 : value };
      } catch (error) {
        if (error instanceof EvaluationFailure) return { ok: false, reason: error.reason, message: error.message };
        throw error;
      }
    },
  };
}
