// Routes of the screening screens (children of /desk): rounds, a round's coverage, the sampling
// screen, the door-knock list and the lab results import.
const roles = ['secretary', 'staff']

export default [
  { path: 'rounds', name: 'rounds', component: () => import('./Rounds.vue'), meta: { roles } },
  { path: 'rounds/:id(\\d+)', name: 'round', component: () => import('./Round.vue'), meta: { roles } },
  { path: 'rounds/:id(\\d+)/sampling', name: 'sampling', component: () => import('./Sampling.vue'), meta: { roles } },
  { path: 'rounds/:id(\\d+)/door-knock', name: 'door-knock', component: () => import('./DoorKnock.vue'), meta: { roles } },
  { path: 'results', name: 'results', component: () => import('./Results.vue'), meta: { roles } },
]
