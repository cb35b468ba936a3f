// Catalog search: the URL holds the state (/?q=&sort=&min_price=&max_price=&page=), the
// server searches (GET /products?q=&sort=&min_price=&max_price=). Servers without search
// ignore those parameters and send products without `images`: then the same search runs here,
// over the whole catalog (bounded), so the storefront works on both.
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

function hasSearch(q: ProductQuery): boolean {
  return !!q.q || q.min_price !== undefined || q.max_price !== undefined || (q.sort !== undefined && q.sort !== 'newest' && q.sort !== 'relevance');
}

/** Lower-case words of a search. */
function terms(q: string): string[] {
  return q.toLowerCase().split(/\s+/).filter(Boolean);
}

/** How well a product matches: every term must appear; name hits count more than description hits. */
export function relevance(product: Pick<Product, 'name' | 'description'>, q: string): number {
  const name = product.name.toLowerCase();
  const desc = (product.description ?? '').toLowerCase();
  let score = 0;
  for (const term of terms(q)) {
    if (name.startsWith(term)) score += 4;
    else if (new RegExp(`\\b${term.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}`).test(name)) score += 3;
    else if (name.includes(term)) score += 2;
    else if (desc.includes(term)) score += 1;
    else return 0;
  }
  return score;
}

/**
 * The server's search, done here: filter by words and price, then sort. `products` come
 * newest first (the catalog's own order), which breaks ties.
 */
export function searchLocally(products: Product[], q: ProductQuery): Product[] {
  const indexed = products.map((p, i) => ({ p, i, score: q.q ? relevance(p, q.q) : 1 }));
  const kept = indexed.filter(
    ({ p, score }) =>
      score > 0 && (q.min_price === undefined || p.price >= q.min_price) && (q.max_price === undefined || p.price <= q.max_price),
  );
  const sort = q.sort ?? (q.q ? 'relevance' : 'newest');
  kept.sort((a, b) => {
    if (sort === 'price_asc' && a.p.price !== b.p.price) return a.p.price - b.p.price;
    if (sort === 'price_desc' && a.p.price !== b.p.price) return b.p.price - a.p.price;
    if (sort === 'relevance' && a.score !== b.score) return b.score - a.score;
    return a.i - b.i;
  });
  return kept.map((k) => k.p);
}

/** The most products a browser-side search looks at (10 pages of the API's maximum 100). */
export const LOCAL_SEARCH_LIMIT = 1000;
const API_PAGE = 100;

export interface CatalogResult {
  page: Page<Product>;
  /** "server": the API searched; "browser": this module did, over the first LOCAL_SEARCH_LIMIT products. */
  searchedBy: 'server' | 'browser';
  /** Whether the server knows product images (and so search, sorting and uploads). */
  modern: boolean;
}

/** Whether a product list came from a server that has the catalog contract (images, search). */
export function isModernCatalog(items: Product[]): boolean | null {
  return items.length === 0 ? null : 'images' in items[0];
}

export async function searchCatalog(q: ProductQuery, signal?: AbortSignal): Promise<CatalogResult> {
  const first = await api.listProducts(q, signal);
  let modern = isModernCatalog(first.items);
  if (modern === null && hasSearch(q) && q.offset > 0) {
    // An empty page past the end says nothing about the server: look at its first product.
    modern = isModernCatalog((await api.listProducts({ limit: 1, offset: 0 }, signal)).items);
  }
  if (modern !== false || !hasSearch(q)) {
    return { page: first, searchedBy: 'server', modern: modern ?? false };
  }
  const all: Product[] = [];
  for (let offset = 0; offset < LOCAL_SEARCH_LIMIT; offset += API_PAGE) {
    const chunk = await api.listProducts({ limit: API_PAGE, offset }, signal);
    all.push(...chunk.items);
    if (chunk.items.length < API_PAGE || offset + API_PAGE >= chunk.total) break;
  }
  const found = searchLocally(all, q);
  return {
    page: { items: found.slice(q.offset, q.offset + q.limit), total: found.length, limit: q.limit, offset: q.offset },
    searchedBy: 'browser',
    modern: false,
  };
}
