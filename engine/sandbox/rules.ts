// Save-time limits of a field-mapping expression: length, compiles, and no feature known to reach
// JavaScript internals. A static check cannot be complete ("con" & "structor" passes it); the
// sandbox (realm.ts, pool.ts) is what holds at run time, this refuses the obvious early with 400.
import jsonata from 'jsonata';
import { maxBracketDepth, maxExpressionLength } from './limits';

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

/** Every node of the tree, with an explicit stack: linear in its size whatever its depth. */
function* nodes(root: unknown): Generator<AstNode> {
  const stack: unknown[] = [root];
  const seen = new Set<object>();
  while (stack.length > 0) {
    const node = stack.pop();
    if (node === null || typeof node !== 'object' || seen.has(node)) continue;
    seen.add(node);
    if (Array.isArray(node)) {
      for (let i = node.length - 1; i >= 0; i--) stack.push(node[i]);
    } else {
      yield node as AstNode;
      const values = Object.values(node);
      for (let i = values.length - 1; i >= 0; i--) stack.push(values[i]);
    }
  }
}

/** Deepest nesting of ( [ { outside string literals, quoted names and comments. */
function bracketDepth(text: string): number {
  let depth = 0;
  let deepest = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"' || c === "'" || c === '`') {
      for (i++; i < text.length && text[i] !== c; i++) if (text[i] === '\\' && c !== '`') i++;
    } else if (c === '/' && text[i + 1] === '*') {
      const end = text.indexOf('*/', i + 2);
      i = end < 0 ? text.length : end + 1;
    } else if (c === '(' || c === '[' || c === '{') {
      deepest = Math.max(deepest, ++depth);
    } else if (c === ')' || c === ']' || c === '}') {
      depth = Math.max(0, depth - 1);
    }
  }
  return deepest;
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
  const depth = bracketDepth(text);
  if (depth > maxBracketDepth) return `nests brackets ${depth} deep; the limit is ${maxBracketDepth}`;
  let expression: jsonata.Expression;
  try {
    expression = jsonata(text);
  } catch (error) {
    return `does not compile: ${(error as Error).message}`;
  }
  return forbiddenFeature(expression.ast());
}
