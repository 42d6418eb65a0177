// Save-time limits of field-mapping expressions, as compileFieldMapping (and so task validation) applies them.
import { compileFieldMapping, FieldMappingError, type FieldMappingEntry } from '../field-mapping';
import { maxBracketDepth, maxExpressionLength, maxFieldMappingEntries, maxMappingExpressionChars } from './limits';

function refusal(expression: string): FieldMappingError {
  return mappingRefusal([{ target: 'name', source: 'name' }, { target: 'title', expression }]);
}

function mappingRefusal(entries: FieldMappingEntry[]): FieldMappingError {
  try {
    compileFieldMapping(entries);
  } catch (error) {
    if (error instanceof FieldMappingError) return error;
    throw error;
  }
  throw new Error(`expected ${JSON.stringify(entries).slice(0, 200)} to be refused`);
}

describe('field-mapping expression limits on save', () => {
  it.each([
    ['the advisory payload', `(__lookupSetter__('__proto__')(constructor); valueOf())`, 'uses "__lookupSetter__"'],
    ['a constructor path', '$.constructor.constructor("return process")()', 'uses "constructor"'],
    ['__proto__ in a string', `$lookup($, "__proto__")`, 'uses "__proto__"'],
    ['prototype', 'attributes.prototype', 'uses "prototype"'],
    ['a getter definer', `__defineGetter__('l', $string)`, 'uses "__defineGetter__"'],
    ['a quoted name', '`constructor`', 'uses "constructor"'],
    ['$eval', '$eval("1 + 1")', 'uses $eval'],
    ['$eval passed as a value', '$map(["1"], $eval)', 'uses $eval'],
    ['rebinding $clone', '($clone := function($o) { $o }; name)', 'rebinds the built-in function $clone'],
    ['taking $merge apart', '($merge.*)[1]', 'takes the built-in function $merge apart'],
    ['a compile error', '$lowercase(', 'does not compile'],
    ['an over-long expression', `name & "${'x'.repeat(maxExpressionLength)}"`, `the limit is ${maxExpressionLength}`],
    ['brackets nested too deep', `${'('.repeat(maxBracketDepth + 1)}1${')'.repeat(maxBracketDepth + 1)}`, `nests brackets ${maxBracketDepth + 1} deep; the limit is ${maxBracketDepth}`],
    ['mixed brackets nested too deep', `${'[{"a":('.repeat(22)}1${')}]'.repeat(22)}`, `nests brackets 66 deep; the limit is ${maxBracketDepth}`],
  ])('refuses %s, naming the field', (_what, expression, message) => {
    const error = refusal(expression);
    expect(error.field).toBe('fieldMapping.1.expression');
    expect(error.message).toContain(message);
  });

  it('accepts what task authors write', () => {
    for (const expression of [
      '$lowercase(email)',
      'name & " (" & title & ")"',
      '$match(mobile, /^\\+86/) ? mobile : "+86" & mobile',
      '($first := $split(name, " ")[0]; $uppercase($first))',
      'attributes.level > 3 ? "senior" : "junior"',
      '$clone(attributes)',
    ]) {
      expect(() => compileFieldMapping([{ target: 'title', expression }])).not.toThrow();
    }
  });

  it('does not count brackets inside strings, names and comments', () => {
    const many = '('.repeat(maxBracketDepth + 10);
    expect(() => compileFieldMapping([{ target: 'title', expression: `"${many}" & '${many}' & \`${many}\` /* ${many} */` }])).not.toThrow();
  });
});

// Saving runs on the API's thread: what it costs must be bounded whatever the body holds.
describe('field-mapping size limits on save', () => {
  const deep = `${'('.repeat(999)}1${')'.repeat(999)}`;

  it(`refuses more than ${maxFieldMappingEntries} entries naming fieldMapping, before compiling any`, () => {
    const entries = Array.from({ length: 450 }, (_, i): FieldMappingEntry => ({ target: `attributes.a${i}`, expression: deep }));
    const started = Date.now();
    const error = mappingRefusal(entries);
    expect(Date.now() - started).toBeLessThan(200);
    expect(error.field).toBe('fieldMapping');
    expect(error.message).toBe(`fieldMapping: has 450 entries; the limit is ${maxFieldMappingEntries}`);
  });

  it(`refuses expressions totalling more than ${maxMappingExpressionChars} characters naming fieldMapping`, () => {
    const long = `name & "${'x'.repeat(maxExpressionLength - 20)}"`;
    const entries = Array.from({ length: Math.ceil(maxMappingExpressionChars / long.length) + 1 }, (_, i): FieldMappingEntry => ({ target: `attributes.a${i}`, expression: long }));
    const error = mappingRefusal(entries);
    expect(error.field).toBe('fieldMapping');
    expect(error.message).toMatch(new RegExp(`^fieldMapping: its expressions total \\d+ characters; the limit is ${maxMappingExpressionChars}$`));
  });

  it('checks the costliest mapping it accepts quickly', () => {
    // Deep trees without brackets: left-leaning chains of operators, conditions, negations and steps.
    const shapes = [
      Array(1000).fill('1').join('+'),
      `${'a?'.repeat(666)}1`,
      `${'-'.repeat(1998)}1`,
      Array(1000).fill('a').join('.'),
      `${'('.repeat(maxBracketDepth)}${Array(900).fill('1').join('+')}${')'.repeat(maxBracketDepth)}`,
    ];
    const entries: FieldMappingEntry[] = [];
    for (let i = 0, chars = 0; chars + shapes[i % shapes.length].length <= maxMappingExpressionChars; i++) {
      const expression = shapes[i % shapes.length];
      entries.push({ target: `attributes.a${i}`, expression });
      chars += expression.length;
    }
    expect(entries.length).toBeGreaterThanOrEqual(9);
    const started = Date.now();
    expect(() => compileFieldMapping(entries)).not.toThrow();
    // About 0.2 s on a loaded core; it was 0.7 s with the recursive walk, and 20 s and more uncapped.
    expect(Date.now() - started).toBeLessThan(500);
  });
});
