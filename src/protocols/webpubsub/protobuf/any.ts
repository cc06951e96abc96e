/** The `google.protobuf.Any` payloads of protobuf clients (`dataType: protobuf` for JSON clients). */
import { fromBinary } from '@bufbuild/protobuf';
import { AnySchema } from '@bufbuild/protobuf/wkt';

/** Whether `bytes` decode as an `Any` message (what a protobuf receiver will need to do). */
export function isEncodedAny(bytes: Uint8Array): boolean {
  try {
    fromBinary(AnySchema, bytes);
    return true;
  } catch {
    return false;
  }
}
