import { Link, Route, Routes } from 'react-router-dom';
import { AuthProvider } from './auth';
import { CartProvider } from './cart';
import { Layout, RequireAuth } from './components/Layout';
import { ToastProvider } from './components/Toasts';
import { AdminHomePage } from './pages/AdminHomePage';
import { AdminProductsPage } from './pages/AdminProductsPage';
import { LoginPage, RegisterPage } from './pages/AuthPages';
import { AddressesPage } from './pages/AddressesPage';
import { AdminSellingPage } from './pages/AdminSellingPage';
import { CartPage } from './pages/CartPage';
import { CheckoutPage } from './pages/CheckoutPage';
import { OrderDetailPage } from './pages/OrderDetailPage';
import { OrdersPage } from './pages/OrdersPage';
import { PayPage } from './pages/PayPage';
import { ProductPage } from './pages/ProductPage';
import { ProductsPage } from './pages/ProductsPage';

const STAFF = ['admin', 'support'];

export function AppRoutes() {
  return (
    <AuthProvider>
      <ToastProvider>
        <CartProvider>
          <Routes>
            <Route element={<Layout />}>
              <Route index element={<ProductsPage />} />
              <Route path="products/:id" element={<ProductPage />} />
              <Route path="login" element={<LoginPage />} />
              <Route path="register" element={<RegisterPage />} />
              <Route path="cart" element={<RequireAuth><CartPage /></RequireAuth>} />
              <Route path="checkout" element={<RequireAuth><CheckoutPage /></RequireAuth>} />
              <Route path="addresses" element={<RequireAuth><AddressesPage /></RequireAuth>} />
              <Route path="orders" element={<RequireAuth><OrdersPage scope="mine" /></RequireAuth>} />
              <Route path="orders/:id" element={<RequireAuth><OrderDetailPage scope="mine" /></RequireAuth>} />
              <Route path="orders/:id/pay" element={<RequireAuth><PayPage /></RequireAuth>} />
              <Route path="admin" element={<RequireAuth roles={STAFF}><AdminHomePage /></RequireAuth>} />
              <Route path="admin/products" element={<RequireAuth roles={['admin']}><AdminProductsPage /></RequireAuth>} />
              <Route path="admin/selling" element={<RequireAuth roles={STAFF}><AdminSellingPage /></RequireAuth>} />
              <Route path="admin/orders" element={<RequireAuth roles={STAFF}><OrdersPage scope="all" /></RequireAuth>} />
              <Route path="admin/orders/:id" element={<RequireAuth roles={STAFF}><OrderDetailPage scope="all" /></RequireAuth>} />
              <Route path="*" element={<NotFound />} />
            </Route>
          </Routes>
        </CartProvider>
      </ToastProvider>
    </AuthProvider>
  );
}

function NotFound() {
  return (
    <section>
      <h1>Page not found</h1>
      <p>
        <Link to="/">Back to the products</Link>
      </p>
    </section>
  );
}
