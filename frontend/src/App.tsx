import { Link, Route, Routes } from 'react-router-dom';
import { AuthProvider } from './auth';
import { Layout, RequireAuth } from './components/Layout';
import { ProductsPage } from './pages/ProductsPage';
import { LoginPage, RegisterPage } from './pages/AuthPages';
import { CartPage } from './pages/CartPage';
import { PayPage } from './pages/PayPage';
import { OrdersPage } from './pages/OrdersPage';
import { OrderDetailPage } from './pages/OrderDetailPage';
import { AdminProductsPage } from './pages/AdminProductsPage';

export function AppRoutes() {
  return (
    <AuthProvider>
      <Routes>
        <Route element={<Layout />}>
          <Route index element={<ProductsPage />} />
          <Route path="login" element={<LoginPage />} />
          <Route path="register" element={<RegisterPage />} />
          <Route path="cart" element={<RequireAuth><CartPage /></RequireAuth>} />
          <Route path="orders" element={<RequireAuth><OrdersPage scope="mine" /></RequireAuth>} />
          <Route path="orders/:id" element={<RequireAuth><OrderDetailPage scope="mine" /></RequireAuth>} />
          <Route path="orders/:id/pay" element={<RequireAuth><PayPage /></RequireAuth>} />
          <Route
            path="admin/products"
            element={<RequireAuth roles={['admin']}><AdminProductsPage /></RequireAuth>}
          />
          <Route
            path="admin/orders"
            element={<RequireAuth roles={['admin', 'support']}><OrdersPage scope="all" /></RequireAuth>}
          />
          <Route
            path="admin/orders/:id"
            element={<RequireAuth roles={['admin', 'support']}><OrderDetailPage scope="all" /></RequireAuth>}
          />
          <Route path="*" element={<NotFound />} />
        </Route>
      </Routes>
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
