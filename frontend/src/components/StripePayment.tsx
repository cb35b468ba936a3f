// The Stripe Payment Element: loaded only where a real Stripe account is configured (GET
// /config says dev_payments: false), in its own chunk; Stripe.js itself loads only when a
// shopper opens a payment page (see stripeLoader.ts).
import { Elements, PaymentElement, useElements, useStripe } from '@stripe/react-stripe-js';
import type { Stripe } from '@stripe/stripe-js';
import { useEffect, useState, type FormEvent } from 'react';
import { stripeJs } from '../stripeLoader';

export type StripeOutcome =
  | { kind: 'submitted'; status: string }
  | { kind: 'declined'; message: string }
  | { kind: 'error'; message: string };

export interface StripePaymentProps {
  publishableKey: string;
  clientSecret: string;
  /** e.g. "Pay €19.99" */
  payLabel: string;
  onOutcome: (outcome: StripeOutcome) => void;
  /** Tests pass a stubbed Stripe object here instead of loading Stripe.js. */
  stripe?: Promise<Stripe | null>;
}

export default function StripePayment({ publishableKey, clientSecret, payLabel, onOutcome, stripe }: StripePaymentProps) {
  const [stripePromise] = useState(() => stripe ?? stripeJs.load(publishableKey));
  // Elements gets a promise that never rejects: a failed load shows our message instead.
  const [forElements] = useState(() => stripePromise.catch(() => null));
  const [loadError, setLoadError] = useState<string | null>(null);
  useEffect(() => {
    let live = true;
    stripePromise.then(
      (s) => live && !s && setLoadError('Card payments are not available right now.'),
      () => live && setLoadError('Card payments could not be loaded (Stripe.js did not load). Check your connection and reload the page.'),
    );
    return () => {
      live = false;
    };
  }, [stripePromise]);
  if (loadError) {
    return (
      <div className="alert alert-error" role="alert">
        {loadError}
      </div>
    );
  }
  return (
    <Elements stripe={forElements} options={{ clientSecret, appearance: { theme: 'stripe' } }}>
      <PaymentForm payLabel={payLabel} onOutcome={onOutcome} />
    </Elements>
  );
}

function PaymentForm({ payLabel, onOutcome }: { payLabel: string; onOutcome: (o: StripeOutcome) => void }) {
  const stripe = useStripe();
  const elements = useElements();
  const [busy, setBusy] = useState(false);
  const [message, setMessage] = useState<string | null>(null);

  async function submit(e: FormEvent) {
    e.preventDefault();
    if (!stripe || !elements) return;
    setBusy(true);
    setMessage(null);
    try {
      const result = await stripe.confirmPayment({
        elements,
        redirect: 'if_required',
        confirmParams: { return_url: window.location.href },
      });
      if (result.error) {
        const text = result.error.message ?? 'The payment did not go through.';
        setMessage(text);
        onOutcome(
          result.error.type === 'card_error' || result.error.type === 'validation_error'
            ? { kind: 'declined', message: text }
            : { kind: 'error', message: text },
        );
      } else {
        onOutcome({ kind: 'submitted', status: result.paymentIntent?.status ?? 'processing' });
      }
    } catch (err) {
      const text = err instanceof Error ? err.message : String(err);
      setMessage(text);
      onOutcome({ kind: 'error', message: text });
    } finally {
      setBusy(false);
    }
  }

  return (
    <form className="stripe-form" onSubmit={submit} data-testid="stripe-payment-element">
      <PaymentElement />
      {message && (
        <div className="alert alert-error" role="alert">
          {message}
        </div>
      )}
      <button type="submit" className="btn btn-primary btn-block" disabled={!stripe || !elements || busy}>
        {busy ? 'Paying…' : payLabel}
      </button>
    </form>
  );
}
