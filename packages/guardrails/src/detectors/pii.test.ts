import { describe, expect, it } from 'vitest';
import { cardIssuerKnown, ibanValid, luhnValid, ssnValid } from './checksums.js';
import { TextView, type Hit } from './common.js';
import { unsafePatternReason } from './custom.js';
import { compilePii, ipv6Valid } from './pii.js';

function found(text: string, options: Partial<Parameters<typeof compilePii>[0]> = {}): { entity: string | undefined; text: string }[] {
  const hits: Hit[] = [];
  compilePii({ action: 'redact', redaction: 'placeholder', ...options }).scan(new TextView(text), (hit) => hits.push(hit));
  return hits.map((hit) => ({ entity: hit.entity, text: text.slice(hit.start, hit.end) }));
}

const only = (entity: string, texts: readonly string[]) => texts.map((value) => [entity, value] as const);

describe('pii detector: true positives', () => {
  it.each([
    ...only('EMAIL', ['ana.lopez@example.org', 'j+tag@sub.mail.example.co.uk', "o'brien@example.ie".slice(2)]),
    ...only('PHONE', [
      '+44 20 7946 0958',
      '+14155550132',
      '(415) 555-0132',
      '415-555-0132',
      '415.555.0132',
      '+49 30 901820',
      '020 7946 0958',
      '01 23 45 67 89',
      '+33 1 23 45 67 89',
    ]),
    ...only('CREDIT_CARD', [
      '4111 1111 1111 1111',
      '4111-1111-1111-1111',
      '5555555555554444',
      '378282246310005',
      '6011 1111 1111 1117',
      '3530111333300000',
    ]),
    ...only('IBAN', [
      'DE89 3704 0044 0532 0130 00',
      'GB82WEST12345698765432',
      'FR14 2004 1010 0505 0001 3M02 606',
      'NL91 ABNA 0417 1643 00',
    ]),
    ...only('US_SSN', ['123-45-6789', '234 56 7890']),
    ...only('IP_ADDRESS', [
      '192.168.10.4',
      '8.8.8.8',
      '2001:db8::8a2e:370:7334',
      'fe80::1ff:fe23:4567:890a',
      '2001:0db8:85a3:0000:0000:8a2e:0370:7334',
    ]),
  ])('%s: %s', (entity, value) => {
    expect(found(`before ${value} after`)).toEqual([{ entity, text: value }]);
  });

  it('needs context for bare digit runs: SSN and phone', () => {
    expect(found('my ssn is 123456789')).toEqual([{ entity: 'US_SSN', text: '123456789' }]);
    expect(found('order 123456789 shipped')).toEqual([]);
    expect(found('call me on 4155550132')).toEqual([{ entity: 'PHONE', text: '4155550132' }]);
    expect(found('tracking 4155550132')).toEqual([]);
  });

  it('splits a run of several numbers into its parts', () => {
    expect(found('call 415-555-0132 415-555-0199 today')).toEqual([
      { entity: 'PHONE', text: '415-555-0132' },
      { entity: 'PHONE', text: '415-555-0199' },
    ]);
  });

  it('finds every entity in one text, in order of kind', () => {
    const text = 'Mail ana@example.org, card 4111 1111 1111 1111, IBAN GB82 WEST 1234 5698 7654 32, from 10.0.0.1';
    expect(
      found(text)
        .map((hit) => hit.entity)
        .sort(),
    ).toEqual(['CREDIT_CARD', 'EMAIL', 'IBAN', 'IP_ADDRESS']);
  });
});

/** Appends the Luhn check digit. */
const withLuhn = (body: string): string => {
  let sum = 0;
  for (let i = 0; i < body.length; i++) {
    let digit = Number(body.charAt(body.length - 1 - i));
    if (i % 2 === 0) digit = digit * 2 > 9 ? digit * 2 - 9 : digit * 2;
    sum += digit;
  }
  return `${body}${(10 - (sum % 10)) % 10}`;
};

describe('pii detector: card networks and lengths (Luhn-checked)', () => {
  it.each([
    ['JCB, 15 digits (2131)', withLuhn('21314827193046')],
    ['JCB, 15 digits (1800), grouped 4-6-5', withLuhn('18002231900578').replace(/^(\d{4})(\d{6})/, '$1 $2 ')],
    ['JCB, 16 digits', withLuhn('356600481732659')],
    ['Maestro, 12 digits', withLuhn('67593048127')],
    ['Maestro, 13 digits', withLuhn('501841920736')],
    ['Maestro, 19 digits, grouped 4-4-4-4-3', withLuhn('675941108823570264').replace(/^(\d{4})(\d{4})(\d{4})(\d{4})/, '$1 $2 $3 $4 ')],
    ['UnionPay, 16 digits', withLuhn('622202491738560')],
    ['UnionPay, 19 digits', withLuhn('621700048823619057')],
    ['Diners, 14 digits (36)', withLuhn('3612849370185')],
    ['Diners, 14 digits (300-305), grouped 4-6-4', withLuhn('3014927051883').replace(/^(\d{4})(\d{6})/, '$1 $2 ')],
  ])('%s', (_label, value) => {
    expect(found(`card ${value} on file`)).toEqual([{ entity: 'CREDIT_CARD', text: value }]);
  });

  it('rejects a wrong check digit and a JCB prefix at the wrong length', () => {
    const jcb = withLuhn('21314827193046');
    expect(found(`card ${jcb.slice(0, -1)}${(Number(jcb.slice(-1)) + 1) % 10} on file`)).toEqual([]);
    expect(cardIssuerKnown(withLuhn('213148271930461'))).toBe(false);
    expect(cardIssuerKnown(withLuhn('21314827193046'))).toBe(true);
  });
});

describe('pii detector: phone numbers', () => {
  it.each([
    ['extension "x"', '(415) 555-0132 x4587'],
    ['extension "ext."', '+1 212-555-0199 ext. 12'],
    ['extension "ext"', '646.555.0147 ext 304'],
    ['extension word', '+44 20 7946 0321 extension 245'],
    ['001 prefix', '001-312-555-0176'],
    ['00 prefix, DE', '0049 30 12345678'],
    ['00 prefix, spaced', '00 44 161 496 0734'],
    ['E.164, US', '+14155550132'],
    ['E.164, DE', '+4915123456789'],
    ['DE landline', '030 12345678'],
    ['DE mobile', '0171 2345678'],
    ['DE slash', '089/12345679'],
    ['DE (0)', '+49 (0)89 1234 5678'],
    ['FR dots', '06.12.34.56.78'],
    ['FR (0)', '+33 (0)1 44 55 66 77'],
    ['GB mobile', '07700 900123'],
    ['IT landline', '02 1234 5678'],
    ['IT mobile', '+39 333 123 4567'],
    ['ES landline 2-3-2-2', '91 123 45 67'],
    ['ES mobile 3-2-2-2', '612 34 56 78'],
    ['NL mobile', '06-12345678'],
    ['NL (0)', '+31 (0)20 123 4567'],
    ['PL', '+48 22 123 45 67'],
    ['SE', '08-123 456 78'],
    ['SE mobile', '070-123 45 67'],
    ['CH', '044 668 18 00'],
    ['BE mobile', '0470 12 34 56'],
    ['AT mobile', '0664 1234567'],
  ])('%s: %s', (_label, value) => {
    expect(found(`phone: ${value}; thanks`)).toEqual([{ entity: 'PHONE', text: value }]);
  });

  it('takes a 3-3-3 grouping for a phone number only next to a phone word', () => {
    expect(found('Zadzwoń pod 601-234-567 jutro')).toEqual([{ entity: 'PHONE', text: '601-234-567' }]);
    expect(found('Total 123 456 789 units shipped')).toEqual([]);
  });

  it.each([
    ['SSCC with 00 prefix', 'SSCC 00340434161234567890 on the pallet'],
    ['short 00 reference', 'Ref. 0033 1234 and lot 0049 30'],
    ['slashed dates', 'delivered 2024/05/17, returned 17/05/2024'],
    ['bad IBAN digits are not a phone', 'iban nl91 abna 0417 1643 01 is mistyped'],
    ['extension cord', 'extension cord 2 m, model EXT-2041, x4 pack'],
  ])('not a phone: %s', (_label, text) => {
    expect(found(text)).toEqual([]);
  });
});

describe('pii detector: IBANs in any case', () => {
  it.each(['de89 3704 0044 0532 0130 00', 'gb82west12345698765432', 'Nl91 Abna 0417 1643 00', 'fr14 2004 1010 0505 0001 3m02 606'])(
    '%s',
    (value) => {
      expect(found(`iban ${value} please`)).toEqual([{ entity: 'IBAN', text: value }]);
    },
  );
});

describe('pii detector: negatives', () => {
  it.each([
    ['card failing Luhn', '4111 1111 1111 1112'],
    ['card with unknown issuer', '9111 1111 1111 1115'],
    ['IBAN failing mod-97', 'DE89 3704 0044 0532 0130 01'],
    ['IBAN with wrong country length', 'DE89 3704 0044 0532 0130'],
    ['IBAN of unknown country', 'QQ89 3704 0044 0532 0130 00'],
    ['SSN area 000', '000-12-3456'],
    ['SSN area 666', '666-12-3456'],
    ['SSN area 9xx', '912-34-5678'],
    ['SSN group 00', '123-00-4567'],
    ['SSN serial 0000', '123-45-0000'],
    ['IPv4 octet above 255', '256.1.1.1'],
    ['time of day', 'at 10:30:45 today'],
    ['MAC address', '00:1A:2B:3C:4D:5E'],
    ['date', '2024-01-15'],
    ['version number', 'v1.2.3'],
    ['price', 'costs 1,299.00 USD'],
    ['order number', 'order #1234567'],
    ['email without TLD', 'user@localhost'],
    ['at sign in prose', 'meet @ noon'],
    ['loopback v6', 'bind to ::1'],
  ])('%s', (_label, text) => {
    expect(found(text)).toEqual([]);
  });

  it('checksum helpers', () => {
    expect(luhnValid('4111111111111111')).toBe(true);
    expect(luhnValid('4111111111111112')).toBe(false);
    expect(cardIssuerKnown('4111111111111111')).toBe(true);
    expect(cardIssuerKnown('9111111111111111')).toBe(false);
    expect(ibanValid('GB82WEST12345698765432')).toBe(true);
    expect(ibanValid('GB82WEST12345698765433')).toBe(false);
    expect(ssnValid('123456789')).toBe(true);
    expect(ssnValid('078051120')).toBe(false);
    expect(ipv6Valid('2001:db8::1')).toBe(true);
    expect(ipv6Valid('2001:db8::1::2')).toBe(false);
    expect(ipv6Valid('1:2:3:4:5:6:7')).toBe(false);
  });
});

describe('pii options', () => {
  it('restricts entities', () => {
    expect(found('ana@example.org 415-555-0132', { entities: ['PHONE'] })).toEqual([{ entity: 'PHONE', text: '415-555-0132' }]);
  });

  it('adds custom patterns (with keyword prefilter) and dictionaries', () => {
    const options = {
      patterns: [{ entity: 'EMPLOYEE_ID', pattern: 'EMP-\\d{6}', keywords: ['emp-'] }],
      dictionaries: [{ entity: 'PROJECT', terms: ['Project Falcon', 'Bluebird'] }],
    };
    expect(found('ticket EMP-123456 for project falcon and BLUEBIRD, not bluebirds', options)).toEqual([
      { entity: 'EMPLOYEE_ID', text: 'EMP-123456' },
      { entity: 'PROJECT', text: 'project falcon' },
      { entity: 'PROJECT', text: 'BLUEBIRD' },
    ]);
  });

  it('rejects custom patterns that could backtrack super-linearly', () => {
    expect(unsafePatternReason('(a+)+$')).toMatch(/unbounded/);
    expect(unsafePatternReason('(a{1,5}){1,5}')).toMatch(/nested/);
    expect(unsafePatternReason('x{2,}')).toMatch(/upper bound/);
    expect(unsafePatternReason('(a)\\1')).toMatch(/back-references/);
    expect(unsafePatternReason('a{1,999}')).toMatch(/above 256/);
    expect(unsafePatternReason('EMP-\\d{6}')).toBeUndefined();
    expect(unsafePatternReason('[*+]{1,4}ID')).toBeUndefined();
    expect(() => compilePii({ action: 'redact', redaction: 'mask', patterns: [{ entity: 'X', pattern: '.*secret' }] })).toThrow(
      expect.objectContaining({ code: 'GUARDRAILS_UNSAFE_PATTERN' }) as Error,
    );
  });
});
