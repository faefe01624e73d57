/** Saving and loading parameter pytrees and optimizer states (bytes everywhere, files in Node). */
export {
  saveParams,
  loadParams,
  loadParamsWithMetadata,
  PARAMS_FORMAT_VERSION,
  type SaveParamsOptions,
  type LoadParamsOptions,
  type LoadedParams,
} from './params-format.js';
export { saveParamsFile, loadParamsFile } from './params-file.js';
