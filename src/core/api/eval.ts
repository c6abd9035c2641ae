// "tinytalk/eval": held-out loss and perplexity of a model on dialogue data, counting the tokens
// the fine-tune trained on.
export { blockLoss, crossEntropy, evaluate, type EvalOptions, type EvalResult } from '../eval/evaluate.js';
export { parseData, type ParsedData, type Sample } from '../train/data.js';
