// Routes. Each area lists its own in views/<area>/routes.js; every screen is loaded on demand,
// and a route's meta.roles says who may open it (the API checks again on every call).
import { createRouter, createWebHistory } from 'vue-router'
import { session, restore, homeOf } from './lib/session.js'
import deskRoutes from './views/desk/routes.js'
import requestRoutes from './views/requests/routes.js'
import screeningRoutes from './views/screening/routes.js'
import gateRoutes from './views/gate/routes.js'
import residentRoutes from './views/resident/routes.js'
import volunteerRoutes from './views/volunteer/routes.js'

const routes = [
  { path: '/login', name: 'login', component: () => import('./views/Login.vue'), meta: { public: true } },
  {
    path: '/desk',
    component: () => import('./components/DeskLayout.vue'),
    meta: { roles: ['admin', 'secretary', 'staff', 'street'] },
    children: [...deskRoutes, ...requestRoutes, ...screeningRoutes],
  },
  ...gateRoutes,
  ...residentRoutes,
  ...volunteerRoutes,
  { path: '/welcome', name: 'welcome', component: () => import('./views/Welcome.vue') },
  { path: '/', name: 'home', redirect: () => (session.user ? homeOf(session.user.role) : '/login') },
  { path: '/:rest(.*)*', name: 'not-found', component: () => import('./views/NotFound.vue'), meta: { public: true } },
]

export const router = createRouter({ history: createWebHistory(), routes })

router.beforeEach(async (to) => {
  await restore()
  if (to.meta.public) return true
  if (!session.user) return { name: 'login', query: { next: to.fullPath } }
  const roles = to.matched.flatMap((r) => r.meta.roles || [])
  const allowed = to.matched.every((r) => !r.meta.roles || r.meta.roles.includes(session.user.role))
  if (roles.length && !allowed) return homeOf(session.user.role)
  return true
})
