import { useEffect, useId, useState } from 'react';

/**
 * − [n] + : a whole number between `min` and `max`. Typing is allowed; the value is
 * committed on blur or Enter (clamped), and the buttons commit at once.
 */
export function QuantityStepper({
  value,
  onChange,
  min = 1,
  max,
  label = 'Quantity',
  disabled = false,
  hideLabel = false,
  testId,
}: {
  value: number;
  onChange: (next: number) => void;
  min?: number;
  max?: number;
  label?: string;
  disabled?: boolean;
  hideLabel?: boolean;
  testId?: string;
}) {
  const id = useId();
  const [text, setText] = useState(String(value));
  useEffect(() => setText(String(value)), [value]);
  const upper = max ?? Number.MAX_SAFE_INTEGER;
  const what = label.charAt(0).toLowerCase() + label.slice(1);
  const clamp = (n: number) => Math.min(upper, Math.max(min, n));

  function commit() {
    const n = Number(text);
    if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n)) {
      setText(String(value));
      return;
    }
    const next = clamp(n);
    setText(String(next));
    if (next !== value) onChange(next);
  }

  return (
    <div className="stepper" data-testid={testId}>
      <label htmlFor={id} className={hideLabel ? 'sr-only' : 'stepper-label'}>
        {label}
      </label>
      <div className="stepper-controls">
        <button
          type="button"
          className="stepper-btn"
          aria-label={`Decrease ${what}`}
          disabled={disabled || value <= min}
          onClick={() => onChange(clamp(value - 1))}
        >
          −
        </button>
        <input
          id={id}
          className="stepper-input"
          type="text"
          inputMode="numeric"
          pattern="[0-9]*"
          value={text}
          disabled={disabled}
          onChange={(e) => setText(e.target.value)}
          onBlur={commit}
          onKeyDown={(e) => {
            if (e.key === 'Enter') {
              e.preventDefault();
              commit();
            }
          }}
        />
        <button
          type="button"
          className="stepper-btn"
          aria-label={`Increase ${what}`}
          disabled={disabled || value >= upper}
          onClick={() => onChange(clamp(value + 1))}
        >
          +
        </button>
      </div>
    </div>
  );
}
