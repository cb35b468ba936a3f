import { describe, expect, it } from 'vitest';
import { ApiError, parseFieldErrors } from './api';
import { formErrors, plainMessage } from './fieldErrors';

const LABELS = { username: 'Username', email: 'Email', password: 'Password' };

describe('plainMessage', () => {
  it('turns validator phrases into sentences about the field', () => {
    expect(plainMessage('Username', 'String should have at least 3 characters')).toBe('Username must be at least 3 characters long.');
    expect(plainMessage('Email', 'value is not a valid email address: An email address must have an @-sign.')).toBe(
      'Enter a valid email address, like name@example.com.',
    );
    expect(plainMessage('Username', "String should match pattern '^[A-Za-z0-9_.-]+$'")).toBe(
      'Username can only contain letters, digits, dots, dashes and underscores.',
    );
    expect(plainMessage('Password', 'Field required')).toBe('Enter your password.');
    expect(plainMessage('Password', 'password must be at most 72 bytes in UTF-8')).toMatch(/^Password is too long/);
  });
});

describe('formErrors', () => {
  it('puts the old array-of-objects detail next to each field', () => {
    const body = {
      detail: [
        { loc: ['body', 'username'], msg: 'String should have at least 3 characters', type: 'string_too_short' },
        { loc: ['body', 'email'], msg: 'value is not a valid email address: nope', type: 'value_error' },
      ],
    };
    const err = new ApiError(422, 'x', body.detail, null, parseFieldErrors(body));
    expect(formErrors(err, LABELS)).toEqual({
      fields: {
        username: 'Username must be at least 3 characters long.',
        email: 'Enter a valid email address, like name@example.com.',
      },
      form: null,
    });
  });

  it('uses the newer errors list', () => {
    const body = { detail: 'Check the fields.', errors: [{ field: 'password', message: 'Password must be at least 8 characters long.' }] };
    const err = new ApiError(422, body.detail, body.detail, null, parseFieldErrors(body));
    expect(formErrors(err, LABELS).fields).toEqual({ password: 'Password must be at least 8 characters long.' });
  });

  it('gives a sentence that names a field to that field, and others to the form', () => {
    const err = new ApiError(422, 'password must be at least 8 characters', 'password must be at least 8 characters');
    expect(formErrors(err, LABELS).fields.password).toBe('Password must be at least 8 characters long.');
    const taken = new ApiError(409, 'username or email is already registered', 'username or email is already registered');
    expect(formErrors(taken, LABELS)).toEqual({ fields: {}, form: 'Username or email is already registered.' });
  });
});
