// "tinytalk/tokenizer": GPT-2 byte-level BPE from Hugging Face files or the firmware's CTK2 blob,
// in GPT-2's encoding or the device's, with streaming decode.
export type { EncodeOptions, Merge, StreamDecoder, Tokenizer, TokenizerVocab } from '../neo/tokenizer.js';
export { BpeTokenizer } from '../tokenizer/tokenizer.js';
export { loadHfTokenizer, type HfTokenizerFiles } from '../tokenizer/hf.js';
export { loadCtk2, parseCtk2, type Ctk2 } from '../formats/ctk2.js';
export { BYTE_TO_UNICODE, GPT2_BYTE_ORDER, bytesToGpt2String, gpt2StringToBytes } from '../tokenizer/byte-unicode.js';
export { EOS_TEXT, gpt2Words } from '../tokenizer/pretokenize.js';
export { Utf8StreamDecoder } from '../tokenizer/stream.js';
