/** The watch stream, master side: the public surface the daemon imports. */
export type { LiveSink, StreamHello, ChangeNotice } from './sink.ts';
export { LiveStreams, type LiveStreamsOptions, type StreamEntry } from './live-streams.ts';
export {
  NodeStream,
  DEFAULT_SLAVE_PATH,
  DEFAULT_TUNING,
  classifyEarlyExit,
  type NodeStreamState,
  type StreamTransport,
  type StreamTuning,
} from './node-stream.ts';
export { watchSpecOf, sameWatches } from './spec.ts';
export { parseSlaveLine } from './parse.ts';
export { realClock, type StreamClock } from './clock.ts';
export { PROTOCOL_VERSION, MAX_LINE_BYTES, type LiveHealth, type WatchSpec } from '../slave/protocol.ts';
