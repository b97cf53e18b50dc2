export { setupRedis as default } from './store-setup.js';
