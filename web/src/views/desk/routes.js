// Routes of the desk's general screens (children of /desk): the overview, the registry, a
// building, the gate register, the daily report and its trends, the street office's overview and
// the audit trail. meta.roles follows the API's x-roles, so a role is not sent to a screen whose
// every call it would be refused. A street office's home (/desk) is its overview: Dashboard.vue
// shows it.
const desk = ['secretary', 'staff']

export default [
  { path: '', name: 'dashboard', component: () => import('./Dashboard.vue'), meta: { roles: ['admin', 'secretary', 'staff', 'street'] } },
  { path: 'registry', name: 'registry', component: () => import('./Registry.vue'), meta: { roles: desk } },
  { path: 'buildings/:id(\\d+)', name: 'building', component: () => import('./Building.vue'), meta: { roles: desk } },
  { path: 'print/residents', name: 'print-residents', component: () => import('./PrintResidents.vue'), meta: { roles: desk } },
  { path: 'register', name: 'register', component: () => import('./Register.vue'), meta: { roles: desk } },
  { path: 'communities', name: 'communities', component: () => import('./Communities.vue'), meta: { roles: ['admin', 'street'] } },
  { path: 'report', name: 'report', component: () => import('./DailyReport.vue'), meta: { roles: [...desk, 'street'] } },
  { path: 'trends', name: 'trends', component: () => import('./Trends.vue'), meta: { roles: [...desk, 'street'] } },
  { path: 'street', name: 'street', component: () => import('./Street.vue'), meta: { roles: ['street', 'admin'] } },
  { path: 'audit', name: 'audit', component: () => import('./Audit.vue'), meta: { roles: ['admin', 'secretary'] } },
]
