// The PaymentIntent's client secret of an order, kept for this tab only: it arrives once, with
// the checkout, and the Stripe Payment Element needs it again after a reload.

const SECRET_KEY = (orderId: string) => `shop.clientSecret.${orderId}`;

/** Keep the PaymentIntent's client secret for this tab: the payment page needs it after a reload. */
export function rememberClientSecret(orderId: string, secret: string | null): void {
  try {
    if (secret) sessionStorage.setItem(SECRET_KEY(orderId), secret);
  } catch {
    // storage refused: the payment page still has it in its navigation state
  }
}

export function recallClientSecret(orderId: string): string | null {
  try {
    return sessionStorage.getItem(SECRET_KEY(orderId));
  } catch {
    return null;
  }
}
