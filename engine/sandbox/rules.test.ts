// Save-time limits of field-mapping expressions, as compileFieldMapping (and so task validation) applies them.
import { compileFieldMapping, FieldMappingError, type FieldMappingEntry } from '../field-mapping';
import { maxExpressionLength } from './limits';

function refusal(expression: string): FieldMappingError {
  const entries: FieldMappingEntry[] = [{ target: 'name', source: 'name' }, { target: 'title', expression }];
  try {
    compileFieldMapping(entries);
  } catch (error) {
    if (error instanceof FieldMappingError) return error;
    throw error;
  }
  throw new Error(`expected ${expression} to be refused`);
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
});
