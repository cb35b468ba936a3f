import type { Figures } from '../api';
import { Money } from './ui';

/** "VAT 19 %" for 1900 basis points. */
export function rateLabel(rateBp: number): string {
  const percent = rateBp / 100;
  return `${Number.isInteger(percent) ? percent : percent.toFixed(2)} %`;
}

/**
 * An order's money as a receipt shows it: subtotal, discount, shipping, tax per rate (in the
 * prices, or on top of them), total.
 */
export function OrderFigures({
  figures,
  includesTax,
  discountCode,
  testId = 'figures',
}: {
  figures: Figures;
  includesTax: boolean;
  discountCode?: string | null;
  testId?: string;
}) {
  const { currency } = figures;
  return (
    <dl className="totals figures" data-testid={testId}>
      <dt>Subtotal</dt>
      <dd data-testid="figure-subtotal">
        <Money amount={figures.subtotal} currency={currency} />
      </dd>
      {figures.discount > 0 && (
        <>
          <dt>Discount{discountCode ? ` (${discountCode})` : ''}</dt>
          <dd data-testid="figure-discount">
            −<Money amount={figures.discount} currency={currency} />
          </dd>
        </>
      )}
      <dt>Shipping</dt>
      <dd data-testid="figure-shipping">{figures.shipping === 0 ? 'Free' : <Money amount={figures.shipping} currency={currency} />}</dd>
      {figures.tax_by_rate.map((t) => (
        <FigureTax key={t.rate_bp} rateBp={t.rate_bp} amount={t.amount} currency={currency} includesTax={includesTax} />
      ))}
      <dt className="total">Total</dt>
      <dd className="total" data-testid="figure-total">
        <Money amount={figures.total} currency={currency} />
      </dd>
    </dl>
  );
}

function FigureTax({ rateBp, amount, currency, includesTax }: { rateBp: number; amount: number; currency: string; includesTax: boolean }) {
  return (
    <>
      <dt>{includesTax ? `Includes tax ${rateLabel(rateBp)}` : `Tax ${rateLabel(rateBp)}`}</dt>
      <dd data-testid={`figure-tax-${rateBp}`}>
        <Money amount={amount} currency={currency} />
      </dd>
    </>
  );
}
