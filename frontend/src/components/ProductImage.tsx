import type { Product } from '../api';

/** A product's main image (its thumbnail where small), or a letter tile when it has none. */
export function ProductImage({
  product,
  size = 'thumb',
  index = 0,
}: {
  product: Pick<Product, 'name' | 'images'>;
  size?: 'thumb' | 'full';
  index?: number;
}) {
  const image = product.images?.[index] ?? product.images?.[0];
  if (!image) {
    return (
      <div className={`product-art product-art-${size}`} aria-hidden="true" data-testid="letter-tile">
        {product.name.trim().charAt(0).toUpperCase() || '?'}
      </div>
    );
  }
  return (
    <img
      className={`product-img product-img-${size}`}
      src={size === 'thumb' ? image.thumbnail_url : image.url}
      width={image.width || undefined}
      height={image.height || undefined}
      alt={size === 'thumb' ? '' : product.name}
      loading={size === 'thumb' ? 'lazy' : undefined}
      decoding="async"
    />
  );
}
