export { startAdminServer, type AdminServer, type AdminSource } from './server.ts';
