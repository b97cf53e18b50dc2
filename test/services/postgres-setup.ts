export { setupPostgres as default } from './store-setup.js';
