// Routes of the resident screens: the resident's own phone, under /me.
export default [
  {
    path: '/me',
    component: () => import('./ResidentLayout.vue'),
    meta: { roles: ['resident'] },
    children: [
      { path: '', name: 'me', component: () => import('./Home.vue') },
      { path: '/me/requests/new', name: 'me-new-request', component: () => import('./NewRequest.vue') },
      { path: '/me/requests/:id(\\d+)', name: 'me-request', component: () => import('./Request.vue') },
      { path: '/me/passes/:id(\\d+)', name: 'me-pass', component: () => import('./Pass.vue') },
    ],
  },
]
