// The shape of a JSON text (as JSON.stringify writes it, no whitespace): how many values it holds
// and how deep it nests. One linear scan, so the worker can bound what the main thread will parse.

export interface JsonShape {
  /** values: every object, array, string, number, boolean and null (object keys are not counted) */
  values: number;
  depth: number;
}

export function jsonShape(json: string): JsonShape {
  let values = 0;
  let depth = 0;
  let deepest = 0;
  /** per open container: true for an object (its next string is a key) */
  const objects: boolean[] = [];
  let expectValue = true;
  for (let i = 0; i < json.length; i++) {
    const c = json[i];
    if (c === '"') {
      if (expectValue) values++;
      for (i++; i < json.length && json[i] !== '"'; i++) if (json[i] === '\\') i++;
      expectValue = false;
    } else if (c === '{' || c === '[') {
      values++;
      deepest = Math.max(deepest, ++depth);
      objects.push(c === '{');
      expectValue = c === '[';
    } else if (c === '}' || c === ']') {
      objects.pop();
      depth--;
      expectValue = false;
    } else if (c === ',') {
      expectValue = !objects[objects.length - 1];
    } else if (c === ':') {
      expectValue = true;
    } else if (expectValue) {
      values++;
      expectValue = false;
    }
  }
  return { values, depth: deepest };
}
