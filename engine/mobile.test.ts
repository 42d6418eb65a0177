import { defaultCountryCode, homeOrInternational, parseCountryCode, splitE164, toE164 } from './mobile';

describe('toE164', () => {
  it.each([
    ['+86 13800000001', '+8613800000001'],
    ['+86 138 0000 0001', '+8613800000001'],
    ['+86-138-0000-0001', '+8613800000001'],
    ['(+86) 138 0000 0001', '+8613800000001'],
    ['＋86 13800000001', '+8613800000001'],
    ['0086 13800000001', '+8613800000001'],
    ['86-13800000001', '+8613800000001'],
    ['86 13800000001', '+8613800000001'],
    ['8613800000001', '+8613800000001'],
    ['13800000001', '+8613800000001'],
    ['138-0000-0001', '+8613800000001'],
    ['  13800000001  ', '+8613800000001'],
    ['+852 1234 5678', '+85212345678'],
    ['+1 (415) 555-0100', '+14155550100'],
    ['010-12345678', '+861012345678'],
  ])('%s → %s (default country 86)', (raw, e164) => {
    expect(toE164(raw, '86')).toBe(e164);
  });

  it('reads national numbers in the given default country', () => {
    expect(toE164('(415) 555-0100', '1')).toBe('+14155550100');
    expect(toE164('1-415-555-0100', '1')).toBe('+14155550100');
    expect(toE164('07911 123456', '44')).toBe('+447911123456');
    expect(toE164('9123 4567', '852')).toBe('+85291234567');
    // Another country's code without "+" is a national number of the default one.
    expect(toE164('852-91234567', '86')).toBe('+8685291234567');
  });

  it.each(['', 'n/a', '138 0000 000x', '+', '++8613800000001', '12', '12345', '555-1234', '+86 1380000001', '+852 1234', '+0 13800000001', '+86 13800000001 ext 2', '1'.repeat(16)])('refuses %j', (raw) => {
    expect(toE164(raw, '86')).toBeNull();
  });
});

describe('splitE164 and parseCountryCode', () => {
  it('splits by the prefix-free country codes', () => {
    expect(splitE164('+8613800000001')).toEqual({ countryCode: '86', national: '13800000001' });
    expect(splitE164('+14155550100')).toEqual({ countryCode: '1', national: '4155550100' });
    expect(splitE164('+85212345678')).toEqual({ countryCode: '852', national: '12345678' });
    expect(splitE164('+79161234567')).toEqual({ countryCode: '7', national: '9161234567' });
  });

  it('accepts calling codes with or without "+", and nothing else', () => {
    expect(['86', '+86', ' 852 ', '1', '+44'].map(parseCountryCode)).toEqual(['86', '86', '852', '1', '44']);
    expect(['', '0', '8', '85', '8612', 'cn', '+'].map(parseCountryCode)).toEqual([null, null, null, null, null, null, null]);
  });

  it('reads the default country from SYNC_CENTER_DEFAULT_COUNTRY_CODE (86 when unset) and names the variable when it is wrong', () => {
    expect(defaultCountryCode({})).toBe('86');
    expect(defaultCountryCode({ SYNC_CENTER_DEFAULT_COUNTRY_CODE: '+852' })).toBe('852');
    expect(() => defaultCountryCode({ SYNC_CENTER_DEFAULT_COUNTRY_CODE: 'CN' })).toThrow(/^SYNC_CENTER_DEFAULT_COUNTRY_CODE: must be a country calling code/);
  });
});

describe('homeOrInternational', () => {
  it('writes home numbers national and others with their code, the way WeCom and DingTalk show them', () => {
    expect(homeOrInternational('+8613800000001', '86', ' ')).toBe('13800000001');
    expect(homeOrInternational('+85212345678', '86', ' ')).toBe('+852 12345678');
    expect(homeOrInternational('+85212345678', '86', '-')).toBe('+852-12345678');
    expect(homeOrInternational('13800000001', '86', ' ')).toBe('13800000001');
    expect(homeOrInternational('not a number', '86', ' ')).toBeNull();
  });
});
