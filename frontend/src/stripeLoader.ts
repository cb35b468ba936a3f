// Where Stripe.js comes from: '@stripe/stripe-js/pure' loads it only when asked (no script
// on import), so offline pages never contact Stripe. Tests replace `load` with a stub.
import type { Stripe } from '@stripe/stripe-js';
import { loadStripe } from '@stripe/stripe-js/pure';

export const stripeJs = {
  load: (publishableKey: string): Promise<Stripe | null> => loadStripe(publishableKey),
};
