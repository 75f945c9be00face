export { withDeadline } from '../tokens/cognito-errors.js';
