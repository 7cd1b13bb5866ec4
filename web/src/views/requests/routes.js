// Routes of the request queue and the emergency exit (children of /desk).
export default [
  { path: 'requests', name: 'requests', component: () => import('./Requests.vue') },
  { path: 'requests/new', name: 'new-request', component: () => import('./NewRequest.vue') },
  { path: 'requests/:id', name: 'request', component: () => import('./RequestDetail.vue') },
  { path: 'emergency', name: 'emergency', component: () => import('./Emergency.vue') },
]
