// Money helpers. The API speaks integer minor units (1999 = 19.99 EUR).
// Nothing here does arithmetic on floating point numbers: amounts are turned
// into decimal *strings* for display, and typed-in decimal strings are turned
// into integers digit by digit.

const digitsCache = new Map<string, number>();

// Stripe counts these in whole units whatever ISO says (MGA has 2 decimals in ISO 4217, none
// at Stripe); the server formats with the same list (domain/money.py).
const ZERO_DECIMAL = new Set(
  'BIF CLP DJF GNF JPY KMF KRW MGA PYG RWF UGX VND VUV XAF XOF XPF'.split(' '),
);
const THREE_DECIMAL = new Set('BHD IQD JOD KWD LYD OMR TND'.split(' '));

/** Number of minor-unit digits of an ISO 4217 currency (EUR 2, JPY 0, KWD 3). */
export function currencyDigits(currency: string): number {
  const code = (currency || 'EUR').toUpperCase();
  const cached = digitsCache.get(code);
  if (cached !== undefined) return cached;
  let digits = 2;
  if (ZERO_DECIMAL.has(code)) digits = 0;
  else if (THREE_DECIMAL.has(code)) digits = 3;
  else try {
    digits = new Intl.NumberFormat('en', { style: 'currency', currency: code }).resolvedOptions()
      .maximumFractionDigits ?? 2;
  } catch {
    digits = 2; // unknown currency code: assume cents
  }
  digitsCache.set(code, digits);
  return digits;
}

function assertMinor(minor: number): void {
  if (!Number.isSafeInteger(minor)) {
    throw new TypeError(`money amount must be an integer number of minor units, got ${minor}`);
  }
}

/** 1999, 2 → "19.99"; -5, 2 → "-0.05"; 1234, 0 → "1234". Exact, string based. */
export function minorToDecimalString(minor: number, digits = 2): string {
  assertMinor(minor);
  const negative = minor < 0;
  const abs = String(Math.abs(minor));
  if (digits === 0) return (negative ? '-' : '') + abs;
  const padded = abs.padStart(digits + 1, '0');
  const whole = padded.slice(0, padded.length - digits);
  const frac = padded.slice(padded.length - digits);
  return `${negative ? '-' : ''}${whole}.${frac}`;
}

/** Format integer minor units for display, e.g. formatMoney(1999, "EUR") → "€19.99". */
export function formatMoney(minor: number, currency: string, locale?: string): string {
  const code = (currency || 'EUR').toUpperCase();
  const digits = currencyDigits(code);
  const decimal = minorToDecimalString(minor, digits) as Intl.StringNumericLiteral;
  try {
    return new Intl.NumberFormat(locale, {
      style: 'currency',
      currency: code,
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    }).format(decimal);
  } catch {
    return `${decimal} ${code}`;
  }
}

export class MoneyParseError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'MoneyParseError';
  }
}

/**
 * Parse a typed decimal amount into integer minor units without floats.
 * "12.34" → 1234, "12" → 1200, "0.5" → 50, ".5" → 50, "12,34" → 1234, " 1 000.00 " → 100000.
 * Rejects negatives, more decimals than the currency has, and anything not a number.
 */
export function parseMinorUnits(input: string, digits = 2): number {
  let text = input.trim().replace(/[\s\u00a0_']/g, '');
  if (text === '') throw new MoneyParseError('Enter an amount');
  if (text.startsWith('-')) throw new MoneyParseError('The amount cannot be negative');
  if (text.startsWith('+')) text = text.slice(1);
  // A single comma and no dot is a decimal comma ("12,34"); commas next to a
  // dot are thousands separators ("1,234.50").
  if (text.includes(',')) {
    if (!text.includes('.') && (text.match(/,/g) ?? []).length === 1 && !/,\d{3}$/.test(text)) {
      text = text.replace(',', '.');
    } else if (/^\d{1,3}(,\d{3})+(\.\d*)?$/.test(text)) {
      text = text.replace(/,/g, '');
    } else {
      throw new MoneyParseError(`"${input.trim()}" is not a valid amount`);
    }
  }
  const match = /^(\d*)(?:\.(\d*))?$/.exec(text);
  if (!match || (match[1] === '' && (match[2] ?? '') === '')) {
    throw new MoneyParseError(`"${input.trim()}" is not a valid amount`);
  }
  const whole = match[1] || '0';
  const frac = match[2] ?? '';
  if (frac.length > digits) {
    throw new MoneyParseError(
      digits === 0
        ? 'This currency has no decimal places'
        : `Use at most ${digits} decimal place${digits === 1 ? '' : 's'}`,
    );
  }
  const digitString = (whole + frac.padEnd(digits, '0')).replace(/^0+(?=\d)/, '');
  const value = Number(digitString); // an integer string: exact while it is a safe integer
  if (!Number.isSafeInteger(value)) throw new MoneyParseError('The amount is too large');
  return value;
}

/** Same as parseMinorUnits but for a currency code. */
export function parseAmount(input: string, currency: string): number {
  return parseMinorUnits(input, currencyDigits(currency));
}
