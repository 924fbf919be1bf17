/**
 * Workflow histories as ProtoJSON files, the format of the SDK's `historyToJSON` / `historyFromJSON`.
 * Those two (@temporalio/common/lib/proto-utils) throw "type must be a Type" in this install: npm gave
 * @temporalio/common and @temporalio/proto separate copies of protobufjs 8 (the top level holds protobufjs 7
 * for @grpc/proto-loader), and protojson's `instanceof Type` fails across copies. So this uses the
 * protojson of the very protobufjs copy that @temporalio/proto's types were built with.
 */
import { createRequire } from 'node:module';
import proto from '@temporalio/proto';
import { patchProtobufRoot } from '@temporalio/proto/lib/patch-protobuf-root.js';

export type History = proto.temporal.api.history.v1.IHistory;

interface ProtoJson {
  toJson(type: unknown, message: unknown): unknown;
  fromJson(type: unknown, json: unknown, options: { ignoreUnknownFields: boolean }): History | null;
}

const requireBesideProto = createRequire(createRequire(import.meta.url).resolve('@temporalio/proto'));
const protojson = requireBesideProto('protobufjs/ext/protojson') as ProtoJson;
const historyType = (patchProtobufRoot(proto) as unknown as { lookupType(name: string): unknown }).lookupType('temporal.api.history.v1.History');

export function historyToJSON(history: History): string {
  return JSON.stringify(protojson.toJson(historyType, proto.temporal.api.history.v1.History.fromObject(history)), null, 2);
}

export function historyFromJSON(json: string): History {
  // Fields we do not know (a newer server's) are skipped, as the SDK's reader does.
  const history = protojson.fromJson(historyType, JSON.parse(json), { ignoreUnknownFields: true });
  if (!history?.events?.length) throw new TypeError('not a workflow history: no events');
  return history;
}
