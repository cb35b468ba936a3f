// One place for every test's waiting limits: Testing Library's findBy…/waitFor wait for a
// condition up to this long (their 1 s default ran out on a busy machine). Nothing sleeps:
// a test that passes finishes as soon as its condition holds.
import { configure } from '@testing-library/react';

export const WAIT_MS = 15_000;

configure({ asyncUtilTimeout: WAIT_MS });
