// The cart as the header and the pages share it: the item count on the Cart link, adding
// (also for visitors who are not signed in yet: the item waits in sessionStorage and is added
// right after they sign in or register), and setting a line's quantity.
import { createContext, useCallback, useContext, useEffect, useMemo, useRef, useState, type ReactNode } from 'react';
import { useLocation, useNavigate } from 'react-router-dom';
import { api, errorText, type Cart, type Id } from './api';
import { useAuth } from './auth';
import { useToast } from './components/Toasts';

export const PENDING_KEY = 'shop.pendingCartItem';

export interface PendingItem {
  product_id: string;
  name: string;
  quantity: number;
}

export function readPending(): PendingItem | null {
  try {
    const raw = sessionStorage.getItem(PENDING_KEY);
    if (!raw) return null;
    const item = JSON.parse(raw) as PendingItem;
    return typeof item?.product_id === 'string' && Number.isInteger(item.quantity) && item.quantity > 0 ? item : null;
  } catch {
    return null;
  }
}

function writePending(item: PendingItem | null): void {
  try {
    if (item) sessionStorage.setItem(PENDING_KEY, JSON.stringify(item));
    else sessionStorage.removeItem(PENDING_KEY);
  } catch {
    // storage refused (private mode): the item is simply not remembered
  }
}

/** Number of items in a cart: the API's `count`, else the sum of the quantities. */
export function cartCount(cart: Pick<Cart, 'items' | 'count'>): number {
  return typeof cart.count === 'number' ? cart.count : cart.items.reduce((n, i) => n + i.quantity, 0);
}

/** Whether PUT /cart/{id} exists on this server: unknown until the first try. */

/** Set a line to `quantity` (0 removes it): PUT /cart/{id}. */
export async function setLineQuantity(productId: Id, quantity: number): Promise<void> {
  await api.setCartQuantity(productId, quantity);
}

interface CartApi {
  /** Items in the cart, or null while unknown (signed out, or not loaded yet). */
  count: number | null;
  /** Pages that load the cart themselves pass it on, so the count stays right. */
  noteCart: (cart: Cart) => void;
  refresh: () => Promise<void>;
  /**
   * Add to the cart. Signed out, the item is remembered and the visitor is sent to sign in;
   * it is added as soon as they have. Resolves to false then.
   */
  add: (product: { id: Id; name: string }, quantity: number) => Promise<boolean>;
  setQuantity: (productId: Id, quantity: number) => Promise<void>;
}

const CartContext = createContext<CartApi | null>(null);

export function CartProvider({ children }: { children: ReactNode }) {
  const { user } = useAuth();
  const toast = useToast();
  const navigate = useNavigate();
  const location = useLocation();
  const [count, setCount] = useState<number | null>(null);
  const userId = user ? String(user.id) : null;
  const generation = useRef(0);

  const refresh = useCallback(async () => {
    const mine = ++generation.current;
    try {
      const cart = await api.getCart();
      if (mine === generation.current) setCount(cartCount(cart));
    } catch {
      // the count is a convenience: the cart page shows the error
    }
  }, []);

  // Signed in (or changed account): first add what was waiting, then count. Taking the
  // pending item out of storage first makes it once-only (StrictMode runs effects twice).
  useEffect(() => {
    if (!userId) {
      generation.current++;
      setCount(null);
      return;
    }
    const pending = readPending();
    writePending(null);
    void (async () => {
      if (pending) {
        try {
          await api.addToCart(pending.product_id, pending.quantity);
          toast.show(`Added ${pending.quantity} × ${pending.name} to your cart.`);
        } catch (err) {
          toast.show(`Could not add ${pending.name} to your cart: ${errorText(err)}`, 'error');
        }
      }
      await refresh();
    })();
  }, [userId, refresh, toast]);

  const noteCart = useCallback((cart: Cart) => {
    generation.current++;
    setCount(cartCount(cart));
  }, []);

  const add = useCallback(
    async (product: { id: Id; name: string }, quantity: number) => {
      if (!userId) {
        writePending({ product_id: String(product.id), name: product.name, quantity });
        navigate('/login', {
          state: { from: location.pathname + location.search, pending: product.name },
        });
        return false;
      }
      await api.addToCart(product.id, quantity);
      setCount((c) => (c === null ? c : c + quantity));
      void refresh();
      return true;
    },
    [userId, navigate, location.pathname, location.search, refresh],
  );

  const setQuantity = useCallback(
    async (productId: Id, quantity: number) => {
      await setLineQuantity(productId, quantity);
      await refresh();
    },
    [refresh],
  );

  const value = useMemo(() => ({ count, noteCart, refresh, add, setQuantity }), [count, noteCart, refresh, add, setQuantity]);
  return <CartContext.Provider value={value}>{children}</CartContext.Provider>;
}

export function useCart(): CartApi {
  const ctx = useContext(CartContext);
  if (!ctx) throw new Error('useCart must be used inside <CartProvider>');
  return ctx;
}
