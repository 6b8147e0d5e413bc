/**
 * What importing the @tensorflow/tfjs umbrella did, for the parts this runtime uses: the cpu
 * backend (tfjs-backend-cpu registers itself on import; backend.ts starts the others) and the
 * gradients training needs (tf-gradients.ts). Imported for its effects by backend.ts and
 * network/ops.ts, so any use of the agent or the network has them.
 */
import '@tensorflow/tfjs-backend-cpu';
import { registerGradients } from './tf-gradients.js';

registerGradients();
