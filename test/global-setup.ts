import { ensureServicesInstalled } from './services/install.js';

/** Runs once before every test file: makes sure Redis and PostgreSQL are installed. */
export default function setup(): void {
  ensureServicesInstalled();
}
