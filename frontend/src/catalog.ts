// Catalog search: the URL holds the state (/?q=&sort=&min_price=&max_price=&page=), the
// server searches and ranks (GET /products?q=&sort=&min_price=&max_price=).
import { api, type Page, type Product, type ProductQuery, type ProductSort } from './api';
import { MoneyParseError, parseMinorUnits, minorToDecimalString } from './money';

export const SORTS: { value: ProductSort; label: string }[] = [
  { value: 'relevance', label: 'Best match' },
  { value: 'newest', label: 'Newest' },
  { value: 'price_asc', label: 'Price: low to high' },
  { value: 'price_desc', label: 'Price: high to low' },
];

/** The catalog's state as the URL holds it. Prices are decimal amounts ("12.50"), as typed. */
export interface CatalogParams {
  q: string;
  sort: ProductSort;
  minPrice: string;
  maxPrice: string;
  page: number;
}

function isSort(value: string | null): value is ProductSort {
  return SORTS.some((s) => s.value === value);
}

export function readCatalogParams(params: URLSearchParams): CatalogParams {
  const q = (params.get('q') ?? '').trim();
  const sort = params.get('sort');
  const page = Number(params.get('page'));
  return {
    q,
    sort: isSort(sort) ? sort : q ? 'relevance' : 'newest',
    minPrice: params.get('min_price') ?? '',
    maxPrice: params.get('max_price') ?? '',
    page: Number.isSafeInteger(page) && page >= 1 ? page : 1,
  };
}

/** Only what differs from the defaults goes into the URL. */
export function writeCatalogParams(p: CatalogParams): Record<string, string> {
  const out: Record<string, string> = {};
  if (p.q.trim()) out.q = p.q.trim();
  const defaultSort = p.q.trim() ? 'relevance' : 'newest';
  if (p.sort !== defaultSort) out.sort = p.sort;
  if (p.minPrice.trim()) out.min_price = p.minPrice.trim();
  if (p.maxPrice.trim()) out.max_price = p.maxPrice.trim();
  if (p.page > 1) out.page = String(p.page);
  return out;
}

/** A typed price bound in minor units, null when empty; throws MoneyParseError when unreadable. */
export function priceBound(text: string, digits: number): number | null {
  return text.trim() ? parseMinorUnits(text, digits) : null;
}

/** The price bound as the URL shows it (minor units → "12.50"). */
export function priceText(minor: number, digits: number): string {
  return minorToDecimalString(minor, digits).replace(/\.0+$/, '');
}

export function toQuery(p: CatalogParams, digits: number, limit: number): ProductQuery {
  let min: number | null = null;
  let max: number | null = null;
  try {
    min = priceBound(p.minPrice, digits);
  } catch (err) {
    if (!(err instanceof MoneyParseError)) throw err;
  }
  try {
    max = priceBound(p.maxPrice, digits);
  } catch (err) {
    if (!(err instanceof MoneyParseError)) throw err;
  }
  return {
    q: p.q || undefined,
    sort: p.sort,
    min_price: min ?? undefined,
    max_price: max ?? undefined,
    limit,
    offset: (p.page - 1) * limit,
  };
}

export interface CatalogResult {
  page: Page<Product>;
}

export async function searchCatalog(q: ProductQuery, signal?: AbortSignal): Promise<CatalogResult> {
  return { page: await api.listProducts(q, signal) };
}
