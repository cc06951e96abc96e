// Found by support.ts: the reliability fault cases also run over reliable protobuf.
export { protobufReliableCodec } from '../../helpers/protobuf-wire-codec.ts';
