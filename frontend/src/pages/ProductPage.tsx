import { useState } from 'react';
import { Link, useParams } from 'react-router-dom';
import { api, ApiError, errorText, type Product } from '../api';
import { useCart } from '../cart';
import { ProductImage } from '../components/ProductImage';
import { QuantityStepper } from '../components/QuantityStepper';
import { useToast } from '../components/Toasts';
import { BackLink, ErrorMessage, Loading, Money } from '../components/ui';
import { useLoader, useTitle } from '../hooks';
import { stockText } from './ProductsPage';

export function ProductPage() {
  const { id = '' } = useParams();
  const { data, error, loading } = useLoader(async (signal) => {
    try {
      return (await api.getProduct(id, signal)).product;
    } catch (err) {
      if (err instanceof ApiError && (err.status === 404 || err.status === 422)) return null;
      throw err;
    }
  }, [id]);
  useTitle(data?.name ?? 'Product');

  if (loading && data === null && !error) return <Loading label="Loading product…" />;
  if (error) {
    return (
      <section>
        <BackLink to="/">All products</BackLink>
        <ErrorMessage>{error}</ErrorMessage>
      </section>
    );
  }
  if (!data) {
    return (
      <section>
        <BackLink to="/">All products</BackLink>
        <h1>Product not found</h1>
        <p>This product is no longer in the shop.</p>
        <p>
          <Link to="/" className="btn btn-primary">
            Browse products
          </Link>
        </p>
      </section>
    );
  }
  return <ProductDetail key={String(data.id)} product={data} />;
}

function ProductDetail({ product }: { product: Product }) {
  const { add } = useCart();
  const toast = useToast();
  const [imageIndex, setImageIndex] = useState(0);
  const [quantity, setQuantity] = useState(1);
  const [busy, setBusy] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const images = product.images ?? [];
  const soldOut = product.stock <= 0;

  async function addToCart() {
    setBusy(true);
    setError(null);
    try {
      if (await add(product, quantity)) toast.show(`Added ${quantity} × ${product.name} to your cart.`);
    } catch (err) {
      setError(errorText(err));
    } finally {
      setBusy(false);
    }
  }

  return (
    <article className="product-page" data-testid="product-page" data-product-id={String(product.id)}>
      <BackLink to="/">All products</BackLink>
      <div className="product-layout">
        <div className="gallery">
          <div className="gallery-main">
            <ProductImage product={product} size="full" index={imageIndex} />
          </div>
          {images.length > 1 && (
            <ul className="gallery-thumbs" aria-label="More pictures">
              {images.map((img, i) => (
                <li key={String(img.id)}>
                  <button
                    type="button"
                    className={i === imageIndex ? 'thumb active' : 'thumb'}
                    aria-label={`Picture ${i + 1} of ${images.length}`}
                    aria-pressed={i === imageIndex}
                    onClick={() => setImageIndex(i)}
                  >
                    <img src={img.thumbnail_url} alt="" width={64} height={64} />
                  </button>
                </li>
              ))}
            </ul>
          )}
        </div>
        <div className="product-info card">
          <h1>{product.name}</h1>
          <p className="product-price product-price-large" data-testid="product-price">
            <Money amount={product.price} currency={product.currency} />
          </p>
          <p className={soldOut ? 'stock stock-out' : 'stock'} data-testid="product-stock">
            {stockText(product.stock)}
          </p>
          {product.description ? (
            <div className="product-description" data-testid="product-description">
              {product.description}
            </div>
          ) : (
            <p className="muted">No description yet.</p>
          )}
          {!soldOut && (
            <div className="buy-box">
              <QuantityStepper value={quantity} min={1} max={product.stock} onChange={setQuantity} disabled={busy} />
              <button type="button" className="btn btn-primary btn-large" disabled={busy} onClick={addToCart}>
                {busy ? 'Adding…' : 'Add to cart'}
              </button>
            </div>
          )}
          <ErrorMessage>{error}</ErrorMessage>
        </div>
      </div>
    </article>
  );
}
