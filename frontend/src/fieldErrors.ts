// Form errors next to their fields, in plain words. The API's 422 names each invalid field
// (`errors`, or FastAPI's array `detail`); its messages are often validator phrases
// ("String should have at least 3 characters"), turned here into sentences about the field.
import { ApiError, errorText } from './api';

export type FieldErrors = Record<string, string>;

export interface FormErrors {
  fields: FieldErrors;
  /** What is not about one field (wrong password, account taken, network). */
  form: string | null;
}

/** Plain words for a validator message about `label` ("Username"). */
export function plainMessage(label: string, message: string): string {
  const text = message.replace(/^Value error, /, '').trim();
  let m: RegExpMatchArray | null;
  if (/field required|missing/i.test(text)) return `Enter your ${label.toLowerCase()}.`;
  if ((m = text.match(/at least (\d+) characters?/i))) return `${label} must be at least ${m[1]} characters long.`;
  if ((m = text.match(/at most (\d+) characters?/i))) return `${label} can be at most ${m[1]} characters long.`;
  if ((m = text.match(/at most (\d+) bytes/i))) return `${label} is too long (at most ${m[1]} bytes; some characters count as several).`;
  if (/valid email|email address/i.test(text)) return 'Enter a valid email address, like name@example.com.';
  if (/should match pattern/i.test(text)) return `${label} can only contain letters, digits, dots, dashes and underscores.`;
  if (/valid integer|valid number/i.test(text)) return `${label} must be a whole number.`;
  if ((m = text.match(/greater than or equal to (\d+)/i))) return `${label} must be ${m[1]} or more.`;
  if ((m = text.match(/less than or equal to (\d+)/i))) return `${label} must be ${m[1]} or less.`;
  const clean = text.replace(new RegExp(`^${label}\\s+`, 'i'), '');
  const sentence = `${label} ${clean}`;
  return /[.!?]$/.test(sentence) ? sentence : `${sentence}.`;
}

/**
 * Split an error into per-field messages (for the fields in `labels`, keyed by input name)
 * and one form-level message. A 422 whose `detail` sentence starts with a field's name
 * ("password must be at least 8 characters") belongs to that field too.
 */
export function formErrors(err: unknown, labels: Record<string, string>): FormErrors {
  const fields: FieldErrors = {};
  let form: string | null = null;
  if (err instanceof ApiError) {
    for (const fe of err.fieldErrors) {
      const label = labels[fe.field];
      if (label && !fields[fe.field]) fields[fe.field] = plainMessage(label, fe.message);
      else if (!label) form = form ?? plainMessage(fe.field, fe.message);
    }
    if (err.fieldErrors.length === 0 && err.status === 422 && typeof err.detail === 'string') {
      const field = Object.keys(labels).find((name) => err.detail && (err.detail as string).toLowerCase().startsWith(`${name} `));
      if (field) fields[field] = plainMessage(labels[field], err.detail as string);
      else form = sentenceCase(err.message);
    } else if (err.fieldErrors.length === 0) {
      form = sentenceCase(err.message);
    } else if (Object.keys(fields).length === 0) {
      form = form ?? sentenceCase(err.message);
    }
  } else {
    form = sentenceCase(errorText(err));
  }
  return { fields, form };
}

function sentenceCase(text: string): string {
  const t = text.trim();
  if (!t) return t;
  const s = t.charAt(0).toUpperCase() + t.slice(1);
  return /[.!?]$/.test(s) ? s : `${s}.`;
}
