// Save-time limits of a field-mapping expression: length, compiles, and no feature known to reach
// JavaScript internals. A static check cannot be complete ("con" & "structor" passes it); the
// sandbox (realm.ts, pool.ts) is what holds at run time, this refuses the obvious early with 400.
import jsonata from 'jsonata';
import { maxExpressionLength } from './limits';

/** Names of JavaScript internals that JSONata payloads (GHSA-66mm-25pp-rfff and kin) walk through. */
const forbiddenWords = ['constructor', '__proto__', 'prototype', '__defineGetter__', '__defineSetter__', '__lookupGetter__', '__lookupSetter__'];
const forbiddenPattern = new RegExp(`(?<![A-Za-z0-9_])(${forbiddenWords.join('|')})(?![A-Za-z0-9_])`);

/** JSONata 2.2's built-in functions; rebinding or taking one apart was the way into its internals. */
const builtinFunctions = new Set(
  (
    'sum count max min average string substring substringBefore substringAfter lowercase uppercase length trim pad match contains ' +
    'replace split join formatNumber formatBase formatInteger parseInteger number floor ceil round abs sqrt power random boolean not ' +
    'map zip filter single reduce sift keys lookup append exists spread merge reverse each error assert type sort shuffle distinct ' +
    'base64encode base64decode encodeUrlComponent encodeUrl decodeUrlComponent decodeUrl eval toMillis fromMillis clone now millis'
  ).split(' '),
);

interface AstNode {
  type?: string;
  value?: unknown;
  lhs?: AstNode;
  steps?: AstNode[];
  [key: string]: unknown;
}

function* nodes(node: unknown): Generator<AstNode> {
  if (Array.isArray(node)) {
    for (const child of node) yield* nodes(child);
  } else if (node !== null && typeof node === 'object') {
    yield node as AstNode;
    for (const value of Object.values(node)) yield* nodes(value);
  }
}

function forbiddenFeature(ast: unknown): string | null {
  for (const node of nodes(ast)) {
    if (node.type === 'variable' && node.value === 'eval') return 'uses $eval, which is not allowed (it evaluates text these checks never saw)';
    if (node.type === 'bind' && node.lhs?.type === 'variable' && builtinFunctions.has(String(node.lhs.value))) {
      return `rebinds the built-in function $${String(node.lhs.value)}, which is not allowed`;
    }
    const [first, ...rest] = node.type === 'path' ? (node.steps ?? []) : [];
    if (first?.type === 'variable' && builtinFunctions.has(String(first.value)) && rest.length > 0) {
      return `takes the built-in function $${String(first.value)} apart, which is not allowed`;
    }
  }
  return null;
}

/** Why an expression is refused on save, or null when it is accepted. */
export function expressionProblem(text: string): string | null {
  if (text.length > maxExpressionLength) return `is ${text.length} characters long; the limit is ${maxExpressionLength}`;
  const word = forbiddenPattern.exec(text)?.[1];
  if (word) return `uses "${word}", which is not allowed (it reaches JavaScript internals)`;
  let expression: jsonata.Expression;
  try {
    expression = jsonata(text);
  } catch (error) {
    return `does not compile: ${(error as Error).message}`;
  }
  return forbiddenFeature(expression.ast());
}
