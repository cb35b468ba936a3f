import { describe, expect, it } from 'vitest';
import { currencyDigits, formatMoney, minorToDecimalString, MoneyParseError, parseAmount, parseMinorUnits } from './money';

// Intl inserts a narrow no-break space in some locales; compare with plain spaces.
const plain = (s: string) => s.replace(/[\u00a0\u202f]/g, ' ');

describe('minorToDecimalString', () => {
  it('places the decimal point by the currency digits', () => {
    expect(minorToDecimalString(1999, 2)).toBe('19.99');
    expect(minorToDecimalString(5, 2)).toBe('0.05');
    expect(minorToDecimalString(0, 2)).toBe('0.00');
    expect(minorToDecimalString(100, 2)).toBe('1.00');
    expect(minorToDecimalString(-5, 2)).toBe('-0.05');
    expect(minorToDecimalString(1234, 0)).toBe('1234');
    expect(minorToDecimalString(1234, 3)).toBe('1.234');
  });

  it('is exact for large amounts', () => {
    expect(minorToDecimalString(9007199254740991, 2)).toBe('90071992547409.91');
  });

  it('rejects non-integers', () => {
    expect(() => minorToDecimalString(19.99, 2)).toThrow(TypeError);
  });
});

describe('currencyDigits', () => {
  it('knows the minor units of common currencies', () => {
    expect(currencyDigits('EUR')).toBe(2);
    expect(currencyDigits('usd')).toBe(2);
    expect(currencyDigits('JPY')).toBe(0);
    expect(currencyDigits('KWD')).toBe(3);
    expect(currencyDigits('MGA')).toBe(0); // Stripe's whole units, as the server formats it
  });
});

describe('formatMoney', () => {
  it('formats integer minor units with Intl', () => {
    expect(plain(formatMoney(1999, 'EUR', 'en-US'))).toBe('€19.99');
    expect(plain(formatMoney(1999, 'EUR', 'de-DE'))).toBe('19,99 €');
    expect(plain(formatMoney(123456, 'USD', 'en-US'))).toBe('$1,234.56');
    expect(plain(formatMoney(500, 'JPY', 'en-US'))).toBe('¥500');
    expect(plain(formatMoney(0, 'EUR', 'en-US'))).toBe('€0.00');
  });

  it('does not suffer from float rounding', () => {
    // 0.1 + 0.2 style values stay exact because no float division happens
    expect(plain(formatMoney(30, 'EUR', 'en-US'))).toBe('€0.30');
    expect(plain(formatMoney(100000000000001, 'EUR', 'en-US'))).toBe('€1,000,000,000,000.01');
  });
});

describe('parseMinorUnits', () => {
  it('parses decimal strings into integer cents', () => {
    expect(parseMinorUnits('12.34')).toBe(1234);
    expect(parseMinorUnits('12')).toBe(1200);
    expect(parseMinorUnits('12.3')).toBe(1230);
    expect(parseMinorUnits('0.5')).toBe(50);
    expect(parseMinorUnits('.5')).toBe(50);
    expect(parseMinorUnits('12.')).toBe(1200);
    expect(parseMinorUnits(' 0.01 ')).toBe(1);
    expect(parseMinorUnits('0')).toBe(0);
    expect(parseMinorUnits('007.10')).toBe(710);
    expect(parseMinorUnits('+3.50')).toBe(350);
  });

  it('is exact where float maths is not', () => {
    // Math.round(parseFloat('1.005') * 100) === 100, and 0.29 * 100 === 28.999999999999996
    expect(parseMinorUnits('0.29')).toBe(29);
    expect(parseMinorUnits('1.15')).toBe(115);
    expect(parseMinorUnits('4.35')).toBe(435);
    expect(parseMinorUnits('1.005', 3)).toBe(1005);
  });

  it('accepts a decimal comma and thousands separators', () => {
    expect(parseMinorUnits('12,34')).toBe(1234);
    expect(parseMinorUnits('1,234.50')).toBe(123450);
    expect(parseMinorUnits('1 000.00')).toBe(100000);
    expect(parseMinorUnits('1,234')).toBe(123400);
  });

  it('respects the currency digits', () => {
    expect(parseMinorUnits('500', 0)).toBe(500);
    expect(parseMinorUnits('1.234', 3)).toBe(1234);
    expect(parseAmount('12.34', 'EUR')).toBe(1234);
    expect(parseAmount('1200', 'JPY')).toBe(1200);
    expect(() => parseAmount('12.5', 'JPY')).toThrow(MoneyParseError);
  });

  it('rejects bad input', () => {
    for (const bad of ['', '   ', 'abc', '12.345', '1.2.3', '-1', '-0.50', '12a', '.', '1e3', '0x10', '12,34,56', 'NaN', 'Infinity']) {
      expect(() => parseMinorUnits(bad), bad).toThrow(MoneyParseError);
    }
  });

  it('rejects amounts that cannot be represented exactly', () => {
    expect(() => parseMinorUnits('90071992547409.92')).toThrow(/too large/);
    expect(parseMinorUnits('90071992547409.91')).toBe(Number.MAX_SAFE_INTEGER);
  });
});
