/** The browser client (`tessera/client`): dependency-free, no Node imports. */
export {
  createTesseraClient,
  TesseraClientError,
  type TesseraClient,
  type TesseraClientOptions,
  type ClientUser,
  type ClientSession,
  type MeResponse,
} from './create-client.js';
