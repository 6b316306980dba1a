export { JsonlRecorder, readJsonl } from './jsonl.js';
export { averageModel, consensusDistance } from './consensus.js';
export { poolParts, meanAccuracy, type EvalPart } from './accuracy.js';
