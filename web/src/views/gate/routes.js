// Routes of the gate phone.
export default [
  {
    path: '/gate',
    name: 'gate',
    component: () => import('./Gate.vue'),
    meta: { roles: ['gate', 'secretary', 'staff'] },
  },
]
