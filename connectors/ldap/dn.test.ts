// RFC 4514 escaping and parsing, without a server (connector.test.ts writes the same names into slapd).
import { DN } from 'ldapts';
import { escapeDnValue, formatDn, isUnder, leafValue, normalizeDn, parentDn, parseDn } from './dn';

describe('escapeDnValue', () => {
  it.each([
    ['Smith, John', 'Smith\\, John'],
    ['R+D', 'R\\+D'],
    ['say "hi"', 'say \\"hi\\"'],
    ['back\\slash', 'back\\5Cslash'],
    ['<team>', '\\<team\\>'],
    ['a;b', 'a\\;b'],
    ['a=b', 'a\\=b'],
    ['#1 team', '\\#1 team'],
    ['mid#dle', 'mid#dle'],
    [' leading', '\\ leading'],
    ['trailing ', 'trailing\\ '],
    [' ', '\\ '],
    ['  two  ', '\\  two \\ '],
    ['张伟', '张伟'],
    ['研发部（北京）', '研发部（北京）'],
    ['ends with \\', 'ends with \\5C'],
  ])('%j → %j, and parses back', (value, escaped) => {
    expect(escapeDnValue(value)).toBe(escaped);
    expect(leafValue(`cn=${escaped},ou=x`)).toBe(value);
  });
});

describe('parseDn', () => {
  it('reads hex escapes (UTF-8 bytes), backslash escapes, legacy quotes and spaces around separators', () => {
    expect(parseDn('cn=\\E5\\BC\\A0\\E4\\BC\\9F, ou=R\\2CD ,dc=x')).toEqual([[{ type: 'cn', value: '张伟' }], [{ type: 'ou', value: 'R,D' }], [{ type: 'dc', value: 'x' }]]);
    expect(parseDn('ou=" lead",dc=x')[0]).toEqual([{ type: 'ou', value: ' lead' }]);
    expect(parseDn('cn=a+uid=b,dc=x')[0]).toEqual([
      { type: 'cn', value: 'a' },
      { type: 'uid', value: 'b' },
    ]);
    expect(parseDn('cn=trailing\\ ,dc=x')[0][0].value).toBe('trailing ');
    expect(() => parseDn('not a dn')).toThrow(/malformed/);
  });

  it('normalizes spellings of one DN to one key, and finds parents and ancestors', () => {
    expect(normalizeDn('OU=Sales\\2c EU, DC=Acme,dc=TEST')).toBe(normalizeDn('ou=sales\\, eu,dc=acme,dc=test'));
    expect(parentDn('cn=Smith\\, John,ou=Sales,dc=x')).toBe('ou=Sales,dc=x');
    expect(isUnder('cn=a,ou=Sales,dc=x', 'OU=sales,DC=x')).toBe(true);
    expect(isUnder('ou=Salesforce,dc=x', 'ou=Sales,dc=x')).toBe(false);
    expect(formatDn(parseDn('cn=a\\\\b,dc=x'))).toBe('cn=a\\5Cb,dc=x');
  });
});

describe("ldapts's DN helpers (why ./dn.ts escapes instead)", () => {
  it('quote a value with leading or trailing spaces, an RFC 1779 form RFC 4514 dropped', () => {
    expect(new DN({ ou: ' lead' }).toString()).toBe('ou=" lead"');
    expect(new DN({ cn: 'Smith, John' }).toString()).toBe('cn=Smith\\, John');
  });
});
