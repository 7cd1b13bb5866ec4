// Routes of the volunteer's phone (志愿者): today's rounds, then the corridor sampling screen and
// the door-knock list, the same screens the desk uses, under /volunteer.
export default [
  {
    path: '/volunteer',
    component: () => import('./VolunteerLayout.vue'),
    meta: { roles: ['volunteer'] },
    children: [
      { path: '', name: 'volunteer', component: () => import('./Home.vue') },
      {
        path: '/volunteer/rounds/:id(\\d+)/sampling',
        name: 'volunteer-sampling',
        component: () => import('../screening/Sampling.vue'),
      },
      {
        path: '/volunteer/rounds/:id(\\d+)/door-knock',
        name: 'volunteer-door-knock',
        component: () => import('../screening/DoorKnock.vue'),
      },
    ],
  },
]
